//! Cross-cutting effects of a write, called by command handlers through
//! `Ctx` (commands/mod.rs) and by expiry/eviction:
//! - `signal_modified_key` / `signal_flushed_db`: invalidate WATCH (Redis
//!   db.c signalModifiedKey, multi.c touchWatchedKey/touchAllWatchedKeysInDb);
//! - `notify_keyspace_event`: keyspace notifications (Redis notify.c);
//! - `propagate`: feeds the AOF with the deterministic form of a write
//!   (Redis server.c propagate / alsoPropagate); inside EXEC the writes are
//!   wrapped in MULTI/EXEC; the AOF itself is persistence/aof.rs;
//! - `auth_required`, `client_gone`: connection-level state.
//!
//! Each body belongs to its feature (transactions, pub/sub, persistence);
//! they are grouped here so every caller uses one stable API.

use mio::Token;

use super::Core;
use super::client::ClientState;

/// Keyspace notification classes (Redis's NOTIFY_* flags, notify.c) under short names for the
/// command code (`notify::STRING`); the bits are defined once, next to the
/// `notify-keyspace-events` parser in `config::notify`.
pub mod notify {
    pub use crate::config::{
        NOTIFY_EVICTED as EVICTED, NOTIFY_EXPIRED as EXPIRED, NOTIFY_GENERIC as GENERIC,
        NOTIFY_HASH as HASH, NOTIFY_KEY_MISS as KEY_MISS, NOTIFY_KEYEVENT as KEYEVENT,
        NOTIFY_KEYSPACE as KEYSPACE, NOTIFY_LIST as LIST, NOTIFY_MODULE as MODULE,
        NOTIFY_NEW as NEW, NOTIFY_SET as SET, NOTIFY_STREAM as STREAM, NOTIFY_STRING as STRING,
        NOTIFY_ZSET as ZSET,
    };
}

/// What the keyspace holds for a key, without expiring or touching it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyPresence {
    Missing,
    Live,
    /// Stored, but its TTL has passed (not yet deleted).
    Expired,
}

impl Core {
    /// Turn keys deleted by expiry (lazily during a command, or by the
    /// active cycle) into their effects, in order: `DEL` to the AOF, the
    /// `expired` keyspace event, and WATCH invalidation. Called after every
    /// command, before the command's own propagation, so the AOF sees the
    /// deletion first (Redis's deleteExpiredKeyAndPropagate).
    #[inline]
    pub fn propagate_expired(&mut self) {
        // Runs after every command, often twice: scanning all 16 dbs cost
        // ~120 instructions each time; the hint makes "nothing expired" O(1).
        if crate::keyspace::take_expired_hint() {
            self.propagate_expired_all();
        }
    }

