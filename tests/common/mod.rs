//! Integration-test harness: runs the real `inmemdb` binary on a free port
//! with a fresh data directory, and talks to it with the `redis` crate or
//! raw bytes.
//!
//! Every wait here polls with a deadline; nothing sleeps to synchronise.
//! A spawned server is killed (SIGKILL) and its directory removed on drop.
//! If the test is failing at that point, the tail of the server's log is
//! printed, which is usually the quickest way to see why.
//!
//! Layout of one server's temp root (`std::env::temp_dir()/inmemdb-test-…`):
//! `data/` is the server's `--dir` (AOF files go there), `server.log` holds
//! its stdout and stderr.

// Each test crate uses a different subset of these helpers; and in test
// code a panic is how a test fails.
#![allow(dead_code, clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use std::fs::{self, File};
use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How long the server may take to answer its first PING.
pub const START_DEADLINE: Duration = Duration::from_secs(10);
/// Default deadline for one reply, an EOF or a process exit. Generous:
/// tests run on a loaded 2-core machine next to other builds.
pub const IO_DEADLINE: Duration = Duration::from_secs(10);
/// Interval between polls of a condition.
const POLL_EVERY: Duration = Duration::from_millis(10);
/// Attempts at a free port before giving up (another process may take the
/// port between our probe and the server's bind).
const PORT_ATTEMPTS: usize = 5;

static NEXT_DIR: AtomicUsize = AtomicUsize::new(0);

/// A fresh, empty directory under the system temp dir. The caller removes it.
pub fn temp_dir(tag: &str) -> PathBuf {
    let n = NEXT_DIR.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let dir = std::env::temp_dir().join(format!(
        "inmemdb-test-{tag}-{}-{n}-{nanos}",
        std::process::id()
    ));
    fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

/// A port nobody listens on right now (the kernel picks one; we release it).
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("local_addr").port()
}

/// Poll `cond` until it holds or `deadline` passes; returns whether it held.
pub fn wait_until(deadline: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + deadline;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= end {
            return false;
        }
        std::thread::sleep(POLL_EVERY);
    }
}

/// Encode argv as a RESP multibulk request.
pub fn encode(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Whether `needle` occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

/// Printable rendering of protocol bytes for assertion messages.
pub fn show(b: &[u8]) -> String {
    const MAX: usize = 2000;
    let mut s: String = b
        .iter()
        .take(MAX)
        .flat_map(|&c| c.escape_ascii())
        .map(char::from)
        .collect();
    if b.len() > MAX {
        s.push_str(&format!("... ({} bytes total)", b.len()));
    }
    s
}

// ---- expected replies and reading replies -----------------------------------

/// `$<len>\r\n<payload>\r\n`: a RESP bulk string.
pub fn bulk(payload: &[u8]) -> Vec<u8> {
    let mut out = format!("${}\r\n", payload.len()).into_bytes();
    out.extend_from_slice(payload);
    out.extend_from_slice(b"\r\n");
    out
}

/// `:<n>\r\n`: a RESP integer.
pub fn int(n: i64) -> Vec<u8> {
    format!(":{n}\r\n").into_bytes()
}

/// `-<text>\r\n`: a RESP error (`text` includes the code, e.g. "ERR ...").
pub fn err(text: &str) -> Vec<u8> {
    format!("-{text}\r\n").into_bytes()
}

/// The value of an integer reply; panics on any other reply.
pub fn int_reply(r: &[u8]) -> i64 {
    std::str::from_utf8(r)
        .ok()
        .and_then(|s| s.strip_prefix(':'))
        .and_then(|s| s.strip_suffix("\r\n"))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an integer reply: {}", show(r)))
}

/// The payload of a RESP2 bulk reply; panics on any other reply.
pub fn bulk_payload(r: &[u8]) -> Vec<u8> {
    assert!(r.starts_with(b"$"), "not a bulk reply: {}", show(r));
    let nl = r.iter().position(|&b| b == b'\n').expect("header");
    r[nl + 1..r.len() - 2].to_vec()
}

/// A reply as text, for `contains` checks and messages.
pub fn text(r: &[u8]) -> String {
    String::from_utf8_lossy(r).into_owned()
}

/// Milliseconds since the Unix epoch, by the local clock.
pub fn unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_millis() as u64
}

