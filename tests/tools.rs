//! The real Redis tools against the real binary: redis-cli (one-shot,
//! `--pipe`, `--scan`, `--bigkeys`, `--memkeys`, `--stat`, `--latency`,
//! `--latency-history`, interactive mode with hints), redis-benchmark and nc.
//!
//! Interactive redis-cli, `--stat` and the live `--latency` modes only behave
//! as users see them on a terminal (on a pipe, stdout is block-buffered and
//! the format changes), so those run under a pseudo-terminal that this file
//! opens itself (`openpty`), rather than through `script` or tmux: no extra
//! tool, and every wait is a poll on the bytes the tool wrote, with a
//! deadline. Tools that never exit are killed once their output is checked.
//!
//! A missing tool skips the test with a message, except with `CI=true`,
//! where it fails (CI installs them; see .ci/run).
//!
//! SIGTERM (exit 0 after flushing the AOF) is covered in tests/connection.rs
//! (`sigterm_exits_cleanly`) and tests/persistence.rs
//! (`shutdown_and_sigterm_flush_the_aof_with_appendfsync_no`).

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Server, set, wait_until};

/// Deadline for a tool that should finish on its own. Generous: a loaded
/// 2-core machine running debug builds.
const RUN_DEADLINE: Duration = Duration::from_secs(60);
/// Deadline for one expected piece of terminal output.
const SCREEN_DEADLINE: Duration = Duration::from_secs(20);

fn redis_cli() -> Option<PathBuf> {
    common::external_tool("redis-cli")
}

/// Output of a finished tool.
struct Output {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

impl Output {
    fn both(&self) -> String {
        format!(
            "status {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.status,
            tail(&self.stdout),
            tail(&self.stderr)
        )
    }
}

/// The end of a long output, for assertion messages.
fn tail(s: &str) -> &str {
    let mut at = s.len().saturating_sub(3000);
    while !s.is_char_boundary(at) {
        at += 1;
    }
    &s[at..]
}

/// Run `cmd` to completion with `stdin` as its input (see
/// `common::run_with_input`); past `RUN_DEADLINE` the tool is killed and the
/// test fails.
fn run(cmd: &mut Command, stdin: &[u8]) -> Output {
    let (status, stdout, stderr) = common::run_with_input(cmd, Some(stdin), RUN_DEADLINE);
    Output {
        status,
        stdout,
        stderr,
    }
}

/// `redis-cli -p <port> args...`, expected to succeed.
fn cli(cli: &Path, srv: &Server, args: &[&str]) -> String {
    let o = run(
        Command::new(cli)
            .arg("-p")
            .arg(srv.port().to_string())
            .args(args),
        b"",
    );
    assert!(o.status.success(), "redis-cli {args:?}: {}", o.both());
    o.stdout
}

// --- pseudo-terminal -----------------------------------------------------------

/// A tool running on a pseudo-terminal of 50x250 (wide enough that
/// redis-cli's hints are not cut). A thread copies everything the tool
/// writes into `screen` (raw bytes, escape sequences included).
struct Pty {
    child: Child,
    master: File,
    screen: Arc<Mutex<Vec<u8>>>,
    /// How far `expect` has consumed `screen`.
    pos: usize,
    what: String,
}

/// Mark `fd` close-on-exec so the tool does not inherit the master side
/// (or a stray copy of its own terminal).
fn cloexec(fd: &OwnedFd) {
    // SAFETY: fcntl on a descriptor we own.
    let rc = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC) };
    assert_eq!(rc, 0, "fcntl: {}", std::io::Error::last_os_error());
}

