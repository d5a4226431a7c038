//! Pub/Sub commands: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE,
//! PUBLISH, PUBSUB CHANNELS/NUMSUB/NUMPAT/SHARDCHANNELS/SHARDNUMSUB/HELP.
//! Follows redis src/pubsub.c ("client replies API", "commands
//! implementation"); the indexes live in `crate::pubsub`.
//!
//! Delivery writes straight into each subscriber's reply buffer (the
//! publisher's own buffer when it is subscribed itself, since it is out of
//! the client table while its command runs) and enforces
//! `client-output-buffer-limit` on every subscriber it writes to.
//! Confirmations and messages are pushes: `>` frames in RESP3, arrays in
//! RESP2, exactly as Redis frames them.

use mio::Token;

use super::connection::reply_help;
use super::flags::*;
use super::{Args, CommandSpec, Ctx, container_only};
use crate::config::ClientOutputBufferLimits;
use crate::error::{CmdResult, ReplyError};
use crate::pubsub::{Deferred, Kind};
use crate::resp::Reply;
use crate::server::Clients;
use crate::server::Core;
use crate::server::client::{ClientState, flags as cflags};
use crate::server::clients::{log_output_limit_close, output_limit_reached};
use crate::stats::Stats;

const PS: &str = "pubsub";

pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "subscribe",
        -2,
        PUBSUB | NOSCRIPT | LOADING | STALE | PUBSUB_OK,
        subscribe,
    )
    .doc(
        PS,
        "2.0.0",
        "O(N) where N is the number of channels to subscribe to.",
        "Listens for messages published to channels.",
    ),
    CommandSpec::new(
        "unsubscribe",
        -1,
        PUBSUB | NOSCRIPT | LOADING | STALE | PUBSUB_OK,
        unsubscribe,
    )
    .doc(
        PS,
        "2.0.0",
        "O(N) where N is the number of channels to unsubscribe.",
        "Stops listening to messages posted to channels.",
    ),
    CommandSpec::new(
        "psubscribe",
        -2,
        PUBSUB | NOSCRIPT | LOADING | STALE | PUBSUB_OK,
        psubscribe,
    )
    .doc(
        PS,
        "2.0.0",
        "O(N) where N is the number of patterns to subscribe to.",
        "Listens for messages published to channels that match one or more patterns.",
    ),
    CommandSpec::new(
        "punsubscribe",
        -1,
        PUBSUB | NOSCRIPT | LOADING | STALE | PUBSUB_OK,
        punsubscribe,
    )
    .doc(
        PS,
        "2.0.0",
        "O(N) where N is the number of patterns to unsubscribe.",
        "Stops listening to messages published to channels that match one or more patterns.",
    ),
    CommandSpec::new("publish", 3, PUBSUB | LOADING | STALE | FAST, publish).doc(
        PS,
        "2.0.0",
        "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).",
        "Posts a message to a channel.",
    ),
    CommandSpec::new("pubsub", -2, 0, container_only)
        .doc(
            PS,
            "2.8.0",
            "Depends on subcommand.",
            "A container for Pub/Sub commands.",
        )
        .subs(PUBSUB_SUBCOMMANDS),
];

static PUBSUB_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new("channels", -2, PUBSUB | LOADING | STALE, pubsub_channels).doc(
        PS,
        "2.8.0",
        "O(N) where N is the number of active channels, and assuming constant time pattern matching (relatively short channels and patterns)",
        "Returns the active channels.",
    ),
    CommandSpec::new("numsub", -2, PUBSUB | LOADING | STALE, pubsub_numsub).doc(
        PS,
        "2.8.0",
        "O(N) for the NUMSUB subcommand, where N is the number of requested channels",
        "Returns a count of subscribers to channels.",
    ),
    CommandSpec::new("numpat", 2, PUBSUB | LOADING | STALE, pubsub_numpat).doc(
        PS,
        "2.8.0",
        "O(1)",
        "Returns a count of unique pattern subscriptions.",
    ),
    CommandSpec::new(
        "shardchannels",
        -2,
        PUBSUB | LOADING | STALE,
        pubsub_shardchannels,
    )
    .doc(
        PS,
        "7.0.0",
        "O(N) where N is the number of active shard channels, and assuming constant time pattern matching (relatively short shard channels).",
        "Returns the active shard channels.",
    ),
    CommandSpec::new(
        "shardnumsub",
        -2,
        PUBSUB | LOADING | STALE,
        pubsub_shardnumsub,
    )
    .doc(
        PS,
        "7.0.0",
        "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels",
        "Returns the count of subscribers of shard channels.",
    ),
    CommandSpec::new("help", 2, LOADING | STALE, pubsub_help).doc(
        PS,
        "6.2.0",
        "O(1)",
        "Returns helpful text about the different subcommands.",
    ),
];

