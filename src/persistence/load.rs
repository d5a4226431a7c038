//! Loading the AOF at start, and the streaming reader it shares with
//! `--check-aof`. Follows redis src/aof.c `loadSingleAppendOnlyFile` and
//! server.c `processEventsWhileBlocked`.
//!
//! **Reader.** The file is read in large chunks into one buffer and parsed in
//! place: a command's arguments are byte ranges into that buffer (no copy,
//! no allocation per command once the buffer and argv vector have grown).
//! The format is strict RESP multibulk (`*N`, then N × `$len` + payload +
//! CRLF); lines starting with `#` (Redis 7 annotations) are skipped. Two
//! kinds of failure are told apart: the file *ends* inside a command
//! (`Truncated`: a crash cut the last write short) and bytes that can't be
//! RESP (`Format`: corruption), with the byte offset.
//!
//! **Replay.** Each command is looked up in the command table and run with
//! `commands::call` on a fake client whose replies are discarded, with
//! `core.loading` set (clients get -LOADING, INFO says `loading:1`) and the
//! loop's clock at 0, so no key expires while loading (Redis's `keyIsExpired`
//! returns false while loading; a `PERSIST` logged after a `SET .. PXAT` must
//! find its key even if the deadline has passed since). Expired keys are
//! reclaimed by active expiry once serving starts. Every 1024 commands the
//! event loop is polled once so clients are answered meanwhile.
//! MULTI/EXEC blocks are buffered and run at EXEC, so a transaction cut short
//! by a crash is dropped as a whole.
//!
//! **Truncated tail:** with `aof-load-truncated yes` (the default) the file
//! is truncated to the end of the last complete command (before an
//! unfinished MULTI) with a warning, and loading succeeds. **Corruption**
//! anywhere: refuse to start, name the offset, leave the file untouched.

use std::fs::{self, File};
use std::io::{self, Read, Seek};
use std::time::Instant;

use tracing::{info, warn};

use super::aof::{self, AofState, LoadingInfo};
use crate::commands::{self, Args, CommandSpec};
use crate::server::client::{ClientState, flags as client_flags};
use crate::server::{Server, unix_ms};

/// Bytes requested per `read`.
const READ_CHUNK: usize = 1 << 20;
/// Poll the event loop every this many commands while loading.
const EVENTS_EVERY_CMDS: u64 = 1024;
/// A count or length line longer than this can't be valid.
const MAX_NUM_LINE: usize = 21;
/// Annotation lines (`#...`) longer than this are corruption.
const MAX_ANNOTATION: usize = 1024;

/// Why reading stopped before the end of the file.
#[derive(Debug)]
pub enum ReadError {
    /// The file ends inside the command that starts at byte `at`.
    Truncated {
        at: u64,
    },
    /// Not RESP at byte `at` (inside the command starting at `cmd_at`).
    Format {
        at: u64,
        cmd_at: u64,
        what: String,
    },
    Io(io::Error),
}

enum Step {
    /// A command ends at this buffer index.
    Command(usize),
    /// An annotation line ends at this index.
    Annotation(usize),
    /// More bytes needed (at least this many).
    Need(usize),
    Bad {
        pos: usize,
        what: String,
    },
}

/// Streaming AOF parser over any reader (a `File`, or `&[u8]` in tests).
pub struct AofReader<R> {
    src: R,
    buf: Vec<u8>,
    /// First byte not yet consumed.
    start: usize,
    /// End of the bytes read so far.
    end: usize,
    /// File offset of `buf[0]`.
    base: u64,
    eof: bool,
    /// Start of the command last returned.
    cmd_start: usize,
    argv: Vec<(usize, usize)>,
    max_bulk: usize,
}

impl<R: Read> AofReader<R> {
    /// `max_bulk` caps one argument's length (`proto-max-bulk-len`): a
    /// longer one is corruption, not something to allocate for.
    pub fn new(src: R, max_bulk: usize) -> Self {
        AofReader {
            src,
            buf: Vec::new(),
            start: 0,
            end: 0,
            base: 0,
            eof: false,
            cmd_start: 0,
            argv: Vec::new(),
            max_bulk,
        }
    }

