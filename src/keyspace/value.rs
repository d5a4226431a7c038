//! Stored values: strings (int-encoded or bytes) and hashes (small vec or hash table).
//!
//! Follows redis src/object.c (string encodings), src/t_string.c and src/t_hash.c ("Hash type
//! API" layer). Encodings and their `OBJECT ENCODING` names:
//! - `StrValue::Int`: `int`. Only for the canonical decimal form of an i64 (`util::parse_i64`),
//!   so the string prints back byte for byte.
//! - `StrValue::Bytes`: `embstr` when at most 44 bytes and never modified in place, else `raw`
//!   (APPEND/SETRANGE results are `raw` at any length, as in Redis).
//! - `HashValue::Listpack`: `listpack`. A `Vec` of pairs, linear search, insertion order kept
//!   (like a listpack) while entries ≤ `hash-max-listpack-entries` and every field and value is
//!   ≤ `hash-max-listpack-value` bytes. Converts once to `Table` past either limit, never back.
//! - `HashValue::Table`: `hashtable`. An `IndexMap` with `swap_remove`, so fields can be sampled
//!   uniformly (HRANDFIELD) and scanned with a stable cursor (HSCAN), like the keyspace.

use indexmap::IndexMap;
use rand::{Rng, RngExt};

use super::bytes::CompactBytes;
use super::scan_step;
use crate::util::{MAX_I64_DIGITS, format_i64, i64_len, parse_i64};

/// Strings up to this length are created as `embstr` (Redis `OBJ_ENCODING_EMBSTR_SIZE_LIMIT`).
pub const EMBSTR_SIZE_LIMIT: usize = 44;

type FieldMap = IndexMap<CompactBytes, CompactBytes, foldhash::fast::RandomState>;

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

/// A hash value. See the module docs for the two encodings.
#[derive(Clone, Debug)]
pub enum HashValue {
    Listpack(Vec<(CompactBytes, CompactBytes)>),
    Table(FieldMap),
}

impl Default for HashValue {
    fn default() -> Self {
        HashValue::Listpack(Vec::new())
    }
}

impl HashValue {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        match self {
            HashValue::Listpack(v) => v.len(),
            HashValue::Table(m) => m.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// HGET. Linear scan for listpack (≤ 128 short fields: cheaper than hashing).
    pub fn get(&self, field: &[u8]) -> Option<&CompactBytes> {
        match self {
            HashValue::Listpack(v) => v.iter().find(|(f, _)| f.as_bytes() == field).map(|p| &p.1),
            HashValue::Table(m) => m.get(field),
        }
    }

    pub fn contains(&self, field: &[u8]) -> bool {
        self.get(field).is_some()
    }

    /// HSET one pair (Redis `hashTypeSet`). Returns true when the field is new. Converts to a
    /// table first when `field` or `value` exceeds the listpack value limit, and after the insert
    /// when the entry count exceeds the listpack entry limit.
    pub fn insert(&mut self, field: &[u8], value: &[u8], limits: HashLimits) -> bool {
        if let HashValue::Listpack(_) = self
            && (field.len() > limits.max_listpack_value || value.len() > limits.max_listpack_value)
        {
            self.convert_to_table();
        }
        let created = match self {
            HashValue::Listpack(v) => {
                if let Some(slot) = v.iter_mut().find(|(f, _)| f.as_bytes() == field) {
                    slot.1 = CompactBytes::from_slice(value);
                    false
                } else {
                    v.push((
                        CompactBytes::from_slice(field),
                        CompactBytes::from_slice(value),
                    ));
                    true
                }
            }
            HashValue::Table(m) => {
                if let Some(slot) = m.get_mut(field) {
                    *slot = CompactBytes::from_slice(value);
                    false
                } else {
                    m.insert(
                        CompactBytes::from_slice(field),
                        CompactBytes::from_slice(value),
                    );
                    true
                }
            }
        };
        if let HashValue::Listpack(v) = self
            && v.len() > limits.max_listpack_entries
        {
            self.convert_to_table();
        }
        created
    }

