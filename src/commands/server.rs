//! Server commands: INFO, CONFIG, COMMAND, TIME, SHUTDOWN, CLUSTER (refused).
//! Follows redis server.c / config.c.

use super::connection::reply_help;
use super::flags::*;
use super::{Args, CommandSpec, Ctx, container_only, full_name};
use crate::error::{CmdResult, ReplyError};
use crate::resp::Reply;
use crate::server::Shutdown;

const SRV: &str = "server";

pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("info", -1, LOADING | STALE, info)
        .doc(SRV, "1.0.0", "O(1)", "Returns information and statistics about the server."),
    CommandSpec::new("time", 1, LOADING | STALE | FAST, time)
        .doc(SRV, "2.6.0", "O(1)", "Returns the server time."),
    CommandSpec::new("shutdown", -1, ADMIN | NOSCRIPT | LOADING | STALE | NO_MULTI | ALLOW_BUSY, shutdown)
        .doc(SRV, "1.0.0", "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)", "Synchronously saves the database(s) to disk and shuts down the Redis server."),
    CommandSpec::new("config", -2, 0, container_only)
        .doc(SRV, "2.0.0", "Depends on subcommand.", "A container for server configuration commands.")
        .subs(CONFIG_SUBCOMMANDS),
    CommandSpec::new("command", -1, LOADING | STALE, command_no_sub)
        .doc(SRV, "2.8.13", "O(N) where N is the total number of Redis commands", "Returns detailed information about all commands.")
        .subs(COMMAND_SUBCOMMANDS),
    CommandSpec::new("dbsize", 1, READONLY | FAST, dbsize)
        .doc(SRV, "1.0.0", "O(1)", "Returns the number of keys in the database."),
    CommandSpec::new("flushdb", -1, WRITE, flushdb)
        .doc(SRV, "1.0.0", "O(N) where N is the number of keys in the selected database", "Remove all keys from the current database."),
    CommandSpec::new("flushall", -1, WRITE, flushall)
        .doc(SRV, "1.0.0", "O(N) where N is the total number of keys in all databases", "Removes all keys from all databases."),
    CommandSpec::new("cluster", -2, 0, cluster)
        .doc("cluster", "3.0.0", "Depends on subcommand.", "A container for Redis Cluster commands."),
];

static CONFIG_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new("get", -3, ADMIN | NOSCRIPT | LOADING | STALE, config_get).doc(
        SRV,
        "2.0.0",
        "O(N) when N is the number of configuration parameters provided",
        "Returns the effective values of configuration parameters.",
    ),
    CommandSpec::new("set", -4, ADMIN | NOSCRIPT | LOADING | STALE, config_set).doc(
        SRV,
        "2.0.0",
        "O(N) when N is the number of configuration parameters provided",
        "Sets configuration parameters in-flight.",
    ),
    CommandSpec::new(
        "resetstat",
        2,
        ADMIN | NOSCRIPT | LOADING | STALE,
        config_resetstat,
    )
    .doc(SRV, "2.0.0", "O(1)", "Resets the server's statistics."),
    CommandSpec::new(
        "rewrite",
        2,
        ADMIN | NOSCRIPT | LOADING | STALE,
        config_rewrite,
    )
    .doc(
        SRV,
        "2.8.0",
        "O(1)",
        "Persists the effective configuration to file.",
    ),
    CommandSpec::new("help", 2, LOADING | STALE, config_help).doc(
        SRV,
        "5.0.0",
        "O(1)",
        "Returns helpful text about the different subcommands.",
    ),
];

static COMMAND_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new("count", 2, LOADING | STALE, command_count).doc(
        SRV,
        "2.8.13",
        "O(1)",
        "Returns a count of commands.",
    ),
    CommandSpec::new("info", -2, LOADING | STALE, command_info).doc(
        SRV,
        "2.8.13",
        "O(N) where N is the number of commands to look up",
        "Returns information about one, multiple or all commands.",
    ),
    CommandSpec::new("docs", -2, LOADING | STALE, command_docs).doc(
        SRV,
        "7.0.0",
        "O(N) where N is the number of commands to look up",
        "Returns documentary information about one, multiple or all commands.",
    ),
    CommandSpec::new("list", -2, LOADING | STALE, command_list).doc(
        SRV,
        "7.0.0",
        "O(N) where N is the total number of Redis commands",
        "Returns a list of command names.",
    ),
    CommandSpec::new("getkeys", -3, LOADING | STALE, command_getkeys).doc(
        SRV,
        "2.8.13",
        "O(N) where N is the number of arguments to the command",
        "Extracts the key names from an arbitrary command.",
    ),
    CommandSpec::new("help", 2, LOADING | STALE, command_help).doc(
        SRV,
        "5.0.0",
        "O(1)",
        "Returns helpful text about the different subcommands.",
    ),
];

