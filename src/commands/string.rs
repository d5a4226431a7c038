//! String commands: SET and its variants (SETNX, SETEX, PSETEX, GETSET, MSET, MSETNX), GET,
//! GETDEL, GETEX, MGET, APPEND, STRLEN, GETRANGE/SUBSTR, SETRANGE, INCR/DECR/INCRBY/DECRBY,
//! INCRBYFLOAT and LCS.
//!
//! Follows redis 7.0 src/t_string.c: same argument parsing (`parseExtendedStringArgumentsOrReply`),
//! same order of checks (so the same error wins when several apply), same keyspace events and the
//! same AOF forms (relative TTLs become `SET k v PXAT ms` / `PEXPIREAT`, INCRBYFLOAT becomes
//! `SET k v KEEPTTL`, GETDEL and an already-expired GETEX become `DEL`). Every reply and error
//! text was compared with redis-server 7.0.15.
//!
//! Encodings (OBJECT ENCODING): values written whole go through `Value::string`, which int-encodes
//! canonical i64s as Redis's `tryObjectEncoding` does; APPEND/SETRANGE edit in place and leave a
//! `raw` string; INCR family results are ints (updated in place, no allocation); INCRBYFLOAT
//! results are stored verbatim (`embstr`), as Redis never int-encodes them.

use super::flags::*;
use super::{Args, CommandSpec, Ctx};
use crate::error::{CmdResult, ReplyError};
use crate::keyspace::{Db, SetExpire, StrValue, Value};
use crate::resp::Reply;
use crate::server::hooks::notify;
use crate::util::{LongDouble, MAX_I64_DIGITS, format_i64};

const STR: &str = "string";

pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("set", -3, WRITE | DENYOOM, set)
        .keys(1, 1, 1)
        .doc(STR, "1.0.0", "O(1)", "Set the string value of a key"),
    CommandSpec::new("setnx", 3, WRITE | DENYOOM | FAST, setnx)
        .keys(1, 1, 1)
        .doc(STR, "1.0.0", "O(1)", "Set the value of a key, only if the key does not exist"),
    CommandSpec::new("setex", 4, WRITE | DENYOOM, setex)
        .keys(1, 1, 1)
        .doc(STR, "2.0.0", "O(1)", "Set the value and expiration of a key"),
    CommandSpec::new("psetex", 4, WRITE | DENYOOM, psetex)
        .keys(1, 1, 1)
        .doc(STR, "2.6.0", "O(1)", "Set the value and expiration in milliseconds of a key"),
    CommandSpec::new("get", 2, READONLY | FAST, get)
        .keys(1, 1, 1)
        .doc(STR, "1.0.0", "O(1)", "Get the value of a key"),
    CommandSpec::new("getset", 3, WRITE | DENYOOM | FAST, getset)
        .keys(1, 1, 1)
        .doc(STR, "1.0.0", "O(1)", "Set the string value of a key and return its old value"),
    CommandSpec::new("getdel", 2, WRITE | FAST, getdel)
        .keys(1, 1, 1)
        .doc(STR, "6.2.0", "O(1)", "Get the value of a key and delete the key"),
    CommandSpec::new("getex", -2, WRITE | FAST, getex)
        .keys(1, 1, 1)
        .doc(STR, "6.2.0", "O(1)", "Get the value of a key and optionally set its expiration"),
    CommandSpec::new("mget", -2, READONLY | FAST, mget)
        .keys(1, -1, 1)
        .doc(STR, "1.0.0", "O(N) where N is the number of keys to retrieve.", "Get the values of all the given keys"),
    CommandSpec::new("mset", -3, WRITE | DENYOOM, mset)
        .keys(1, -1, 2)
        .doc(STR, "1.0.1", "O(N) where N is the number of keys to set.", "Set multiple keys to multiple values"),
    CommandSpec::new("msetnx", -3, WRITE | DENYOOM, msetnx)
        .keys(1, -1, 2)
        .doc(STR, "1.0.1", "O(N) where N is the number of keys to set.", "Set multiple keys to multiple values, only if none of the keys exist"),
    CommandSpec::new("append", 3, WRITE | DENYOOM | FAST, append)
        .keys(1, 1, 1)
        .doc(STR, "2.0.0", "O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation.", "Append a value to a key"),
    CommandSpec::new("strlen", 2, READONLY | FAST, strlen)
        .keys(1, 1, 1)
        .doc(STR, "2.2.0", "O(1)", "Get the length of the value stored in a key"),
    CommandSpec::new("getrange", 4, READONLY, getrange)
        .keys(1, 1, 1)
        .doc(STR, "2.4.0", GETRANGE_COMPLEXITY, "Get a substring of the string stored at a key"),
    CommandSpec::new("substr", 4, READONLY, getrange)
        .keys(1, 1, 1)
        .doc(STR, "1.0.0", GETRANGE_COMPLEXITY, "Get a substring of the string stored at a key"),
    CommandSpec::new("setrange", 4, WRITE | DENYOOM, setrange)
        .keys(1, 1, 1)
        .doc(STR, "2.2.0", "O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument.", "Overwrite part of a string at key starting at the specified offset"),
    CommandSpec::new("incr", 2, WRITE | DENYOOM | FAST, incr)
        .keys(1, 1, 1)
        .doc(STR, "1.0.0", "O(1)", "Increment the integer value of a key by one"),
    CommandSpec::new("decr", 2, WRITE | DENYOOM | FAST, decr)
        .keys(1, 1, 1)
        .doc(STR, "1.0.0", "O(1)", "Decrement the integer value of a key by one"),
    CommandSpec::new("incrby", 3, WRITE | DENYOOM | FAST, incrby)
        .keys(1, 1, 1)
        .doc(STR, "1.0.0", "O(1)", "Increment the integer value of a key by the given amount"),
    CommandSpec::new("decrby", 3, WRITE | DENYOOM | FAST, decrby)
        .keys(1, 1, 1)
        .doc(STR, "1.0.0", "O(1)", "Decrement the integer value of a key by the given number"),
    CommandSpec::new("incrbyfloat", 3, WRITE | DENYOOM | FAST, incrbyfloat)
        .keys(1, 1, 1)
        .doc(STR, "2.6.0", "O(1)", "Increment the float value of a key by the given amount"),
    CommandSpec::new("lcs", -3, READONLY, lcs)
        .keys(1, 2, 1)
        .doc(STR, "7.0.0", "O(N*M) where N and M are the lengths of s1 and s2, respectively", "Find longest common substring"),
];

