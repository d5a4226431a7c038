//! Keyspace commands against the real binary: DEL, UNLINK, EXISTS, TYPE, RENAME, RENAMENX, COPY,
//! MOVE, SWAPDB, KEYS, SCAN, RANDOMKEY, TOUCH, OBJECT, DEBUG and SLEEP.
//!
//! Keys are made with DEBUG POPULATE (+ RENAME for arbitrary names), so these tests need no
//! other command family. Expected replies and error texts were checked against redis-server
//! 7.0 with redis-cli; the walk follows redis tests/unit/keyspace.tcl.

// Test code: a panic is how a test fails.
#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use common::{
    RawConn, Server, bulk, err, info_num, int, int_reply, make, make_sized, query_int, wait_until,
};

fn keys_of(con: &mut redis::Connection, pattern: &[u8]) -> HashSet<Vec<u8>> {
    redis::cmd("KEYS").arg(pattern).query(con).unwrap()
}

/// One SCAN call: (next cursor, keys).
fn scan_once(con: &mut redis::Connection, cursor: u64, extra: &[&str]) -> (u64, Vec<Vec<u8>>) {
    let mut cmd = redis::cmd("SCAN");
    cmd.arg(cursor);
    for a in extra {
        cmd.arg(*a);
    }
    let (next, keys): (String, Vec<Vec<u8>>) = cmd.query(con).unwrap();
    (next.parse().unwrap(), keys)
}

/// A full SCAN iteration; returns every key returned (with repeats) and the number of calls.
fn scan_all(con: &mut redis::Connection, extra: &[&str]) -> (Vec<Vec<u8>>, usize) {
    let (mut cursor, mut all, mut calls) = (0, Vec::new(), 0);
    loop {
        let (next, keys) = scan_once(con, cursor, extra);
        all.extend(keys);
        calls += 1;
        assert!(calls < 1_000_000, "scan does not terminate");
        if next == 0 {
            return (all, calls);
        }
        cursor = next;
    }
}

#[test]
fn del_unlink_exists_type() {
    let s = Server::start(&[]);
    let mut c = s.raw();
    c.send_cmd(&[b"DEBUG", b"POPULATE", b"4"]);
    c.expect(b"+OK\r\n");
    // EXISTS counts every mention, repeats included.
    c.send_cmd(&[b"EXISTS", b"key:0", b"key:0", b"key:1", b"nokey"]);
    c.expect(&int(3));
    c.send_cmd(&[b"TYPE", b"key:0"]);
    c.expect(b"+string\r\n");
    c.send_cmd(&[b"TYPE", b"nokey"]);
    c.expect(b"+none\r\n");
    // DEL counts keys actually removed; a repeat is already gone.
    c.send_cmd(&[b"DEL", b"key:0", b"key:0", b"nokey", b"key:1"]);
    c.expect(&int(2));
    c.send_cmd(&[b"UNLINK", b"key:2", b"key:2"]);
    c.expect(&int(1));
    c.send_cmd(&[b"EXISTS", b"key:0", b"key:1", b"key:2", b"key:3"]);
    c.expect(&int(1));
    c.send_cmd(&[b"DBSIZE"]);
    c.expect(&int(1));
    for cmd in ["del", "unlink", "exists", "touch"] {
        c.send_cmd(&[cmd.as_bytes()]);
        c.expect(&err(&format!(
            "ERR wrong number of arguments for '{cmd}' command"
        )));
    }
    c.send_cmd(&[b"TYPE", b"a", b"b"]);
    c.expect(&err("ERR wrong number of arguments for 'type' command"));
}

#[test]
fn binary_keys_and_large_values() {
    let s = Server::start(&[]);
    let mut c = s.raw();
    let all: Vec<u8> = (0..=255u8).collect();
    let names: Vec<Vec<u8>> = vec![
        all.clone(),
        b"".to_vec(),
        b"with space\r\nand crlf".to_vec(),
        vec![0u8; 3],
        vec![0xff; 100],
    ];
    for n in &names {
        make(&mut c, n);
    }
    for n in &names {
        c.send_cmd(&[b"EXISTS", n]);
        c.expect(&int(1));
        c.send_cmd(&[b"TYPE", n]);
        c.expect(b"+string\r\n");
    }
    let mut con = s.client();
    let got = keys_of(&mut con, b"*");
    assert_eq!(got, names.iter().cloned().collect());
    let (scanned, _) = scan_all(&mut con, &[]);
    assert_eq!(
        scanned.into_iter().collect::<HashSet<_>>(),
        names.iter().cloned().collect()
    );
    // RENAME/COPY/MOVE a binary name.
    c.send_cmd(&[b"RENAME", &all, b"plain"]);
    c.expect(b"+OK\r\n");
    c.send_cmd(&[b"COPY", b"plain", &all]);
    c.expect(&int(1));
    c.send_cmd(&[b"MOVE", &all, b"3"]);
    c.expect(&int(1));
    c.send_cmd(&[b"SELECT", b"3"]);
    c.expect(b"+OK\r\n");
    c.send_cmd(&[b"RANDOMKEY"]);
    c.expect(&bulk(&all));
    c.send_cmd(&[b"SELECT", b"0"]);
    c.expect(b"+OK\r\n");

    // A 1 MB value survives RENAME, COPY and MOVE as the same raw string.
    make_sized(&mut c, b"big", 1 << 20);
    c.send_cmd(&[b"OBJECT", b"ENCODING", b"big"]);
    c.expect(&bulk(b"raw"));
    c.send_cmd(&[b"RENAME", b"big", b"big2"]);
    c.expect(b"+OK\r\n");
    c.send_cmd(&[b"COPY", b"big2", b"big3", b"DB", b"1"]);
    c.expect(&int(1));
    c.send_cmd(&[b"MOVE", b"big2", b"2"]);
    c.expect(&int(1));
    c.send_cmd(&[b"SELECT", b"1"]);
    c.expect(b"+OK\r\n");
    c.send_cmd(&[b"OBJECT", b"ENCODING", b"big3"]);
    c.expect(&bulk(b"raw"));
    c.send_cmd(&[b"SELECT", b"2"]);
    c.expect(b"+OK\r\n");
    c.send_cmd(&[b"OBJECT", b"ENCODING", b"big2"]);
    c.expect(&bulk(b"raw"));
}

