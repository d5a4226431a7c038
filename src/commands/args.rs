//! Argument access for handlers: argv as borrowed slices of the query buffer,
//! plus the typed readers that decide what a bad argument is (one place for
//! "value is not an integer or out of range" and friends).

use crate::error::ReplyError;
use crate::util::parse_i64;

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

    /// Case-insensitive comparison of argument `i` with an ASCII keyword.
    pub fn is(&self, i: usize, kw: &str) -> bool {
        self.get(i).eq_ignore_ascii_case(kw.as_bytes())
    }
}