const GETRANGE_COMPLEXITY: &str = "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.";

// --- helpers

const STRING_TOO_LONG: ReplyError =
    ReplyError::Static("ERR string exceeds maximum allowed size (proto-max-bulk-len)");

/// The client's db and reply buffer at once (they are disjoint fields of `Ctx`).
#[inline]
fn parts<'c>(ctx: &'c mut Ctx<'_>) -> (&'c mut Db, &'c mut Reply) {
    (
        &mut ctx.core.keyspace.dbs[ctx.client.db],
        &mut ctx.client.reply,
    )
}

/// Redis fires `keymiss` from `lookupKeyRead` when a read finds nothing (after `expired`, if
/// the lookup itself expired the key).
fn key_miss(ctx: &mut Ctx<'_>, key: &[u8]) {
    flush_expired(ctx);
    notify_event(ctx, notify::KEY_MISS, "keymiss", key);
}

/// A keyspace event that comes with no modification of its own (`keymiss`, SET's `expire`
/// after its `set`), delivered like `Ctx::key_changed` delivers its event.
fn notify_event(ctx: &mut Ctx<'_>, class: u32, event: &str, key: &[u8]) {
    let db = ctx.client.db;
    ctx.core
        .notify_keyspace_event_from(Some(&mut *ctx.client), class, event, key, db);
}

/// Redis deletes a stale key inside the lookup and fires `expired` (and propagates the `DEL`)
/// right there, before the command's own effects. Lookups here only record the deletion;
/// `Ctx::propagate_as` and dispatch turn the records into effects later, which would put the
/// `expired` event after this command's `set`/`incrby`/... event. So flush them before any
/// event of our own (this also puts the `DEL` first in the AOF).
fn flush_expired(ctx: &mut Ctx<'_>) {
    if ctx.db().has_expired_events() {
        ctx.core.propagate_expired();
    }
}

/// `Ctx::key_changed` after flushing lazily expired keys (see [`flush_expired`]).
fn key_changed(ctx: &mut Ctx<'_>, key: &[u8], class: u32, event: &str) {
    flush_expired(ctx);
    ctx.key_changed(key, class, event);
}

/// Bulk reply with a string value, straight from the stored bytes (ints through a stack buffer).
#[inline]
fn reply_str(reply: &mut Reply, s: &StrValue) {
    let mut buf = [0u8; MAX_I64_DIGITS];
    reply.bulk(s.as_bytes(&mut buf));
}

/// Redis `checkStringLength`: a string of `len + extra` bytes must not exceed `max`
/// (`proto-max-bulk-len`), overflow included.
fn check_string_length(max: u64, len: usize, extra: usize) -> CmdResult {
    match len.checked_add(extra) {
        Some(total) if total as u64 <= max => Ok(()),
        _ => Err(STRING_TOO_LONG),
    }
}

/// Redis `getGenericCommand`: replies with the value of `key` (null if missing). `Err` only for
/// WRONGTYPE, in which case nothing was written and the caller stops.
fn get_generic(ctx: &mut Ctx<'_>, key: &[u8]) -> CmdResult {
    let now = ctx.now();
    let (db, reply) = parts(ctx);
    let Some(e) = db.lookup_read(key, now) else {
        reply.null();
        key_miss(ctx, key);
        return Ok(());
    };
    let s = e.value.as_str().ok_or(ReplyError::WrongType)?;
    reply_str(reply, s);
    Ok(())
}

/// `OBJ_*` flags of `parseExtendedStringArgumentsOrReply`.
mod opt {
    pub const NX: u16 = 1 << 0;
    pub const XX: u16 = 1 << 1;
    pub const GET: u16 = 1 << 2;
    pub const KEEPTTL: u16 = 1 << 3;
    pub const PERSIST: u16 = 1 << 4;
    pub const EX: u16 = 1 << 5;
    pub const PX: u16 = 1 << 6;
    pub const EXAT: u16 = 1 << 7;
    pub const PXAT: u16 = 1 << 8;
    pub const ANY_EXPIRE: u16 = EX | PX | EXAT | PXAT;
}

