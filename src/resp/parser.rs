//! Incremental request parser: multibulk (`*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`) and
//! inline (`GET k\r\n`) requests.
//!
//! State survives between reads: once a multibulk count or a bulk length has
//! been read it is remembered, so a request that arrives one byte at a time is
//! scanned once in total, not once per read (no O(n²) rescans). Arguments are
//! byte ranges into the query buffer, relative to the start of the request, so
//! nothing is copied while parsing. Inline arguments may contain escapes and
//! are unescaped into `inline_buf` instead.
//!
//! Limits and error texts are Redis's (networking.c): a too-long count line or
//! inline request, a bad `$`, a bulk longer than `proto-max-bulk-len`.

/// Longest count line or inline request we accept without a newline
/// (Redis's PROTO_INLINE_MAX_SIZE).
pub const MAX_INLINE_BYTES: usize = 64 * 1024;
/// Largest multibulk count Redis accepts (INT_MAX in networking.c).
const MAX_MULTIBULK_LEN: i64 = i32::MAX as i64;
/// Do not pre-reserve argv slots beyond this, whatever the client announces.
const MAX_ARGV_PREALLOC: usize = 1024;

/// A framing error: reply `-ERR Protocol error: <text>` and close the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProtocolError {
    TooBigMultibulkCount,
    InvalidMultibulkLength,
    TooBigBulkCount,
    ExpectedDollar(u8),
    InvalidBulkLength,
    TooBigInline,
    UnbalancedQuotes,
}

impl ProtocolError {
    /// The error line Redis sends, without the leading '-' and trailing CRLF.
    pub fn message(&self) -> String {
        let what = match self {
            ProtocolError::TooBigMultibulkCount => "too big mbulk count string".to_string(),
            ProtocolError::InvalidMultibulkLength => "invalid multibulk length".to_string(),
            ProtocolError::TooBigBulkCount => "too big bulk count string".to_string(),
            ProtocolError::ExpectedDollar(c) => format!("expected '$', got '{}'", *c as char),
            ProtocolError::InvalidBulkLength => "invalid bulk length".to_string(),
            ProtocolError::TooBigInline => "too big inline request".to_string(),
            ProtocolError::UnbalancedQuotes => "unbalanced quotes in request".to_string(),
        };
        format!("ERR Protocol error: {what}")
    }
}

/// Result of one parse attempt.
#[derive(Debug, PartialEq, Eq)]
pub enum Parse {
    /// A whole request was read; `consumed` bytes of the buffer belong to it.
    /// The arguments are in `argv()` (may be empty: blank inline line or `*0`).
    Complete {
        consumed: usize,
    },
    /// More bytes are needed. `need` is a hint of how many more bytes the
    /// current bulk requires (0 when unknown), so the caller can reserve once.
    Incomplete {
        need: usize,
    },
    Error(ProtocolError),
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Kind {
    #[default]
    Unknown,
    Multibulk,
    Inline,
}

/// Per-connection parser state. Reuse one per client; it keeps its argv
/// allocation between requests.
#[derive(Debug, Default)]
pub struct RequestParser {
    kind: Kind,
    /// Arguments announced by the multibulk header.
    multibulk_len: usize,
    /// Length of the bulk whose payload we are waiting for, if its header was read.
    bulk_len: Option<usize>,
    /// Scan position relative to the request start.
    pos: usize,
    argv: Vec<(usize, usize)>,
    inline_buf: Vec<u8>,
    /// Largest accepted bulk (`proto-max-bulk-len`).
    pub max_bulk_len: usize,
}

/// Find "\r" at or after `from` and require one more byte after it, as Redis
/// does (it assumes the byte after '\r' is '\n'). Returns the index of '\r'.
fn find_cr(buf: &[u8], from: usize) -> Option<usize> {
    let rest = buf.get(from..)?;
    let i = rest.iter().position(|&b| b == b'\r')?;
    let cr = from + i;
    if cr + 1 < buf.len() { Some(cr) } else { None }
}

/// Parse a signed decimal exactly as Redis's string2ll does for protocol
/// counts: no sign other than a leading '-', no leading zeros ("01"), no
/// "-0", no spaces. Redis rejects those, so `*01` or `$-0` are protocol
/// errors, not 1 and 0.
fn parse_len(digits: &[u8]) -> Option<i64> {
    crate::util::parse_i64(digits)
}

/// A length line for the fast path: `[1-9][0-9]*\r` or `0\r` at `from`,
/// at most 18 digits, with one byte present after the `\r` (what
/// `find_cr` requires). Returns the value and the index after the line.
/// None for anything else (the resumable parser decides what it is).
#[inline]
fn simple_len(buf: &[u8], from: usize) -> Option<(u64, usize)> {
    let first = *buf.get(from)?;
    let mut v = u64::from(first.wrapping_sub(b'0'));
    if v > 9 {
        return None;
    }
    let mut i = from + 1;
    loop {
        let b = *buf.get(i)?;
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        if v == 0 || i - from >= 18 {
            return None;
        }
        v = v * 10 + u64::from(d);
        i += 1;
    }
    if buf[i] != b'\r' || i + 1 >= buf.len() {
        return None;
    }
    Some((v, i + 2))
}

impl RequestParser {
    pub fn new(max_bulk_len: usize) -> Self {
        RequestParser {
            max_bulk_len,
            ..Default::default()
        }
    }

