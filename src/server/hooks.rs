//! Cross-cutting effects of a write, called by command handlers through
//! `Ctx` (commands/mod.rs) and by expiry/eviction:
//! - `signal_modified_key`: invalidates WATCH (Redis db.c signalModifiedKey);
//! - `notify_keyspace_event`: keyspace notifications (Redis notify.c);
//! - `propagate`: feeds the AOF with the deterministic form of a write
//!   (Redis server.c propagate / alsoPropagate).
//!
//! Each body belongs to its feature (transactions, pub/sub, persistence);
//! they are grouped here so every caller uses one stable API.

use super::Core;

/// Keyspace notification classes (Redis's NOTIFY_* flags, notify.c).
pub mod notify {
    pub const KEYSPACE: u32 = 1 << 0; // K
    pub const KEYEVENT: u32 = 1 << 1; // E
    pub const GENERIC: u32 = 1 << 2; // g
    pub const STRING: u32 = 1 << 3; // $
    pub const LIST: u32 = 1 << 4; // l
    pub const SET: u32 = 1 << 5; // s
    pub const HASH: u32 = 1 << 6; // h
    pub const ZSET: u32 = 1 << 7; // z
    pub const EXPIRED: u32 = 1 << 8; // x
    pub const EVICTED: u32 = 1 << 9; // e
    pub const STREAM: u32 = 1 << 10; // t
    pub const KEY_MISS: u32 = 1 << 11; // m
    pub const LOADED: u32 = 1 << 12; // module only
    pub const MODULE: u32 = 1 << 13; // d
    pub const NEW: u32 = 1 << 14; // n
}

impl Core {
    /// Turn keys deleted by expiry (lazily during a command, or by the
    /// active cycle) into their effects, in order: `DEL` to the AOF, the
    /// `expired` keyspace event, and WATCH invalidation. Called after every
    /// command, before the command's own propagation, so the AOF sees the
    /// deletion first (Redis's deleteExpiredKeyAndPropagate).
    pub fn propagate_expired(&mut self) {
        for db in 0..self.keyspace.dbs.len() {
            if !self.keyspace.dbs[db].has_expired_events() {
                continue;
            }
            let keys: Vec<_> = self.keyspace.dbs[db].drain_expired().collect();
            for key in keys {
                let k = key.as_bytes();
                self.propagate(db, &[b"DEL", k]);
                self.notify_keyspace_event(notify::EXPIRED, "expired", k, db);
                self.signal_modified_key(db, k);
            }
        }
    }

    /// True when `requirepass` is set and clients must AUTH first.
    pub fn auth_required(&self) -> bool {
        false
    }

    /// Evict keys until under `maxmemory`/`maxkeys` (Redis's
    /// performEvictions, run before every command when a limit is set).
    /// Returns true if still over the limit and nothing could be evicted,
    /// so DENYOOM commands get -OOM (see `crate::evict`).
    #[inline]
    pub fn evict_before_command(&mut self) -> bool {
        if self.config.maxmemory == 0 && self.config.maxkeys == 0 {
            return false;
        }
        let (r, _) = self.perform_evictions(Some(crate::evict::EVICTION_SLICE));
        r == crate::evict::EvictResult::Fail
    }

    /// Memory left out of the maxmemory check (Redis's
    /// freeMemoryGetNotCountedMemory): buffers that only grow because of
    /// writes, such as the AOF buffer, which eviction itself feeds with DELs.
    pub fn not_counted_memory(&self) -> usize {
        0
    }

    /// A key in `db` was modified (or deleted): clients WATCHing it must
    /// fail their EXEC.
    pub fn signal_modified_key(&mut self, db: usize, key: &[u8]) {
        let _ = (db, key);
    }

    /// Every key of `db` (or all dbs when `None`) was dropped (FLUSHDB/FLUSHALL).
    pub fn signal_flushed_db(&mut self, db: Option<usize>) {
        let _ = db;
    }

    /// Publish `__keyspace@<db>__:<key>` / `__keyevent@<db>__:<event>` if the
    /// `notify-keyspace-events` flags select `class`.
    pub fn notify_keyspace_event(&mut self, class: u32, event: &str, key: &[u8], db: usize) {
        let _ = (class, event, key, db);
    }

    /// Append one write, in its deterministic form, to the AOF stream for `db`.
    pub fn propagate(&mut self, db: usize, argv: &[&[u8]]) {
        let _ = (db, argv);
    }

    /// `propagate` for a command logged as received (no argv copy).
    pub fn propagate_args(&mut self, db: usize, args: &crate::commands::Args<'_>) {
        let _ = (db, args);
    }
}
