//! Connection commands: PING, ECHO, QUIT, RESET, HELLO, AUTH, SELECT, CLIENT.
//! Follows redis server.c (ping/echo/hello), networking.c (CLIENT), acl.c
//! (AUTH: only the `default` user exists, with `requirepass` as its
//! password, or `nopass` when it is empty).

use super::flags::*;
use super::{Args, CommandSpec, Ctx, container_only};
use crate::error::{CmdResult, ReplyError};
use crate::resp::Proto;
use crate::server::Core;
use crate::server::client::{ClientState, flags as cflags};

const CONN: &str = "connection";

pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("ping", -1, FAST | STALE | PUBSUB_OK, ping).doc(
        CONN,
        "1.0.0",
        "O(1)",
        "Returns the server's liveliness response.",
    ),
    CommandSpec::new("echo", 2, LOADING | STALE | FAST, echo).doc(
        CONN,
        "1.0.0",
        "O(1)",
        "Returns the given string.",
    ),
    CommandSpec::new(
        "quit",
        -1,
        ALLOW_BUSY | NO_AUTH | PUBSUB_OK | NO_MULTI | LOADING | STALE | FAST,
        quit,
    )
    .doc(CONN, "1.0.0", "O(1)", "Closes the connection."),
    CommandSpec::new(
        "reset",
        1,
        NO_AUTH | PUBSUB_OK | NO_MULTI | LOADING | STALE | FAST,
        reset,
    )
    .doc(CONN, "6.2.0", "O(1)", "Resets the connection."),
    CommandSpec::new(
        "hello",
        -1,
        NO_AUTH | NOSCRIPT | LOADING | STALE | FAST,
        hello,
    )
    .doc(CONN, "6.0.0", "O(1)", "Handshakes with the Redis server."),
    CommandSpec::new(
        "auth",
        -2,
        NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | SENTINEL | ALLOW_BUSY,
        auth,
    )
    .doc(
        CONN,
        "1.0.0",
        "O(N) where N is the number of passwords defined for the user",
        "Authenticates the connection.",
    ),
    CommandSpec::new("select", 2, LOADING | STALE | FAST, select).doc(
        CONN,
        "1.0.0",
        "O(1)",
        "Changes the selected database.",
    ),
    CommandSpec::new("client", -2, NOSCRIPT | LOADING | STALE, container_only)
        .doc(
            CONN,
            "2.4.0",
            "Depends on subcommand.",
            "A container for client connection commands.",
        )
        .subs(CLIENT_SUBCOMMANDS),
];

static CLIENT_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new("id", 2, NOSCRIPT | LOADING | STALE, client_id).doc(
        CONN,
        "5.0.0",
        "O(1)",
        "Returns the unique client ID of the connection.",
    ),
    CommandSpec::new("setname", 3, NOSCRIPT | LOADING | STALE, client_setname).doc(
        CONN,
        "2.6.9",
        "O(1)",
        "Sets the connection name.",
    ),
    CommandSpec::new("getname", 2, NOSCRIPT | LOADING | STALE, client_getname).doc(
        CONN,
        "2.6.9",
        "O(1)",
        "Returns the name of the connection.",
    ),
    CommandSpec::new("setinfo", 4, NOSCRIPT | LOADING | STALE, client_setinfo).doc(
        CONN,
        "7.2.0",
        "O(1)",
        "Sets information specific to the client or connection.",
    ),
    CommandSpec::new("list", -2, ADMIN | NOSCRIPT | LOADING | STALE, client_list).doc(
        CONN,
        "2.4.0",
        "O(N) where N is the number of client connections",
        "Lists open connections.",
    ),
    CommandSpec::new("info", 2, NOSCRIPT | LOADING | STALE, client_info).doc(
        CONN,
        "6.2.0",
        "O(1)",
        "Returns information about the connection.",
    ),
    CommandSpec::new("kill", -3, ADMIN | NOSCRIPT | LOADING | STALE, client_kill).doc(
        CONN,
        "2.4.0",
        "O(N) where N is the number of client connections",
        "Terminates open connections.",
    ),
    CommandSpec::new(
        "no-evict",
        3,
        ADMIN | NOSCRIPT | LOADING | STALE,
        client_no_evict,
    )
    .doc(
        CONN,
        "7.0.0",
        "O(1)",
        "Sets the client eviction mode of the connection.",
    ),
    CommandSpec::new("no-touch", 3, NOSCRIPT | LOADING | STALE, client_no_touch).doc(
        CONN,
        "7.2.0",
        "O(1)",
        "Controls whether commands sent by the client affect the LRU/LFU of accessed keys.",
    ),
    CommandSpec::new("help", 2, LOADING | STALE, client_help).doc(
        CONN,
        "5.0.0",
        "O(1)",
        "Returns helpful text about the different subcommands.",
    ),
];

