//! MULTI / EXEC / DISCARD / WATCH / UNWATCH against the real binary, byte
//! for byte where Redis's text matters, plus the `redis` crate's atomic
//! pipelines. Behaviours follow redis tests/unit/multi.tcl; expected bytes
//! were checked against redis-server 7.0.15.

// Test code: a panic is how a test fails.
#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{IO_DEADLINE, Server, bulk, client_line, field, text, wait_until};

#[test]
fn multi_exec_basics() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    c.send(b"MULTI\r\nPING\r\nECHO hi\r\nEXEC\r\n");
    c.expect(b"+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n+PONG\r\n$2\r\nhi\r\n");
    // Empty transaction.
    c.send(b"MULTI\r\nEXEC\r\n");
    c.expect(b"+OK\r\n*0\r\n");
    // DISCARD drops the queue; the connection is back to normal.
    c.send(b"MULTI\r\nPING\r\nDISCARD\r\nPING\r\n");
    c.expect(b"+OK\r\n+QUEUED\r\n+OK\r\n+PONG\r\n");
    // RESP3: same array reply.
    c.cmd(&[b"HELLO", b"3"]);
    c.send(b"MULTI\r\nPING\r\nEXEC\r\n");
    c.expect(b"+OK\r\n+QUEUED\r\n*1\r\n+PONG\r\n");
}

#[test]
fn transaction_errors_exact_text() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    c.send(b"EXEC\r\nDISCARD\r\n");
    c.expect(b"-ERR EXEC without MULTI\r\n-ERR DISCARD without MULTI\r\n");
    // Neither nested MULTI nor WATCH inside MULTI dooms the transaction.
    c.send(b"MULTI\r\nMULTI\r\nWATCH x\r\nPING\r\nEXEC\r\n");
    c.expect(b"+OK\r\n-ERR MULTI calls can not be nested\r\n-ERR WATCH inside MULTI is not allowed\r\n+QUEUED\r\n*1\r\n+PONG\r\n");
    c.send(b"WATCH\r\nUNWATCH x\r\nDISCARD x\r\nMULTI x\r\n");
    c.expect(b"-ERR wrong number of arguments for 'watch' command\r\n");
    c.expect(b"-ERR wrong number of arguments for 'unwatch' command\r\n");
    c.expect(b"-ERR wrong number of arguments for 'discard' command\r\n");
    c.expect(b"-ERR wrong number of arguments for 'multi' command\r\n");
    // A rejected EXEC is an EXECABORT with the reason, in or out of MULTI.
    c.send(b"EXEC foo\r\nMULTI\r\nEXEC foo\r\nEXEC\r\n");
    c.expect(b"-EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command\r\n");
    c.expect(b"+OK\r\n-EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command\r\n");
    c.expect(b"-ERR EXEC without MULTI\r\n");
}

#[test]
fn queueing_errors_abort_exec() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    let abort = b"-EXECABORT Transaction discarded because of previous errors.\r\n";
    c.send(b"MULTI\r\nPING\r\nFOO bar\r\nPING\r\nEXEC\r\n");
    c.expect(b"+OK\r\n+QUEUED\r\n-ERR unknown command 'FOO', with args beginning with: 'bar' \r\n+QUEUED\r\n");
    c.expect(abort);
    c.send(b"MULTI\r\nECHO\r\nEXEC\r\n");
    c.expect(b"+OK\r\n-ERR wrong number of arguments for 'echo' command\r\n");
    c.expect(abort);
    c.send(b"MULTI\r\nCLIENT FOO\r\nEXEC\r\n");
    c.expect(b"+OK\r\n-ERR unknown subcommand 'FOO'. Try CLIENT HELP.\r\n");
    c.expect(abort);
    // The aborted transaction left no MULTI state behind.
    c.send(b"PING\r\n");
    c.expect(b"+PONG\r\n");
}

