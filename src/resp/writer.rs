//! Reply encoding into a client's output buffer, for RESP2 and RESP3.
//!
//! One `Reply` per client; the protocol version is chosen by HELLO. RESP3-only
//! types degrade the way Redis degrades them for RESP2 clients
//! (networking.c): maps become flat arrays, sets arrays, doubles bulk strings,
//! null `$-1` (or `*-1` for null arrays), booleans integers, pushes arrays.
//! Integers are formatted through a stack buffer; nothing here allocates
//! except the output buffer growing.

/// Format `v` into a stack buffer, returning the digits (`util::format_i64`, Redis's
/// `ll2string`; the writer's callers know it by this name).
pub use crate::util::format_i64 as fmt_i64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Proto {
    #[default]
    Resp2,
    Resp3,
}

/// Header-length placeholder for replies whose element count is known only
/// after the elements are written (KEYS, SCAN): see `begin_deferred`.
pub struct Deferred {
    at: usize,
}

#[derive(Debug, Default)]
pub struct Reply {
    pub buf: Vec<u8>,
    pub proto: Proto,
}

impl Reply {
    pub fn new() -> Self {
        Reply::default()
    }

    pub fn is_resp3(&self) -> bool {
        self.proto == Proto::Resp3
    }

    #[inline]
    fn header(&mut self, prefix: u8, n: i64) {
        let mut tmp = [0u8; 20];
        self.buf.push(prefix);
        self.buf.extend_from_slice(fmt_i64(n, &mut tmp));
        self.buf.extend_from_slice(b"\r\n");
    }