    /// Parse the next command. Ok(false) at a clean end of file.
    pub fn next_command(&mut self) -> Result<bool, ReadError> {
        loop {
            match self.parse_at(self.start) {
                Step::Command(end) => {
                    self.cmd_start = self.start;
                    self.start = end;
                    return Ok(true);
                }
                Step::Annotation(end) => self.start = end,
                Step::Need(n) => {
                    if self.eof {
                        if self.start == self.end {
                            return Ok(false);
                        }
                        return Err(ReadError::Truncated { at: self.offset() });
                    }
                    self.fill(n)?;
                }
                Step::Bad { pos, what } => {
                    return Err(ReadError::Format {
                        at: self.base + pos as u64,
                        cmd_at: self.offset(),
                        what,
                    });
                }
            }
        }
    }

    /// The arguments of the command last returned by `next`.
    pub fn args(&self) -> Args<'_> {
        Args::new(&self.buf, &self.argv)
    }

    /// File offset just past the last command returned (or skipped line).
    pub fn offset(&self) -> u64 {
        self.base + self.start as u64
    }

    /// File offset where the last returned command starts.
    pub fn cmd_offset(&self) -> u64 {
        self.base + self.cmd_start as u64
    }

    /// Read until at least `need` more bytes are buffered, or EOF.
    fn fill(&mut self, need: usize) -> Result<(), ReadError> {
        if self.start > 0 {
            // Keep only the unparsed tail (a partial command).
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.base += self.start as u64;
            self.cmd_start = 0;
            self.start = 0;
        }
        let target = self.end + need.max(1);
        let want = target.max(self.end + READ_CHUNK);
        if self.buf.len() < want {
            self.buf.resize(want, 0);
        }
        while self.end < target {
            let Some(dst) = self.buf.get_mut(self.end..) else {
                break;
            };
            match self.src.read(dst) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(n) => self.end += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(ReadError::Io(e)),
            }
        }
        Ok(())
    }

    fn parse_at(&mut self, p0: usize) -> Step {
        let b = self.buf.get(..self.end).unwrap_or_default();
        let Some(&first) = b.get(p0) else {
            return Step::Need(1);
        };
        if first == b'#' {
            let rest = b.get(p0..).unwrap_or_default();
            return match rest.iter().take(MAX_ANNOTATION).position(|&c| c == b'\n') {
                Some(i) => Step::Annotation(p0 + i + 1),
                None if rest.len() >= MAX_ANNOTATION => Step::Bad {
                    pos: p0,
                    what: "Annotation line too long".into(),
                },
                None => Step::Need(1),
            };
        }
        if first != b'*' {
            return Step::Bad {
                pos: p0,
                what: format!("Expected prefix '*', got: '{}'", printable(first)),
            };
        }
        let (argc, mut p) = match read_num(b, p0 + 1) {
            Num::Ok(v, next) => (v, next),
            Num::Need => return Step::Need(1),
            Num::Bad(pos, what) => return Step::Bad { pos, what },
        };
        if argc < 1 {
            return Step::Bad {
                pos: p0,
                what: format!("Invalid argument count {argc}"),
            };
        }
        self.argv.clear();
        for _ in 0..argc {
            match b.get(p) {
                None => return Step::Need(1),
                Some(b'$') => {}
                Some(&c) => {
                    return Step::Bad {
                        pos: p,
                        what: format!("Expected prefix '$', got: '{}'", printable(c)),
                    };
                }
            }
            let (len, q) = match read_num(b, p + 1) {
                Num::Ok(v, next) => (v, next),
                Num::Need => return Step::Need(1),
                Num::Bad(pos, what) => return Step::Bad { pos, what },
            };
            let Some(len) = usize::try_from(len).ok().filter(|&l| l <= self.max_bulk) else {
                return Step::Bad {
                    pos: p,
                    what: format!("Invalid bulk length {len}"),
                };
            };
            let end = q + len;
            if end + 2 > b.len() {
                return Step::Need(end + 2 - b.len());
            }
            if b.get(end..end + 2) != Some(b"\r\n") {
                let (x, y) = (b.get(end).copied(), b.get(end + 1).copied());
                return Step::Bad {
                    pos: end,
                    what: format!(
                        "Expected \\r\\n, got: {:02x}{:02x}",
                        x.unwrap_or(0),
                        y.unwrap_or(0)
                    ),
                };
            }
            self.argv.push((q, end));
            p = end + 2;
        }
        Step::Command(p)
    }
}

