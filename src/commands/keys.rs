//! Type-agnostic keyspace commands: DEL, UNLINK, EXISTS, TYPE, RENAME, RENAMENX, COPY, MOVE,
//! SWAPDB, KEYS, SCAN, RANDOMKEY, TOUCH and OBJECT. Follows redis src/db.c (`delGenericCommand`,
//! `renameGenericCommand`, `moveCommand`, `copyCommand`, `swapdbCommand`, `keysCommand`,
//! `scanGenericCommand`) and src/object.c (`objectCommand`).
//!
//! RENAME and MOVE move the stored value itself (with its TTL and its LRU/LFU word), as Redis
//! moves the object; COPY duplicates the value and gives the copy fresh access metadata.
//! UNLINK frees synchronously like DEL: there is no lazy-free thread.

use super::connection::reply_help;
use super::flags::*;
use super::{Args, CommandSpec, Ctx, container_only};
use crate::config::MaxmemoryPolicy;
use crate::error::{CmdResult, ReplyError};
use crate::glob::glob_match;
use crate::keyspace::meta::{lfu_decr_and_return, lru_idle_ms};
use crate::keyspace::{Db, LookupFlags, Removed, SetExpire, StrValue, Value, scan_step};
use crate::server::Core;
use crate::server::hooks::notify;

const GEN: &str = "generic";

pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("del", -2, WRITE, del).keys(1, -1, 1)
        .doc(GEN, "1.0.0", "O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).", "Delete a key"),
    CommandSpec::new("unlink", -2, WRITE | FAST, unlink).keys(1, -1, 1)
        .doc(GEN, "4.0.0", "O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of.", "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking."),
    CommandSpec::new("exists", -2, READONLY | FAST, exists).keys(1, -1, 1)
        .doc(GEN, "1.0.0", "O(N) where N is the number of keys to check.", "Determine if a key exists"),
    CommandSpec::new("type", 2, READONLY | FAST, type_cmd).keys(1, 1, 1)
        .doc(GEN, "1.0.0", "O(1)", "Determine the type stored at key"),
    CommandSpec::new("rename", 3, WRITE, rename).keys(1, 2, 1)
        .doc(GEN, "1.0.0", "O(1)", "Rename a key"),
    CommandSpec::new("renamenx", 3, WRITE | FAST, renamenx).keys(1, 2, 1)
        .doc(GEN, "1.0.0", "O(1)", "Rename a key, only if the new key does not exist"),
    CommandSpec::new("copy", -3, WRITE | DENYOOM, copy).keys(1, 2, 1)
        .doc(GEN, "6.2.0", "O(N) worst case for collections, where N is the number of nested items. O(1) for string values.", "Copy a key"),
    CommandSpec::new("move", 3, WRITE | FAST, move_cmd).keys(1, 1, 1)
        .doc(GEN, "1.0.0", "O(1)", "Move a key to another database"),
    CommandSpec::new("swapdb", 3, WRITE | FAST, swapdb)
        .doc("server", "4.0.0", "O(N) where N is the count of clients watching or blocking on keys from both databases.", "Swaps two Redis databases"),
    CommandSpec::new("keys", 2, READONLY, keys)
        .doc(GEN, "1.0.0", "O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.", "Find all keys matching the given pattern"),
    CommandSpec::new("scan", -2, READONLY, scan)
        .doc(GEN, "2.8.0", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.", "Incrementally iterate the keys space"),
    CommandSpec::new("randomkey", 1, READONLY, randomkey)
        .doc(GEN, "1.0.0", "O(1)", "Return a random key from the keyspace"),
    CommandSpec::new("touch", -2, READONLY | FAST, touch).keys(1, -1, 1)
        .doc(GEN, "3.2.1", "O(N) where N is the number of keys that will be touched.", "Alters the last access time of a key(s). Returns the number of existing keys specified."),
    CommandSpec::new("object", -2, 0, container_only)
        .doc(GEN, "2.2.3", "Depends on subcommand.", "A container for object introspection commands")
        .subs(OBJECT_SUBCOMMANDS),
];