impl Pty {
    fn spawn(program: &Path, args: &[String]) -> Pty {
        let mut master_fd = -1;
        let mut slave_fd = -1;
        let size = libc::winsize {
            ws_row: 50,
            ws_col: 250,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: out-pointers to two ints; no name buffer; termios NULL
        // (defaults); winsize points at a live struct.
        let rc = unsafe {
            libc::openpty(
                &mut master_fd,
                &mut slave_fd,
                std::ptr::null_mut(),
                std::ptr::null(),
                &size,
            )
        };
        assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
        // SAFETY: openpty succeeded, so both are open descriptors we own.
        let (master, slave) = unsafe {
            (
                OwnedFd::from_raw_fd(master_fd),
                OwnedFd::from_raw_fd(slave_fd),
            )
        };
        cloexec(&master);
        cloexec(&slave);
        let stdio = || Stdio::from(slave.try_clone().expect("dup pty slave"));
        let mut cmd = Command::new(program);
        cmd.args(args)
            .stdin(stdio())
            .stdout(stdio())
            .stderr(stdio())
            // linenoise refuses "dumb" terminals; the user's
            // ~/.rediscli_history and ~/.redisclirc stay out of it.
            .env("TERM", "xterm")
            .env("REDISCLI_HISTFILE", "/dev/null")
            .env("REDISCLI_RCFILE", "/dev/null");
        // SAFETY: only async-signal-safe calls between fork and exec: a new
        // session whose controlling terminal is the pty (stdin by now), and
        // death with the test thread.
        unsafe {
            cmd.pre_exec(|| {
                if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {program:?} on a pty: {e}"));
        // Our copies of the slave side go away with `cmd`; the master then
        // reads EIO once the tool has exited.
        drop(cmd);
        drop(slave);
        let master = File::from(master);
        let mut reader = master.try_clone().expect("clone pty master");
        let screen = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&screen);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            // Ends on EOF or EIO (the tool and its terminal are gone).
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Pty {
            child,
            master,
            screen,
            pos: 0,
            what: format!("{} {}", program.display(), args.join(" ")),
        }
    }

    /// Everything written so far, escapes shown as `\x1b`.
    fn screen(&self) -> String {
        let bytes = self.screen.lock().unwrap().clone();
        String::from_utf8_lossy(&bytes).replace('\x1b', "\\x1b")
    }

    /// Wait until `needle` appears after what earlier calls consumed, and
    /// consume up to its end. Fails the test past `SCREEN_DEADLINE`.
    fn expect(&mut self, needle: &str) {
        let mut found = None;
        wait_until(SCREEN_DEADLINE, || {
            let s = self.screen.lock().unwrap();
            found = s.get(self.pos..).and_then(|rest| {
                rest.windows(needle.len())
                    .position(|w| w == needle.as_bytes())
            });
            found.is_some()
        });
        match found {
            Some(at) => self.pos += at + needle.len(),
            None => panic!(
                "{}: {needle:?} did not appear within {SCREEN_DEADLINE:?}; screen:\n{}",
                self.what,
                tail(&self.screen())
            ),
        }
    }

    /// Wait until `done` holds for the whole screen so far.
    fn wait_screen(&self, what: &str, mut done: impl FnMut(&str) -> bool) -> String {
        let mut text = String::new();
        let ok = wait_until(SCREEN_DEADLINE, || {
            text = String::from_utf8_lossy(&self.screen.lock().unwrap()).into_owned();
            done(&text)
        });
        assert!(
            ok,
            "{}: no {what} within {SCREEN_DEADLINE:?}; screen:\n{}",
            self.what,
            tail(&text)
        );
        text
    }

    /// Type `keys` (a terminal sends Enter as `\r`).
    fn send(&mut self, keys: &str) {
        self.master
            .write_all(keys.as_bytes())
            .expect("write to pty");
    }

    /// Wait for the tool to exit by itself.
    fn wait_exit(&mut self) -> ExitStatus {
        let mut status = None;
        wait_until(SCREEN_DEADLINE, || {
            status = self.child.try_wait().ok().flatten();
            status.is_some()
        });
        status.unwrap_or_else(|| {
            panic!(
                "{} did not exit within {SCREEN_DEADLINE:?}; screen:\n{}",
                self.what,
                tail(&self.screen())
            )
        })
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        // Tools like --stat never exit by themselves.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// --- one-shot --------------------------------------------------------------------

#[test]
fn redis_cli_one_shot_commands() {
    let Some(bin) = redis_cli() else { return };
    let srv = Server::start(&[]);
    assert_eq!(cli(&bin, &srv, &["set", "k", "v"]), "OK\n");
    assert_eq!(cli(&bin, &srv, &["get", "k"]), "v\n");
    // A nil reply prints an empty line when stdout is not a terminal.
    assert_eq!(cli(&bin, &srv, &["get", "missing"]), "\n");
    // Raw vs formatted output of a value with a newline and a quote.
    assert_eq!(cli(&bin, &srv, &["set", "nl", "a\nb\"c"]), "OK\n");
    assert_eq!(cli(&bin, &srv, &["--raw", "get", "nl"]), "a\nb\"c\n");
    assert_eq!(
        cli(&bin, &srv, &["--no-raw", "get", "nl"]),
        "\"a\\nb\\\"c\"\n"
    );
    assert_eq!(cli(&bin, &srv, &["--no-raw", "incr", "n"]), "(integer) 1\n");
    assert_eq!(
        cli(
            &bin,
            &srv,
            &["--no-raw", "hset", "h", "f1", "v1", "f2", "v2"]
        ),
        "(integer) 2\n"
    );
    assert_eq!(
        cli(&bin, &srv, &["--no-raw", "hgetall", "h"]),
        "1) \"f1\"\n2) \"v1\"\n3) \"f2\"\n4) \"v2\"\n"
    );
    // -n selects the database.
    assert_eq!(
        cli(&bin, &srv, &["-n", "2", "set", "k2", "in-db-2"]),
        "OK\n"
    );
    assert_eq!(cli(&bin, &srv, &["-n", "2", "get", "k2"]), "in-db-2\n");
    assert_eq!(cli(&bin, &srv, &["get", "k2"]), "\n");
    assert_eq!(cli(&bin, &srv, &["-n", "2", "dbsize"]), "1\n");
    assert_eq!(cli(&bin, &srv, &["dbsize"]), "4\n");
    // Errors: printed on stdout, as redis-server 7 does them (followed by
    // an empty line; exit status 0 for a one-shot command).
    assert_eq!(
        cli(&bin, &srv, &["get", "h"]),
        "WRONGTYPE Operation against a key holding the wrong kind of value\n\n"
    );
    assert_eq!(
        cli(&bin, &srv, &["--no-raw", "incr", "k"]),
        "(error) ERR value is not an integer or out of range\n"
    );
    assert_eq!(
        cli(&bin, &srv, &["nosuchcommand", "a"]),
        "ERR unknown command 'nosuchcommand', with args beginning with: 'a' \n\n"
    );
}

// --- --pipe --------------------------------------------------------------------------

#[test]
fn redis_cli_pipe_mass_insert_100k() {
    let Some(bin) = redis_cli() else { return };
    let srv = Server::start(&[]);
    const N: usize = 100_000;
    let mut input = Vec::with_capacity(N * 48);
    for i in 0..N {
        input.extend_from_slice(&common::encode(&[
            b"SET",
            format!("key:{i}").as_bytes(),
            format!("value:{i}").as_bytes(),
        ]));
    }
    // redis-cli ends the stream with `ECHO <20 random bytes>` and waits for
    // exactly those bytes back: the summary only comes if ECHO is exact.
    let o = run(
        Command::new(&bin).args(["-p", &srv.port().to_string(), "--pipe"]),
        &input,
    );
    assert!(o.status.success(), "{}", o.both());
    assert!(
        o.stdout
            .contains("All data transferred. Waiting for the last reply...\nLast reply received from server.\nerrors: 0, replies: 100000\n"),
        "{}",
        o.both()
    );
    let mut con = srv.client();
    let n: usize = redis::cmd("DBSIZE").query(&mut con).unwrap();
    assert_eq!(n, N);
    for i in [0, 1, N / 2, N - 1] {
        let v: String = redis::cmd("GET")
            .arg(format!("key:{i}"))
            .query(&mut con)
            .unwrap();
        assert_eq!(v, format!("value:{i}"));
    }
}

#[test]
fn redis_cli_pipe_inline_commands_count_errors() {
    let Some(bin) = redis_cli() else { return };
    let srv = Server::start(&[]);
    let o = run(
        Command::new(&bin).args(["-p", &srv.port().to_string(), "--pipe"]),
        b"SET a 1\r\nINCR a\r\nHSET a f v\r\nSET \"quoted key\" 'x y'\r\n",
    );
    // Same output and status as against redis-server 7.0.
    assert_eq!(o.status.code(), Some(1), "{}", o.both());
    assert_eq!(
        o.stdout,
        "All data transferred. Waiting for the last reply...\n\
         Last reply received from server.\n\
         errors: 1, replies: 4\n",
        "{}",
        o.both()
    );
    assert_eq!(
        o.stderr,
        "WRONGTYPE Operation against a key holding the wrong kind of value\n",
        "{}",
        o.both()
    );
    let mut con = srv.client();
    let v: String = redis::cmd("GET").arg("quoted key").query(&mut con).unwrap();
    assert_eq!(v, "x y");
    let v: i64 = redis::cmd("GET").arg("a").query(&mut con).unwrap();
    assert_eq!(v, 2);
}

// --- --scan, --bigkeys, --memkeys ------------------------------------------------------

#[test]
fn redis_cli_scan_returns_exactly_the_keys() {
    let Some(bin) = redis_cli() else { return };
    let srv = Server::start(&[]);
    let mut con = srv.client();
    // Enough keys for many SCAN round trips (redis-cli asks COUNT 10).
    let mut users: Vec<String> = (0..300).map(|i| format!("user:{i}")).collect();
    let mut all = users.clone();
    for u in &users {
        set(&mut con, u, b"x");
    }
    for i in 0..200 {
        let k = format!("session:{i}");
        redis::cmd("HSET")
            .arg(&k)
            .arg("f")
            .arg("v")
            .query::<()>(&mut con)
            .unwrap();
        all.push(k);
    }
    // Not a match for user:* despite the shared prefix.
    set(&mut con, "users", b"x");
    all.push("users".into());
    // Another database is not scanned.
    redis::cmd("SELECT").arg(3).query::<()>(&mut con).unwrap();
    set(&mut con, "user:in-db-3", b"x");

    let lines = |out: String| {
        let mut v: Vec<String> = out.lines().map(str::to_owned).collect();
        v.sort();
        v
    };
    all.sort();
    users.sort();
    assert_eq!(lines(cli(&bin, &srv, &["--scan"])), all);
    assert_eq!(
        lines(cli(&bin, &srv, &["--scan", "--pattern", "user:*"])),
        users
    );
    assert_eq!(
        lines(cli(
            &bin,
            &srv,
            &["-n", "3", "--scan", "--pattern", "user:*"]
        )),
        ["user:in-db-3"]
    );
    assert_eq!(
        lines(cli(&bin, &srv, &["--scan", "--pattern", "nomatch*"])),
        Vec::<String>::new()
    );
}

/// A keyspace with known biggest keys: string `big` (1000 bytes) and hash
/// `bighash` (50 fields), plus smaller ones of both types.
fn fill_for_bigkeys(srv: &Server) {
    let mut con = srv.client();
    for i in 0..100 {
        set(&mut con, format!("s:{i}"), format!("value-{i}").as_bytes());
    }
    set(&mut con, "big", &[b'x'; 1000]);
    for i in 0..20 {
        redis::cmd("HSET")
            .arg(format!("h:{i}"))
            .arg("f")
            .arg("v")
            .query::<()>(&mut con)
            .unwrap();
    }
    let mut hset = redis::cmd("HSET");
    hset.arg("bighash");
    for i in 0..50 {
        hset.arg(format!("field:{i}")).arg(format!("value:{i}"));
    }
    hset.query::<()>(&mut con).unwrap();
}

#[test]
fn redis_cli_bigkeys_names_the_biggest_keys() {
    let Some(bin) = redis_cli() else { return };
    let srv = Server::start(&[]);
    fill_for_bigkeys(&srv);
    let out = cli(&bin, &srv, &["--bigkeys"]);
    for want in [
        "-------- summary -------",
        "Sampled 122 keys in the keyspace!",
        "Biggest   hash found '\"bighash\"' has 50 fields",
        "Biggest string found '\"big\"' has 1000 bytes",
        "21 hashs with 70 fields (17.21% of keys, avg size 3.33)",
        "101 strings with 1790 bytes (82.79% of keys, avg size 17.72)",
    ] {
        assert!(out.contains(want), "no {want:?} in:\n{out}");
    }
}

#[test]
fn redis_cli_memkeys_names_the_biggest_keys() {
    let Some(bin) = redis_cli() else { return };
    let srv = Server::start(&[]);
    fill_for_bigkeys(&srv);
    let out = cli(&bin, &srv, &["--memkeys"]);
    for want in [
        "-------- summary -------",
        "Sampled 122 keys in the keyspace!",
        "Biggest   hash found '\"bighash\"' has ",
        "Biggest string found '\"big\"' has ",
    ] {
        assert!(out.contains(want), "no {want:?} in:\n{out}");
    }
    // MEMORY USAGE of the 1000-byte string is at least its length.
    let line = out
        .lines()
        .find(|l| l.starts_with("Biggest string found"))
        .unwrap();
    let bytes: usize = line
        .trim_end_matches(" bytes")
        .rsplit(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no byte count in {line:?}"));
    assert!((1000..4096).contains(&bytes), "{line}");
}

// --- --stat, --latency ------------------------------------------------------------------

#[test]
fn redis_cli_stat_prints_parsable_rows() {
    let Some(bin) = redis_cli() else { return };
    let srv = Server::start(&[]);
    let mut con = srv.client();
    for i in 0..7 {
        set(&mut con, format!("k{i}"), b"v");
    }
    redis::cmd("SELECT").arg(1).query::<()>(&mut con).unwrap();
    set(&mut con, "other-db", b"v");
    let pty = Pty::spawn(
        &bin,
        &[
            "-p".into(),
            srv.port().to_string(),
            "--stat".into(),
            "-i".into(),
            "0.1".into(),
        ],
    );
    // A header, then one row per interval; never ends by itself.
    let rows_of = |screen: &str| -> Vec<String> {
        screen
            .lines()
            .map(|l| l.trim_end_matches('\r').to_owned())
            .filter(|l| l.starts_with(|c: char| c.is_ascii_digit()))
            .collect()
    };
    let screen = pty.wait_screen("3 rows", |s| rows_of(s).len() >= 3);
    assert!(
        screen.contains(
            "------- data ------ --------------------- load -------------------- - child -"
        ),
        "{screen}"
    );
    assert!(screen.contains("keys       mem      clients blocked requests            connections"));
    let mut last_requests = 0;
    for row in rows_of(&screen).iter().take(3) {
        let cols: Vec<&str> = row.split_whitespace().collect();
        assert!(cols.len() >= 7, "{row:?}");
        // keys: all databases together.
        assert_eq!(cols[0], "8", "{row:?}");
        let mem = cols[1];
        let (num, unit) = mem.split_at(mem.len() - 1);
        assert!(
            ["B", "K", "M", "G"].contains(&unit) && num.parse::<f64>().is_ok_and(|m| m > 0.0),
            "mem column {mem:?} in {row:?}"
        );
        // clients: our connection and redis-cli's.
        assert!(cols[2].parse::<u32>().is_ok_and(|c| c >= 2), "{row:?}");
        assert_eq!(cols[3], "0", "blocked in {row:?}");
        let requests: u64 = cols[4].parse().unwrap_or_else(|_| panic!("{row:?}"));
        assert!(requests > last_requests, "requests do not grow: {row:?}");
        last_requests = requests;
        assert!(
            cols[5].starts_with("(+") && cols[5].ends_with(')'),
            "{row:?}"
        );
        assert!(cols[6].parse::<u64>().is_ok_and(|c| c >= 2), "{row:?}");
    }
}

/// `min: 0, max: 1, avg: 0.09 (11 samples)` → (min, max, avg, samples).
fn parse_latency(s: &str) -> Option<(u64, u64, f64, u64)> {
    let s = s.trim();
    let min = s.strip_prefix("min: ")?;
    let (min, rest) = min.split_once(", max: ")?;
    let (max, rest) = rest.split_once(", avg: ")?;
    let (avg, rest) = rest.split_once(" (")?;
    let samples = rest.split_once(" samples)")?.0;
    Some((
        min.parse().ok()?,
        max.parse().ok()?,
        avg.parse().ok()?,
        samples.parse().ok()?,
    ))
}

fn check_latency((min, max, avg, samples): (u64, u64, f64, u64), line: &str) {
    assert!(samples > 0, "{line}");
    assert!(
        min as f64 <= avg && avg <= max as f64,
        "min <= avg <= max fails: {line}"
    );
}

#[test]
fn redis_cli_latency_on_a_terminal() {
    let Some(bin) = redis_cli() else { return };
    let srv = Server::start(&[]);
    let pty = Pty::spawn(
        &bin,
        &["-p".into(), srv.port().to_string(), "--latency".into()],
    );
    // The line is redrawn in place (ESC[0G ESC[2K) after every sample.
    let samples = |screen: &str| -> Vec<String> {
        screen
            .split("\x1b[2K")
            .filter(|l| l.starts_with("min: ") && l.contains(" samples)"))
            .map(|l| l.split("\x1b").next().unwrap_or(l).to_owned())
            .collect()
    };
    let screen = pty.wait_screen("10 samples", |s| samples(s).len() >= 10);
    let mut last = 0;
    for line in samples(&screen) {
        let parsed = parse_latency(&line).unwrap_or_else(|| panic!("unparsable {line:?}"));
        check_latency(parsed, &line);
        assert!(parsed.3 > last, "sample count does not grow: {line}");
        last = parsed.3;
    }
}

#[test]
fn redis_cli_latency_history_on_a_terminal() {
    let Some(bin) = redis_cli() else { return };
    let srv = Server::start(&[]);
    let args = [
        "-p".into(),
        srv.port().to_string(),
        "--latency-history".into(),
        "-i".into(),
        "0.2".into(),
    ];
    let pty = Pty::spawn(&bin, &args);
    // One finished line per interval: `min: .. (N samples) -- 0.20 seconds range`.
    let ranges = |screen: &str| -> Vec<String> {
        screen
            .split(['\n', '\r'])
            .flat_map(|l| l.split("\x1b[2K"))
            .filter(|l| l.contains(" seconds range"))
            .map(str::to_owned)
            .collect()
    };
    let screen = pty.wait_screen("2 intervals", |s| ranges(s).len() >= 2);
    for line in ranges(&screen) {
        let (stats, range) = line
            .split_once(" -- ")
            .unwrap_or_else(|| panic!("{line:?}"));
        let parsed = parse_latency(stats).unwrap_or_else(|| panic!("unparsable {line:?}"));
        check_latency(parsed, &line);
        let secs: f64 = range
            .trim_end_matches(" seconds range")
            .parse()
            .unwrap_or_else(|_| panic!("{line:?}"));
        assert!(secs >= 0.2, "{line}");
    }
}

#[test]
fn redis_cli_latency_without_terminal_prints_one_line() {
    let Some(bin) = redis_cli() else { return };
    let srv = Server::start(&[]);
    // Not a terminal: sample for a second, print `min max avg samples`, exit 0.
    let out = cli(&bin, &srv, &["--latency"]);
    let fields: Vec<&str> = out.split_whitespace().collect();
    assert_eq!(fields.len(), 4, "{out:?}");
    let min: u64 = fields[0].parse().unwrap();
    let max: u64 = fields[1].parse().unwrap();
    let avg: f64 = fields[2].parse().unwrap();
    let samples: u64 = fields[3].parse().unwrap();
    assert!(
        samples > 0 && min as f64 <= avg && avg <= max as f64,
        "{out:?}"
    );
}

// --- interactive ------------------------------------------------------------------------------

#[test]
fn redis_cli_interactive_with_hints() {
    let Some(bin) = redis_cli() else { return };
    let srv = Server::start(&[]);
    let prompt = format!("127.0.0.1:{}> ", srv.port());
    let mut pty = Pty::spawn(&bin, &["-p".into(), srv.port().to_string()]);
    // Type only after a prompt: linenoise flushes pending input when it
    // switches the terminal to raw mode for each new line.
    pty.expect(&prompt);
    pty.send("SET foo bar\r");
    pty.expect("OK\r\n");
    pty.expect(&prompt);
    pty.send("GET foo\r");
    pty.expect("\"bar\"\r\n");
    pty.expect(&prompt);
    pty.send("HSET h f v\r");
    pty.expect("(integer) 1\r\n");
    pty.expect(&prompt);
    pty.send("GET h\r");
    pty.expect("(error) WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
    pty.expect(&prompt);
    // Hints come from COMMAND DOCS' arguments, shown after the cursor as
    // the user types, and shrink as arguments are typed.
    pty.send("SET ");
    pty.expect("key value [NX|XX] [GET] [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|KEEPTTL]");
    pty.send("k ");
    pty.expect("value [NX|XX] [GET] [EX seconds|PX milliseconds");
    // Ctrl-U clears the line.
    pty.send("\x15hincrby ");
    pty.expect("key field increment");
    pty.send("\x15config get ");
    pty.expect("parameter [parameter ...]");
    pty.send("\x15help hset\r");
    // (Bold name, grey arguments, yellow labels.)
    pty.expect("HSET");
    pty.expect("key field value [field value ...]");
    pty.expect("summary:");
    pty.expect(" Set the string value of a hash field");
    pty.expect("group:");
    pty.expect(" hash");
    pty.expect(&prompt);
    pty.send("exit\r");
    let st = pty.wait_exit();
    assert!(
        st.success(),
        "redis-cli exited with {st}; screen:\n{}",
        tail(&pty.screen())
    );
    // The session's writes reached the server.
    let mut con = srv.client();
    let v: String = redis::cmd("GET").arg("foo").query(&mut con).unwrap();
    assert_eq!(v, "bar");
}

/// Every argument map in COMMAND DOCS has what redis-cli asserts on when it
/// builds hints (a name and a type as bulk strings; flags as a list of
/// status replies), else redis-cli aborts when it starts interactively.
#[test]
fn command_docs_arguments_are_well_formed() {
    fn check_args(cmd: &str, args: &redis::Value) {
        let redis::Value::Array(args) = args else {
            panic!("{cmd}: arguments is {args:?}");
        };
        for a in args {
            let redis::Value::Array(fields) = a else {
                panic!("{cmd}: argument {a:?}");
            };
            let mut name = None;
            let mut kind = None;
            for pair in fields.chunks(2) {
                let [redis::Value::BulkString(k), v] = pair else {
                    panic!("{cmd}: field {pair:?}");
                };
                match (k.as_slice(), v) {
                    (b"name", redis::Value::BulkString(n)) => name = Some(n.clone()),
                    (b"type", redis::Value::BulkString(t)) => kind = Some(t.clone()),
                    (b"token" | b"since", redis::Value::BulkString(_)) => {}
                    (b"flags", redis::Value::Array(flags)) => {
                        for f in flags {
                            assert!(
                                matches!(f, redis::Value::SimpleString(s) if ["optional", "multiple", "multiple_token"].contains(&s.as_str())),
                                "{cmd}: flag {f:?}"
                            );
                        }
                    }
                    (b"arguments", v) => check_args(cmd, v),
                    _ => panic!("{cmd}: unexpected argument field {pair:?}"),
                }
            }
            let kind = kind.unwrap_or_else(|| panic!("{cmd}: argument without type"));
            assert!(name.is_some(), "{cmd}: argument without name");
            let kind = String::from_utf8(kind).unwrap();
            assert!(
                [
                    "key",
                    "string",
                    "integer",
                    "double",
                    "pattern",
                    "unix-time",
                    "pure-token",
                    "oneof",
                    "block"
                ]
                .contains(&kind.as_str()),
                "{cmd}: type {kind}"
            );
        }
    }
    fn check_doc(cmd: &str, doc: &redis::Value, with_args: &mut usize) {
        let redis::Value::Array(fields) = doc else {
            panic!("{cmd}: {doc:?}");
        };
        for pair in fields.chunks(2) {
            match pair {
                [redis::Value::BulkString(k), v] if k == b"arguments" => {
                    *with_args += 1;
                    check_args(cmd, v);
                }
                [redis::Value::BulkString(k), redis::Value::Array(subs)] if k == b"subcommands" => {
                    for sub in subs.chunks(2) {
                        let [redis::Value::BulkString(name), sdoc] = sub else {
                            panic!("{cmd}: subcommand {sub:?}");
                        };
                        check_doc(&String::from_utf8_lossy(name), sdoc, with_args);
                    }
                }
                _ => {}
            }
        }
    }
    let srv = Server::start(&[]);
    let mut con = srv.client();
    let docs: redis::Value = redis::cmd("COMMAND").arg("DOCS").query(&mut con).unwrap();
    let redis::Value::Array(docs) = docs else {
        panic!("{docs:?}")
    };
    let mut with_args = 0;
    for pair in docs.chunks(2) {
        let [redis::Value::BulkString(name), doc] = pair else {
            panic!("{pair:?}");
        };
        check_doc(&String::from_utf8_lossy(name), doc, &mut with_args);
    }
    assert!(
        with_args > 90,
        "only {with_args} commands document their arguments"
    );
}

// --- redis-benchmark, nc ---------------------------------------------------------------------

#[test]
fn redis_benchmark_runs_to_the_end() {
    let Some(bench) = common::external_tool("redis-benchmark") else {
        return;
    };
    let srv = Server::start(&[]);
    let port = srv.port().to_string();
    let o = run(
        Command::new(&bench).args([
            "-p",
            &port,
            "-t",
            "set,get,incr,hset,ping",
            "-P",
            "16",
            "-q",
            "-n",
            "20000",
        ]),
        b"",
    );
    assert!(o.status.success(), "{}", o.both());
    // -q rewrites a progress line with \r; the final one per test stays.
    let lines: Vec<&str> = o.stdout.split(['\r', '\n']).collect();
    for test in ["PING_INLINE", "PING_MBULK", "SET", "GET", "INCR", "HSET"] {
        let prefix = format!("{test}: ");
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with(&prefix) && l.contains("requests per second")),
            "no {test} result:\n{}",
            o.both()
        );
    }
    let all = format!("{}{}", o.stdout, o.stderr);
    for bad in ["WARNING", "rror", "ERR"] {
        assert!(
            !all.contains(bad),
            "{bad:?} in redis-benchmark output:\n{}",
            o.both()
        );
    }
    // The benchmark's keys are there (without -r, `__rand_int__` stays
    // literal): INCR ran exactly -n times, as against redis-server (20000
    // is a multiple of the pipeline depth, so no batch overshoots).
    let mut con = srv.client();
    let counter: i64 = redis::cmd("GET")
        .arg("counter:__rand_int__")
        .query(&mut con)
        .unwrap();
    assert_eq!(counter, 20000);
    let t: String = redis::cmd("TYPE").arg("myhash").query(&mut con).unwrap();
    assert_eq!(t, "hash");
}

#[test]
fn nc_inline_ping() {
    let Some(nc) = common::external_tool_from("nc", "netcat-openbsd") else {
        return;
    };
    let srv = Server::start(&[]);
    // `printf 'PING\r\n' | nc -q1 127.0.0.1 <port>`: an inline command
    // typed into a raw TCP tool; nc quits a second after its input ends.
    let o = run(
        Command::new(nc).args(["-q1", "127.0.0.1", &srv.port().to_string()]),
        b"PING\r\nECHO \"hello world\"\r\n",
    );
    assert!(o.status.success(), "{}", o.both());
    assert_eq!(o.stdout, "+PONG\r\n$11\r\nhello world\r\n", "{}", o.both());
}
