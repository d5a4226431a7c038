//! Persistence end to end: the real binary with `appendonly yes`, killed
//! with SIGKILL or stopped, restarted on the same directory. Re-expresses
//! redis tests/integration/aof.tcl and tests/unit/aofrw.tcl for what InMemDB
//! supports (single-file AOF, no RDB preamble).
//!
//! Tests that need a slow rewrite child (BGREWRITEAOF while one runs, a
//! killed child) live in tests/persistence_child.rs, which sets an
//! environment variable for every server it starts.

// In test code a panic is how a test fails.
#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use common::{
    IO_DEADLINE, Server, config_set, contains, dbsize, encode, free_port, run_with_deadline, set,
    unix_ms, wait_until,
};

const AOF: &str = "appendonly.aof";

// --- helpers ------------------------------------------------------------------

fn aof_path(s: &Server) -> PathBuf {
    s.dir().join(AOF)
}

/// A field of INFO persistence.
fn aof_info(con: &mut redis::Connection, field: &str) -> String {
    common::info_field(con, "persistence", field)
}

/// Wait until no rewrite is running or scheduled.
fn wait_rewrite_idle(con: &mut redis::Connection) {
    assert!(
        wait_until(IO_DEADLINE * 3, || {
            aof_info(con, "aof_rewrite_in_progress") == "0"
                && aof_info(con, "aof_rewrite_scheduled") == "0"
        }),
        "rewrite did not finish"
    );
}

fn bgrewriteaof(con: &mut redis::Connection) {
    let r: String = redis::cmd("BGREWRITEAOF").query(con).unwrap();
    assert_eq!(r, "Background append only file rewriting started");
    wait_rewrite_idle(con);
    assert_eq!(aof_info(con, "aof_last_bgrewrite_status"), "ok");
}

/// Children of `pid` that are zombies (exited, not reaped).
fn zombie_children(pid: u32) -> Vec<u32> {
    common::child_processes(pid)
        .into_iter()
        .filter(|(_, state)| state == "Z")
        .map(|(child, _)| child)
        .collect()
}

/// Spawn the binary directly (for servers expected to refuse to start) and
/// return (success, stdout+stderr).
fn run_server_expecting_exit(dir: &Path, extra: &[&str]) -> (bool, String) {
    let mut cmd = common::server_command(free_port(), dir);
    cmd.args(extra);
    let (st, out, err) = run_with_deadline(&mut cmd, IO_DEADLINE);
    (st.success(), format!("{out}{err}"))
}

/// Spawn the binary on `dir` without waiting for it; it dies with the test
/// thread (PR_SET_PDEATHSIG), like the harness's servers.
fn spawn_raw(dir: &Path, port: u16, extra: &[&str]) -> std::process::Child {
    let mut cmd = common::server_command(port, dir);
    cmd.args(extra).stdout(std::process::Stdio::null());
    common::die_with_parent(&mut cmd).spawn().unwrap()
}

fn check_aof(path: &Path, fix: bool) -> (i32, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_inmemdb"));
    cmd.arg("--check-aof");
    if fix {
        cmd.arg("--fix");
    }
    cmd.arg(path);
    let (st, out, err) = run_with_deadline(&mut cmd, IO_DEADLINE);
    (st.code().unwrap_or(-1), format!("{out}{err}"))
}

/// A value as the dump sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Val {
    Str(Vec<u8>),
    Hash(BTreeMap<Vec<u8>, Vec<u8>>),
}

/// Every key of `universe` in dbs `dbs`: value and absolute expiry (ms,
/// from the local clock and PTTL). DBSIZE is recorded too, so keys outside
/// the universe would show up as a difference.
type Dump = (BTreeMap<(u32, String), (Val, Option<u64>)>, Vec<i64>);

fn dump(s: &Server, dbs: &[u32], universe: &[String]) -> Dump {
    let mut out = BTreeMap::new();
    let mut sizes = Vec::new();
    for &db in dbs {
        let mut con = s.client();
        redis::cmd("SELECT").arg(db).query::<()>(&mut con).unwrap();
        sizes.push(redis::cmd("DBSIZE").query(&mut con).unwrap());
        for k in universe {
            let v = match redis::cmd("GET").arg(k).query::<Option<Vec<u8>>>(&mut con) {
                Ok(None) => continue,
                Ok(Some(v)) => Val::Str(v),
                Err(e) if e.code() == Some("WRONGTYPE") => {
                    let h: BTreeMap<Vec<u8>, Vec<u8>> =
                        redis::cmd("HGETALL").arg(k).query(&mut con).unwrap();
                    Val::Hash(h)
                }
                Err(e) => panic!("GET {k}: {e}"),
            };
            let pttl: i64 = redis::cmd("PTTL").arg(k).query(&mut con).unwrap();
            let at = (pttl >= 0).then(|| unix_ms() + pttl as u64);
            out.insert((db, k.clone()), (v, at));
        }
    }
    (out, sizes)
}