enum Num {
    Ok(i64, usize),
    Need,
    Bad(usize, String),
}

/// Digits (optionally '-') from `p` up to CRLF; returns the value and the
/// index after the LF.
fn read_num(b: &[u8], p: usize) -> Num {
    let mut neg = false;
    let mut v: i64 = 0;
    let mut digits = 0;
    let mut i = p;
    loop {
        let Some(&c) = b.get(i) else {
            return if i - p >= MAX_NUM_LINE {
                Num::Bad(p, "Number too long".into())
            } else {
                Num::Need
            };
        };
        match c {
            b'-' if i == p => neg = true,
            b'0'..=b'9' if digits < 19 => {
                v = v * 10 + i64::from(c - b'0');
                digits += 1;
            }
            b'\r' if digits > 0 => {
                return match b.get(i + 1) {
                    None => Num::Need,
                    Some(b'\n') => Num::Ok(if neg { -v } else { v }, i + 2),
                    Some(&c2) => {
                        Num::Bad(i, format!("Expected \\r\\n, got: {:02x}{:02x}", b'\r', c2))
                    }
                };
            }
            _ => return Num::Bad(i, format!("Invalid number character '{}'", printable(c))),
        }
        i += 1;
    }
}

fn printable(c: u8) -> String {
    c.escape_ascii().to_string()
}

// --- replay at start -------------------------------------------------------

/// Loading did not complete.
#[derive(Debug)]
pub enum LoadError {
    /// Refuse to start; the message says why (and where).
    Fatal(String),
    /// SHUTDOWN or a signal arrived while loading.
    Shutdown,
}

/// What a successful load did.
#[derive(Debug, Default, Clone, Copy)]
pub struct LoadStats {
    pub commands: u64,
    pub bytes: u64,
    pub truncated_at: Option<u64>,
}

/// A transaction being read: commands are copied and run at EXEC.
#[derive(Default)]
struct PendingMulti {
    /// Offset before the MULTI: where to truncate if EXEC never comes.
    valid_before: u64,
    buf: Vec<u8>,
    ranges: Vec<(usize, usize)>,
    cmds: Vec<(&'static CommandSpec, usize, usize)>,
}

/// The client commands run as while loading (Redis's AOF fake client).
fn fake_client() -> ClientState {
    let mut st = ClientState::new(u64::MAX, mio::Token(usize::MAX), 0);
    st.flags = client_flags::CLOSE_ASAP;
    st.authenticated = true;
    st
}

/// At start with `appendonly yes`: replay the AOF, then open it for
/// appending. Without `appendonly` nothing is loaded.
pub fn load_at_startup(server: &mut Server) -> Result<(), LoadError> {
    if !server.core.config.appendonly {
        return Ok(());
    }
    let name = server.core.config.appendfilename.clone();
    let started = Instant::now();
    let stats = match File::open(&name) {
        Ok(f) => replay(server, f, &name)?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            info!("The append log file {name} doesn't exist: it will be created");
            LoadStats::default()
        }
        Err(e) => {
            return Err(LoadError::Fatal(format!(
                "Fatal error: can't open the append log file {name} for reading: {e}"
            )));
        }
    };
    if stats.commands > 0 || stats.bytes > 0 {
        let secs = started.elapsed().as_secs_f64();
        info!(
            "DB loaded from append only file: {secs:.3} seconds ({} commands, {:.0} commands/s, {:.1} MB/s)",
            stats.commands,
            stats.commands as f64 / secs.max(1e-9),
            stats.bytes as f64 / secs.max(1e-9) / (1024.0 * 1024.0)
        );
    }
    let f = aof::open_append(&name).map_err(|e| {
        LoadError::Fatal(format!(
            "Can't open the append-only file {name} for appending: {e}"
        ))
    })?;
    let size = f.metadata().map(|m| m.len()).unwrap_or(stats.bytes);
    let now_s = unix_ms() / 1000;
    let aof = &mut server.core.aof;
    aof.set_file(f, size, now_s);
    aof.selected_db = None;
    aof.state = AofState::On;
    Ok(())
}