    /// Forget the current request (after `Complete` has been handled).
    pub fn reset(&mut self) {
        self.kind = Kind::Unknown;
        self.multibulk_len = 0;
        self.bulk_len = None;
        self.pos = 0;
        self.argv.clear();
        self.inline_buf.clear();
    }

    /// True while a request is partially read (used for query-buffer limits).
    pub fn in_progress(&self) -> bool {
        self.kind != Kind::Unknown
    }

    /// Argument ranges of the last complete request and the buffer they index:
    /// `buf` for multibulk requests, the internal unescape buffer for inline ones.
    pub fn args<'a>(&'a self, buf: &'a [u8]) -> (&'a [u8], &'a [(usize, usize)]) {
        if self.kind == Kind::Inline {
            (&self.inline_buf, &self.argv)
        } else {
            (buf, &self.argv)
        }
    }

    /// Parse one request from `buf`, which must start at the first byte of the
    /// request and hold everything received since (the same bytes as the
    /// previous call, plus new ones).
    pub fn parse(&mut self, buf: &[u8]) -> Parse {
        // Fast path: a whole, well-formed multibulk request already in the
        // buffer (the common case, and every request but the last of a
        // pipelined read) is parsed in one pass with no state saved. Anything
        // else, including every error, goes to the resumable path below.
        if self.kind == Kind::Unknown && buf.first() == Some(&b'*') {
            if let Some(consumed) = self.parse_whole_multibulk(buf) {
                self.kind = Kind::Multibulk;
                return Parse::Complete { consumed };
            }
            self.argv.clear();
        }
        if self.kind == Kind::Unknown {
            match buf.first() {
                None => return Parse::Incomplete { need: 0 },
                Some(b'*') => self.kind = Kind::Multibulk,
                Some(_) => self.kind = Kind::Inline,
            }
        }
        match self.kind {
            Kind::Inline => self.parse_inline(buf),
            _ => self.parse_multibulk(buf),
        }
    }

    /// One-pass parse of a complete multibulk request starting at `buf[0]`
    /// (`*`). Returns None, leaving `argv` partly filled, if the request is
    /// incomplete or anything is unusual (errors, `*0`, leading zeros, `-`);
    /// the resumable parser then handles it with Redis's exact rules. For the
    /// requests it accepts, the result is the same as that parser's.
    #[inline]
    fn parse_whole_multibulk(&mut self, buf: &[u8]) -> Option<usize> {
        let (n, mut pos) = simple_len(buf, 1)?;
        if n == 0 || n > MAX_MULTIBULK_LEN as u64 {
            return None;
        }
        for _ in 0..n {
            if *buf.get(pos)? != b'$' {
                return None;
            }
            let (len, start) = simple_len(buf, pos + 1)?;
            if len > self.max_bulk_len as u64 {
                return None;
            }
            let end = start + len as usize;
            // Payload plus the two bytes after it (not checked, as Redis).
            if end + 2 > buf.len() {
                return None;
            }
            self.argv.push((start, end));
            pos = end + 2;
        }
        Some(pos)
    }