// ---------------------------------------------------------------------------
// Client replies API
// ---------------------------------------------------------------------------

/// `subscribe`/`unsubscribe`/... confirmation: [kind, name or null, count].
fn reply_confirmation(r: &mut Reply, kind: &[u8], name: Option<&[u8]>, count: usize) {
    r.push(3);
    r.bulk(kind);
    match name {
        Some(n) => r.bulk(n),
        None => r.null(),
    }
    r.int(count as i64);
}

/// ["message", channel, payload]
fn write_message(r: &mut Reply, channel: &[u8], msg: &[u8]) {
    r.push(3);
    r.bulk(b"message");
    r.bulk(channel);
    r.bulk(msg);
}

/// ["pmessage", pattern, channel, payload]
fn write_pmessage(r: &mut Reply, pattern: &[u8], channel: &[u8], msg: &[u8]) {
    r.push(4);
    r.bulk(b"pmessage");
    r.bulk(pattern);
    r.bulk(channel);
    r.bulk(msg);
}

// ---------------------------------------------------------------------------
// Delivery
// ---------------------------------------------------------------------------

/// The parts of `Core` delivery writes to, borrowed apart from `pubsub`
/// so subscribers can be walked without copying the subscriber lists.
struct Sink<'a> {
    clients: &'a mut Clients,
    deferred: &'a mut Deferred,
    stats: &'a mut Stats,
    limits: ClientOutputBufferLimits,
    now_ms: u64,
}

/// Write one message into subscriber `to`'s output (see module doc), queue
/// it for writing and apply its output-buffer limit.
fn deliver(
    sink: &mut Sink<'_>,
    me: Option<&mut ClientState>,
    to: Token,
    write: impl Fn(&mut Reply),
) {
    if let Some(me) = me
        && me.token == to
    {
        // Its limit is checked when its command finishes.
        write(&mut me.reply);
        return;
    }
    let Some(c) = sink.clients.get_mut(to) else {
        // The running client, reached from code that has no handle on it.
        write(sink.deferred.begin(to));
        return;
    };
    let st = &mut c.st;
    // Redis stops feeding a client once it is scheduled to close.
    if st.has(cflags::CLOSE_ASAP) {
        return;
    }
    write(&mut st.reply);
    let over = output_limit_reached(st, &sink.limits, sink.now_ms);
    let queue = !st.has(cflags::PENDING_WRITE);
    st.flags |= cflags::PENDING_WRITE;
    if over {
        st.flags |= cflags::CLOSE_ASAP;
        log_output_limit_close(st);
        sink.stats.client_output_buffer_limit_disconnections += 1;
        sink.clients.to_close.push(to);
    } else if queue {
        sink.clients.pending_writes.push(to);
    }
}

/// Publish `msg` on `channel` to channel and pattern subscribers; returns
/// the number of receivers as PUBLISH reports it (a client subscribed both
/// to the channel and to a matching pattern counts, and receives, twice).
/// `me` is the client running the current command, if the caller has it.
pub fn publish_message(
    core: &mut Core,
    mut me: Option<&mut ClientState>,
    channel: &[u8],
    msg: &[u8],
) -> usize {
    if core.pubsub.is_empty() {
        return 0;
    }
    let Core {
        pubsub,
        clients,
        deferred_pushes,
        stats,
        config,
        now_ms,
        ..
    } = core;
    let mut sink = Sink {
        clients,
        deferred: deferred_pushes,
        stats,
        limits: config.client_output_buffer_limit,
        now_ms: *now_ms,
    };
    let mut receivers = 0;
    if let Some(subs) = pubsub.channel_subscribers(channel) {
        for &to in subs {
            deliver(&mut sink, me.as_deref_mut(), to, |r| {
                write_message(r, channel, msg)
            });
            receivers += 1;
        }
    }
    for (pat, subs) in pubsub.patterns() {
        if !crate::glob::glob_match(pat, channel, false) {
            continue;
        }
        for &to in subs {
            deliver(&mut sink, me.as_deref_mut(), to, |r| {
                write_pmessage(r, pat, channel, msg)
            });
            receivers += 1;
        }
    }
    receivers
}

/// Append messages deferred for the running client (see `pubsub::Deferred`).
pub fn flush_deferred(core: &mut Core, client: &mut ClientState) {
    core.deferred_pushes
        .drain_into(client.token, &mut client.reply);
}

// ---------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------

fn sync_count(ctx: &mut Ctx<'_>) -> usize {
    let n = ctx.core.pubsub.client_total(ctx.client.token);
    ctx.client.subscriptions = n;
    n
}