fn info(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    let sections: Vec<String> = args
        .iter()
        .skip(1)
        .map(|a| String::from_utf8_lossy(a).to_ascii_lowercase())
        .collect();
    let text = crate::info::render(ctx.core, ctx.client, &sections);
    ctx.reply().verbatim(b"txt", text.as_bytes());
    Ok(())
}

fn time(ctx: &mut Ctx<'_>, _args: &Args<'_>) -> CmdResult {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let r = ctx.reply();
    r.array(2);
    r.bulk_i64(now.as_secs() as i64);
    r.bulk_i64(now.subsec_micros() as i64);
    Ok(())
}

fn shutdown(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    let mut mode = Shutdown::Default;
    for a in args.iter().skip(1) {
        if a.eq_ignore_ascii_case(b"nosave") {
            mode = Shutdown::NoSave;
        } else if a.eq_ignore_ascii_case(b"save") {
            mode = Shutdown::Save;
        } else if a.eq_ignore_ascii_case(b"now") || a.eq_ignore_ascii_case(b"force") {
        } else if a.eq_ignore_ascii_case(b"abort") {
            return Err(ReplyError::Static("ERR No shutdown in progress."));
        } else {
            return Err(ReplyError::Syntax);
        }
    }
    tracing::warn!("User requested shutdown...");
    ctx.core.shutdown = Some(mode);
    // Like Redis, a successful SHUTDOWN sends no reply: the connection closes.
    ctx.client.flags |= crate::server::client::flags::CLOSE_ASAP;
    Ok(())
}

fn dbsize(ctx: &mut Ctx<'_>, _args: &Args<'_>) -> CmdResult {
    let n = ctx.db().len() as i64;
    ctx.reply().int(n);
    Ok(())
}

/// FLUSHDB/FLUSHALL take an optional ASYNC|SYNC; both free synchronously here
/// (freeing is fast enough without a lazyfree thread, and keeps us single-threaded).
fn flush_mode_ok(args: &Args<'_>) -> CmdResult {
    match args.len() {
        1 => Ok(()),
        2 if args.is(1, "async") || args.is(1, "sync") => Ok(()),
        _ => Err(ReplyError::Syntax),
    }
}

fn flushdb(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    flush_mode_ok(args)?;
    let db = ctx.client.db;
    // Before clearing: WATCH only cares about keys that existed.
    ctx.core.signal_flushed_db(Some(db));
    ctx.db().clear();
    ctx.core.dirty += 1;
    ctx.reply().ok();
    Ok(())
}

fn flushall(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    flush_mode_ok(args)?;
    ctx.core.signal_flushed_db(None);
    ctx.core.keyspace.flush_all();
    ctx.core.dirty += 1;
    ctx.reply().ok();
    Ok(())
}

fn cluster(_ctx: &mut Ctx<'_>, _args: &Args<'_>) -> CmdResult {
    Err(ReplyError::Static(
        "ERR This instance has cluster support disabled",
    ))
}

fn config_get(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    let patterns: Vec<&[u8]> = args.iter().skip(2).collect();
    let pairs = ctx.core.config.get_matching(&patterns);
    let r = ctx.reply();
    r.map(pairs.len());
    for (k, v) in pairs {
        r.bulk(k.as_bytes());
        r.bulk(v.as_bytes());
    }
    Ok(())
}

