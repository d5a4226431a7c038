//! The keyspace: per-database key → value maps with TTLs, lazy expiry, sampling and SCAN.
//! Follows redis src/db.c (`lookupKey`, `setKey`, `dbDelete`, `expireIfNeeded`,
//! `dbRandomKey`, `scanGenericCommand`); active expiry is in [`expire`], access metadata for
//! eviction in [`meta`], victim selection in [`evict`] and [`s3fifo`], values in [`value`]. No I/O and no clients: the server drains the
//! expired-key events each db records and turns them into AOF `DEL`s and notifications.
//!
//! **Layout.** A db is a [`table::KeyTable<Entry>`] (dense entry vector + foldhash index that
//! resizes incrementally, like Redis's dict) plus the dense TTL index described in [`expire`].
//! The dense entry vector gives O(1) uniform sampling by index (eviction, RANDOMKEY, active
//! expiry) and a SCAN cursor that survives rehashing; deletions use `swap_remove` to stay O(1).
//!
//! **Memory per key** (64-bit): a table bucket is hash 8 + key 24 + `Entry` 32 = 64 bytes,
//! plus an 8-byte index slot and a control byte per table slot (load ≤ 7/8). Keys and values up
//! to 23 bytes live inline. `benches/keyspace.rs` measures 1M keys with a 12-byte key and a
//! 16-byte value at 83 bytes/key RSS, 99 with a TTL (redis-server 7.0 on the same machine:
//! 113 and 149).
//!
//! **SCAN guarantee.** The cursor walks indices from the top down. Insertions append at the top
//! (the visited side) and `swap_remove` only moves the last element (also visited) down into
//! the hole, so an element present for the whole scan can never move from the unvisited range
//! into the visited one: it is returned at least once. Elements may be returned twice.
//!
//! **Invariants.** `entry.vol == NO_TTL` or `volatile[entry.vol].idx` is that entry's index;
//! every `volatile[j].idx` points at an entry whose `vol == j`.

pub mod bytes;
pub mod evict;
pub mod expire;
pub mod listpack;
pub mod meta;
pub mod s3fifo;
pub mod table;
pub mod value;

use std::ops::{BitOr, Range};

use rand::rngs::SmallRng;
use rand::{Rng, RngExt, SeedableRng};

pub use bytes::CompactBytes;
use expire::{ExpireCycleState, NO_TTL, VolatileSlot};
pub use meta::MetaPolicy;
pub use value::{HashLimits, HashValue, StrValue, Value};

type Map = table::KeyTable<Entry>;

/// Bytes a key costs in the table besides its own heap data: the bucket (hash, key, entry)
/// plus an index slot (8 bytes + 1 control byte) at a typical 80% load.
pub const SLOT_OVERHEAD: usize = 8 + 24 + std::mem::size_of::<Entry>() + 11;

/// What `set` does with an existing TTL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetExpire {
    /// Drop any TTL (plain SET).
    Clear,
    /// Keep the TTL of an existing live key (SET KEEPTTL, APPEND-style overwrites).
    Keep,
    /// Absolute deadline in unix ms.
    At(u64),
}

/// Modifiers for [`Db::lookup`], as Redis's `LOOKUP_*` flags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LookupFlags(u8);

impl LookupFlags {
    pub const NONE: LookupFlags = LookupFlags(0);
    /// Do not update the LRU/LFU metadata (TYPE, TTL, OBJECT, EXISTS).
    pub const NOTOUCH: LookupFlags = LookupFlags(1);
    /// Do not count a keyspace hit or miss.
    pub const NOSTATS: LookupFlags = LookupFlags(2);
    /// A lookup by a write command: never counts hits or misses.
    pub const WRITE: LookupFlags = LookupFlags(4);

    pub fn contains(self, other: LookupFlags) -> bool {
        self.0 & other.0 == other.0
    }
}

impl BitOr for LookupFlags {
    type Output = LookupFlags;
    fn bitor(self, rhs: LookupFlags) -> LookupFlags {
        LookupFlags(self.0 | rhs.0)
    }
}

/// A stored value with its access metadata. 32 bytes.
#[derive(Clone, Debug)]
pub struct Entry {
    pub value: Value,
    /// LRU clock / LFU counter / FIFO stamp, see [`meta`].
    meta: u32,
    /// Position in the TTL index, or `NO_TTL`.
    vol: u32,
}

