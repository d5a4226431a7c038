//! Expiry commands: EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT (with NX/XX/GT/LT), TTL, PTTL,
//! EXPIRETIME, PEXPIRETIME, PERSIST. Follows redis src/expire.c (`expireGenericCommand`,
//! `ttlGenericCommand`, `persistCommand`).
//!
//! Deadlines are absolute unix ms. A deadline at or before now deletes the key at once
//! (propagated as `DEL`, event "del"); any other is stored and propagated as
//! `PEXPIREAT key <ms>`, so the AOF replays the same deadline whenever it is loaded. While
//! loading the AOF a past deadline is stored as is instead (Redis's `checkAlreadyExpired`):
//! the key is then reclaimed like any other expired key.

use super::flags::*;
use super::{Args, CommandSpec, Ctx};
use crate::error::{CmdResult, ReplyError};
use crate::keyspace::LookupFlags;
use crate::server::hooks::notify;
use crate::util::{MAX_I64_DIGITS, format_i64};

const GEN: &str = "generic";

pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("expire", -3, WRITE | FAST, expire)
        .keys(1, 1, 1)
        .doc(GEN, "1.0.0", "O(1)", "Set a key's time to live in seconds"),
    CommandSpec::new("pexpire", -3, WRITE | FAST, pexpire)
        .keys(1, 1, 1)
        .doc(
            GEN,
            "2.6.0",
            "O(1)",
            "Set a key's time to live in milliseconds",
        ),
    CommandSpec::new("expireat", -3, WRITE | FAST, expireat)
        .keys(1, 1, 1)
        .doc(
            GEN,
            "1.2.0",
            "O(1)",
            "Set the expiration for a key as a UNIX timestamp",
        ),
    CommandSpec::new("pexpireat", -3, WRITE | FAST, pexpireat)
        .keys(1, 1, 1)
        .doc(
            GEN,
            "2.6.0",
            "O(1)",
            "Set the expiration for a key as a UNIX timestamp specified in milliseconds",
        ),
    CommandSpec::new("ttl", 2, READONLY | FAST, ttl)
        .keys(1, 1, 1)
        .doc(
            GEN,
            "1.0.0",
            "O(1)",
            "Get the time to live for a key in seconds",
        ),
    CommandSpec::new("pttl", 2, READONLY | FAST, pttl)
        .keys(1, 1, 1)
        .doc(
            GEN,
            "2.6.0",
            "O(1)",
            "Get the time to live for a key in milliseconds",
        ),
    CommandSpec::new("expiretime", 2, READONLY | FAST, expiretime)
        .keys(1, 1, 1)
        .doc(
            GEN,
            "7.0.0",
            "O(1)",
            "Get the expiration Unix timestamp for a key",
        ),
    CommandSpec::new("pexpiretime", 2, READONLY | FAST, pexpiretime)
        .keys(1, 1, 1)
        .doc(
            GEN,
            "7.0.0",
            "O(1)",
            "Get the expiration Unix timestamp for a key in milliseconds",
        ),
    CommandSpec::new("persist", 2, WRITE | FAST, persist)
        .keys(1, 1, 1)
        .doc(GEN, "2.2.0", "O(1)", "Remove the expiration from a key"),
];

// --- helpers

/// Condition flags of the EXPIRE family (Redis `EXPIRE_NX` ...).
const NX: u8 = 1 << 0;
const XX: u8 = 1 << 1;
const GT: u8 = 1 << 2;
const LT: u8 = 1 << 3;

/// Redis `parseExtendedExpireArgumentsOrReply`: every argument after the time is a flag.
/// Runs before the time is parsed, so a bad option wins over a bad number, as in Redis.
fn parse_expire_flags(args: &Args<'_>) -> Result<u8, ReplyError> {
    let mut flags = 0;
    for i in 3..args.len() {
        flags |= if args.is(i, "nx") {
            NX
        } else if args.is(i, "xx") {
            XX
        } else if args.is(i, "gt") {
            GT
        } else if args.is(i, "lt") {
            LT
        } else {
            return Err(ReplyError::Owned(format!(
                "ERR Unsupported option {}",
                args.str_lossy(i)
            )));
        };
    }
    if flags & NX != 0 && flags & (XX | GT | LT) != 0 {
        return Err(ReplyError::Static(
            "ERR NX and XX, GT or LT options at the same time are not compatible",
        ));
    }
    if flags & GT != 0 && flags & LT != 0 {
        return Err(ReplyError::Static(
            "ERR GT and LT options at the same time are not compatible",
        ));
    }
    Ok(flags)
}

/// Whether the NX/XX/GT/LT conditions allow replacing `current` (ms, None = no TTL) by `when`.
/// No TTL counts as an infinite one: GT never beats it, LT always does.
fn conditions_hold(flags: u8, current: Option<i64>, when: i64) -> bool {
    if flags & NX != 0 && current.is_some() {
        return false;
    }
    if flags & XX != 0 && current.is_none() {
        return false;
    }
    if flags & GT != 0 && current.is_none_or(|cur| when <= cur) {
        return false;
    }
    if flags & LT != 0 && current.is_some_and(|cur| when >= cur) {
        return false;
    }
    true
}

