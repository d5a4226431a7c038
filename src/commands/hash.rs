//! Hash commands: HSET, HSETNX, HGET, HMGET, HMSET, HGETALL, HDEL, HLEN, HEXISTS, HKEYS,
//! HVALS, HSTRLEN, HINCRBY, HINCRBYFLOAT, HRANDFIELD, HSCAN.
//!
//! Follows the "Hash type commands" half of redis src/t_hash.c (and `scanGenericCommand` of
//! db.c for HSCAN); the data structure and its two encodings are `keyspace::HashValue`, the
//! "Hash type API" half. Argument errors are checked in Redis's order (HSET's pair count and
//! HINCRBY's increment before the key's type, HSCAN's options after it), because clients see
//! which error wins.
//!
//! Effects: every write calls `Ctx::key_changed` with t_hash.c's event name ("hset", "hdel",
//! "hincrby", "hincrbyfloat"); a key created by a write also fires "new" (Redis's dbAdd), and a
//! hash emptied by HDEL is deleted and fires "del". HINCRBYFLOAT is logged as
//! `HSET key field <result>` so replay does not depend on float formatting.

use super::flags::*;
use super::{Args, CommandSpec, Ctx};
use crate::error::{CmdResult, ReplyError};
use crate::glob::glob_match;
use crate::keyspace::{Db, HashLimits, HashValue, SetExpire, Value};
use crate::resp::Reply;
use crate::server::hooks::notify;
use crate::util::{LongDouble, MAX_I64_DIGITS, MAX_U64_DIGITS, format_i64, format_u64, parse_i64};

const HASH: &str = "hash";

pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("hset", -4, WRITE | DENYOOM | FAST, hset).keys(1, 1, 1).doc(
        HASH,
        "2.0.0",
        "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.",
        "Set the string value of a hash field",
    ),
    CommandSpec::new("hsetnx", 4, WRITE | DENYOOM | FAST, hsetnx).keys(1, 1, 1).doc(
        HASH,
        "2.0.0",
        "O(1)",
        "Set the value of a hash field, only if the field does not exist",
    ),
    CommandSpec::new("hget", 3, READONLY | FAST, hget).keys(1, 1, 1).doc(
        HASH,
        "2.0.0",
        "O(1)",
        "Get the value of a hash field",
    ),
    CommandSpec::new("hmget", -3, READONLY | FAST, hmget).keys(1, 1, 1).doc(
        HASH,
        "2.0.0",
        "O(N) where N is the number of fields being requested.",
        "Get the values of all the given hash fields",
    ),
    CommandSpec::new("hmset", -4, WRITE | DENYOOM | FAST, hmset).keys(1, 1, 1).doc(
        HASH,
        "2.0.0",
        "O(N) where N is the number of fields being set.",
        "Set multiple hash fields to multiple values",
    ),
    CommandSpec::new("hgetall", 2, READONLY, hgetall).keys(1, 1, 1).doc(
        HASH,
        "2.0.0",
        "O(N) where N is the size of the hash.",
        "Get all the fields and values in a hash",
    ),
    CommandSpec::new("hdel", -3, WRITE | FAST, hdel).keys(1, 1, 1).doc(
        HASH,
        "2.0.0",
        "O(N) where N is the number of fields to be removed.",
        "Delete one or more hash fields",
    ),
    CommandSpec::new("hlen", 2, READONLY | FAST, hlen).keys(1, 1, 1).doc(
        HASH,
        "2.0.0",
        "O(1)",
        "Get the number of fields in a hash",
    ),
    CommandSpec::new("hexists", 3, READONLY | FAST, hexists).keys(1, 1, 1).doc(
        HASH,
        "2.0.0",
        "O(1)",
        "Determine if a hash field exists",
    ),
    CommandSpec::new("hkeys", 2, READONLY, hkeys).keys(1, 1, 1).doc(
        HASH,
        "2.0.0",
        "O(N) where N is the size of the hash.",
        "Get all the fields in a hash",
    ),
    CommandSpec::new("hvals", 2, READONLY, hvals).keys(1, 1, 1).doc(
        HASH,
        "2.0.0",
        "O(N) where N is the size of the hash.",
        "Get all the values in a hash",
    ),
    CommandSpec::new("hstrlen", 3, READONLY | FAST, hstrlen).keys(1, 1, 1).doc(
        HASH,
        "3.2.0",
        "O(1)",
        "Get the length of the value of a hash field",
    ),
    CommandSpec::new("hincrby", 4, WRITE | DENYOOM | FAST, hincrby).keys(1, 1, 1).doc(
        HASH,
        "2.0.0",
        "O(1)",
        "Increment the integer value of a hash field by the given number",
    ),
    CommandSpec::new("hincrbyfloat", 4, WRITE | DENYOOM | FAST, hincrbyfloat).keys(1, 1, 1).doc(
        HASH,
        "2.6.0",
        "O(1)",
        "Increment the float value of a hash field by the given amount",
    ),
    CommandSpec::new("hrandfield", -2, READONLY, hrandfield).keys(1, 1, 1).doc(
        HASH,
        "6.2.0",
        "O(N) where N is the number of fields returned",
        "Get one or multiple random fields from a hash",
    ),
    CommandSpec::new("hscan", -3, READONLY, hscan).keys(1, 1, 1).doc(
        HASH,
        "2.8.0",
        "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..",
        "Incrementally iterate hash fields and associated values",
    ),
];