fn assert_same_dump(a: &Dump, b: &Dump) {
    assert_eq!(a.1, b.1, "DBSIZE differs");
    assert_eq!(a.0.len(), b.0.len(), "number of keys differs");
    for (k, (va, ta)) in &a.0 {
        let (vb, tb) =
            b.0.get(k)
                .unwrap_or_else(|| panic!("{k:?} missing after restart"));
        assert_eq!(va, vb, "value of {k:?}");
        match (ta, tb) {
            (None, None) => {}
            // PTTL is read at different moments: allow for the time between.
            (Some(x), Some(y)) => assert!(x.abs_diff(*y) < 3000, "TTL of {k:?}: {x} vs {y}"),
            _ => panic!("TTL presence of {k:?}: {ta:?} vs {tb:?}"),
        }
    }
}

// --- the write model for crash tests ------------------------------------------

#[derive(Clone, Debug)]
enum Op {
    Set(String, String),
    HSet(String, String, String),
    Incr(String),
}

type Model = HashMap<String, Val>;

fn apply(m: &mut Model, op: &Op) {
    match op {
        Op::Set(k, v) => {
            m.insert(k.clone(), Val::Str(v.as_bytes().to_vec()));
        }
        Op::HSet(k, f, v) => {
            let e = m
                .entry(k.clone())
                .or_insert_with(|| Val::Hash(BTreeMap::new()));
            if let Val::Hash(h) = e {
                h.insert(f.as_bytes().to_vec(), v.as_bytes().to_vec());
            }
        }
        Op::Incr(k) => {
            let n = match m.get(k) {
                Some(Val::Str(v)) => String::from_utf8_lossy(v).parse::<i64>().unwrap() + 1,
                _ => 1,
            };
            m.insert(k.clone(), Val::Str(n.to_string().into_bytes()));
        }
    }
}

fn op_key(op: &Op) -> &str {
    match op {
        Op::Set(k, _) | Op::HSet(k, _, _) | Op::Incr(k) => k,
    }
}

/// What one writer thread did: the acknowledged ops in order, and the op
/// that was sent when the connection broke (it may or may not be applied).
struct WriterLog {
    acked: Vec<Op>,
    in_flight: Option<Op>,
}

/// Write ops for thread `t` until the connection fails (the server is
/// killed) or `stop` is set.
fn writer(addr: String, t: usize, stop: Arc<AtomicBool>, acked_total: Arc<AtomicU64>) -> WriterLog {
    let client = redis::Client::open(format!("redis://{addr}/")).unwrap();
    let mut con = client.get_connection_with_timeout(IO_DEADLINE).unwrap();
    con.set_read_timeout(Some(IO_DEADLINE)).unwrap();
    let mut log = WriterLog {
        acked: Vec::new(),
        in_flight: None,
    };
    let mut i = 0u64;
    while !stop.load(Ordering::Relaxed) {
        let op = match i % 3 {
            0 => Op::Set(format!("w:{t}:{}", i % 50), i.to_string()),
            1 => Op::HSet(
                format!("h:{t}:{}", i % 7),
                format!("f{}", i % 11),
                i.to_string(),
            ),
            _ => Op::Incr(format!("c:{t}")),
        };
        let cmd = match &op {
            Op::Set(k, v) => redis::cmd("SET").arg(k).arg(v).clone(),
            Op::HSet(k, f, v) => redis::cmd("HSET").arg(k).arg(f).arg(v).clone(),
            Op::Incr(k) => redis::cmd("INCR").arg(k).clone(),
        };
        log.in_flight = Some(op.clone());
        match cmd.query::<redis::Value>(&mut con) {
            Ok(_) => {
                log.in_flight = None;
                log.acked.push(op);
                acked_total.fetch_add(1, Ordering::Relaxed);
            }
            Err(_) => break,
        }
        i += 1;
    }
    log
}

/// Run `threads` writers, SIGKILL the server once `min_acked` writes were
/// acknowledged, restart, and return the logs.
fn kill9_under_load(s: &mut Server, threads: usize, min_acked: u64) -> Vec<WriterLog> {
    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(AtomicU64::new(0));
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let (addr, stop, acked) = (s.addr(), stop.clone(), acked.clone());
            thread::spawn(move || writer(addr, t, stop, acked))
        })
        .collect();
    assert!(
        wait_until(IO_DEADLINE * 3, || acked.load(Ordering::Relaxed)
            >= min_acked),
        "writers too slow"
    );
    s.kill9();
    let logs: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    s.restart();
    logs
}