/// Redis `expireGenericCommand`. `base_ms` is now for the relative forms and 0 for the `*AT`
/// forms; `unit_ms` is 1000 when the argument is in seconds. `name` is the command's name for
/// the overflow error.
fn expire_generic(
    ctx: &mut Ctx<'_>,
    args: &Args<'_>,
    base_ms: i64,
    unit_ms: i64,
    name: &str,
) -> CmdResult {
    let key = args.get(1);
    let flags = parse_expire_flags(args)?;
    let invalid = || ReplyError::Owned(format!("ERR invalid expire time in '{name}' command"));
    let when = args
        .i64(2)?
        .checked_mul(unit_ms)
        .ok_or_else(invalid)?
        .checked_add(base_ms)
        .ok_or_else(invalid)?;
    let now = ctx.now();
    if ctx.db().lookup_write(key, now).is_none() {
        ctx.reply().int(0);
        return Ok(());
    }
    if flags != 0 {
        // Deadlines come from an i64 and are never negative once stored.
        let current = ctx
            .db()
            .expire_at(key)
            .map(|at| at.min(i64::MAX as u64) as i64);
        if !conditions_hold(flags, current, when) {
            ctx.reply().int(0);
            return Ok(());
        }
    }
    if when <= now as i64 && !ctx.core.loading {
        ctx.db().remove(key, now);
        ctx.key_changed(key, notify::GENERIC, "del");
        ctx.propagate_as(&[b"DEL", key]);
    } else {
        let at = when.max(0);
        ctx.db().set_expire(key, at as u64);
        ctx.key_changed(key, notify::GENERIC, "expire");
        let mut buf = [0u8; MAX_I64_DIGITS];
        ctx.propagate_as(&[b"PEXPIREAT", key, format_i64(at, &mut buf)]);
    }
    ctx.reply().int(1);
    Ok(())
}

/// Redis `ttlGenericCommand`: -2 for a missing key, -1 without a TTL, else the remaining time
/// (or the absolute deadline), in ms or in seconds rounded to the nearest.
fn ttl_generic(ctx: &mut Ctx<'_>, args: &Args<'_>, in_ms: bool, absolute: bool) -> CmdResult {
    let key = args.get(1);
    let now = ctx.now();
    let db = ctx.db();
    if db.lookup(key, now, LookupFlags::NOTOUCH).is_none() {
        ctx.reply().int(-2);
        return Ok(());
    }
    let Some(at) = db.expire_at(key) else {
        ctx.reply().int(-1);
        return Ok(());
    };
    let ms = if absolute { at } else { at.saturating_sub(now) };
    // u64 arithmetic: Redis's `(ttl+500)/1000` on a deadline near LLONG_MAX rounds up too.
    let v = if in_ms {
        ms
    } else {
        ms.saturating_add(500) / 1000
    };
    ctx.reply().int(v.min(i64::MAX as u64) as i64);
    Ok(())
}

// --- handlers

fn expire(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    let now = ctx.now() as i64;
    expire_generic(ctx, args, now, 1000, "expire")
}

fn pexpire(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    let now = ctx.now() as i64;
    expire_generic(ctx, args, now, 1, "pexpire")
}

fn expireat(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    expire_generic(ctx, args, 0, 1000, "expireat")
}

fn pexpireat(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    expire_generic(ctx, args, 0, 1, "pexpireat")
}

fn ttl(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    ttl_generic(ctx, args, false, false)
}

fn pttl(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    ttl_generic(ctx, args, true, false)
}

fn expiretime(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    ttl_generic(ctx, args, false, true)
}

fn pexpiretime(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    ttl_generic(ctx, args, true, true)
}

fn persist(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    let key = args.get(1);
    let now = ctx.now();
    let changed = ctx.db().lookup_write(key, now).is_some() && ctx.db().persist(key);
    if changed {
        ctx.key_changed(key, notify::GENERIC, "persist");
    }
    ctx.reply().int(i64::from(changed));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_follow_redis() {
        let (none, cur) = (None, Some(1000));
        assert!(conditions_hold(NX, none, 5));
        assert!(!conditions_hold(NX, cur, 5));
        assert!(!conditions_hold(XX, none, 5));
        assert!(conditions_hold(XX, cur, 5));
        // No TTL is infinite: GT never beats it, LT always does.
        assert!(!conditions_hold(GT, none, i64::MAX));
        assert!(conditions_hold(LT, none, i64::MIN));
        assert!(conditions_hold(GT, cur, 1001));
        assert!(!conditions_hold(GT, cur, 1000));
        assert!(conditions_hold(LT, cur, 999));
        assert!(!conditions_hold(LT, cur, 1000));
        assert!(!conditions_hold(XX | GT, none, 5));
        assert!(conditions_hold(XX | LT, cur, 5));
    }
}