const _: () = assert!(std::mem::size_of::<Entry>() == 32);

impl Entry {
    /// The eviction metadata word (see [`meta`] for its meaning under each policy).
    pub fn meta(&self) -> u32 {
        self.meta
    }

    pub fn set_meta(&mut self, meta: u32) {
        self.meta = meta;
    }

    pub fn has_ttl(&self) -> bool {
        self.vol != NO_TTL
    }

    /// Approximate bytes this entry's slot and value use (without the key's own heap
    /// allocation and the TTL slot, which [`Db::memory_usage`] adds).
    pub fn memory_usage(&self) -> usize {
        SLOT_OVERHEAD + self.value.heap_size()
    }
}

/// A key taken out of a db, with what it carried.
#[derive(Debug)]
pub struct Removed {
    pub key: CompactBytes,
    pub value: Value,
    pub expire_at: Option<u64>,
    pub meta: u32,
}

/// Counters kept per db and summed by [`Keyspace::stats`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DbStats {
    pub keyspace_hits: u64,
    pub keyspace_misses: u64,
    pub expired_keys: u64,
}

thread_local! {
    /// Set whenever a db on this thread records an expired-key event. The server drains
    /// events after every command; this lets it skip scanning all dbs when nothing expired
    /// (a server's keyspace lives on its loop thread).
    static EXPIRED_HINT: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// True if a db on this thread may have recorded expired-key events since the last call
/// (false positives only). Clears the hint: the caller must then drain every db.
#[inline]
pub fn take_expired_hint() -> bool {
    EXPIRED_HINT.replace(false)
}

/// One database (SELECT index).
pub struct Db {
    id: usize,
    map: Map,
    volatile: Vec<VolatileSlot>,
    /// Keys deleted by expiry since the last drain, oldest first.
    expired: Vec<CompactBytes>,
    stats: DbStats,
    /// Active-expiry cursor: slots `[0, expire_cursor)` are not yet visited in this pass.
    expire_cursor: usize,
    avg_ttl_ms: u64,
    policy: MetaPolicy,
    touch_enabled: bool,
    rng: SmallRng,
    /// Insertion queues of the FIFO / S3-FIFO policies (empty otherwise).
    queues: s3fifo::Queues,
}

impl Db {
    /// An empty db. `seed` feeds the LFU counter's RNG.
    pub fn new(id: usize, seed: u64) -> Self {
        Db {
            id,
            map: Map::default(),
            volatile: Vec::new(),
            expired: Vec::new(),
            stats: DbStats::default(),
            expire_cursor: 0,
            avg_ttl_ms: 0,
            policy: MetaPolicy::default(),
            touch_enabled: true,
            rng: SmallRng::seed_from_u64(seed),
            queues: s3fifo::Queues::default(),
        }
    }

    pub fn id(&self) -> usize {
        self.id
    }

    /// Number of keys, including expired ones not yet reclaimed (like Redis DBSIZE).
    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Number of keys with a TTL (INFO keyspace `expires`).
    pub fn volatile_len(&self) -> usize {
        self.volatile.len()
    }

    /// Estimated average TTL of volatile keys in ms, maintained by the active expiry cycle
    /// (INFO keyspace `avg_ttl`; 0 when unknown).
    pub fn avg_ttl_ms(&self) -> u64 {
        self.avg_ttl_ms
    }

    pub fn stats(&self) -> DbStats {
        self.stats
    }

    /// How lookups maintain the meta word (OBJECT IDLETIME / FREQ interpret it by this).
    pub fn meta_policy(&self) -> MetaPolicy {
        self.policy
    }

    // --- internal helpers ----------------------------------------------------------------

    fn deadline_of(&self, e: &Entry) -> Option<u64> {
        if e.vol == NO_TTL {
            None
        } else {
            self.volatile.get(e.vol as usize).map(|s| s.at_ms)
        }
    }

    /// Redis `keyIsExpired`: the deadline is strictly in the past.
    fn is_stale(&self, idx: usize, now_ms: u64) -> bool {
        self.map
            .get_index(idx)
            .and_then(|(_, e)| self.deadline_of(e))
            .is_some_and(|at| now_ms > at)
    }

    /// Adds or updates the TTL of the entry at `idx`.
    fn vol_set(&mut self, idx: usize, at_ms: u64) {
        let len = self.volatile.len();
        let Some((_, e)) = self.map.get_index_mut(idx) else {
            return;
        };
        if let Some(slot) = self.volatile.get_mut(e.vol as usize) {
            slot.at_ms = at_ms;
        } else {
            debug_assert!(len < NO_TTL as usize && idx < NO_TTL as usize);
            e.vol = len as u32;
            self.volatile.push(VolatileSlot {
                at_ms,
                idx: idx as u32,
            });
        }
    }

    /// Removes TTL slot `pos` and repoints the entry whose slot moved into its place. The owner
    /// of `pos` must reset its own `vol` (or be deleted).
    fn vol_unlink(&mut self, pos: u32) {
        let pos = pos as usize;
        if pos >= self.volatile.len() {
            return;
        }
        self.volatile.swap_remove(pos);
        if let Some(moved) = self.volatile.get(pos)
            && let Some((_, e)) = self.map.get_index_mut(moved.idx as usize)
        {
            e.vol = pos as u32;
        }
    }

    /// Deletes the entry at `idx` from both structures. O(1).
    fn remove_index(&mut self, idx: usize) -> Option<Removed> {
        let vol = self.map.get_index(idx)?.1.vol;
        let expire_at = self.volatile.get(vol as usize).map(|s| s.at_ms);
        if vol != NO_TTL {
            self.vol_unlink(vol);
        }
        let (key, entry) = self.map.swap_remove_index(idx)?;
        self.queues.on_remove(self.policy, entry.meta);
        // The former last entry now sits at `idx`: repoint its TTL slot.
        if let Some((_, moved)) = self.map.get_index(idx)
            && let Some(slot) = self.volatile.get_mut(moved.vol as usize)
        {
            slot.idx = idx as u32;
        }
        Some(Removed {
            key,
            value: entry.value,
            expire_at,
            meta: entry.meta,
        })
    }

    /// Deletes a stale entry: records the expired-key event and counts it.
    fn expire_index(&mut self, idx: usize) {
        if let Some(r) = self.remove_index(idx) {
            self.stats.expired_keys += 1;
            self.expired.push(r.key);
            EXPIRED_HINT.set(true);
        }
    }

    // --- lookups ---------------------------------------------------------------------------

    /// Redis `lookupKey`. Side effects:
    /// - a key past its deadline is deleted (lazy expiry): recorded as an expired-key event,
    ///   counted in `expired_keys`, and treated as missing;
    /// - a found key's LRU/LFU metadata is touched, unless `NOTOUCH` or touching is disabled
    ///   (a fork child is running, see [`Keyspace::set_touch_enabled`]);
    /// - a hit or miss is counted unless `NOSTATS` or `WRITE`.
    pub fn lookup(&mut self, key: &[u8], now_ms: u64, flags: LookupFlags) -> Option<&mut Entry> {
        let count = !flags.contains(LookupFlags::NOSTATS) && !flags.contains(LookupFlags::WRITE);
        self.map.rehash_on_read();
        let idx = match self.map.get_index_of(key) {
            Some(idx) if self.is_stale(idx, now_ms) => {
                self.expire_index(idx);
                None
            }
            found => found,
        };
        let Some(idx) = idx else {
            if count {
                self.stats.keyspace_misses += 1;
            }
            return None;
        };
        if count {
            self.stats.keyspace_hits += 1;
        }
        let touch = self.touch_enabled && !flags.contains(LookupFlags::NOTOUCH);
        let (policy, rng) = (self.policy, &mut self.rng);
        let (_, e) = self.map.get_index_mut(idx)?;
        if touch {
            meta::touch(&mut e.meta, policy, now_ms, rng);
        }
        Some(e)
    }

    /// `lookupKeyRead`: lazy expiry, touch, counts a hit or miss.
    #[inline]
    pub fn lookup_read(&mut self, key: &[u8], now_ms: u64) -> Option<&mut Entry> {
        self.lookup(key, now_ms, LookupFlags::NONE)
    }

    /// `lookupKeyWrite`: lazy expiry, touch, no hit/miss counting.
    #[inline]
    pub fn lookup_write(&mut self, key: &[u8], now_ms: u64) -> Option<&mut Entry> {
        self.lookup(key, now_ms, LookupFlags::WRITE)
    }

    /// No side effects at all: an expired key reads as absent but stays until something
    /// reclaims it. For DEBUG-style inspection and the AOF rewrite.
    pub fn peek(&self, key: &[u8], now_ms: u64) -> Option<&Entry> {
        let idx = self.map.get_index_of(key)?;
        if self.is_stale(idx, now_ms) {
            return None;
        }
        self.map.get_index(idx).map(|(_, e)| e)
    }

    /// Redis `expireIfNeeded`: deletes `key` if it is past its deadline (recording the
    /// expired-key event). Returns true if it did.
    pub fn expire_if_needed(&mut self, key: &[u8], now_ms: u64) -> bool {
        match self.map.get_index_of(key) {
            Some(idx) if self.is_stale(idx, now_ms) => {
                self.expire_index(idx);
                true
            }
            _ => false,
        }
    }

    // --- writes ----------------------------------------------------------------------------

    /// Redis `setKey`: stores `value` under `key`, creating or overwriting. A stale existing key
    /// is first expired (event recorded), so KEEPTTL never resurrects a dead deadline.
    /// Overwriting keeps the LFU counter / FIFO stamp and refreshes the LRU clock; a new key gets
    /// fresh metadata. `expire` decides the TTL. Returns true if the key was created.
    /// The key is copied once (inline when ≤ 23 bytes); existing keys are not copied.
    pub fn set(&mut self, key: &[u8], value: Value, expire: SetExpire, now_ms: u64) -> bool {
        let policy = self.policy;
        let mut value = Some(value);
        let hash = self.map.hash(key);
        let (idx, created, old_vol) = match self.map.find_hashed(hash, key) {
            Some(idx) => {
                let Some((_, e)) = self.map.get_index_mut(idx) else {
                    return false;
                };
                let stale = e.vol != NO_TTL
                    && self
                        .volatile
                        .get(e.vol as usize)
                        .is_some_and(|s| now_ms > s.at_ms);
                if stale {
                    (idx, false, None)
                } else {
                    if let Some(v) = value.take() {
                        e.value = v;
                    }
                    e.meta = meta::overwrite_meta(policy, e.meta, now_ms);
                    (idx, false, Some(e.vol))
                }
            }
            None => {
                let idx = self.map.push(
                    hash,
                    CompactBytes::from_slice(key),
                    Entry {
                        value: value.take().unwrap_or(Value::int(0)),
                        meta: meta::new_meta(policy, now_ms),
                        vol: NO_TTL,
                    },
                );
                (idx, true, Some(NO_TTL))
            }
        };
        let Some(old_vol) = old_vol else {
            // Stale: expire it, then insert fresh.
            self.expire_index(idx);
            let v = value.take().unwrap_or(Value::int(0));
            return self.set(key, v, expire, now_ms);
        };
        if created {
            self.queue_on_insert(idx, key);
        }
        match expire {
            SetExpire::Keep => {}
            SetExpire::At(at) => self.vol_set(idx, at),
            SetExpire::Clear => {
                if old_vol != NO_TTL {
                    if let Some((_, e)) = self.map.get_index_mut(idx) {
                        e.vol = NO_TTL;
                    }
                    self.vol_unlink(old_vol);
                }
            }
        }
        created
    }

    /// DEL/UNLINK/GETDEL semantics: removes `key` and returns what it held. A stale key is
    /// expired instead (event recorded) and reported as absent, as `expireIfNeeded` +
    /// `dbDelete` do.
    pub fn remove(&mut self, key: &[u8], now_ms: u64) -> Option<Removed> {
        let idx = self.map.get_index_of(key)?;
        if self.is_stale(idx, now_ms) {
            self.expire_index(idx);
            return None;
        }
        self.remove_index(idx)
    }

    /// Redis `dbDelete`: removes `key` whatever its deadline, recording nothing. For eviction.
    pub fn delete(&mut self, key: &[u8]) -> Option<Removed> {
        let idx = self.map.get_index_of(key)?;
        self.remove_index(idx)
    }

    /// Sets the absolute deadline of an existing key. Returns false if the key is missing. Does
    /// not check the current deadline: callers look the key up first, as Redis's EXPIRE does.
    /// A deadline in the past is stored as is (the command layer deletes such keys instead).
    pub fn set_expire(&mut self, key: &[u8], at_ms: u64) -> bool {
        match self.map.get_index_of(key) {
            Some(idx) => {
                self.vol_set(idx, at_ms);
                true
            }
            None => false,
        }
    }

    /// Drops the TTL of `key`. Returns true if there was one (PERSIST's reply). No expiry check.
    pub fn persist(&mut self, key: &[u8]) -> bool {
        let Some(e) = self.map.get_mut(key) else {
            return false;
        };
        if e.vol == NO_TTL {
            return false;
        }
        let vol = std::mem::replace(&mut e.vol, NO_TTL);
        self.vol_unlink(vol);
        true
    }

    /// The absolute deadline of `key`, if it has one. No expiry check (TTL/PTTL look up first).
    pub fn expire_at(&self, key: &[u8]) -> Option<u64> {
        self.map.get(key).and_then(|e| self.deadline_of(e))
    }

    /// Removes every key (FLUSHDB) and returns how many there were. Memory is released, not
    /// kept as capacity. Pending expired-key events and stats are kept.
    pub fn clear(&mut self) -> usize {
        let n = self.map.len();
        self.map = Map::default();
        self.volatile = Vec::new();
        self.expire_cursor = 0;
        self.avg_ttl_ms = 0;
        self.queues = s3fifo::Queues::default();
        n
    }

    /// Table memory held for keys not present (see [`table::KeyTable::reusable_bytes`]).
    pub fn reusable_bytes(&self) -> usize {
        self.map.reusable_bytes()
    }

    /// Gives back free entry slots beyond a small margin (1/64 of the keys + 256), so that
    /// `used_memory` under `maxmemory` does not carry a doubled entry vector's free half.
    pub fn trim_free_slots(&mut self) {
        let len = self.map.len();
        self.map.trim_free_slots(len / 64 + 256);
    }

    /// Moves up to `n` keys of an in-progress table resize (see [`table`]); returns whether
    /// one is still in progress. For cron.
    pub fn rehash_step(&mut self, n: usize) -> bool {
        self.map.rehash_step(n)
    }

    /// Gives back table capacity after mass deletion (Redis `tryResizeHashTables`). Only acts
    /// when under 1/8 of the capacity is used, so the O(len) rehash stays cheap relative to what
    /// it frees. Meant for cron.
    pub fn shrink_if_sparse(&mut self) -> bool {
        let cap = self.map.capacity();
        if cap > 1024 && self.map.len() < cap / 8 {
            self.map.shrink_to(self.map.len() * 2);
            self.volatile.shrink_to(self.volatile.len() * 2);
            true
        } else {
            false
        }
    }

    // --- expired-key events ----------------------------------------------------------------

    /// Keys deleted by expiry (lazy or active) since the last drain, in order. The server
    /// drains this after each command and each expire cycle to propagate `DEL` to the AOF and
    /// fire `expired` notifications; nothing else consumes it, so it must be drained.
    pub fn drain_expired(&mut self) -> std::vec::Drain<'_, CompactBytes> {
        self.expired.drain(..)
    }

    pub fn has_expired_events(&self) -> bool {
        !self.expired.is_empty()
    }

    // --- sampling, iteration, scan -----------------------------------------------------------

    /// Redis `dbRandomKey` (RANDOMKEY): a uniformly random live key. Stale keys it lands on are
    /// expired (events recorded). After 100 stale picks in a row it stops deleting and walks
    /// from a random index to the first live key, so one call never reclaims more than 100 keys.
    pub fn random_key(&mut self, rng: &mut impl Rng, now_ms: u64) -> Option<&CompactBytes> {
        const MAX_TRIES: usize = 100;
        for _ in 0..MAX_TRIES {
            if self.map.is_empty() {
                return None;
            }
            let idx = rng.random_range(0..self.map.len());
            if self.is_stale(idx, now_ms) {
                self.expire_index(idx);
                continue;
            }
            return self.map.get_index(idx).map(|(k, _)| k);
        }
        let len = self.map.len();
        if len == 0 {
            return None;
        }
        let start = rng.random_range(0..len);
        let idx = (0..len)
            .map(|i| (start + i) % len)
            .find(|&i| !self.is_stale(i, now_ms))?;
        self.map.get_index(idx).map(|(k, _)| k)
    }

    /// A uniformly random key, stale or not, without side effects (eviction sampling).
    pub fn sample(&self, rng: &mut impl Rng) -> Option<(&CompactBytes, &Entry)> {
        if self.map.is_empty() {
            return None;
        }
        self.map.get_index(rng.random_range(0..self.map.len()))
    }

    /// A uniformly random key among those with a TTL, with its deadline (volatile-* eviction).
    pub fn sample_volatile(&self, rng: &mut impl Rng) -> Option<(&CompactBytes, &Entry, u64)> {
        if self.volatile.is_empty() {
            return None;
        }
        let slot = self
            .volatile
            .get(rng.random_range(0..self.volatile.len()))?;
        let (k, e) = self.map.get_index(slot.idx as usize)?;
        Some((k, e, slot.at_ms))
    }

    /// Every key with its entry and deadline, stale ones included, in index order. For the AOF
    /// rewrite (which skips stale keys itself) and KEYS (which filters them).
    pub fn iter(&self) -> impl Iterator<Item = (&CompactBytes, &Entry, Option<u64>)> {
        self.map.iter().map(|(k, e)| (k, e, self.deadline_of(e)))
    }

    /// One SCAN step: visits up to `count` index positions below `cursor` (0 = start) and calls
    /// `f` for each live key; stale keys met on the way are expired (events recorded), as Redis
    /// 7 does. Returns the next cursor, 0 when the scan is complete. Guarantee: see the module
    /// docs. A cursor from an earlier, larger db is clamped and still valid.
    pub fn scan(
        &mut self,
        cursor: u64,
        count: usize,
        now_ms: u64,
        mut f: impl FnMut(&CompactBytes, &Entry),
    ) -> u64 {
        let (range, next) = scan_step(self.map.len(), cursor, count);
        for idx in range.rev() {
            if self.is_stale(idx, now_ms) {
                // The last entry moves into `idx`; it sits above the cursor (already visited).
                self.expire_index(idx);
                continue;
            }
            if let Some((k, e)) = self.map.get_index(idx) {
                f(k, e);
            }
        }
        next
    }

    /// MEMORY USAGE estimate for `key`: slot, key heap, value, TTL slot. No expiry check.
    pub fn memory_usage(&self, key: &[u8]) -> Option<usize> {
        let (k, e) = self.map.get_key_value(key)?;
        let ttl = if e.has_ttl() {
            std::mem::size_of::<VolatileSlot>()
        } else {
            0
        };
        Some(e.memory_usage() + k.heap_size() + ttl)
    }
}

