//! Stored values: strings (int-encoded or bytes) and hashes (small vec or hash table).
//!
//! Follows redis src/object.c (string encodings), src/t_string.c and src/t_hash.c ("Hash type
//! API" layer). Encodings and their `OBJECT ENCODING` names:
//! - `StrValue::Int`: `int`. Only for the canonical decimal form of an i64 (`util::parse_i64`),
//!   so the string prints back byte for byte.
//! - `StrValue::Bytes`: `embstr` when at most 44 bytes and never modified in place, else `raw`
//!   (APPEND/SETRANGE results are `raw` at any length, as in Redis).
//! - Hash `listpack`: a [`Listpack`] (see [`listpack`]): all pairs in one exact-size block,
//!   front-coded fields, linear search, insertion order kept, while entries ≤
//!   `hash-max-listpack-entries` and every field and value is ≤ `hash-max-listpack-value` bytes.
//!   Converts once to a table past either limit, never back.
//! - Hash `hashtable`: a boxed [`KeyTable`](super::table::KeyTable) (the same incrementally
//!   resized table as the keyspace's) with `swap_remove`, so fields can be sampled
//!   uniformly (HRANDFIELD) and scanned with a stable cursor (HSCAN), like the keyspace.
//!
//! Both hash encodings hand out fields and values as `&[u8]`; a listpack's fields may be
//! rebuilt, so iteration is a lending [`HashIter`] and sampling takes callbacks.

use rand::{Rng, RngExt};

use super::bytes::CompactBytes;
use super::listpack::{self, Listpack};
use super::scan_step;
use crate::util::{MAX_I64_DIGITS, format_i64, i64_len, parse_i64};

/// Strings up to this length are created as `embstr` (Redis `OBJ_ENCODING_EMBSTR_SIZE_LIMIT`).
pub const EMBSTR_SIZE_LIMIT: usize = 44;

type FieldMap = super::table::KeyTable<CompactBytes>;

/// A string value.
#[derive(Clone, Debug, PartialEq)]
pub enum StrValue {
    Int(i64),
    Bytes(CompactBytes),
}

impl StrValue {
    /// Stores `b`, int-encoded when it is the canonical form of an i64 (Redis
    /// `tryObjectEncoding`).
    pub fn from_bytes(b: &[u8]) -> Self {
        if b.len() <= MAX_I64_DIGITS
            && let Some(v) = parse_i64(b)
        {
            return StrValue::Int(v);
        }
        StrValue::Bytes(CompactBytes::from_slice(b))
    }

    /// Stores exactly these bytes, never int-encoded (Redis `createStringObject` without
    /// `tryObjectEncoding`): INCRBYFLOAT's result "3000" is `embstr` in Redis, not `int`.
    pub fn verbatim(b: &[u8]) -> Self {
        StrValue::Bytes(CompactBytes::from_slice(b))
    }

    /// Like [`from_bytes`](Self::from_bytes) but reuses `v`'s allocation for long strings.
    pub fn from_vec(v: Vec<u8>) -> Self {
        if v.len() <= MAX_I64_DIGITS
            && let Some(i) = parse_i64(&v)
        {
            return StrValue::Int(i);
        }
        StrValue::Bytes(CompactBytes::from_vec(v))
    }

    /// The bytes; int-encoded values are formatted into `buf` (no allocation).
    #[inline]
    pub fn as_bytes<'a>(&'a self, buf: &'a mut [u8; MAX_I64_DIGITS]) -> &'a [u8] {
        match self {
            StrValue::Int(v) => format_i64(*v, buf),
            StrValue::Bytes(b) => b.as_bytes(),
        }
    }