fn ping(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    if args.len() > 2 {
        return Err(ReplyError::WrongArity("ping".into()));
    }
    let subscribed = ctx.client.subscriptions > 0;
    let r = ctx.reply();
    // A RESP2 subscriber can only read pushes, so PING answers in that shape.
    if subscribed && !r.is_resp3() {
        r.array(2);
        r.bulk(b"pong");
        r.bulk(args.get(1));
        return Ok(());
    }
    match args.len() {
        1 => r.raw(b"+PONG\r\n"),
        _ => r.bulk(args.get(1)),
    }
    Ok(())
}

fn echo(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    ctx.reply().bulk(args.get(1));
    Ok(())
}

fn quit(ctx: &mut Ctx<'_>, _args: &Args<'_>) -> CmdResult {
    ctx.reply().ok();
    ctx.client.flags |= cflags::CLOSE_AFTER_REPLY;
    Ok(())
}

/// Put the connection back in its initial state (RESET), as Redis's
/// `clearClientConnectionState`: db 0, RESP2, no name, default-user auth
/// (so unauthenticated again when a password is set), no transaction or
/// watched keys, no subscriptions (dropped without confirmations).
pub fn reset_connection(ctx: &mut Ctx<'_>) {
    let c = &mut *ctx.client;
    c.db = 0;
    c.reply.proto = Proto::Resp2;
    c.name.clear();
    c.flags &= !cflags::NO_EVICT;
    c.authenticated = !ctx.core.auth_required();
    super::transaction::discard_transaction(ctx);
    ctx.core.pubsub.remove_client(ctx.client.token);
    ctx.client.subscriptions = 0;
}

fn reset(ctx: &mut Ctx<'_>, _args: &Args<'_>) -> CmdResult {
    reset_connection(ctx);
    ctx.reply().raw(b"+RESET\r\n");
    Ok(())
}

/// Constant-time comparison, so response timing does not reveal how much
/// of a guessed password was right.
fn secure_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for i in 0..a.len().max(b.len()) {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        diff |= (x ^ y) as usize;
    }
    diff == 0
}

/// Would `user`/`pass` log in? Only `default` exists; with no password
/// configured it accepts any password (Redis's `nopass`).
fn check_credentials(ctx: &Ctx<'_>, user: &[u8], pass: &[u8]) -> bool {
    user == b"default"
        && (!ctx.core.auth_required() || secure_eq(pass, ctx.core.config.requirepass.as_bytes()))
}

const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";

fn auth(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    if args.len() > 3 {
        return Err(ReplyError::Syntax);
    }
    let (user, pass): (&[u8], &[u8]) = if args.len() == 2 {
        if !ctx.core.auth_required() {
            return Err(ReplyError::Static(
                "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
            ));
        }
        (b"default", args.get(1))
    } else {
        (args.get(1), args.get(2))
    };
    if !check_credentials(ctx, user, pass) {
        return Err(ReplyError::Static(WRONGPASS));
    }
    ctx.client.authenticated = true;
    ctx.reply().ok();
    Ok(())
}

/// Redis accepts names made of printable ASCII without spaces.
fn valid_client_name(name: &[u8]) -> bool {
    name.iter().all(|&b| (b'!'..=b'~').contains(&b))
}