/// Keys that don't match the acknowledged writes (allowing the in-flight op
/// to be applied or not).
fn lost_writes(s: &Server, logs: &[WriterLog]) -> Vec<String> {
    let mut con = s.client();
    let mut bad = Vec::new();
    for log in logs {
        let mut model = Model::new();
        for op in &log.acked {
            apply(&mut model, op);
        }
        let mut with_flight = model.clone();
        if let Some(op) = &log.in_flight {
            apply(&mut with_flight, op);
        }
        let mut keys: Vec<&String> = with_flight.keys().collect();
        keys.sort();
        for k in keys {
            let actual = match redis::cmd("GET").arg(k).query::<Option<Vec<u8>>>(&mut con) {
                Ok(v) => v.map(Val::Str),
                Err(_) => Some(Val::Hash(
                    redis::cmd("HGETALL").arg(k).query(&mut con).unwrap(),
                )),
            };
            let ok = actual.as_ref() == model.get(k)
                || (log.in_flight.as_ref().is_some_and(|op| op_key(op) == k)
                    && actual.as_ref() == with_flight.get(k));
            if !ok {
                bad.push(format!(
                    "{k}: have {actual:?}, acknowledged {:?}",
                    model.get(k)
                ));
            }
        }
    }
    bad
}

// --- crash safety -----------------------------------------------------------------

#[test]
fn appendfsync_always_kill9_loses_no_acknowledged_write() {
    let mut s = Server::start(&["--appendonly", "yes", "--appendfsync", "always"]);
    let logs = kill9_under_load(&mut s, 4, 3000);
    let acked: usize = logs.iter().map(|l| l.acked.len()).sum();
    let lost = lost_writes(&s, &logs);
    eprintln!(
        "appendfsync always: {acked} acknowledged writes from 4 clients before kill -9, {} lost",
        lost.len()
    );
    assert!(
        lost.is_empty(),
        "lost acknowledged writes:\n{}",
        lost.join("\n")
    );
}

#[test]
fn appendfsync_everysec_kill9_loss_window() {
    let mut s = Server::start(&["--appendonly", "yes", "--appendfsync", "everysec"]);
    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(AtomicU64::new(0));
    // Each writer overwrites one key with 0, 1, 2, ... and records when each
    // value was acknowledged.
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let (addr, stop, acked) = (s.addr(), stop.clone(), acked.clone());
            thread::spawn(move || {
                let client = redis::Client::open(format!("redis://{addr}/")).unwrap();
                let mut con = client.get_connection_with_timeout(IO_DEADLINE).unwrap();
                let mut times = Vec::new();
                for i in 0u64.. {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let r = redis::cmd("SET")
                        .arg(format!("ev:{t}"))
                        .arg(i)
                        .query::<()>(&mut con);
                    if r.is_err() {
                        break;
                    }
                    times.push(Instant::now());
                    acked.fetch_add(1, Ordering::Relaxed);
                }
                times
            })
        })
        .collect();
    // Long enough for several background fsyncs.
    let start = Instant::now();
    assert!(wait_until(IO_DEADLINE * 3, || {
        acked.load(Ordering::Relaxed) >= 5000 && start.elapsed() >= Duration::from_millis(2500)
    }));
    s.kill9();
    let killed_at = Instant::now();
    let times: Vec<Vec<Instant>> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    s.restart();
    let mut con = s.client();
    let mut window = Duration::ZERO;
    let mut lost = 0;
    for (t, ts) in times.iter().enumerate() {
        let v: Option<u64> = redis::cmd("GET")
            .arg(format!("ev:{t}"))
            .query(&mut con)
            .unwrap();
        let survived = v.map_or(0, |v| v as usize + 1);
        // Every value up to the last acknowledged one (or one more, in flight).
        if survived < ts.len() {
            lost += ts.len() - survived;
            window = window.max(killed_at - ts[survived]);
        }
    }
    let total: usize = times.iter().map(Vec::len).sum();
    eprintln!(
        "appendfsync everysec: {total} acknowledged writes, {lost} lost by kill -9, loss window {window:?}"
    );
    // Redis's bound: 1 s between fsyncs, plus up to 2 s of postponed writes
    // while an fsync is slow (whole-second clock, so < 3 s).
    assert!(window < Duration::from_secs(3), "loss window {window:?}");
}

#[test]
fn shutdown_and_sigterm_flush_the_aof_with_appendfsync_no() {
    let mut s = Server::start(&["--appendonly", "yes", "--appendfsync", "no"]);
    let mut con = s.client();
    for i in 0..100 {
        set(&mut con, format!("k{i}"), i);
    }
    drop(con);
    s.restart(); // SIGTERM
    let mut con = s.client();
    assert_eq!(dbsize(&mut con), 100);
    set(&mut con, "after", "x");
    let mut raw = s.raw();
    raw.send(&encode(&[b"SHUTDOWN"]));
    raw.expect_closed();
    s.wait_for_exit(IO_DEADLINE);
    s.restart();
    let mut con = s.client();
    let v: String = redis::cmd("GET").arg("after").query(&mut con).unwrap();
    assert_eq!(v, "x");
}