    /// Appends the bytes to `out`.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        let mut buf = [0u8; MAX_I64_DIGITS];
        out.extend_from_slice(self.as_bytes(&mut buf));
    }

    /// Byte length (STRLEN).
    pub fn len(&self) -> usize {
        match self {
            StrValue::Int(v) => i64_len(*v),
            StrValue::Bytes(b) => b.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The integer value, as INCR/DECR read it (Redis `getLongLongFromObject`: int encoding, or
    /// bytes that pass `string2ll`).
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            StrValue::Int(v) => Some(*v),
            StrValue::Bytes(b) => parse_i64(b),
        }
    }

    /// APPEND: converts to a growable `raw` string and appends. Returns the new length. The
    /// caller checks the result against `proto-max-bulk-len` first.
    pub fn append(&mut self, tail: &[u8]) -> usize {
        self.bytes_mut().append(tail);
        self.len()
    }

    /// SETRANGE: writes `data` at `offset`, zero-padding. Returns the new length. Redis leaves
    /// the value untouched when `data` is empty; so does this.
    pub fn set_range(&mut self, offset: usize, data: &[u8]) -> usize {
        if !data.is_empty() {
            self.bytes_mut().set_range(offset, data);
        }
        self.len()
    }

    /// The value as a byte string, converting an int first (Redis `dbUnshareStringValue`).
    pub fn bytes_mut(&mut self) -> &mut CompactBytes {
        if let StrValue::Int(v) = *self {
            let mut buf = [0u8; MAX_I64_DIGITS];
            *self = StrValue::Bytes(CompactBytes::from_slice(format_i64(v, &mut buf)));
        }
        match self {
            StrValue::Bytes(b) => b,
            StrValue::Int(_) => {
                // Replaced just above; an empty string keeps this arm total without panicking.
                *self = StrValue::Bytes(CompactBytes::new());
                self.bytes_mut()
            }
        }
    }

    /// `OBJECT ENCODING` name.
    pub fn encoding(&self) -> &'static str {
        match self {
            StrValue::Int(_) => "int",
            StrValue::Bytes(b) if b.is_growable() || b.len() > EMBSTR_SIZE_LIMIT => "raw",
            StrValue::Bytes(_) => "embstr",
        }
    }

    /// Heap bytes owned outside the entry slot.
    pub fn heap_size(&self) -> usize {
        match self {
            StrValue::Int(_) => 0,
            StrValue::Bytes(b) => b.heap_size(),
        }
    }
}

/// `hash-max-listpack-entries` and `hash-max-listpack-value`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HashLimits {
    pub max_listpack_entries: usize,
    pub max_listpack_value: usize,
}

impl Default for HashLimits {
    fn default() -> Self {
        HashLimits {
            max_listpack_entries: 128,
            max_listpack_value: 64,
        }
    }
}

/// A hash value. See the module docs for the two encodings. 16 bytes, so `Value` stays 24.
#[derive(Clone, Debug, Default)]
pub struct HashValue(HashRepr);

#[derive(Clone, Debug)]
enum HashRepr {
    Listpack(Listpack),
    Table(Box<FieldMap>),
}

impl Default for HashRepr {
    fn default() -> Self {
        HashRepr::Listpack(Listpack::new())
    }
}

const _: () = assert!(std::mem::size_of::<HashValue>() == 16);

/// Lending iterator over a hash's pairs: `while let Some((field, value)) = it.next_pair()`.
/// (A listpack rebuilds front-coded fields inside the iterator, so fields borrow it.)
pub struct HashIter<'a>(IterRepr<'a>);

enum IterRepr<'a> {
    Listpack(listpack::Iter<'a>),
    Table(super::table::Iter<'a, CompactBytes>),
}

impl<'a> HashIter<'a> {
    pub fn next_pair(&mut self) -> Option<(&[u8], &'a [u8])> {
        match &mut self.0 {
            IterRepr::Listpack(it) => it.next_pair(),
            IterRepr::Table(it) => it.next().map(|(k, v)| (k.as_bytes(), v.as_bytes())),
        }
    }
}

/// O(1) access by position, for random sampling: a table is indexed as is, a listpack is
/// decoded once.
enum Positional<'a> {
    Decoded(listpack::Decoded),
    Table(&'a FieldMap),
}

impl Positional<'_> {
    fn get(&self, i: usize) -> Option<(&[u8], &[u8])> {
        match self {
            Positional::Decoded(d) => d.get(i),
            Positional::Table(m) => m.get_index(i).map(|(k, v)| (k.as_bytes(), v.as_bytes())),
        }
    }
}

