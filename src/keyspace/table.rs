//! The key table of one db: a dense vector of entries addressed by position, plus a hash index
//! from key to position that **grows and shrinks incrementally**, as Redis's dict rehashes a
//! step at a time (dict.c `_dictRehashStep`, `dictRehashMilliseconds`).
//!
//! **Why not `IndexMap`.** It has the same dense layout (which gives O(1) uniform sampling by
//! position for eviction, RANDOMKEY and active expiry, and SCAN by position), but its index
//! doubles in one go: every position is re-inserted into a table twice the size before the
//! insert that triggered it returns. Measured on release builds (`cargo bench --bench growth`):
//! a single SET stalled the server for 208 ms when a db grew past 3.67M keys and 478 ms past
//! 7.34M; redis-server's worst SET across its own growth was 3–4 ms in the same runs.
//!
//! **How it grows.** When the index is full, a new index of twice the capacity is allocated
//! empty and the full one becomes `old`. Every later insert and removal moves a few positions
//! from `old` to the new index (walking positions upwards with `cursor`), lookups move one
//! more ([`KeyTable::rehash_on_read`]), and the server cron moves more for up to a
//! millisecond per tick. Lookups probe the new index, then `old`. Invariant while rehashing:
//! every position below `cursor` is in the new index; a position at or above it may be in
//! either (new inserts always go to the new index). `swap_remove` keeps the invariant by moving
//! the relocated last entry to the new index when its new position is below `cursor`. Once
//! `old` is empty it is freed. The entry vector itself grows by `realloc`, which for large
//! blocks is an `mremap` (no copy) in glibc.
//!
//! Each position is found in `old` by its stored hash and its own value (`p == pos`), so a
//! migration step is one probe and one insert, with no key comparisons.

use std::hash::BuildHasher;
use std::sync::atomic::{AtomicUsize, Ordering};

use hashbrown::HashTable;

use super::CompactBytes;

/// Positions moved from the old index per insert or removal. With a new index twice the old
/// capacity, 8 per insert finish the move long before the new index fills (it would need
/// `len` more inserts; the move needs `len / 7`).
const STEP_PER_WRITE: usize = 8;

/// Positions moved per lookup (Redis also rehashes on finds, so read-only traffic completes
/// the move too).
const STEP_PER_READ: usize = 1;

/// From this index capacity on, the next (double) index is allocated ahead of time on a helper
/// thread once the current one is 3/4 full: a fresh hashbrown table must write its control
/// bytes (one per slot), and at millions of slots those page faults cost milliseconds (8.6 ms
/// for 16.7M slots here) that would otherwise land on the SET that triggers the growth. Redis
/// `calloc`s its table and touches it lazily; this is our way to the same effect.
#[cfg(not(test))]
const PREPARE_MIN: usize = 1 << 20;
#[cfg(test)]
const PREPARE_MIN: usize = 1 << 10;

/// Bytes that may still be allocated ahead of time (`maxmemory − used_memory`), and a key count
/// no table will need to exceed (`maxkeys`); unlimited unless the server sets them
/// ([`set_prepare_limits`]). A prepared index is memory taken before it is needed: under a
/// memory limit it would evict keys for a growth that may never come (a cache whose key count
/// settles between 3/4 and full), so it is only prepared when it fits in the headroom and the
/// key cap leaves room to grow. The growth itself then allocates inline, as for small tables.
static PREPARE_HEADROOM: AtomicUsize = AtomicUsize::new(usize::MAX);
static PREPARE_KEY_CAP: AtomicUsize = AtomicUsize::new(usize::MAX);

/// Updates the limits on preparing indexes ahead (see [`PREPARE_HEADROOM`]); the server calls
/// this from cron.
pub fn set_prepare_limits(headroom_bytes: usize, key_cap: usize) {
    PREPARE_HEADROOM.store(headroom_bytes, Ordering::Relaxed);
    PREPARE_KEY_CAP.store(key_cap, Ordering::Relaxed);
}

struct Bucket<V> {
    hash: u64,
    key: CompactBytes,
    value: V,
}