// ---- INFO and CLIENT LIST ---------------------------------------------------

/// A connection that can be asked for INFO: a raw one or a `redis` crate one.
pub trait Info {
    /// The text of `INFO <section>`.
    fn info(&mut self, section: &str) -> String;
}

impl Info for RawConn {
    fn info(&mut self, section: &str) -> String {
        text(&bulk_payload(&self.cmd(&[b"INFO", section.as_bytes()])))
    }
}

impl Info for redis::Connection {
    fn info(&mut self, section: &str) -> String {
        redis::cmd("INFO")
            .arg(section)
            .query(self)
            .unwrap_or_else(|e| panic!("INFO {section}: {e}"))
    }
}

/// The value of the `name:` line of an INFO text, trailing whitespace cut.
pub fn info_value(info: &str, name: &str) -> Option<String> {
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .map(|v| v.trim_end().to_string())
}

/// The value of `name` in `INFO <section>`; panics if it is missing.
pub fn info_field(c: &mut impl Info, section: &str, name: &str) -> String {
    let info = c.info(section);
    info_value(&info, name).unwrap_or_else(|| panic!("no {name} in INFO {section}:\n{info}"))
}

/// `info_field` as a number; panics if it is missing or not a number.
pub fn info_num<T: std::str::FromStr>(c: &mut impl Info, section: &str, name: &str) -> T {
    let v = info_field(c, section, name);
    v.parse()
        .unwrap_or_else(|_| panic!("{name} in INFO {section} is not a number: {v:?}"))
}

/// The value of `key=` in a CLIENT LIST / CLIENT INFO line ("" if absent).
pub fn field(line: &str, key: &str) -> String {
    line.split_whitespace()
        .find_map(|f| f.strip_prefix(&format!("{key}=")))
        .unwrap_or_default()
        .to_string()
}

/// The CLIENT LIST line of the client named `name`, if it is connected.
pub fn client_line(c: &mut RawConn, name: &str) -> Option<String> {
    let list = text(&c.cmd(&[b"CLIENT", b"LIST"]));
    list.lines()
        .find(|l| l.split_whitespace().any(|f| f == format!("name={name}")))
        .map(str::to_string)
}

/// Send a command whose reply is an integer, and return it.
pub fn query_int(c: &mut RawConn, args: &[&[u8]]) -> i64 {
    int_reply(&c.cmd(args))
}

// ---- through the `redis` crate ------------------------------------------------

/// SET `key` `value`; panics on an error reply.
pub fn set(
    con: &mut redis::Connection,
    key: impl redis::ToRedisArgs,
    value: impl redis::ToRedisArgs,
) {
    redis::cmd("SET")
        .arg(key)
        .arg(value)
        .query::<()>(con)
        .unwrap_or_else(|e| panic!("SET: {e}"));
}

/// DBSIZE of the connection's current db.
pub fn dbsize(con: &mut redis::Connection) -> i64 {
    redis::cmd("DBSIZE")
        .query(con)
        .unwrap_or_else(|e| panic!("DBSIZE: {e}"))
}

/// CONFIG SET `name` `value`; panics on an error reply.
pub fn config_set(con: &mut redis::Connection, name: &str, value: &str) {
    redis::cmd("CONFIG")
        .arg("SET")
        .arg(name)
        .arg(value)
        .query::<()>(con)
        .unwrap_or_else(|e| panic!("CONFIG SET {name} {value}: {e}"));
}

// ---- keys without the string commands ----------------------------------------

/// Creates `key` holding the string "value:0" padded or cut to `size` bytes
/// (0 = unpadded): DEBUG POPULATE makes `__mk:0`, RENAME gives it any
/// (binary) name.
pub fn make_sized(c: &mut RawConn, key: &[u8], size: usize) {
    let size = size.to_string();
    let mut args: Vec<&[u8]> = vec![b"DEBUG", b"POPULATE", b"1", b"__mk"];
    if size != "0" {
        args.push(size.as_bytes());
    }
    c.send_cmd(&args);
    c.expect(b"+OK\r\n");
    c.send_cmd(&[b"RENAME", b"__mk:0", key]);
    c.expect(b"+OK\r\n");
}