/// Replay `file` into the keyspace (see the module docs).
fn replay(server: &mut Server, file: File, name: &str) -> Result<LoadStats, LoadError> {
    let total = file.metadata().map(|m| m.len()).unwrap_or(0);
    if total == 0 {
        return Ok(LoadStats::default());
    }
    let mut sig = [0u8; 5];
    if (&file).read_exact(&mut sig).is_ok() && &sig == b"REDIS" {
        return Err(LoadError::Fatal(format!(
            "The append only file {name} starts with an RDB preamble (Redis 7's default rewrite format), which InMemDB does not read. The file was not modified. In Redis, set aof-use-rdb-preamble no and run BGREWRITEAOF to get a pure-RESP AOF."
        )));
    }
    (&file)
        .seek(io::SeekFrom::Start(0))
        .map_err(|e| LoadError::Fatal(format!("Can't read the append only file {name}: {e}")))?;
    let max_bulk = server.core.config.proto_max_bulk_len as usize;
    let mut reader = AofReader::new(file, max_bulk);
    let mut fake = fake_client();
    let core = &mut server.core;
    core.loading = true;
    core.aof.loading = Some(LoadingInfo {
        start_unix_s: unix_ms() / 1000,
        total_bytes: total,
        loaded_bytes: 0,
    });
    let saved_now = core.now_ms;
    core.now_ms = 0;
    let result = replay_loop(server, &mut reader, &mut fake, name);
    let core = &mut server.core;
    core.loading = false;
    core.aof.loading = None;
    core.now_ms = saved_now.max(unix_ms());
    // Keys were created with the clock at 0: stamp them with the load time.
    core.keyspace.reset_meta(core.now_ms);
    let (commands, outcome) = result?;
    let mut stats = LoadStats {
        commands,
        bytes: total,
        truncated_at: None,
    };
    match outcome {
        Ok(()) => Ok(stats),
        Err(valid_up_to) => {
            if !server.core.config.aof_load_truncated {
                return Err(LoadError::Fatal(format!(
                    "Unexpected end of file reading the append only file {name} (the command at offset {valid_up_to} is incomplete). You can: 1) Make a backup of your AOF file, then use inmemdb --check-aof --fix {name}. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server."
                )));
            }
            warn!("!!! Warning: short read while loading the AOF file {name}!!!");
            warn!("!!! Truncating the AOF {name} at offset {valid_up_to} !!!");
            let cut = fs::OpenOptions::new()
                .write(true)
                .open(name)
                .and_then(|f| f.set_len(valid_up_to).and_then(|()| f.sync_all()));
            if let Err(e) = cut {
                return Err(LoadError::Fatal(format!(
                    "Error truncating the AOF file {name}: {e}"
                )));
            }
            warn!("AOF {name} loaded anyway because aof-load-truncated is enabled");
            stats.bytes = valid_up_to;
            stats.truncated_at = Some(valid_up_to);
            Ok(stats)
        }
    }
}

