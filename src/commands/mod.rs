//! The command table and dispatch.
//!
//! Every command is one `CommandSpec` row in a family file's `COMMANDS`
//! slice (`connection.rs`, `server.rs`, ...). The same rows serve dispatch,
//! `COMMAND INFO/DOCS/COUNT` and persistence (the WRITE flag decides what the
//! AOF logs). Dispatch (`execute`) follows redis server.c `processCommand`:
//! look up, check arity, then gates, then call. Handlers never check arity.

pub mod argdocs;
pub mod args;
pub mod connection;
pub mod debug;
pub mod expire;
pub mod hash;
pub mod keys;
pub mod memory;
pub mod persistence;
pub mod pubsub;
pub mod server;
pub mod string;
pub mod transaction;

pub use args::Args;

use crate::error::{CmdResult, ReplyError, printable};
use crate::server::Core;
use crate::server::client::ClientState;

/// Command flags (redis server.h CMD_*). Rendered by COMMAND INFO.
pub mod flags {
    pub const WRITE: u32 = 1 << 0;
    pub const READONLY: u32 = 1 << 1;
    pub const DENYOOM: u32 = 1 << 2;
    pub const ADMIN: u32 = 1 << 3;
    pub const PUBSUB: u32 = 1 << 4;
    pub const NOSCRIPT: u32 = 1 << 5;
    pub const BLOCKING: u32 = 1 << 6;
    pub const LOADING: u32 = 1 << 7;
    pub const STALE: u32 = 1 << 8;
    pub const FAST: u32 = 1 << 9;
    pub const NO_AUTH: u32 = 1 << 10;
    /// Allowed while a RESP2 client is in subscribed mode.
    pub const PUBSUB_OK: u32 = 1 << 11;
    /// Not queued inside MULTI (runs at once: EXEC, DISCARD, MULTI, WATCH, QUIT, RESET).
    pub const NO_MULTI: u32 = 1 << 12;
    pub const SENTINEL: u32 = 1 << 13;
    pub const ALLOW_BUSY: u32 = 1 << 14;

    pub const NAMES: &[(u32, &str)] = &[
        (WRITE, "write"),
        (READONLY, "readonly"),
        (DENYOOM, "denyoom"),
        (ADMIN, "admin"),
        (PUBSUB, "pubsub"),
        (NOSCRIPT, "noscript"),
        (BLOCKING, "blocking"),
        (LOADING, "loading"),
        (STALE, "stale"),
        (FAST, "fast"),
        (NO_AUTH, "no_auth"),
        (ALLOW_BUSY, "allow_busy"),
    ];
}

/// Handler context: the server state (with the current client taken out of
/// the client table) and the current client.
pub struct Ctx<'a> {
    pub core: &'a mut Core,
    pub client: &'a mut ClientState,
}

impl Ctx<'_> {
    #[inline]
    pub fn reply(&mut self) -> &mut crate::resp::Reply {
        &mut self.client.reply
    }

    /// A write changed `key` in the client's db. Does what Redis does after
    /// every modification: `dirty++` (so the command is propagated to the
    /// AOF), invalidates WATCH, and fires the keyspace event `event` of
    /// `class` (see `server::hooks::notify`). Call once per changed key.
    pub fn key_changed(&mut self, key: &[u8], class: u32, event: &str) {
        // Keys this command found expired come first, in the AOF and in the
        // event stream (Redis deletes and notifies at lookup time).
        self.core.propagate_expired();
        let db = self.client.db;
        self.core.dirty += 1;
        self.core.signal_modified_key(db, key);
        self.core
            .notify_keyspace_event_from(Some(self.client), class, event, key, db);
    }

    /// Fire a keyspace event for `key` in the client's db without the other
    /// effects of `key_changed` (e.g. `expire` next to `set`, `keymiss`).
    /// Prefer this to `core.notify_keyspace_event` inside handlers: a RESP3
    /// client subscribed to its own events then gets them before its reply.
    pub fn notify(&mut self, class: u32, event: &str, key: &[u8]) {
        let db = self.client.db;
        self.core
            .notify_keyspace_event_from(Some(self.client), class, event, key, db);
    }

    /// Log this command to the AOF as `argv` instead of as received (Redis's
    /// alsoPropagate + preventing the default): for relative TTLs (SET EX →
    /// SET PXAT, EXPIRE → PEXPIREAT), INCRBYFLOAT (→ SET KEEPTTL), etc.
    /// May be called several times for one command; each call is one entry.
    /// The client's selected database.
    #[inline]
    pub fn db(&mut self) -> &mut crate::keyspace::Db {
        &mut self.core.keyspace.dbs[self.client.db]
    }

    /// Cached time of this loop turn, for expiry decisions.
    #[inline]
    pub fn now(&self) -> u64 {
        self.core.now_ms
    }

    pub fn propagate_as(&mut self, argv: &[&[u8]]) {
        // Keys this command found expired must be DELeted in the log before
        // its own effect is (else replay would drop what it wrote).
        self.core.propagate_expired();
        self.core.custom_propagation = true;
        let db = self.client.db;
        self.core.propagate(db, argv);
    }
}

