//! `Listpack`: the compact encoding of small hashes (`OBJECT ENCODING listpack`).
//!
//! Plays the role of redis src/listpack.c for `HashValue`: all field/value pairs of a small hash
//! in one exact-size heap block, in insertion order, searched linearly (a listpack holds at most
//! `hash-max-listpack-entries` pairs of at most `hash-max-listpack-value` bytes, so scans are
//! short and cache-friendly). The block is a `Box<[u8]>` (safe Rust; its null-pointer niche lets
//! `HashValue` stay 16 bytes and `Value` 24). Every size change goes through `realloc`, which
//! glibc does in place whenever the chunk has room, like Redis's `lpInsert`.
//!
//! **Layout.** `count: u32 LE` (absent when the hash is empty: no allocation), then per pair:
//! ```text
//! varint(suffix_len << 1 | coded)  [varint(shared) if coded]  suffix   varint(value_len)  value
//! ```
//! Varints are LEB128, so a field or value under 128 bytes costs one length byte (a Redis
//! listpack entry costs two: encoding byte and back-length; we never walk backwards). A field
//! is also *front-coded* against the field before it: its first `shared` bytes are the previous
//! field's and only the rest (`suffix`) is stored. Generated names (`field:1`, `field:2`, …,
//! `user_id`, `user_name`) share long prefixes: `field:7` after `field:6` takes 3 bytes instead
//! of 8. The encoding is canonical: a field is coded iff it is at most [`FRONT_MAX`] bytes long
//! and shares at least [`MIN_SHARED`] bytes with the previous field, and then `shared` is the
//! whole common prefix. Values are stored verbatim (no int encoding), so [`Listpack::get`]
//! returns a slice of the block.
//!
//! **Costs.** Lookup compares suffixes only, tracking the common prefix of the probe and the
//! previous field, so it never rebuilds a field. Iteration rebuilds coded fields (≤ 64 bytes) in
//! a stack buffer; [`Iter`] is therefore a lending iterator. Updating a value rewrites it in
//! place when its encoded size is unchanged (HINCRBY mostly) and splices otherwise; deleting a
//! pair re-encodes the next field against the one before. Random access (HRANDFIELD with a
//! count) decodes the whole listpack once, see [`Listpack::decode_all`].

use std::fmt;
use std::ops::Range;

/// Longest field that may be front-coded: rebuilding one needs a buffer this big. Equals the
/// default `hash-max-listpack-value`, so with default limits every field qualifies.
pub const FRONT_MAX: usize = 64;

/// Shortest shared prefix worth coding (a 1-byte prefix costs the byte it saves).
pub const MIN_SHARED: usize = 2;

/// Largest block a listpack may grow to before the hash converts to a table (Redis's
/// `LISTPACK_MAX_SAFETY_SIZE`, 1 GiB), which also keeps `count` far from `u32::MAX`.
pub const MAX_BYTES: usize = 1 << 30;

/// Bytes of the entry count.
const HEADER: usize = 4;

/// Longest LEB128 encoding of a `u64`.
const MAX_VARINT: usize = 10;

/// Worst-case bytes a pair adds on top of its field and value (two headers and `shared`).
pub const PAIR_OVERHEAD: usize = 3 * MAX_VARINT;

/// Small-hash storage. See the module docs for the layout.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Listpack {
    buf: Box<[u8]>,
}

/// One decoded entry, with its byte offsets in the block.
#[derive(Clone, Copy)]
struct Raw<'a> {
    start: usize,
    shared: usize,
    suffix: &'a [u8],
    /// Offset of the value's length varint.
    field_end: usize,
    value: &'a [u8],
    end: usize,
}

/// Where [`Listpack::probe`] found a field, or the common prefix with the last field.
enum Probe {
    Found { field_end: usize, end: usize },
    Missing { lcp_last: usize },
}

