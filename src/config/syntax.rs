//! The text forms under the option table: the config line tokenizer and its
//! inverse (quoting for CONFIG REWRITE), memory sizes in and out, C
//! `strtoll`, and the byte-to-text conversions used in errors. Follows redis
//! src/sds.c (`sdstrim`, `sdssplitargs`, `sdscatrepr`) and src/util.c
//! (`memtoull`), plus config.c `rewriteConfigFormatMemory`.

use super::table::Reason;
use crate::util::is_c_space;
use std::borrow::Cow;

pub(super) fn utf8(v: &[u8]) -> Result<String, Reason> {
    String::from_utf8(v.to_vec()).map_err(|_| Cow::Borrowed("argument must be valid UTF-8"))
}

/// Bytes shown inside an error reply: lossy UTF-8, and no CR/LF, which
/// would break the protocol (Redis addReplyErrorFormat does the same).
pub(super) fn error_safe(b: &[u8]) -> String {
    String::from_utf8_lossy(b).replace(['\r', '\n'], " ")
}

/// sdstrim(line, " \t\r\n").
pub(super) fn trim(mut s: &[u8]) -> &[u8] {
    let strip = |b: &u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    while let Some((first, rest)) = s.split_first() {
        if !strip(first) {
            break;
        }
        s = rest;
    }
    while let Some((last, rest)) = s.split_last() {
        if !strip(last) {
            break;
        }
        s = rest;
    }
    s
}

/// Split a config line into arguments (`util::split_args`, Redis's `sdssplitargs`). None on
/// unbalanced quotes.
pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let (mut buf, mut ranges) = (Vec::new(), Vec::new());
    crate::util::split_args(line, &mut buf, &mut ranges).ok()?;
    Some(
        ranges
            .iter()
            .map(|&(s, e)| buf.get(s..e).unwrap_or_default().to_vec())
            .collect(),
    )
}

/// Quote `s` so that `split_args` gives it back (sds.c sdscatrepr).
pub fn repr(s: &[u8]) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for &b in s {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x07 => out.push_str("\\a"),
            0x08 => out.push_str("\\b"),
            0x20..=0x7e => out.push(char::from(b)),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
    out
}