// --- loading -----------------------------------------------------------------------

/// Write `n` keys, stop the server, return the AOF bytes and the offsets
/// where each command ends.
fn aof_with_keys(s: &mut Server, n: usize) -> Vec<u8> {
    let mut con = s.client();
    for i in 0..n {
        set(&mut con, format!("key:{i}"), format!("value:{i}"));
    }
    drop(con);
    let st = s.stop();
    assert!(st.success());
    fs::read(aof_path(s)).unwrap()
}

#[test]
fn truncated_tail_is_cut_and_complete_commands_load() {
    let mut s = Server::start(&["--appendonly", "yes"]);
    let bytes = aof_with_keys(&mut s, 50);
    let last = encode(&[b"SET", b"key:49", b"value:49"]);
    assert!(bytes.ends_with(&last));
    let complete = bytes.len() - last.len();
    // Cut the last command in the middle of its value.
    fs::write(aof_path(&s), &bytes[..bytes.len() - 5]).unwrap();
    s.restart();
    let mut con = s.client();
    assert_eq!(dbsize(&mut con), 49);
    let v: String = redis::cmd("GET").arg("key:48").query(&mut con).unwrap();
    assert_eq!(v, "value:48");
    assert!(
        s.log_tail(50)
            .contains(&format!("Truncating the AOF {AOF} at offset {complete}"))
    );
    // The file was cut back to the last complete command, and appending
    // continues from there.
    assert_eq!(fs::metadata(aof_path(&s)).unwrap().len(), complete as u64);
    set(&mut con, "more", "1");
    drop(con);
    s.restart();
    assert_eq!(dbsize(&mut s.client()), 50);
}

#[test]
fn truncated_tail_refused_without_aof_load_truncated() {
    let mut s = Server::start(&["--appendonly", "yes"]);
    let bytes = aof_with_keys(&mut s, 5);
    let cut = &bytes[..bytes.len() - 3];
    fs::write(aof_path(&s), cut).unwrap();
    let (ok, out) = run_server_expecting_exit(
        s.dir(),
        &["--appendonly", "yes", "--aof-load-truncated", "no"],
    );
    assert!(!ok, "{out}");
    assert!(
        out.contains("Unexpected end of file reading the append only file"),
        "{out}"
    );
    assert_eq!(
        fs::read(aof_path(&s)).unwrap(),
        cut,
        "file must be untouched"
    );
}

#[test]
fn corruption_in_the_middle_refuses_to_start_and_leaves_the_file() {
    let mut s = Server::start(&["--appendonly", "yes"]);
    let bytes = aof_with_keys(&mut s, 40);
    // Corrupt the '$' of the first argument of the 20th SET.
    let needle = encode(&[b"SET", b"key:20", b"value:20"]);
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle.as_slice())
        .unwrap();
    let bad_at = at + 4; // "*3\r\n" then '$'
    let mut bad = bytes.clone();
    bad[bad_at] = b'!';
    fs::write(aof_path(&s), &bad).unwrap();
    let (ok, out) = run_server_expecting_exit(s.dir(), &["--appendonly", "yes"]);
    assert!(!ok, "{out}");
    assert!(
        out.contains("Bad file format reading the append only file"),
        "{out}"
    );
    assert!(out.contains(&format!("at offset {bad_at}")), "{out}");
    assert_eq!(
        fs::read(aof_path(&s)).unwrap(),
        bad,
        "file must be byte-identical"
    );

    // --check-aof names the same offset; --fix keeps the 19 commands before.
    let (code, out) = check_aof(&aof_path(&s), false);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!("0x{bad_at:>16x}: Expected prefix '$', got: '!'")),
        "{out}"
    );
    assert!(out.contains(&format!("ok_up_to={at},")), "{out}");
    assert_eq!(fs::read(aof_path(&s)).unwrap(), bad);
    let (code, out) = check_aof(&aof_path(&s), true);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Successfully truncated AOF"), "{out}");
    assert_eq!(fs::metadata(aof_path(&s)).unwrap().len(), at as u64);
    let (code, out) = check_aof(&aof_path(&s), false);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("is valid"), "{out}");
    s.restart();
    assert_eq!(dbsize(&mut s.client()), 20);
}