static OBJECT_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new("encoding", 3, READONLY, object_encoding)
        .keys(2, 2, 1)
        .doc(
            GEN,
            "2.2.3",
            "O(1)",
            "Inspect the internal encoding of a Redis object",
        ),
    CommandSpec::new("freq", 3, READONLY, object_freq)
        .keys(2, 2, 1)
        .doc(
            GEN,
            "4.0.0",
            "O(1)",
            "Get the logarithmic access frequency counter of a Redis object",
        ),
    CommandSpec::new("idletime", 3, READONLY, object_idletime)
        .keys(2, 2, 1)
        .doc(
            GEN,
            "2.2.3",
            "O(1)",
            "Get the time since a Redis object was last accessed",
        ),
    CommandSpec::new("refcount", 3, READONLY, object_refcount)
        .keys(2, 2, 1)
        .doc(
            GEN,
            "2.2.3",
            "O(1)",
            "Get the number of references to the value of the key",
        ),
    CommandSpec::new("help", 2, LOADING | STALE, object_help).doc(
        GEN,
        "6.2.0",
        "O(1)",
        "Show helpful text about the different subcommands",
    ),
];

// --- helpers

const SAME_OBJECT: ReplyError =
    ReplyError::Static("ERR source and destination objects are the same");
const DB_OUT_OF_RANGE: ReplyError = ReplyError::Static("ERR DB index is out of range");

/// Redis's shared integers (`OBJ_SHARED_INTEGERS`): values 0..10000 are one shared object with
/// refcount `OBJ_SHARED_REFCOUNT`, unless an LRU/LFU maxmemory policy needs per-key metadata.
const SHARED_INTEGERS: i64 = 10_000;
const SHARED_REFCOUNT: i64 = i32::MAX as i64;

/// Redis `getIntFromObjectOrReply` with no custom message: an i64, then the C `int` range.
fn parse_int(args: &Args<'_>, i: usize) -> Result<i32, ReplyError> {
    let v = args.i64(i)?;
    i32::try_from(v).map_err(|_| {
        ReplyError::Static(
            "ERR value is out of range, value must between -2147483648 and 2147483647",
        )
    })
}

/// A DB index argument (MOVE, COPY ... DB): an `int`, then within `databases`.
fn parse_db_index(core: &Core, args: &Args<'_>, i: usize) -> Result<usize, ReplyError> {
    let id = parse_int(args, i)?;
    usize::try_from(id)
        .ok()
        .filter(|&id| id < core.keyspace.dbs.len())
        .ok_or(DB_OUT_OF_RANGE)
}

/// `Ctx::key_changed` for a key in another database (MOVE's target, COPY ... DB).
fn key_changed_in(core: &mut Core, db: usize, key: &[u8], event: &str) {
    core.dirty += 1;
    core.signal_modified_key(db, key);
    core.notify_keyspace_event(notify::GENERIC, event, key, db);
}

/// Stores a value taken out of a db under `key` in `db`, with its TTL and access metadata:
/// the second half of a RENAME or MOVE. `key` must be absent (or stale) in `db`.
fn reinsert(db: &mut Db, key: &[u8], r: Removed, now: u64) {
    let expire = r.expire_at.map_or(SetExpire::Clear, SetExpire::At);
    db.set(key, r.value, expire, now);
    let policy = db.meta_policy();
    if let Some(e) = db.lookup(key, now, LookupFlags::NOTOUCH | LookupFlags::NOSTATS) {
        e.set_meta(crate::keyspace::meta::carry_over(policy, e.meta(), r.meta));
    }
}

/// SWAPDB's effect on WATCH (Redis `touchAllWatchedKeysInDb` both ways), called before the
/// swap: a key watched in one db changes if it exists in either db, and afterwards holds
/// what the other db had.
fn touch_watched_for_swap(core: &mut Core, a: usize, b: usize) {
    if core.watches.is_empty() {
        return;
    }
    let now = core.now_ms;
    for (x, y) in [(a, b), (b, a)] {
        for (_, key) in core.watches.keys_in(Some(x)) {
            let live = |db: usize| {
                core.keyspace
                    .dbs
                    .get(db)
                    .is_some_and(|d| d.peek(&key, now).is_some())
            };
            let (in_x, in_y) = (live(x), live(y));
            if in_x || in_y {
                core.watches.touch(x, &key, in_y);
            }
        }
    }
}