/// A memory size: digits then an optional unit, case-insensitive: b (1),
/// k (1000), kb (1024), m, mb, g, gb (redis util.c memtoull). Empty digits
/// count as 0, as in Redis ("" and "mb" are 0). None on a sign, an unknown
/// unit, or a value that does not fit in 64 bits.
pub fn memtoull(s: &[u8]) -> Option<u64> {
    if s.first() == Some(&b'-') {
        return None;
    }
    let n = s.iter().take_while(|b| b.is_ascii_digit()).count();
    let (digits, unit) = s.split_at(n);
    let mul: u64 = [
        ("", 1),
        ("b", 1),
        ("k", 1000),
        ("kb", 1024),
        ("m", 1000 * 1000),
        ("mb", 1024 * 1024),
        ("g", 1000 * 1000 * 1000),
        ("gb", 1024 * 1024 * 1024),
    ]
    .iter()
    .find(|(u, _)| u.as_bytes().eq_ignore_ascii_case(unit))
    .map(|(_, m)| *m)?;
    if digits.len() >= 128 {
        return None;
    }
    let mut v: u64 = 0;
    for d in digits {
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    v.checked_mul(mul)
}

/// C `strtoll(s, &end, radix)` with the "*end == '\0'" check Redis applies:
/// leading blanks and a sign are allowed, the whole input must be used.
/// Returns (value, overflowed); out-of-range values saturate like strtoll.
pub(super) fn c_strtoll(s: &[u8], radix: u32) -> Option<(i64, bool)> {
    let mut i = s.iter().take_while(|b| is_c_space(**b)).count();
    let neg = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let digits: &[u8] = s.get(i..).unwrap_or_default();
    let n = digits
        .iter()
        .take_while(|b| char::from(**b).is_digit(radix))
        .count();
    if n == 0 {
        // No conversion: strtoll leaves end at the start of the input.
        return if s.is_empty() { Some((0, false)) } else { None };
    }
    if n != digits.len() {
        return None;
    }
    let mut v: i128 = 0;
    let mut overflow = false;
    for d in digits {
        let dv = char::from(*d).to_digit(radix).map(i128::from).unwrap_or(0);
        v = v * i128::from(radix) + dv;
        if v > i128::from(i64::MAX) + 1 {
            overflow = true;
            v = i128::from(i64::MAX) + 1;
        }
    }
    let v = if neg { -v } else { v };
    let clamped = v.clamp(i128::from(i64::MIN), i128::from(i64::MAX));
    Some((clamped as i64, overflow || clamped != v))
}

/// Memory size in the largest exact unit (redis rewriteConfigFormatMemory).
pub(super) fn format_memory(bytes: u64) -> String {
    const KB: u64 = 1024;
    const MB: u64 = 1024 * KB;
    const GB: u64 = 1024 * MB;
    match bytes {
        0 => "0".to_string(),
        b if b % GB == 0 => format!("{}gb", b / GB),
        b if b % MB == 0 => format!("{}mb", b / MB),
        b if b % KB == 0 => format!("{}kb", b / KB),
        b => b.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(v: &[&str]) -> Vec<Vec<u8>> {
        v.iter().map(|s| s.as_bytes().to_vec()).collect()
    }

    // -- tokenizer ----------------------------------------------------------

    #[test]
    fn split_args_plain_words() {
        assert_eq!(split_args(b"port 7379").unwrap(), words(&["port", "7379"]));
        assert_eq!(split_args(b"  a \t b  ").unwrap(), words(&["a", "b"]));
        assert_eq!(split_args(b"").unwrap(), Vec::<Vec<u8>>::new());
        assert_eq!(split_args(b"   ").unwrap(), Vec::<Vec<u8>>::new());
        assert_eq!(split_args(b"a#b # c").unwrap(), words(&["a#b", "#", "c"]));
    }

    #[test]
    fn split_args_double_quotes() {
        assert_eq!(split_args(br#"save """#).unwrap(), words(&["save", ""]));
        assert_eq!(split_args(br#"x "a b""#).unwrap(), words(&["x", "a b"]));
        assert_eq!(
            split_args(br#""\n\r\t\a\b\"\\\q""#).unwrap(),
            vec![b"\n\r\t\x07\x08\"\\q".to_vec()]
        );
        assert_eq!(
            split_args(br#""\x41\x7a\xff""#).unwrap(),
            vec![b"Az\xff".to_vec()]
        );
        // Not a full \xHH: the backslash escapes the 'x'.
        assert_eq!(split_args(br#""\xZZ""#).unwrap(), vec![b"xZZ".to_vec()]);
        // A quote inside a word starts a quoted part of the same word.
        assert_eq!(split_args(br#"ab"c d""#).unwrap(), vec![b"abc d".to_vec()]);
    }

    #[test]
    fn split_args_single_quotes() {
        assert_eq!(split_args(br"'a b'").unwrap(), words(&["a b"]));
        assert_eq!(split_args(br"'it\'s'").unwrap(), words(&["it's"]));
        assert_eq!(split_args(br"'a\nb'").unwrap(), words(&["a\\nb"]));
    }

    #[test]
    fn split_args_unbalanced() {
        assert!(split_args(br#"port "abc"#).is_none());
        assert!(split_args(br"port 'abc").is_none());
        // A closing quote must be followed by a blank or the end.
        assert!(split_args(br#""a"b"#).is_none());
        assert!(split_args(br"'a'b").is_none());
        assert!(split_args(br#""a" b"#).is_some());
        assert!(split_args(b"\"a\\").is_none());
    }

    #[test]
    fn repr_round_trips() {
        for s in [
            &b""[..],
            b"plain",
            b"with space",
            b"q\"uote\\back",
            b"\n\r\t\x07\x08\x00\x7f\xff\xc3\xa9",
        ] {
            let r = repr(s);
            assert_eq!(split_args(r.as_bytes()).unwrap(), vec![s.to_vec()], "{r}");
        }
        assert_eq!(repr(b"a\"b"), r#""a\"b""#);
    }

    // -- numbers ------------------------------------------------------------

    #[test]
    fn memory_units() {
        assert_eq!(memtoull(b"0"), Some(0));
        assert_eq!(memtoull(b"100"), Some(100));
        assert_eq!(memtoull(b"1b"), Some(1));
        assert_eq!(memtoull(b"1k"), Some(1000));
        assert_eq!(memtoull(b"1kb"), Some(1024));
        assert_eq!(memtoull(b"1K"), Some(1000));
        assert_eq!(memtoull(b"1KB"), Some(1024));
        assert_eq!(memtoull(b"2m"), Some(2_000_000));
        assert_eq!(memtoull(b"2mb"), Some(2 << 20));
        assert_eq!(memtoull(b"2Mb"), Some(2 << 20));
        assert_eq!(memtoull(b"3g"), Some(3_000_000_000));
        assert_eq!(memtoull(b"3gb"), Some(3 << 30));
        // Like Redis: no digits means 0.
        assert_eq!(memtoull(b""), Some(0));
        assert_eq!(memtoull(b"mb"), Some(0));
        assert_eq!(memtoull(b"18446744073709551615"), Some(u64::MAX));
        // Rejected.
        assert_eq!(memtoull(b"-1"), None);
        assert_eq!(memtoull(b"1.5mb"), None);
        assert_eq!(memtoull(b" 1"), None);
        assert_eq!(memtoull(b"1 mb"), None);
        assert_eq!(memtoull(b"1tb"), None);
        assert_eq!(memtoull(b"1xb"), None);
        // Overflow is an error here (Redis wraps).
        assert_eq!(memtoull(b"18446744073709551616"), None);
        assert_eq!(memtoull(b"18446744073709551615kb"), None);
        assert_eq!(memtoull("9".repeat(200).as_bytes()), None);
    }

    #[test]
    fn c_strtoll_like_libc() {
        assert_eq!(c_strtoll(b"0900", 10), Some((900, false)));
        assert_eq!(c_strtoll(b"+1", 10), Some((1, false)));
        assert_eq!(c_strtoll(b"  -5", 10), Some((-5, false)));
        assert_eq!(c_strtoll(b"", 10), Some((0, false)));
        assert_eq!(c_strtoll(b"5 ", 10), None);
        assert_eq!(c_strtoll(b"x", 10), None);
        assert_eq!(c_strtoll(b"755", 8), Some((0o755, false)));
        assert_eq!(c_strtoll(b"8", 8), None);
        assert_eq!(
            c_strtoll(b"99999999999999999999", 10),
            Some((i64::MAX, true))
        );
    }

    #[test]
    fn memory_format_for_rewrite() {
        assert_eq!(format_memory(0), "0");
        assert_eq!(format_memory(1), "1");
        assert_eq!(format_memory(1024), "1kb");
        assert_eq!(format_memory(1536), "1536");
        assert_eq!(format_memory(64 << 20), "64mb");
        assert_eq!(format_memory(3 << 30), "3gb");
        assert_eq!(format_memory(1000), "1000");
    }
}