/// Parsed SET / GETEX options.
#[derive(Debug, Default, PartialEq, Eq)]
struct ExtOpts<'a> {
    flags: u16,
    /// The EX/PX/EXAT/PXAT argument, unparsed (Redis validates it later, after other checks).
    expire: Option<&'a [u8]>,
}

impl ExtOpts<'_> {
    fn has(&self, f: u16) -> bool {
        self.flags & f != 0
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum OptsFor {
    Set,
    Getex,
}

/// Redis `parseExtendedStringArgumentsOrReply`, condition for condition: an option is accepted
/// only if none of the options it conflicts with was seen, so repeats (`NX NX`, `EX 1 EX 2`,
/// last wins) are fine and conflicts (`NX XX`, `EX PX`, `KEEPTTL EX`) are `ERR syntax error`.
fn parse_ext_opts<'a>(
    args: &Args<'a>,
    start: usize,
    cmd: OptsFor,
) -> Result<ExtOpts<'a>, ReplyError> {
    use opt::*;
    let set = cmd == OptsFor::Set;
    let mut o = ExtOpts::default();
    let mut j = start;
    while j < args.len() {
        let a = args.get(j);
        let next = (j + 1 < args.len()).then(|| args.get(j + 1));
        let f = o.flags;
        let is = |kw: &str| a.eq_ignore_ascii_case(kw.as_bytes());
        let expire_kw = if is("EX") {
            Some((EX, KEEPTTL | PERSIST | EXAT | PX | PXAT))
        } else if is("PX") {
            Some((PX, KEEPTTL | PERSIST | EX | EXAT | PXAT))
        } else if is("EXAT") {
            Some((EXAT, KEEPTTL | PERSIST | EX | PX | PXAT))
        } else if is("PXAT") {
            Some((PXAT, KEEPTTL | PERSIST | EX | EXAT | PX))
        } else {
            None
        };
        if set && is("NX") && f & XX == 0 {
            o.flags |= NX;
        } else if set && is("XX") && f & NX == 0 {
            o.flags |= XX;
        } else if set && is("GET") {
            o.flags |= GET;
        } else if set && is("KEEPTTL") && f & (PERSIST | ANY_EXPIRE) == 0 {
            o.flags |= KEEPTTL;
        } else if !set && is("PERSIST") && f & (ANY_EXPIRE | KEEPTTL) == 0 {
            o.flags |= PERSIST;
        } else if let (Some((bit, conflicts)), Some(v)) = (expire_kw, next)
            && f & conflicts == 0
        {
            o.flags |= bit;
            o.expire = Some(v);
            j += 1;
        } else {
            return Err(ReplyError::Syntax);
        }
        j += 1;
    }
    Ok(o)
}

/// Redis `getExpireMillisecondsOrReply`: the absolute deadline in unix ms for an EX/PX/EXAT/PXAT
/// argument. Not an integer → `value is not an integer or out of range`; zero or negative,
/// overflowing ×1000 or + now → `invalid expire time in '<cmd>' command`.
fn expire_deadline(
    raw: &[u8],
    flags: u16,
    now_ms: u64,
    invalid: &'static str,
) -> Result<u64, ReplyError> {
    let v = crate::util::parse_i64(raw).ok_or(ReplyError::NotInteger)?;
    let seconds = flags & (opt::EX | opt::EXAT) != 0;
    let relative = flags & (opt::EX | opt::PX) != 0;
    let mut ms = if seconds {
        v.checked_mul(1000)
    } else {
        Some(v)
    };
    if relative {
        ms = ms.and_then(|ms| ms.checked_add(i64::try_from(now_ms).unwrap_or(i64::MAX)));
    }
    match ms {
        Some(ms) if v > 0 && ms > 0 => Ok(ms as u64),
        _ => Err(ReplyError::Static(invalid)),
    }
}

/// What SET-family commands answer when they do not set (NX/XX condition failed) and on success.
#[derive(Clone, Copy)]
enum SetReplies {
    /// SET: `+OK` / null.
    OkNull,
    /// SETNX: `:1` / `:0`.
    OneZero,
}

/// Redis `setGenericCommand`. `expire` is the TTL argument with its unit flag, already parsed
/// into `o`. Checks in Redis's order: expire value, GET (may fail WRONGTYPE), NX/XX, then store.
fn set_generic(
    ctx: &mut Ctx<'_>,
    args: &Args<'_>,
    key: &[u8],
    val: &[u8],
    o: &ExtOpts<'_>,
    invalid_expire: &'static str,
    replies: SetReplies,
) -> CmdResult {
    let now = ctx.now();
    let deadline = match o.expire {
        Some(raw) => Some(expire_deadline(raw, o.flags, now, invalid_expire)?),
        None => None,
    };
    let get = o.has(opt::GET);
    if get {
        get_generic(ctx, key)?;
    }
    let db = ctx.db();
    let found = db.lookup_write(key, now).is_some();
    if (o.has(opt::NX) && found) || (o.has(opt::XX) && !found) {
        if !get {
            match replies {
                SetReplies::OkNull => ctx.reply().null(),
                SetReplies::OneZero => ctx.reply().int(0),
            }
        }
        return Ok(());
    }
    let ttl = match deadline {
        Some(at) => SetExpire::At(at),
        None if o.has(opt::KEEPTTL) => SetExpire::Keep,
        None => SetExpire::Clear,
    };
    db.set(key, Value::string(val), ttl, now);
    key_changed(ctx, key, notify::STRING, "set");
    if let Some(at) = deadline {
        notify_event(ctx, notify::GENERIC, "expire", key);
        // Relative TTLs must not be replayed relative to the replay time.
        let mut buf = [0u8; MAX_I64_DIGITS];
        let at = format_i64(at as i64, &mut buf);
        ctx.propagate_as(&[b"SET", key, val, b"PXAT", at]);
    } else if get {
        // GET has no effect on a replica or at replay: log the command without it.
        let mut argv: Vec<&[u8]> = Vec::with_capacity(args.len());
        argv.extend(
            args.iter()
                .enumerate()
                .filter(|&(j, a)| j < 3 || !a.eq_ignore_ascii_case(b"GET"))
                .map(|(_, a)| a),
        );
        ctx.propagate_as(&argv);
    }
    if !get {
        match replies {
            SetReplies::OkNull => ctx.reply().ok(),
            SetReplies::OneZero => ctx.reply().int(1),
        }
    }
    Ok(())
}