    /// `propagate_expired` without the hint: drains every db. Also run once
    /// per loop turn as a safety net, should a keyspace ever record events
    /// on another thread than the one serving it.
    pub fn propagate_expired_all(&mut self) {
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
    #[inline]
    pub fn auth_required(&self) -> bool {
        !self.config.requirepass.is_empty()
    }

    /// Evict keys until under `maxmemory`/`maxkeys` (Redis's
    /// performEvictions, run before every command when a limit is set).
    /// `may_grow`: the command is DENYOOM, so under `maxkeys` it needs room
    /// for one more key. Returns true if still over the limit and nothing
    /// could be evicted, so DENYOOM commands get -OOM (see `crate::evict`).
    #[inline]
    pub fn evict_before_command(&mut self, may_grow: bool) -> bool {
        if self.config.maxmemory == 0 && self.config.maxkeys == 0 {
            return false;
        }
        let (r, _) = self.perform_evictions(Some(crate::evict::EVICTION_SLICE), may_grow);
        r == crate::evict::EvictResult::Fail
    }

    /// Memory left out of the maxmemory check (Redis's
    /// freeMemoryGetNotCountedMemory): buffers that only grow because of
    /// writes, such as the AOF buffer, which eviction itself feeds with DELs;
    /// and key-table memory held for keys that are not there (free entry
    /// slots, an old index mid-resize: `KeyTable::reusable_bytes`), which
    /// evicting more keys could not give back.
    pub fn not_counted_memory(&self) -> usize {
        self.aof_buffer_memory() + self.keyspace.reusable_bytes()
    }

    /// The AOF buffers (MEMORY STATS `aof.buffer`).
    pub fn aof_buffer_memory(&self) -> usize {
        self.aof.buf.capacity() + self.aof.rewrite_buf.as_ref().map_or(0, Vec::capacity)
    }

    /// Presence of `key` in `db` for WATCH and EXEC (Redis's dictFind /
    /// keyIsExpired): must not expire, touch or count hits.
    pub fn key_presence(&self, db: usize, key: &[u8]) -> KeyPresence {
        let Some(d) = self.keyspace.dbs.get(db) else {
            return KeyPresence::Missing;
        };
        if d.peek(key, self.now_ms).is_some() {
            KeyPresence::Live
        } else if d.expire_at(key).is_some_and(|at| self.now_ms > at) {
            // Still stored (peek hides stale keys), deadline passed.
            KeyPresence::Expired
        } else {
            KeyPresence::Missing
        }
    }

    /// A key in `db` was modified, deleted or expired: clients WATCHing it
    /// must fail their EXEC. Call after the change is applied (a watched
    /// key that was already expired when watched only counts as changed if
    /// it holds a value afterwards).
    pub fn signal_modified_key(&mut self, db: usize, key: &[u8]) {
        if self.watches.is_empty() || !self.watches.is_watched(db, key) {
            return;
        }
        let exists = self.key_presence(db, key) != KeyPresence::Missing;
        self.watches.touch(db, key, exists);
    }

    /// Every key of `db` (or all dbs when `None`) is about to be dropped
    /// (FLUSHDB/FLUSHALL). Call *before* emptying: only watched keys that
    /// exist are touched, as in Redis.
    pub fn signal_flushed_db(&mut self, db: Option<usize>) {
        if self.watches.is_empty() {
            return;
        }
        for (d, key) in self.watches.keys_in(db) {
            if self.key_presence(d, &key) != KeyPresence::Missing {
                self.watches.touch_flushed(d, &key);
            }
        }
    }

    /// Publish `__keyspace@<db>__:<key>` → event and
    /// `__keyevent@<db>__:<event>` → key if the `notify-keyspace-events`
    /// flags select `class` (and K / E respectively).
    pub fn notify_keyspace_event(&mut self, class: u32, event: &str, key: &[u8], db: usize) {
        self.notify_keyspace_event_from(None, class, event, key, db);
    }

    /// `notify_keyspace_event` when the running client is at hand, so a
    /// RESP3 client subscribed to its own key's events gets them before
    /// its reply, as in Redis.
    pub fn notify_keyspace_event_from(
        &mut self,
        mut me: Option<&mut ClientState>,
        class: u32,
        event: &str,
        key: &[u8],
        db: usize,
    ) {
        let flags = self.notify_flags;
        if flags & class == 0 || self.pubsub.is_empty() {
            return;
        }
        let mut tmp = [0u8; 20];
        let dbs = crate::resp::writer::fmt_i64(db as i64, &mut tmp);
        let mut chan = std::mem::take(&mut self.notify_scratch);
        if flags & notify::KEYSPACE != 0 {
            chan.clear();
            chan.extend_from_slice(b"__keyspace@");
            chan.extend_from_slice(dbs);
            chan.extend_from_slice(b"__:");
            chan.extend_from_slice(key);
            crate::commands::pubsub::publish_message(
                self,
                me.as_deref_mut(),
                &chan,
                event.as_bytes(),
            );
        }
        if flags & notify::KEYEVENT != 0 {
            chan.clear();
            chan.extend_from_slice(b"__keyevent@");
            chan.extend_from_slice(dbs);
            chan.extend_from_slice(b"__:");
            chan.extend_from_slice(event.as_bytes());
            crate::commands::pubsub::publish_message(self, me, &chan, key);
        }
        self.notify_scratch = chan;
    }

    /// Re-read `notify-keyspace-events` (startup and CONFIG SET).
    pub fn refresh_notify_flags(&mut self) {
        self.notify_flags =
            crate::config::keyspace_events_flags(self.config.notify_keyspace_events.as_bytes())
                .unwrap_or(0);
    }

    /// Append one write, in its deterministic form, to the AOF stream for `db`.
    #[inline]
    pub fn propagate(&mut self, db: usize, argv: &[&[u8]]) {
        if self.aof.feeding() {
            self.aof.feed(db, argv.len(), argv.iter().copied());
        }
    }

    /// `propagate` for a command logged as received (no argv copy).
    #[inline]
    pub fn propagate_args(&mut self, db: usize, args: &crate::commands::Args<'_>) {
        if self.aof.feeding() {
            self.aof.feed(db, args.len(), args.iter());
        }
    }

    /// EXEC calls this before running its queued commands and
    /// `propagate_multi_end` after: what they propagate is wrapped in
    /// MULTI/EXEC in the AOF (only if anything is), so replaying a log cut
    /// short never applies half a transaction. BGREWRITEAOF in between is
    /// answered "scheduled" and starts after the transaction.
    pub fn propagate_multi_begin(&mut self) {
        self.aof.multi_begin();
    }

    pub fn propagate_multi_end(&mut self) {
        self.aof.multi_end();
    }

    /// A client is gone (disconnect): drop its subscriptions and watches.
    pub fn client_gone(&mut self, token: Token) {
        self.pubsub.remove_client(token);
        self.watches.unwatch_all(token);
    }
}