impl HashValue {
    /// An empty listpack-encoded hash (no allocation until the first insert).
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        match &self.0 {
            HashRepr::Listpack(lp) => lp.len(),
            HashRepr::Table(m) => m.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// HGET. Linear scan for listpack (≤ 128 short fields: cheaper than hashing).
    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        match &self.0 {
            HashRepr::Listpack(lp) => lp.get(field),
            HashRepr::Table(m) => m.get(field).map(CompactBytes::as_bytes),
        }
    }

    pub fn contains(&self, field: &[u8]) -> bool {
        self.get(field).is_some()
    }

    /// HSET one pair (Redis `hashTypeSet`). Returns true when the field is new. Converts to a
    /// table first when `field` or `value` exceeds the listpack value limit (or the listpack
    /// would pass its 1 GiB safety size), and after the insert when the entry count exceeds
    /// the listpack entry limit.
    pub fn insert(&mut self, field: &[u8], value: &[u8], limits: HashLimits) -> bool {
        if let HashRepr::Listpack(lp) = &self.0
            && (field.len() > limits.max_listpack_value
                || value.len() > limits.max_listpack_value
                || lp.bytes() + field.len() + value.len() + listpack::PAIR_OVERHEAD
                    > listpack::MAX_BYTES)
        {
            self.convert_to_table();
        }
        let created = match &mut self.0 {
            HashRepr::Listpack(lp) => lp.insert(field, value),
            HashRepr::Table(m) => {
                // One hash for the probe and, if absent, the insert.
                let hash = m.hash(field);
                if let Some(pos) = m.find_hashed(hash, field)
                    && let Some((_, slot)) = m.get_index_mut(pos)
                {
                    *slot = CompactBytes::from_slice(value);
                    false
                } else {
                    m.push(
                        hash,
                        CompactBytes::from_slice(field),
                        CompactBytes::from_slice(value),
                    );
                    true
                }
            }
        };
        if let HashRepr::Listpack(lp) = &self.0
            && lp.len() > limits.max_listpack_entries
        {
            self.convert_to_table();
        }
        created
    }