fn config_set(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    if !args.len().is_multiple_of(2) {
        return Err(ReplyError::WrongArity("config|set".into()));
    }
    let pairs: Vec<(&[u8], &[u8])> = (2..args.len())
        .step_by(2)
        .map(|i| (args.get(i), args.get(i + 1)))
        .collect();
    let changed = ctx
        .core
        .config
        .set_many(&pairs)
        .map_err(ReplyError::Owned)?;
    crate::server::config_changed(ctx.core, &changed);
    ctx.reply().ok();
    Ok(())
}

fn config_resetstat(ctx: &mut Ctx<'_>, _args: &Args<'_>) -> CmdResult {
    ctx.core.stats.reset();
    ctx.core.keyspace.reset_stats();
    ctx.reply().ok();
    Ok(())
}

fn config_rewrite(ctx: &mut Ctx<'_>, _args: &Args<'_>) -> CmdResult {
    let Some(path) = ctx.core.config_file.clone() else {
        return Err(ReplyError::Static(crate::config::NO_CONFIG_FILE_ERR));
    };
    ctx.core
        .config
        .rewrite(&path)
        .map_err(|e| ReplyError::Owned(crate::config::rewrite_error(&e)))?;
    ctx.reply().ok();
    Ok(())
}

fn config_help(ctx: &mut Ctx<'_>, _args: &Args<'_>) -> CmdResult {
    reply_help(
        ctx,
        "CONFIG",
        &[
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
            "REWRITE",
            "    Rewrite the configuration file.",
        ],
    );
    Ok(())
}

fn command_no_sub(ctx: &mut Ctx<'_>, _args: &Args<'_>) -> CmdResult {
    let all: Vec<_> = ctx.core.registry.all().collect();
    let r = ctx.reply();
    r.array(all.len());
    for spec in all {
        write_command_info(r, None, spec);
    }
    Ok(())
}

fn command_count(ctx: &mut Ctx<'_>, _args: &Args<'_>) -> CmdResult {
    let n = ctx.core.registry.len() as i64;
    ctx.reply().int(n);
    Ok(())
}

/// ACL categories derived from flags and group, in Redis's category-bit
/// order (keyspace, read, write, ..., hash, string, ..., pubsub, admin,
/// fast, slow, blocking, dangerous, connection, transaction).
fn acl_categories(spec: &CommandSpec) -> Vec<&'static str> {
    let mut v = Vec::new();
    if spec.group == "generic" {
        v.push("@keyspace");
    }
    if spec.has(READONLY) {
        v.push("@read");
    }
    if spec.has(WRITE) {
        v.push("@write");
    }
    match spec.group {
        "hash" => v.push("@hash"),
        "string" => v.push("@string"),
        _ => {}
    }
    if spec.has(PUBSUB) {
        v.push("@pubsub");
    }
    if spec.has(ADMIN) {
        v.push("@admin");
    }
    v.push(if spec.has(FAST) { "@fast" } else { "@slow" });
    if spec.has(BLOCKING) {
        v.push("@blocking");
    }
    if spec.has(ADMIN) {
        v.push("@dangerous");
    }
    match spec.group {
        "connection" => v.push("@connection"),
        "transactions" => v.push("@transaction"),
        _ => {}
    }
    v
}

fn write_command_info(r: &mut Reply, parent: Option<&CommandSpec>, spec: &CommandSpec) {
    r.array(10);
    r.bulk(full_name(parent, spec).as_bytes());
    r.int(spec.arity as i64);
    let flags: Vec<&str> = NAMES
        .iter()
        .filter(|(f, _)| spec.has(*f))
        .map(|(_, n)| *n)
        .collect();
    r.set(flags.len());
    for f in flags {
        r.simple(f);
    }
    r.int(spec.first_key as i64);
    r.int(spec.last_key as i64);
    r.int(spec.step as i64);
    let cats = acl_categories(spec);
    r.set(cats.len());
    for c in cats {
        r.simple(c);
    }
    r.set(0); // tips
    r.set(0); // key specs (first/last/step above carry the key positions)
    if spec.subcommands.is_empty() {
        r.set(0);
    } else {
        r.array(spec.subcommands.len());
    }
    for sub in spec.subcommands {
        write_command_info(r, Some(spec), sub);
    }
}