impl Listpack {
    /// An empty listpack (no allocation).
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of pairs.
    pub fn len(&self) -> usize {
        match self.buf.get(..HEADER) {
            Some(&[a, b, c, d]) => u32::from_le_bytes([a, b, c, d]) as usize,
            _ => 0,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Size of the heap block (0 when empty).
    pub fn bytes(&self) -> usize {
        self.buf.len()
    }

    fn set_len(&mut self, n: usize) {
        if n == 0 {
            self.buf = Box::default();
        } else if let Some(h) = self.buf.get_mut(..HEADER) {
            // Callers keep the block under MAX_BYTES, so `n` fits.
            h.copy_from_slice(&(n as u32).to_le_bytes());
        }
    }

    /// The value stored for `field`.
    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        match self.probe(field) {
            Probe::Found { field_end, end } => {
                let mut pos = field_end;
                let len = read_varint(&self.buf, &mut pos)?;
                debug_assert_eq!(pos + len, end);
                self.buf.get(pos..end)
            }
            Probe::Missing { .. } => None,
        }
    }

    /// Linear search without rebuilding fields. `m` is the length of the common prefix of
    /// `field` and the previous entry's field. An entry sharing more than `m` bytes with its
    /// predecessor differs from `field` at byte `m` exactly as the predecessor does, so it can
    /// be skipped; otherwise its suffix is compared with the rest of `field`.
    fn probe(&self, field: &[u8]) -> Probe {
        let mut pos = HEADER;
        let mut m = 0;
        while let Some(e) = decode(&self.buf, pos) {
            if e.shared <= m {
                let rest = field.get(e.shared..).unwrap_or_default();
                // One pass gives both the equality test and the new `m` (no memcmp call:
                // suffixes are a few bytes). Most entries differ at their first byte.
                let l = match (rest.first(), e.suffix.first()) {
                    (Some(a), Some(b)) if a == b => lcp(rest, e.suffix),
                    _ => 0,
                };
                if l == rest.len() && l == e.suffix.len() {
                    return Probe::Found {
                        field_end: e.field_end,
                        end: e.end,
                    };
                }
                m = e.shared + l;
            }
            pos = e.end;
        }
        Probe::Missing { lcp_last: m }
    }

    /// Sets `field` to `value`. Returns true when the field is new (appended at the end). The
    /// caller keeps `bytes() + field.len() + value.len() + PAIR_OVERHEAD` within [`MAX_BYTES`].
    pub fn insert(&mut self, field: &[u8], value: &[u8]) -> bool {
        let mut vhead = [0u8; MAX_VARINT];
        let vhead = encode_varint(value.len(), &mut vhead);
        let lcp_last = match self.probe(field) {
            Probe::Found { field_end, end } => {
                self.replace(field_end..end, &[vhead, value]);
                return false;
            }
            Probe::Missing { lcp_last } => lcp_last,
        };
        let shared = shared_len(field.len(), lcp_last);
        let suffix = field.get(shared..).unwrap_or_default();
        let mut fhead = [0u8; 2 * MAX_VARINT];
        let fhead = field_header(suffix.len(), shared, &mut fhead);
        let n = self.len() + 1;
        let mut v = std::mem::take(&mut self.buf).into_vec();
        let header = if v.is_empty() { HEADER } else { 0 };
        // One exact reservation: the block never carries spare capacity.
        v.reserve_exact(header + fhead.len() + suffix.len() + vhead.len() + value.len());
        v.resize(v.len() + header, 0);
        for part in [fhead, suffix, vhead, value] {
            v.extend_from_slice(part);
        }
        self.buf = v.into_boxed_slice();
        self.set_len(n);
        true
    }

    /// Deletes `field`. Returns true if it was present. The next pair's field, if any, is
    /// re-encoded against the field before the deleted one.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        let mut it = self.iter();
        let (start, end) = loop {
            let Some(e) = it.advance() else {
                return false;
            };
            if it.field(&e) == field {
                break (e.start, e.end);
            }
        };
        // The field before the deleted one (its first FRONT_MAX bytes: enough to code any
        // field against it), copied out because `advance` reuses that half of the scratch.
        let mut prev_buf = [0u8; FRONT_MAX];
        let prev_len = it.prev_prefix().len();
        prev_buf[..prev_len].copy_from_slice(it.prev_prefix());
        let prev = &prev_buf[..prev_len];
        let mut part = [0u8; FRONT_MAX + 2 * MAX_VARINT];
        let mut part_len = 0;
        let mut range = start..end;
        if let Some(next) = it.advance() {
            let f = it.field(&next);
            // Longer fields are never coded, before or after: they keep their bytes.
            if f.len() <= FRONT_MAX {
                let shared = shared_len(f.len(), lcp(prev, f));
                let suffix = f.get(shared..).unwrap_or_default();
                let mut head = [0u8; 2 * MAX_VARINT];
                let head = field_header(suffix.len(), shared, &mut head);
                part_len = head.len() + suffix.len();
                if let Some(dst) = part.get_mut(..part_len) {
                    let (h, s) = dst.split_at_mut(head.len());
                    h.copy_from_slice(head);
                    s.copy_from_slice(suffix);
                }
                range = start..next.field_end;
            }
        }
        let n = self.len() - 1;
        self.replace(range, &[part.get(..part_len).unwrap_or_default()]);
        self.set_len(n);
        true
    }