// --- helpers -------------------------------------------------------------------------------

const HASH_NOT_INTEGER: ReplyError = ReplyError::Static("ERR hash value is not an integer");
const HASH_NOT_FLOAT: ReplyError = ReplyError::Static("ERR hash value is not a float");
const INCR_NAN_OR_INF: ReplyError = ReplyError::Static("ERR value is NaN or Infinity");
const RESULT_NAN_OR_INF: ReplyError =
    ReplyError::Static("ERR increment would produce NaN or Infinity");
/// getRangeLongFromObjectOrReply(-LONG_MAX, LONG_MAX) in redis-server 7.0, word for word.
const COUNT_OUT_OF_RANGE: ReplyError = ReplyError::Static(
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
);
/// HRANDFIELD WITHVALUES: a count whose doubled reply length would overflow.
const WITHVALUES_OUT_OF_RANGE: ReplyError = ReplyError::Static("ERR value is out of range");

/// HRANDFIELD with a negative count produces |count| elements, up to 2^63 of them. Redis
/// stops only when the client hits its output-buffer hard limit (and with the default
/// unlimited "normal" class, when memory runs out). We stop at that limit too, or at this
/// many reply bytes when no limit is configured, and close the client as Redis does.
const UNLIMITED_REPLY_CAP: usize = 1 << 30;

/// HSCAN visits at most this many times COUNT positions per call while looking for COUNT
/// matches (Redis's `maxiterations = count*10`).
const MAX_SCAN_STEPS: usize = 10;

/// `hash-max-listpack-entries` / `hash-max-listpack-value` as the data layer takes them.
fn limits(ctx: &Ctx<'_>) -> HashLimits {
    let c = &ctx.core.config;
    HashLimits {
        max_listpack_entries: usize::try_from(c.hash_max_listpack_entries).unwrap_or(usize::MAX),
        max_listpack_value: usize::try_from(c.hash_max_listpack_value).unwrap_or(usize::MAX),
    }
}

/// The client's db, its reply buffer and the loop time, borrowed separately so a handler can
/// write a stored value straight into the reply without copying it.
fn split<'c>(ctx: &'c mut Ctx<'_>) -> (&'c mut Db, &'c mut Reply, u64) {
    let now = ctx.core.now_ms;
    let db = &mut ctx.core.keyspace.dbs[ctx.client.db];
    (db, &mut ctx.client.reply, now)
}

/// `lookupKeyRead` + `checkType`: `None` when the key is missing, WRONGTYPE when it is not a
/// hash. Counts a keyspace hit or miss and touches the LRU/LFU metadata.
fn read_hash<'d>(
    db: &'d mut Db,
    key: &[u8],
    now: u64,
) -> Result<Option<&'d HashValue>, ReplyError> {
    match db.lookup_read(key, now) {
        None => Ok(None),
        Some(e) => e.value.as_hash().map(Some).ok_or(ReplyError::WrongType),
    }
}

/// `lookupKeyWrite` + `checkType` (no hit/miss counting).
fn write_hash<'d>(
    db: &'d mut Db,
    key: &[u8],
    now: u64,
) -> Result<Option<&'d mut HashValue>, ReplyError> {
    match db.lookup_write(key, now) {
        None => Ok(None),
        Some(e) => e.value.as_hash_mut().map(Some).ok_or(ReplyError::WrongType),
    }
}

/// Stores a hash built for a key that did not exist (Redis's `hashTypeLookupWriteOrCreate`
/// creates it empty first; building it apart costs one lookup less and ends the same).
fn store_new(db: &mut Db, key: &[u8], h: HashValue, now: u64) {
    db.set(key, Value::Hash(h), SetExpire::Clear, now);
}