fn hello(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    let mut proto = None;
    let mut i = 1;
    if args.len() >= 2 {
        let v = args.i64(1).map_err(|_| {
            ReplyError::Static("ERR Protocol version is not an integer or out of range")
        })?;
        if !(2..=3).contains(&v) {
            return Err(ReplyError::Static("NOPROTO unsupported protocol version"));
        }
        proto = Some(if v == 3 { Proto::Resp3 } else { Proto::Resp2 });
        i = 2;
    }
    let mut setname = None;
    let mut credentials = None;
    while i < args.len() {
        let more = args.len() - i - 1;
        if args.is(i, "auth") && more >= 2 {
            credentials = Some((args.get(i + 1), args.get(i + 2)));
            i += 3;
        } else if args.is(i, "setname") && more >= 1 {
            setname = Some(args.get(i + 1));
            i += 2;
        } else {
            return Err(ReplyError::Owned(format!(
                "ERR Syntax error in HELLO option '{}'",
                args.str_lossy(i)
            )));
        }
    }
    if let Some((user, pass)) = credentials {
        if !check_credentials(ctx, user, pass) {
            return Err(ReplyError::Static(WRONGPASS));
        }
        ctx.client.authenticated = true;
    }
    if !ctx.client.authenticated && ctx.core.auth_required() {
        return Err(ReplyError::Static(
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time",
        ));
    }
    // Like Redis, the name is checked only once the client is authenticated.
    if let Some(name) = setname {
        if !valid_client_name(name) {
            return Err(ReplyError::Static(
                "ERR Client names cannot contain spaces, newlines or special characters.",
            ));
        }
        ctx.client.name = name.to_vec();
    }
    if let Some(p) = proto {
        ctx.client.reply.proto = p;
    }
    let id = ctx.client.id as i64;
    let r = ctx.reply();
    r.map(7);
    r.bulk(b"server");
    r.bulk(b"redis");
    r.bulk(b"version");
    r.bulk(crate::REDIS_VERSION.as_bytes());
    r.bulk(b"proto");
    r.int(if r.is_resp3() { 3 } else { 2 });
    r.bulk(b"id");
    r.int(id);
    r.bulk(b"mode");
    r.bulk(b"standalone");
    r.bulk(b"role");
    r.bulk(b"master");
    r.bulk(b"modules");
    r.array(0);
    Ok(())
}

fn select(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    let db = args.i64(1)?;
    if db < 0 || db as u64 >= ctx.core.config.databases {
        return Err(ReplyError::Static("ERR DB index is out of range"));
    }
    ctx.client.db = db as usize;
    ctx.reply().ok();
    Ok(())
}

fn client_id(ctx: &mut Ctx<'_>, _args: &Args<'_>) -> CmdResult {
    let id = ctx.client.id as i64;
    ctx.reply().int(id);
    Ok(())
}

fn client_setname(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    let name = args.get(2);
    if !valid_client_name(name) {
        return Err(ReplyError::Static(
            "ERR Client names cannot contain spaces, newlines or special characters.",
        ));
    }
    ctx.client.name = name.to_vec();
    ctx.reply().ok();
    Ok(())
}

fn client_getname(ctx: &mut Ctx<'_>, _args: &Args<'_>) -> CmdResult {
    if ctx.client.name.is_empty() {
        ctx.client.reply.null();
    } else {
        ctx.client.reply.bulk(&ctx.client.name);
    }
    Ok(())
}

/// CLIENT SETINFO LIB-NAME|LIB-VER value (Redis 7.2; clients send it on connect).
fn client_setinfo(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    let value = args.get(3);
    if !valid_client_name(value) {
        return Err(ReplyError::Owned(format!(
            "ERR {} cannot contain spaces, newlines or special characters.",
            args.str_lossy(2).to_ascii_lowercase()
        )));
    }
    if args.is(2, "lib-name") {
        ctx.client.lib_name = value.to_vec();
    } else if args.is(2, "lib-ver") {
        ctx.client.lib_ver = value.to_vec();
    } else {
        return Err(ReplyError::Owned(format!(
            "ERR Unrecognized option '{}'",
            args.str_lossy(2)
        )));
    }
    ctx.reply().ok();
    Ok(())
}

/// Redis's client types for CLIENT LIST/KILL TYPE: a client with
/// subscriptions is `pubsub`, every other one `normal` (no replication).
#[derive(Clone, Copy, PartialEq, Eq)]
enum ClientType {
    Normal,
    Pubsub,
    /// master / replica / slave: never matches here.
    Other,
}

fn client_type(c: &ClientState) -> ClientType {
    if c.subscriptions > 0 {
        ClientType::Pubsub
    } else {
        ClientType::Normal
    }
}

fn parse_client_type(args: &Args<'_>, i: usize) -> Result<ClientType, ReplyError> {
    let t = args.get(i);
    if t.eq_ignore_ascii_case(b"normal") {
        Ok(ClientType::Normal)
    } else if t.eq_ignore_ascii_case(b"pubsub") {
        Ok(ClientType::Pubsub)
    } else if [&b"master"[..], b"replica", b"slave"]
        .iter()
        .any(|k| t.eq_ignore_ascii_case(k))
    {
        Ok(ClientType::Other)
    } else {
        Err(ReplyError::Owned(format!(
            "ERR Unknown client type '{}'",
            args.str_lossy(i)
        )))
    }
}