/// Creates `key` holding the string "value:0" (see `make_sized`).
pub fn make(c: &mut RawConn, key: &[u8]) {
    make_sized(c, key, 0);
}

// ---- CLIENT ------------------------------------------------------------------

/// Connected clients as the server counts them (`c` included).
pub fn connected_clients(c: &mut RawConn) -> i64 {
    info_num(c, "clients", "connected_clients")
}

/// CLIENT ID of this connection.
pub fn client_id(c: &mut RawConn) -> i64 {
    int_reply(&c.cmd(&[b"CLIENT", b"ID"]))
}

// ---- the server --------------------------------------------------------------

/// A running (or stopped) `inmemdb` process owned by one test.
pub struct Server {
    child: Option<Child>,
    port: u16,
    root: PathBuf,
    dir: PathBuf,
    log: PathBuf,
    /// Arguments after `--port`/`--dir`, kept for `restart`.
    extra: Vec<String>,
}

impl Server {
    /// Start the binary with `--port <free> --dir <fresh dir>` and `extra_args`,
    /// and wait until it answers PING. A leading argument that is not a flag
    /// is a config file and goes first, as redis-server requires. Flags in
    /// `extra_args` come after ours, so they win (don't pass `--port`).
    ///
    /// The server dies with the thread that started it (PR_SET_PDEATHSIG), so
    /// an interrupted test run leaves no orphans: start it from the test's
    /// own thread, not from a helper thread that ends first.
    pub fn start(extra_args: &[&str]) -> Server {
        let root = temp_dir("srv");
        let dir = root.join("data");
        fs::create_dir_all(&dir).expect("create data dir");
        let mut s = Server {
            child: None,
            port: 0,
            log: root.join("server.log"),
            root,
            dir,
            extra: extra_args.iter().map(|s| s.to_string()).collect(),
        };
        let mut last_err = String::new();
        for _ in 0..PORT_ATTEMPTS {
            s.port = free_port();
            match s.spawn_and_wait() {
                Ok(()) => return s,
                // Most likely the port was taken between probe and bind.
                Err(e) => last_err = e,
            }
        }
        panic!(
            "server did not start after {PORT_ATTEMPTS} attempts: {last_err}\n--- server log ---\n{}",
            s.log_tail(40)
        );
    }

    /// Start again on the same port and directory (AOF reload tests). A
    /// running server is stopped with SIGTERM first.
    pub fn restart(&mut self) {
        if self.is_running() {
            let st = self.stop();
            assert!(st.success(), "server exited with {st} on SIGTERM");
        }
        // The port was ours a moment ago; if something grabbed it, fail
        // clearly rather than silently moving to another port.
        let end = Instant::now() + START_DEADLINE;
        loop {
            match self.spawn_and_wait() {
                Ok(()) => return,
                Err(e) if Instant::now() >= end => panic!(
                    "restart on port {} failed: {e}\n--- server log ---\n{}",
                    self.port,
                    self.log_tail(40)
                ),
                Err(_) => std::thread::sleep(POLL_EVERY),
            }
        }
    }

    fn args(&self) -> Vec<String> {
        let mut args = Vec::new();
        let mut extra = self.extra.iter().peekable();
        if let Some(first) = extra.peek()
            && !first.starts_with("--")
        {
            args.push(first.to_string());
            extra.next();
        }
        args.push("--port".into());
        args.push(self.port.to_string());
        args.push("--dir".into());
        args.push(self.dir.display().to_string());
        args.extend(extra.cloned());
        args
    }