#[test]
fn check_aof_agrees_with_redis_check_aof() {
    let Some(tool) = common::external_tool("redis-check-aof") else {
        return;
    };
    let dir = common::temp_dir("checkaof");
    let good = b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\nb\r\n*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$1\r\nd\r\n";
    let mut cases: Vec<(&str, Vec<u8>)> =
        vec![("good", good.to_vec()), ("cut", good[..45].to_vec())];
    let mut bad = good.to_vec();
    bad[30] = b'X';
    cases.push(("bad", bad));
    let mut multi = good[..23].to_vec();
    multi.extend_from_slice(b"*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\nb\r\n");
    cases.push(("multi", multi));
    for (name, bytes) in cases {
        let p = dir.join(format!("{name}.aof"));
        fs::write(&p, &bytes).unwrap();
        let (ours, out) = check_aof(&p, false);
        let (st, theirs, _) = run_with_deadline(Command::new(&tool).arg(&p), IO_DEADLINE);
        assert_eq!(
            ours,
            st.code().unwrap(),
            "{name}: exit code\n{out}\n{theirs}"
        );
        let ok_up_to = |t: &str| {
            t.split("ok_up_to=")
                .nth(1)
                .and_then(|r| r.split(',').next())
                .map(str::to_string)
        };
        assert_eq!(
            ok_up_to(&out),
            ok_up_to(&theirs),
            "{name}:\n{out}\n{theirs}"
        );
    }
    fs::remove_dir_all(&dir).unwrap();
}

/// Hand-written AOF files: MULTI without EXEC, unknown commands, RDB preamble.
#[test]
fn handcrafted_files() {
    let mut s = Server::start(&["--appendonly", "yes"]);
    s.stop();
    let head = [
        encode(&[b"SELECT", b"0"]),
        encode(&[b"SET", b"a", b"1"]),
        encode(&[b"MULTI"]),
        encode(&[b"SET", b"b", b"2"]),
        encode(&[b"EXEC"]),
    ]
    .concat();
    let tail = [encode(&[b"MULTI"]), encode(&[b"SET", b"c", b"3"])].concat();
    // A transaction cut short by a crash is dropped as a whole.
    fs::write(aof_path(&s), [head.clone(), tail].concat()).unwrap();
    s.restart();
    let mut con = s.client();
    let got: Vec<Option<String>> = redis::cmd("MGET")
        .arg("a")
        .arg("b")
        .arg("c")
        .query(&mut con)
        .unwrap();
    assert_eq!(got, vec![Some("1".into()), Some("2".into()), None]);
    assert!(
        s.log_tail(50)
            .contains("Revert incomplete MULTI/EXEC transaction")
    );
    assert_eq!(fs::read(aof_path(&s)).unwrap(), head);
    drop(con);
    s.stop();

    // Unknown command: refuse, naming it and its offset.
    let bad = [head.clone(), encode(&[b"NOSUCHCMD", b"x"])].concat();
    fs::write(aof_path(&s), &bad).unwrap();
    let (ok, out) = run_server_expecting_exit(s.dir(), &["--appendonly", "yes"]);
    assert!(!ok);
    assert!(
        out.contains(&format!(
            "Unknown command 'NOSUCHCMD' reading the append only file {AOF} at offset {}",
            head.len()
        )),
        "{out}"
    );
    assert_eq!(fs::read(aof_path(&s)).unwrap(), bad);

    // An RDB preamble (Redis 7's default rewrite format) is refused clearly.
    fs::write(aof_path(&s), b"REDIS0010\xfa\x09redis-ver").unwrap();
    let (ok, out) = run_server_expecting_exit(s.dir(), &["--appendonly", "yes"]);
    assert!(!ok);
    assert!(out.contains("starts with an RDB preamble"), "{out}");

    // Redis 7 timestamp annotations are skipped.
    fs::write(
        aof_path(&s),
        [b"#TS:1700000000\r\n".to_vec(), head].concat(),
    )
    .unwrap();
    s.restart();
    assert_eq!(dbsize(&mut s.client()), 2);
}

#[test]
fn clients_get_loading_while_the_aof_loads() {
    let mut s = Server::start(&["--appendonly", "yes"]);
    s.stop();
    // Enough commands that loading takes a while even in release builds.
    let mut big = encode(&[b"SELECT", b"0"]);
    for i in 0..600_000u32 {
        let k = format!("k{}", i % 1000);
        big.extend_from_slice(&encode(&[b"SET", k.as_bytes(), b"some-value-0123456789"]));
    }
    fs::write(aof_path(&s), &big).unwrap();
    let port = free_port();
    let mut child = spawn_raw(s.dir(), port, &["--appendonly", "yes"]);
    let mut saw_loading = false;
    let mut saw_info = false;
    let done = wait_until(IO_DEADLINE * 3, || {
        let Ok(stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
            return false;
        };
        drop(stream);
        let mut c = common::RawConn::connect(&format!("127.0.0.1:{port}"));
        let r = c.cmd(&[b"PING"]);
        if r.starts_with(b"-LOADING") {
            assert_eq!(r, b"-LOADING Redis is loading the dataset in memory\r\n");
            saw_loading = true;
            let info = c.cmd(&[b"INFO", b"persistence"]);
            if contains(&info, b"loading:1\r\n") {
                assert!(contains(&info, b"loading_total_bytes:"));
                saw_info = true;
            }
            return false;
        }
        r == b"+PONG\r\n"
    });
    let _ = child.kill();
    let _ = child.wait();
    assert!(done, "server never finished loading");
    assert!(
        saw_loading && saw_info,
        "loading went unobserved (loading={saw_loading}, info={saw_info})"
    );
}

