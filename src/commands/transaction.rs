//! Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH, and the WATCH index.
//! Follows redis src/multi.c.
//!
//! Queueing happens in dispatch (`commands::execute`): inside MULTI every
//! command but EXEC/DISCARD/MULTI/WATCH/QUIT/RESET is copied into the
//! client's `MultiState` and answered `+QUEUED`; a command rejected while
//! queueing (unknown, wrong arity, OOM, ...) flags the transaction so EXEC
//! answers `-EXECABORT`. EXEC runs the queue through `commands::call`, so
//! each queued command replies, counts and propagates exactly as if sent
//! alone; a runtime error in one does not stop the others.
//!
//! WATCH: `Watches` maps (db, key) to the clients watching it and each
//! client to its keys. `Core::signal_modified_key` (every write, expiry,
//! eviction) and `Core::signal_flushed_db` (FLUSHDB/FLUSHALL) mark watchers
//! dirty; a dirty client's EXEC answers a null array. As in Redis 7, a key
//! that was already logically expired when WATCHed counts as absent: its
//! deletion by expiry or a flush is not a change, but giving it a value is;
//! and a watched key that expires between WATCH and EXEC fails the EXEC
//! even if nothing deleted it yet.

use std::collections::HashMap;

use mio::Token;

use super::flags::*;
use super::{Args, CommandSpec, Ctx};
use crate::error::{CmdResult, ReplyError};
use crate::server::hooks::KeyPresence;

const TX: &str = "transactions";

pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "multi",
        1,
        NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY | NO_MULTI,
        multi,
    )
    .doc(TX, "1.2.0", "O(1)", "Starts a transaction."),
    CommandSpec::new("exec", 1, NOSCRIPT | LOADING | STALE | NO_MULTI, exec).doc(
        TX,
        "1.2.0",
        "Depends on commands in the transaction",
        "Executes all commands in a transaction.",
    ),
    CommandSpec::new(
        "discard",
        1,
        NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY | NO_MULTI,
        discard,
    )
    .doc(
        TX,
        "2.0.0",
        "O(N), when N is the number of queued commands",
        "Discards a transaction.",
    ),
    CommandSpec::new(
        "watch",
        -2,
        NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY | NO_MULTI,
        watch,
    )
    .keys(1, -1, 1)
    .doc(
        TX,
        "2.2.0",
        "O(1) for every key.",
        "Monitors changes to keys to determine the execution of a transaction.",
    ),
    CommandSpec::new(
        "unwatch",
        1,
        NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY,
        unwatch,
    )
    .doc(
        TX,
        "2.2.0",
        "O(1)",
        "Forgets about watched keys of a transaction.",
    ),
];

pub const EXECABORT: &str = "EXECABORT Transaction discarded because of previous errors.";

// ---------------------------------------------------------------------------
// WATCH index
// ---------------------------------------------------------------------------

type Hasher = foldhash::fast::RandomState;

struct WatchedKey {
    db: usize,
    key: Box<[u8]>,
    /// The key was logically expired when WATCHed (Redis's wk->expired).
    expired: bool,
}

#[derive(Default)]
struct ClientWatch {
    keys: Vec<WatchedKey>,
    /// A watched key changed: EXEC will fail (Redis's CLIENT_DIRTY_CAS).
    dirty: bool,
}

#[derive(Default)]
pub struct Watches {
    /// Per db: key → clients watching it.
    dbs: Vec<HashMap<Box<[u8]>, Vec<Token>, Hasher>>,
    clients: HashMap<Token, ClientWatch, Hasher>,
    /// Number of distinct (db, key) entries in `dbs`: 0 makes every
    /// write's check a single compare.
    watched: usize,
}

