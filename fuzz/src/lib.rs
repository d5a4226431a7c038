//! The fuzz harness: what each target feeds the server and what it checks.
//!
//! Shared by the cargo-fuzz targets (`fuzz_targets/*.rs`, one line each) and
//! by the root crate's `tests/fuzz_corpus.rs`, which includes this file with
//! `#[path]` and replays the seed corpus, so CI runs these exact checks
//! without cargo-fuzz. Layout after pelikan's `protocol/resp/fuzz`.
//!
//! - [`resp_parser`]: bytes arrive in chunks, as from a socket, and are parsed
//!   the way `server::event_loop` does (parse the pending bytes, drop the
//!   consumed prefix after `Complete`, reset, repeat). Checks: no panic, every
//!   `Complete` consumes at least one byte and no more than it was given
//!   (else the loop spins or slices out of bounds), argv ranges lie inside
//!   the buffer, the `need` hint is bounded, and the requests seen do not
//!   depend on how the bytes were split.
//! - [`dispatch`]: the bytes are one pipelined connection's input. Each
//!   request runs through `commands::execute` (lookup, arity, gates, handler,
//!   propagation: what the event loop calls) on a fresh `Server` with no
//!   listener and a fake client, like the AOF loader's. Checks: no panic;
//!   every reply is well-formed RESP; memory stays bounded; the AOF stream
//!   the commands propagated reads back as valid, known commands; and a
//!   fresh server that loads that stream (persistence::load, as a restart
//!   does) holds the same keys, values and deadlines, read back through
//!   KEYS/TYPE/GET/HGETALL/PEXPIRETIME.
//!
//! A few commands are skipped or capped because their cost is legitimate
//! but unbounded (see [`allowed`]): they would only teach the fuzzer to
//! sleep, fork, or allocate gigabytes.

// A failed check must panic: that is how libFuzzer (and the test) see it.
#![allow(clippy::panic)]

use inmemdb::commands::{self, Args};
use inmemdb::config::Config;
use inmemdb::persistence::AofState;
use inmemdb::persistence::load::{AofReader, ReadError, load_at_startup};
use inmemdb::resp::{Parse, RequestParser};
use inmemdb::server::Server;
use inmemdb::server::client::{ClientState, flags};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Largest bulk argument accepted (`proto-max-bulk-len`, Redis's minimum for
/// CONFIG SET): also caps SETRANGE offsets and string growth.
pub const MAX_BULK: usize = 1 << 20;
/// Stop running an input's commands once this many have run.
const MAX_COMMANDS: usize = 512;
/// Stop running an input's commands once the server holds this much more
/// memory than when it started (COPY, SETRANGE and APPEND may legitimately
/// grow it; the input is not wrong, it is just done).
const SOFT_MEMORY_BYTES: usize = 64 << 20;
/// No single command may take the server past this (it starts below
/// `SOFT_MEMORY_BYTES`): more means a command's allocation is not bounded by
/// its input or by the data it reads.
const HARD_MEMORY_BYTES: usize = 512 << 20;
/// Caps on counts that Redis honours however large (DEBUG POPULATE,
/// HRANDFIELD with a negative count, LCS's N×M table).
const MAX_COUNT: i64 = 10_000;
const MAX_POPULATE_BYTES: i64 = 1 << 20;
const MAX_LCS_CELLS: usize = 16 << 20;

// --- resp_parser ----------------------------------------------------------

/// What the parser produced, in order: each request's argv, then how the
/// stream ended (`None`: waiting for more bytes).
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    requests: Vec<Vec<Vec<u8>>>,
    error: Option<inmemdb::resp::ProtocolError>,
}