/// Dense key → value table with an incrementally resized hash index.
pub struct KeyTable<V> {
    entries: Vec<Bucket<V>>,
    index: HashTable<usize>,
    /// The previous index while its positions move to `index`.
    old: Option<HashTable<usize>>,
    /// While rehashing: every position below this is in `index`.
    cursor: usize,
    hasher: foldhash::fast::RandomState,
    /// The next index, being allocated on a helper thread (see [`PREPARE_MIN`]).
    spare: Option<std::thread::JoinHandle<HashTable<usize>>>,
}

impl<V> Default for KeyTable<V> {
    fn default() -> Self {
        KeyTable {
            entries: Vec::new(),
            index: HashTable::new(),
            old: None,
            cursor: 0,
            hasher: foldhash::fast::RandomState::default(),
            spare: None,
        }
    }
}

impl<V> KeyTable<V> {
    /// An empty table with room for `n` keys.
    pub fn with_capacity(n: usize) -> Self {
        KeyTable {
            entries: Vec::with_capacity(n),
            index: HashTable::with_capacity(n),
            ..Self::default()
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Keys the index holds without growing (the new index's, while rehashing).
    pub fn capacity(&self) -> usize {
        self.index.capacity()
    }

    /// Whether an old index is still being moved into the new one.
    pub fn is_rehashing(&self) -> bool {
        self.old.is_some()
    }

    /// The table's hash of `key` (randomly keyed per table).
    #[inline]
    pub fn hash(&self, key: &[u8]) -> u64 {
        self.hasher.hash_one(key)
    }

    /// Position of `key`.
    #[inline]
    pub fn get_index_of(&self, key: &[u8]) -> Option<usize> {
        self.find_hashed(self.hash(key), key)
    }

    /// Position of `key`, whose hash is `hash`.
    #[inline]
    pub fn find_hashed(&self, hash: u64, key: &[u8]) -> Option<usize> {
        self.probe(hash, |b| b.key.as_bytes() == key)
    }

    /// Position of a key whose hash is `hash` (keys are identified by their 64-bit hash in the
    /// S3-FIFO queues).
    pub fn index_of_hash(&self, hash: u64) -> Option<usize> {
        self.probe(hash, |_| true)
    }

    /// The position whose entry has hash `hash` and satisfies `matches`: the new index first,
    /// then the old one while a resize is in progress.
    #[inline]
    fn probe(&self, hash: u64, matches: impl Fn(&Bucket<V>) -> bool) -> Option<usize> {
        let entries = &self.entries;
        let eq = |&p: &usize| {
            let b = &entries[p];
            b.hash == hash && matches(b)
        };
        match self.index.find(hash, eq) {
            Some(&p) => Some(p),
            None => self.old.as_ref()?.find(hash, eq).copied(),
        }
    }

    pub fn get_index(&self, pos: usize) -> Option<(&CompactBytes, &V)> {
        self.entries.get(pos).map(|b| (&b.key, &b.value))
    }

    pub fn get_index_mut(&mut self, pos: usize) -> Option<(&CompactBytes, &mut V)> {
        self.entries.get_mut(pos).map(|b| (&b.key, &mut b.value))
    }

    /// The stored hash of the entry at `pos`.
    pub fn hash_at(&self, pos: usize) -> Option<u64> {
        self.entries.get(pos).map(|b| b.hash)
    }

    pub fn get(&self, key: &[u8]) -> Option<&V> {
        let p = self.get_index_of(key)?;
        Some(&self.entries[p].value)
    }

    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut V> {
        let p = self.get_index_of(key)?;
        Some(&mut self.entries[p].value)
    }

    /// Removes `key` (the last entry takes its place); returns its value.
    pub fn swap_remove(&mut self, key: &[u8]) -> Option<V> {
        let p = self.get_index_of(key)?;
        self.swap_remove_index(p).map(|(_, v)| v)
    }

    pub fn get_key_value(&self, key: &[u8]) -> Option<(&CompactBytes, &V)> {
        self.get_index(self.get_index_of(key)?)
    }

    /// Appends a key that is not in the table (the caller looked it up with
    /// [`find_hashed`](Self::find_hashed) and `hash`); returns its position.
    pub fn push(&mut self, hash: u64, key: CompactBytes, value: V) -> usize {
        if self.index.len() >= self.index.capacity() {
            if self.old.is_some() {
                // The new index filled before the move finished (only if far more was
                // inserted than the step rate allows for): finish it now.
                self.rehash_step(usize::MAX);
            }
            // One more than fits: hashbrown rounds up to the next power of two, exactly
            // twice the slots.
            self.start_resize(self.index.capacity().max(3) + 1);
        } else {
            self.rehash_step(STEP_PER_WRITE);
            self.maybe_prepare_growth();
        }
        let pos = self.entries.len();
        self.entries.push(Bucket { hash, key, value });
        let entries = &self.entries;
        self.index.insert_unique(hash, pos, |&p| entries[p].hash);
        pos
    }

    /// Removes the entry at `pos`; the last entry takes its place (O(1)).
    pub fn swap_remove_index(&mut self, pos: usize) -> Option<(CompactBytes, V)> {
        let hash = self.entries.get(pos)?.hash;
        if !remove_pos(&mut self.index, hash, pos)
            && let Some(old) = &mut self.old
        {
            remove_pos(old, hash, pos);
        }
        let last = self.entries.len() - 1;
        let b = self.entries.swap_remove(pos);
        if pos < last {
            // The former last entry now lives at `pos`: repoint it.
            let moved_hash = self.entries[pos].hash;
            if let Some(p) = self.index.find_mut(moved_hash, |&p| p == last) {
                *p = pos;
            } else if let Some(old) = &mut self.old {
                if pos < self.cursor {
                    // Below the cursor everything must be in the new index.
                    remove_pos(old, moved_hash, last);
                    let entries = &self.entries;
                    self.index
                        .insert_unique(moved_hash, pos, |&p| entries[p].hash);
                } else if let Some(p) = old.find_mut(moved_hash, |&p| p == last) {
                    *p = pos;
                }
            }
        }
        self.rehash_step(STEP_PER_WRITE);
        Some((b.key, b.value))
    }

    /// Moves up to `n` positions from the old index to the new one; returns whether a move is
    /// still in progress.
    pub fn rehash_step(&mut self, n: usize) -> bool {
        let Some(old) = &mut self.old else {
            return false;
        };
        let entries = &self.entries;
        for _ in 0..n {
            if old.is_empty() || self.cursor >= entries.len() {
                break;
            }
            let pos = self.cursor;
            self.cursor += 1;
            let hash = entries[pos].hash;
            if remove_pos(old, hash, pos) {
                self.index.insert_unique(hash, pos, |&p| entries[p].hash);
            }
        }
        if old.is_empty() || self.cursor >= entries.len() {
            // Done (the second condition cannot leave anything behind by the invariant; if it
            // ever did, re-inserting the leftovers keeps the table correct).
            if let Some(old) = self.old.take() {
                for pos in old {
                    let hash = entries[pos].hash;
                    self.index.insert_unique(hash, pos, |&p| entries[p].hash);
                }
            }
            return false;
        }
        true
    }

    /// [`rehash_step`](Self::rehash_step) with the per-lookup budget.
    #[inline]
    pub fn rehash_on_read(&mut self) {
        if self.old.is_some() {
            self.rehash_step(STEP_PER_READ);
        }
    }

    /// Gives back capacity down to about `min` keys (Redis `tryResizeHashTables`): the index
    /// moves to a smaller one incrementally, the entry vector shrinks in place.
    pub fn shrink_to(&mut self, min: usize) {
        if self.old.is_none() && min.max(self.entries.len()) < self.index.capacity() / 2 {
            self.start_resize(min.max(self.entries.len()));
        }
        self.entries.shrink_to(min);
    }

    /// Starts allocating the next index on a helper thread when a large index is 3/4 full.
    fn maybe_prepare_growth(&mut self) {
        let cap = self.index.capacity();
        if cap < PREPARE_MIN
            || self.spare.is_some()
            || self.old.is_some()
            || self.index.len() < cap / 4 * 3
        {
            return;
        }
        let want = cap + 1;
        // hashbrown's slots for `want` (7/8 load, power of two), 8-byte position + control byte.
        let bytes = (want * 8 / 7 + 1).next_power_of_two() * (std::mem::size_of::<usize>() + 1);
        if cap >= PREPARE_KEY_CAP.load(Ordering::Relaxed)
            || bytes > PREPARE_HEADROOM.load(Ordering::Relaxed)
        {
            return;
        }
        // If no thread can be started, the growth allocates inline as for small tables.
        self.spare = std::thread::Builder::new()
            .name("inmemdb-index".into())
            .spawn(move || HashTable::with_capacity(want))
            .ok();
    }

    /// An empty index for `capacity` keys: the prepared one if it fits (waiting for its
    /// thread if it is still writing), else a new one.
    fn new_index(&mut self, capacity: usize) -> HashTable<usize> {
        if let Some(handle) = self.spare.take()
            && let Ok(t) = handle.join()
            && t.capacity() >= capacity
            && t.capacity() <= capacity.saturating_mul(2)
        {
            return t;
        }
        HashTable::with_capacity(capacity)
    }

    fn start_resize(&mut self, capacity: usize) {
        let fresh = self.new_index(capacity);
        let prev = std::mem::replace(&mut self.index, fresh);
        if !prev.is_empty() {
            self.old = Some(prev);
        }
        self.cursor = 0;
        if self.old.is_some() {
            self.rehash_step(STEP_PER_WRITE);
        }
    }

    /// Bytes this table holds for entries it does not have: free slots of the entry vector
    /// (the next inserts fill them without allocating) and, during a resize, the old index
    /// (freed when the move ends). The eviction check leaves them out (see `crate::evict`):
    /// evicting a key whose data is inline frees a slot, not an allocation, and a vector that
    /// doubles, or a resize, must not be paid for by evicting keys that will fit anyway.
    pub fn reusable_bytes(&self) -> usize {
        (self.entries.capacity() - self.entries.len()) * std::mem::size_of::<Bucket<V>>()
            + self.old_index_bytes()
    }

    /// Bytes the table itself allocates: the entry vector and the index (both indexes during
    /// a resize), not the keys' and values' own heap data.
    pub fn table_bytes(&self) -> usize {
        self.entries.capacity() * std::mem::size_of::<Bucket<V>>()
            + self.index.allocation_size()
            + self.old_index_bytes()
    }

    fn old_index_bytes(&self) -> usize {
        self.old.as_ref().map_or(0, HashTable::allocation_size)
    }

    /// Gives back free entry slots beyond `keep` (a `realloc` that shrinks in place).
    pub fn trim_free_slots(&mut self, keep: usize) {
        if self.entries.capacity() - self.entries.len() > keep {
            self.entries.shrink_to(self.entries.len() + keep);
        }
    }

    /// Entries in position order.
    pub fn iter(&self) -> Iter<'_, V> {
        Iter(self.entries.iter())
    }

    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.entries.iter_mut().map(|b| &mut b.value)
    }
}

impl<V> std::ops::Index<usize> for KeyTable<V> {
    type Output = V;
    fn index(&self, pos: usize) -> &V {
        &self.entries[pos].value
    }
}

/// A clone is a finished table: the index is rebuilt from the stored hashes (same hasher),
/// with no resize in progress.
impl<V: Clone> Clone for KeyTable<V> {
    fn clone(&self) -> Self {
        let entries: Vec<Bucket<V>> = self
            .entries
            .iter()
            .map(|b| Bucket {
                hash: b.hash,
                key: b.key.clone(),
                value: b.value.clone(),
            })
            .collect();
        let mut index = HashTable::with_capacity(entries.len());
        for (pos, b) in entries.iter().enumerate() {
            index.insert_unique(b.hash, pos, |&p| entries[p].hash);
        }
        KeyTable {
            entries,
            index,
            old: None,
            cursor: 0,
            hasher: self.hasher.clone(),
            spare: None,
        }
    }
}

impl<V: std::fmt::Debug> std::fmt::Debug for KeyTable<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// Iterator over a table's entries in position order.
pub struct Iter<'a, V>(std::slice::Iter<'a, Bucket<V>>);