/// Runtime errors inside EXEC are replies like any other; the remaining
/// commands still run.
#[test]
fn runtime_errors_do_not_stop_exec() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    c.send(b"MULTI\r\nSELECT 99\r\nSELECT 1\r\n");
    c.send_cmd(&[b"CLIENT", b"SETNAME", b"bad name"]);
    c.send(b"ECHO after\r\nEXEC\r\n");
    c.expect(b"+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n");
    let mut exec = b"*4\r\n-ERR DB index is out of range\r\n+OK\r\n".to_vec();
    exec.extend_from_slice(
        b"-ERR Client names cannot contain spaces, newlines or special characters.\r\n",
    );
    exec.extend_from_slice(&bulk(b"after"));
    c.expect(&exec);
    // SELECT inside EXEC stuck.
    let info = text(&c.cmd(&[b"CLIENT", b"INFO"]));
    assert_eq!(field(&info, "db"), "1");
}

/// Commands inside EXEC run in the state earlier ones left: after a queued
/// SUBSCRIBE a RESP2 PING answers in subscribed form (as Redis).
#[test]
fn subscribe_inside_exec() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    c.send(b"MULTI\r\nSUBSCRIBE x\r\nPING\r\nEXEC\r\nPING\r\n");
    c.expect(b"+OK\r\n+QUEUED\r\n+QUEUED\r\n");
    c.expect(b"*2\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\nx\r\n:1\r\n*2\r\n$4\r\npong\r\n$0\r\n\r\n");
    c.expect(b"*2\r\n$4\r\npong\r\n$0\r\n\r\n");
}

#[test]
fn reset_and_client_list_in_multi() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    c.cmd(&[b"CLIENT", b"SETNAME", b"tx"]);
    c.send(b"WATCH k\r\nMULTI\r\nPING\r\nECHO x\r\n");
    c.expect(b"+OK\r\n+OK\r\n+QUEUED\r\n+QUEUED\r\n");
    let mut admin = srv.raw();
    let line = client_line(&mut admin, "tx").expect("client tx listed");
    assert_eq!(field(&line, "flags"), "x");
    assert_eq!(field(&line, "multi"), "2");
    assert_ne!(field(&line, "multi-mem"), "0");
    // RESET ends the transaction (and the watch).
    c.send(b"RESET\r\nEXEC\r\n");
    c.expect(b"+RESET\r\n-ERR EXEC without MULTI\r\n");
    c.cmd(&[b"CLIENT", b"SETNAME", b"tx"]);
    let line = client_line(&mut admin, "tx").expect("client tx listed");
    assert_eq!(field(&line, "flags"), "N");
    assert_eq!(field(&line, "multi"), "-1");
}

/// FLUSHALL/FLUSHDB only touch watched keys that exist (multi.tcl "does
/// not touch non affected keys").
#[test]
fn flush_does_not_touch_missing_watched_keys() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    c.send(b"WATCH x\r\nFLUSHALL\r\nMULTI\r\nPING\r\nEXEC\r\n");
    c.expect(b"+OK\r\n+OK\r\n+OK\r\n+QUEUED\r\n*1\r\n+PONG\r\n");
    c.send(b"WATCH x\r\nFLUSHDB\r\nMULTI\r\nPING\r\nEXEC\r\n");
    c.expect(b"+OK\r\n+OK\r\n+OK\r\n+QUEUED\r\n*1\r\n+PONG\r\n");
    c.send(b"UNWATCH\r\n");
    c.expect(b"+OK\r\n");
}

/// The `redis` crate's MULTI/EXEC pipelines, in RESP2 and RESP3.
#[test]
fn redis_crate_atomic_pipelines() {
    let srv = Server::start(&[]);
    for mut con in [srv.client(), srv.client_resp3()] {
        let (pong, echo, name): (String, String, Option<String>) = redis::pipe()
            .atomic()
            .cmd("PING")
            .cmd("ECHO")
            .arg("hello")
            .cmd("CLIENT")
            .arg("GETNAME")
            .query(&mut con)
            .unwrap();
        assert_eq!(
            (pong.as_str(), echo.as_str(), name),
            ("PONG", "hello", None)
        );
        // A queueing error surfaces as EXECABORT.
        let err = redis::pipe()
            .atomic()
            .cmd("PING")
            .cmd("NOSUCHCOMMAND")
            .query::<()>(&mut con)
            .unwrap_err();
        assert_eq!(err.code(), Some("EXECABORT"), "{err}");
        // The connection is usable afterwards.
        let pong: String = redis::cmd("PING").query(&mut con).unwrap();
        assert_eq!(pong, "PONG");
    }
}