pub type Handler = fn(&mut Ctx<'_>, &Args<'_>) -> CmdResult;

pub struct CommandSpec {
    /// Lowercase name (for subcommands: the subcommand alone, e.g. "setname").
    pub name: &'static str,
    /// N = exactly N arguments including the name; -N = at least N.
    pub arity: i32,
    pub flags: u32,
    pub first_key: i32,
    pub last_key: i32,
    pub step: i32,
    /// COMMAND DOCS group: string, hash, generic, connection, server, pubsub, transactions.
    pub group: &'static str,
    pub since: &'static str,
    pub summary: &'static str,
    pub complexity: &'static str,
    pub run: Handler,
    pub subcommands: &'static [CommandSpec],
}

impl CommandSpec {
    /// A table row. Keys and docs are added with the builder methods below so
    /// each row stays one readable line.
    pub const fn new(name: &'static str, arity: i32, flags: u32, run: Handler) -> Self {
        CommandSpec {
            name,
            arity,
            flags,
            first_key: 0,
            last_key: 0,
            step: 0,
            group: "generic",
            since: "1.0.0",
            summary: "",
            complexity: "O(1)",
            run,
            subcommands: &[],
        }
    }

    pub const fn keys(mut self, first: i32, last: i32, step: i32) -> Self {
        self.first_key = first;
        self.last_key = last;
        self.step = step;
        self
    }

    pub const fn doc(
        mut self,
        group: &'static str,
        since: &'static str,
        complexity: &'static str,
        summary: &'static str,
    ) -> Self {
        self.group = group;
        self.since = since;
        self.complexity = complexity;
        self.summary = summary;
        self
    }

    pub const fn subs(mut self, subs: &'static [CommandSpec]) -> Self {
        self.subcommands = subs;
        self
    }

    pub fn has(&self, f: u32) -> bool {
        self.flags & f != 0
    }

    pub fn arity_ok(&self, argc: usize) -> bool {
        let a = self.arity;
        (a >= 0 && argc == a as usize) || (a < 0 && argc >= a.unsigned_abs() as usize)
    }
}

/// Handler for container commands whose subcommand table does the work
/// (CLIENT, CONFIG, ...); dispatch resolves the subcommand before calling,
/// so this only runs if a container is called without one.
pub fn container_only(_ctx: &mut Ctx<'_>, _args: &Args<'_>) -> CmdResult {
    Err(ReplyError::Syntax)
}

/// All family tables, in COMMAND order.
static FAMILIES: &[&[CommandSpec]] = &[
    connection::COMMANDS,
    server::COMMANDS,
    string::COMMANDS,
    hash::COMMANDS,
    pubsub::COMMANDS,
    persistence::COMMANDS,
    transaction::COMMANDS,
    keys::COMMANDS,
    expire::COMMANDS,
    debug::COMMANDS,
    memory::COMMANDS,
];

fn families() -> impl Iterator<Item = &'static [CommandSpec]> {
    FAMILIES.iter().copied()
}