impl Watches {
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.watched == 0
    }

    pub fn is_watched(&self, db: usize, key: &[u8]) -> bool {
        self.dbs.get(db).is_some_and(|m| m.contains_key(key))
    }

    /// Start watching; a no-op if `client` already watches (db, key).
    pub fn watch(&mut self, client: Token, db: usize, key: &[u8], expired: bool) {
        // Via the key's watchers (usually one), not the client's key list:
        // WATCH with many keys stays linear.
        let watchers = self.dbs.get(db).and_then(|m| m.get(key));
        if watchers.is_some_and(|v| v.contains(&client)) {
            return;
        }
        let cw = self.clients.entry(client).or_default();
        cw.keys.push(WatchedKey {
            db,
            key: key.into(),
            expired,
        });
        if self.dbs.len() <= db {
            self.dbs.resize_with(db + 1, HashMap::default);
        }
        match self.dbs[db].get_mut(key) {
            Some(v) => v.push(client),
            None => {
                self.dbs[db].insert(key.into(), vec![client]);
                self.watched += 1;
            }
        }
    }

    pub fn is_dirty(&self, client: Token) -> bool {
        self.clients.get(&client).is_some_and(|c| c.dirty)
    }

    /// Number of keys `client` watches.
    pub fn count(&self, client: Token) -> usize {
        self.clients.get(&client).map_or(0, |c| c.keys.len())
    }

    /// (db, key) pairs `client` watches that were live when watched: EXEC
    /// fails if one of them has expired since.
    pub fn live_keys(&self, client: Token) -> Vec<(usize, Box<[u8]>)> {
        self.clients.get(&client).map_or_else(Vec::new, |c| {
            c.keys
                .iter()
                .filter(|k| !k.expired)
                .map(|k| (k.db, k.key.clone()))
                .collect()
        })
    }

    /// Remove `client`'s keys from the index (its dirty flag stays).
    fn drop_keys(&mut self, client: Token) {
        let Some(cw) = self.clients.get_mut(&client) else {
            return;
        };
        for wk in cw.keys.drain(..) {
            let Some(map) = self.dbs.get_mut(wk.db) else {
                continue;
            };
            if let Some(v) = map.get_mut(&wk.key) {
                v.retain(|t| *t != client);
                if v.is_empty() {
                    map.remove(&wk.key);
                    self.watched -= 1;
                }
            }
        }
    }

    /// UNWATCH / EXEC / DISCARD / RESET / disconnect: forget everything
    /// about `client`, including its dirty flag.
    pub fn unwatch_all(&mut self, client: Token) {
        self.drop_keys(client);
        self.clients.remove(&client);
    }

    /// Mark `client` dirty; its keys need no more watching (Redis unwatches
    /// them at once too).
    fn set_dirty(&mut self, client: Token) {
        self.drop_keys(client);
        self.clients.entry(client).or_default().dirty = true;
    }

    /// `key` in `db` was modified; `exists` says whether it holds a value
    /// now (after the modification). See the module doc for the rule about
    /// keys that were expired when watched.
    pub fn touch(&mut self, db: usize, key: &[u8], exists: bool) {
        let Some(watchers) = self.dbs.get(db).and_then(|m| m.get(key)) else {
            return;
        };
        // Copy: marking a client dirty edits the list being walked.
        let watchers = watchers.clone();
        for tok in watchers {
            let Some(cw) = self.clients.get_mut(&tok) else {
                continue;
            };
            // An already-expired key got deleted: logically no change.
            if !exists
                && let Some(wk) = cw
                    .keys
                    .iter_mut()
                    .find(|k| k.db == db && *k.key == *key && k.expired)
            {
                wk.expired = false;
                continue;
            }
            self.set_dirty(tok);
        }
    }

    /// Watched keys in `db` (every db when `None`), for a flush to check
    /// which of them exist before it drops them.
    pub fn keys_in(&self, db: Option<usize>) -> Vec<(usize, Box<[u8]>)> {
        let mut out = Vec::new();
        for (i, map) in self.dbs.iter().enumerate() {
            if db.is_none_or(|d| d == i) {
                out.extend(map.keys().map(|k| (i, k.clone())));
            }
        }
        out
    }

    /// A flush is dropping `key` of `db`, which held a value: watchers
    /// become dirty, except those that watched it already expired (Redis's
    /// touchAllWatchedKeysInDb): for them the key just stays absent.
    pub fn touch_flushed(&mut self, db: usize, key: &[u8]) {
        self.touch(db, key, false);
    }
}

// ---------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------

fn multi(ctx: &mut Ctx<'_>, _args: &Args<'_>) -> CmdResult {
    if ctx.client.multi.is_some() {
        return Err(ReplyError::Static("ERR MULTI calls can not be nested"));
    }
    ctx.client.multi = Some(Box::default());
    ctx.reply().ok();
    Ok(())
}

/// Leave MULTI and forget WATCHed keys (Redis's discardTransaction).
pub fn discard_transaction(ctx: &mut Ctx<'_>) {
    ctx.client.multi = None;
    ctx.core.watches.unwatch_all(ctx.client.token);
}