#[test]
fn keys_expire_after_loading_but_not_during() {
    let mut s = Server::start(&["--appendonly", "yes"]);
    let mut con = s.client();
    let now = unix_ms();
    // Deadline soon; PERSIST later in the log must still find the key even
    // if the deadline has passed when the log is replayed.
    redis::cmd("SET")
        .arg("kept")
        .arg("v")
        .arg("PXAT")
        .arg(now + 300)
        .query::<()>(&mut con)
        .unwrap();
    redis::cmd("PERSIST")
        .arg("kept")
        .query::<i64>(&mut con)
        .unwrap();
    redis::cmd("SET")
        .arg("gone")
        .arg("v")
        .arg("PXAT")
        .arg(now + 300)
        .query::<()>(&mut con)
        .unwrap();
    drop(con);
    s.stop();
    assert!(wait_until(IO_DEADLINE, || unix_ms() > now + 400));
    s.restart();
    let mut con = s.client();
    let kept: Option<String> = redis::cmd("GET").arg("kept").query(&mut con).unwrap();
    assert_eq!(kept.as_deref(), Some("v"));
    let gone: Option<String> = redis::cmd("GET").arg("gone").query(&mut con).unwrap();
    assert_eq!(gone, None);
}

// --- rewrite -------------------------------------------------------------------------

/// Key universe of the rewrite test.
fn universe() -> Vec<String> {
    let mut u = Vec::new();
    u.extend((0..200).map(|i| format!("s:{i}")));
    u.extend((0..40).map(|i| format!("h:{i}")));
    u.extend((0..40).map(|i| format!("t:{i}")));
    u.extend((0..20).map(|i| format!("c:{i}")));
    u
}

/// Overwrite-heavy writes on `universe()` in `db` until `stop`.
fn rewrite_load(addr: String, db: u32, seed: u64, stop: Arc<AtomicBool>) -> u64 {
    let client = redis::Client::open(format!("redis://{addr}/{db}")).unwrap();
    let mut con = client.get_connection_with_timeout(IO_DEADLINE).unwrap();
    let far = unix_ms() + 3_600_000;
    let mut x = seed;
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let r = (x >> 33) as usize;
        let mut pipe = redis::pipe();
        for j in 0..10 {
            let r = r.wrapping_add(j * 7919);
            match r % 6 {
                0 | 1 => pipe
                    .cmd("SET")
                    .arg(format!("s:{}", r % 200))
                    .arg(format!("v{r}")),
                2 => pipe
                    .cmd("HSET")
                    .arg(format!("h:{}", r % 40))
                    .arg(format!("f{}", r % 90))
                    .arg(r),
                3 => pipe
                    .cmd("SET")
                    .arg(format!("t:{}", r % 40))
                    .arg(r)
                    .arg("PXAT")
                    .arg(far + (r % 1000) as u64),
                4 => pipe.cmd("INCR").arg(format!("c:{}", r % 20)),
                _ => pipe.cmd("GETDEL").arg(format!("s:{}", r % 200)),
            };
        }
        pipe.query::<()>(&mut con).unwrap();
        n += 10;
    }
    n
}

#[test]
fn bgrewriteaof_under_write_load_keeps_the_dataset_and_shrinks_the_file() {
    let mut s = Server::start(&["--appendonly", "yes"]);
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..3u32)
        .map(|t| {
            let (addr, stop) = (s.addr(), stop.clone());
            thread::spawn(move || rewrite_load(addr, t % 2, u64::from(t) + 1, stop))
        })
        .collect();
    let mut con = s.client();
    for _ in 0..5 {
        bgrewriteaof(&mut con);
    }
    let rewrites: u64 = aof_info(&mut con, "aof_rewrites").parse().unwrap();
    assert_eq!(rewrites, 5);
    stop.store(true, Ordering::Relaxed);
    let writes: u64 = writers.into_iter().map(|h| h.join().unwrap()).sum();
    let before = dump(&s, &[0, 1], &universe());
    let grown: u64 = aof_info(&mut con, "aof_current_size").parse().unwrap();
    bgrewriteaof(&mut con);
    let shrunk: u64 = aof_info(&mut con, "aof_current_size").parse().unwrap();
    assert_eq!(shrunk, fs::metadata(aof_path(&s)).unwrap().len());
    eprintln!(
        "{writes} writes during 5 rewrites; AOF {grown} bytes before the last rewrite, {shrunk} after"
    );
    assert!(shrunk < grown, "{shrunk} >= {grown}");
    // Writes after the rewrite go to the new file.
    set(&mut con, "s:0", "last");
    let before_last = dump(&s, &[0, 1], &universe());
    assert_ne!(before.0, before_last.0);
    assert!(
        zombie_children(s.pid()).is_empty(),
        "unreaped rewrite children"
    );
    drop(con);
    s.kill9();
    s.restart();
    let after = dump(&s, &[0, 1], &universe());
    assert_same_dump(&before_last, &after);
}