/// Splits a downward index scan step. Cursor 0 starts at the top; a non-zero cursor `c` means
/// positions `[0, c)` are left (clamped to `len`). Returns the positions to visit this step and
/// the next cursor (0 = done).
pub(crate) fn scan_step(len: usize, cursor: u64, count: usize) -> (Range<usize>, u64) {
    let top = if cursor == 0 {
        len
    } else {
        usize::try_from(cursor).unwrap_or(usize::MAX).min(len)
    };
    let bottom = top.saturating_sub(count.max(1));
    (bottom..top, bottom as u64)
}

/// Sum of the per-db counters plus the expire cycle's own stats (INFO stats).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct KeyspaceStats {
    pub keyspace_hits: u64,
    pub keyspace_misses: u64,
    pub expired_keys: u64,
    /// `expired_stale_perc` as a fraction (0..1).
    pub expired_stale_perc: f64,
    pub expired_time_cap_reached_count: u64,
    /// `expire_cycle_cpu_milliseconds` (wall time spent in timed cycles).
    pub expire_cycle_cpu_milliseconds: u64,
}

/// All databases.
pub struct Keyspace {
    pub dbs: Vec<Db>,
    cycle: ExpireCycleState,
    /// Eviction pool and db rotation (see [`evict`]).
    pub evictor: evict::Evictor,
}