/// One CLIENT LIST / CLIENT INFO line (Redis 7.2 field order).
pub fn client_info_line(c: &ClientState, qbuf: usize, core: &Core) -> String {
    let now_ms = core.now_ms;
    let (sub, psub) = core.pubsub.client_counts(c.token);
    let dirty = core.watches.is_dirty(c.token);
    let (multi, multi_mem) = match &c.multi {
        Some(m) => (
            m.queued.len() as i64,
            m.queued
                .iter()
                .map(|q| q.buf.len() + q.ranges.len() * std::mem::size_of::<(usize, usize)>())
                .sum::<usize>(),
        ),
        None => (-1, 0),
    };
    // Letters in Redis's order (networking.c getClientInfoString).
    let mut flags = String::new();
    if c.subscriptions > 0 {
        flags.push('P');
    }
    if c.multi.is_some() {
        flags.push('x');
    }
    if dirty {
        flags.push('d');
    }
    if c.has(cflags::CLOSE_AFTER_REPLY) {
        flags.push('c');
    }
    if c.has(cflags::CLOSE_ASAP) {
        flags.push('A');
    }
    if c.has(cflags::UNIX_SOCKET) {
        flags.push('U');
    }
    if c.has(cflags::NO_EVICT) {
        flags.push('e');
    }
    if flags.is_empty() {
        flags.push('N');
    }
    let events = if c.has(cflags::WRITABLE_REGISTERED) {
        "rw"
    } else {
        "r"
    };
    let resp = if c.reply.proto == Proto::Resp3 { 3 } else { 2 };
    format!(
        "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} ssub=0 multi={} qbuf={} qbuf-free=0 argv-mem=0 multi-mem={} rbs={} rbp=0 obl={} oll=0 omem={} tot-mem={} events={} cmd={} user=default redir=-1 resp={} lib-name={} lib-ver={}",
        c.id,
        c.addr_string(),
        c.laddr_string(),
        c.fd,
        String::from_utf8_lossy(&c.name),
        now_ms.saturating_sub(c.created_ms) / 1000,
        now_ms.saturating_sub(c.last_interaction_ms) / 1000,
        flags,
        c.db,
        sub,
        psub,
        multi,
        qbuf,
        multi_mem,
        crate::server::client::READ_CHUNK,
        c.pending_output(),
        // What client-output-buffer-limit compares (Redis's omem).
        c.pending_output(),
        c.reply.buf.capacity() + qbuf,
        events,
        c.last_cmd
            .map(|s| super::full_name(c.last_cmd_parent, s))
            .unwrap_or_else(|| "NULL".into()),
        resp,
        String::from_utf8_lossy(&c.lib_name),
        String::from_utf8_lossy(&c.lib_ver),
    )
}

fn client_list(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    let mut ids: Option<Vec<u64>> = None;
    let mut ty = None;
    let mut i = 2;
    while i < args.len() {
        if args.is(i, "type") && i + 1 < args.len() {
            ty = Some(parse_client_type(args, i + 1)?);
            i += 2;
        } else if args.is(i, "id") && i + 1 < args.len() {
            let mut v = Vec::new();
            for j in i + 1..args.len() {
                let id = args
                    .i64(j)
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or(ReplyError::Static("ERR Invalid client ID"))?;
                v.push(id as u64);
            }
            ids = Some(v);
            i = args.len();
        } else {
            return Err(ReplyError::Syntax);
        }
    }
    let core = &*ctx.core;
    let wanted = |c: &ClientState| ty.is_none_or(|t| client_type(c) == t);
    let mut lines: Vec<(u64, String)> = core
        .clients
        .iter()
        .filter(|c| wanted(&c.st))
        .map(|c| (c.st.id, client_info_line(&c.st, c.conn.qbuf.len(), core)))
        .collect();
    // The caller is taken out of the table while its command runs.
    if wanted(ctx.client) {
        lines.push((ctx.client.id, client_info_line(ctx.client, 0, core)));
    }
    lines.sort_by_key(|(id, _)| *id);
    let mut out = String::new();
    for (id, line) in lines {
        if ids.as_ref().is_some_and(|v| !v.contains(&id)) {
            continue;
        }
        out.push_str(&line);
        out.push('\n');
    }
    ctx.reply().verbatim(b"txt", out.as_bytes());
    Ok(())
}

fn client_info(ctx: &mut Ctx<'_>, _args: &Args<'_>) -> CmdResult {
    let mut line = client_info_line(ctx.client, 0, ctx.core);
    line.push('\n');
    ctx.reply().verbatim(b"txt", line.as_bytes());
    Ok(())
}

