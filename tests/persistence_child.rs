//! BGREWRITEAOF with a slow child: a second BGREWRITEAOF while one runs, a
//! killed child, SHUTDOWN during a rewrite, the parent killed during one.
//!
//! Every server here runs with `INMEMDB_REWRITE_KEY_DELAY_US` (the child
//! sleeps that long per key, like Redis's `rdb-key-save-delay` in its own
//! tests), which is why these tests have their own binary: the variable is
//! set once, before any server is spawned, and inherited by all of them.

// In test code a panic is how a test fails.
#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::fs;
use std::path::PathBuf;
use std::sync::Once;
use std::time::Duration;

use common::{IO_DEADLINE, Server, child_processes, config_set, dbsize, set, wait_until};

/// 100 keys × 20 ms: a rewrite takes about 2 s.
const KEY_DELAY_US: &str = "20000";
const KEYS: usize = 100;

fn start(args: &[&str]) -> Server {
    static ENV: Once = Once::new();
    ENV.call_once(|| {
        // SAFETY: every test calls this before spawning anything, and no
        // other code in this binary reads or writes the environment.
        unsafe { std::env::set_var("INMEMDB_REWRITE_KEY_DELAY_US", KEY_DELAY_US) };
    });
    Server::start(args)
}

/// A field of INFO persistence.
fn aof_info(con: &mut redis::Connection, field: &str) -> String {
    common::info_field(con, "persistence", field)
}

fn fill(con: &mut redis::Connection) {
    for i in 0..KEYS {
        set(con, format!("k{i}"), i);
    }
}

fn process_exists(pid: u32) -> bool {
    fs::metadata(format!("/proc/{pid}")).is_ok()
        && fs::read_to_string(format!("/proc/{pid}/stat"))
            .map(|s| !s.contains(") Z "))
            .unwrap_or(false)
}

fn temp_file(s: &Server, child: u32) -> PathBuf {
    s.dir().join(format!("temp-rewriteaof-bg-{child}.aof"))
}

/// Wait until no rewrite child runs, whether the rewrite worked or not.
fn wait_rewrite_over(con: &mut redis::Connection) {
    assert!(
        wait_until(IO_DEADLINE, || aof_info(con, "aof_rewrite_in_progress")
            == "0"),
        "rewrite still running"
    );
}

/// Start a rewrite and return the child's pid once its temp file exists.
fn start_rewrite(s: &Server, con: &mut redis::Connection) -> u32 {
    let r: String = redis::cmd("BGREWRITEAOF").query(con).unwrap();
    assert_eq!(r, "Background append only file rewriting started");
    let mut child = 0;
    assert!(wait_until(IO_DEADLINE, || {
        child = child_processes(s.pid()).first().map_or(0, |c| c.0);
        child != 0 && temp_file(s, child).exists()
    }));
    child
}

#[test]
fn second_bgrewriteaof_while_one_runs() {
    let s = start(&["--appendonly", "yes"]);
    let mut con = s.client();
    fill(&mut con);
    start_rewrite(&s, &mut con);
    let mut raw = s.raw();
    raw.send_cmd(&[b"BGREWRITEAOF"]);
    raw.expect(b"-ERR Background append only file rewriting already in progress\r\n");
    assert_eq!(aof_info(&mut con, "aof_rewrite_in_progress"), "1");
    assert_ne!(aof_info(&mut con, "aof_current_rewrite_time_sec"), "-1");
    wait_rewrite_over(&mut con);
    assert_eq!(aof_info(&mut con, "aof_last_bgrewrite_status"), "ok");
    assert!(child_processes(s.pid()).is_empty(), "child not reaped");
}

#[test]
fn killed_child_leaves_the_old_aof_and_reports_err() {
    let mut s = start(&["--appendonly", "yes", "--appendfsync", "always"]);
    let mut con = s.client();
    fill(&mut con);
    let child = start_rewrite(&s, &mut con);
    // Writes during the doomed rewrite go to the old AOF as usual.
    set(&mut con, "during", "x");
    let aof = fs::read(s.dir().join("appendonly.aof")).unwrap();
    // SAFETY: signalling our server's child.
    assert_eq!(unsafe { libc::kill(child as i32, libc::SIGKILL) }, 0);
    wait_rewrite_over(&mut con);
    assert_eq!(aof_info(&mut con, "aof_last_bgrewrite_status"), "err");
    assert_eq!(aof_info(&mut con, "aof_rewrites_consecutive_failures"), "1");
    assert!(!temp_file(&s, child).exists(), "temp file left behind");
    assert!(child_processes(s.pid()).is_empty(), "child not reaped");
    assert_eq!(fs::read(s.dir().join("appendonly.aof")).unwrap(), aof);
    assert!(
        s.log_tail(20)
            .contains("Background AOF rewrite terminated by signal 9")
    );
    // A later rewrite succeeds and clears the status.
    set(&mut con, "after", "y");
    start_rewrite(&s, &mut con);
    wait_rewrite_over(&mut con);
    assert_eq!(aof_info(&mut con, "aof_last_bgrewrite_status"), "ok");
    drop(con);
    s.kill9();
    s.restart();
    assert_eq!(dbsize(&mut s.client()), KEYS as i64 + 2);
}

#[test]
fn shutdown_during_a_rewrite_kills_the_child() {
    let mut s = start(&["--appendonly", "yes"]);
    let mut con = s.client();
    fill(&mut con);
    let child = start_rewrite(&s, &mut con);
    set(&mut con, "during", "x");
    drop(con);
    let st = s.stop();
    assert!(st.success());
    assert!(!process_exists(child), "rewrite child outlived the server");
    assert!(!temp_file(&s, child).exists());
    s.restart();
    assert_eq!(dbsize(&mut s.client()), KEYS as i64 + 1);
}

#[test]
fn child_dies_with_a_killed_parent() {
    let mut s = start(&["--appendonly", "yes"]);
    let mut con = s.client();
    fill(&mut con);
    let child = start_rewrite(&s, &mut con);
    drop(con);
    s.kill9();
    // PR_SET_PDEATHSIG: the child goes too, so it can't hold the port or
    // finish a rename behind the next server's back.
    assert!(wait_until(IO_DEADLINE, || !process_exists(child)));
    s.restart();
    assert_eq!(dbsize(&mut s.client()), KEYS as i64);
}

#[test]
fn shutdown_waits_for_the_first_rewrite_after_enabling_the_aof() {
    let mut s = start(&[]);
    let mut con = s.client();
    fill(&mut con);
    config_set(&mut con, "appendonly", "yes");
    assert_eq!(aof_info(&mut con, "aof_rewrite_in_progress"), "1");
    set(&mut con, "during", "x");
    drop(con);
    // SIGTERM: there is no AOF until the rewrite completes, so the server
    // waits for it (about 2 s) instead of exiting with nothing persisted.
    s.signal(libc::SIGTERM);
    let st = s.wait_for_exit(IO_DEADLINE + Duration::from_secs(5));
    assert!(st.success());
    let aof = fs::read(s.dir().join("appendonly.aof")).unwrap();
    assert!(common::contains(
        &aof,
        &common::encode(&[b"SET", b"during", b"x"])
    ));
    assert!(s.log_tail(20).contains("Writing initial AOF"));
}