#[test]
fn rename_and_renamenx() {
    let s = Server::start(&[]);
    let mut c = s.raw();
    make(&mut c, b"mykey");
    c.send_cmd(&[b"RENAME", b"mykey", b"mykey1"]);
    c.expect(b"+OK\r\n");
    c.send_cmd(&[b"RENAME", b"mykey1", b"mykey2"]);
    c.expect(b"+OK\r\n");
    c.send_cmd(&[b"EXISTS", b"mykey", b"mykey1", b"mykey2"]);
    c.expect(&int(1));
    // Against an existing key: the destination is replaced.
    make_sized(&mut c, b"other", 100);
    c.send_cmd(&[b"RENAME", b"other", b"mykey2"]);
    c.expect(b"+OK\r\n");
    c.send_cmd(&[b"OBJECT", b"ENCODING", b"mykey2"]);
    c.expect(&bulk(b"raw"));
    c.send_cmd(&[b"EXISTS", b"other"]);
    c.expect(&int(0));
    // RENAMENX: only to a free name.
    make(&mut c, b"a");
    c.send_cmd(&[b"RENAMENX", b"a", b"mykey2"]);
    c.expect(&int(0));
    c.send_cmd(&[b"EXISTS", b"a", b"mykey2"]);
    c.expect(&int(2));
    c.send_cmd(&[b"RENAMENX", b"a", b"b"]);
    c.expect(&int(1));
    c.send_cmd(&[b"EXISTS", b"a", b"b"]);
    c.expect(&int(1));
    // Missing source, also when source and destination are the same.
    for cmd in [&b"RENAME"[..], b"RENAMENX"] {
        c.send_cmd(&[cmd, b"nokey", b"x"]);
        c.expect(&err("ERR no such key"));
        c.send_cmd(&[cmd, b"nokey", b"nokey"]);
        c.expect(&err("ERR no such key"));
    }
    c.send_cmd(&[b"RENAME", b"b", b"b"]);
    c.expect(b"+OK\r\n");
    c.send_cmd(&[b"RENAMENX", b"b", b"b"]);
    c.expect(&int(0));
    c.send_cmd(&[b"RENAME", b"b"]);
    c.expect(&err("ERR wrong number of arguments for 'rename' command"));
}

#[test]
fn rename_moves_ttl_and_drops_target_ttl() {
    let s = Server::start(&[]);
    let mut c = s.raw();
    make(&mut c, b"src");
    c.send_cmd(&[b"EXPIRE", b"src", b"100"]);
    c.expect(&int(1));
    c.send_cmd(&[b"RENAME", b"src", b"dst"]);
    c.expect(b"+OK\r\n");
    let ttl = query_int(&mut c, &[b"TTL", b"dst"]);
    assert!((95..=100).contains(&ttl), "{ttl}");
    // The destination's own TTL is not inherited.
    make(&mut c, b"plain");
    c.send_cmd(&[b"RENAME", b"plain", b"dst"]);
    c.expect(b"+OK\r\n");
    c.send_cmd(&[b"TTL", b"dst"]);
    c.expect(&int(-1));
    // The renamed key keeps its access metadata: an idle key stays idle.
    c.send_cmd(&[b"OBJECT", b"IDLETIME", b"dst"]);
    let idle = int_reply(&c.read_reply());
    assert!((0..=1).contains(&idle));
}

#[test]
fn copy_semantics_and_errors() {
    let s = Server::start(&[]);
    let mut c = s.raw();
    make(&mut c, b"mykey");
    c.send_cmd(&[b"COPY", b"mykey", b"mynewkey"]);
    c.expect(&int(1));
    c.send_cmd(&[b"DBSIZE"]);
    c.expect(&int(2));
    c.send_cmd(&[b"COPY", b"mykey", b"mynewkey", b"DB", b"10"]);
    c.expect(&int(1));
    // An existing destination needs REPLACE.
    make_sized(&mut c, b"mykey2", 64);
    c.send_cmd(&[b"COPY", b"mykey2", b"mynewkey", b"DB", b"10"]);
    c.expect(&int(0));
    c.send_cmd(&[b"COPY", b"mykey2", b"mynewkey", b"db", b"10", b"replace"]);
    c.expect(&int(1));
    c.send_cmd(&[b"SELECT", b"10"]);
    c.expect(b"+OK\r\n");
    c.send_cmd(&[b"OBJECT", b"ENCODING", b"mynewkey"]);
    c.expect(&bulk(b"raw"));
    c.send_cmd(&[b"DBSIZE"]);
    c.expect(&int(1));
    c.send_cmd(&[b"SELECT", b"0"]);
    c.expect(b"+OK\r\n");
    // The copy is independent: deleting the source leaves it.
    c.send_cmd(&[b"DEL", b"mykey"]);
    c.expect(&int(1));
    c.send_cmd(&[b"EXISTS", b"mynewkey"]);
    c.expect(&int(1));
    // Missing source.
    c.send_cmd(&[b"COPY", b"nokey", b"x"]);
    c.expect(&int(0));
    // Same key in the same db (explicitly or not) is an error; in another db it is fine.
    c.send_cmd(&[b"COPY", b"mykey2", b"mykey2"]);
    c.expect(&err("ERR source and destination objects are the same"));
    c.send_cmd(&[b"COPY", b"mykey2", b"mykey2", b"DB", b"0"]);
    c.expect(&err("ERR source and destination objects are the same"));
    c.send_cmd(&[b"COPY", b"mykey2", b"mykey2", b"DB", b"1"]);
    c.expect(&int(1));
    // Option errors, in Redis's order.
    c.send_cmd(&[b"COPY", b"mykey2", b"x", b"DB", b"notanumber"]);
    c.expect(&err("ERR value is not an integer or out of range"));
    c.send_cmd(&[b"COPY", b"mykey2", b"x", b"DB", b"4294967296"]);
    c.expect(&err(
        "ERR value is out of range, value must between -2147483648 and 2147483647",
    ));
    c.send_cmd(&[b"COPY", b"mykey2", b"x", b"DB", b"16"]);
    c.expect(&err("ERR DB index is out of range"));
    c.send_cmd(&[b"COPY", b"mykey2", b"x", b"DB", b"-1"]);
    c.expect(&err("ERR DB index is out of range"));
    c.send_cmd(&[b"COPY", b"mykey2", b"x", b"DB"]);
    c.expect(&err("ERR syntax error"));
    c.send_cmd(&[b"COPY", b"mykey2", b"x", b"bogus"]);
    c.expect(&err("ERR syntax error"));
    c.send_cmd(&[b"COPY", b"mykey2"]);
    c.expect(&err("ERR wrong number of arguments for 'copy' command"));
    c.send_cmd(&[b"EXISTS", b"x"]);
    c.expect(&int(0));
}

#[test]
fn copy_keeps_ttl_only_if_there_was_one() {
    let s = Server::start(&[]);
    let mut c = s.raw();
    make(&mut c, b"vol");
    c.send_cmd(&[b"EXPIRE", b"vol", b"100"]);
    c.expect(&int(1));
    c.send_cmd(&[b"COPY", b"vol", b"vol2"]);
    c.expect(&int(1));
    let ttl = query_int(&mut c, &[b"TTL", b"vol2"]);
    assert!((95..=100).contains(&ttl), "{ttl}");
    let (a, b) = (
        query_int(&mut c, &[b"PEXPIRETIME", b"vol"]),
        query_int(&mut c, &[b"PEXPIRETIME", b"vol2"]),
    );
    assert_eq!(a, b, "the copy has the same absolute deadline");
    make(&mut c, b"plain");
    c.send_cmd(&[b"COPY", b"plain", b"vol2", b"REPLACE"]);
    c.expect(&int(1));
    c.send_cmd(&[b"TTL", b"vol2"]);
    c.expect(&int(-1));
}