#[test]
fn rewrite_while_writes_land_in_the_diff_and_restart_matches() {
    // Rewrites interleaved with kill -9: the diff appended by the parent is
    // what makes the new file complete.
    let mut s = Server::start(&["--appendonly", "yes", "--appendfsync", "always"]);
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (addr, stop) = (s.addr(), stop.clone());
        thread::spawn(move || rewrite_load(addr, 0, 42, stop))
    };
    let mut con = s.client();
    for _ in 0..3 {
        let r: String = redis::cmd("BGREWRITEAOF").query(&mut con).unwrap();
        assert_eq!(r, "Background append only file rewriting started");
        wait_rewrite_idle(&mut con);
    }
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();
    let before = dump(&s, &[0], &universe());
    drop(con);
    s.kill9();
    s.restart();
    assert_same_dump(&before, &dump(&s, &[0], &universe()));
}

#[test]
fn automatic_rewrite_on_growth() {
    let mut s = Server::start(&[
        "--appendonly",
        "yes",
        "--auto-aof-rewrite-percentage",
        "100",
        "--auto-aof-rewrite-min-size",
        "64kb",
    ]);
    let mut con = s.client();
    let value = "x".repeat(100);
    let mut i = 0;
    assert!(wait_until(IO_DEADLINE * 3, || {
        for _ in 0..100 {
            set(&mut con, format!("k{}", i % 10), &value);
            i += 1;
        }
        aof_info(&mut con, "aof_rewrites") != "0"
    }));
    wait_rewrite_idle(&mut con);
    // The new base is the rewritten file (plus the writes made meanwhile);
    // later writes only append.
    let base: u64 = aof_info(&mut con, "aof_base_size").parse().unwrap();
    let size: u64 = aof_info(&mut con, "aof_current_size").parse().unwrap();
    assert!(base > 0 && base <= size, "base {base}, current {size}");
    assert!(
        s.log_tail(50)
            .contains("Starting automatic rewriting of AOF on")
    );
    drop(con);
    s.kill9();
    s.restart();
    assert_eq!(dbsize(&mut s.client()), 10);
}

#[test]
fn bgrewriteaof_with_aof_off_writes_the_file() {
    let mut s = Server::start(&[]);
    let mut con = s.client();
    set(&mut con, "a", "1");
    redis::cmd("HSET")
        .arg("h")
        .arg("f")
        .arg("v")
        .query::<()>(&mut con)
        .unwrap();
    bgrewriteaof(&mut con);
    let bytes = fs::read(aof_path(&s)).unwrap();
    assert!(contains(&bytes, &encode(&[b"HSET", b"h", b"f", b"v"])));
    assert!(contains(&bytes, &encode(&[b"MSET", b"a", b"1"])));
    // Not enabled: later writes are not logged.
    set(&mut con, "b", "2");
    drop(con);
    s.stop();
    assert_eq!(fs::read(aof_path(&s)).unwrap(), bytes);
    assert_eq!(dbsize_with_aof_on(&s), 2);
}

/// Start another server on `s`'s directory with appendonly yes (the
/// harness restarts with the original flags); returns its DBSIZE.
fn dbsize_with_aof_on(s: &Server) -> i64 {
    let port = free_port();
    let mut child = spawn_raw(s.dir(), port, &["--appendonly", "yes"]);
    let addr = format!("127.0.0.1:{port}");
    assert!(wait_until(IO_DEADLINE, || std::net::TcpStream::connect(
        &addr
    )
    .is_ok()));
    let mut c = common::RawConn::connect(&addr);
    let mut n = -1;
    assert!(wait_until(IO_DEADLINE, || {
        let r = c.cmd(&[b"DBSIZE"]);
        if r.starts_with(b":") {
            n = String::from_utf8_lossy(&r[1..r.len() - 2]).parse().unwrap();
            true
        } else {
            false
        }
    }));
    let _ = child.kill();
    let _ = child.wait();
    n
}