/// Whether `maxmemory-policy` is one of the LFU ones (Redis `MAXMEMORY_FLAG_LFU`).
fn policy_is_lfu(core: &Core) -> bool {
    matches!(
        core.config.maxmemory_policy,
        MaxmemoryPolicy::VolatileLfu | MaxmemoryPolicy::AllkeysLfu
    )
}

/// Whether Redis would store small integers as shared objects (no maxmemory, or a policy that
/// does not need per-key LRU/LFU data: `MAXMEMORY_FLAG_NO_SHARED_INTEGERS`).
fn shares_integers(core: &Core) -> bool {
    core.config.maxmemory == 0
        || !matches!(
            core.config.maxmemory_policy,
            MaxmemoryPolicy::VolatileLru
                | MaxmemoryPolicy::AllkeysLru
                | MaxmemoryPolicy::VolatileLfu
                | MaxmemoryPolicy::AllkeysLfu
        )
}

/// DEL and UNLINK (Redis `delGenericCommand`): a stale key counts as already gone.
fn del_generic(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    let now = ctx.now();
    let mut deleted = 0;
    for key in args.iter().skip(1) {
        if ctx.db().remove(key, now).is_some() {
            ctx.key_changed(key, notify::GENERIC, "del");
            deleted += 1;
        }
    }
    ctx.reply().int(deleted);
    Ok(())
}

/// RENAME and RENAMENX (Redis `renameGenericCommand`).
fn rename_generic(ctx: &mut Ctx<'_>, args: &Args<'_>, nx: bool) -> CmdResult {
    let (src, dst) = (args.get(1), args.get(2));
    let now = ctx.now();
    if ctx.db().lookup_write(src, now).is_none() {
        return Err(ReplyError::NoSuchKey);
    }
    // Same name: nothing to do, but a missing key was still an error above.
    if src == dst {
        if nx {
            ctx.reply().int(0);
        } else {
            ctx.reply().ok();
        }
        return Ok(());
    }
    let db = ctx.db();
    if db.lookup_write(dst, now).is_some() {
        if nx {
            ctx.reply().int(0);
            return Ok(());
        }
        db.delete(dst);
    }
    let Some(removed) = db.remove(src, now) else {
        return Err(ReplyError::NoSuchKey);
    };
    reinsert(db, dst, removed, now);
    ctx.key_changed(src, notify::GENERIC, "rename_from");
    ctx.key_changed(dst, notify::GENERIC, "rename_to");
    if nx {
        ctx.reply().int(1);
    } else {
        ctx.reply().ok();
    }
    Ok(())
}

// --- handlers

fn del(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    del_generic(ctx, args)
}

fn unlink(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    del_generic(ctx, args)
}

/// Counts repeated keys once per mention, like Redis.
fn exists(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    let now = ctx.now();
    let db = ctx.db();
    let n = args
        .iter()
        .skip(1)
        .filter(|k| db.lookup(k, now, LookupFlags::NOTOUCH).is_some())
        .count();
    ctx.reply().int(n as i64);
    Ok(())
}

fn type_cmd(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    let now = ctx.now();
    let name = ctx
        .db()
        .lookup(args.get(1), now, LookupFlags::NOTOUCH)
        .map_or("none", |e| e.value.type_name());
    ctx.reply().simple(name);
    Ok(())
}

fn rename(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    rename_generic(ctx, args, false)
}

fn renamenx(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    rename_generic(ctx, args, true)
}