    fn parse_multibulk(&mut self, buf: &[u8]) -> Parse {
        if self.pos == 0 {
            let Some(cr) = find_cr(buf, 0) else {
                if buf.len() > MAX_INLINE_BYTES {
                    return Parse::Error(ProtocolError::TooBigMultibulkCount);
                }
                return Parse::Incomplete { need: 0 };
            };
            let Some(n) = parse_len(&buf[1..cr]).filter(|&n| n <= MAX_MULTIBULK_LEN) else {
                return Parse::Error(ProtocolError::InvalidMultibulkLength);
            };
            self.pos = cr + 2;
            if n <= 0 {
                // `*0` and `*-1` are empty requests: skipped, as Redis does.
                return Parse::Complete { consumed: self.pos };
            }
            self.multibulk_len = n as usize;
            self.argv.reserve(self.multibulk_len.min(MAX_ARGV_PREALLOC));
        }
        while self.argv.len() < self.multibulk_len {
            let len = match self.bulk_len {
                Some(len) => len,
                None => {
                    let Some(cr) = find_cr(buf, self.pos) else {
                        if buf.len() - self.pos > MAX_INLINE_BYTES {
                            return Parse::Error(ProtocolError::TooBigBulkCount);
                        }
                        return Parse::Incomplete { need: 0 };
                    };
                    let first = buf[self.pos];
                    if first != b'$' {
                        return Parse::Error(ProtocolError::ExpectedDollar(first));
                    }
                    let Some(len) = parse_len(&buf[self.pos + 1..cr])
                        .filter(|&n| n >= 0 && n as u64 <= self.max_bulk_len as u64)
                    else {
                        return Parse::Error(ProtocolError::InvalidBulkLength);
                    };
                    self.pos = cr + 2;
                    self.bulk_len = Some(len as usize);
                    len as usize
                }
            };
            // Payload plus its CRLF. Like Redis we skip the two bytes after
            // the payload without checking them.
            let end = self.pos + len + 2;
            if buf.len() < end {
                return Parse::Incomplete {
                    need: end - buf.len(),
                };
            }
            self.argv.push((self.pos, self.pos + len));
            self.pos = end;
            self.bulk_len = None;
        }
        Parse::Complete { consumed: self.pos }
    }

    fn parse_inline(&mut self, buf: &[u8]) -> Parse {
        // Redis finds the line end with strchr on its query buffer, so a NUL
        // byte ends the search: a newline after a NUL is never seen, and the
        // request waits until it passes the inline limit. `pos` remembers how
        // far we scanned, so a line arriving byte by byte is scanned once.
        let from = self.pos.min(buf.len());
        let end = buf[from..]
            .iter()
            .position(|&b| b == b'\n' || b == 0)
            .map(|i| from + i);
        let nl = match end {
            Some(i) if buf[i] == b'\n' => i,
            other => {
                self.pos = other.unwrap_or(buf.len());
                if buf.len() > MAX_INLINE_BYTES {
                    return Parse::Error(ProtocolError::TooBigInline);
                }
                return Parse::Incomplete { need: 0 };
            }
        };
        let mut line = &buf[..nl];
        if let Some(stripped) = line.strip_suffix(b"\r") {
            line = stripped;
        }
        self.argv.clear();
        self.inline_buf.clear();
        if split_args(line, &mut self.inline_buf, &mut self.argv).is_err() {
            return Parse::Error(ProtocolError::UnbalancedQuotes);
        }
        Parse::Complete { consumed: nl + 1 }
    }
}