/// The effects of a write that changed `key`: the "new" event first when the write created
/// it (Redis fires it from dbAdd), then the command's own event.
fn hash_changed(ctx: &mut Ctx<'_>, key: &[u8], created: bool, event: &str) {
    if created {
        let db = ctx.client.db;
        ctx.core.notify_keyspace_event(notify::NEW, "new", key, db);
    }
    ctx.key_changed(key, notify::HASH, event);
}

// --- commands ------------------------------------------------------------------------------

fn hset(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    hset_generic(ctx, args, "hset")
}

/// HMSET: HSET replying +OK (deprecated alias kept by Redis).
fn hmset(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    hset_generic(ctx, args, "hmset")
}

/// `hsetCommand`: the pair count is checked before the key (so a bad count wins over
/// WRONGTYPE); HSET replies with the number of new fields, HMSET with +OK.
fn hset_generic(ctx: &mut Ctx<'_>, args: &Args<'_>, name: &'static str) -> CmdResult {
    if args.len() % 2 == 1 {
        return Err(ReplyError::WrongArity(name.to_string()));
    }
    let key = args.get(1);
    let limits = limits(ctx);
    let (db, reply, now) = split(ctx);
    let set_all = |h: &mut HashValue| {
        let mut added = 0;
        for i in (2..args.len()).step_by(2) {
            if h.insert(args.get(i), args.get(i + 1), limits) {
                added += 1;
            }
        }
        added
    };
    let (added, created) = match write_hash(db, key, now)? {
        Some(h) => (set_all(h), false),
        None => {
            let mut h = HashValue::new();
            let added = set_all(&mut h);
            store_new(db, key, h, now);
            (added, true)
        }
    };
    if name == "hset" {
        reply.int(added);
    } else {
        reply.ok();
    }
    hash_changed(ctx, key, created, "hset");
    Ok(())
}

fn hsetnx(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    let (key, field, value) = (args.get(1), args.get(2), args.get(3));
    let limits = limits(ctx);
    let (db, reply, now) = split(ctx);
    let created = match write_hash(db, key, now)? {
        Some(h) if h.contains(field) => {
            reply.int(0);
            return Ok(());
        }
        Some(h) => {
            h.insert(field, value, limits);
            false
        }
        None => {
            let mut h = HashValue::new();
            h.insert(field, value, limits);
            store_new(db, key, h, now);
            true
        }
    };
    reply.int(1);
    hash_changed(ctx, key, created, "hset");
    Ok(())
}

fn hget(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    let (db, reply, now) = split(ctx);
    match read_hash(db, args.get(1), now)?.and_then(|h| h.get(args.get(2))) {
        Some(v) => reply.bulk(v),
        None => reply.null(),
    }
    Ok(())
}

fn hmget(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    let (db, reply, now) = split(ctx);
    let h = read_hash(db, args.get(1), now)?;
    reply.array(args.len() - 2);
    for i in 2..args.len() {
        match h.and_then(|h| h.get(args.get(i))) {
            Some(v) => reply.bulk(v),
            None => reply.null(),
        }
    }
    Ok(())
}

/// What `genericHgetallCommand` puts in its reply.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    Keys,
    Values,
    Both,
}

/// HGETALL (a map in RESP3), HKEYS and HVALS (arrays). A missing key is an empty map/array.
fn getall_generic(ctx: &mut Ctx<'_>, args: &Args<'_>, part: Part) -> CmdResult {
    let (db, reply, now) = split(ctx);
    let h = read_hash(db, args.get(1), now)?;
    let len = h.map_or(0, HashValue::len);
    if part == Part::Both {
        reply.map(len);
    } else {
        reply.array(len);
    }
    if let Some(h) = h {
        h.for_each(|k, v| {
            if part != Part::Values {
                reply.bulk(k);
            }
            if part != Part::Keys {
                reply.bulk(v);
            }
        });
    }
    Ok(())
}

fn hgetall(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    getall_generic(ctx, args, Part::Both)
}

fn hkeys(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    getall_generic(ctx, args, Part::Keys)
}

fn hvals(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    getall_generic(ctx, args, Part::Values)
}