/// SETEX / PSETEX (Redis `setexCommand`, `psetexCommand`): `key ttl value`, a SET with a
/// mandatory EX (`unit` = `opt::EX`) or PX (`opt::PX`) and no other option.
fn setex_generic(ctx: &mut Ctx<'_>, args: &Args<'_>, unit: u16) -> CmdResult {
    let invalid_expire = if unit == opt::PX {
        "ERR invalid expire time in 'psetex' command"
    } else {
        "ERR invalid expire time in 'setex' command"
    };
    let o = ExtOpts {
        flags: unit,
        expire: Some(args.get(2)),
    };
    set_generic(
        ctx,
        args,
        args.get(1),
        args.get(3),
        &o,
        invalid_expire,
        SetReplies::OkNull,
    )
}

/// INCR/DECR/INCRBY/DECRBY (Redis `incrDecrCommand`). An int-encoded value is updated in place;
/// a TTL is kept.
fn incr_decr(ctx: &mut Ctx<'_>, key: &[u8], by: i64) -> CmdResult {
    let now = ctx.now();
    let db = ctx.db();
    let value = match db.lookup_write(key, now) {
        Some(e) => {
            let s = e.value.as_str_mut().ok_or(ReplyError::WrongType)?;
            let old = s.as_i64().ok_or(ReplyError::NotInteger)?;
            let new = old.checked_add(by).ok_or(ReplyError::Overflow)?;
            *s = StrValue::Int(new);
            new
        }
        None => {
            db.set(key, Value::int(by), SetExpire::Clear, now);
            by
        }
    };
    key_changed(ctx, key, notify::STRING, "incrby");
    ctx.reply().int(value);
    Ok(())
}

// --- commands

fn set(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    let o = parse_ext_opts(args, 3, OptsFor::Set)?;
    set_generic(
        ctx,
        args,
        args.get(1),
        args.get(2),
        &o,
        "ERR invalid expire time in 'set' command",
        SetReplies::OkNull,
    )
}

fn setnx(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    let o = ExtOpts {
        flags: opt::NX,
        expire: None,
    };
    set_generic(
        ctx,
        args,
        args.get(1),
        args.get(2),
        &o,
        "",
        SetReplies::OneZero,
    )
}

fn setex(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    setex_generic(ctx, args, opt::EX)
}

fn psetex(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    setex_generic(ctx, args, opt::PX)
}

fn get(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    get_generic(ctx, args.get(1))
}

fn getset(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    let (key, val) = (args.get(1), args.get(2));
    get_generic(ctx, key)?;
    let now = ctx.now();
    ctx.db().set(key, Value::string(val), SetExpire::Clear, now);
    key_changed(ctx, key, notify::STRING, "set");
    ctx.propagate_as(&[b"SET", key, val]);
    Ok(())
}

fn getdel(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    let key = args.get(1);
    get_generic(ctx, key)?;
    let now = ctx.now();
    if ctx.db().remove(key, now).is_some() {
        key_changed(ctx, key, notify::GENERIC, "del");
        ctx.propagate_as(&[b"DEL", key]);
    }
    Ok(())
}

fn getex(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    let key = args.get(1);
    let o = parse_ext_opts(args, 2, OptsFor::Getex)?;
    let now = ctx.now();
    let (db, reply) = parts(ctx);
    let Some(e) = db.lookup_read(key, now) else {
        reply.null();
        key_miss(ctx, key);
        return Ok(());
    };
    let s = e.value.as_str().ok_or(ReplyError::WrongType)?;
    // Validated only now: a missing key answers null even with a bad expire time.
    let deadline = match o.expire {
        Some(raw) => Some(expire_deadline(
            raw,
            o.flags,
            now,
            "ERR invalid expire time in 'getex' command",
        )?),
        None => None,
    };
    reply_str(reply, s);
    let mut buf = [0u8; MAX_I64_DIGITS];
    match deadline {
        // An absolute time already reached deletes the key (Redis `checkAlreadyExpired`).
        Some(at) if o.has(opt::EXAT | opt::PXAT) && at <= now => {
            db.remove(key, now);
            key_changed(ctx, key, notify::GENERIC, "del");
            ctx.propagate_as(&[b"DEL", key]);
        }
        Some(at) => {
            db.set_expire(key, at);
            key_changed(ctx, key, notify::GENERIC, "expire");
            ctx.propagate_as(&[b"PEXPIREAT", key, format_i64(at as i64, &mut buf)]);
        }
        // PERSIST on a key without a TTL changes nothing and is not logged.
        None if o.has(opt::PERSIST) && db.persist(key) => {
            key_changed(ctx, key, notify::GENERIC, "persist");
            ctx.propagate_as(&[b"PERSIST", key]);
        }
        None => {}
    }
    Ok(())
}