/// The read-dispatch loop. Returns the number of commands run and either
/// Ok (clean end) or Err(offset to truncate at) for a truncated tail.
fn replay_loop(
    server: &mut Server,
    reader: &mut AofReader<File>,
    fake: &mut ClientState,
    name: &str,
) -> Result<(u64, Result<(), u64>), LoadError> {
    let mut commands = 0u64;
    let mut multi: Option<PendingMulti> = None;
    loop {
        if commands.is_multiple_of(EVENTS_EVERY_CMDS) && commands > 0 {
            if let Some(l) = server.core.aof.loading.as_mut() {
                l.loaded_bytes = reader.offset();
            }
            server.process_events_while_blocked();
            server.core.now_ms = 0;
            if server.core.shutdown.is_some() {
                warn!("Shutdown requested while loading the AOF: exiting without serving.");
                return Err(LoadError::Shutdown);
            }
        }
        match reader.next_command() {
            Ok(true) => {}
            Ok(false) => break,
            Err(ReadError::Truncated { at }) => {
                let valid = multi.as_ref().map_or(at, |m| m.valid_before);
                return Ok((commands, Err(valid)));
            }
            Err(ReadError::Format { at, cmd_at, what }) => {
                return Err(LoadError::Fatal(format!(
                    "Bad file format reading the append only file {name} at offset {at} (in the command starting at offset {cmd_at}): {what}. The file was not modified. Make a backup of it, then inspect it with inmemdb --check-aof {name} (--fix truncates it at offset {cmd_at}, discarding everything after)."
                )));
            }
            Err(ReadError::Io(e)) => {
                return Err(LoadError::Fatal(format!(
                    "Unrecoverable error reading the append only file {name}: {e}"
                )));
            }
        }
        commands += 1;
        let args = reader.args();
        let cmd_name = args.get(0);
        if cmd_name.eq_ignore_ascii_case(b"multi") {
            if multi.is_some() {
                return Err(fatal_at(name, reader, "MULTI calls can not be nested"));
            }
            multi = Some(PendingMulti {
                valid_before: reader.cmd_offset(),
                ..Default::default()
            });
            continue;
        }
        if cmd_name.eq_ignore_ascii_case(b"exec") {
            if let Some(m) = multi.take() {
                for &(spec, from, to) in &m.cmds {
                    let ranges = m.ranges.get(from..to).unwrap_or_default();
                    let args = Args::new(&m.buf, ranges);
                    commands::call(&mut server.core, fake, spec, &args);
                    fake.reply.buf.clear();
                }
            }
            // EXEC without MULTI (a rewrite started inside a transaction):
            // nothing to do.
            continue;
        }
        let spec = match resolve(&server.core.registry, &args) {
            Ok(spec) => spec,
            Err(why) => return Err(fatal_at(name, reader, &why)),
        };
        if let Some(m) = multi.as_mut() {
            let from = m.ranges.len();
            for a in args.iter() {
                m.ranges.push((m.buf.len(), m.buf.len() + a.len()));
                m.buf.extend_from_slice(a);
            }
            m.cmds.push((spec, from, m.ranges.len()));
            continue;
        }
        commands::call(&mut server.core, fake, spec, &args);
        fake.reply.buf.clear();
    }
    if let Some(m) = multi {
        warn!("Revert incomplete MULTI/EXEC transaction in AOF file {name}");
        return Ok((commands, Err(m.valid_before)));
    }
    Ok((commands, Ok(())))
}