/// xorshift64*: chunk sizes derived from the input, so a crash reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// Feed `stream` to a parser in chunks of the given sizes, as the event loop
/// does with each socket read.
fn feed(stream: &[u8], mut next_chunk: impl FnMut() -> usize) -> Outcome {
    let mut parser = RequestParser::new(MAX_BULK);
    let mut out = Outcome {
        requests: Vec::new(),
        error: None,
    };
    // `stream[start..received]` is the query buffer's pending part.
    let (mut start, mut received) = (0, 0);
    while received < stream.len() {
        received = (received + next_chunk().max(1)).min(stream.len());
        loop {
            let pending = &stream[start..received];
            if pending.is_empty() {
                break;
            }
            match parser.parse(pending) {
                Parse::Complete { consumed } => {
                    assert!(
                        consumed > 0,
                        "Complete without consuming: the loop would spin"
                    );
                    assert!(
                        consumed <= pending.len(),
                        "consumed {consumed} of {}",
                        pending.len()
                    );
                    let (buf, ranges) = parser.args(pending);
                    let argv = ranges
                        .iter()
                        .map(|&(s, e)| {
                            assert!(
                                s <= e && e <= buf.len(),
                                "argv range {s}..{e} outside 0..{}",
                                buf.len()
                            );
                            buf[s..e].to_vec()
                        })
                        .collect();
                    out.requests.push(argv);
                    start += consumed;
                    parser.reset();
                }
                Parse::Incomplete { need } => {
                    // The event loop reserves this much: it must be bounded.
                    assert!(need <= MAX_BULK + 2, "need {need}");
                    break;
                }
                Parse::Error(e) => {
                    // The reply the client gets; must not panic either.
                    assert!(e.message().starts_with("ERR Protocol error: "));
                    out.error = Some(e);
                    return out;
                }
            }
        }
    }
    out
}