#[test]
fn move_semantics_and_errors() {
    let s = Server::start(&[]);
    let mut c = s.raw();
    make(&mut c, b"mykey");
    c.send_cmd(&[b"EXPIRE", b"mykey", b"100"]);
    c.expect(&int(1));
    c.send_cmd(&[b"MOVE", b"mykey", b"10"]);
    c.expect(&int(1));
    c.send_cmd(&[b"EXISTS", b"mykey"]);
    c.expect(&int(0));
    c.send_cmd(&[b"DBSIZE"]);
    c.expect(&int(0));
    c.send_cmd(&[b"TTL", b"mykey"]);
    c.expect(&int(-2));
    c.send_cmd(&[b"SELECT", b"10"]);
    c.expect(b"+OK\r\n");
    let ttl = query_int(&mut c, &[b"TTL", b"mykey"]);
    assert!((95..=100).contains(&ttl), "TTL moves with the key: {ttl}");
    c.send_cmd(&[b"DBSIZE"]);
    c.expect(&int(1));
    c.send_cmd(&[b"SELECT", b"0"]);
    c.expect(b"+OK\r\n");
    // Target exists: nothing moves.
    make(&mut c, b"mykey");
    c.send_cmd(&[b"MOVE", b"mykey", b"10"]);
    c.expect(&int(0));
    c.send_cmd(&[b"EXISTS", b"mykey"]);
    c.expect(&int(1));
    // No TTL stays no TTL.
    c.send_cmd(&[b"MOVE", b"mykey", b"11"]);
    c.expect(&int(1));
    c.send_cmd(&[b"SELECT", b"11"]);
    c.expect(b"+OK\r\n");
    c.send_cmd(&[b"TTL", b"mykey"]);
    c.expect(&int(-1));
    c.send_cmd(&[b"SELECT", b"0"]);
    c.expect(b"+OK\r\n");
    c.send_cmd(&[b"MOVE", b"nokey", b"1"]);
    c.expect(&int(0));
    c.send_cmd(&[b"MOVE", b"mykey", b"0"]);
    c.expect(&err("ERR source and destination objects are the same"));
    c.send_cmd(&[b"MOVE", b"mykey", b"notanumber"]);
    c.expect(&err("ERR value is not an integer or out of range"));
    c.send_cmd(&[b"MOVE", b"mykey", b"4294967296"]);
    c.expect(&err(
        "ERR value is out of range, value must between -2147483648 and 2147483647",
    ));
    for bad in [&b"16"[..], b"-1"] {
        c.send_cmd(&[b"MOVE", b"mykey", bad]);
        c.expect(&err("ERR DB index is out of range"));
    }
}

#[test]
fn swapdb_basics_and_unhappy_path() {
    let s = Server::start(&[]);
    let mut c = s.raw();
    make(&mut c, b"swapkey");
    c.send_cmd(&[b"SWAPDB", b"0", b"1"]);
    c.expect(b"+OK\r\n");
    c.send_cmd(&[b"DBSIZE"]);
    c.expect(&int(0));
    c.send_cmd(&[b"SELECT", b"1"]);
    c.expect(b"+OK\r\n");
    c.send_cmd(&[b"DBSIZE"]);
    c.expect(&int(1));
    // TTLs travel with the db.
    c.send_cmd(&[b"EXPIRE", b"swapkey", b"100"]);
    c.expect(&int(1));
    c.send_cmd(&[b"SWAPDB", b"1", b"2"]);
    c.expect(b"+OK\r\n");
    c.send_cmd(&[b"SELECT", b"2"]);
    c.expect(b"+OK\r\n");
    let ttl = query_int(&mut c, &[b"TTL", b"swapkey"]);
    assert!((95..=100).contains(&ttl), "{ttl}");
    let ks = String::from_utf8_lossy(&c.cmd(&[b"INFO", b"keyspace"])).into_owned();
    assert!(ks.contains("db2:keys=1,expires=1,"), "{ks}");
    assert!(!ks.contains("db0:") && !ks.contains("db1:"), "{ks}");
    c.send_cmd(&[b"SWAPDB", b"44", b"55"]);
    c.expect(&err("ERR DB index is out of range"));
    c.send_cmd(&[b"SWAPDB", b"0", b"-1"]);
    c.expect(&err("ERR DB index is out of range"));
    c.send_cmd(&[b"SWAPDB", b"44", b"a"]);
    c.expect(&err("ERR invalid second DB index"));
    c.send_cmd(&[b"SWAPDB", b"a", b"55"]);
    c.expect(&err("ERR invalid first DB index"));
    c.send_cmd(&[b"SWAPDB", b"a", b"b"]);
    c.expect(&err("ERR invalid first DB index"));
    c.send_cmd(&[b"SWAPDB", b"4294967296", b"0"]);
    c.expect(&err("ERR invalid first DB index"));
    c.send_cmd(&[b"SWAPDB", b"0", b"0"]);
    c.expect(b"+OK\r\n");
    c.send_cmd(&[b"SWAPDB", b"0"]);
    c.expect(&err("ERR wrong number of arguments for 'swapdb' command"));
}

#[test]
fn keys_patterns() {
    let s = Server::start(&[]);
    let mut c = s.raw();
    for k in [
        "key_x", "key_y", "key_z", "foo_a", "foo_b", "foo_c", "{a}x", "{a}y", "a*b", "",
    ] {
        make(&mut c, k.as_bytes());
    }
    let mut con = s.client();
    let set =
        |v: &[&str]| -> HashSet<Vec<u8>> { v.iter().map(|s| s.as_bytes().to_vec()).collect() };
    assert_eq!(
        keys_of(&mut con, b"foo*"),
        set(&["foo_a", "foo_b", "foo_c"])
    );
    // A lone `*` matches everything, the empty key included.
    assert_eq!(keys_of(&mut con, b"*").len(), 10);
    assert!(keys_of(&mut con, b"*").contains(&b""[..]));
    // The empty pattern matches only the empty key.
    assert_eq!(keys_of(&mut con, b""), set(&[""]));
    assert_eq!(keys_of(&mut con, b"{a}*"), set(&["{a}x", "{a}y"]));
    assert_eq!(
        keys_of(&mut con, b"key_?"),
        set(&["key_x", "key_y", "key_z"])
    );
    assert_eq!(keys_of(&mut con, b"key_[xy]"), set(&["key_x", "key_y"]));
    assert_eq!(keys_of(&mut con, b"key_[^xy]"), set(&["key_z"]));
    assert_eq!(keys_of(&mut con, b"foo_[a-b]"), set(&["foo_a", "foo_b"]));
    assert_eq!(keys_of(&mut con, b"a\\*b"), set(&["a*b"]));
    assert_eq!(keys_of(&mut con, b"nomatch*"), set(&[]));
    // Case-sensitive.
    assert_eq!(keys_of(&mut con, b"FOO*"), set(&[]));
    // Redis regression: nested stars against a long key must not take exponential time.
    c.send_cmd(&[b"FLUSHDB"]);
    c.expect(b"+OK\r\n");
    make(&mut c, &[b'a'; 40]);
    let t = Instant::now();
    c.send_cmd(&[b"KEYS", b"a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b"]);
    c.expect(b"*0\r\n");
    assert!(t.elapsed() < Duration::from_secs(2));
    // Long key, twice (Redis issue #1208).
    c.send_cmd(&[b"FLUSHDB"]);
    c.expect(b"+OK\r\n");
    make(&mut c, b"dlskeriewrioeuwqoirueioqwrueoqwrueqw");
    for _ in 0..2 {
        c.send_cmd(&[b"KEYS", b"*"]);
        c.expect(b"*1\r\n$36\r\ndlskeriewrioeuwqoirueioqwrueoqwrueqw\r\n");
    }
    c.send_cmd(&[b"KEYS"]);
    c.expect(&err("ERR wrong number of arguments for 'keys' command"));
}