fn discard(ctx: &mut Ctx<'_>, _args: &Args<'_>) -> CmdResult {
    if ctx.client.multi.is_none() {
        return Err(ReplyError::Static("ERR DISCARD without MULTI"));
    }
    discard_transaction(ctx);
    ctx.reply().ok();
    Ok(())
}

/// Has a key the client watched while live expired since?
fn watched_key_expired(ctx: &Ctx<'_>) -> bool {
    let keys = ctx.core.watches.live_keys(ctx.client.token);
    keys.iter()
        .any(|(db, key)| ctx.core.key_presence(*db, key) == KeyPresence::Expired)
}

fn exec(ctx: &mut Ctx<'_>, _args: &Args<'_>) -> CmdResult {
    let Some(m) = ctx.client.multi.take() else {
        return Err(ReplyError::Static("ERR EXEC without MULTI"));
    };
    let tok = ctx.client.token;
    if m.aborted {
        ctx.core.watches.unwatch_all(tok);
        return Err(ReplyError::Static(EXECABORT));
    }
    if ctx.core.watches.is_dirty(tok) || watched_key_expired(ctx) {
        ctx.core.watches.unwatch_all(tok);
        ctx.reply().null_array();
        return Ok(());
    }
    ctx.core.watches.unwatch_all(tok);
    ctx.reply().array(m.queued.len());
    // Writes of the transaction reach the AOF as one MULTI/EXEC block.
    ctx.core.propagate_multi_begin();
    for q in &m.queued {
        let args = Args::new(&q.buf, &q.ranges);
        ctx.core.stats.total_commands_processed += 1;
        super::call(ctx.core, ctx.client, q.spec, &args);
    }
    ctx.core.propagate_multi_end();
    Ok(())
}

fn watch(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    if ctx.client.multi.is_some() {
        return Err(ReplyError::Static("ERR WATCH inside MULTI is not allowed"));
    }
    let tok = ctx.client.token;
    // No point in watching more once EXEC is bound to fail.
    if !ctx.core.watches.is_dirty(tok) {
        let db = ctx.client.db;
        for key in args.iter().skip(1) {
            let expired = ctx.core.key_presence(db, key) == KeyPresence::Expired;
            ctx.core.watches.watch(tok, db, key, expired);
        }
    }
    ctx.reply().ok();
    Ok(())
}

fn unwatch(ctx: &mut Ctx<'_>, _args: &Args<'_>) -> CmdResult {
    ctx.core.watches.unwatch_all(ctx.client.token);
    ctx.reply().ok();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn touch_marks_watchers_dirty_and_unwatches_them() {
        let mut w = Watches::default();
        let (a, b) = (Token(30), Token(31));
        w.watch(a, 0, b"k", false);
        w.watch(a, 0, b"k", false);
        assert_eq!(w.count(a), 1);
        w.watch(a, 0, b"other", false);
        w.watch(b, 1, b"k", false);
        assert!(!w.is_empty());
        w.touch(0, b"k", true);
        assert!(w.is_dirty(a));
        assert!(!w.is_dirty(b));
        // a's keys are gone from the index; b still watches db 1.
        assert!(!w.is_watched(0, b"other"));
        assert!(w.is_watched(1, b"k"));
        w.unwatch_all(a);
        assert!(!w.is_dirty(a));
        w.unwatch_all(b);
        assert!(w.is_empty());
    }

    #[test]
    fn already_expired_key_deleted_is_no_change_but_a_new_value_is() {
        let mut w = Watches::default();
        let a = Token(40);
        w.watch(a, 0, b"k", true);
        w.touch(0, b"k", false); // lazy expiry deleted it
        assert!(!w.is_dirty(a));
        w.touch(0, b"k", true); // now it got a value
        assert!(w.is_dirty(a));
    }

    #[test]
    fn flush_touches_only_existing_keys_and_spares_stale_ones() {
        let mut w = Watches::default();
        let (a, b) = (Token(50), Token(51));
        w.watch(a, 0, b"x", false);
        w.watch(b, 0, b"x", true);
        assert_eq!(w.keys_in(None).len(), 1);
        assert_eq!(w.keys_in(Some(1)).len(), 0);
        w.touch_flushed(0, b"x");
        assert!(w.is_dirty(a));
        assert!(!w.is_dirty(b));
    }
}