/// Look up argv[0] (and a subcommand) and check arity, as dispatch would.
fn resolve(registry: &commands::Registry, args: &Args<'_>) -> Result<&'static CommandSpec, String> {
    let Some(spec) = registry.lookup(args.get(0)) else {
        return Err(format!(
            "Unknown command '{}'",
            crate::error::printable(args.get(0), 128)
        ));
    };
    let spec = if spec.subcommands.is_empty() || args.len() < 2 {
        spec
    } else {
        commands::lookup_sub(spec, args.get(1)).ok_or_else(|| {
            format!(
                "Unknown subcommand '{}' of '{}'",
                crate::error::printable(args.get(1), 128),
                spec.name
            )
        })?
    };
    if !spec.arity_ok(args.len()) {
        return Err(format!(
            "Wrong number of arguments for '{}' ({})",
            spec.name,
            args.len()
        ));
    }
    Ok(spec)
}

fn fatal_at(name: &str, reader: &AofReader<File>, why: &str) -> LoadError {
    LoadError::Fatal(format!(
        "{why} reading the append only file {name} at offset {}. The file was not modified.",
        reader.cmd_offset()
    ))
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use super::*;

    fn enc(cmds: &[&[&str]]) -> Vec<u8> {
        let mut out = Vec::new();
        for c in cmds {
            crate::persistence::put_command(&mut out, c.len(), c.iter().map(|s| s.as_bytes()));
        }
        out
    }

    fn read_all(bytes: &[u8]) -> (Vec<Vec<String>>, Option<ReadError>) {
        let mut r = AofReader::new(bytes, 16 << 20);
        let mut out = Vec::new();
        loop {
            match r.next_command() {
                Ok(true) => out.push(
                    r.args()
                        .iter()
                        .map(|a| String::from_utf8_lossy(a).into_owned())
                        .collect(),
                ),
                Ok(false) => return (out, None),
                Err(e) => return (out, Some(e)),
            }
        }
    }

    #[test]
    fn reads_commands_and_skips_annotations() {
        let mut bytes = b"#TS:1700000000\r\n".to_vec();
        bytes.extend(enc(&[&["SELECT", "0"], &["SET", "k", "v\r\nx"]]));
        let (cmds, err) = read_all(&bytes);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(cmds, vec![vec!["SELECT", "0"], vec!["SET", "k", "v\r\nx"]]);
    }

    #[test]
    fn every_cut_is_truncation_at_the_last_complete_command() {
        let bytes = enc(&[&["SELECT", "0"], &["SET", "key", "value"], &["DEL", "key"]]);
        let first = enc(&[&["SELECT", "0"]]).len() as u64;
        let second = first + enc(&[&["SET", "key", "value"]]).len() as u64;
        for cut in 1..bytes.len() {
            let (cmds, err) = read_all(&bytes[..cut]);
            let expect_at = if (cut as u64) < first {
                0
            } else if (cut as u64) < second {
                first
            } else {
                second
            };
            match err {
                None => assert!(cut as u64 == first || cut as u64 == second, "cut {cut}"),
                Some(ReadError::Truncated { at }) => {
                    assert_eq!(at, expect_at, "cut {cut}");
                    assert_eq!(
                        cmds.len(),
                        [0, first, second].iter().position(|&o| o == at).unwrap()
                    );
                }
                Some(e) => panic!("cut {cut}: {e:?}"),
            }
        }
    }

    #[test]
    fn corruption_is_a_format_error_with_its_offset() {
        let bytes = enc(&[&["SELECT", "0"], &["SET", "k", "v"], &["SET", "a", "b"]]);
        let second = enc(&[&["SELECT", "0"]]).len();
        // Every single-byte corruption inside the second command outside
        // length digits is a format error at or after its start.
        for i in second..second + enc(&[&["SET", "k", "v"]]).len() {
            let mut b = bytes.clone();
            b[i] = b'!';
            let (_, err) = read_all(&b);
            match err {
                Some(ReadError::Format { at, cmd_at, .. }) => {
                    assert_eq!(cmd_at, second as u64, "byte {i}");
                    assert!(
                        at >= second as u64 && at <= i as u64 + 2,
                        "byte {i}: at {at}"
                    );
                }
                None if matches!(bytes[i], b'k' | b'v' | b'S' | b'E' | b'T') => {}
                other => panic!("byte {i}: {other:?}"),
            }
        }
    }

    #[test]
    fn rejects_bad_counts_and_huge_lengths() {
        for bad in [
            &b"*0\r\n"[..],
            b"*-1\r\n",
            b"*1\r\n$-1\r\n",
            b"*1\r\n$99999999999\r\n",
            b"*1x\r\n",
            b"*1\r\n$3\r\nabcXY",
            b"*1\r\r",
            b"GET k\r\n",
            b"*11111111111111111111111111\r\n",
        ] {
            let (_, err) = read_all(bad);
            assert!(
                matches!(err, Some(ReadError::Format { .. })),
                "{:?}: {err:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn large_arguments_across_reads() {
        let big = "x".repeat(3 * READ_CHUNK + 17);
        let bytes = enc(&[&["SET", "k", &big], &["GET", "k"]]);
        let (cmds, err) = read_all(&bytes);
        assert!(err.is_none());
        assert_eq!(cmds.len(), 2);
        assert_eq!(cmds[0][2].len(), big.len());
    }
}