#[test]
fn exec_fails_when_a_watched_key_is_modified() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    let mut other = srv.raw();
    // Modified by another client.
    c.send(b"HSET x f 30\r\nWATCH a x k\r\n");
    c.expect(b":1\r\n+OK\r\n");
    other.send(b"HSET x f 40\r\n");
    other.expect(b":0\r\n");
    c.send(b"MULTI\r\nPING\r\nEXEC\r\n");
    c.expect(b"+OK\r\n+QUEUED\r\n*-1\r\n");
    // After a failed EXEC nothing is watched any more.
    other.send(b"HSET x f 50\r\n");
    other.expect(b":0\r\n");
    c.send(b"MULTI\r\nPING\r\nEXEC\r\n");
    c.expect(b"+OK\r\n+QUEUED\r\n*1\r\n+PONG\r\n");
    // A write that changes nothing is no modification.
    c.send(b"WATCH x\r\nHDEL x nosuchfield\r\nMULTI\r\nPING\r\nEXEC\r\n");
    c.expect(b"+OK\r\n:0\r\n+OK\r\n+QUEUED\r\n*1\r\n+PONG\r\n");
    // Modified by itself; RESP3 null.
    c.cmd(&[b"HELLO", b"3"]);
    c.send(b"WATCH x\r\nHSET x f 1\r\nMULTI\r\nPING\r\nEXEC\r\n");
    c.expect(b"+OK\r\n:0\r\n+OK\r\n+QUEUED\r\n_\r\n");
    // UNWATCH clears the dirty flag; DISCARD does too.
    c.send(b"WATCH x\r\nHSET x f 2\r\nUNWATCH\r\nMULTI\r\nPING\r\nEXEC\r\n");
    c.expect(b"+OK\r\n:0\r\n+OK\r\n+OK\r\n+QUEUED\r\n*1\r\n+PONG\r\n");
    c.send(b"WATCH x\r\nHSET x f 3\r\nMULTI\r\nDISCARD\r\nMULTI\r\nPING\r\nEXEC\r\n");
    c.expect(b"+OK\r\n:0\r\n+OK\r\n+OK\r\n+OK\r\n+QUEUED\r\n*1\r\n+PONG\r\n");
    // The CLIENT LIST d flag while dirty.
    c.cmd(&[b"CLIENT", b"SETNAME", b"w"]);
    c.send(b"WATCH x\r\n");
    c.expect(b"+OK\r\n");
    other.send(b"HSET x f 4\r\n");
    other.expect(b":0\r\n");
    assert_eq!(
        field(
            &client_line(&mut other, "w").expect("client w listed"),
            "flags"
        ),
        "d"
    );
}

#[test]
fn watch_remembers_the_db_and_flush_touches_existing_keys() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    c.send(b"SELECT 5\r\nHSET x f 30\r\nWATCH x\r\nSELECT 1\r\nHSET x f 10\r\nSELECT 5\r\nMULTI\r\nPING\r\nEXEC\r\n");
    c.expect(b"+OK\r\n:1\r\n+OK\r\n+OK\r\n:1\r\n+OK\r\n+OK\r\n+QUEUED\r\n*1\r\n+PONG\r\n");
    c.send(b"WATCH x\r\nFLUSHDB\r\nMULTI\r\nPING\r\nEXEC\r\n");
    c.expect(b"+OK\r\n+OK\r\n+OK\r\n+QUEUED\r\n*-1\r\n");
    c.send(b"HSET x f 30\r\nWATCH x\r\nFLUSHALL\r\nMULTI\r\nPING\r\nEXEC\r\n");
    c.expect(b":1\r\n+OK\r\n+OK\r\n+OK\r\n+QUEUED\r\n*-1\r\n");
}

