//! Argument access for handlers: argv as borrowed slices of the query buffer,
//! plus the typed readers that decide what a bad argument is (one place for
//! "value is not an integer or out of range" and friends).

use crate::error::ReplyError;
use crate::util::{is_c_space, parse_i64};

#[derive(Clone, Copy)]
pub struct Args<'a> {
    buf: &'a [u8],
    ranges: &'a [(usize, usize)],
}

impl<'a> Args<'a> {
    pub fn new(buf: &'a [u8], ranges: &'a [(usize, usize)]) -> Self {
        Args { buf, ranges }
    }

    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Argument `i`, or an empty slice past the end (dispatch has already
    /// checked arity, so handlers only read past it on purpose).
    #[inline]
    pub fn get(&self, i: usize) -> &'a [u8] {
        match self.ranges.get(i) {
            Some(&(s, e)) => self.buf.get(s..e).unwrap_or(&[]),
            None => &[],
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &'a [u8]> + '_ {
        (0..self.len()).map(move |i| self.get(i))
    }

    /// Argument `i` parsed as i64 with Redis's strict rules (`util::parse_i64`).
    pub fn i64(&self, i: usize) -> Result<i64, ReplyError> {
        parse_i64(self.get(i)).ok_or(ReplyError::NotInteger)
    }

    /// Argument `i` as a string, lossily (for names in messages and config).
    pub fn str_lossy(&self, i: usize) -> String {
        String::from_utf8_lossy(self.get(i)).into_owned()
    }

    /// Argument `i` as a SCAN/HSCAN cursor (Redis `parseScanCursorOrReply`).
    pub fn scan_cursor(&self, i: usize) -> Result<u64, ReplyError> {
        parse_scan_cursor(self.get(i)).ok_or(ReplyError::Static("ERR invalid cursor"))
    }

    /// Case-insensitive comparison of argument `i` with an ASCII keyword.
    pub fn is(&self, i: usize, kw: &str) -> bool {
        self.get(i).eq_ignore_ascii_case(kw.as_bytes())
    }
}

/// A SCAN-family cursor, parsed like Redis's `parseScanCursorOrReply`: C `strtoul` in base 10 on the
/// argument as a C string (so it ends at the first NUL), then rejected if it starts with white
/// space, has trailing bytes, or overflows. Like strtoul it accepts a sign (`-1` wraps to
/// 2^64-1) and an empty string (cursor 0).
fn parse_scan_cursor(arg: &[u8]) -> Option<u64> {
    let s = match arg.iter().position(|&b| b == 0) {
        Some(end) => arg.get(..end).unwrap_or_default(),
        None => arg,
    };
    let Some(&first) = s.first() else {
        return Some(0);
    };
    if is_c_space(first) {
        return None;
    }
    let (neg, digits) = match first {
        b'-' => (true, s.get(1..).unwrap_or_default()),
        b'+' => (false, s.get(1..).unwrap_or_default()),
        _ => (false, s),
    };
    if digits.is_empty() {
        return None;
    }
    let mut v: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(if neg { v.wrapping_neg() } else { v })
}

#[cfg(test)]
mod tests {
    use super::parse_scan_cursor;

    #[test]
    fn scan_cursor_is_strtoul() {
        for (arg, want) in [
            (&b"0"[..], Some(0)),
            (b"", Some(0)),
            (b"42", Some(42)),
            (b"007", Some(7)),
            (b"+5", Some(5)),
            (b"-1", Some(u64::MAX)),
            (b"18446744073709551615", Some(u64::MAX)),
            (b"-18446744073709551615", Some(1)),
            (b"5\0junk", Some(5)),
            (b"\0", Some(0)),
            (b"18446744073709551616", None),
            (b"-18446744073709551616", None),
            (b" 5", None),
            (b"\t5", None),
            (b"5 ", None),
            (b"x", None),
            (b"-", None),
            (b"+", None),
            (b"0x10", None),
            (b"+-1", None),
        ] {
            assert_eq!(
                parse_scan_cursor(arg),
                want,
                "{:?}",
                arg.escape_ascii().to_string()
            );
        }
    }
}