#[test]
fn scan_full_iteration_and_options() {
    let s = Server::start(&[]);
    let mut c = s.raw();
    c.send_cmd(&[b"DEBUG", b"POPULATE", b"1000"]);
    c.expect(b"+OK\r\n");
    let mut con = s.client();
    let expected: HashSet<Vec<u8>> = (0..1000).map(|i| format!("key:{i}").into_bytes()).collect();
    // Default COUNT 10: about 100 calls; every key exactly once on a stable db.
    let (got, calls) = scan_all(&mut con, &[]);
    assert_eq!(got.len(), 1000);
    assert_eq!(got.iter().cloned().collect::<HashSet<_>>(), expected);
    assert!((90..=110).contains(&calls), "{calls} calls");
    let (got, calls) = scan_all(&mut con, &["COUNT", "100"]);
    assert_eq!(got.len(), 1000);
    assert!(calls <= 11, "{calls} calls");
    // MATCH filters after the step: fewer keys per call, same walk.
    let (got, _) = scan_all(&mut con, &["MATCH", "key:1*", "COUNT", "50"]);
    let want: HashSet<_> = expected
        .iter()
        .filter(|k| k.starts_with(b"key:1"))
        .cloned()
        .collect();
    assert_eq!(got.into_iter().collect::<HashSet<_>>(), want);
    // MATCH * is no filter.
    assert_eq!(scan_all(&mut con, &["match", "*"]).0.len(), 1000);
    // TYPE, case-insensitive; an unknown type matches nothing (Redis 7.0).
    assert_eq!(scan_all(&mut con, &["TYPE", "STRING"]).0.len(), 1000);
    assert_eq!(scan_all(&mut con, &["TYPE", "hash"]).0.len(), 0);
    assert_eq!(scan_all(&mut con, &["TYPE", "nosuchtype"]).0.len(), 0);
    // Cursor parsing is strtoul's: empty is 0, a sign is allowed, and the
    // C string ends at a NUL (redis-server 7.0 takes "0\0abc" as 0).
    for cur in [&b""[..], b"+0", b"0", b"0\0abc", b"\0"] {
        c.send_cmd(&[b"SCAN", cur, b"COUNT", b"1000"]);
        let r = c.read_reply();
        assert!(
            r.starts_with(b"*2\r\n$1\r\n0\r\n*1000\r\n"),
            "{}",
            common::show(&r[..40])
        );
    }
    for bad in [&b"abc"[..], b" 0", b"1 ", b"18446744073709551616", b"-"] {
        c.send_cmd(&[b"SCAN", bad]);
        c.expect(&err("ERR invalid cursor"));
    }
    c.send_cmd(&[b"SCAN", b"0", b"COUNT", b"0"]);
    c.expect(&err("ERR syntax error"));
    c.send_cmd(&[b"SCAN", b"0", b"COUNT", b"-1"]);
    c.expect(&err("ERR syntax error"));
    c.send_cmd(&[b"SCAN", b"0", b"COUNT", b"x"]);
    c.expect(&err("ERR value is not an integer or out of range"));
    for opts in [
        &[&b"MATCH"[..]][..],
        &[b"COUNT"],
        &[b"TYPE"],
        &[b"foo", b"bar"],
    ] {
        let mut args: Vec<&[u8]> = vec![b"SCAN", b"0"];
        args.extend_from_slice(opts);
        c.send_cmd(&args);
        c.expect(&err("ERR syntax error"));
    }
    c.send_cmd(&[b"SCAN"]);
    c.expect(&err("ERR wrong number of arguments for 'scan' command"));
    // Empty db.
    c.send_cmd(&[b"FLUSHDB"]);
    c.expect(b"+OK\r\n");
    c.send_cmd(&[b"SCAN", b"0"]);
    c.expect(b"*2\r\n$1\r\n0\r\n*0\r\n");
    // A stale cursor from a bigger db is still valid.
    c.send_cmd(&[b"SCAN", b"900"]);
    c.expect(b"*2\r\n$1\r\n0\r\n*0\r\n");
}

/// Redis's SCAN guarantee: a key present for the whole iteration is returned at least once,
/// even while other keys are added and deleted between calls.
#[test]
fn scan_guarantee_under_concurrent_changes() {
    let s = Server::start(&[]);
    let mut c = s.raw();
    c.send_cmd(&[b"DEBUG", b"POPULATE", b"2000", b"stable"]);
    c.expect(b"+OK\r\n");
    c.send_cmd(&[b"DEBUG", b"POPULATE", b"2000", b"churn"]);
    c.expect(b"+OK\r\n");
    let mut con = s.client();
    let (mut cursor, mut seen, mut round) = (0u64, HashSet::new(), 0usize);
    loop {
        let (next, keys) = scan_once(&mut con, cursor, &["COUNT", "37"]);
        seen.extend(keys);
        // Delete some churn keys and add new ones between calls.
        for j in 0..20 {
            let victim = format!("churn:{}", (round * 20 + j) % 2000);
            c.send_cmd(&[b"DEL", victim.as_bytes()]);
            let _ = c.read_reply();
        }
        let prefix = format!("new{round}");
        c.send_cmd(&[b"DEBUG", b"POPULATE", b"15", prefix.as_bytes()]);
        c.expect(b"+OK\r\n");
        round += 1;
        if next == 0 {
            break;
        }
        cursor = next;
        assert!(round < 10_000);
    }
    for i in 0..2000 {
        let k = format!("stable:{i}").into_bytes();
        assert!(seen.contains(&k), "stable:{i} missed after {round} rounds");
    }
}