    /// Replaces `range` of the block with the concatenation of `parts`: in place when the size
    /// is unchanged, else one `realloc` and one move of the tail.
    fn replace(&mut self, range: Range<usize>, parts: &[&[u8]]) {
        let new: usize = parts.iter().map(|p| p.len()).sum();
        let old = range.len();
        if new != old {
            let mut v = std::mem::take(&mut self.buf).into_vec();
            let len = v.len();
            if new > old {
                v.reserve_exact(new - old);
                v.resize(len + new - old, 0);
                v.copy_within(range.end..len, range.start + new);
            } else {
                v.copy_within(range.end..len, range.start + new);
                v.truncate(len - (old - new));
            }
            self.buf = v.into_boxed_slice();
        }
        let mut at = range.start;
        for p in parts {
            if let Some(dst) = self.buf.get_mut(at..at + p.len()) {
                dst.copy_from_slice(p);
            }
            at += p.len();
        }
    }

    /// Pairs in insertion order.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            buf: &self.buf,
            pos: HEADER,
            scratch: [0; 2 * FRONT_MAX],
            cur: 0,
            cur_len: 0,
            prev_len: 0,
        }
    }

    /// Every pair rebuilt into one owned buffer, for O(1) access by position (HRANDFIELD with
    /// a count). One allocation per call; the size is about the block's.
    pub fn decode_all(&self) -> Decoded {
        let mut d = Decoded {
            arena: Vec::with_capacity(self.bytes()),
            spans: Vec::with_capacity(self.len()),
        };
        let mut it = self.iter();
        while let Some((f, v)) = it.next_pair() {
            let start = d.arena.len();
            d.arena.extend_from_slice(f);
            d.arena.extend_from_slice(v);
            d.spans.push((start, start + f.len(), d.arena.len()));
        }
        d
    }
}

impl fmt::Debug for Listpack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut m = f.debug_map();
        let mut it = self.iter();
        while let Some((k, v)) = it.next_pair() {
            m.entry(&k.escape_ascii().to_string(), &v.escape_ascii().to_string());
        }
        m.finish()
    }
}

/// Lending iterator over a listpack's pairs (a rebuilt field lives in the iterator).
pub struct Iter<'a> {
    buf: &'a [u8],
    pos: usize,
    /// Two halves of `FRONT_MAX` bytes: the first `FRONT_MAX` bytes of the current field at
    /// `cur`, those of the previous field in the other half.
    scratch: [u8; 2 * FRONT_MAX],
    cur: usize,
    cur_len: usize,
    prev_len: usize,
}

impl<'a> Iter<'a> {
    /// Decodes the next entry and rebuilds its field's first `FRONT_MAX` bytes in the other
    /// half of the scratch buffer (the current one becomes the previous field).
    fn advance(&mut self) -> Option<Raw<'a>> {
        let e = decode(self.buf, self.pos)?;
        self.pos = e.end;
        let old = self.cur;
        let new = FRONT_MAX - old;
        let shared = e.shared.min(self.cur_len).min(FRONT_MAX);
        self.scratch.copy_within(old..old + shared, new);
        let take = e.suffix.len().min(FRONT_MAX - shared);
        self.scratch[new + shared..new + shared + take].copy_from_slice(&e.suffix[..take]);
        self.prev_len = self.cur_len;
        self.cur_len = shared + e.suffix.len();
        self.cur = new;
        Some(e)
    }

    /// The field of `e`, the entry `advance` just returned.
    fn field<'s>(&'s self, e: &Raw<'a>) -> &'s [u8] {
        if e.shared == 0 {
            e.suffix
        } else {
            // Coded fields are at most FRONT_MAX bytes, so the scratch holds all of it.
            &self.scratch[self.cur..self.cur + self.cur_len.min(FRONT_MAX)]
        }
    }

    /// The first `FRONT_MAX` bytes of the field before the current one.
    fn prev_prefix(&self) -> &[u8] {
        let at = FRONT_MAX - self.cur;
        &self.scratch[at..at + self.prev_len.min(FRONT_MAX)]
    }

    /// The next pair; the field borrows the iterator, the value the listpack.
    pub fn next_pair(&mut self) -> Option<(&[u8], &'a [u8])> {
        let e = self.advance()?;
        Some((self.field(&e), e.value))
    }
}