/// `hdelCommand`: deletes the key with its last field, firing "hdel" then "del".
fn hdel(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    let key = args.get(1);
    let (db, reply, now) = split(ctx);
    let Some(h) = write_hash(db, key, now)? else {
        reply.int(0);
        return Ok(());
    };
    let mut deleted = 0;
    for i in 2..args.len() {
        if h.remove(args.get(i)) {
            deleted += 1;
            if h.is_empty() {
                break;
            }
        }
    }
    let emptied = h.is_empty();
    if emptied {
        db.remove(key, now);
    }
    reply.int(deleted);
    if deleted > 0 {
        ctx.key_changed(key, notify::HASH, "hdel");
        if emptied {
            let db = ctx.client.db;
            ctx.core
                .notify_keyspace_event(notify::GENERIC, "del", key, db);
        }
    }
    Ok(())
}

fn hlen(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    let (db, reply, now) = split(ctx);
    let n = read_hash(db, args.get(1), now)?.map_or(0, HashValue::len);
    reply.int(n as i64);
    Ok(())
}

fn hexists(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    let (db, reply, now) = split(ctx);
    let found = read_hash(db, args.get(1), now)?.is_some_and(|h| h.contains(args.get(2)));
    reply.int(i64::from(found));
    Ok(())
}

fn hstrlen(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    let (db, reply, now) = split(ctx);
    let len = read_hash(db, args.get(1), now)?
        .and_then(|h| h.get(args.get(2)))
        .map_or(0, |v| v.len());
    reply.int(len as i64);
    Ok(())
}

/// `hincrbyCommand`: the increment is parsed before the key is looked up; a stored value must
/// pass `string2ll`; the sum must fit in an i64.
fn hincrby(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    let (key, field) = (args.get(1), args.get(2));
    let incr = args.i64(3)?;
    let limits = limits(ctx);
    let (db, reply, now) = split(ctx);
    let mut buf = [0u8; MAX_I64_DIGITS];
    let (value, created) = match write_hash(db, key, now)? {
        Some(h) => {
            let old = match h.get(field) {
                Some(v) => parse_i64(v).ok_or(HASH_NOT_INTEGER)?,
                None => 0,
            };
            let value = old.checked_add(incr).ok_or(ReplyError::Overflow)?;
            h.insert(field, format_i64(value, &mut buf), limits);
            (value, false)
        }
        None => {
            let mut h = HashValue::new();
            h.insert(field, format_i64(incr, &mut buf), limits);
            store_new(db, key, h, now);
            (incr, true)
        }
    };
    reply.int(value);
    hash_changed(ctx, key, created, "hincrby");
    Ok(())
}

/// `hincrbyfloatCommand`: C `long double` arithmetic and `%.17Lf`-style formatting through
/// `util::LongDouble`, so replies match Redis digit for digit. Logged as HSET of the result.
fn hincrbyfloat(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    let (key, field) = (args.get(1), args.get(2));
    let incr = LongDouble::parse(args.get(3)).ok_or(ReplyError::NotFloat)?;
    if !incr.is_finite() {
        return Err(INCR_NAN_OR_INF);
    }
    let limits = limits(ctx);
    let (db, reply, now) = split(ctx);
    let mut text = Vec::with_capacity(32);
    let created = match write_hash(db, key, now)? {
        Some(h) => {
            let old = match h.get(field) {
                Some(v) => LongDouble::parse(v).ok_or(HASH_NOT_FLOAT)?,
                None => LongDouble::ZERO,
            };
            let value = old + incr;
            if !value.is_finite() {
                return Err(RESULT_NAN_OR_INF);
            }
            value.format_human(&mut text);
            h.insert(field, &text, limits);
            false
        }
        None => {
            // 0 + a finite increment is finite.
            (LongDouble::ZERO + incr).format_human(&mut text);
            let mut h = HashValue::new();
            h.insert(field, &text, limits);
            store_new(db, key, h, now);
            true
        }
    };
    reply.bulk(&text);
    hash_changed(ctx, key, created, "hincrbyfloat");
    // Keys this command found expired must reach the AOF (as DEL) before the HSET that
    // recreates them.
    ctx.core.propagate_expired();
    ctx.propagate_as(&[b"HSET", key, field, &text]);
    Ok(())
}