#[test]
fn config_set_appendonly_at_runtime() {
    let mut s = Server::start(&[]);
    let mut con = s.client();
    for i in 0..100 {
        set(&mut con, format!("k{i}"), i);
    }
    assert_eq!(aof_info(&mut con, "aof_enabled"), "0");
    config_set(&mut con, "appendonly", "yes");
    assert_eq!(aof_info(&mut con, "aof_enabled"), "1");
    // Writes during the first rewrite are kept too.
    set(&mut con, "during", "x");
    wait_rewrite_idle(&mut con);
    assert_eq!(aof_info(&mut con, "aof_last_bgrewrite_status"), "ok");
    set(&mut con, "after", "y");
    // appendfsync changes apply at once.
    config_set(&mut con, "appendfsync", "always");
    set(&mut con, "always", "z");
    drop(con);
    s.kill9();
    assert_eq!(dbsize_with_aof_on(&s), 103);

    // And off again: the file stops growing.
    let s = Server::start(&["--appendonly", "yes"]);
    let mut con = s.client();
    set(&mut con, "a", "1");
    config_set(&mut con, "appendonly", "no");
    let size = fs::metadata(aof_path(&s)).unwrap().len();
    assert!(size > 0);
    set(&mut con, "b", "2");
    assert_eq!(aof_info(&mut con, "aof_enabled"), "0");
    assert_eq!(fs::metadata(aof_path(&s)).unwrap().len(), size);
}

// --- commands ----------------------------------------------------------------------

#[test]
fn save_bgsave_lastsave_replies() {
    let s = Server::start(&[]);
    let mut c = s.raw();
    let no_rdb = b"-ERR InMemDB has no RDB snapshots: it persists with the append-only file only (CONFIG SET appendonly yes). Use BGREWRITEAOF to compact the AOF.\r\n";
    c.send_cmd(&[b"SAVE"]);
    c.expect(no_rdb);
    c.send_cmd(&[b"BGSAVE"]);
    c.expect(no_rdb);
    c.send_cmd(&[b"BGSAVE", b"SCHEDULE"]);
    c.expect(no_rdb);
    c.send_cmd(&[b"BGSAVE", b"x"]);
    c.expect(b"-ERR syntax error\r\n");
    c.send_cmd(&[b"SAVE", b"x"]);
    c.expect(b"-ERR wrong number of arguments for 'save' command\r\n");
    let r = c.cmd(&[b"LASTSAVE"]);
    let t: u64 = String::from_utf8_lossy(&r[1..r.len() - 2]).parse().unwrap();
    assert!(t.abs_diff(unix_ms() / 1000) < 60, "{t}");
    c.send_cmd(&[b"BGREWRITEAOF", b"x"]);
    c.expect(b"-ERR wrong number of arguments for 'bgrewriteaof' command\r\n");
    let r = c.cmd(&[b"BGREWRITEAOF"]);
    assert_eq!(r, b"+Background append only file rewriting started\r\n");
}

#[test]
fn info_persistence_fields() {
    let s = Server::start(&["--appendonly", "yes"]);
    let mut con = s.client();
    set(&mut con, "a", "1");
    let info: String = redis::cmd("INFO")
        .arg("persistence")
        .query(&mut con)
        .unwrap();
    for f in [
        "loading:0",
        "aof_enabled:1",
        "aof_rewrite_in_progress:0",
        "aof_rewrite_scheduled:0",
        "aof_last_rewrite_time_sec:-1",
        "aof_current_rewrite_time_sec:-1",
        "aof_last_bgrewrite_status:ok",
        "aof_last_write_status:ok",
        "aof_buffer_length:0",
    ] {
        assert!(info.contains(&format!("{f}\r\n")), "{f} in\n{info}");
    }
    let size = fs::metadata(aof_path(&s)).unwrap().len();
    assert!(
        info.contains(&format!("aof_current_size:{size}\r\n")),
        "{info}"
    );
    assert!(info.contains("aof_base_size:0\r\n"), "{info}");
}

#[test]
fn bgrewriteaof_inside_multi_is_scheduled_after_exec() {
    let s = Server::start(&["--appendonly", "yes"]);
    let mut c = s.raw();
    c.send(
        &[
            encode(&[b"MULTI"]),
            encode(&[b"SET", b"a", b"1"]),
            encode(&[b"BGREWRITEAOF"]),
            encode(&[b"SET", b"b", b"2"]),
            encode(&[b"EXEC"]),
        ]
        .concat(),
    );
    c.expect(b"+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n");
    c.expect(b"*3\r\n+OK\r\n+Background append only file rewriting scheduled\r\n+OK\r\n");
    let mut con = s.client();
    // Cron starts it once the transaction is over.
    assert!(wait_until(IO_DEADLINE, || aof_info(
        &mut con,
        "aof_rewrites"
    ) == "1"));
    let bytes = fs::read(aof_path(&s)).unwrap();
    assert!(
        contains(&bytes, &encode(&[b"MSET", b"a", b"1", b"b", b"2"])),
        "{}",
        common::show(&bytes)
    );
}

#[test]
fn loaded_keys_look_freshly_created() {
    let mut s = Server::start(&["--appendonly", "yes"]);
    let mut con = s.client();
    set(&mut con, "a", "1");
    drop(con);
    s.restart();
    let mut con = s.client();
    let idle: i64 = redis::cmd("OBJECT")
        .arg("IDLETIME")
        .arg("a")
        .query(&mut con)
        .unwrap();
    assert!(idle < 10, "idle {idle}");
}