impl Keyspace {
    /// `databases` dbs (at least one), RNGs seeded from the OS.
    pub fn new(databases: usize) -> Self {
        Self::with_seed(databases, rand::rng().random())
    }

    /// Deterministic RNG seeds, for tests.
    pub fn with_seed(databases: usize, seed: u64) -> Self {
        let dbs = (0..databases.max(1))
            .map(|i| Db::new(i, seed.wrapping_add(i as u64)))
            .collect();
        Keyspace {
            dbs,
            cycle: ExpireCycleState::default(),
            evictor: evict::Evictor::new(seed),
        }
    }

    pub fn db(&mut self, index: usize) -> Option<&mut Db> {
        self.dbs.get_mut(index)
    }

    /// Two distinct dbs at once (MOVE, COPY ... DB). None if equal or out of range.
    pub fn two_dbs_mut(&mut self, a: usize, b: usize) -> Option<(&mut Db, &mut Db)> {
        if a == b || a >= self.dbs.len() || b >= self.dbs.len() {
            return None;
        }
        if a < b {
            let (lo, hi) = self.dbs.split_at_mut(b);
            Some((lo.get_mut(a)?, hi.get_mut(0)?))
        } else {
            let (lo, hi) = self.dbs.split_at_mut(a);
            Some((hi.get_mut(0)?, lo.get_mut(b)?))
        }
    }