    /// HDEL one field. Returns true if it existed. Listpack removal keeps order (as a listpack
    /// does); table removal is `swap_remove`, which the HSCAN cursor relies on.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match &mut self.0 {
            HashRepr::Listpack(lp) => lp.remove(field),
            HashRepr::Table(m) => m.swap_remove(field).is_some(),
        }
    }

    fn convert_to_table(&mut self) {
        if let HashRepr::Listpack(lp) = &self.0 {
            let mut m = FieldMap::with_capacity(lp.len() + 1);
            let mut it = lp.iter();
            while let Some((k, v)) = it.next_pair() {
                // Listpack fields are distinct.
                let hash = m.hash(k);
                m.push(
                    hash,
                    CompactBytes::from_slice(k),
                    CompactBytes::from_slice(v),
                );
            }
            self.0 = HashRepr::Table(Box::new(m));
        }
    }

    /// All pairs (HGETALL/HKEYS/HVALS, AOF rewrite): insertion order for a listpack, table
    /// order for a table.
    pub fn iter(&self) -> HashIter<'_> {
        HashIter(match &self.0 {
            HashRepr::Listpack(lp) => IterRepr::Listpack(lp.iter()),
            HashRepr::Table(m) => IterRepr::Table(m.iter()),
        })
    }

    /// Calls `f` on every pair, in [`iter`](Self::iter) order.
    pub fn for_each(&self, mut f: impl FnMut(&[u8], &[u8])) {
        let mut it = self.iter();
        while let Some((k, v)) = it.next_pair() {
            f(k, v);
        }
    }

    fn positional(&self) -> Positional<'_> {
        match &self.0 {
            HashRepr::Listpack(lp) => Positional::Decoded(lp.decode_all()),
            HashRepr::Table(m) => Positional::Table(m),
        }
    }

    /// One uniformly random pair, passed to `f` (HRANDFIELD without count). Returns false,
    /// without calling `f`, when the hash is empty.
    pub fn random_field(&self, rng: &mut impl Rng, f: impl FnOnce(&[u8], &[u8])) -> bool {
        if self.is_empty() {
            return false;
        }
        let i = rng.random_range(0..self.len());
        match &self.0 {
            HashRepr::Listpack(lp) => {
                let mut it = lp.iter();
                for _ in 0..i {
                    it.next_pair();
                }
                match it.next_pair() {
                    Some((k, v)) => f(k, v),
                    None => return false,
                }
            }
            HashRepr::Table(m) => match m.get_index(i) {
                Some((k, v)) => f(k, v),
                None => return false,
            },
        }
        true
    }

    /// HRANDFIELD with a count (Redis `hrandfieldWithCountCommand`): `count >= 0` yields
    /// min(count, len) distinct fields (the whole hash, in order, when count ≥ len); `count < 0`
    /// yields |count| independent picks that may repeat. `f` returns false to stop early (the
    /// reply outgrew the client's limit); then so does this. The caller bounds |count| (Redis
    /// rejects values that would overflow with WITHVALUES).
    pub fn random_fields(
        &self,
        count: i64,
        rng: &mut impl Rng,
        mut f: impl FnMut(&[u8], &[u8]) -> bool,
    ) -> bool {
        let len = self.len();
        if len == 0 || count == 0 {
            return true;
        }
        if count > 0 && usize::try_from(count).unwrap_or(usize::MAX) >= len {
            let mut it = self.iter();
            while let Some((k, v)) = it.next_pair() {
                if !f(k, v) {
                    return false;
                }
            }
            return true;
        }
        let pos = self.positional();
        let mut emit = |i: usize| pos.get(i).is_none_or(|(k, v)| f(k, v));
        if count < 0 {
            for _ in 0..count.unsigned_abs() {
                if !emit(rng.random_range(0..len)) {
                    return false;
                }
            }
        } else {
            for i in rand::seq::index::sample(rng, len, count as usize) {
                if !emit(i) {
                    return false;
                }
            }
        }
        true
    }

    /// HSCAN. A listpack is returned whole with cursor 0, as Redis does. A table is walked from
    /// the highest index down: insertions append above the cursor and `swap_remove` only moves
    /// the last (already visited) pair down, so every field present for the whole scan is
    /// returned at least once. Returns the next cursor (0 = done).
    pub fn scan(&self, cursor: u64, count: usize, mut f: impl FnMut(&[u8], &[u8])) -> u64 {
        match &self.0 {
            HashRepr::Listpack(_) => {
                self.for_each(f);
                0
            }
            HashRepr::Table(m) => {
                let (range, next) = scan_step(m.len(), cursor, count);
                for i in range.rev() {
                    if let Some((k, val)) = m.get_index(i) {
                        f(k, val);
                    }
                }
                next
            }
        }
    }

    /// MEMORY USAGE's estimate (Redis `objectComputeSize`): a listpack's block size, exact;
    /// a table's slots plus its length times the average heap size of its first `samples`
    /// pairs (all of them when the table is no longer than that).
    pub fn sampled_heap_size(&self, samples: usize) -> usize {
        let HashRepr::Table(m) = &self.0 else {
            return self.heap_size();
        };
        let n = m.len();
        if n <= samples {
            return self.heap_size();
        }
        let sampled: usize = m
            .iter()
            .take(samples)
            .map(|(f, v)| f.heap_size() + v.heap_size())
            .sum();
        std::mem::size_of::<FieldMap>() + m.table_bytes() + n * (sampled / samples.max(1))
    }

    /// `OBJECT ENCODING` name.
    pub fn encoding(&self) -> &'static str {
        match &self.0 {
            HashRepr::Listpack(_) => "listpack",
            HashRepr::Table(_) => "hashtable",
        }
    }

    /// Approximate heap bytes: the listpack block; or the table (its header, entry vector of
    /// hash + pair, index slots) plus each field's and value's own heap allocation.
    pub fn heap_size(&self) -> usize {
        match &self.0 {
            HashRepr::Listpack(lp) => lp.bytes(),
            HashRepr::Table(m) => {
                std::mem::size_of::<FieldMap>()
                    + m.table_bytes()
                    + m.iter()
                        .map(|(k, v)| k.heap_size() + v.heap_size())
                        .sum::<usize>()
            }
        }
    }
}

