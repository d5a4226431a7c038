//! Persistence commands: BGREWRITEAOF, and SAVE / BGSAVE / LASTSAVE for an
//! RDB we don't have. Follows redis aof.c `bgrewriteaofCommand` and rdb.c.
//!
//! InMemDB persists with the append-only file only. SAVE and BGSAVE refuse
//! with an error that says so (rather than "unknown command", and rather than
//! claiming a snapshot was written); LASTSAVE answers the time of the last
//! successful AOF rewrite (the server start time before the first one, as
//! Redis answers its start time before the first save).

use super::flags::*;
use super::{Args, CommandSpec, Ctx};
use crate::error::{CmdResult, ReplyError};
use crate::persistence::rewrite;

const SRV: &str = "server";

pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("bgrewriteaof", 1, ADMIN | NOSCRIPT, bgrewriteaof).doc(
        SRV,
        "1.0.0",
        "O(1)",
        "Asynchronously rewrites the append-only file to disk.",
    ),
    CommandSpec::new("save", 1, ADMIN | NOSCRIPT | NO_MULTI, save).doc(
        SRV,
        "1.0.0",
        "O(N) where N is the total number of keys in all databases",
        "Synchronously saves the database(s) to disk.",
    ),
    CommandSpec::new("bgsave", -1, ADMIN | NOSCRIPT, bgsave).doc(
        SRV,
        "1.0.0",
        "O(1)",
        "Asynchronously saves the database(s) to disk.",
    ),
    CommandSpec::new("lastsave", 1, LOADING | STALE | FAST, lastsave).doc(
        SRV,
        "1.0.0",
        "O(1)",
        "Returns the Unix timestamp of the last successful save to disk.",
    ),
];

// --- helpers

/// What SAVE/BGSAVE answer: there is no RDB, the AOF is the persistence.
const NO_RDB: &str = "ERR InMemDB has no RDB snapshots: it persists with the append-only file only (CONFIG SET appendonly yes). Use BGREWRITEAOF to compact the AOF.";

// --- commands

fn bgrewriteaof(ctx: &mut Ctx<'_>, _args: &Args<'_>) -> CmdResult {
    let aof = &mut ctx.core.aof;
    if aof.rewrite_in_progress() {
        return Err(ReplyError::Static(
            "ERR Background append only file rewriting already in progress",
        ));
    }
    // Inside EXEC, fork after the transaction (Redis's `server.in_exec`).
    if aof.in_exec() {
        aof.rewrite_scheduled = true;
        ctx.reply()
            .simple("Background append only file rewriting scheduled");
        return Ok(());
    }
    match rewrite::start(ctx.core) {
        Ok(()) => {
            ctx.reply()
                .simple("Background append only file rewriting started");
            Ok(())
        }
        Err(_) => Err(ReplyError::Static(
            "ERR Can't execute an AOF background rewriting. Please check the server logs for more information.",
        )),
    }
}

fn save(_ctx: &mut Ctx<'_>, _args: &Args<'_>) -> CmdResult {
    Err(ReplyError::Static(NO_RDB))
}

fn bgsave(_ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    // Same syntax check as Redis first: only BGSAVE [SCHEDULE].
    if args.len() > 2 || (args.len() == 2 && !args.is(1, "schedule")) {
        return Err(ReplyError::Syntax);
    }
    Err(ReplyError::Static(NO_RDB))
}

fn lastsave(ctx: &mut Ctx<'_>, _args: &Args<'_>) -> CmdResult {
    let t = ctx.core.aof.lastsave_unix_s as i64;
    ctx.reply().int(t);
    Ok(())
}