/// COPY source destination [DB destination-db] [REPLACE]
fn copy(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    let (src, dst) = (args.get(1), args.get(2));
    let src_db = ctx.client.db;
    let mut dst_db = src_db;
    let mut replace = false;
    let mut i = 3;
    while i < args.len() {
        if args.is(i, "replace") {
            replace = true;
        } else if args.is(i, "db") && i + 1 < args.len() {
            dst_db = parse_db_index(ctx.core, args, i + 1)?;
            i += 1;
        } else {
            return Err(ReplyError::Syntax);
        }
        i += 1;
    }
    if src_db == dst_db && src == dst {
        return Err(SAME_OBJECT);
    }
    let now = ctx.now();
    let db = ctx.db();
    let Some(e) = db.lookup_read(src, now) else {
        ctx.reply().int(0);
        return Ok(());
    };
    let value = e.value.clone();
    let expire = db.expire_at(src).map_or(SetExpire::Clear, SetExpire::At);
    let Some(target) = ctx.core.keyspace.db(dst_db) else {
        return Err(DB_OUT_OF_RANGE);
    };
    if target.lookup_write(dst, now).is_some() {
        if !replace {
            ctx.reply().int(0);
            return Ok(());
        }
        // Redis deletes then adds: the copy starts with fresh access metadata.
        target.delete(dst);
    }
    target.set(dst, value, expire, now);
    key_changed_in(ctx.core, dst_db, dst, "copy_to");
    ctx.reply().int(1);
    Ok(())
}

fn move_cmd(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    let key = args.get(1);
    let src_id = ctx.client.db;
    let dst_id = parse_db_index(ctx.core, args, 2)?;
    if dst_id == src_id {
        return Err(SAME_OBJECT);
    }
    let now = ctx.now();
    let Some((src, dst)) = ctx.core.keyspace.two_dbs_mut(src_id, dst_id) else {
        return Err(DB_OUT_OF_RANGE);
    };
    if src.lookup_write(key, now).is_none() || dst.lookup_write(key, now).is_some() {
        ctx.reply().int(0);
        return Ok(());
    }
    let Some(removed) = src.remove(key, now) else {
        ctx.reply().int(0);
        return Ok(());
    };
    reinsert(dst, key, removed, now);
    ctx.key_changed(key, notify::GENERIC, "move_from");
    key_changed_in(ctx.core, dst_id, key, "move_to");
    ctx.reply().int(1);
    Ok(())
}

fn swapdb(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    let a = parse_int(args, 1).map_err(|_| ReplyError::Static("ERR invalid first DB index"))?;
    let b = parse_int(args, 2).map_err(|_| ReplyError::Static("ERR invalid second DB index"))?;
    let (Ok(a), Ok(b)) = (usize::try_from(a), usize::try_from(b)) else {
        return Err(DB_OUT_OF_RANGE);
    };
    let n = ctx.core.keyspace.dbs.len();
    if a >= n || b >= n {
        return Err(DB_OUT_OF_RANGE);
    }
    if a != b {
        touch_watched_for_swap(ctx.core, a, b);
        ctx.core.keyspace.swap_dbs(a, b);
    }
    ctx.core.dirty += 1;
    ctx.reply().ok();
    Ok(())
}

/// Expired keys are skipped, not deleted (Redis 7 `keysCommand` uses `keyIsExpired`).
fn keys(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    let pattern = args.get(1);
    // A lone `*` matches everything, the empty key included (Redis special-cases it too).
    let all = pattern == b"*";
    let now = ctx.now();
    let Some(db) = ctx.core.keyspace.dbs.get(ctx.client.db) else {
        return Err(DB_OUT_OF_RANGE);
    };
    let r = &mut ctx.client.reply;
    let d = r.begin_deferred();
    let mut n = 0;
    for (k, _, at) in db.iter() {
        if at.is_some_and(|at| now > at) {
            continue;
        }
        if all || glob_match(pattern, k.as_bytes(), false) {
            r.bulk(k.as_bytes());
            n += 1;
        }
    }
    r.end_array(d, n);
    Ok(())
}

/// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]. COUNT is the number of slots visited
/// per call; MATCH and TYPE filter what those slots hold. Stale keys met are expired.
fn scan(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    let cursor = args.scan_cursor(1)?;
    let mut count = 10usize;
    let mut pattern: Option<&[u8]> = None;
    let mut type_name: Option<&[u8]> = None;
    let mut i = 2;
    while i < args.len() {
        let more = i + 1 < args.len();
        if args.is(i, "count") && more {
            let c = args.i64(i + 1)?;
            if c < 1 {
                return Err(ReplyError::Syntax);
            }
            count = usize::try_from(c).unwrap_or(usize::MAX);
        } else if args.is(i, "match") && more {
            let p = args.get(i + 1);
            pattern = (p != b"*").then_some(p);
        } else if args.is(i, "type") && more {
            type_name = Some(args.get(i + 1));
        } else {
            return Err(ReplyError::Syntax);
        }
        i += 2;
    }
    let now = ctx.now();
    let Some(db) = ctx.core.keyspace.dbs.get_mut(ctx.client.db) else {
        return Err(DB_OUT_OF_RANGE);
    };
    let r = &mut ctx.client.reply;
    // The cursor comes first in the reply; the step's bounds do not depend on what it finds.
    let (_, next) = scan_step(db.len(), cursor, count);
    r.array(2);
    r.bulk_i64(next as i64);
    let d = r.begin_deferred();
    let mut n = 0;
    let got = db.scan(cursor, count, now, |k, e| {
        if pattern.is_some_and(|p| !glob_match(p, k.as_bytes(), false)) {
            return;
        }
        if type_name.is_some_and(|t| !t.eq_ignore_ascii_case(e.value.type_name().as_bytes())) {
            return;
        }
        r.bulk(k.as_bytes());
        n += 1;
    });
    debug_assert_eq!(got, next);
    r.end_array(d, n);
    Ok(())
}

fn randomkey(ctx: &mut Ctx<'_>, _args: &Args<'_>) -> CmdResult {
    let now = ctx.now();
    let Some(db) = ctx.core.keyspace.dbs.get_mut(ctx.client.db) else {
        return Err(DB_OUT_OF_RANGE);
    };
    let r = &mut ctx.client.reply;
    match db.random_key(&mut rand::rng(), now) {
        Some(k) => r.bulk(k.as_bytes()),
        None => r.null(),
    }
    Ok(())
}

fn touch(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    let now = ctx.now();
    let db = ctx.db();
    let n = args
        .iter()
        .skip(1)
        .filter(|k| db.lookup_read(k, now).is_some())
        .count();
    ctx.reply().int(n as i64);
    Ok(())
}

/// OBJECT's lookup (Redis `objectCommandLookup`): no touch, but counts a hit or miss.
/// Replies null for a missing key and returns None; otherwise returns `f` of the entry.
fn object_lookup<T>(
    ctx: &mut Ctx<'_>,
    args: &Args<'_>,
    f: impl FnOnce(&crate::keyspace::Entry) -> T,
) -> Option<T> {
    let now = ctx.now();
    let found = ctx
        .db()
        .lookup(args.get(2), now, LookupFlags::NOTOUCH)
        .map(|e| f(e));
    if found.is_none() {
        ctx.reply().null();
    }
    found
}

fn object_encoding(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    if let Some(enc) = object_lookup(ctx, args, |e| e.value.encoding()) {
        ctx.reply().bulk(enc.as_bytes());
    }
    Ok(())
}

fn object_refcount(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    let shared = shares_integers(ctx.core);
    let rc = object_lookup(ctx, args, |e| match e.value {
        Value::Str(StrValue::Int(v)) if shared && (0..SHARED_INTEGERS).contains(&v) => {
            SHARED_REFCOUNT
        }
        _ => 1,
    });
    if let Some(rc) = rc {
        ctx.reply().int(rc);
    }
    Ok(())
}

fn object_idletime(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    let now = ctx.now();
    let Some(meta) = object_lookup(ctx, args, |e| e.meta()) else {
        return Ok(());
    };
    if policy_is_lfu(ctx.core) {
        return Err(ReplyError::Static(
            "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
        ));
    }
    ctx.reply().int((lru_idle_ms(meta, now) / 1000) as i64);
    Ok(())
}

fn object_freq(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    let now = ctx.now();
    let Some(meta) = object_lookup(ctx, args, |e| e.meta()) else {
        return Ok(());
    };
    if !policy_is_lfu(ctx.core) {
        return Err(ReplyError::Static(
            "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
        ));
    }
    let decay = u32::try_from(ctx.core.config.lfu_decay_time).unwrap_or(u32::MAX);
    ctx.reply()
        .int(i64::from(lfu_decr_and_return(meta, decay, now)));
    Ok(())
}

fn object_help(ctx: &mut Ctx<'_>, _args: &Args<'_>) -> CmdResult {
    const LINES: &[&str] = &[
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.",
    ];
    reply_help(ctx, "OBJECT", LINES);
    Ok(())
}