fn mget(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    let now = ctx.now();
    ctx.reply().array(args.len() - 1);
    for key in args.iter().skip(1) {
        let (db, reply) = parts(ctx);
        match db.lookup_read(key, now) {
            Some(e) => match e.value.as_str() {
                Some(s) => reply_str(reply, s),
                None => reply.null(),
            },
            None => {
                reply.null();
                key_miss(ctx, key);
            }
        }
    }
    Ok(())
}

/// Redis `msetGenericCommand`.
fn mset_generic(ctx: &mut Ctx<'_>, args: &Args<'_>, nx: bool) -> CmdResult {
    if args.len().is_multiple_of(2) {
        let name = if nx { "msetnx" } else { "mset" };
        return Err(ReplyError::WrongArity(name.to_string()));
    }
    let now = ctx.now();
    if nx {
        let db = ctx.db();
        for j in (1..args.len()).step_by(2) {
            if db.lookup_write(args.get(j), now).is_some() {
                ctx.reply().int(0);
                return Ok(());
            }
        }
    }
    for j in (1..args.len()).step_by(2) {
        let key = args.get(j);
        let val = args.get(j + 1);
        ctx.db().set(key, Value::string(val), SetExpire::Clear, now);
        key_changed(ctx, key, notify::STRING, "set");
    }
    if nx {
        ctx.reply().int(1);
    } else {
        ctx.reply().ok();
    }
    Ok(())
}

fn mset(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    mset_generic(ctx, args, false)
}

fn msetnx(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    mset_generic(ctx, args, true)
}

fn append(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    let (key, tail) = (args.get(1), args.get(2));
    let now = ctx.now();
    let max = ctx.core.config.proto_max_bulk_len;
    let db = ctx.db();
    let len = match db.lookup_write(key, now) {
        Some(e) => {
            let s = e.value.as_str_mut().ok_or(ReplyError::WrongType)?;
            check_string_length(max, s.len(), tail.len())?;
            s.append(tail)
        }
        None => {
            db.set(key, Value::string(tail), SetExpire::Clear, now);
            tail.len()
        }
    };
    key_changed(ctx, key, notify::STRING, "append");
    ctx.reply().int(len as i64);
    Ok(())
}

fn strlen(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    let key = args.get(1);
    let now = ctx.now();
    let (db, reply) = parts(ctx);
    let Some(e) = db.lookup_read(key, now) else {
        reply.int(0);
        key_miss(ctx, key);
        return Ok(());
    };
    let s = e.value.as_str().ok_or(ReplyError::WrongType)?;
    reply.int(s.len() as i64);
    Ok(())
}

/// The byte range GETRANGE returns for `start..=end` over a string of `len` bytes, with Redis
/// 7.0's clamping (both negative and start > end → empty; a negative end past the start clamps
/// to 0, so `GETRANGE k 0 -100` is the first byte).
fn getrange_bounds(start: i64, end: i64, len: usize) -> Option<std::ops::Range<usize>> {
    if start < 0 && end < 0 && start > end {
        return None;
    }
    let len_i = i64::try_from(len).unwrap_or(i64::MAX);
    let fix = |i: i64| {
        if i < 0 {
            len_i.saturating_add(i).max(0)
        } else {
            i
        }
    };
    let start = fix(start);
    let end = fix(end).min(len_i - 1);
    if len == 0 || start > end {
        return None;
    }
    // 0 <= start <= end < len here.
    Some(start as usize..end as usize + 1)
}

fn getrange(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    let key = args.get(1);
    let start = args.i64(2)?;
    let end = args.i64(3)?;
    let now = ctx.now();
    let (db, reply) = parts(ctx);
    let Some(e) = db.lookup_read(key, now) else {
        reply.bulk(b"");
        key_miss(ctx, key);
        return Ok(());
    };
    let s = e.value.as_str().ok_or(ReplyError::WrongType)?;
    let mut buf = [0u8; MAX_I64_DIGITS];
    let bytes = s.as_bytes(&mut buf);
    let out = getrange_bounds(start, end, bytes.len())
        .and_then(|r| bytes.get(r))
        .unwrap_or(b"");
    reply.bulk(out);
    Ok(())
}

fn setrange(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    let (key, data) = (args.get(1), args.get(3));
    let offset = args.i64(2)?;
    let offset =
        usize::try_from(offset).map_err(|_| ReplyError::Static("ERR offset is out of range"))?;
    let now = ctx.now();
    let max = ctx.core.config.proto_max_bulk_len;
    let db = ctx.db();
    // (resulting length, whether anything was written)
    let (len, changed) = match db.lookup_write(key, now) {
        Some(e) => {
            let s = e.value.as_str_mut().ok_or(ReplyError::WrongType)?;
            if data.is_empty() {
                (s.len(), false)
            } else {
                check_string_length(max, offset, data.len())?;
                (s.set_range(offset, data), true)
            }
        }
        None if data.is_empty() => (0, false),
        None => {
            check_string_length(max, offset, data.len())?;
            // A fresh string edited in place is `raw`, as Redis's sdsnewlen + memcpy.
            let mut s = StrValue::verbatim(b"");
            let len = s.set_range(offset, data);
            db.set(key, Value::Str(s), SetExpire::Clear, now);
            (len, true)
        }
    };
    if changed {
        key_changed(ctx, key, notify::STRING, "setrange");
    }
    ctx.reply().int(len as i64);
    Ok(())
}