fn command_info(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    if args.len() == 2 {
        return command_no_sub(ctx, args);
    }
    let specs: Vec<_> = args
        .iter()
        .skip(2)
        .map(|n| ctx.core.registry.lookup(n))
        .collect();
    let r = ctx.reply();
    r.array(specs.len());
    for s in specs {
        match s {
            Some(spec) => write_command_info(r, None, spec),
            None => r.null(),
        }
    }
    Ok(())
}

fn write_command_docs(r: &mut Reply, parent: Option<&CommandSpec>, spec: &CommandSpec) {
    let name = full_name(parent, spec);
    let arguments = super::argdocs::arguments(&name);
    r.bulk(name.as_bytes());
    let n = 4 + usize::from(!arguments.is_empty()) + usize::from(!spec.subcommands.is_empty());
    r.map(n);
    r.bulk(b"summary");
    r.bulk(spec.summary.as_bytes());
    r.bulk(b"since");
    r.bulk(spec.since.as_bytes());
    r.bulk(b"group");
    r.bulk(spec.group.as_bytes());
    r.bulk(b"complexity");
    r.bulk(spec.complexity.as_bytes());
    // redis-cli's interactive hints are built from these.
    if !arguments.is_empty() {
        r.bulk(b"arguments");
        super::argdocs::write(r, arguments);
    }
    if !spec.subcommands.is_empty() {
        r.bulk(b"subcommands");
        r.map(spec.subcommands.len());
        for sub in spec.subcommands {
            write_command_docs(r, Some(spec), sub);
        }
    }
}

fn command_docs(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    let specs: Vec<_> = if args.len() == 2 {
        ctx.core.registry.all().collect()
    } else {
        args.iter()
            .skip(2)
            .filter_map(|n| ctx.core.registry.lookup(n))
            .collect()
    };
    let r = ctx.reply();
    r.map(specs.len());
    for spec in specs {
        write_command_docs(r, None, spec);
    }
    Ok(())
}

fn command_list(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    let mut pattern: Option<&[u8]> = None;
    if args.len() > 2 {
        if args.len() == 5 && args.is(2, "filterby") && args.is(3, "pattern") {
            pattern = Some(args.get(4));
        } else if args.len() == 5 && args.is(2, "filterby") {
            // ACLCAT / MODULE filters: no modules and no ACL categories beyond flags.
        } else {
            return Err(ReplyError::Syntax);
        }
    }
    let names: Vec<&str> = ctx
        .core
        .registry
        .all()
        .map(|s| s.name)
        .filter(|n| pattern.is_none_or(|p| crate::glob::glob_match(p, n.as_bytes(), true)))
        .collect();
    let r = ctx.reply();
    r.array(names.len());
    for n in names {
        r.bulk(n.as_bytes());
    }
    Ok(())
}

fn command_getkeys(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    let Some(spec) = ctx.core.registry.lookup(args.get(2)) else {
        return Err(ReplyError::Static("ERR Invalid command specified"));
    };
    let argc = args.len() - 2;
    if !spec.arity_ok(argc) {
        return Err(ReplyError::Static(
            "ERR Invalid number of arguments specified for command",
        ));
    }
    if spec.first_key <= 0 {
        return Err(ReplyError::Static("ERR The command has no key arguments"));
    }
    let last = if spec.last_key < 0 {
        argc as i32 + spec.last_key
    } else {
        spec.last_key
    };
    let mut keys = Vec::new();
    let mut i = spec.first_key;
    while i <= last && (i as usize) < argc {
        keys.push(args.get(i as usize + 2));
        i += spec.step.max(1);
    }
    let r = ctx.reply();
    r.array(keys.len());
    for k in keys {
        r.bulk(k);
    }
    Ok(())
}

fn command_help(ctx: &mut Ctx<'_>, _args: &Args<'_>) -> CmdResult {
    reply_help(
        ctx,
        "COMMAND",
        &[
            "(no subcommand)",
            "    Return details about all Redis commands.",
            "COUNT",
            "    Return the total number of commands in this Redis server.",
            "LIST",
            "    Return a list of all commands in this Redis server.",
            "INFO [<command-name> ...]",
            "    Return details about multiple Redis commands.",
            "DOCS [<command-name> ...]",
            "    Return documentation details about multiple Redis commands.",
            "GETKEYS <full-command>",
            "    Return the keys from a full Redis command.",
        ],
    );
    Ok(())
}