    /// Spawn the process and wait for it to answer PING as itself. On
    /// failure the process is gone and `Err` says why.
    fn spawn_and_wait(&mut self) -> Result<(), String> {
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .map_err(|e| format!("open log: {e}"))?;
        let log2 = log.try_clone().map_err(|e| format!("clone log: {e}"))?;
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_inmemdb"));
        cmd.args(self.args())
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log2));
        die_with_parent(&mut cmd);
        let child = cmd.spawn().map_err(|e| format!("spawn: {e}"))?;
        let pid = child.id();
        self.child = Some(child);
        let end = Instant::now() + START_DEADLINE;
        loop {
            if let Some(st) = self.try_wait() {
                self.child = None;
                return Err(format!("server exited during startup with {st}"));
            }
            // PING answered by *our* pid: another test's server could have
            // taken this port between our probe and our bind.
            match probe(self.port) {
                Some(p) if p == pid => return Ok(()),
                Some(p) => {
                    self.kill9();
                    return Err(format!("port {} is served by pid {p}", self.port));
                }
                None => {}
            }
            if Instant::now() >= end {
                self.kill9();
                return Err(format!("no PONG within {START_DEADLINE:?}"));
            }
            std::thread::sleep(POLL_EVERY);
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// "127.0.0.1:<port>"
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The server's `--dir`.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Path of the file holding the server's stdout and stderr.
    pub fn log_path(&self) -> &Path {
        &self.log
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("server is not running").id()
    }

    pub fn is_running(&mut self) -> bool {
        self.child.is_some() && self.try_wait().is_none()
    }

    /// The exit status if the process has exited (reaps it).
    fn try_wait(&mut self) -> Option<ExitStatus> {
        let child = self.child.as_mut()?;
        child.try_wait().ok().flatten()
    }

    /// A `redis` crate connection speaking RESP2.
    pub fn client(&self) -> redis::Connection {
        self.connect(&format!("redis://{}/", self.addr()))
    }

    /// A `redis` crate connection speaking RESP3 (sends HELLO 3).
    pub fn client_resp3(&self) -> redis::Connection {
        self.connect(&format!("redis://{}/?protocol=resp3", self.addr()))
    }

    fn connect(&self, url: &str) -> redis::Connection {
        let client = redis::Client::open(url).expect("redis url");
        let con = client
            .get_connection_with_timeout(IO_DEADLINE)
            .unwrap_or_else(|e| panic!("connect to {url}: {e}"));
        con.set_read_timeout(Some(IO_DEADLINE))
            .expect("set read timeout");
        con.set_write_timeout(Some(IO_DEADLINE))
            .expect("set write timeout");
        con
    }

    /// A raw TCP connection for byte-exact tests.
    pub fn raw(&self) -> RawConn {
        RawConn::connect(&self.addr())
    }

    /// SIGTERM, then wait for the exit (deadline `IO_DEADLINE`; past it the
    /// process is killed and the test fails).
    pub fn stop(&mut self) -> ExitStatus {
        self.signal(libc::SIGTERM);
        self.wait_for_exit(IO_DEADLINE)
    }

    /// Send a signal to the server process.
    pub fn signal(&self, sig: i32) {
        let pid = self.pid() as libc::pid_t;
        // SAFETY: plain syscall on a pid we spawned and have not reaped.
        let rc = unsafe { libc::kill(pid, sig) };
        assert_eq!(rc, 0, "kill({pid}, {sig}): {}", io::Error::last_os_error());
    }

    /// Wait for the process to exit on its own (after SHUTDOWN or a signal).
    /// Past `deadline` it is killed and the test fails.
    pub fn wait_for_exit(&mut self, deadline: Duration) -> ExitStatus {
        let mut status = None;
        wait_until(deadline, || {
            status = self.try_wait();
            status.is_some()
        });
        match status {
            Some(st) => {
                self.child = None;
                st
            }
            None => {
                self.kill9();
                panic!(
                    "server did not exit within {deadline:?}\n--- server log ---\n{}",
                    self.log_tail(40)
                );
            }
        }
    }

    /// SIGKILL and reap (crash simulation). No-op if not running.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The last `n` lines of the server's log.
    pub fn log_tail(&self, n: usize) -> String {
        let text = fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
        if std::thread::panicking() {
            eprintln!(
                "--- server log (port {}, {}) ---\n{}",
                self.port,
                self.log.display(),
                self.log_tail(30)
            );
        }
        let _ = fs::remove_dir_all(&self.root);
    }
}

/// The `inmemdb` binary with `--port` and `--dir`, for a server a test spawns
/// itself (one expected to refuse to start, or one the harness can't probe).
pub fn server_command(port: u16, dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_inmemdb"));
    cmd.arg("--port")
        .arg(port.to_string())
        .arg("--dir")
        .arg(dir);
    cmd
}

