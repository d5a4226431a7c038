//! Debugging commands: DEBUG (POPULATE, SLEEP, SET-ACTIVE-EXPIRE, HELP) and InMemDB's own `SLEEP`.
//! Follows redis src/debug.c (`debugCommand`).
//!
//! `SLEEP <seconds>` is an InMemDB extension kept from the original InMemDB: it blocks the
//! whole server (every client waits) for the given number of seconds, decimals allowed, and
//! replies +OK. It is `DEBUG SLEEP` with strict argument checking. Unlike Redis, DEBUG is always
//! enabled (there is no `enable-debug-command`).
//!
//! DEBUG is one command that dispatches on its first argument itself, as Redis's does (it
//! has no subcommand table in COMMAND INFO); other features add their arms to `debug`.

use std::time::Duration;

use super::connection::reply_help;
use super::flags::*;
use super::{Args, CommandSpec, Ctx};
use crate::error::{CmdResult, ReplyError};
use crate::keyspace::{SetExpire, Value};
use crate::util::parse_f64;

const SRV: &str = "server";

pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("debug", -2, ADMIN | NOSCRIPT | LOADING | STALE, debug).doc(
        SRV,
        "1.0.0",
        "Depends on subcommand.",
        "A container for debugging commands",
    ),
    CommandSpec::new("sleep", 2, ADMIN | NOSCRIPT | LOADING | STALE, sleep).doc(
        SRV,
        "1.0.0",
        "O(1)",
        "Block the whole server for the given number of seconds (InMemDB extension)",
    ),
];

// --- helpers

/// Blocks the event loop for `secs` seconds, then refreshes the cached clock so the commands
/// that follow in the same loop turn see the time that passed.
fn block_server(ctx: &mut Ctx<'_>, secs: f64) {
    if secs > 0.0 {
        // Clamp so absurd values cannot panic `from_secs_f64`; a year is "forever" here.
        std::thread::sleep(Duration::from_secs_f64(secs.min(365.0 * 86_400.0)));
    }
    ctx.core.now_ms = crate::server::unix_ms();
}

/// Redis `addReplySubcommandSyntaxError`.
fn subcommand_error(args: &Args<'_>) -> ReplyError {
    ReplyError::Owned(format!(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try {} HELP.",
        crate::error::printable(args.get(1), 128),
        args.str_lossy(0).to_ascii_uppercase()
    ))
}

// --- handlers

fn debug(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    let argc = args.len();
    if args.is(1, "help") && argc == 2 {
        return debug_help(ctx);
    }
    if args.is(1, "populate") && (3..=5).contains(&argc) {
        return debug_populate(ctx, args);
    }
    if args.is(1, "sleep") && argc == 3 {
        // Redis uses strtod and ignores garbage (which reads as 0).
        let secs = parse_f64(args.get(2)).unwrap_or(0.0);
        block_server(ctx, secs);
        ctx.reply().ok();
        return Ok(());
    }
    if args.is(1, "set-active-expire") && argc == 3 {
        // Redis uses atoi: anything but a non-zero number disables it.
        let on = std::str::from_utf8(args.get(2))
            .ok()
            .and_then(|s| s.trim().parse::<i64>().ok())
            .is_some_and(|v| v != 0);
        ctx.core.active_expire_enabled = on;
        ctx.reply().ok();
        return Ok(());
    }
    Err(subcommand_error(args))
}

/// DEBUG POPULATE count [prefix] [size]: creates `prefix:N` (default `key:N`) = `value:N` for N
/// in 0..count, skipping names that exist; with `size`, values are `size` bytes (zero-padded or
/// cut). Like Redis, this is not a write command: it is not logged to the AOF.
fn debug_populate(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    // Redis `getPositiveLongFromObjectOrReply`: one message for both non-numbers and negatives.
    let positive = |i: usize| -> Result<u64, ReplyError> {
        args.i64(i)
            .ok()
            .and_then(|v| u64::try_from(v).ok())
            .ok_or(ReplyError::OutOfRange)
    };
    let count = positive(2)?;
    let size = if args.len() == 5 { positive(4)? } else { 0 };
    // Redis builds names in a 128-byte buffer: longer prefixes are cut.
    let prefix = if args.len() >= 4 { args.get(3) } else { b"key" };
    let prefix = prefix.get(..prefix.len().min(100)).unwrap_or(prefix);
    let size = usize::try_from(size).map_err(|_| ReplyError::OutOfRange)?;
    if size as u64 > ctx.core.config.proto_max_bulk_len {
        return Err(ReplyError::OutOfRange);
    }
    let now = ctx.now();
    let mut key = Vec::with_capacity(prefix.len() + 21);
    let mut val = Vec::new();
    for j in 0..count {
        key.clear();
        key.extend_from_slice(prefix);
        key.push(b':');
        key.extend_from_slice(j.to_string().as_bytes());
        let db = ctx.db();
        if db.lookup_write(&key, now).is_some() {
            continue;
        }
        val.clear();
        val.extend_from_slice(b"value:");
        val.extend_from_slice(j.to_string().as_bytes());
        if size > 0 {
            val.resize(size, 0);
        }
        db.set(&key, Value::string(&val), SetExpire::Clear, now);
        ctx.core.signal_modified_key(ctx.client.db, &key);
    }
    ctx.reply().ok();
    Ok(())
}

fn debug_help(ctx: &mut Ctx<'_>) -> CmdResult {
    const LINES: &[&str] = &[
        "POPULATE <count> [<prefix>] [<size>]",
        "    Create <count> string keys named key:<num>. If <prefix> is specified then",
        "    it is used instead of the 'key' prefix. These are not propagated to",
        "    replicas. Cluster slots are not respected so keys not belonging to the",
        "    current node can be created in cluster mode.",
        "SET-ACTIVE-EXPIRE <0|1>",
        "    Setting it to 0 disables expiring keys in background when they are not",
        "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
        "    default.",
        "SLEEP <seconds>",
        "    Stop the server for <seconds>. Decimals allowed.",
    ];
    reply_help(ctx, "DEBUG", LINES);
    Ok(())
}

/// SLEEP seconds: like DEBUG SLEEP, but the argument must be a non-negative number.
fn sleep(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    let secs = parse_f64(args.get(1)).ok_or(ReplyError::NotFloat)?;
    if !secs.is_finite() || secs < 0.0 {
        return Err(ReplyError::OutOfRange);
    }
    block_server(ctx, secs);
    ctx.reply().ok();
    Ok(())
}