    /// Raw bytes already in RESP form (shared constant replies).
    #[inline]
    pub fn raw(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    pub fn ok(&mut self) {
        self.raw(b"+OK\r\n");
    }

    /// `+text`. Any CR/LF in `s` is replaced by a space, as Redis does.
    pub fn simple(&mut self, s: &str) {
        self.buf.push(b'+');
        self.push_line(s.as_bytes());
    }

    /// `-text`; `s` must include the error code (`ERR ...`, `WRONGTYPE ...`).
    pub fn error(&mut self, s: &str) {
        self.buf.push(b'-');
        self.push_line(s.as_bytes());
    }

    fn push_line(&mut self, s: &[u8]) {
        for &b in s {
            self.buf
                .push(if b == b'\r' || b == b'\n' { b' ' } else { b });
        }
        self.buf.extend_from_slice(b"\r\n");
    }

    #[inline]
    pub fn int(&mut self, v: i64) {
        self.header(b':', v);
    }

    #[inline]
    pub fn bulk(&mut self, b: &[u8]) {
        self.header(b'$', b.len() as i64);
        self.buf.extend_from_slice(b);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// A bulk string holding the decimal form of `v` (e.g. INCRBYFLOAT-style replies).
    pub fn bulk_i64(&mut self, v: i64) {
        let mut tmp = [0u8; 20];
        let digits = fmt_i64(v, &mut tmp);
        self.header(b'$', digits.len() as i64);
        self.buf.extend_from_slice(digits);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// Null bulk string: `$-1` in RESP2, `_` in RESP3.
    pub fn null(&mut self) {
        match self.proto {
            Proto::Resp2 => self.raw(b"$-1\r\n"),
            Proto::Resp3 => self.raw(b"_\r\n"),
        }
    }

    /// Null array: `*-1` in RESP2, `_` in RESP3.
    pub fn null_array(&mut self) {
        match self.proto {
            Proto::Resp2 => self.raw(b"*-1\r\n"),
            Proto::Resp3 => self.raw(b"_\r\n"),
        }
    }

    pub fn array(&mut self, n: usize) {
        self.header(b'*', n as i64);
    }

    /// A map of `n` key/value pairs (`%` in RESP3, a flat array of 2n in RESP2).
    pub fn map(&mut self, n: usize) {
        match self.proto {
            Proto::Resp2 => self.header(b'*', 2 * n as i64),
            Proto::Resp3 => self.header(b'%', n as i64),
        }
    }

    pub fn set(&mut self, n: usize) {
        match self.proto {
            Proto::Resp2 => self.header(b'*', n as i64),
            Proto::Resp3 => self.header(b'~', n as i64),
        }
    }

    /// Out-of-band push (`>` in RESP3; an array in RESP2, as pub/sub messages).
    pub fn push(&mut self, n: usize) {
        match self.proto {
            Proto::Resp2 => self.header(b'*', n as i64),
            Proto::Resp3 => self.header(b'>', n as i64),
        }
    }

    pub fn bool(&mut self, v: bool) {
        match self.proto {
            Proto::Resp2 => self.int(v as i64),
            Proto::Resp3 => self.raw(if v { b"#t\r\n" } else { b"#f\r\n" }),
        }
    }

    /// A double: `,` in RESP3, a bulk string in RESP2. `text` is its decimal
    /// form as the command formats it (Redis formats doubles per command).
    pub fn double_text(&mut self, text: &[u8]) {
        match self.proto {
            Proto::Resp2 => self.bulk(text),
            Proto::Resp3 => {
                self.buf.push(b',');
                self.buf.extend_from_slice(text);
                self.buf.extend_from_slice(b"\r\n");
            }
        }
    }

    /// Verbatim string (`=` with a 3-letter format in RESP3, bulk in RESP2):
    /// INFO, CLIENT LIST and CLIENT INFO use `txt`.
    pub fn verbatim(&mut self, format: &[u8; 3], text: &[u8]) {
        match self.proto {
            Proto::Resp2 => self.bulk(text),
            Proto::Resp3 => {
                self.header(b'=', text.len() as i64 + 4);
                self.buf.extend_from_slice(format);
                self.buf.push(b':');
                self.buf.extend_from_slice(text);
                self.buf.extend_from_slice(b"\r\n");
            }
        }
    }

    /// Start an aggregate whose length is not known yet. Write the elements,
    /// then call `end_array`/`end_map`/`end_set`.
    pub fn begin_deferred(&mut self) -> Deferred {
        Deferred { at: self.buf.len() }
    }

    fn end_deferred(&mut self, d: Deferred, prefix: u8, n: usize) {
        let mut tmp = [0u8; 20];
        let digits = fmt_i64(n as i64, &mut tmp);
        let mut head = [0u8; 24];
        head[0] = prefix;
        head[1..1 + digits.len()].copy_from_slice(digits);
        head[1 + digits.len()] = b'\r';
        head[2 + digits.len()] = b'\n';
        let head = &head[..3 + digits.len()];
        self.buf.splice(d.at..d.at, head.iter().copied());
    }

    pub fn end_array(&mut self, d: Deferred, n: usize) {
        self.end_deferred(d, b'*', n);
    }

    pub fn end_map(&mut self, d: Deferred, n: usize) {
        match self.proto {
            Proto::Resp2 => self.end_deferred(d, b'*', 2 * n),
            Proto::Resp3 => self.end_deferred(d, b'%', n),
        }
    }

    pub fn end_set(&mut self, d: Deferred, n: usize) {
        match self.proto {
            Proto::Resp2 => self.end_deferred(d, b'*', n),
            Proto::Resp3 => self.end_deferred(d, b'~', n),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ints_and_bulks() {
        let mut r = Reply::new();
        r.int(-42);
        r.int(i64::MIN);
        r.bulk(b"hi");
        r.bulk_i64(1234);
        assert_eq!(
            r.buf,
            b":-42\r\n:-9223372036854775808\r\n$2\r\nhi\r\n$4\r\n1234\r\n"
        );
    }

    #[test]
    fn resp2_vs_resp3() {
        let mut r2 = Reply::new();
        let mut r3 = Reply {
            proto: Proto::Resp3,
            ..Default::default()
        };
        for r in [&mut r2, &mut r3] {
            r.map(1);
            r.bulk(b"k");
            r.null();
            r.bool(true);
            r.double_text(b"1.5");
        }
        assert_eq!(r2.buf, b"*2\r\n$1\r\nk\r\n$-1\r\n:1\r\n$3\r\n1.5\r\n");
        assert_eq!(r3.buf, b"%1\r\n$1\r\nk\r\n_\r\n#t\r\n,1.5\r\n");
    }

    #[test]
    fn deferred_length() {
        let mut r = Reply::new();
        r.bulk(b"x");
        let d = r.begin_deferred();
        for _ in 0..12 {
            r.int(1);
        }
        r.end_array(d, 12);
        assert!(r.buf.starts_with(b"$1\r\nx\r\n*12\r\n:1\r\n"));
    }

    #[test]
    fn errors_never_break_framing() {
        let mut r = Reply::new();
        r.error("ERR bad\r\nthing");
        assert_eq!(r.buf, b"-ERR bad  thing\r\n");
    }
}