/// Make the process `cmd` spawns get SIGKILL when the thread that spawned it
/// ends (PR_SET_PDEATHSIG), so an interrupted test run leaves no orphans.
pub fn die_with_parent(cmd: &mut Command) -> &mut Command {
    // SAFETY: prctl is async-signal-safe; nothing else runs in the child
    // between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        })
    }
}

/// (pid, state letter) of the processes whose parent is `pid`, from /proc.
pub fn child_processes(pid: u32) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    for e in fs::read_dir("/proc").expect("read /proc").flatten() {
        let Ok(stat) = fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        // "pid (comm) S ppid ..."; comm may contain spaces and parens.
        let Some(close) = stat.rfind(')') else {
            continue;
        };
        let mut f = stat[close + 1..].split_whitespace();
        let state = f.next().unwrap_or("").to_string();
        if f.next().and_then(|p| p.parse::<u32>().ok()) == Some(pid) {
            let child = stat.split(' ').next().and_then(|p| p.parse().ok());
            out.push((child.expect("pid in /proc/*/stat"), state));
        }
    }
    out
}

/// One PING round trip; returns the pid from INFO server if it was a PONG.
fn probe(port: u16) -> Option<u32> {
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let s = TcpStream::connect_timeout(&addr, Duration::from_secs(1)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    let mut c = RawConn::from_stream(s);
    c.send_checked(b"PING\r\n").ok()?;
    if c.try_read_reply().ok()? != b"+PONG\r\n" {
        return None;
    }
    c.send_checked(b"INFO server\r\n").ok()?;
    let info = c.try_read_reply().ok()?;
    let text = String::from_utf8_lossy(&info);
    text.lines()
        .find_map(|l| l.strip_prefix("process_id:"))
        .and_then(|v| v.trim().parse().ok())
}

/// A raw TCP connection. Reads time out (default `IO_DEADLINE`), so a hung
/// server fails the test instead of hanging it.
pub struct RawConn {
    stream: TcpStream,
    /// Bytes received but not yet returned.
    buf: Vec<u8>,
}

impl RawConn {
    pub fn connect(addr: &str) -> RawConn {
        let s = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
        s.set_read_timeout(Some(IO_DEADLINE)).expect("set timeout");
        s.set_write_timeout(Some(IO_DEADLINE)).expect("set timeout");
        // Small writes must leave as written (split-frame tests).
        s.set_nodelay(true).expect("nodelay");
        RawConn::from_stream(s)
    }

    fn from_stream(stream: TcpStream) -> RawConn {
        RawConn {
            stream,
            buf: Vec::new(),
        }
    }

    /// Write all of `bytes`.
    pub fn send(&mut self, bytes: &[u8]) {
        self.send_checked(bytes)
            .unwrap_or_else(|e| panic!("send {}: {e}", show(&bytes[..bytes.len().min(64)])));
    }

    /// Write all of `bytes`, returning the error (the server may already
    /// have closed the connection, e.g. after a protocol error).
    pub fn send_checked(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes)
    }

    /// Send one command as a multibulk request.
    pub fn send_cmd(&mut self, args: &[&[u8]]) {
        self.send(&encode(args));
    }

    /// Send a multibulk command and read its reply.
    pub fn cmd(&mut self, args: &[&[u8]]) -> Vec<u8> {
        self.send_cmd(args);
        self.read_reply()
    }

    /// Sends `requests` (encoded commands) as one pipeline, written by a
    /// second thread so neither side blocks on a full socket buffer, and
    /// returns one reply per request.
    pub fn pipeline(&mut self, requests: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
        let n = requests.len();
        let mut w = self.writer();
        let writer = std::thread::spawn(move || w.write_all(&requests.concat()));
        let replies = (0..n).map(|_| self.read_reply()).collect();
        writer.join().expect("writer thread").expect("write");
        replies
    }

    /// A second handle to the same socket, e.g. for a writer thread while
    /// this one reads (large pipelines must not deadlock on full buffers).
    pub fn writer(&self) -> TcpStream {
        self.stream.try_clone().expect("clone stream")
    }

    /// Our end of the connection, as the server's CLIENT LIST shows it.
    pub fn local_addr(&self) -> String {
        self.stream.local_addr().expect("local_addr").to_string()
    }

    pub fn set_read_timeout(&self, d: Duration) {
        self.stream.set_read_timeout(Some(d)).expect("set timeout");
    }

    /// Close our sending side (the server sees EOF).
    pub fn shutdown_write(&self) {
        let _ = self.stream.shutdown(Shutdown::Write);
    }

    /// Read exactly one RESP2/RESP3 reply, including its framing bytes.
    pub fn read_reply(&mut self) -> Vec<u8> {
        match self.try_read_reply() {
            Ok(r) => r,
            Err(e) => panic!("reading a reply: {e}; received so far: {}", show(&self.buf)),
        }
    }

    /// Like `read_reply`, but returns the I/O error (EOF is `UnexpectedEof`).
    pub fn try_read_reply(&mut self) -> io::Result<Vec<u8>> {
        loop {
            match reply_len(&self.buf, 0) {
                Ok(Some(n)) => return Ok(self.buf.drain(..n).collect()),
                Ok(None) => self.fill()?,
                Err(e) => {
                    return Err(io::Error::new(
                        ErrorKind::InvalidData,
                        format!("{e} in {}", show(&self.buf)),
                    ));
                }
            }
        }
    }

    /// Read exactly `n` bytes (e.g. a known pipeline of replies).
    pub fn read_exact_bytes(&mut self, n: usize) -> Vec<u8> {
        while self.buf.len() < n {
            if let Err(e) = self.fill() {
                panic!(
                    "wanted {n} bytes, got {}: {e}; tail: {}",
                    self.buf.len(),
                    show(&self.buf[self.buf.len().saturating_sub(200)..])
                );
            }
        }
        self.buf.drain(..n).collect()
    }

    fn fill(&mut self) -> io::Result<()> {
        let mut chunk = [0u8; 64 * 1024];
        loop {
            match self.stream.read(&mut chunk) {
                Ok(0) => return Err(ErrorKind::UnexpectedEof.into()),
                Ok(n) => {
                    self.buf.extend_from_slice(&chunk[..n]);
                    return Ok(());
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Read as many whole replies as it takes to cover `expected`, and
    /// assert they are exactly `expected`.
    pub fn expect(&mut self, expected: &[u8]) {
        let mut got = Vec::new();
        while got.len() < expected.len() {
            match self.try_read_reply() {
                // Stop at the first wrong reply instead of waiting for more.
                Ok(r) if !expected[got.len()..].starts_with(&r) => {
                    got.extend_from_slice(&r);
                    break;
                }
                Ok(r) => got.extend_from_slice(&r),
                Err(e) => panic!(
                    "expected {}\nbut got {} then: {e} (pending: {})",
                    show(expected),
                    show(&got),
                    show(&self.buf)
                ),
            }
        }
        assert!(
            got == expected,
            "reply mismatch\nexpected: {}\n     got: {}",
            show(expected),
            show(&got)
        );
    }

    /// Assert the server closes the connection (EOF or reset) within
    /// `IO_DEADLINE` without sending anything more.
    pub fn expect_closed(&mut self) {
        self.expect_closed_within(IO_DEADLINE);
    }

    pub fn expect_closed_within(&mut self, deadline: Duration) {
        assert!(
            self.buf.is_empty(),
            "expected EOF, but unread bytes remain: {}",
            show(&self.buf)
        );
        let end = Instant::now() + deadline;
        let mut chunk = [0u8; 4096];
        loop {
            let left = end.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "connection still open after {deadline:?}");
            self.stream
                .set_read_timeout(Some(left.min(Duration::from_millis(200))))
                .expect("set timeout");
            match self.stream.read(&mut chunk) {
                Ok(0) => return,
                Ok(n) => panic!("expected EOF, got {}", show(&chunk[..n])),
                Err(e) if e.kind() == ErrorKind::ConnectionReset => return,
                Err(e)
                    if matches!(
                        e.kind(),
                        ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                    ) => {}
                Err(e) => panic!("expected EOF, got error {e}"),
            }
        }
    }
}

/// Length of the complete RESP2/RESP3 reply at `buf[at..]`: `Ok(None)` if
/// more bytes are needed, `Err` on bytes that are not RESP.
pub fn reply_len(buf: &[u8], at: usize) -> Result<Option<usize>, String> {
    let Some(&kind) = buf.get(at) else {
        return Ok(None);
    };
    let Some(nl) = buf[at..].windows(2).position(|w| w == b"\r\n") else {
        return Ok(None);
    };
    let line = &buf[at + 1..at + nl];
    let head = nl + 2;
    let num = || -> Result<i64, String> {
        std::str::from_utf8(line)
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("bad length line {:?}", show(line)))
    };
    match kind {
        // Simple string, error, integer, null, bool, double, big number.
        b'+' | b'-' | b':' | b'_' | b'#' | b',' | b'(' => Ok(Some(head)),
        // Bulk string, blob error, verbatim string.
        b'$' | b'!' | b'=' => {
            let n = num()?;
            if n < 0 {
                return Ok(Some(head));
            }
            let total = head + n as usize + 2;
            if buf.len() - at < total {
                return Ok(None);
            }
            if &buf[at + total - 2..at + total] != b"\r\n" {
                return Err("bulk payload not followed by CRLF".into());
            }
            Ok(Some(total))
        }
        // Array, set, push: n elements. Map, attribute: 2n elements.
        b'*' | b'~' | b'>' | b'%' | b'|' => {
            let n = num()?;
            if n < 0 {
                return Ok(Some(head));
            }
            let elems = if matches!(kind, b'%' | b'|') {
                2 * n
            } else {
                n
            };
            let mut len = head;
            for _ in 0..elems {
                match reply_len(buf, at + len)? {
                    Some(l) => len += l,
                    None => return Ok(None),
                }
            }
            // An attribute is metadata in front of the real reply.
            if kind == b'|' {
                match reply_len(buf, at + len)? {
                    Some(l) => len += l,
                    None => return Ok(None),
                }
            }
            Ok(Some(len))
        }
        other => Err(format!("unknown RESP type byte {:?}", other as char)),
    }
}

/// Where an external tool from redis-tools (redis-cli, redis-benchmark) is,
/// if installed. Missing in CI (`CI=true`) is a failure, because CI installs
/// redis-tools and a silent skip would hide that; elsewhere the caller skips.
pub fn external_tool(name: &str) -> Option<PathBuf> {
    external_tool_from(name, "redis-tools")
}

/// `external_tool` for a tool from another package (named in the messages).
pub fn external_tool_from(name: &str, package: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{name} is not installed but CI=true: install {package} (see .ci/run)");
        }
        eprintln!("skipped: {name} not installed (apt-get install {package})");
    }
    found
}