/// Target `resp_parser`. The first byte seeds the chunk sizes; the rest is
/// the byte stream.
pub fn resp_parser(data: &[u8]) {
    let Some((&seed, stream)) = data.split_first() else {
        return;
    };
    let mut rng = Rng(u64::from(seed).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let chunked = feed(stream, || {
        let r = rng.next();
        // Mostly tiny reads (splits inside every token), sometimes big ones.
        1 + (r >> 8) as usize % if r & 3 == 0 { 4096 } else { 7 }
    });
    let whole = feed(stream, || stream.len());
    // Past MAX_INLINE_BYTES without a newline the parser must give up, and
    // whether it has seen that many depends on the reads: only compare below.
    if stream.len() <= inmemdb::resp::parser::MAX_INLINE_BYTES {
        assert_eq!(chunked, whole, "result depends on how the bytes were split");
    }
}

// --- dispatch ---------------------------------------------------------------

/// A server with no listener and a deterministic keyspace.
fn new_server(tweak: impl FnOnce(&mut Config)) -> Server {
    let mut config = Config {
        port: 0,
        unixsocket: String::new(),
        proto_max_bulk_len: MAX_BULK as u64,
        ..Config::default()
    };
    tweak(&mut config);
    let mut server = match Server::bind(config, None) {
        Ok(s) => s,
        Err(e) => panic!("cannot create a listener-less server: {e}"),
    };
    let core = &mut server.core;
    core.keyspace = inmemdb::keyspace::Keyspace::with_seed(core.config.databases as usize, 7);
    inmemdb::evict::configure(core);
    server
}

/// The fake client (like the AOF loader's): authenticated, not in the
/// client table.
fn fake_client(now_ms: u64) -> ClientState {
    let mut c = ClientState::new(1, mio::Token(1), now_ms);
    c.authenticated = true;
    c
}

fn int_arg(args: &Args<'_>, i: usize) -> Option<i64> {
    std::str::from_utf8(args.get(i)).ok()?.parse().ok()
}

/// Whether to run this command at all (see the module docs).
fn allowed(server: &Server, client: &ClientState, args: &Args<'_>) -> bool {
    let name = args.get(0);
    let is = |kw: &str| name.eq_ignore_ascii_case(kw.as_bytes());
    if is("sleep") || is("bgrewriteaof") {
        // Blocks the fuzzer; forks a child that writes a file.
        return false;
    }
    if is("debug") {
        if args.is(1, "sleep") {
            return false;
        }
        if args.is(1, "populate") {
            let count = int_arg(args, 2).unwrap_or(0);
            let size = int_arg(args, 4).unwrap_or(16).max(16);
            return count <= MAX_COUNT && count.saturating_mul(size) <= MAX_POPULATE_BYTES;
        }
    }
    if is("hrandfield") && args.len() > 2 {
        return int_arg(args, 2).is_none_or(|n| n.unsigned_abs() <= MAX_COUNT as u64);
    }
    if is("config") && args.is(1, "set") {
        // appendonly yes forks a rewrite; a larger proto-max-bulk-len lifts
        // the bound on string growth; dir would chdir the fuzzer.
        const DENY: &[&str] = &["appendonly", "proto-max-bulk-len", "dir"];
        return !args
            .iter()
            .skip(2)
            .any(|a| DENY.iter().any(|d| a.eq_ignore_ascii_case(d.as_bytes())));
    }
    if is("lcs") {
        let db = &server.core.keyspace.dbs[client.db.min(server.core.keyspace.dbs.len() - 1)];
        let len = |k: &[u8]| {
            db.peek(k, server.core.now_ms)
                .and_then(|e| e.value.as_str().map(|s| s.len()))
                .unwrap_or(0)
        };
        let cells = (len(args.get(1)) + 1).saturating_mul(len(args.get(2)) + 1);
        return cells <= MAX_LCS_CELLS;
    }
    true
}

/// Target `dispatch`: `data` is one connection's input.
pub fn dispatch(data: &[u8]) {
    let mut server = new_server(|_| {});
    // The AOF buffers what commands propagate; nothing writes it (no file is
    // open, and the event loop, which flushes it, never runs).
    server.core.aof.state = AofState::On;
    // DEBUG POPULATE writes without propagating (as in Redis): after it, a
    // reload cannot be expected to give the same data.
    let mut unlogged_writes = false;
    let mut client = fake_client(server.core.now_ms);
    let baseline = inmemdb::alloc::used_memory();
    let mut parser = RequestParser::new(MAX_BULK);
    let mut start = 0;
    let mut ran = 0;
    while start < data.len() && ran < MAX_COMMANDS {
        let pending = &data[start..];
        let consumed = match parser.parse(pending) {
            Parse::Complete { consumed } => consumed,
            // What the server does next (reply, close, or wait) runs no command.
            Parse::Incomplete { .. } | Parse::Error(_) => break,
        };
        let (buf, ranges) = parser.args(pending);
        let args = Args::new(buf, ranges);
        if !args.is_empty() && allowed(&server, &client, &args) {
            unlogged_writes |= args.is(0, "debug") && args.is(1, "populate");
            commands::execute(&mut server.core, &mut client, &args);
            ran += 1;
            check_replies(&client.reply.buf, &args);
            client.reply.buf.clear();
            let used = inmemdb::alloc::used_memory().saturating_sub(baseline);
            assert!(
                used <= HARD_MEMORY_BYTES,
                "{} bytes in use after {:?}",
                used,
                args.iter().map(String::from_utf8_lossy).collect::<Vec<_>>()
            );
            if used > SOFT_MEMORY_BYTES
                || client.has(flags::CLOSE_AFTER_REPLY | flags::CLOSE_ASAP)
                || server.core.shutdown.is_some()
            {
                break;
            }
        }
        start += consumed;
        parser.reset();
        // Let TTLs of a few ms run out between commands, as they would.
        server.core.now_ms += 1;
    }
    // Whatever the commands left with a TTL expires, and is propagated.
    let core = &mut server.core;
    core.now_ms = core.now_ms.saturating_add(100 * 365 * 86_400_000);
    core.keyspace
        .active_expire_cycle_with(core.now_ms, || false);
    core.propagate_expired();
    check_aof(&server);
    if !unlogged_writes {
        let now_ms = server.core.now_ms;
        let mut reloaded = reload(&server.core.aof.buf);
        let core = &mut reloaded.core;
        core.now_ms = now_ms;
        core.keyspace.active_expire_cycle_with(now_ms, || false);
        let (before, after) = (dump(&mut server), dump(&mut reloaded));
        assert!(
            before == after,
            "the AOF reloads to different data\n  served: {before:?}\nreloaded: {after:?}"
        );
    }
}

/// A fresh server that loaded `aof` as a restart would (persistence::load).
fn reload(aof: &[u8]) -> Server {
    static FILES: AtomicUsize = AtomicUsize::new(0);
    let path = std::env::temp_dir().join(format!(
        "inmemdb-fuzz-{}-{}.aof",
        std::process::id(),
        FILES.fetch_add(1, Ordering::Relaxed)
    ));
    if let Err(e) = std::fs::write(&path, aof) {
        panic!("{}: {e}", path.display());
    }
    let mut server = new_server(|c| {
        c.appendonly = true;
        c.appendfilename = path.display().to_string();
    });
    let loaded = load_at_startup(&mut server);
    let _ = std::fs::remove_file(&path);
    if let Err(e) = loaded {
        panic!("the AOF does not load: {e:?}");
    }
    server
}

/// Run a read command as a fresh fake client and return its reply. Through
/// `commands::call`, not `execute`: dispatch's gates would evict keys when
/// the served server is over a limit the commands set (maxkeys, maxmemory),
/// and those deletions would not be in the AOF already reloaded.
fn run(server: &mut Server, db: usize, argv: &[&[u8]]) -> Vec<u8> {
    let mut client = fake_client(server.core.now_ms);
    client.db = db;
    let mut buf = Vec::new();
    let mut ranges = Vec::new();
    for a in argv {
        ranges.push((buf.len(), buf.len() + a.len()));
        buf.extend_from_slice(a);
    }
    let args = Args::new(&buf, &ranges);
    let Some(spec) = server.core.registry.lookup(args.get(0)) else {
        panic!("no command {:?}", String::from_utf8_lossy(args.get(0)));
    };
    commands::call(&mut server.core, &mut client, spec, &args);
    client.reply.buf
}

/// The bulk strings of a flat RESP2 array reply.
fn bulks(reply: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let Some((_, mut at)) = resp_line(reply, 1) else {
        return out;
    };
    while let Some((len, next)) = resp_line(reply, at + 1) {
        let Some(n) = resp_len(len).and_then(|n| usize::try_from(n).ok()) else {
            break;
        };
        out.push(reply.get(next..next + n).unwrap_or_default().to_vec());
        at = next + n + 2;
    }
    out
}

/// Every key of every database with its type, value and deadline, read
/// through commands (not the keyspace's internals), in a canonical order.
fn dump(server: &mut Server) -> Vec<(usize, String, Vec<String>, String)> {
    let show = |b: &[u8]| b.escape_ascii().to_string();
    let mut out = Vec::new();
    for db in 0..server.core.keyspace.dbs.len() {
        let mut keys = bulks(&run(server, db, &[b"KEYS", b"*"]));
        keys.sort();
        for key in keys {
            let value = match run(server, db, &[b"TYPE", &key]).as_slice() {
                b"+string\r\n" => vec![run(server, db, &[b"GET", &key])],
                b"+hash\r\n" => {
                    let flat = bulks(&run(server, db, &[b"HGETALL", &key]));
                    // Length-prefixed, so ("a", "bc") and ("ab", "c") differ.
                    let mut pairs: Vec<Vec<u8>> = flat
                        .chunks(2)
                        .map(|p| [&p[0].len().to_le_bytes()[..], &p.concat()].concat())
                        .collect();
                    pairs.sort();
                    pairs
                }
                other => vec![other.to_vec()],
            };
            let deadline = run(server, db, &[b"PEXPIRETIME", &key]);
            out.push((
                db,
                show(&key),
                value.iter().map(|v| show(v)).collect(),
                show(&deadline),
            ));
        }
    }
    out
}

/// The reply buffer after one command must be whole RESP frames (any number:
/// SUBSCRIBE sends one per channel, QUIT may send none).
fn check_replies(buf: &[u8], args: &Args<'_>) {
    let mut at = 0;
    while at < buf.len() {
        match resp_frame(buf, at, 0) {
            Some(end) => at = end,
            None => panic!(
                "malformed reply to {:?} at byte {at}: {:?}",
                args.iter().map(String::from_utf8_lossy).collect::<Vec<_>>(),
                String::from_utf8_lossy(&buf[at..buf.len().min(at + 200)])
            ),
        }
    }
}

/// End of the line starting at `at` (index after its CRLF). The line must
/// not contain CR or LF itself.
fn resp_line(buf: &[u8], at: usize) -> Option<(&[u8], usize)> {
    let rest = buf.get(at..)?;
    let cr = rest.iter().position(|&b| b == b'\r' || b == b'\n')?;
    (rest.get(cr..cr + 2)? == b"\r\n").then(|| (&rest[..cr], at + cr + 2))
}

fn resp_len(digits: &[u8]) -> Option<i64> {
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// Index after the RESP2/RESP3 frame that starts at `at`, or None if it is
/// malformed or cut short.
fn resp_frame(buf: &[u8], at: usize, depth: usize) -> Option<usize> {
    if depth > 64 {
        return None;
    }
    let (&kind, _) = buf.get(at..)?.split_first()?;
    let (line, next) = resp_line(buf, at + 1)?;
    match kind {
        b'+' | b'-' | b',' | b'(' => Some(next),
        b':' => resp_len(line).map(|_| next),
        b'_' => line.is_empty().then_some(next),
        b'#' => (line == b"t" || line == b"f").then_some(next),
        b'$' | b'=' | b'!' => {
            let n = resp_len(line)?;
            if n == -1 && kind == b'$' {
                return Some(next);
            }
            let end = next.checked_add(usize::try_from(n).ok()?)?;
            (buf.get(end..end.checked_add(2)?)? == b"\r\n").then_some(end + 2)
        }
        b'*' | b'~' | b'>' | b'%' | b'|' => {
            let n = resp_len(line)?;
            if n == -1 && kind == b'*' {
                return Some(next);
            }
            let mut items = u64::try_from(n).ok()?;
            if kind == b'%' || kind == b'|' {
                items = items.checked_mul(2)?;
            }
            let mut p = next;
            for _ in 0..items {
                p = resp_frame(buf, p, depth + 1)?;
            }
            if kind == b'|' {
                // An attribute precedes the frame it describes.
                p = resp_frame(buf, p, depth + 1)?;
            }
            Some(p)
        }
        _ => None,
    }
}

/// What the commands propagated must load back: strict RESP the AOF reader
/// accepts, and only known commands with valid arity (else a restart would
/// refuse the file).
fn check_aof(server: &Server) {
    let core = &server.core;
    let mut reader = AofReader::new(&core.aof.buf[..], MAX_BULK);
    loop {
        match reader.next_command() {
            Ok(true) => {}
            Ok(false) => break,
            Err(ReadError::Truncated { at }) => panic!("AOF stream cut short at {at}"),
            Err(ReadError::Format { at, what, .. }) => panic!("AOF stream corrupt at {at}: {what}"),
            Err(ReadError::Io(e)) => panic!("reading a byte slice: {e}"),
        }
        let args = reader.args();
        let argv = || args.iter().map(String::from_utf8_lossy).collect::<Vec<_>>();
        let Some(mut spec) = core.registry.lookup(args.get(0)) else {
            panic!("AOF logs an unknown command: {:?}", argv());
        };
        if !spec.subcommands.is_empty() && args.len() >= 2 {
            match commands::lookup_sub(spec, args.get(1)) {
                Some(sub) => spec = sub,
                None => panic!("AOF logs an unknown subcommand: {:?}", argv()),
            }
        }
        assert!(
            spec.arity_ok(args.len()),
            "AOF logs a wrong arity: {:?}",
            argv()
        );
    }
}