    /// SWAPDB: exchanges the contents (keys, TTLs, expiry cursor) of two dbs. Each db keeps its
    /// id, counters and pending expired-key events. Returns false if an index is out of range.
    pub fn swap_dbs(&mut self, a: usize, b: usize) -> bool {
        if a == b {
            return a < self.dbs.len();
        }
        let Some((x, y)) = self.two_dbs_mut(a, b) else {
            return false;
        };
        std::mem::swap(&mut x.map, &mut y.map);
        std::mem::swap(&mut x.volatile, &mut y.volatile);
        std::mem::swap(&mut x.expire_cursor, &mut y.expire_cursor);
        std::mem::swap(&mut x.avg_ttl_ms, &mut y.avg_ttl_ms);
        std::mem::swap(&mut x.queues, &mut y.queues);
        true
    }

    /// FLUSHALL: clears every db, returns the number of keys removed.
    pub fn flush_all(&mut self) -> usize {
        self.dbs.iter_mut().map(Db::clear).sum()
    }

    pub fn total_keys(&self) -> usize {
        self.dbs.iter().map(Db::len).sum()
    }

    /// [`Db::reusable_bytes`] over all dbs.
    pub fn reusable_bytes(&self) -> usize {
        self.dbs.iter().map(Db::reusable_bytes).sum()
    }