/// `hrandfieldCommand`. Without a count: one field (null if the key is missing). With one:
/// count ≥ 0 gives min(count, len) distinct fields (the whole hash, in order, when count ≥
/// len), count < 0 gives |count| independent picks. WITHVALUES pairs each field with its value:
/// flat in RESP2, a two-element array per pair in RESP3.
fn hrandfield(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    let key = args.get(1);
    if args.len() == 2 {
        let (db, reply, now) = split(ctx);
        let h = read_hash(db, key, now)?;
        if !h.is_some_and(|h| h.random_field(&mut rand::rng(), |k, _| reply.bulk(k))) {
            reply.null();
        }
        return Ok(());
    }
    let count = args.i64(2)?;
    if count == i64::MIN {
        return Err(COUNT_OUT_OF_RANGE);
    }
    let withvalues = match args.len() {
        3 => false,
        4 if args.is(3, "withvalues") => true,
        _ => return Err(ReplyError::Syntax),
    };
    if withvalues && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&count) {
        return Err(WITHVALUES_OUT_OF_RANGE);
    }
    let cap = match ctx
        .core
        .config
        .client_output_buffer_limit
        .normal
        .hard_limit_bytes
    {
        0 => UNLIMITED_REPLY_CAP,
        n => usize::try_from(n).unwrap_or(usize::MAX),
    };
    let (db, reply, now) = split(ctx);
    let Some(h) = read_hash(db, key, now)? else {
        reply.array(0);
        return Ok(());
    };
    let resp3 = reply.is_resp3();
    // Header for `n` elements, then one element: a field, or a field/value pair.
    let header = |reply: &mut Reply, n: u64| {
        let n = usize::try_from(n).unwrap_or(usize::MAX);
        reply.array(if withvalues && !resp3 {
            n.saturating_mul(2)
        } else {
            n
        });
    };
    let element = |reply: &mut Reply, k: &[u8], v: &[u8]| {
        if withvalues && resp3 {
            reply.array(2);
        }
        reply.bulk(k);
        if withvalues {
            reply.bulk(v);
        }
    };
    let len = h.len() as u64;
    let mut rng = rand::rng();
    if count == 0 {
        reply.array(0);
    } else if count < 0 {
        let start = reply.buf.len();
        header(reply, count.unsigned_abs());
        let complete = h.random_fields(count, &mut rng, |k, v| {
            element(reply, k, v);
            reply.buf.len() - start <= cap
        });
        if !complete {
            reply.buf.truncate(start);
            tracing::warn!(
                "Client id={} closed for overcoming of output buffer limits (HRANDFIELD with count {count}).",
                ctx.client.id
            );
            ctx.core.clients.schedule_close(ctx.client);
            return Ok(());
        }
    } else {
        header(reply, (count as u64).min(len));
        h.random_fields(count, &mut rng, |k, v| {
            element(reply, k, v);
            true
        });
    }
    Ok(())
}

/// HSCAN key cursor [MATCH pattern] [COUNT count]. A listpack hash is returned whole with
/// cursor 0; a hash table is walked with `HashValue::scan`'s cursor, which returns every field
/// present for the whole iteration at least once. Like Redis, a call keeps scanning until it
/// has `count` matches or has visited ten times `count` positions.
fn hscan(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    let cursor = args.scan_cursor(2)?;
    let (db, reply, now) = split(ctx);
    let Some(h) = read_hash(db, args.get(1), now)? else {
        reply.raw(b"*2\r\n$1\r\n0\r\n*0\r\n");
        return Ok(());
    };
    let mut count: usize = 10;
    let mut pattern: Option<&[u8]> = None;
    let mut i = 3;
    while i < args.len() {
        let has_value = args.len() - i >= 2;
        if has_value && args.is(i, "count") {
            let n = args.i64(i + 1)?;
            if n < 1 {
                return Err(ReplyError::Syntax);
            }
            count = usize::try_from(n).unwrap_or(usize::MAX);
        } else if has_value && args.is(i, "match") {
            let p = args.get(i + 1);
            pattern = (p != b"*").then_some(p);
        } else {
            return Err(ReplyError::Syntax);
        }
        i += 2;
    }
    // The reply starts with the next cursor, known only after the walk: write the matches
    // first, then put the header in front of them (no value is copied).
    let start = reply.buf.len();
    let mut found = 0usize;
    let mut next = cursor;
    for _ in 0..MAX_SCAN_STEPS {
        next = h.scan(next, count, |k, v| {
            if pattern.is_none_or(|p| glob_match(p, k, false)) {
                reply.bulk(k);
                reply.bulk(v);
                found += 1;
            }
        });
        if next == 0 || found >= count {
            break;
        }
    }
    let mut head = Reply {
        buf: Vec::with_capacity(64),
        proto: reply.proto,
    };
    head.array(2);
    let mut digits = [0u8; MAX_U64_DIGITS];
    head.bulk(format_u64(next, &mut digits));
    head.array(found * 2);
    reply.buf.splice(start..start, head.buf);
    Ok(())
}