/// A listpack's pairs decoded for random access. See [`Listpack::decode_all`].
pub struct Decoded {
    arena: Vec<u8>,
    /// (field start, value start = field end, value end) in `arena`.
    spans: Vec<(usize, usize, usize)>,
}

impl Decoded {
    pub fn get(&self, i: usize) -> Option<(&[u8], &[u8])> {
        let &(a, b, c) = self.spans.get(i)?;
        Some((self.arena.get(a..b)?, self.arena.get(b..c)?))
    }
}

/// The canonical `shared` for a field of `len` bytes whose common prefix with the previous
/// field is `lcp` bytes.
fn shared_len(len: usize, lcp: usize) -> usize {
    if len <= FRONT_MAX && lcp >= MIN_SHARED {
        lcp
    } else {
        0
    }
}

/// Length of the common prefix of `a` and `b`, eight bytes at a time.
#[inline]
fn lcp(a: &[u8], b: &[u8]) -> usize {
    let mut i = 0;
    for (x, y) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        let (Ok(x), Ok(y)) = (<[u8; 8]>::try_from(x), <[u8; 8]>::try_from(y)) else {
            break;
        };
        let diff = u64::from_le_bytes(x) ^ u64::from_le_bytes(y);
        if diff != 0 {
            return i + (diff.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    let tail = a.get(i..).unwrap_or_default().iter();
    i + tail
        .zip(b.get(i..).unwrap_or_default())
        .take_while(|(x, y)| x == y)
        .count()
}

/// Field header: `varint(suffix_len << 1 | coded)` then `varint(shared)` when coded.
fn field_header(suffix_len: usize, shared: usize, out: &mut [u8; 2 * MAX_VARINT]) -> &[u8] {
    let mut n = put_varint(out, 0, suffix_len << 1 | usize::from(shared > 0));
    if shared > 0 {
        n = put_varint(out, n, shared);
    }
    &out[..n]
}

fn encode_varint(v: usize, out: &mut [u8; MAX_VARINT]) -> &[u8] {
    let n = put_varint(out, 0, v);
    &out[..n]
}

/// Writes `v` as LEB128 at `out[at..]` (room for `MAX_VARINT` bytes); returns the end.
fn put_varint(out: &mut [u8], mut at: usize, mut v: usize) -> usize {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out[at] = byte;
            return at + 1;
        }
        out[at] = byte | 0x80;
        at += 1;
    }
}

#[inline(always)]
fn read_varint(buf: &[u8], pos: &mut usize) -> Option<usize> {
    // Lengths below 128 (every default listpack length) take one byte.
    let byte = *buf.get(*pos)?;
    *pos += 1;
    if byte < 0x80 {
        return Some(usize::from(byte));
    }
    read_varint_tail(buf, pos, byte)
}