#[test]
fn randomkey_replies() {
    let s = Server::start(&[]);
    let mut c = s.raw();
    c.send_cmd(&[b"RANDOMKEY"]);
    c.expect(b"$-1\r\n");
    make(&mut c, b"foo");
    make(&mut c, b"bar");
    let (mut foo, mut bar) = (false, false);
    for _ in 0..200 {
        let r = c.cmd(&[b"RANDOMKEY"]);
        foo |= r == bulk(b"foo");
        bar |= r == bulk(b"bar");
        assert!(r == bulk(b"foo") || r == bulk(b"bar"));
    }
    assert!(foo && bar);
    c.send_cmd(&[b"DEL", b"foo", b"bar"]);
    c.expect(&int(2));
    c.send_cmd(&[b"RANDOMKEY"]);
    c.expect(b"$-1\r\n");
    c.send_cmd(&[b"HELLO", b"3"]);
    let _ = c.read_reply();
    c.send_cmd(&[b"RANDOMKEY"]);
    c.expect(b"_\r\n");
    c.send_cmd(&[b"RANDOMKEY", b"x"]);
    c.expect(&err(
        "ERR wrong number of arguments for 'randomkey' command",
    ));
}

#[test]
fn touch_counts_and_resets_idle_time() {
    let s = Server::start(&[]);
    let mut c = s.raw();
    make(&mut c, b"a");
    make(&mut c, b"b");
    c.send_cmd(&[b"TOUCH", b"a", b"a", b"b", b"nokey"]);
    c.expect(&int(3));
    // Idle time is in whole seconds of the LRU clock: wait until it shows.
    assert!(
        wait_until(Duration::from_secs(5), || {
            query_int(&mut c, &[b"OBJECT", b"IDLETIME", b"a"]) >= 1
        }),
        "OBJECT IDLETIME never grew"
    );
    // OBJECT, TYPE, EXISTS and TTL do not touch; TOUCH does.
    c.send_cmd(&[b"TYPE", b"a"]);
    c.expect(b"+string\r\n");
    c.send_cmd(&[b"EXISTS", b"a"]);
    c.expect(&int(1));
    assert!(query_int(&mut c, &[b"OBJECT", b"IDLETIME", b"a"]) >= 1);
    c.send_cmd(&[b"TOUCH", b"a"]);
    c.expect(&int(1));
    c.send_cmd(&[b"OBJECT", b"IDLETIME", b"a"]);
    c.expect(&int(0));
    // Lookups count hits and misses.
    let hits: u64 = info_num(&mut c, "stats", "keyspace_hits");
    let misses: u64 = info_num(&mut c, "stats", "keyspace_misses");
    c.send_cmd(&[b"TOUCH", b"a", b"nokey"]);
    c.expect(&int(1));
    assert_eq!(info_num::<u64>(&mut c, "stats", "keyspace_hits"), hits + 1);
    assert_eq!(
        info_num::<u64>(&mut c, "stats", "keyspace_misses"),
        misses + 1
    );
}

#[test]
fn object_subcommands() {
    let s = Server::start(&[]);
    let mut c = s.raw();
    make(&mut c, b"short");
    make_sized(&mut c, b"edge", 44);
    make_sized(&mut c, b"long", 45);
    c.send_cmd(&[b"OBJECT", b"ENCODING", b"short"]);
    c.expect(&bulk(b"embstr"));
    c.send_cmd(&[b"object", b"encoding", b"edge"]);
    c.expect(&bulk(b"embstr"));
    c.send_cmd(&[b"OBJECT", b"ENCODING", b"long"]);
    c.expect(&bulk(b"raw"));
    c.send_cmd(&[b"OBJECT", b"REFCOUNT", b"short"]);
    c.expect(&int(1));
    for sub in [&b"ENCODING"[..], b"REFCOUNT", b"IDLETIME", b"FREQ"] {
        c.send_cmd(&[b"OBJECT", sub, b"nokey"]);
        c.expect(b"$-1\r\n");
    }
    c.send_cmd(&[b"OBJECT", b"FREQ", b"short"]);
    c.expect(&err("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."));
    c.send_cmd(&[b"CONFIG", b"SET", b"maxmemory-policy", b"allkeys-lfu"]);
    c.expect(b"+OK\r\n");
    c.send_cmd(&[b"OBJECT", b"IDLETIME", b"short"]);
    c.expect(&err("ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."));
    c.send_cmd(&[b"OBJECT", b"FREQ", b"short"]);
    let freq = int_reply(&c.read_reply());
    assert!((0..=255).contains(&freq), "{freq}");
    c.send_cmd(&[b"CONFIG", b"SET", b"maxmemory-policy", b"noeviction"]);
    c.expect(b"+OK\r\n");
    let mut help = b"*15\r\n".to_vec();
    for l in [
        "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.",
        "HELP",
        "    Prints this help.",
    ] {
        help.extend_from_slice(format!("+{l}\r\n").as_bytes());
    }
    c.send_cmd(&[b"OBJECT", b"HELP"]);
    c.expect(&help);
    c.send_cmd(&[b"OBJECT", b"foo", b"bar"]);
    c.expect(&err("ERR unknown subcommand 'foo'. Try OBJECT HELP."));
    c.send_cmd(&[b"OBJECT"]);
    c.expect(&err("ERR wrong number of arguments for 'object' command"));
    c.send_cmd(&[b"OBJECT", b"ENCODING"]);
    c.expect(&err(
        "ERR wrong number of arguments for 'object|encoding' command",
    ));
    c.send_cmd(&[b"OBJECT", b"ENCODING", b"a", b"b"]);
    c.expect(&err(
        "ERR wrong number of arguments for 'object|encoding' command",
    ));
    c.send_cmd(&[b"OBJECT", b"HELP", b"x"]);
    c.expect(&err(
        "ERR wrong number of arguments for 'object|help' command",
    ));
    // RESP3 null for a missing key.
    c.send_cmd(&[b"HELLO", b"3"]);
    let _ = c.read_reply();
    c.send_cmd(&[b"OBJECT", b"ENCODING", b"nokey"]);
    c.expect(b"_\r\n");
}