/// Run a command to completion with a deadline; returns (status, stdout,
/// stderr). Past the deadline the command is killed and the test fails.
pub fn run_with_deadline(cmd: &mut Command, deadline: Duration) -> (ExitStatus, String, String) {
    run_with_input(cmd, None, deadline)
}

/// `run_with_deadline`, with `stdin` (if any) as the command's input. Input
/// and output go through files, so no pipe can fill up and stall it.
pub fn run_with_input(
    cmd: &mut Command,
    stdin: Option<&[u8]>,
    deadline: Duration,
) -> (ExitStatus, String, String) {
    let out_dir = temp_dir("cmd");
    let out_path = out_dir.join("stdout");
    let err_path = out_dir.join("stderr");
    match stdin {
        Some(input) => {
            let in_path = out_dir.join("stdin");
            fs::write(&in_path, input).expect("write stdin file");
            cmd.stdin(File::open(&in_path).expect("stdin file"))
        }
        None => cmd.stdin(Stdio::null()),
    };
    let mut child = cmd
        .stdout(File::create(&out_path).expect("stdout file"))
        .stderr(File::create(&err_path).expect("stderr file"))
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {cmd:?}: {e}"));
    let mut status = None;
    wait_until(deadline, || {
        status = child.try_wait().ok().flatten();
        status.is_some()
    });
    let status = status.unwrap_or_else(|| {
        let _ = child.kill();
        let st = child.wait().expect("wait");
        eprintln!("{cmd:?} killed after {deadline:?}");
        st
    });
    let read = |p: &Path| text(&fs::read(p).unwrap_or_default());
    let (stdout, stderr) = (read(&out_path), read(&err_path));
    let _ = fs::remove_dir_all(&out_dir);
    assert!(
        status.signal().is_none(),
        "{cmd:?} was killed ({status}); stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    (status, stdout, stderr)
}