    /// HDEL one field. Returns true if it existed. Listpack removal keeps order (as a listpack
    /// does); table removal is `swap_remove`, which the HSCAN cursor relies on.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match self {
            HashValue::Listpack(v) => match v.iter().position(|(f, _)| f.as_bytes() == field) {
                Some(i) => {
                    v.remove(i);
                    true
                }
                None => false,
            },
            HashValue::Table(m) => m.swap_remove(field).is_some(),
        }
    }

    fn convert_to_table(&mut self) {
        if let HashValue::Listpack(v) = self {
            let mut m = FieldMap::with_capacity_and_hasher(v.len() + 1, Default::default());
            m.extend(std::mem::take(v));
            *self = HashValue::Table(m);
        }
    }

    /// Pair at position `i` (insertion order for listpack, table index for tables).
    pub fn get_index(&self, i: usize) -> Option<(&CompactBytes, &CompactBytes)> {
        match self {
            HashValue::Listpack(v) => v.get(i).map(|(f, val)| (f, val)),
            HashValue::Table(m) => m.get_index(i),
        }
    }

    /// All pairs (HGETALL/HKEYS/HVALS, AOF rewrite).
    pub fn iter(&self) -> impl Iterator<Item = (&CompactBytes, &CompactBytes)> {
        let (a, b) = match self {
            HashValue::Listpack(v) => (Some(v.iter().map(|(f, val)| (f, val))), None),
            HashValue::Table(m) => (None, Some(m.iter())),
        };
        a.into_iter().flatten().chain(b.into_iter().flatten())
    }

    /// One uniformly random pair (HRANDFIELD without count).
    pub fn random_field(&self, rng: &mut impl Rng) -> Option<(&CompactBytes, &CompactBytes)> {
        if self.is_empty() {
            return None;
        }
        self.get_index(rng.random_range(0..self.len()))
    }

    /// HRANDFIELD with a count (Redis `hrandfieldWithCountCommand`): `count >= 0` yields
    /// min(count, len) distinct fields (the whole hash, in order, when count ≥ len); `count < 0`
    /// yields |count| independent picks that may repeat. The caller bounds |count| (Redis
    /// rejects values that would overflow with WITHVALUES).
    pub fn random_fields(
        &self,
        count: i64,
        rng: &mut impl Rng,
        mut f: impl FnMut(&CompactBytes, &CompactBytes),
    ) {
        let len = self.len();
        if len == 0 || count == 0 {
            return;
        }
        let pick = |i: usize| self.get_index(i);
        if count < 0 {
            for _ in 0..count.unsigned_abs() {
                if let Some((k, v)) = pick(rng.random_range(0..len)) {
                    f(k, v);
                }
            }
            return;
        }
        let count = usize::try_from(count).unwrap_or(usize::MAX);
        if count >= len {
            for (k, v) in self.iter() {
                f(k, v);
            }
            return;
        }
        for i in rand::seq::index::sample(rng, len, count) {
            if let Some((k, v)) = pick(i) {
                f(k, v);
            }
        }
    }

    /// HSCAN. A listpack is returned whole with cursor 0, as Redis does. A table is walked from
    /// the highest index down: insertions append above the cursor and `swap_remove` only moves
    /// the last (already visited) pair down, so every field present for the whole scan is
    /// returned at least once. Returns the next cursor (0 = done).
    pub fn scan(
        &self,
        cursor: u64,
        count: usize,
        mut f: impl FnMut(&CompactBytes, &CompactBytes),
    ) -> u64 {
        match self {
            HashValue::Listpack(v) => {
                for (k, val) in v {
                    f(k, val);
                }
                0
            }
            HashValue::Table(m) => {
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

    /// `OBJECT ENCODING` name.
    pub fn encoding(&self) -> &'static str {
        match self {
            HashValue::Listpack(_) => "listpack",
            HashValue::Table(_) => "hashtable",
        }
    }

    /// Approximate heap bytes, including the pair storage and each field's and value's own
    /// heap allocation. Tables count their entry vector (hash + pair) and index slots.
    pub fn heap_size(&self) -> usize {
        let pair = std::mem::size_of::<(CompactBytes, CompactBytes)>();
        let slots = match self {
            HashValue::Listpack(v) => v.capacity() * pair,
            // Entry vector (hash + pair) plus an index slot (8 bytes + control byte, ~7/8 load).
            HashValue::Table(m) => m.capacity() * (pair + 8 + 10),
        };
        slots
            + self
                .iter()
                .map(|(k, v)| k.heap_size() + v.heap_size())
                .sum::<usize>()
    }
}

/// A stored value.
#[derive(Clone, Debug)]
pub enum Value {
    Str(StrValue),
    /// Boxed so that `Value` (and so every entry) stays 24 bytes.
    Hash(Box<HashValue>),
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
        Value::Hash(Box::default())
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
            Value::Hash(h) => std::mem::size_of::<HashValue>() + h.heap_size(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;
    use std::collections::HashSet;

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
        assert_eq!(h.get(b"f0").map(|v| v.as_bytes()), Some(&b"w"[..]));

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
        let order: Vec<&[u8]> = h.iter().map(|(k, _)| k.as_bytes()).collect();
        assert_eq!(order, [&b"a"[..], b"c", b"d"]);
    }

    #[test]
    fn random_fields_semantics() {
        let limits = HashLimits::default();
        let mut rng = StdRng::seed_from_u64(5);
        for n in [3usize, 50, 500] {
            let mut h = HashValue::new();
            for i in 0..n {
                h.insert(format!("f{i}").as_bytes(), b"v", limits);
            }
            for count in [1i64, 2, 10, 100, 1000] {
                let mut seen = HashSet::new();
                let mut got = 0;
                h.random_fields(count, &mut rng, |k, _| {
                    seen.insert(k.clone());
                    got += 1;
                });
                let want = (count as usize).min(n);
                assert_eq!(got, want);
                assert_eq!(seen.len(), want, "distinct for positive count");
            }
            let mut got = 0;
            let mut seen = HashSet::new();
            h.random_fields(-2000, &mut rng, |k, _| {
                got += 1;
                seen.insert(k.clone());
            });
            assert_eq!(got, 2000);
            assert!(seen.len() < 2000, "negative count repeats");
            assert!(h.random_field(&mut rng).is_some());
        }
        assert!(HashValue::new().random_field(&mut rng).is_none());
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