fn incr(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    incr_decr(ctx, args.get(1), 1)
}

fn decr(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    incr_decr(ctx, args.get(1), -1)
}

fn incrby(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    let by = args.i64(2)?;
    incr_decr(ctx, args.get(1), by)
}

fn decrby(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    let by = args.i64(2)?;
    if by == i64::MIN {
        return Err(ReplyError::Static("ERR decrement would overflow"));
    }
    incr_decr(ctx, args.get(1), -by)
}

/// INCRBYFLOAT's new value as text: `current + incr` in long double, formatted like Redis.
fn add_long_double(current: LongDouble, incr: &[u8]) -> Result<Vec<u8>, ReplyError> {
    let by = LongDouble::parse(incr).ok_or(ReplyError::NotFloat)?;
    let sum = current + by;
    if !sum.is_finite() {
        return Err(ReplyError::Static(
            "ERR increment would produce NaN or Infinity",
        ));
    }
    let mut text = Vec::with_capacity(32);
    sum.format_human(&mut text);
    Ok(text)
}

fn incrbyfloat(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    let (key, incr) = (args.get(1), args.get(2));
    let now = ctx.now();
    let db = ctx.db();
    // Stored as the formatted text, never int-encoded (Redis: "3000" is embstr); TTL kept.
    let text = match db.lookup_write(key, now) {
        Some(e) => {
            let s = e.value.as_str_mut().ok_or(ReplyError::WrongType)?;
            let current = match s {
                StrValue::Int(v) => LongDouble::from_i64(*v),
                StrValue::Bytes(b) => {
                    LongDouble::parse(b.as_bytes()).ok_or(ReplyError::NotFloat)?
                }
            };
            let text = add_long_double(current, incr)?;
            *s = StrValue::verbatim(&text);
            text
        }
        None => {
            let text = add_long_double(LongDouble::ZERO, incr)?;
            db.set(key, Value::string_verbatim(&text), SetExpire::Clear, now);
            text
        }
    };
    key_changed(ctx, key, notify::STRING, "incrbyfloat");
    ctx.reply().bulk(&text);
    // Replay must not depend on float formatting or precision: log the result.
    ctx.propagate_as(&[b"SET", key, &text, b"KEEPTTL"]);
    Ok(())
}

/// LCS options.
#[derive(Default)]
struct LcsOpts {
    idx: bool,
    len: bool,
    with_match_len: bool,
    min_match_len: u64,
}

fn lcs(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    let (ka, kb) = (args.get(1), args.get(2));
    let now = ctx.now();
    // Both lookups first (expiry, stats, keymiss), then the type check, as Redis does.
    let mut is_string = [None, None];
    for (slot, key) in is_string.iter_mut().zip([ka, kb]) {
        match ctx.db().lookup_read(key, now) {
            Some(e) => *slot = Some(e.value.as_str().is_some()),
            None => key_miss(ctx, key),
        }
    }
    if is_string.contains(&Some(false)) {
        return Err(ReplyError::Static(
            "ERR The specified keys must contain string values",
        ));
    }
    let mut o = LcsOpts::default();
    let mut j = 3;
    while j < args.len() {
        let a = args.get(j);
        if a.eq_ignore_ascii_case(b"IDX") {
            o.idx = true;
        } else if a.eq_ignore_ascii_case(b"LEN") {
            o.len = true;
        } else if a.eq_ignore_ascii_case(b"WITHMATCHLEN") {
            o.with_match_len = true;
        } else if a.eq_ignore_ascii_case(b"MINMATCHLEN") && j + 1 < args.len() {
            o.min_match_len = u64::try_from(args.i64(j + 1)?).unwrap_or(0);
            j += 1;
        } else {
            return Err(ReplyError::Syntax);
        }
        j += 1;
    }
    if o.idx && o.len {
        return Err(ReplyError::Static(
            "ERR If you want both the length and indexes, please just use IDX.",
        ));
    }
    let (mut buf_a, mut buf_b) = ([0u8; MAX_I64_DIGITS], [0u8; MAX_I64_DIGITS]);
    let db = &ctx.core.keyspace.dbs[ctx.client.db];
    // Missing keys count as empty strings.
    let a = match db.peek(ka, now).and_then(|e| e.value.as_str()) {
        Some(s) => s.as_bytes(&mut buf_a),
        None => b"",
    };
    let b = match db.peek(kb, now).and_then(|e| e.value.as_str()) {
        Some(s) => s.as_bytes(&mut buf_b),
        None => b"",
    };
    lcs_reply(&mut ctx.client.reply, a, b, &o)
}