#[test]
fn debug_and_sleep() {
    let s = Server::start(&[]);
    let mut c = s.raw();
    c.send_cmd(&[b"DEBUG", b"foo"]);
    c.expect(&err(
        "ERR unknown subcommand or wrong number of arguments for 'foo'. Try DEBUG HELP.",
    ));
    c.send_cmd(&[b"DEBUG", b"sleep"]);
    c.expect(&err(
        "ERR unknown subcommand or wrong number of arguments for 'sleep'. Try DEBUG HELP.",
    ));
    c.send_cmd(&[b"DEBUG"]);
    c.expect(&err("ERR wrong number of arguments for 'debug' command"));
    c.send_cmd(&[b"DEBUG", b"SLEEP", b"0"]);
    c.expect(b"+OK\r\n");
    c.send_cmd(&[b"DEBUG", b"SLEEP", b"abc"]);
    c.expect(b"+OK\r\n");
    c.send_cmd(&[b"DEBUG", b"POPULATE", b"-1"]);
    c.expect(&err("ERR value is out of range, must be positive"));
    c.send_cmd(&[b"DEBUG", b"POPULATE", b"x"]);
    c.expect(&err("ERR value is out of range, must be positive"));
    c.send_cmd(&[b"DEBUG", b"POPULATE", b"3", b"p", b"100"]);
    c.expect(b"+OK\r\n");
    c.send_cmd(&[b"OBJECT", b"ENCODING", b"p:2"]);
    c.expect(&bulk(b"raw"));
    // Existing names are skipped.
    c.send_cmd(&[b"DEBUG", b"POPULATE", b"5", b"p"]);
    c.expect(b"+OK\r\n");
    c.send_cmd(&[b"OBJECT", b"ENCODING", b"p:2"]);
    c.expect(&bulk(b"raw"));
    c.send_cmd(&[b"DBSIZE"]);
    c.expect(&int(5));
    let help = c.cmd(&[b"DEBUG", b"HELP"]);
    assert!(common::contains(&help, b"+SLEEP <seconds>\r\n"));

    for bad in [&b"abc"[..], b""] {
        c.send_cmd(&[b"SLEEP", bad]);
        c.expect(&err("ERR value is not a valid float"));
    }
    for bad in [&b"-1"[..], b"inf", b"-0.5"] {
        c.send_cmd(&[b"SLEEP", bad]);
        c.expect(&err("ERR value is out of range, must be positive"));
    }
    c.send_cmd(&[b"SLEEP"]);
    c.expect(&err("ERR wrong number of arguments for 'sleep' command"));
    c.send_cmd(&[b"SLEEP", b"0"]);
    c.expect(b"+OK\r\n");

    // SLEEP blocks the whole server: another client's PING waits for it.
    for cmd in [&[&b"SLEEP"[..], b"0.3"][..], &[b"DEBUG", b"SLEEP", b"0.3"]] {
        let mut other = s.raw();
        other.send_cmd(&[b"PING"]);
        other.expect(b"+PONG\r\n");
        let t = Instant::now();
        c.send_cmd(cmd);
        // Give the server the SLEEP first: wait until the sleeper's reply is overdue.
        std::thread::sleep(Duration::from_millis(50));
        other.send_cmd(&[b"PING"]);
        other.expect(b"+PONG\r\n");
        let waited = t.elapsed();
        c.expect(b"+OK\r\n");
        assert!(
            waited >= Duration::from_millis(250),
            "PING answered after {waited:?}"
        );
    }
}

#[test]
fn command_table_matches_redis() {
    let s = Server::start(&[]);
    let mut con = s.client();
    // (name, arity, first key, last key, step) as redis-server 7.0 reports them.
    let rows: &[(&str, i64, i64, i64, i64)] = &[
        ("del", -2, 1, -1, 1),
        ("unlink", -2, 1, -1, 1),
        ("exists", -2, 1, -1, 1),
        ("type", 2, 1, 1, 1),
        ("rename", 3, 1, 2, 1),
        ("renamenx", 3, 1, 2, 1),
        ("copy", -3, 1, 2, 1),
        ("move", 3, 1, 1, 1),
        ("swapdb", 3, 0, 0, 0),
        ("keys", 2, 0, 0, 0),
        ("scan", -2, 0, 0, 0),
        ("randomkey", 1, 0, 0, 0),
        ("touch", -2, 1, -1, 1),
        ("object", -2, 0, 0, 0),
        ("expire", -3, 1, 1, 1),
        ("pexpire", -3, 1, 1, 1),
        ("expireat", -3, 1, 1, 1),
        ("pexpireat", -3, 1, 1, 1),
        ("ttl", 2, 1, 1, 1),
        ("pttl", 2, 1, 1, 1),
        ("expiretime", 2, 1, 1, 1),
        ("pexpiretime", 2, 1, 1, 1),
        ("persist", 2, 1, 1, 1),
        ("debug", -2, 0, 0, 0),
    ];
    for &(name, arity, first, last, step) in rows {
        let info: Vec<redis::Value> = redis::cmd("COMMAND")
            .arg("INFO")
            .arg(name)
            .query(&mut con)
            .unwrap();
        let redis::Value::Array(row) = &info[0] else {
            panic!("{name}: {info:?}");
        };
        let ints: Vec<i64> = [1, 3, 4, 5]
            .iter()
            .map(|&i| match &row[i] {
                redis::Value::Int(v) => *v,
                other => panic!("{name}: {other:?}"),
            })
            .collect();
        assert_eq!(ints, vec![arity, first, last, step], "{name}");
    }
}

/// Bulk strings of a RESP array reply (pmessage, EXEC, ...), as byte vectors.
fn bulks(r: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < r.len() {
        if r[i] == b'$' {
            let nl = i + r[i..].windows(2).position(|w| w == b"\r\n").unwrap();
            let n: usize = std::str::from_utf8(&r[i + 1..nl]).unwrap().parse().unwrap();
            out.push(r[nl + 2..nl + 2 + n].to_vec());
            i = nl + 2 + n + 2;
        } else {
            i += r[i..].windows(2).position(|w| w == b"\r\n").unwrap() + 2;
        }
    }
    out
}

fn hset(c: &mut RawConn, key: &[u8]) {
    c.send_cmd(&[b"HSET", key, b"f", b"v"]);
    c.expect(&int(1));
}

/// A client and a subscriber to every keyevent channel, on one server.
struct KeyEvents {
    c: RawConn,
    sub: RawConn,
}

impl KeyEvents {
    /// Sends `line` (split on spaces) through the client and expects `reply`, then expects
    /// `events` on the subscriber, in order: "0:hset h" is `h` published on
    /// `__keyevent@0__:hset`.
    fn expect(&mut self, line: &str, reply: &[u8], events: &[&str]) {
        let cmd: Vec<&[u8]> = line.split(' ').map(str::as_bytes).collect();
        self.c.send_cmd(&cmd);
        self.c.expect(reply);
        for event in events {
            let (channel, key) = event.split_once(' ').expect("\"<db>:<event> <key>\"");
            let (db, name) = channel.split_once(':').expect("\"<db>:<event>\"");
            let m = bulks(&self.sub.read_reply());
            let got = (
                String::from_utf8_lossy(&m[2]).into_owned(),
                String::from_utf8_lossy(&m[3]).into_owned(),
            );
            let want = (format!("__keyevent@{db}__:{name}"), key.to_string());
            assert_eq!(got, want, "after {line:?}");
        }
    }
}