/// A stored value.
#[derive(Clone, Debug)]
pub enum Value {
    Str(StrValue),
    /// 16 bytes (a boxed listpack block or a boxed table), so `Value` (and so every entry)
    /// stays 24 bytes.
    Hash(HashValue),
}

const _: () = assert!(std::mem::size_of::<Value>() == 24);

impl Value {
    /// A string value from bytes, int-encoded when canonical.
    pub fn string(b: &[u8]) -> Self {
        Value::Str(StrValue::from_bytes(b))
    }

    /// A string value stored as given, never int-encoded (see [`StrValue::verbatim`]).
    pub fn string_verbatim(b: &[u8]) -> Self {
        Value::Str(StrValue::verbatim(b))
    }

    pub fn int(v: i64) -> Self {
        Value::Str(StrValue::Int(v))
    }

    pub fn empty_hash() -> Self {
        Value::Hash(HashValue::new())
    }

    /// TYPE reply.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::Hash(_) => "hash",
        }
    }

    /// OBJECT ENCODING reply.
    pub fn encoding(&self) -> &'static str {
        match self {
            Value::Str(s) => s.encoding(),
            Value::Hash(h) => h.encoding(),
        }
    }

    pub fn as_str(&self) -> Option<&StrValue> {
        match self {
            Value::Str(s) => Some(s),
            Value::Hash(_) => None,
        }
    }

    pub fn as_str_mut(&mut self) -> Option<&mut StrValue> {
        match self {
            Value::Str(s) => Some(s),
            Value::Hash(_) => None,
        }
    }

    pub fn as_hash(&self) -> Option<&HashValue> {
        match self {
            Value::Hash(h) => Some(h),
            Value::Str(_) => None,
        }
    }

    pub fn as_hash_mut(&mut self) -> Option<&mut HashValue> {
        match self {
            Value::Hash(h) => Some(h),
            Value::Str(_) => None,
        }
    }

    /// Heap bytes owned by the value outside its 24-byte slot.
    pub fn heap_size(&self) -> usize {
        match self {
            Value::Str(s) => s.heap_size(),
            Value::Hash(h) => h.heap_size(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;
    use std::collections::{HashMap, HashSet};

    #[test]
    fn int_encoding_round_trips() {
        for s in [
            "0",
            "1",
            "-1",
            "9223372036854775807",
            "-9223372036854775808",
        ] {
            let v = StrValue::from_bytes(s.as_bytes());
            assert_eq!(v.encoding(), "int", "{s}");
            let mut buf = [0; MAX_I64_DIGITS];
            assert_eq!(v.as_bytes(&mut buf), s.as_bytes());
            assert_eq!(v.len(), s.len());
        }
        for s in [
            "007",
            "+1",
            " 1",
            "1 ",
            "-0",
            "9223372036854775808",
            "1.0",
            "",
        ] {
            let v = StrValue::from_bytes(s.as_bytes());
            assert_eq!(v.encoding(), "embstr", "{s:?}");
            let mut buf = [0; MAX_I64_DIGITS];
            assert_eq!(v.as_bytes(&mut buf), s.as_bytes());
        }
        assert_eq!(StrValue::from_bytes(&[b'a'; 44]).encoding(), "embstr");
        assert_eq!(StrValue::from_bytes(&[b'a'; 45]).encoding(), "raw");
        assert_eq!(StrValue::from_vec(b"12".to_vec()), StrValue::Int(12));
        // INCRBYFLOAT results stay strings (redis-server 7.0: "3000" reports embstr).
        assert_eq!(StrValue::verbatim(b"3000").encoding(), "embstr");
    }

    #[test]
    fn append_and_setrange_make_raw() {
        let mut v = StrValue::from_bytes(b"1");
        assert_eq!(v.append(b"2"), 2);
        assert_eq!(v.encoding(), "raw");
        assert_eq!(v.as_i64(), Some(12));
        let mut v = StrValue::Int(5);
        assert_eq!(v.set_range(3, b"x"), 4);
        let mut buf = [0; MAX_I64_DIGITS];
        assert_eq!(v.as_bytes(&mut buf), b"5\0\0x");
        let mut v = StrValue::Int(5);
        assert_eq!(v.set_range(3, b""), 1);
        assert_eq!(v.encoding(), "int");
    }

    #[test]
    fn hash_conversion_thresholds() {
        let limits = HashLimits::default();
        let mut h = HashValue::new();
        for i in 0..128 {
            assert!(h.insert(format!("f{i}").as_bytes(), b"v", limits));
        }
        assert_eq!(h.encoding(), "listpack");
        assert!(!h.insert(b"f0", b"w", limits));
        assert_eq!(h.encoding(), "listpack");
        assert!(h.insert(b"f128", b"v", limits));
        assert_eq!(h.encoding(), "hashtable");
        assert_eq!(h.len(), 129);
        assert_eq!(h.get(b"f0"), Some(&b"w"[..]));

        let mut h = HashValue::new();
        h.insert(b"a", &[b'x'; 64], limits);
        assert_eq!(h.encoding(), "listpack");
        h.insert(b"b", &[b'x'; 65], limits);
        assert_eq!(h.encoding(), "hashtable");
        let mut h = HashValue::new();
        h.insert(&[b'k'; 65], b"v", limits);
        assert_eq!(h.encoding(), "hashtable");
        assert!(h.remove(&[b'k'; 65]));
        assert!(!h.remove(b"zz"));
        // Never converts back.
        assert_eq!(h.encoding(), "hashtable");
    }

    #[test]
    fn listpack_keeps_insertion_order() {
        let limits = HashLimits::default();
        let mut h = HashValue::new();
        for f in ["a", "b", "c", "d"] {
            h.insert(f.as_bytes(), b"1", limits);
        }
        h.remove(b"b");
        let mut order = Vec::new();
        h.for_each(|k, _| order.push(k.to_vec()));
        assert_eq!(order, [&b"a"[..], b"c", b"d"]);
    }

    #[test]
    fn random_fields_semantics() {
        let limits = HashLimits::default();
        let mut rng = StdRng::seed_from_u64(5);
        for n in [3usize, 50, 500] {
            let mut h = HashValue::new();
            for i in 0..n {
                h.insert(
                    format!("f{i}").as_bytes(),
                    format!("v{i}").as_bytes(),
                    limits,
                );
            }
            for count in [1i64, 2, 10, 100, 1000] {
                let mut seen = HashSet::new();
                let mut got = 0;
                assert!(h.random_fields(count, &mut rng, |k, _| {
                    seen.insert(k.to_vec());
                    got += 1;
                    true
                }));
                let want = (count as usize).min(n);
                assert_eq!(got, want);
                assert_eq!(seen.len(), want, "distinct for positive count");
            }
            let mut got = 0;
            let mut seen = HashSet::new();
            h.random_fields(-2000, &mut rng, |k, _| {
                got += 1;
                seen.insert(k.to_vec());
                true
            });
            assert_eq!(got, 2000);
            assert!(seen.len() < 2000, "negative count repeats");
            if n <= 50 {
                assert_eq!(seen.len(), n, "every field can come up");
            }
            let mut stopped_after = 0;
            assert!(!h.random_fields(-10, &mut rng, |_, _| {
                stopped_after += 1;
                stopped_after < 3
            }));
            assert_eq!(stopped_after, 3);
            let mut picked = None;
            assert!(h.random_field(&mut rng, |k, v| picked = Some((k.to_vec(), v.to_vec()))));
            let (k, v) = picked.unwrap();
            assert_eq!(h.get(&k), Some(&v[..]));
        }
        assert!(!HashValue::new().random_field(&mut rng, |_, _| unreachable!()));
    }

    /// Random HSET/HDEL against a HashMap (contents) and a Vec (listpack order), with small
    /// limits so hashes convert along the way; checks the encoding at every step.
    #[test]
    fn model_checked_hash_ops() {
        let limits = HashLimits {
            max_listpack_entries: 12,
            max_listpack_value: 16,
        };
        let mut rng = StdRng::seed_from_u64(11);
        for _ in 0..200 {
            let mut h = HashValue::new();
            let mut model: HashMap<Vec<u8>, Vec<u8>> = HashMap::new();
            let mut order: Vec<Vec<u8>> = Vec::new();
            let mut table = false;
            for _ in 0..60 {
                let field = match rng.random_range(0..4) {
                    0 => format!("field:{}", rng.random_range(0..16)).into_bytes(),
                    1 => (0..rng.random_range(0..4)).map(|_| rng.random()).collect(),
                    2 => vec![b'x'; rng.random_range(14..19)],
                    _ => format!("f{}", rng.random_range(0..8)).into_bytes(),
                };
                if rng.random_bool(0.7) {
                    let value: Vec<u8> =
                        (0..rng.random_range(0..18)).map(|_| rng.random()).collect();
                    table |= field.len() > 16 || value.len() > 16;
                    let new = !model.contains_key(&field);
                    assert_eq!(h.insert(&field, &value, limits), new);
                    if new {
                        order.push(field.clone());
                    }
                    model.insert(field, value);
                    table |= model.len() > 12;
                } else {
                    assert_eq!(h.remove(&field), model.remove(&field).is_some());
                    order.retain(|f| *f != field);
                }
                assert_eq!(h.encoding(), if table { "hashtable" } else { "listpack" });
                assert_eq!(h.len(), model.len());
                let mut seen = Vec::new();
                h.for_each(|k, v| {
                    assert_eq!(model.get(k).map(Vec::as_slice), Some(v));
                    seen.push(k.to_vec());
                });
                if !table {
                    assert_eq!(seen, order);
                }
                assert_eq!(seen.len(), model.len());
                for (k, v) in &model {
                    assert_eq!(h.get(k), Some(&v[..]));
                }
            }
        }
    }

    #[test]
    fn hscan_guarantee_under_churn() {
        let limits = HashLimits::default();
        let mut rng = StdRng::seed_from_u64(9);
        let mut h = HashValue::new();
        for i in 0..2000 {
            h.insert(format!("base{i}").as_bytes(), b"v", limits);
        }
        assert_eq!(h.encoding(), "hashtable");
        // Fields never removed must all be seen.
        let stable: HashSet<Vec<u8>> = (0..1000).map(|i| format!("base{i}").into_bytes()).collect();
        let mut seen = HashSet::new();
        let mut cursor = 0;
        let mut extra = 0u32;
        loop {
            cursor = h.scan(cursor, 10, |k, _| {
                seen.insert(k.to_vec());
            });
            for _ in 0..5 {
                if rng.random_bool(0.5) {
                    h.insert(format!("new{extra}").as_bytes(), b"v", limits);
                    extra += 1;
                } else {
                    let i = rng.random_range(1000..2000);
                    h.remove(format!("base{i}").as_bytes());
                }
            }
            if cursor == 0 {
                break;
            }
        }
        for k in &stable {
            assert!(seen.contains(k), "missed {k:?}");
        }
    }

    #[test]
    fn value_is_24_bytes_and_encodings() {
        assert_eq!(std::mem::size_of::<Value>(), 24);
        assert_eq!(Value::string(b"12").encoding(), "int");
        assert_eq!(Value::string(b"x").type_name(), "string");
        assert_eq!(Value::empty_hash().encoding(), "listpack");
        assert_eq!(Value::empty_hash().type_name(), "hash");
    }
}