    /// How lookups maintain key metadata; follows `maxmemory-policy` (and the LFU tunables).
    /// Switching to or from a queue policy (FIFO, S3-FIFO) rebuilds the queues: O(keys).
    pub fn set_meta_policy(&mut self, policy: MetaPolicy) {
        for db in &mut self.dbs {
            let old = std::mem::replace(&mut db.policy, policy);
            db.rebuild_queues(old);
        }
    }

    /// Disable touching while a fork child (AOF rewrite) runs, so reads do not dirty pages
    /// shared with the child (Redis checks `hasActiveChildProcess`).
    pub fn set_touch_enabled(&mut self, enabled: bool) {
        for db in &mut self.dbs {
            db.touch_enabled = enabled;
        }
    }

    /// Give every key fresh metadata as of `now_ms`, as if just created (LRU clock now, LFU
    /// counter at its initial value). After AOF loading, which runs with the clock stopped at 0
    /// so nothing expires mid-replay (persistence/load.rs); Redis's loaded keys are new objects.
    pub fn reset_meta(&mut self, now_ms: u64) {
        for db in &mut self.dbs {
            let m = meta::new_meta(db.policy, now_ms);
            for e in db.map.values_mut() {
                e.meta = m;
            }
        }
    }

    pub fn stats(&self) -> KeyspaceStats {
        let mut s = KeyspaceStats {
            expired_stale_perc: self.cycle.stale_perc,
            expired_time_cap_reached_count: self.cycle.time_cap_reached_count,
            expire_cycle_cpu_milliseconds: self.cycle.time_used_us / 1000,
            ..Default::default()
        };
        for db in &self.dbs {
            s.keyspace_hits += db.stats.keyspace_hits;
            s.keyspace_misses += db.stats.keyspace_misses;
            s.expired_keys += db.stats.expired_keys;
        }
        s
    }

    /// CONFIG RESETSTAT.
    pub fn reset_stats(&mut self) {
        for db in &mut self.dbs {
            db.stats = DbStats::default();
        }
        self.cycle.time_cap_reached_count = 0;
        self.cycle.time_used_us = 0;
        self.cycle.stale_perc = 0.0;
    }
}

#[cfg(test)]
pub(crate) mod tests;