#[test]
fn keyspace_events() {
    let s = Server::start(&["--notify-keyspace-events", "KEA"]);
    let mut sub = s.raw();
    sub.send_cmd(&[b"PSUBSCRIBE", b"__keyevent@*__:*"]);
    sub.read_reply();
    let mut k = KeyEvents { c: s.raw(), sub };
    k.expect("HSET h f v", &int(1), &["0:hset h"]);
    k.expect(
        "RENAME h h2",
        b"+OK\r\n",
        &["0:rename_from h", "0:rename_to h2"],
    );
    k.expect("RENAMENX h2 h2", &int(0), &[]);
    k.expect("COPY h2 h3", &int(1), &["0:copy_to h3"]);
    k.expect("COPY h2 h3", &int(0), &[]);
    k.expect("COPY h2 h4 DB 1", &int(1), &["1:copy_to h4"]);
    k.expect("MOVE h3 2", &int(1), &["0:move_from h3", "2:move_to h3"]);
    k.expect("MOVE nokey 2", &int(0), &[]);
    k.expect("EXPIRE h2 100", &int(1), &["0:expire h2"]);
    k.expect("EXPIRE h2 50 GT", &int(0), &[]);
    k.expect("PERSIST h2", &int(1), &["0:persist h2"]);
    k.expect("PERSIST h2", &int(0), &[]);
    k.expect("EXPIRE nokey 100", &int(0), &[]);
    k.expect("EXPIRE h2 -1", &int(1), &["0:del h2"]);
    k.expect("HSET d f v", &int(1), &["0:hset d"]);
    k.expect("DEL d d nokey", &int(1), &["0:del d"]);
    k.expect("HSET u f v", &int(1), &["0:hset u"]);
    k.expect("UNLINK u", &int(1), &["0:del u"]);
    k.expect("TOUCH h2 nokey", &int(0), &[]);
    // Expiry fires "expired" once, from whichever path reclaims the key first.
    k.expect("HSET e f v", &int(1), &["0:hset e"]);
    k.expect("PEXPIRE e 10", &int(1), &["0:expire e"]);
    let m = bulks(&k.sub.read_reply());
    assert_eq!(
        (&m[2][..], &m[3][..]),
        (&b"__keyevent@0__:expired"[..], &b"e"[..])
    );
    k.c.send_cmd(&[b"EXISTS", b"e"]);
    k.c.expect(&int(0));
    // Nothing else is pending: the next event is the one we cause now.
    k.expect("HSET last f v", &int(1), &["0:hset last"]);
}

/// Changes by these commands fail a WATCHer's EXEC; no-ops do not.
#[test]
fn watch_sees_key_changes() {
    let s = Server::start(&[]);
    let mut w = s.raw();
    let mut c = s.raw();
    let args =
        |line: &'static str| -> Vec<&'static [u8]> { line.split(' ').map(str::as_bytes).collect() };
    // (setup commands, db the watcher selects, key it watches, the command under test,
    // whether the watcher's EXEC then fails)
    for (setup, watch_db, key, change, dirty) in [
        ("HSET k f v", "0", "k", "EXPIRE k 100", true),
        ("HSET k f v", "0", "k", "EXPIRE nokey 100", false),
        ("HSET k f v; EXPIRE k 100", "0", "k", "PERSIST k", true),
        ("HSET k f v", "0", "k", "PERSIST k", false),
        ("HSET a f v", "0", "k", "RENAME a k", true),
        ("HSET k f v", "0", "k", "RENAME k b", true),
        ("HSET k f v", "0", "k", "DEL k", true),
        ("HSET k f v", "0", "k", "DEL nokey", false),
        ("HSET a f v", "1", "a", "COPY a a DB 1", true),
        ("HSET a f v", "1", "a", "MOVE a 1", true),
        ("HSET a f v", "0", "a", "MOVE a 1", true),
        // SWAPDB: a watched key that exists in either db changes; one in neither does not.
        ("HSET a f v", "1", "a", "SWAPDB 0 1", true),
        ("HSET a f v", "0", "a", "SWAPDB 0 1", true),
        ("HSET a f v", "0", "zz", "SWAPDB 0 1", false),
        ("HSET a f v", "2", "a", "SWAPDB 0 1", false),
    ] {
        for cmd in setup.split("; ") {
            c.send_cmd(&args(cmd));
            let _ = c.read_reply();
        }
        w.send_cmd(&[b"SELECT", watch_db.as_bytes()]);
        w.expect(b"+OK\r\n");
        w.send_cmd(&[b"WATCH", key.as_bytes()]);
        w.expect(b"+OK\r\n");
        c.send_cmd(&args(change));
        let _ = c.read_reply();
        w.send_cmd(&[b"MULTI"]);
        w.expect(b"+OK\r\n");
        w.send_cmd(&[b"PING"]);
        w.expect(b"+QUEUED\r\n");
        let want: &[u8] = if dirty {
            b"*-1\r\n"
        } else {
            b"*1\r\n+PONG\r\n"
        };
        let got = w.cmd(&[b"EXEC"]);
        assert!(
            got == want,
            "{change} (watching {key} in db {watch_db}): EXEC gave {}",
            common::show(&got)
        );
        c.send_cmd(&[b"FLUSHALL"]);
        c.expect(b"+OK\r\n");
    }
}

/// Hash keys through the type-agnostic commands.
#[test]
fn hash_keys() {
    let s = Server::start(&[]);
    let mut c = s.raw();
    hset(&mut c, b"small");
    let mut big: Vec<Vec<u8>> = vec![b"HSET".to_vec(), b"big".to_vec()];
    for i in 0..600 {
        big.push(format!("f{i}").into_bytes());
        big.push(b"v".to_vec());
    }
    let big_args: Vec<&[u8]> = big.iter().map(|v| v.as_slice()).collect();
    c.send_cmd(&big_args);
    c.expect(&int(600));
    make(&mut c, b"str");
    c.send_cmd(&[b"TYPE", b"small"]);
    c.expect(b"+hash\r\n");
    c.send_cmd(&[b"OBJECT", b"ENCODING", b"small"]);
    c.expect(&bulk(b"listpack"));
    c.send_cmd(&[b"OBJECT", b"ENCODING", b"big"]);
    c.expect(&bulk(b"hashtable"));
    c.send_cmd(&[b"OBJECT", b"REFCOUNT", b"big"]);
    c.expect(&int(1));
    let mut con = s.client();
    let (got, _) = scan_all(&mut con, &["TYPE", "hash"]);
    assert_eq!(
        got.into_iter().collect::<HashSet<_>>(),
        [b"small".to_vec(), b"big".to_vec()].into_iter().collect()
    );
    let (got, _) = scan_all(&mut con, &["TYPE", "string"]);
    assert_eq!(got, vec![b"str".to_vec()]);
    // COPY is deep: changing the copy leaves the source alone, in both encodings.
    for key in [&b"small"[..], b"big"] {
        let copy = [key, b"-copy"].concat();
        c.send_cmd(&[b"COPY", key, &copy]);
        c.expect(&int(1));
        c.send_cmd(&[b"OBJECT", b"ENCODING", &copy]);
        let enc = c.read_reply();
        c.send_cmd(&[b"OBJECT", b"ENCODING", key]);
        c.expect(&enc);
        c.send_cmd(&[b"HSET", &copy, b"f0", b"changed"]);
        c.expect(&int(i64::from(key == b"small")));
        c.send_cmd(&[b"HGET", key, b"f0"]);
        if key == b"small" {
            c.expect(b"$-1\r\n");
        } else {
            c.expect(&bulk(b"v"));
        }
        c.send_cmd(&[b"HGET", &copy, b"f0"]);
        c.expect(&bulk(b"changed"));
    }
}