impl<'a, V> Iterator for Iter<'a, V> {
    type Item = (&'a CompactBytes, &'a V);

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|b| (&b.key, &b.value))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

/// Removes the slot holding `pos` (found by its hash); whether it was there.
fn remove_pos(t: &mut HashTable<usize>, hash: u64, pos: usize) -> bool {
    match t.find_entry(hash, |&p| p == pos) {
        Ok(e) => {
            e.remove();
            true
        }
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::SmallRng;
    use rand::{RngExt, SeedableRng};
    use std::collections::HashMap;

    fn key(i: u64) -> Vec<u8> {
        format!("k{i}").into_bytes()
    }

    fn insert(t: &mut KeyTable<u64>, k: &[u8], v: u64) -> bool {
        let h = t.hash(k);
        match t.find_hashed(h, k) {
            Some(p) => {
                if let Some((_, x)) = t.get_index_mut(p) {
                    *x = v;
                }
                false
            }
            None => {
                t.push(h, CompactBytes::from_slice(k), v);
                true
            }
        }
    }

    /// Inserts k0, k1, ... until an insert starts a resize.
    fn fill_until_rehashing(t: &mut KeyTable<u64>, model: &mut HashMap<Vec<u8>, u64>) {
        let mut i = 0u64;
        while !t.is_rehashing() {
            insert(t, &key(i), i);
            model.insert(key(i), i);
            i += 1;
        }
    }

    /// Every key is found at its position, positions are dense, and while rehashing no
    /// position below the cursor is still in the old index.
    fn check(t: &KeyTable<u64>, model: &HashMap<Vec<u8>, u64>) {
        assert_eq!(t.len(), model.len());
        for (k, v) in model {
            let p = t.get_index_of(k).expect("present");
            let (kk, vv) = t.get_index(p).expect("pos");
            assert_eq!(kk.as_bytes(), &k[..]);
            assert_eq!(vv, v);
        }
        let in_new = t.index.len();
        let in_old = t.old.as_ref().map_or(0, |o| o.len());
        assert_eq!(
            in_new + in_old,
            t.len(),
            "every position indexed exactly once"
        );
        if let Some(old) = &t.old {
            for &p in old {
                assert!(
                    p >= t.cursor,
                    "position {p} below cursor {} left in old",
                    t.cursor
                );
            }
        }
    }

    #[test]
    fn grows_incrementally_and_stays_consistent() {
        let mut t = KeyTable::default();
        let mut model = HashMap::new();
        let mut saw_rehash = false;
        for i in 0..20_000u64 {
            insert(&mut t, &key(i), i);
            model.insert(key(i), i);
            saw_rehash |= t.is_rehashing();
            if i % 997 == 0 {
                check(&t, &model);
            }
        }
        assert!(saw_rehash, "growth went through an incremental move");
        check(&t, &model);
    }

    #[test]
    fn random_inserts_and_removals_match_a_model() {
        let mut rng = SmallRng::seed_from_u64(7);
        let mut t = KeyTable::default();
        let mut model: HashMap<Vec<u8>, u64> = HashMap::new();
        for round in 0..200_000u64 {
            let k = key(rng.random_range(0..5_000));
            match rng.random_range(0..10) {
                0..=5 => {
                    let fresh = insert(&mut t, &k, round);
                    assert_eq!(fresh, model.insert(k, round).is_none());
                }
                6..=8 => {
                    let got = t.get_index_of(&k).and_then(|p| t.swap_remove_index(p));
                    let want = model.remove(&k);
                    assert_eq!(got.map(|(_, v)| v), want);
                }
                _ => {
                    t.shrink_to(t.len());
                }
            }
            if round % 4_999 == 0 {
                check(&t, &model);
            }
        }
        check(&t, &model);
    }

    #[test]
    fn removals_during_a_move_keep_relocated_entries_findable() {
        let mut t = KeyTable::default();
        let mut model = HashMap::new();
        // Fill to just under a growth, then trigger it and delete from both ends while the
        // move is in progress, so relocated entries cross the cursor both ways.
        fill_until_rehashing(&mut t, &mut model);
        let mut n = 0;
        while t.is_rehashing() && n < 10_000 {
            let victim = if n % 2 == 0 { 0 } else { t.len() / 2 };
            let (k, _) = t.swap_remove_index(victim).expect("entry");
            model.remove(k.as_bytes());
            check(&t, &model);
            n += 1;
        }
        check(&t, &model);
    }

    /// Serialises the tests that depend on the process-wide preparation limits.
    static LIMITS: std::sync::Mutex<()> = std::sync::Mutex::new(());

    #[test]
    fn large_tables_grow_into_an_index_prepared_ahead() {
        let _limits = LIMITS.lock().unwrap_or_else(|e| e.into_inner());
        let mut t = KeyTable::default();
        let mut model = HashMap::new();
        let mut prepared = 0;
        for i in 0..(PREPARE_MIN as u64 * 5) {
            let had_spare = t.spare.is_some();
            let cap = t.capacity();
            insert(&mut t, &key(i), i);
            model.insert(key(i), i);
            if t.spare.is_some() && !had_spare {
                prepared += 1;
                assert!(
                    t.len() >= cap / 4 * 3,
                    "prepared early, at {} of {cap}",
                    t.len()
                );
            }
            if had_spare && t.spare.is_none() {
                // Used by this growth: exactly twice the slots.
                assert!(t.is_rehashing());
                assert_eq!(t.capacity(), 2 * cap);
            }
        }
        assert!(prepared >= 2, "only {prepared} growths prepared ahead");
        check(&t, &model);
    }

    #[test]
    fn no_index_is_prepared_beyond_the_memory_headroom_or_the_key_cap() {
        let _limits = LIMITS.lock().unwrap_or_else(|e| e.into_inner());
        // A key cap below the first large capacity (1,792): no table needs to grow past it.
        for (headroom, key_cap) in [(1000, usize::MAX), (usize::MAX, 1500)] {
            set_prepare_limits(headroom, key_cap);
            let mut t = KeyTable::default();
            let mut model = HashMap::new();
            let mut grew_past_min = false;
            for i in 0..(PREPARE_MIN as u64 * 3) {
                insert(&mut t, &key(i), i);
                model.insert(key(i), i);
                assert!(t.spare.is_none(), "prepared at {} keys", t.len());
                grew_past_min |= t.is_rehashing() && t.capacity() > PREPARE_MIN;
            }
            // Growth still happens, inline.
            assert!(grew_past_min);
            check(&t, &model);
        }
        set_prepare_limits(usize::MAX, usize::MAX);
    }

    #[test]
    fn rehash_step_finishes_a_move_and_frees_the_old_index() {
        let mut t = KeyTable::default();
        let mut model = HashMap::new();
        fill_until_rehashing(&mut t, &mut model);
        while t.rehash_step(100) {}
        assert!(!t.is_rehashing());
        check(&t, &model);
    }

    #[test]
    fn a_clone_mid_move_is_a_finished_equal_table() {
        let mut t = KeyTable::default();
        let mut model = HashMap::new();
        fill_until_rehashing(&mut t, &mut model);
        let c = t.clone();
        assert!(!c.is_rehashing());
        check(&c, &model);
        check(&t, &model);
    }

    #[test]
    fn shrink_moves_to_a_smaller_index() {
        let mut t = KeyTable::default();
        for i in 0..50_000u64 {
            insert(&mut t, &key(i), i);
        }
        while t.rehash_step(1000) {}
        let big = t.capacity();
        for _ in 0..49_000 {
            t.swap_remove_index(0);
        }
        t.shrink_to(t.len() * 2);
        while t.rehash_step(1000) {}
        assert!(t.capacity() < big / 8, "{} not below {big}/8", t.capacity());
        let model: HashMap<Vec<u8>, u64> =
            t.iter().map(|(k, v)| (k.as_bytes().to_vec(), *v)).collect();
        check(&t, &model);
    }
}