/// multi.tcl "EXEC fail on lazy expired WATCHed key": the key expires
/// between WATCH and EXEC and nobody touched it; "WATCH stale keys should
/// not fail EXEC": a key already expired at WATCH time is just absent.
#[test]
fn watched_key_expiry() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    c.send(b"SET k 1 PX 100\r\nWATCH k\r\n");
    c.expect(b"+OK\r\n+OK\r\n");
    std::thread::sleep(Duration::from_millis(150));
    c.send(b"MULTI\r\nPING\r\nEXEC\r\n");
    c.expect(b"+OK\r\n+QUEUED\r\n*-1\r\n");
    // Already expired when watched (may or may not be deleted yet).
    c.send(b"SET k 1 PX 1\r\n");
    c.expect(b"+OK\r\n");
    std::thread::sleep(Duration::from_millis(5));
    c.send(b"WATCH k\r\nMULTI\r\nPING\r\nEXEC\r\n");
    c.expect(b"+OK\r\n+OK\r\n+QUEUED\r\n*1\r\n+PONG\r\n");
    // multi.tcl "WATCH will consider touched expired keys": active expiry
    // deleting a watched key is a change.
    c.send(b"SET x foo PX 300\r\nWATCH x\r\n");
    c.expect(b"+OK\r\n+OK\r\n");
    let mut admin = srv.raw();
    assert!(wait_until(IO_DEADLINE, || {
        admin.cmd(&[b"DBSIZE"]) == b":0\r\n"
    }));
    c.send(b"MULTI\r\nPING\r\nEXEC\r\n");
    c.expect(b"+OK\r\n+QUEUED\r\n*-1\r\n");
}

/// A check-and-set loop with the `redis` crate's `transaction` helper
/// (WATCH + MULTI/EXEC, retried on a null EXEC).
#[test]
fn redis_crate_transaction_helper() {
    let srv = Server::start(&[]);
    let mut con = srv.client();
    let _: () = redis::cmd("SET")
        .arg("counter")
        .arg(1)
        .query(&mut con)
        .unwrap();
    let (v,): (i64,) = redis::transaction(&mut con, &["counter"], |con, pipe| {
        let old: i64 = redis::cmd("GET").arg("counter").query(con)?;
        pipe.cmd("SET")
            .arg("counter")
            .arg(old + 1)
            .ignore()
            .cmd("GET")
            .arg("counter")
            .query(con)
    })
    .unwrap();
    assert_eq!(v, 2);
}

/// EXEC's writes reach the AOF inside MULTI/EXEC, a transaction without
/// writes logs nothing, and the log replays to the same data.
#[test]
fn exec_writes_are_logged_as_one_block() {
    let mut srv = Server::start(&["--appendonly", "yes", "--appendfsync", "always"]);
    let mut c = srv.raw();
    c.send(b"MULTI\r\nHSET h a 1\r\nHGET h a\r\nHSET h b 2\r\nEXEC\r\n");
    c.expect(b"+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*3\r\n:1\r\n$1\r\n1\r\n:1\r\n");
    c.send(b"MULTI\r\nHGET h a\r\nEXEC\r\nHSET marker m 1\r\n");
    c.expect(b"+OK\r\n+QUEUED\r\n*1\r\n$1\r\n1\r\n:1\r\n");
    let path = srv.dir().join("appendonly.aof");
    let mut aof = Vec::new();
    assert!(wait_until(IO_DEADLINE, || {
        aof = std::fs::read(&path).unwrap_or_default();
        common::contains(&aof, b"marker")
    }));
    let mut block = b"*1\r\n$5\r\nMULTI\r\n".to_vec();
    block.extend_from_slice(&common::encode(&[b"HSET", b"h", b"a", b"1"]));
    block.extend_from_slice(&common::encode(&[b"HSET", b"h", b"b", b"2"]));
    block.extend_from_slice(b"*1\r\n$4\r\nEXEC\r\n");
    assert!(common::contains(&aof, &block), "{}", common::show(&aof));
    assert_eq!(
        text(&aof).matches("MULTI").count(),
        1,
        "{}",
        common::show(&aof)
    );
    drop(c);
    srv.restart();
    let mut c = srv.raw();
    c.send(b"HGET h a\r\nHGET h b\r\n");
    c.expect(b"$1\r\n1\r\n$1\r\n2\r\n");
}