/// CLIENT KILL addr (old form) or CLIENT KILL <filter value> ... (new form).
fn client_kill(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    let old_form = args.len() == 3;
    let mut f_id = None;
    let mut f_addr: Option<Vec<u8>> = None;
    let mut f_laddr: Option<Vec<u8>> = None;
    let mut f_type = None;
    let mut skipme = true;
    if old_form {
        f_addr = Some(args.get(2).to_vec());
        skipme = false;
    } else {
        let mut i = 2;
        while i < args.len() {
            if i + 1 >= args.len() {
                return Err(ReplyError::Syntax);
            }
            let v = args.get(i + 1);
            if args.is(i, "id") {
                let id = args
                    .i64(i + 1)
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or(ReplyError::Static("ERR client-id should be greater than 0"))?;
                f_id = Some(id as u64);
            } else if args.is(i, "addr") {
                f_addr = Some(v.to_vec());
            } else if args.is(i, "laddr") {
                f_laddr = Some(v.to_vec());
            } else if args.is(i, "skipme") {
                if v.eq_ignore_ascii_case(b"yes") {
                    skipme = true;
                } else if v.eq_ignore_ascii_case(b"no") {
                    skipme = false;
                } else {
                    return Err(ReplyError::Syntax);
                }
            } else if args.is(i, "type") {
                f_type = Some(parse_client_type(args, i + 1)?);
            } else if args.is(i, "user") || args.is(i, "maxage") {
                // Accepted; every client belongs to the default user.
            } else {
                return Err(ReplyError::Syntax);
            }
            i += 2;
        }
    }
    let matches = |c: &ClientState| {
        f_id.is_none_or(|id| c.id == id)
            && f_type.is_none_or(|t| client_type(c) == t)
            && f_addr
                .as_deref()
                .is_none_or(|a| c.addr_string().as_bytes() == a)
            && f_laddr
                .as_deref()
                .is_none_or(|a| c.laddr_string().as_bytes() == a)
    };
    let mut victims = Vec::new();
    for c in ctx.core.clients.iter() {
        if matches(&c.st) {
            victims.push(c.st.token);
        }
    }
    let mut killed = victims.len();
    for tok in victims {
        if let Some(c) = ctx.core.clients.get_mut(tok)
            && !c.st.has(cflags::CLOSE_ASAP)
        {
            c.st.flags |= cflags::CLOSE_ASAP;
            ctx.core.clients.to_close.push(tok);
        }
    }
    let me = matches(ctx.client) && !skipme;
    if me {
        killed += 1;
        ctx.client.flags |= cflags::CLOSE_AFTER_REPLY;
    }
    if old_form {
        if killed == 0 {
            return Err(ReplyError::Static("ERR No such client"));
        }
        ctx.reply().ok();
    } else {
        ctx.reply().int(killed as i64);
    }
    Ok(())
}

fn on_off(args: &Args<'_>, i: usize) -> Result<bool, ReplyError> {
    if args.is(i, "on") {
        Ok(true)
    } else if args.is(i, "off") {
        Ok(false)
    } else {
        Err(ReplyError::Syntax)
    }
}

fn client_no_evict(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    if on_off(args, 2)? {
        ctx.client.flags |= cflags::NO_EVICT;
    } else {
        ctx.client.flags &= !cflags::NO_EVICT;
    }
    ctx.reply().ok();
    Ok(())
}

fn client_no_touch(ctx: &mut Ctx<'_>, args: &Args<'_>) -> CmdResult {
    on_off(args, 2)?;
    ctx.reply().ok();
    Ok(())
}

pub fn reply_help(ctx: &mut Ctx<'_>, cmd: &str, lines: &[&str]) {
    let r = ctx.reply();
    r.array(lines.len() + 3);
    r.simple(&format!(
        "{cmd} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    ));
    for l in lines {
        r.simple(l);
    }
    r.simple("HELP");
    r.simple("    Prints this help.");
}

fn client_help(ctx: &mut Ctx<'_>, _args: &Args<'_>) -> CmdResult {
    reply_help(
        ctx,
        "CLIENT",
        &[
            "ID",
            "    Return the ID of the current connection.",
            "INFO",
            "    Return information about the current client connection.",
            "KILL <ip:port>",
            "    Kill connection made from <ip:port>.",
            "KILL <option> <value> [<option> <value> [...]]",
            "    Kill connections. Options are: ID, ADDR, LADDR, SKIPME.",
            "LIST [options ...]",
            "    Return information about client connections. Options: TYPE, ID.",
            "GETNAME",
            "    Return the name of the current connection.",
            "SETNAME <name>",
            "    Assign the name <name> to the current connection.",
            "SETINFO <LIB-NAME|LIB-VER> <value>",
            "    Set client library name or version.",
            "NO-EVICT (ON|OFF)",
            "    Protect the current client connection from eviction (accepted).",
        ],
    );
    Ok(())
}