/// Redis `lcsCommand` after option parsing: the classic O(N·M) table, then a walk back from the
/// end emitting the LCS bytes and (for IDX) the matching ranges, last first.
fn lcs_reply(reply: &mut Reply, a: &[u8], b: &[u8], o: &LcsOpts) -> CmdResult {
    if a.len() >= u32::MAX as usize - 1 || b.len() >= u32::MAX as usize - 1 {
        return Err(ReplyError::Static("ERR String too long for LCS"));
    }
    let (alen, blen) = (a.len(), b.len());
    let cols = blen + 1;
    let cells = (alen + 1).checked_mul(cols);
    let mut dp: Vec<u32> = Vec::new();
    if cells.is_none_or(|n| dp.try_reserve_exact(n).is_err()) {
        return Err(ReplyError::Static(
            "ERR Insufficient memory, failed allocating transient memory for LCS",
        ));
    }
    dp.resize(cells.unwrap_or(0), 0);
    let at = |i: usize, j: usize| j + i * cols;
    // Row by row over slices (row 0 and column 0 stay 0): LCS(i+1, j+1) from row i and the cell
    // to the left. Iterators rather than indexing keep this tight even in debug builds.
    for (i, &ai) in a.iter().enumerate() {
        let (done, rest) = dp.split_at_mut((i + 1) * cols);
        let prev = done.get(i * cols..).unwrap_or_default();
        let cur = rest.get_mut(1..cols).unwrap_or_default();
        let mut left = 0u32;
        for ((&bj, up), c) in b.iter().zip(prev.windows(2)).zip(cur) {
            let (diag, above) = (up.first().copied(), up.get(1).copied());
            left = if ai == bj {
                diag.unwrap_or(0) + 1
            } else {
                above.unwrap_or(0).max(left)
            };
            *c = left;
        }
    }
    let total = dp.get(at(alen, blen)).copied().unwrap_or(0);
    if o.len && !o.idx {
        reply.int(total as i64);
        return Ok(());
    }
    let mut result = vec![0u8; total as usize];
    let mut idx = total as usize;
    let mut ranges = 0usize;
    let deferred = if o.idx {
        reply.map(2);
        reply.bulk(b"matches");
        Some(reply.begin_deferred())
    } else {
        None
    };
    // `arange_start == alen` means "no range open", as in Redis.
    let (mut a_start, mut a_end, mut b_start, mut b_end) = (alen, 0usize, 0usize, 0usize);
    let (mut i, mut j) = (alen, blen);
    while i > 0 && j > 0 {
        let mut emit = false;
        if a.get(i - 1) == b.get(j - 1) {
            if let Some(slot) = idx.checked_sub(1).and_then(|k| result.get_mut(k)) {
                *slot = a.get(i - 1).copied().unwrap_or(0);
            }
            if a_start == alen {
                (a_start, a_end, b_start, b_end) = (i - 1, i - 1, j - 1, j - 1);
            } else if a_start == i && b_start == j {
                a_start -= 1;
                b_start -= 1;
            } else {
                emit = true;
            }
            if a_start == 0 || b_start == 0 {
                emit = true;
            }
            idx = idx.saturating_sub(1);
            i -= 1;
            j -= 1;
        } else {
            let up = dp.get(at(i - 1, j)).copied().unwrap_or(0);
            let left = dp.get(at(i, j - 1)).copied().unwrap_or(0);
            if up > left {
                i -= 1;
            } else {
                j -= 1;
            }
            if a_start != alen {
                emit = true;
            }
        }
        if emit {
            let match_len = (a_end - a_start + 1) as u64;
            if deferred.is_some() && (o.min_match_len == 0 || match_len >= o.min_match_len) {
                reply.array(2 + o.with_match_len as usize);
                reply.array(2);
                reply.int(a_start as i64);
                reply.int(a_end as i64);
                reply.array(2);
                reply.int(b_start as i64);
                reply.int(b_end as i64);
                if o.with_match_len {
                    reply.int(match_len as i64);
                }
                ranges += 1;
            }
            a_start = alen;
        }
    }
    match deferred {
        Some(d) => {
            reply.end_array(d, ranges);
            reply.bulk(b"len");
            reply.int(total as i64);
        }
        None => reply.bulk(&result),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(words: &[&str], cmd: OptsFor) -> Result<u16, ReplyError> {
        let mut buf = Vec::new();
        let mut ranges = Vec::new();
        for w in ["set", "k", "v"].iter().chain(words) {
            ranges.push((buf.len(), buf.len() + w.len()));
            buf.extend_from_slice(w.as_bytes());
        }
        let args = Args::new(&buf, &ranges);
        let start = if cmd == OptsFor::Set { 3 } else { 2 };
        // GETEX has no value argument: drop "v" by starting one earlier on a shifted view.
        let skip = if cmd == OptsFor::Getex { 1 } else { 0 };
        let ranges2: Vec<_> = ranges.iter().copied().skip(skip).collect();
        let args2 = Args::new(&buf, &ranges2);
        let a = if skip == 1 { &args2 } else { &args };
        parse_ext_opts(a, start, cmd).map(|o| o.flags)
    }

    #[test]
    fn set_options_accepted() {
        use opt::*;
        let ok = |w: &[&str], f: u16| assert_eq!(parse(w, OptsFor::Set), Ok(f), "{w:?}");
        ok(&[], 0);
        ok(&["nx"], NX);
        ok(&["NX", "nx"], NX);
        ok(&["XX", "GET", "get"], XX | GET);
        ok(&["EX", "1", "ex", "2"], EX);
        ok(&["px", "1", "PX", "2"], PX);
        ok(&["keepttl", "KEEPTTL"], KEEPTTL);
        ok(&["nx", "get", "exat", "5"], NX | GET | EXAT);
        ok(&["pxat", "5", "xx"], PXAT | XX);
    }

    #[test]
    fn set_options_rejected() {
        for w in [
            &["nx", "xx"][..],
            &["xx", "nx"],
            &["ex", "1", "px", "1"],
            &["px", "1", "ex", "1"],
            &["ex", "1", "exat", "1"],
            &["exat", "1", "pxat", "1"],
            &["pxat", "1", "ex", "1"],
            &["keepttl", "ex", "1"],
            &["ex", "1", "keepttl"],
            &["pxat", "1", "keepttl"],
            &["ex"],
            &["px"],
            &["persist"],
            &["foo"],
            &["ex", "1", "foo"],
            &["nxx"],
        ] {
            assert_eq!(parse(w, OptsFor::Set), Err(ReplyError::Syntax), "{w:?}");
        }
    }

    #[test]
    fn getex_options() {
        use opt::*;
        assert_eq!(parse(&["persist", "PERSIST"], OptsFor::Getex), Ok(PERSIST));
        assert_eq!(parse(&["ex", "1", "EX", "2"], OptsFor::Getex), Ok(EX));
        for w in [
            &["ex", "1", "persist"][..],
            &["persist", "px", "1"],
            &["keepttl"],
            &["nx"],
            &["xx"],
            &["get"],
            &["ex"],
            &["ex", "1", "pxat", "2"],
        ] {
            assert_eq!(parse(w, OptsFor::Getex), Err(ReplyError::Syntax), "{w:?}");
        }
    }

    #[test]
    fn expire_deadlines() {
        let now = 1_700_000_000_000;
        let e = "ERR invalid expire time in 'set' command";
        let d = |raw: &str, f: u16| expire_deadline(raw.as_bytes(), f, now, e);
        assert_eq!(d("10", opt::EX), Ok(now + 10_000));
        assert_eq!(d("10", opt::PX), Ok(now + 10));
        assert_eq!(d("10", opt::EXAT), Ok(10_000));
        assert_eq!(d("10", opt::PXAT), Ok(10));
        assert_eq!(d("9223372036854775807", opt::PXAT), Ok(i64::MAX as u64));
        assert_eq!(
            d("9223372036854775", opt::EXAT),
            Ok(9_223_372_036_854_775_000)
        );
        assert_eq!(d("abc", opt::EX), Err(ReplyError::NotInteger));
        assert_eq!(d("1.5", opt::PX), Err(ReplyError::NotInteger));
        for (raw, f) in [
            ("0", opt::EX),
            ("-1", opt::PX),
            ("0", opt::PXAT),
            ("-5", opt::EXAT),
            ("9223372036854775807", opt::EX),
            ("9223372036854775808", opt::EX),
            ("9223372036854775", opt::EX),
            ("9223372036854775807", opt::PX),
            ("9223372036854776", opt::EXAT),
        ] {
            let want = if raw == "9223372036854775808" {
                ReplyError::NotInteger
            } else {
                ReplyError::Static(e)
            };
            assert_eq!(d(raw, f), Err(want), "{raw} {f}");
        }
    }

    #[test]
    fn getrange_clamping_matches_redis_7_0() {
        let s = b"hello";
        let g = |a: i64, b: i64| getrange_bounds(a, b, s.len()).map(|r| &s[r]);
        assert_eq!(g(0, -1), Some(&b"hello"[..]));
        assert_eq!(g(0, -100), Some(&b"h"[..]));
        assert_eq!(g(-100, -50), Some(&b"h"[..]));
        assert_eq!(g(-1, -5), None);
        assert_eq!(g(5, 10), None);
        assert_eq!(g(4, 10), Some(&b"o"[..]));
        assert_eq!(g(2, 1), None);
        assert_eq!(g(i64::MAX, i64::MIN), None);
        assert_eq!(g(i64::MIN, i64::MAX), Some(&b"hello"[..]));
        assert_eq!(getrange_bounds(0, -1, 0), None);
        assert_eq!(getrange_bounds(0, 0, 0), None);
    }

    fn lcs_text(a: &[u8], b: &[u8], o: &LcsOpts) -> Vec<u8> {
        let mut r = Reply::new();
        lcs_reply(&mut r, a, b, o).unwrap();
        r.buf
    }

    #[test]
    fn lcs_like_redis() {
        let (a, b) = (b"ohmytext", b"mynewtext");
        assert_eq!(lcs_text(a, b, &LcsOpts::default()), b"$6\r\nmytext\r\n");
        let len = LcsOpts {
            len: true,
            ..Default::default()
        };
        assert_eq!(lcs_text(a, b, &len), b":6\r\n");
        let idx = LcsOpts {
            idx: true,
            with_match_len: true,
            ..Default::default()
        };
        assert_eq!(
            lcs_text(a, b, &idx),
            b"*4\r\n$7\r\nmatches\r\n*2\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n\
              *3\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n:2\r\n$3\r\nlen\r\n:6\r\n"
        );
        assert_eq!(lcs_text(b"", b"abc", &LcsOpts::default()), b"$0\r\n\r\n");
    }
}