fn subscribe_generic(ctx: &mut Ctx<'_>, args: &Args<'_>, kind: Kind) -> CmdResult {
    let word: &[u8] = match kind {
        Kind::Channel => b"subscribe",
        Kind::Pattern => b"psubscribe",
    };
    for name in args.iter().skip(1) {
        ctx.core.pubsub.subscribe(ctx.client.token, kind, name);
        let n = sync_count(ctx);
        reply_confirmation(ctx.reply(), word, Some(name), n);
    }
    Ok(())
}

fn unsubscribe_generic(ctx: &mut Ctx<'_>, args: &Args<'_>, kind: Kind) -> CmdResult {
    let word: &[u8] = match kind {
        Kind::Channel => b"unsubscribe",
        Kind::Pattern => b"punsubscribe",
    };
    let tok = ctx.client.token;
    if args.len() > 1 {
        for name in args.iter().skip(1) {
            ctx.core.pubsub.unsubscribe(tok, kind, name);
            let n = sync_count(ctx);
            reply_confirmation(ctx.reply(), word, Some(name), n);
        }
        return Ok(());
    }
    let names = ctx.core.pubsub.client_names(tok, kind);
    if names.is_empty() {
        // Redis confirms even when there was nothing to drop.
        let n = sync_count(ctx);
        reply_confirmation(ctx.reply(), word, None, n);
    }
    for name in names {
        ctx.core.pubsub.unsubscribe(tok, kind, &name);
        let n = sync_count(ctx);
        reply_confirmation(ctx.reply(), word, Some(&name), n);
    }
    Ok(())
}

fn subscribe(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    subscribe_generic(ctx, args, Kind::Channel)
}

fn psubscribe(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    subscribe_generic(ctx, args, Kind::Pattern)
}

fn unsubscribe(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    unsubscribe_generic(ctx, args, Kind::Channel)
}

fn punsubscribe(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    unsubscribe_generic(ctx, args, Kind::Pattern)
}

fn publish(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    let n = publish_message(ctx.core, Some(ctx.client), args.get(1), args.get(2));
    ctx.reply().int(n as i64);
    Ok(())
}

/// `-ERR unknown subcommand or wrong number of arguments for 'X'. Try PUBSUB HELP.`
fn subcommand_syntax_error(args: &Args<'_>) -> ReplyError {
    ReplyError::Owned(format!(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try PUBSUB HELP.",
        crate::error::printable(args.get(1), 128)
    ))
}

fn pubsub_channels(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    if args.len() > 3 {
        return Err(subcommand_syntax_error(args));
    }
    let pattern = (args.len() == 3).then(|| args.get(2));
    let names: Vec<&[u8]> = ctx
        .core
        .pubsub
        .channel_names()
        .filter(|c| pattern.is_none_or(|p| crate::glob::glob_match(p, c, false)))
        .collect();
    let r = &mut ctx.client.reply;
    r.array(names.len());
    for n in names {
        r.bulk(n);
    }
    Ok(())
}

fn pubsub_numsub(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    let r = &mut ctx.client.reply;
    // A flat array in RESP3 too (Redis replies with an array here, not a map).
    r.array((args.len() - 2) * 2);
    for ch in args.iter().skip(2) {
        r.bulk(ch);
        r.int(ctx.core.pubsub.numsub(ch) as i64);
    }
    Ok(())
}

fn pubsub_numpat(ctx: &mut Ctx<'_>, _args: &Args<'_>) -> CmdResult {
    let n = ctx.core.pubsub.pattern_count() as i64;
    ctx.reply().int(n);
    Ok(())
}

/// Shard channels exist only in cluster mode; standalone there are none.
fn pubsub_shardchannels(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    if args.len() > 3 {
        return Err(subcommand_syntax_error(args));
    }
    ctx.reply().array(0);
    Ok(())
}

fn pubsub_shardnumsub(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    let r = ctx.reply();
    r.array((args.len() - 2) * 2);
    for ch in args.iter().skip(2) {
        r.bulk(ch);
        r.int(0);
    }
    Ok(())
}

fn pubsub_help(ctx: &mut Ctx<'_>, _args: &Args<'_>) -> CmdResult {
    reply_help(
        ctx,
        "PUBSUB",
        &[
            "CHANNELS [<pattern>]",
            "    Return the currently active channels matching a <pattern> (default: '*').",
            "NUMPAT",
            "    Return number of subscriptions to patterns.",
            "NUMSUB [<channel> ...]",
            "    Return the number of subscribers for the specified channels, excluding",
            "    pattern subscriptions(default: no channels).",
            "SHARDCHANNELS [<pattern>]",
            "    Return the currently active shard level channels matching a <pattern> (default: '*').",
            "SHARDNUMSUB [<shardchannel> ...]",
            "    Return the number of subscribers for the specified shard level channel(s)",
        ],
    );
    Ok(())
}