#[cold]
fn read_varint_tail(buf: &[u8], pos: &mut usize, first: u8) -> Option<usize> {
    let mut v = usize::from(first & 0x7f);
    for shift in (7..64).step_by(7) {
        let byte = *buf.get(*pos)?;
        *pos += 1;
        v |= usize::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

/// The entry starting at `start`, or `None` at the end of the block.
#[inline(always)]
fn decode(buf: &[u8], start: usize) -> Option<Raw<'_>> {
    let mut pos = start;
    let head = read_varint(buf, &mut pos)?;
    let shared = if head & 1 == 1 {
        read_varint(buf, &mut pos)?
    } else {
        0
    };
    let suffix = buf.get(pos..pos.checked_add(head >> 1)?)?;
    pos += suffix.len();
    let field_end = pos;
    let vlen = read_varint(buf, &mut pos)?;
    let value = buf.get(pos..pos.checked_add(vlen)?)?;
    pos += vlen;
    Some(Raw {
        start,
        shared,
        suffix,
        field_end,
        value,
        end: pos,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::{RngExt, SeedableRng};

    /// Pairs in order, via the lending iterator.
    fn pairs(lp: &Listpack) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut out = Vec::new();
        let mut it = lp.iter();
        while let Some((k, v)) = it.next_pair() {
            out.push((k.to_vec(), v.to_vec()));
        }
        out
    }

    /// A listpack built by appending `model`'s pairs in order: the canonical encoding.
    fn rebuilt(model: &[(Vec<u8>, Vec<u8>)]) -> Listpack {
        let mut lp = Listpack::new();
        for (k, v) in model {
            assert!(lp.insert(k, v));
        }
        lp
    }

    fn check(lp: &Listpack, model: &[(Vec<u8>, Vec<u8>)]) {
        assert_eq!(lp.len(), model.len());
        assert_eq!(pairs(lp), model);
        for (k, v) in model {
            assert_eq!(
                lp.get(k),
                Some(&v[..]),
                "{:?}",
                k.escape_ascii().to_string()
            );
        }
        // Whatever the history, the block is the canonical encoding of its pairs.
        assert_eq!(lp.buf, rebuilt(model).buf);
        let d = lp.decode_all();
        for (i, (k, v)) in model.iter().enumerate() {
            assert_eq!(d.get(i), Some((&k[..], &v[..])));
        }
        assert!(d.get(model.len()).is_none());
    }

    fn random_field(rng: &mut StdRng) -> Vec<u8> {
        match rng.random_range(0..6) {
            // Shared prefixes of every length, including one field being a prefix of another.
            0 => format!("field:{}", rng.random_range(0..40)).into_bytes(),
            1 => format!("f{}", rng.random_range(0..30)).into_bytes(),
            2 => {
                let n = rng.random_range(0..4);
                vec![b'a'; n]
            }
            // Binary, including NUL and bytes with the high bit set.
            3 => (0..rng.random_range(0..6))
                .map(|_| rng.random_range(0..4u8) * 0x55)
                .collect(),
            // Around and past FRONT_MAX, with long common prefixes.
            4 => {
                let n = rng.random_range(FRONT_MAX - 3..FRONT_MAX + 80);
                let mut f = vec![b'p'; n];
                if let Some(last) = f.last_mut() {
                    *last = rng.random_range(b'0'..b'4');
                }
                f
            }
            _ => {
                let n = rng.random_range(0..200);
                (0..n).map(|_| rng.random()).collect()
            }
        }
    }

    fn random_value(rng: &mut StdRng) -> Vec<u8> {
        match rng.random_range(0..4) {
            0 => rng.random_range(-1000i64..100_000).to_string().into_bytes(),
            1 => Vec::new(),
            2 => (0..rng.random_range(0..300))
                .map(|_| rng.random())
                .collect(),
            _ => vec![0u8; rng.random_range(126..131)],
        }
    }

    #[test]
    fn model_checked_insert_update_remove() {
        let mut rng = StdRng::seed_from_u64(7);
        for round in 0..40 {
            let mut lp = Listpack::new();
            let mut model: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
            for step in 0..300 {
                let op = rng.random_range(0..10);
                let field = if op < 6 && !model.is_empty() && rng.random_bool(0.5) {
                    model[rng.random_range(0..model.len())].0.clone()
                } else {
                    random_field(&mut rng)
                };
                if op < 6 {
                    let value = random_value(&mut rng);
                    let pos = model.iter().position(|(k, _)| *k == field);
                    assert_eq!(lp.insert(&field, &value), pos.is_none());
                    match pos {
                        Some(i) => model[i].1 = value,
                        None => model.push((field, value)),
                    }
                } else {
                    let pos = model.iter().position(|(k, _)| *k == field);
                    assert_eq!(
                        lp.remove(&field),
                        pos.is_some(),
                        "round {round} step {step}"
                    );
                    if let Some(i) = pos {
                        model.remove(i);
                    }
                    assert!(lp.get(&field).is_none());
                }
                if step % 10 == 0 {
                    check(&lp, &model);
                }
            }
            check(&lp, &model);
            while let Some((k, _)) = model.first().cloned() {
                assert!(lp.remove(&k));
                model.remove(0);
                assert_eq!(pairs(&lp), model);
            }
            assert_eq!(lp.bytes(), 0, "an empty listpack holds no allocation");
        }
    }

    #[test]
    fn front_coding_sizes() {
        let mut lp = Listpack::new();
        for i in 0..10 {
            lp.insert(format!("field:{i}").as_bytes(), b"v0000001");
        }
        // count 4 + first pair 1+7+1+8 + nine pairs (1+1+1)+(1+8).
        assert_eq!(lp.bytes(), 4 + 17 + 9 * 12);
        assert_eq!(lp.get(b"field:7"), Some(&b"v0000001"[..]));
        assert_eq!(lp.get(b"field:"), None);
        assert_eq!(lp.get(b"field:77"), None);
        assert_eq!(lp.get(b""), None);
        // Removing the first pair re-encodes the second in full.
        assert!(lp.remove(b"field:0"));
        assert_eq!(lp.bytes(), 4 + 17 + 8 * 12);
        assert_eq!(pairs(&lp)[0].0, b"field:1");
        // Unrelated names cost one byte of header each, as in a Redis listpack.
        let mut lp = Listpack::new();
        lp.insert(b"name", b"x");
        lp.insert(b"email", b"y");
        assert_eq!(lp.bytes(), 4 + (1 + 4 + 1 + 1) + (1 + 5 + 1 + 1));
    }

    #[test]
    fn empty_fields_values_and_prefix_fields() {
        let mut lp = Listpack::new();
        assert!(lp.insert(b"", b""));
        assert!(lp.insert(b"abc", b"1"));
        assert!(lp.insert(b"ab", b"2"));
        assert!(lp.insert(b"abcd", b"3"));
        assert!(!lp.insert(b"", b"empty"));
        assert_eq!(lp.get(b""), Some(&b"empty"[..]));
        assert_eq!(lp.get(b"a"), None);
        assert_eq!(lp.get(b"abcde"), None);
        assert!(lp.remove(b"ab"));
        let want: Vec<(Vec<u8>, Vec<u8>)> = vec![
            (b"".to_vec(), b"empty".to_vec()),
            (b"abc".to_vec(), b"1".to_vec()),
            (b"abcd".to_vec(), b"3".to_vec()),
        ];
        check(&lp, &want);
    }

    #[test]
    fn same_size_update_is_in_place() {
        let mut lp = Listpack::new();
        lp.insert(b"counter", b"100");
        lp.insert(b"other", b"x");
        let before = lp.buf.as_ptr();
        assert!(!lp.insert(b"counter", b"101"));
        assert_eq!(lp.buf.as_ptr(), before);
        assert_eq!(lp.get(b"counter"), Some(&b"101"[..]));
        // Longer and shorter values splice.
        lp.insert(b"counter", &[b'9'; 100]);
        assert_eq!(lp.get(b"counter"), Some(&[b'9'; 100][..]));
        assert_eq!(lp.get(b"other"), Some(&b"x"[..]));
        lp.insert(b"counter", b"1");
        assert_eq!(lp.bytes(), 4 + (1 + 7 + 1 + 1) + (1 + 5 + 1 + 1));
    }

    #[test]
    fn varints_round_trip() {
        for v in [0usize, 1, 127, 128, 300, 16_383, 16_384, usize::MAX] {
            let mut buf = [0u8; MAX_VARINT];
            let enc = encode_varint(v, &mut buf).to_vec();
            let mut pos = 0;
            assert_eq!(read_varint(&enc, &mut pos), Some(v));
            assert_eq!(pos, enc.len());
        }
        let mut pos = 0;
        assert_eq!(read_varint(&[0x80], &mut pos), None);
        let mut head = [0u8; 2 * MAX_VARINT];
        assert_eq!(field_header(200, 300, &mut head), [0x91, 0x03, 0xac, 0x02]);
        assert_eq!(field_header(3, 0, &mut head), [6]);
    }

    #[test]
    fn decode_rejects_truncated_blocks() {
        let mut lp = Listpack::new();
        lp.insert(b"field", b"value");
        for cut in HEADER..lp.bytes() {
            assert!(decode(&lp.buf[..cut], HEADER).is_none(), "cut at {cut}");
        }
        let mut rng = StdRng::seed_from_u64(3);
        // Garbage never panics the decoder or the iterator.
        for _ in 0..2000 {
            let n = rng.random_range(0..40);
            let buf: Vec<u8> = (0..n).map(|_| rng.random()).collect();
            let lp = Listpack {
                buf: buf.into_boxed_slice(),
            };
            let _ = pairs(&lp);
            let _ = lp.get(b"field");
        }
    }
}