/// Inline lines are split by the one sdssplitargs implementation (also
/// used by the config file); a NUL ends the line, as it ends the C string.
pub use crate::util::{UnbalancedQuotes, split_args};

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(p: &mut RequestParser, buf: &[u8]) -> (Parse, Vec<Vec<u8>>) {
        let r = p.parse(buf);
        let (b, ranges) = p.args(buf);
        let args = ranges.iter().map(|&(s, e)| b[s..e].to_vec()).collect();
        (r, args)
    }

    #[test]
    fn multibulk_whole() {
        let mut p = RequestParser::new(512 << 20);
        let buf = b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n";
        let (r, args) = parse_all(&mut p, buf);
        assert_eq!(
            r,
            Parse::Complete {
                consumed: buf.len()
            }
        );
        assert_eq!(args, vec![b"GET".to_vec(), b"k".to_vec()]);
    }

    #[test]
    fn multibulk_split_at_every_byte() {
        let buf = b"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nv\r\n\x00z\r\n";
        for cut in 0..buf.len() {
            let mut p = RequestParser::new(512 << 20);
            let r = p.parse(&buf[..cut]);
            assert!(matches!(r, Parse::Incomplete { .. }), "cut {cut}: {r:?}");
            let (r, args) = parse_all(&mut p, buf);
            assert_eq!(
                r,
                Parse::Complete {
                    consumed: buf.len()
                }
            );
            assert_eq!(args[2], b"v\r\n\x00z".to_vec());
        }
    }

    #[test]
    fn byte_by_byte_keeps_state() {
        let buf = b"*2\r\n$4\r\nECHO\r\n$10\r\n0123456789\r\n";
        let mut p = RequestParser::new(512 << 20);
        for end in 1..buf.len() {
            assert!(matches!(p.parse(&buf[..end]), Parse::Incomplete { .. }));
        }
        assert_eq!(
            p.parse(buf),
            Parse::Complete {
                consumed: buf.len()
            }
        );
    }

    #[test]
    fn protocol_errors() {
        let cases: &[(&[u8], ProtocolError)] = &[
            (b"*x\r\n", ProtocolError::InvalidMultibulkLength),
            (b"*3000000000\r\n", ProtocolError::InvalidMultibulkLength),
            (b"*1\r\n+foo\r\n", ProtocolError::ExpectedDollar(b'+')),
            (b"*1\r\n$-1\r\n", ProtocolError::InvalidBulkLength),
            (b"*1\r\n$abc\r\n", ProtocolError::InvalidBulkLength),
            (b"*1\r\n$600000000\r\n", ProtocolError::InvalidBulkLength),
            // string2ll rejects leading zeros, "-0", '+' and spaces.
            (b"*01\r\n", ProtocolError::InvalidMultibulkLength),
            (b"*-0\r\n", ProtocolError::InvalidMultibulkLength),
            (b"*+1\r\n", ProtocolError::InvalidMultibulkLength),
            (b"*1 \r\n", ProtocolError::InvalidMultibulkLength),
            (b"*\r\n", ProtocolError::InvalidMultibulkLength),
            (b"*1\r\n$04\r\n", ProtocolError::InvalidBulkLength),
            (b"*1\r\n$-0\r\n", ProtocolError::InvalidBulkLength),
            (b"*1\r\n$\r\n", ProtocolError::InvalidBulkLength),
            (b"SET \"a b\r\n", ProtocolError::UnbalancedQuotes),
            (b"SET \"a\"b c\r\n", ProtocolError::UnbalancedQuotes),
        ];
        for (input, want) in cases {
            let mut p = RequestParser::new(512 << 20);
            assert_eq!(
                p.parse(input),
                Parse::Error(*want),
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
        assert_eq!(
            ProtocolError::ExpectedDollar(b'x').message(),
            "ERR Protocol error: expected '$', got 'x'"
        );
    }

    #[test]
    fn parse_len_matches_string2ll() {
        assert_eq!(parse_len(b"0"), Some(0));
        assert_eq!(parse_len(b"7"), Some(7));
        assert_eq!(parse_len(b"-1"), Some(-1));
        assert_eq!(parse_len(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_len(b"-9223372036854775808"), Some(i64::MIN));
        for bad in [
            &b""[..],
            b"-",
            b"-0",
            b"00",
            b"01",
            b"+1",
            b" 1",
            b"1 ",
            b"1a",
            b"9223372036854775808",
            b"-9223372036854775809",
            b"12345678901234567890",
        ] {
            assert_eq!(parse_len(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn too_big_without_newline() {
        let mut p = RequestParser::new(512 << 20);
        let big = vec![b'a'; MAX_INLINE_BYTES + 1];
        assert_eq!(p.parse(&big), Parse::Error(ProtocolError::TooBigInline));
        let mut p = RequestParser::new(512 << 20);
        let mut big = b"*".to_vec();
        big.extend(std::iter::repeat_n(b'1', MAX_INLINE_BYTES + 1));
        assert_eq!(
            p.parse(&big),
            Parse::Error(ProtocolError::TooBigMultibulkCount)
        );
    }

    #[test]
    fn empty_requests_are_skipped() {
        let mut p = RequestParser::new(512 << 20);
        let (r, args) = parse_all(&mut p, b"*0\r\n");
        assert_eq!(r, Parse::Complete { consumed: 4 });
        assert!(args.is_empty());
        p.reset();
        let (r, args) = parse_all(&mut p, b"\r\n");
        assert_eq!(r, Parse::Complete { consumed: 2 });
        assert!(args.is_empty());
    }

    #[test]
    fn inline_nul_hides_the_newline_and_never_loops() {
        let mut p = RequestParser::new(512 << 20);
        assert_eq!(p.parse(b"PING \0\r\n"), Parse::Incomplete { need: 0 });
        let mut big = b"PING \0\r\n".to_vec();
        big.resize(MAX_INLINE_BYTES + 1, b'x');
        assert_eq!(p.parse(&big), Parse::Error(ProtocolError::TooBigInline));
        let (mut out, mut ranges) = (Vec::new(), Vec::new());
        assert!(split_args(b"a \0 b", &mut out, &mut ranges).is_ok());
        assert_eq!(ranges.len(), 1);
    }

    #[test]
    fn inline_quoting() {
        let mut p = RequestParser::new(512 << 20);
        let (r, args) = parse_all(&mut p, b"set \"a\\x41\\n\" 'it\\'s' plain\r\n");
        assert!(matches!(r, Parse::Complete { .. }));
        assert_eq!(
            args,
            vec![
                b"set".to_vec(),
                b"aA\n".to_vec(),
                b"it's".to_vec(),
                b"plain".to_vec()
            ]
        );
        p.reset();
        let (_, args) = parse_all(&mut p, b"PING\n");
        assert_eq!(args, vec![b"PING".to_vec()]);
        p.reset();
        let (_, args) = parse_all(&mut p, b"echo \"\"\r\n");
        assert_eq!(args, vec![b"echo".to_vec(), b"".to_vec()]);
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let alphabet = b"*$\r\n0123456789-+ \"'\\xab";
        for _ in 0..20_000 {
            let len = rng.random_range(0..40);
            let buf: Vec<u8> = (0..len)
                .map(|_| alphabet[rng.random_range(0..alphabet.len())])
                .collect();
            let mut p = RequestParser::new(1000);
            let mut start = 0;
            // Feed the request repeatedly like the server does; must terminate.
            for _ in 0..100 {
                match p.parse(&buf[start..]) {
                    Parse::Complete { consumed } => {
                        assert!(consumed <= buf.len() - start);
                        start += consumed;
                        p.reset();
                        if consumed == 0 {
                            break;
                        }
                    }
                    _ => break,
                }
            }
        }
    }

    /// The one-pass fast path and the resumable path agree on every input:
    /// valid requests and mutations of them (bad lengths, leading zeros,
    /// signs, missing bytes, 0-length bulks, limits). The resumable path is
    /// forced by parsing a one-byte prefix first.
    #[test]
    fn fast_path_matches_resumable_path() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(11);
        let alphabet = b"*$\r\n0123456789-+ x";
        for _ in 0..50_000 {
            let mut buf = Vec::new();
            let argc = rng.random_range(0..4usize);
            buf.extend_from_slice(format!("*{argc}\r\n").as_bytes());
            for _ in 0..argc {
                let len = [0usize, 1, 3, 9, 10, 20][rng.random_range(0..6)];
                buf.extend_from_slice(format!("${len}\r\n").as_bytes());
                buf.extend((0..len).map(|_| b'a'));
                buf.extend_from_slice(b"\r\n");
            }
            for _ in 0..rng.random_range(0..3) {
                let i = rng.random_range(0..buf.len());
                match rng.random_range(0..3) {
                    0 => buf[i] = alphabet[rng.random_range(0..alphabet.len())],
                    1 => buf.insert(i, alphabet[rng.random_range(0..alphabet.len())]),
                    _ => {
                        buf.remove(i);
                    }
                }
            }
            if buf.first() != Some(&b'*') {
                continue;
            }
            let cut = if rng.random_bool(0.5) {
                buf.len()
            } else {
                rng.random_range(1..=buf.len())
            };
            let buf = &buf[..cut];
            let mut fast = RequestParser::new(15);
            let got = parse_all(&mut fast, buf);
            let mut slow = RequestParser::new(15);
            let _ = slow.parse(&buf[..1]);
            let want = parse_all(&mut slow, buf);
            assert_eq!(got, want, "{:?}", buf.escape_ascii().to_string());
        }
    }
}