/// A registry slot: the lowercase name and its command.
type Slot = (Box<[u8]>, &'static CommandSpec);

/// Name → spec lookup, built once at start.
pub struct Registry {
    /// Open-addressing table keyed by the lowercase name (power-of-two
    /// size, at most 1/4 full, so a probe is almost always one slot).
    slots: Vec<Option<Slot>>,
    len: usize,
    /// Longest name in the table; longer names cannot match.
    max_name: usize,
    /// Commands disabled by `rename-command NAME ""`.
    disabled: Vec<&'static CommandSpec>,
}

impl Default for Registry {
    fn default() -> Self {
        Self::base()
    }
}

/// Case-insensitive hash of a name from its length and its first two and
/// last two bytes (`| 0x20` folds ASCII case; bytes it also folds together
/// only collide, and every probe is verified with `eq_ignore_ascii_case`).
/// Constant time: the command names are fixed at startup and differ early
/// or late (GET/SET, HGET/HSET, INCR/DECR), so this spreads them well, and
/// it need not be keyed: clients cannot add names, so there is nothing to
/// flood.
#[inline]
fn name_hash(name: &[u8]) -> usize {
    let n = name.len();
    let at = |i: usize| u64::from(name.get(i).copied().unwrap_or(0) | 0x20);
    let h = (n as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)
        ^ at(0).wrapping_mul(0xc2b2_ae3d_27d4_eb4f)
        ^ at(1).wrapping_mul(0x1656_67b1_9e37_79f9)
        ^ at(n.wrapping_sub(1)).wrapping_mul(0x85eb_ca77_c2b2_ae63)
        ^ at(n.wrapping_sub(2)).wrapping_mul(0x27d4_eb2f_1656_67c5);
    (h ^ (h >> 32)) as usize
}

/// `name` equals the lowercase `lower` ignoring ASCII case (half the work
/// of `eq_ignore_ascii_case`: only one side needs folding).
#[inline]
fn eq_lowercase(lower: &[u8], name: &[u8]) -> bool {
    lower.len() == name.len()
        && lower
            .iter()
            .zip(name)
            .all(|(&l, &b)| l == b.to_ascii_lowercase())
}

impl Registry {
    /// The command table with `rename-command` applied (Redis config.c:
    /// an empty new name removes the command; renaming to a name that
    /// exists, or renaming an unknown command, is a startup error).
    pub fn new(config: &crate::config::Config) -> Result<Self, String> {
        let mut r = Self::base();
        for (from, to) in &config.rename_commands {
            r.rename(from, to)
                .map_err(|e| format!("rename-command '{from}' '{to}': {e}"))?;
        }
        Ok(r)
    }

    fn base() -> Self {
        let specs: Vec<&'static CommandSpec> = families().flat_map(|f| f.iter()).collect();
        let size = (specs.len() * 4).next_power_of_two();
        let mut r = Registry {
            slots: (0..size).map(|_| None).collect(),
            len: 0,
            max_name: 0,
            disabled: Vec::new(),
        };
        for spec in specs {
            r.insert(spec.name.as_bytes(), spec);
        }
        r
    }

    fn slot_of(&self, name: &[u8]) -> (usize, bool) {
        let mask = self.slots.len() - 1;
        let mut i = name_hash(name) & mask;
        loop {
            match &self.slots[i] {
                None => return (i, false),
                Some((k, _)) if k.eq_ignore_ascii_case(name) => return (i, true),
                Some(_) => i = (i + 1) & mask,
            }
        }
    }

    fn insert(&mut self, name: &[u8], spec: &'static CommandSpec) {
        if (self.len + 1) * 4 > self.slots.len() {
            let old = std::mem::take(&mut self.slots);
            self.slots = (0..old.len() * 2).map(|_| None).collect();
            self.len = 0;
            for (k, v) in old.into_iter().flatten() {
                self.insert(&k, v);
            }
        }
        let (i, found) = self.slot_of(name);
        if !found {
            self.len += 1;
        }
        self.max_name = self.max_name.max(name.len());
        self.slots[i] = Some((name.to_ascii_lowercase().into_boxed_slice(), spec));
    }

    fn remove(&mut self, name: &[u8]) -> Option<&'static CommandSpec> {
        let (i, found) = self.slot_of(name);
        if !found {
            return None;
        }
        let (_, spec) = self.slots[i].take()?;
        self.len -= 1;
        // Re-seat the rest of the probe run (linear probing deletion).
        let mask = self.slots.len() - 1;
        let mut j = (i + 1) & mask;
        while let Some((k, v)) = self.slots[j].take() {
            self.len -= 1;
            self.insert(&k, v);
            j = (j + 1) & mask;
        }
        Some(spec)
    }

    fn rename(&mut self, from: &str, to: &str) -> Result<(), &'static str> {
        let Some(spec) = self.remove(from.as_bytes()) else {
            return Err("No such command in rename-command");
        };
        if to.is_empty() {
            self.disabled.push(spec);
            return Ok(());
        }
        if self.lookup(to.as_bytes()).is_some() {
            return Err("Target command name already exists");
        }
        self.insert(to.as_bytes(), spec);
        Ok(())
    }

    /// Case-insensitive lookup, without lowercasing a copy of the name.
    #[inline]
    pub fn lookup(&self, name: &[u8]) -> Option<&'static CommandSpec> {
        if name.len() > self.max_name {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut i = name_hash(name) & mask;
        loop {
            match &self.slots[i] {
                None => return None,
                Some((k, spec)) if eq_lowercase(k, name) => return Some(spec),
                Some(_) => i = (i + 1) & mask,
            }
        }
    }

    /// Every enabled command (renamed ones under their original name, as
    /// Redis's COMMAND shows them).
    pub fn all(&self) -> impl Iterator<Item = &'static CommandSpec> + '_ {
        families()
            .flat_map(|f| f.iter())
            .filter(|s| !self.disabled.iter().any(|d| std::ptr::eq(*d, *s)))
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}
/// Find a subcommand of `parent` by name, case-insensitively.
pub fn lookup_sub(parent: &'static CommandSpec, name: &[u8]) -> Option<&'static CommandSpec> {
    parent
        .subcommands
        .iter()
        .find(|s| s.name.as_bytes().eq_ignore_ascii_case(name))
}

/// Full name as Redis prints it: "get", or "client|setname" for subcommands.
pub fn full_name(parent: Option<&CommandSpec>, spec: &CommandSpec) -> String {
    match parent {
        Some(p) => format!("{}|{}", p.name, spec.name),
        None => spec.name.to_string(),
    }
}

/// `-ERR unknown command 'foo', with args beginning with: 'a' 'b' `
/// Like Redis: the name is cut at 128 bytes, and arguments are appended
/// while the argument list is shorter than 128 bytes, each cut to fit.
fn unknown_command_error(args: &Args<'_>) -> ReplyError {
    let mut list = String::new();
    for a in args.iter().skip(1) {
        if list.len() >= 128 {
            break;
        }
        let room = 128 - list.len();
        list.push('\'');
        list.push_str(&printable(a, room));
        list.push_str("' ");
    }
    ReplyError::Owned(format!(
        "ERR unknown command '{}', with args beginning with: {list}",
        printable(args.get(0), 128)
    ))
}

/// Run one request for a client: look up, check, call, account.
///
/// Side effects: writes exactly one reply (or error) into the client's reply
/// buffer; bumps `total_commands_processed`; records the command name for
/// CLIENT LIST.
pub fn execute(core: &mut Core, client: &mut ClientState, args: &Args<'_>) {
    dispatch(core, client, args);
    // Like Redis after every reply: a client over its output limit is
    // closed (asynchronously, with nothing more written to it).
    let limits = core.config.client_output_buffer_limit;
    if core
        .clients
        .enforce_output_limit(client, &limits, core.now_ms)
    {
        core.stats.client_output_buffer_limit_disconnections += 1;
    }
}

fn dispatch(core: &mut Core, client: &mut ClientState, args: &Args<'_>) {
    core.stats.total_commands_processed += 1;
    let Some(spec) = core.registry.lookup(args.get(0)) else {
        let e = unknown_command_error(args);
        reject(core, client, e);
        return;
    };
    let (spec, parent) = if spec.subcommands.is_empty() || (args.len() < 2 && spec.arity_ok(1)) {
        (spec, None)
    } else if args.len() < 2 {
        let e = ReplyError::WrongArity(spec.name.to_string());
        reject(core, client, e);
        return;
    } else {
        match lookup_sub(spec, args.get(1)) {
            Some(sub) => (sub, Some(spec)),
            None => {
                let e = ReplyError::UnknownSubcommand {
                    cmd: spec.name.to_ascii_uppercase(),
                    sub: printable(args.get(1), 128),
                };
                reject(core, client, e);
                return;
            }
        }
    };
    // Redis's rejectCommand answers a rejected EXEC with -EXECABORT.
    let reject = |core: &mut Core, client: &mut ClientState, e: ReplyError| {
        if parent.is_none() && spec.name == "exec" {
            reject_exec(core, client, e)
        } else {
            reject(core, client, e)
        }
    };
    if !spec.arity_ok(args.len()) {
        let e = ReplyError::WrongArity(full_name(parent, spec));
        reject(core, client, e);
        return;
    }
    client.last_cmd = Some(spec);
    client.last_cmd_parent = parent;
    if !client.authenticated && core.auth_required() && !spec.has(flags::NO_AUTH) {
        reject(core, client, ReplyError::NoAuth);
        return;
    }
    // Like Redis, make room before every command when a limit is set, and
    // refuse commands that may grow memory if that failed (inside MULTI,
    // queueing itself grows memory, so everything but EXEC/DISCARD is refused).
    // Only such commands need room for one more key under `maxkeys`.
    let may_grow =
        spec.has(flags::DENYOOM) || (client.multi.is_some() && !spec.has(flags::NO_MULTI));
    if core.evict_before_command(may_grow) && may_grow {
        reject(core, client, ReplyError::Oom);
        return;
    }
    // Like Redis's writeCommandsDeniedByDiskError: while the AOF cannot be
    // written, refuse writes rather than acknowledge what may be lost.
    if spec.has(flags::WRITE)
        && let Some(msg) = core.aof.write_denied_error()
    {
        reject(core, client, ReplyError::Owned(msg));
        return;
    }
    // RESP2 subscribers may only manage subscriptions (RESP3 ones may do anything).
    if client.subscriptions > 0
        && client.reply.proto == crate::resp::Proto::Resp2
        && !spec.has(flags::PUBSUB_OK)
    {
        let e = ReplyError::Owned(format!(
            "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
            full_name(parent, spec)
        ));
        reject(core, client, e);
        return;
    }
    if client.multi.is_some() && !spec.has(flags::NO_MULTI) {
        queue_multi(client, spec, args);
        return;
    }
    if core.loading && !spec.has(flags::LOADING) {
        reject(
            core,
            client,
            ReplyError::Static("LOADING Redis is loading the dataset in memory"),
        );
        return;
    }
    call(core, client, spec, args);
}

/// A rejected EXEC ends the transaction with
/// `-EXECABORT Transaction discarded because of: <error without ERR>`.
fn reject_exec(core: &mut Core, client: &mut ClientState, e: ReplyError) {
    core.stats.total_error_replies += 1;
    client.multi = None;
    core.watches.unwatch_all(client.token);
    let text = e.text();
    let reason = text.strip_prefix("ERR ").unwrap_or(&text);
    client.reply.error(&format!(
        "EXECABORT Transaction discarded because of: {reason}"
    ));
}

/// Reply with a dispatch-time error. Inside MULTI this also dooms the
/// transaction (EXEC then answers -EXECABORT), as Redis's flagTransaction.
fn reject(core: &mut Core, client: &mut ClientState, e: ReplyError) {
    core.stats.total_error_replies += 1;
    if let Some(m) = client.multi.as_mut() {
        m.aborted = true;
    }
    client.reply.error(&e.text());
}

/// Queue a command inside MULTI: copy argv (the query buffer is reused).
fn queue_multi(client: &mut ClientState, spec: &'static CommandSpec, args: &Args<'_>) {
    if let Some(m) = client.multi.as_mut() {
        let mut buf = Vec::new();
        let mut ranges = Vec::with_capacity(args.len());
        for a in args.iter() {
            ranges.push((buf.len(), buf.len() + a.len()));
            buf.extend_from_slice(a);
        }
        m.queued
            .push(crate::server::client::QueuedCommand { spec, buf, ranges });
    }
    client.reply.raw(b"+QUEUED\r\n");
}

/// Run a handler and propagate its effect (also used by EXEC).
///
/// Propagation rule (Redis's `call`): if the command is WRITE and changed
/// the dataset (`dirty` moved), the AOF gets argv as received, unless the
/// handler logged a deterministic form itself with `Ctx::propagate_as`.
pub fn call(
    core: &mut Core,
    client: &mut ClientState,
    spec: &'static CommandSpec,
    args: &Args<'_>,
) {
    let dirty_before = core.dirty;
    core.custom_propagation = false;
    let mut ctx = Ctx { core, client };
    if let Err(e) = (spec.run)(&mut ctx, args) {
        ctx.core.stats.total_error_replies += 1;
        ctx.client.reply.error(&e.text());
    }
    core.propagate_expired();
    // After propagate_expired: its `expired` events may be for this client.
    if !core.deferred_pushes.is_empty() {
        pubsub::flush_deferred(core, client);
    }
    if core.dirty != dirty_before && spec.has(flags::WRITE) && !core.custom_propagation {
        core.propagate_args(client.db, args);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn renamed(pairs: &[(&str, &str)]) -> Result<Registry, String> {
        let config = crate::config::Config {
            rename_commands: pairs
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            ..Default::default()
        };
        Registry::new(&config)
    }

    #[test]
    fn lookup_finds_every_command_in_any_case() {
        let r = Registry::default();
        let mut n = 0;
        for spec in r.all() {
            n += 1;
            let upper = spec.name.to_ascii_uppercase();
            let mut mixed = spec.name.as_bytes().to_vec();
            mixed[0] = mixed[0].to_ascii_uppercase();
            for name in [spec.name.as_bytes(), upper.as_bytes(), &mixed] {
                assert!(std::ptr::eq(r.lookup(name).unwrap(), spec), "{}", spec.name);
            }
            let mut longer = spec.name.as_bytes().to_vec();
            longer.push(b'x');
            assert!(
                r.lookup(&longer)
                    .is_none_or(|s| s.name.len() == longer.len())
            );
        }
        assert_eq!(r.len(), n);
        // The hash spreads the real names: probe runs stay short.
        let longest = r
            .all()
            .map(|spec| {
                let mask = r.slots.len() - 1;
                let mut i = name_hash(spec.name.as_bytes()) & mask;
                let mut steps = 1;
                while !r.slots[i]
                    .as_ref()
                    .is_some_and(|(k, _)| k.eq_ignore_ascii_case(spec.name.as_bytes()))
                {
                    i = (i + 1) & mask;
                    steps += 1;
                }
                steps
            })
            .max();
        assert!(longest <= Some(4), "longest probe {longest:?}");
        for bad in [&b""[..], b"pin", b"pingg", b"P\xffNG", b"\x00"] {
            assert!(r.lookup(bad).is_none());
        }
    }

    #[test]
    fn rename_many_keeps_every_other_command() {
        // Removal from the open-addressing table re-seats probe runs.
        let pairs: Vec<(String, String)> = Registry::default()
            .all()
            .step_by(3)
            .map(|s| (s.name.to_string(), format!("{}-renamed", s.name)))
            .collect();
        let pairs: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let r = renamed(&pairs).unwrap();
        for (i, spec) in Registry::default().all().enumerate() {
            let renamed_to = format!("{}-renamed", spec.name);
            if i % 3 == 0 {
                assert!(r.lookup(spec.name.as_bytes()).is_none(), "{}", spec.name);
                assert!(std::ptr::eq(r.lookup(renamed_to.as_bytes()).unwrap(), spec));
            } else {
                assert!(std::ptr::eq(r.lookup(spec.name.as_bytes()).unwrap(), spec));
            }
        }
    }

    #[test]
    fn rename_command_renames_and_disables() {
        let long = "x".repeat(80);
        let r = renamed(&[("CONFIG", "b840fc02d5"), ("time", ""), ("ping", &long)])
            .expect("valid renames");
        assert!(r.lookup(b"config").is_none());
        assert_eq!(r.lookup(b"B840FC02D5").map(|s| s.name), Some("config"));
        assert!(r.lookup(b"time").is_none());
        assert!(!r.all().any(|s| s.name == "time"));
        assert_eq!(r.lookup(long.as_bytes()).map(|s| s.name), Some("ping"));
        assert!(r.lookup(b"ping").is_none());
        // COMMAND still lists the renamed one under its own name.
        assert!(r.all().any(|s| s.name == "config"));
    }

    #[test]
    fn rename_command_errors() {
        let e = renamed(&[("nosuchcmd", "x")]).err().unwrap_or_default();
        assert!(e.contains("No such command in rename-command"), "{e}");
        let e = renamed(&[("ping", "echo")]).err().unwrap_or_default();
        assert!(e.contains("Target command name already exists"), "{e}");
    }
}