/// Values are carried byte for byte: all 256 byte values and a 1 MB value through RENAME,
/// COPY (an independent copy) and MOVE.
#[test]
fn values_survive_rename_copy_move() {
    let s = Server::start(&[]);
    let mut c = s.raw();
    let all: Vec<u8> = (0..=255u8).collect();
    let big: Vec<u8> = (0..(1usize << 20)).map(|i| (i * 7 % 251) as u8).collect();
    for (key, val) in [(&b"all"[..], &all), (b"big", &big)] {
        c.send_cmd(&[b"SET", key, val]);
        c.expect(b"+OK\r\n");
        let renamed = [key, b"-r"].concat();
        c.send_cmd(&[b"RENAME", key, &renamed]);
        c.expect(b"+OK\r\n");
        c.send_cmd(&[b"GET", &renamed]);
        c.expect(&bulk(val));
        let copy = [key, b"-c"].concat();
        c.send_cmd(&[b"COPY", &renamed, &copy]);
        c.expect(&int(1));
        c.send_cmd(&[b"GET", &copy]);
        c.expect(&bulk(val));
        c.send_cmd(&[b"APPEND", &copy, b"!"]);
        c.expect(&int(val.len() as i64 + 1));
        c.send_cmd(&[b"GET", &renamed]);
        c.expect(&bulk(val));
        c.send_cmd(&[b"MOVE", &renamed, b"5"]);
        c.expect(&int(1));
        c.send_cmd(&[b"SELECT", b"5"]);
        c.expect(b"+OK\r\n");
        c.send_cmd(&[b"GET", &renamed]);
        c.expect(&bulk(val));
        c.send_cmd(&[b"COPY", &renamed, key, b"DB", b"0"]);
        c.expect(&int(1));
        c.send_cmd(&[b"SELECT", b"0"]);
        c.expect(b"+OK\r\n");
        c.send_cmd(&[b"GET", key]);
        c.expect(&bulk(val));
    }
}

#[test]
fn object_encoding_and_refcount_of_strings() {
    let s = Server::start(&[]);
    let mut c = s.raw();
    for (k, v) in [
        (&b"int"[..], &b"123"[..]),
        (b"neg", b"-5"),
        (b"big", b"99999"),
        (b"notint", b"0123"),
        (b"emb", b"abc"),
        (b"raw", &[b'x'; 45][..]),
    ] {
        c.send_cmd(&[b"SET", k, v]);
        c.expect(b"+OK\r\n");
    }
    for (k, enc, rc) in [
        (&b"int"[..], &b"int"[..], 2147483647),
        (b"neg", b"int", 1),
        (b"big", b"int", 1),
        (b"notint", b"embstr", 1),
        (b"emb", b"embstr", 1),
        (b"raw", b"raw", 1),
    ] {
        c.send_cmd(&[b"OBJECT", b"ENCODING", k]);
        c.expect(&bulk(enc));
        c.send_cmd(&[b"OBJECT", b"REFCOUNT", k]);
        c.expect(&int(rc));
    }
    // APPEND makes a raw string whatever its length.
    c.send_cmd(&[b"APPEND", b"emb", b"d"]);
    c.expect(&int(4));
    c.send_cmd(&[b"OBJECT", b"ENCODING", b"emb"]);
    c.expect(&bulk(b"raw"));
    // Shared integers, as keyspace.tcl checks: copies stay shared unless an LRU/LFU
    // maxmemory policy needs per-key metadata.
    c.send_cmd(&[b"SET", b"intkey", b"1"]);
    c.expect(b"+OK\r\n");
    c.send_cmd(&[b"COPY", b"intkey", b"newintkey1"]);
    c.expect(&int(1));
    c.send_cmd(&[b"OBJECT", b"REFCOUNT", b"newintkey1"]);
    c.expect(&int(2147483647));
    for (k, v) in [
        (&b"maxmemory"[..], &b"10gb"[..]),
        (b"maxmemory-policy", b"allkeys-lru"),
    ] {
        c.send_cmd(&[b"CONFIG", b"SET", k, v]);
        c.expect(b"+OK\r\n");
    }
    c.send_cmd(&[b"COPY", b"intkey", b"newintkey2"]);
    c.expect(&int(1));
    c.send_cmd(&[b"OBJECT", b"REFCOUNT", b"newintkey2"]);
    c.expect(&int(1));
    c.send_cmd(&[b"OBJECT", b"ENCODING", b"newintkey2"]);
    c.expect(&bulk(b"int"));
}

/// A db growing past a million keys takes the key table's large-table path: the next index is
/// prepared on a helper thread at 3/4 load (1,376,256 of 1,835,008 slots) and the keys move
/// into it a few per command (`keyspace::table`; its unit tests run the same path at small
/// sizes, this runs it in the real binary). Every key stays readable, with its own value,
/// while the move runs and while deletions relocate entries across it, and DBSIZE stays exact.
#[test]
fn a_table_growing_past_a_million_keys_keeps_every_key() {
    const BASE: usize = 1_300_000;
    const MORE: usize = 600_000;
    let s = Server::start(&[]);
    let mut c = s.raw();
    assert_eq!(
        c.cmd(&[b"DEBUG", b"POPULATE", BASE.to_string().as_bytes()]),
        b"+OK\r\n"
    );
    let sets = (0..MORE)
        .map(|i| {
            common::encode(&[
                b"SET",
                format!("new:{i}").as_bytes(),
                i.to_string().as_bytes(),
            ])
        })
        .collect();
    assert!(c.pipeline(sets).iter().all(|r| r == b"+OK\r\n"));
    assert_eq!(query_int(&mut c, &[b"DBSIZE"]), (BASE + MORE) as i64);

    // Reads back every 997th key of both sets: `key:N` = `value:N` from DEBUG POPULATE.
    let check = |c: &mut RawConn, deleted: usize| {
        let mut probes = Vec::new();
        for i in (0..BASE).step_by(997) {
            let want = (i >= deleted).then(|| bulk(format!("value:{i}").as_bytes()));
            probes.push((format!("key:{i}"), want));
        }
        for i in (0..MORE).step_by(997) {
            probes.push((format!("new:{i}"), Some(bulk(i.to_string().as_bytes()))));
        }
        let gets = probes
            .iter()
            .map(|(k, _)| common::encode(&[b"GET", k.as_bytes()]))
            .collect();
        for ((key, want), got) in probes.iter().zip(c.pipeline(gets)) {
            let want = want.clone().unwrap_or_else(|| b"$-1\r\n".to_vec());
            assert_eq!(got, want, "GET {key}");
        }
    };
    check(&mut c, 0);

    // Deleting moves the last entry into each hole: positions on both sides of the move.
    const DELETED: usize = 200_000;
    let dels = (0..DELETED)
        .map(|i| common::encode(&[b"DEL", format!("key:{i}").as_bytes()]))
        .collect();
    assert!(c.pipeline(dels).iter().all(|r| r == b":1\r\n"));
    assert_eq!(
        query_int(&mut c, &[b"DBSIZE"]),
        (BASE + MORE - DELETED) as i64
    );
    check(&mut c, DELETED);
}
