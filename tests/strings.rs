//! String commands against the real binary: SET (every option and combination), GET, GETSET,
//! GETDEL, GETEX, MGET, MSET, MSETNX, SETNX, SETEX, PSETEX, APPEND, STRLEN, GETRANGE/SUBSTR,
//! SETRANGE, INCR/DECR/INCRBY/DECRBY, INCRBYFLOAT and LCS.
//!
//! Replies are asserted byte for byte. Every expected error text and reply below was checked
//! against redis-server 7.0.15 with redis-cli; `differential_against_redis` goes further and
//! replays a fixed script plus a seeded random command stream (hash keys mixed in, RESP2 then
//! RESP3) against a real redis-server 7.0 (when installed) and compares every reply, and
//! `keyspace_events_match_redis` compares the notifications. AOF tests check the logged forms
//! and that a lazily expired key's DEL is logged before the command that replaced it.
//! Re-expresses the applicable parts of redis tests/unit/type/string.tcl and incr.tcl.
//!
//! TTLs are observed through `INFO keyspace` (`expires=`) and by polling GET with short PX
//! values; nothing sleeps to synchronise.

// Test code: a panic is how a test fails.
#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{
    IO_DEADLINE, RawConn, Server, bulk, bulk_payload, info_num, int, show, unix_ms, wait_until,
};
use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};

const OK: &[u8] = b"+OK\r\n";
const NULL: &[u8] = b"$-1\r\n";
const EMPTY: &[u8] = b"$0\r\n\r\n";
const WRONGTYPE: &[u8] = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
const SYNTAX: &[u8] = b"-ERR syntax error\r\n";
const NOT_INT: &[u8] = b"-ERR value is not an integer or out of range\r\n";
const NOT_FLOAT: &[u8] = b"-ERR value is not a valid float\r\n";
const OVERFLOW: &[u8] = b"-ERR increment or decrement would overflow\r\n";
const NAN_INF: &[u8] = b"-ERR increment would produce NaN or Infinity\r\n";
const TOO_LONG: &[u8] = b"-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n";
const OFFSET: &[u8] = b"-ERR offset is out of range\r\n";

fn invalid_expire(cmd: &str) -> Vec<u8> {
    format!("-ERR invalid expire time in '{cmd}' command\r\n").into_bytes()
}

/// Send `line` (split on spaces; no empty arguments) and assert the exact reply.
#[track_caller]
fn check(c: &mut RawConn, line: &str, want: &[u8]) {
    let args: Vec<&[u8]> = line.split(' ').map(str::as_bytes).collect();
    check_args(c, &args, want);
}

#[track_caller]
fn check_args(c: &mut RawConn, args: &[&[u8]], want: &[u8]) {
    let got = c.cmd(args);
    assert!(
        got == want,
        "{}\n  want: {}\n   got: {}",
        args.iter()
            .map(|a| show(&a[..a.len().min(40)]))
            .collect::<Vec<_>>()
            .join(" "),
        show(want),
        show(&got)
    );
}

/// `(keys, expires)` of db0 from INFO keyspace; (0, 0) when the db is empty.
fn db0(c: &mut RawConn) -> (u64, u64) {
    let info = String::from_utf8(bulk_payload(&c.cmd(&[b"INFO", b"keyspace"]))).unwrap();
    let Some(line) = info.lines().find_map(|l| l.strip_prefix("db0:")) else {
        return (0, 0);
    };
    let f: HashMap<&str, u64> = line
        .trim_end()
        .split(',')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k, v.parse().unwrap()))
        .collect();
    (f["keys"], f["expires"])
}

fn info_stat(c: &mut RawConn, name: &str) -> u64 {
    info_num(c, "stats", name)
}

/// Poll until GET `key` answers null (the key expired), within a generous deadline.
#[track_caller]
fn wait_gone(c: &mut RawConn, key: &str) {
    assert!(
        wait_until(IO_DEADLINE, || c.cmd(&[b"GET", key.as_bytes()]) == NULL),
        "{key} did not expire"
    );
}

// ---- SET and friends ----------------------------------------------------------------------

#[test]
fn set_get_basics() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    check(&mut c, "GET foo", NULL);
    check(&mut c, "SET foo bar", OK);
    check(&mut c, "GET foo", &bulk(b"bar"));
    check(&mut c, "set foo baz", OK);
    check(&mut c, "get foo", &bulk(b"baz"));
    check_args(&mut c, &[b"SET", b"empty", b""], OK);
    check(&mut c, "GET empty", EMPTY);
    check(&mut c, "SET n 12345", OK);
    check(&mut c, "GET n", &bulk(b"12345"));
    check(&mut c, "SET n -9223372036854775808", OK);
    check(&mut c, "GET n", &bulk(b"-9223372036854775808"));
    // Not canonical integers: kept byte for byte.
    for v in ["007", "-0", "+1", "1.0", "9223372036854775808", "0x10"] {
        check(&mut c, &format!("SET v {v}"), OK);
        check(&mut c, "GET v", &bulk(v.as_bytes()));
    }
    check(
        &mut c,
        "SET",
        b"-ERR wrong number of arguments for 'set' command\r\n",
    );
    check(
        &mut c,
        "SET k",
        b"-ERR wrong number of arguments for 'set' command\r\n",
    );
    check(
        &mut c,
        "GET",
        b"-ERR wrong number of arguments for 'get' command\r\n",
    );
    check(
        &mut c,
        "GET a b",
        b"-ERR wrong number of arguments for 'get' command\r\n",
    );
}

#[test]
fn set_nx_xx_get_replies() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    // NX / XX alone.
    check(&mut c, "SET k v1 XX", NULL);
    check(&mut c, "GET k", NULL);
    check(&mut c, "SET k v1 NX", OK);
    check(&mut c, "SET k v2 NX", NULL);
    check(&mut c, "GET k", &bulk(b"v1"));
    check(&mut c, "SET k v3 XX", OK);
    check(&mut c, "GET k", &bulk(b"v3"));
    // GET: the old value (or null), and no +OK.
    check(&mut c, "SET k v4 GET", &bulk(b"v3"));
    check(&mut c, "SET new v GET", NULL);
    check(&mut c, "GET new", &bulk(b"v"));
    check(&mut c, "SET k v5 get GET", &bulk(b"v4"));
    // NX GET (allowed since 7.0): old value, nothing set when present.
    check(&mut c, "SET k v6 NX GET", &bulk(b"v5"));
    check(&mut c, "GET k", &bulk(b"v5"));
    check(&mut c, "SET nxget v NX GET", NULL);
    check(&mut c, "GET nxget", &bulk(b"v"));
    // XX GET: null and not set when missing.
    check(&mut c, "SET xxget v XX GET", NULL);
    check(&mut c, "GET xxget", NULL);
    check(&mut c, "SET k v7 XX GET", &bulk(b"v5"));
    check(&mut c, "GET k", &bulk(b"v7"));
    // Repeated options are fine.
    check(&mut c, "SET k v8 NX NX", NULL);
    check(&mut c, "SET k v8 XX xx", OK);
    check(&mut c, "SET k v9 KEEPTTL KEEPTTL", OK);
    check(&mut c, "SET k v9 EX 100 EX 200", OK);
    check(&mut c, "SET k v9 PX 100000 PX 200000", OK);
    check(&mut c, "SET k v9 EXAT 99999999999 exat 99999999998", OK);
    check(&mut c, "GET k", &bulk(b"v9"));
}

#[test]
fn set_option_errors() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    for bad in [
        "SET k v NX XX",
        "SET k v XX NX",
        "SET k v EX 10 PX 10",
        "SET k v PX 10 EX 10",
        "SET k v EX 10 EXAT 10",
        "SET k v EXAT 10 PXAT 10",
        "SET k v PXAT 10 PX 10",
        "SET k v KEEPTTL EX 10",
        "SET k v EX 10 KEEPTTL",
        "SET k v PXAT 10 KEEPTTL",
        "SET k v EX",
        "SET k v PX",
        "SET k v EXAT",
        "SET k v PXAT",
        "SET k v NX EX",
        "SET k v PERSIST",
        "SET k v foo",
        "SET k v EX 10 foo",
        "SET k v NXX",
        "SET k v GETT",
    ] {
        check(&mut c, bad, SYNTAX);
    }
    check_args(&mut c, &[b"SET", b"k", b"v", b""], SYNTAX);
    // Nothing was stored by any of those.
    check(&mut c, "GET k", NULL);
    let e = invalid_expire("set");
    for bad in [
        "SET k v EX 0",
        "SET k v EX -1",
        "SET k v PX 0",
        "SET k v PX -100",
        "SET k v EXAT 0",
        "SET k v PXAT 0",
        "SET k v EXAT -1",
        "SET k v PXAT -9223372036854775808",
        // seconds * 1000 overflows
        "SET k v EX 9223372036854775807",
        "SET k v EX 9223372036854775",
        "SET k v EXAT 9223372036854776",
        // fits * 1000 but not + now
        "SET k v EX 9223372036854774",
        "SET k v PX 9223372036854775807",
    ] {
        check(&mut c, bad, &e);
    }
    for bad in [
        "SET k v EX abc",
        "SET k v PX 1.5",
        "SET k v EXAT 9223372036854775808",
        "SET k v PXAT 01",
        "SET k v EX +1",
    ] {
        check(&mut c, bad, NOT_INT);
    }
    check_args(&mut c, &[b"SET", b"k", b"v", b"EX", b" 1"], NOT_INT);
    check(&mut c, "GET k", NULL);
    // The largest absolute deadlines are accepted.
    check(&mut c, "SET k v EXAT 9223372036854775", OK);
    check(&mut c, "SET k v PXAT 9223372036854775807", OK);
    check(&mut c, "GET k", &bulk(b"v"));
    assert_eq!(db0(&mut c), (1, 1));
    // The expire value is checked before GET looks at the old value.
    check(&mut c, "SET k v EX 0 GET", &e);
}

#[test]
fn set_and_ttl() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    check(&mut c, "SET k v EX 100", OK);
    assert_eq!(db0(&mut c), (1, 1));
    // A plain SET clears the TTL, KEEPTTL keeps it.
    check(&mut c, "SET k v2", OK);
    assert_eq!(db0(&mut c), (1, 0));
    check(&mut c, "SET k v PX 100000", OK);
    check(&mut c, "SET k v3 KEEPTTL", OK);
    assert_eq!(db0(&mut c), (1, 1));
    check(&mut c, "SET k v4 XX KEEPTTL GET", &bulk(b"v3"));
    assert_eq!(db0(&mut c), (1, 1));
    check(&mut c, "SET k v5 GET", &bulk(b"v4"));
    assert_eq!(db0(&mut c), (1, 0));
    // KEEPTTL on a key without TTL, or a new key: no TTL.
    check(&mut c, "SET k v KEEPTTL", OK);
    check(&mut c, "SET k2 v KEEPTTL", OK);
    assert_eq!(db0(&mut c), (2, 0));

    // Short TTLs really expire; KEEPTTL keeps the short one; a plain SET survives it. (No
    // reads of a short-lived key before it expires: a loaded machine may take longer than the TTL.)
    check(&mut c, "SET px v PX 50", OK);
    check(&mut c, "SET keep v PX 500", OK);
    check(&mut c, "SET keep v2 KEEPTTL", OK);
    check(&mut c, "SET cleared v PX 50", OK);
    check(&mut c, "SET cleared v2", OK);
    wait_gone(&mut c, "px");
    wait_gone(&mut c, "keep");
    check(&mut c, "GET cleared", &bulk(b"v2"));

    // Absolute deadlines: in the future the key lives, in the past it is stored and then
    // immediately invisible (Redis 7.0 stores it and expires it on access).
    let soon = unix_ms() + 100;
    check(&mut c, &format!("SET pxat v PXAT {soon}"), OK);
    check(
        &mut c,
        &format!("SET exat v EXAT {}", unix_ms() / 1000 + 1000),
        OK,
    );
    check(&mut c, "GET exat", &bulk(b"v"));
    wait_gone(&mut c, "pxat");
    check(&mut c, "SET past v EXAT 1", OK);
    check(&mut c, "GET past", NULL);
    check(&mut c, "SET past v PXAT 1 GET", NULL);
    check(&mut c, "GET past", NULL);
    // SET NX on a key that just expired succeeds; XX fails.
    check(&mut c, "SET e v PX 20", OK);
    wait_gone(&mut c, "e");
    check(&mut c, "SET e v XX", NULL);
    check(&mut c, "SET e v NX", OK);
    check(&mut c, "GET e", &bulk(b"v"));
    // KEEPTTL never resurrects an expired deadline.
    check(&mut c, "SET f v PX 20", OK);
    wait_gone(&mut c, "f");
    check(&mut c, "SET f v KEEPTTL", OK);
    check(&mut c, "DBSIZE", &int(6));
    let (_, expires) = db0(&mut c);
    assert_eq!(expires, 1, "only exat keeps a TTL");
}

#[test]
fn setnx_setex_psetex() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    check(&mut c, "SETNX k v1", &int(1));
    check(&mut c, "SETNX k v2", &int(0));
    check(&mut c, "GET k", &bulk(b"v1"));
    check(
        &mut c,
        "SETNX k",
        b"-ERR wrong number of arguments for 'setnx' command\r\n",
    );
    // SETNX against an expired key succeeds (string.tcl "SETNX against expired volatile key").
    check(&mut c, "SET x foo PX 20", OK);
    wait_gone(&mut c, "x");
    check(&mut c, "SETNX x bar", &int(1));
    check(&mut c, "GET x", &bulk(b"bar"));

    check(&mut c, "SETEX s 100 v", OK);
    check(&mut c, "GET s", &bulk(b"v"));
    check(&mut c, "PSETEX p 100000 v", OK);
    assert_eq!(db0(&mut c), (4, 2));
    check(&mut c, "PSETEX short 30 v", OK);
    wait_gone(&mut c, "short");
    for bad in [
        "SETEX k 0 v",
        "SETEX k -10 v",
        "SETEX k 9223372036854775807 v",
    ] {
        check(&mut c, bad, &invalid_expire("setex"));
    }
    check(
        &mut c,
        "SETEX k 9223372036854775 v",
        &invalid_expire("setex"),
    );
    for bad in [
        "PSETEX k 0 v",
        "PSETEX k -1 v",
        "PSETEX k 9223372036854775807 v",
    ] {
        check(&mut c, bad, &invalid_expire("psetex"));
    }
    check(&mut c, "SETEX k abc v", NOT_INT);
    check(&mut c, "PSETEX k 1.5 v", NOT_INT);
    check(&mut c, "GET k", &bulk(b"v1"));
    check(
        &mut c,
        "SETEX k 10",
        b"-ERR wrong number of arguments for 'setex' command\r\n",
    );
    check(
        &mut c,
        "PSETEX k 10 v x",
        b"-ERR wrong number of arguments for 'psetex' command\r\n",
    );
}

#[test]
fn getset_getdel() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    check(&mut c, "GETSET k v1", NULL);
    check(&mut c, "GETSET k v2", &bulk(b"v1"));
    check(&mut c, "GET k", &bulk(b"v2"));
    // GETSET clears the TTL.
    check(&mut c, "SET t v EX 100", OK);
    check(&mut c, "GETSET t w", &bulk(b"v"));
    assert_eq!(db0(&mut c), (2, 0));

    check(&mut c, "GETDEL k", &bulk(b"v2"));
    check(&mut c, "GETDEL k", NULL);
    check(&mut c, "GET k", NULL);
    check(&mut c, "SET n 42", OK);
    check(&mut c, "GETDEL n", &bulk(b"42"));
    check(&mut c, "SET gone v PX 20", OK);
    wait_gone(&mut c, "gone");
    check(&mut c, "GETDEL gone", NULL);
    check(
        &mut c,
        "GETDEL a b",
        b"-ERR wrong number of arguments for 'getdel' command\r\n",
    );
    check(
        &mut c,
        "GETSET a",
        b"-ERR wrong number of arguments for 'getset' command\r\n",
    );
}

#[test]
fn getex_options_and_errors() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    check(&mut c, "GETEX missing", NULL);
    check(&mut c, "SET k v", OK);
    check(&mut c, "GETEX k", &bulk(b"v"));
    assert_eq!(db0(&mut c), (1, 0));
    check(&mut c, "GETEX k EX 100", &bulk(b"v"));
    assert_eq!(db0(&mut c), (1, 1));
    check(&mut c, "GETEX k PERSIST", &bulk(b"v"));
    assert_eq!(db0(&mut c), (1, 0));
    check(&mut c, "GETEX k PERSIST persist", &bulk(b"v"));
    check(&mut c, "GETEX k PX 100000", &bulk(b"v"));
    check(
        &mut c,
        &format!("GETEX k EXAT {}", unix_ms() / 1000 + 1000),
        &bulk(b"v"),
    );
    check(
        &mut c,
        &format!("GETEX k PXAT {}", unix_ms() + 1_000_000),
        &bulk(b"v"),
    );
    check(&mut c, "GETEX k EX 10 EX 20", &bulk(b"v"));
    assert_eq!(db0(&mut c), (1, 1));
    // A short PX really expires the key.
    check(&mut c, "GETEX k PX 30", &bulk(b"v"));
    wait_gone(&mut c, "k");
    // An absolute time in the past deletes the key at once (after replying with the value).
    check(&mut c, "SET k v", OK);
    check(&mut c, "GETEX k PXAT 1", &bulk(b"v"));
    check(&mut c, "GET k", NULL);
    check(&mut c, "SET k v", OK);
    check(&mut c, "GETEX k EXAT 1", &bulk(b"v"));
    check(&mut c, "DBSIZE", &int(0));

    check(&mut c, "SET k v", OK);
    for bad in [
        "GETEX k EX 10 PERSIST",
        "GETEX k PERSIST EX 10",
        "GETEX k PERSIST PXAT 10",
        "GETEX k KEEPTTL",
        "GETEX k NX",
        "GETEX k XX",
        "GETEX k GET",
        "GETEX k EX",
        "GETEX k EX 10 PX 10",
        "GETEX k foo",
        "GETEX missing foo",
    ] {
        check(&mut c, bad, SYNTAX);
    }
    for bad in [
        "GETEX k EX 0",
        "GETEX k PX -1",
        "GETEX k EXAT 0",
        "GETEX k EX 9223372036854775",
    ] {
        check(&mut c, bad, &invalid_expire("getex"));
    }
    check(&mut c, "GETEX k EX abc", NOT_INT);
    // The expire value is only validated for an existing string.
    check(&mut c, "GETEX missing EX 0", NULL);
    check(&mut c, "GETEX missing EX abc", NULL);
    check(&mut c, "GET k", &bulk(b"v"));
    assert_eq!(db0(&mut c), (1, 0));
    check(
        &mut c,
        "GETEX",
        b"-ERR wrong number of arguments for 'getex' command\r\n",
    );
}

#[test]
fn mget_mset_msetnx() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    check(&mut c, "MSET a 1 b 2 c 3", OK);
    check(
        &mut c,
        "MGET a b c missing",
        b"*4\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$-1\r\n",
    );
    check(&mut c, "MGET missing", b"*1\r\n$-1\r\n");
    // Later pairs win.
    check(&mut c, "MSET x 1 x 2", OK);
    check(&mut c, "GET x", &bulk(b"2"));
    // MSET clears TTLs.
    check(&mut c, "SET a v EX 100", OK);
    check(&mut c, "MSET a 10", OK);
    assert_eq!(db0(&mut c), (4, 0));
    for (line, name) in [
        ("MSET a", "mset"),
        ("MSET a b c", "mset"),
        ("MSETNX a b c", "msetnx"),
    ] {
        check(
            &mut c,
            line,
            format!("-ERR wrong number of arguments for '{name}' command\r\n").as_bytes(),
        );
    }
    check(&mut c, "MSETNX a 5 new 6", &int(0));
    check(&mut c, "MGET a new", b"*2\r\n$2\r\n10\r\n$-1\r\n");
    check(&mut c, "MSETNX n1 v1 n2 v2", &int(1));
    check(&mut c, "MGET n1 n2", b"*2\r\n$2\r\nv1\r\n$2\r\nv2\r\n");
    // The same key twice in MSETNX: both pairs apply, the last wins.
    check(&mut c, "MSETNX d 1 d 2", &int(1));
    check(&mut c, "GET d", &bulk(b"2"));
    // An expired key does not block MSETNX.
    check(&mut c, "SET e v PX 20", OK);
    wait_gone(&mut c, "e");
    check(&mut c, "MSETNX e 1 f 2", &int(1));
    check(
        &mut c,
        "MGET",
        b"-ERR wrong number of arguments for 'mget' command\r\n",
    );
}

// ---- APPEND, STRLEN, GETRANGE, SETRANGE ---------------------------------------------------

#[test]
fn append_and_strlen() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    check(&mut c, "STRLEN foo", &int(0));
    check(&mut c, "APPEND foo bar", &int(3));
    check(&mut c, "APPEND foo 100", &int(6));
    check(&mut c, "GET foo", &bulk(b"bar100"));
    check(&mut c, "STRLEN foo", &int(6));
    check_args(&mut c, &[b"APPEND", b"foo", b""], &int(6));
    check_args(&mut c, &[b"APPEND", b"empty", b""], &int(0));
    check(&mut c, "GET empty", EMPTY);
    // Int-encoded values: lengths and appends work on the decimal form.
    check(&mut c, "SET n -12345", OK);
    check(&mut c, "STRLEN n", &int(6));
    check(&mut c, "APPEND n 6", &int(7));
    check(&mut c, "GET n", &bulk(b"-123456"));
    check(&mut c, "INCR n", &int(-123455));
    check(&mut c, "SET n 9223372036854775807", OK);
    check(&mut c, "STRLEN n", &int(19));
    // APPEND keeps the TTL.
    check(&mut c, "SET t a EX 100", OK);
    check(&mut c, "APPEND t b", &int(2));
    assert_eq!(db0(&mut c).1, 1);
    // APPEND on an expired key starts over, without a TTL.
    check(&mut c, "SET e old PX 20", OK);
    wait_gone(&mut c, "e");
    check(&mut c, "APPEND e new", &int(3));
    check(&mut c, "GET e", &bulk(b"new"));
    assert_eq!(db0(&mut c).1, 1);
    // Amortised growth: many small appends.
    let mut want = Vec::new();
    for i in 0..2000 {
        let piece = format!("{i},");
        want.extend_from_slice(piece.as_bytes());
        check(
            &mut c,
            &format!("APPEND big {piece}"),
            &int(want.len() as i64),
        );
    }
    check(&mut c, "GET big", &bulk(&want));
    check(
        &mut c,
        "STRLEN a b",
        b"-ERR wrong number of arguments for 'strlen' command\r\n",
    );
    check(
        &mut c,
        "APPEND a",
        b"-ERR wrong number of arguments for 'append' command\r\n",
    );
}

#[test]
fn getrange_and_substr() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    check(&mut c, "GETRANGE missing 0 -1", EMPTY);
    check(&mut c, "SET s hello", OK);
    for (range, want) in [
        ("0 -1", &b"hello"[..]),
        ("0 0", b"h"),
        ("0 3", b"hell"),
        ("-3 -1", b"llo"),
        ("1 -2", b"ell"),
        ("0 -100", b"h"),
        ("-100 -50", b"h"),
        ("-100 2", b"hel"),
        ("-1 -5", b""),
        ("5 10", b""),
        ("4 10", b"o"),
        ("2 1", b""),
        ("0 9223372036854775807", b"hello"),
        ("9223372036854775807 -9223372036854775808", b""),
        ("-9223372036854775808 9223372036854775807", b"hello"),
    ] {
        check(&mut c, &format!("GETRANGE s {range}"), &bulk(want));
        check(&mut c, &format!("SUBSTR s {range}"), &bulk(want));
    }
    // Int-encoded values (string.tcl "GETRANGE against integer-encoded value").
    check(&mut c, "SET n 1234", OK);
    for (range, want) in [
        ("0 2", &b"123"[..]),
        ("0 -1", b"1234"),
        ("-3 -1", b"234"),
        ("5 500", b""),
        ("-5000 10000", b"1234"),
    ] {
        check(&mut c, &format!("GETRANGE n {range}"), &bulk(want));
    }
    check_args(&mut c, &[b"SET", b"e", b""], OK);
    check(&mut c, "GETRANGE e 0 -1", EMPTY);
    check(&mut c, "GETRANGE e 0 0", EMPTY);
    check(&mut c, "GETRANGE s 0 a", NOT_INT);
    check(&mut c, "GETRANGE s 1.5 2", NOT_INT);
    check(&mut c, "GETRANGE missing x 2", NOT_INT);
    check(
        &mut c,
        "GETRANGE s 0",
        b"-ERR wrong number of arguments for 'getrange' command\r\n",
    );
    check(
        &mut c,
        "SUBSTR s 0",
        b"-ERR wrong number of arguments for 'substr' command\r\n",
    );
}

#[test]
fn setrange_basics() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    // string.tcl "SETRANGE against non-existing key".
    check(&mut c, "SETRANGE mykey 0 foo", &int(3));
    check(&mut c, "GET mykey", &bulk(b"foo"));
    check_args(&mut c, &[b"SETRANGE", b"none", b"0", b""], &int(0));
    check(&mut c, "GET none", NULL);
    check_args(&mut c, &[b"SETRANGE", b"none", b"1", b""], &int(0));
    check(&mut c, "SETRANGE pad 1 foo", &int(4));
    check(&mut c, "GET pad", &bulk(b"\0foo"));
    // Existing strings.
    check(&mut c, "SET mykey foo", OK);
    check_args(&mut c, &[b"SETRANGE", b"mykey", b"0", b""], &int(3));
    check(&mut c, "SETRANGE mykey 0 b", &int(3));
    check(&mut c, "GET mykey", &bulk(b"boo"));
    check(&mut c, "SETRANGE mykey 1 xx", &int(3));
    check(&mut c, "GET mykey", &bulk(b"bxx"));
    check(&mut c, "SETRANGE mykey 3 end", &int(6));
    check(&mut c, "SETRANGE mykey 8 !", &int(9));
    check(&mut c, "GET mykey", &bulk(b"bxxend\0\0!"));
    // Integer-encoded values.
    check(&mut c, "SET n 1234", OK);
    check_args(&mut c, &[b"SETRANGE", b"n", b"0", b""], &int(4));
    check(&mut c, "GET n", &bulk(b"1234"));
    check(&mut c, "SETRANGE n 1 3", &int(4));
    check(&mut c, "GET n", &bulk(b"1334"));
    check(&mut c, "SETRANGE n 5 2", &int(6));
    check(&mut c, "GET n", &bulk(b"1334\x002"));
    // Keeps the TTL.
    check(&mut c, "SET t abc EX 100", OK);
    check(&mut c, "SETRANGE t 1 X", &int(3));
    assert_eq!(db0(&mut c).1, 1);
    // Offset errors come before anything else, even for empty values.
    check(&mut c, "SETRANGE mykey -1 foo", OFFSET);
    check_args(&mut c, &[b"SETRANGE", b"mykey", b"-1", b""], OFFSET);
    check(&mut c, "SETRANGE mykey -9223372036854775808 x", OFFSET);
    check(&mut c, "SETRANGE mykey abc x", NOT_INT);
    check(&mut c, "SETRANGE mykey 1.0 x", NOT_INT);
    // The 512MB default cap, checked before allocating anything.
    check(&mut c, "SETRANGE big 536870912 x", TOO_LONG);
    check(&mut c, "SETRANGE mykey 536870912 x", TOO_LONG);
    check(&mut c, "SETRANGE mykey 536870911 xx", TOO_LONG);
    check(&mut c, "SETRANGE mykey 9223372036854775807 x", TOO_LONG);
    check(&mut c, "GET big", NULL);
    // Empty values never hit the cap.
    check_args(
        &mut c,
        &[b"SETRANGE", b"mykey", b"9223372036854775807", b""],
        &int(9),
    );
    check_args(&mut c, &[b"SETRANGE", b"big", b"536870912", b""], &int(0));
    check(
        &mut c,
        "SETRANGE k 0",
        b"-ERR wrong number of arguments for 'setrange' command\r\n",
    );
}

#[test]
fn string_size_cap_follows_proto_max_bulk_len() {
    let srv = Server::start(&["--proto-max-bulk-len", "1mb"]);
    let mut c = srv.raw();
    const MB: usize = 1 << 20;
    check(&mut c, &format!("SETRANGE k {} x", MB - 1), &int(MB as i64));
    check(&mut c, &format!("SETRANGE k {MB} x"), TOO_LONG);
    check(&mut c, &format!("SETRANGE new {MB} x"), TOO_LONG);
    check(&mut c, "STRLEN k", &int(MB as i64));
    check(&mut c, "APPEND k x", TOO_LONG);
    check_args(&mut c, &[b"APPEND", b"k", b""], &int(MB as i64));
    check(&mut c, "SET small abc", OK);
    let tail = vec![b'y'; MB - 3];
    check_args(&mut c, &[b"APPEND", b"small", &tail], &int(MB as i64));
    check(&mut c, "APPEND small z", TOO_LONG);
    // Raising the limit at runtime applies at once.
    check(&mut c, "CONFIG SET proto-max-bulk-len 2mb", OK);
    check(&mut c, "APPEND small z", &int(MB as i64 + 1));
}

// ---- INCR family --------------------------------------------------------------------------

#[test]
fn incr_decr_family() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    check(&mut c, "INCR novar", &int(1));
    check(&mut c, "INCR novar", &int(2));
    check(&mut c, "GET novar", &bulk(b"2"));
    check(&mut c, "INCRBY novar 100", &int(102));
    check(&mut c, "INCRBY novar -200", &int(-98));
    check(&mut c, "DECR novar", &int(-99));
    check(&mut c, "DECRBY novar 1", &int(-100));
    check(&mut c, "DECRBY novar -1000", &int(900));
    check(&mut c, "DECR fresh", &int(-1));
    check(&mut c, "DECRBY fresh2 5", &int(-5));
    check(&mut c, "INCRBY fresh3 -5", &int(-5));
    check(&mut c, "SET n 17179869184", OK);
    check(&mut c, "INCR n", &int(17179869185));
    check(&mut c, "INCRBY n 17179869184", &int(34359738369));
    // Values stored as strings that are valid integers.
    check(&mut c, "SET s 12", OK);
    check(&mut c, "APPEND s 3", &int(3));
    check(&mut c, "INCR s", &int(124));
    // Not integers (string.tcl "INCR fails against key with spaces", ...).
    for v in [
        " 11",
        "11 ",
        "01",
        "-0",
        "+1",
        "1.5",
        "abc",
        "123456789012345678901",
        "9223372036854775808",
    ] {
        check_args(&mut c, &[b"SET", b"bad", v.as_bytes()], OK);
        check(&mut c, "INCR bad", NOT_INT);
        check(&mut c, "DECRBY bad 1", NOT_INT);
        check_args(&mut c, &[b"GET", b"bad"], &bulk(v.as_bytes()));
    }
    check_args(&mut c, &[b"SET", b"bad", b""], OK);
    check(&mut c, "INCR bad", NOT_INT);
    check(&mut c, "INCRBY n abc", NOT_INT);
    check(&mut c, "INCRBY n 1.5", NOT_INT);
    check(&mut c, "INCRBY n 9223372036854775808", NOT_INT);
    check_args(&mut c, &[b"DECRBY", b"n", b""], NOT_INT);
    // Overflow, both directions; the value is unchanged.
    check(&mut c, "SET n 9223372036854775807", OK);
    check(&mut c, "INCR n", OVERFLOW);
    check(&mut c, "INCRBY n 1", OVERFLOW);
    check(&mut c, "DECRBY n -1", OVERFLOW);
    check(&mut c, "INCRBY n 0", &int(i64::MAX));
    check(&mut c, "INCRBY n -9223372036854775807", &int(0));
    check(&mut c, "SET n -9223372036854775808", OK);
    check(&mut c, "DECR n", OVERFLOW);
    check(&mut c, "INCRBY n -1", OVERFLOW);
    check(&mut c, "INCRBY n -9223372036854775808", OVERFLOW);
    check(&mut c, "GET n", &bulk(b"-9223372036854775808"));
    check(&mut c, "INCRBY n 9223372036854775807", &int(-1));
    // DECRBY LLONG_MIN cannot be negated (7.0 text).
    check(
        &mut c,
        "DECRBY n -9223372036854775808",
        b"-ERR decrement would overflow\r\n",
    );
    check(
        &mut c,
        "DECRBY absent -9223372036854775808",
        b"-ERR decrement would overflow\r\n",
    );
    check(&mut c, "GET absent", NULL);
    check(&mut c, "DECRBY x 9223372036854775807", &int(-i64::MAX));
    check(&mut c, "DECR x", &int(i64::MIN));
    // INCR keeps the TTL; an expired key restarts from 0 without one.
    check(&mut c, "SET t 5 EX 100", OK);
    check(&mut c, "INCR t", &int(6));
    let (_, expires) = db0(&mut c);
    assert_eq!(expires, 1);
    check(&mut c, "SET e 5 PX 20", OK);
    wait_gone(&mut c, "e");
    check(&mut c, "INCR e", &int(1));
    assert_eq!(db0(&mut c).1, 1);
    check(
        &mut c,
        "INCR a b",
        b"-ERR wrong number of arguments for 'incr' command\r\n",
    );
    check(
        &mut c,
        "INCRBY a",
        b"-ERR wrong number of arguments for 'incrby' command\r\n",
    );
    check(
        &mut c,
        "DECR",
        b"-ERR wrong number of arguments for 'decr' command\r\n",
    );
    check(
        &mut c,
        "DECRBY a",
        b"-ERR wrong number of arguments for 'decrby' command\r\n",
    );
}

#[test]
fn incrbyfloat_formatting_and_errors() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    // Each step checked against redis-server 7.0.15 (x87 long double, "%.17Lf" trimmed).
    for (key, by, want) in [
        ("f", "10.5", "10.5"),
        ("f", "0.1", "10.6"),
        ("f", "5.0e3", "5010.60000000000000009"),
        ("g", "10.5", "10.5"),
        ("g", "0.1", "10.6"),
        ("g", "-10.6", "0"),
        ("g", "5.0e3", "5000"),
        ("h", "1e-20", "0"),
        ("h", "1e-17", "0.00000000000000001"),
        ("h2", "0x1p-16445", "0"),
        ("h3", "-0.0", "0"),
        ("h3", "+1", "1"),
        ("h3", ".5", "1.5"),
        ("h3", "5.", "6.5"),
        ("h3", "1e+2", "106.5"),
        ("h3", "-106.5", "0"),
        ("h3", "-1.25", "-1.25"),
        ("h3", "0x10", "14.75"),
    ] {
        check(
            &mut c,
            &format!("INCRBYFLOAT {key} {by}"),
            &bulk(want.as_bytes()),
        );
    }
    check(&mut c, "SET n 1", OK);
    check(
        &mut c,
        "INCRBYFLOAT n 0.00000000000000001",
        &bulk(b"1.00000000000000001"),
    );
    check(
        &mut c,
        "INCRBYFLOAT n 2.00000000000000001",
        &bulk(b"3.00000000000000002"),
    );
    check(&mut c, "SET n 1.5e3", OK);
    check(&mut c, "INCRBYFLOAT n 0", &bulk(b"1500"));
    check(&mut c, "SET n 17179869184", OK);
    check(&mut c, "INCRBYFLOAT n 1.5", &bulk(b"17179869185.5"));
    check(&mut c, "SET n -0", OK);
    check(&mut c, "INCRBYFLOAT n 0", &bulk(b"0"));
    // Large values print all their integer digits.
    check(
        &mut c,
        "INCRBYFLOAT big 1e50",
        &bulk(b"100000000000000000003583830118858923890798487404544"),
    );
    // The result is stored as text: GET and INCR see it.
    check(&mut c, "INCRBYFLOAT i 3", &bulk(b"3"));
    check(&mut c, "INCR i", &int(4));
    check(&mut c, "INCRBYFLOAT i 0.5", &bulk(b"4.5"));
    check(&mut c, "INCR i", NOT_INT);
    check(&mut c, "GET i", &bulk(b"4.5"));

    for bad in [
        "nan", "abc", " 1", "1 ", "1e", "1e-4951", "1.0e4933", "1e-5000", "--1", "1..2", "0x",
    ] {
        check_args(&mut c, &[b"INCRBYFLOAT", b"i", bad.as_bytes()], NOT_FLOAT);
    }
    check_args(&mut c, &[b"INCRBYFLOAT", b"i", b""], NOT_FLOAT);
    check_args(&mut c, &[b"INCRBYFLOAT", b"i", b"1\x002"], NOT_FLOAT);
    check_args(
        &mut c,
        &[b"INCRBYFLOAT", b"i", &vec![b'1'; 5120]],
        NOT_FLOAT,
    );
    for bad in ["inf", "-inf", "infinity", "+INF"] {
        check(&mut c, &format!("INCRBYFLOAT i {bad}"), NAN_INF);
    }
    check(&mut c, "SET huge 1e4932", OK);
    check(&mut c, "INCRBYFLOAT huge 1e4932", NAN_INF);
    // A non-float current value (string.tcl "INCRBYFLOAT fails against key with spaces").
    for v in [" 11", "11 ", "abc", "1.5x"] {
        check_args(&mut c, &[b"SET", b"bad", v.as_bytes()], OK);
        check(&mut c, "INCRBYFLOAT bad 1", NOT_FLOAT);
    }
    check(&mut c, "GET i", &bulk(b"4.5"));
    // Keeps the TTL.
    check(&mut c, "SET t 1 EX 100", OK);
    check(&mut c, "INCRBYFLOAT t 1.5", &bulk(b"2.5"));
    let before = db0(&mut c).1;
    assert_eq!(before, 1);
    check(
        &mut c,
        "INCRBYFLOAT a",
        b"-ERR wrong number of arguments for 'incrbyfloat' command\r\n",
    );
}

// ---- LCS ----------------------------------------------------------------------------------

#[test]
fn lcs_replies() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    // string.tcl "LCS basic" and friends, with the rna sequences shortened.
    check(&mut c, "MSET key1 ohmytext key2 mynewtext", OK);
    check(&mut c, "LCS key1 key2", &bulk(b"mytext"));
    check(&mut c, "LCS key1 key2 LEN", &int(6));
    check(
        &mut c,
        "LCS key1 key2 IDX",
        b"*4\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n*2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n$3\r\nlen\r\n:6\r\n",
    );
    check(
        &mut c,
        "LCS key1 key2 IDX MINMATCHLEN 4 WITHMATCHLEN",
        b"*4\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n$3\r\nlen\r\n:6\r\n",
    );
    check(
        &mut c,
        "LCS key1 key2 idx minmatchlen -5",
        b"*4\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n*2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n$3\r\nlen\r\n:6\r\n",
    );
    check(&mut c, "LCS key1 key2 WITHMATCHLEN", &bulk(b"mytext"));
    check(
        &mut c,
        "LCS key1 key2 LEN WITHMATCHLEN MINMATCHLEN 3",
        &int(6),
    );
    check(&mut c, "LCS key1 nokey", EMPTY);
    check(&mut c, "LCS nokey nokey2 LEN", &int(0));
    check(
        &mut c,
        "LCS key1 nokey IDX",
        b"*4\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:0\r\n",
    );
    check(&mut c, "SET num 12345", OK);
    check(&mut c, "SET num2 a2b4", OK);
    check(&mut c, "LCS num num2", &bulk(b"24"));
    check(
        &mut c,
        "LCS key1 key2 LEN IDX",
        b"-ERR If you want both the length and indexes, please just use IDX.\r\n",
    );
    check(&mut c, "LCS key1 key2 foo", SYNTAX);
    check(&mut c, "LCS key1 key2 MINMATCHLEN", SYNTAX);
    check(&mut c, "LCS key1 key2 MINMATCHLEN abc", NOT_INT);
    check(
        &mut c,
        "LCS key1",
        b"-ERR wrong number of arguments for 'lcs' command\r\n",
    );
    // RESP3: IDX is a map.
    c.cmd(&[b"HELLO", b"3"]);
    check(
        &mut c,
        "LCS key1 key2 IDX MINMATCHLEN 4",
        b"%2\r\n$7\r\nmatches\r\n*1\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n$3\r\nlen\r\n:6\r\n",
    );
}

// ---- binary safety, RESP3, stats ----------------------------------------------------------

#[test]
fn binary_safe_keys_and_values() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    let all: Vec<u8> = (0..=255u8).collect();
    // Every byte value as a one-byte key, with a value holding that byte and all others.
    for b in 0..=255u8 {
        let mut v = vec![b, b'\r', b'\n', b];
        v.extend_from_slice(&all);
        check_args(&mut c, &[b"SET", &[b], &v], OK);
    }
    for b in 0..=255u8 {
        let mut v = vec![b, b'\r', b'\n', b];
        v.extend_from_slice(&all);
        check_args(&mut c, &[b"GET", &[b]], &bulk(&v));
        check_args(&mut c, &[b"STRLEN", &[b]], &int(260));
        check_args(&mut c, &[b"GETRANGE", &[b], b"4", b"-1"], &bulk(&all));
    }
    check(&mut c, "DBSIZE", &int(256));
    let keys: Vec<[u8; 1]> = (0..=255u8).map(|b| [b]).collect();
    let mut argv: Vec<&[u8]> = vec![b"MGET"];
    argv.extend(keys.iter().map(|k| &k[..]));
    let reply = c.cmd(&argv);
    let mut want = b"*256\r\n".to_vec();
    for b in 0..=255u8 {
        let mut v = vec![b, b'\r', b'\n', b];
        v.extend_from_slice(&all);
        want.extend_from_slice(&bulk(&v));
    }
    assert!(reply == want, "MGET of 256 binary keys differs");

    // Binary edits.
    check_args(&mut c, &[b"SET", b"bin", &all], OK);
    check_args(&mut c, &[b"APPEND", b"bin", &all], &int(512));
    check_args(
        &mut c,
        &[b"SETRANGE", b"bin", b"254", b"\0\r\n\xff"],
        &int(512),
    );
    let mut want = all.clone();
    want.extend_from_slice(&all);
    want[254..258].copy_from_slice(b"\0\r\n\xff");
    check_args(&mut c, &[b"GET", b"bin"], &bulk(&want));
    check_args(&mut c, &[b"GETSET", b"bin", b"\0"], &bulk(&want));
    check_args(&mut c, &[b"GETDEL", b"bin"], &bulk(b"\0"));
    check_args(&mut c, &[b"MSET", b"\0", b"\xff\xfe", b"\r\n", b"\0\0"], OK);
    check_args(
        &mut c,
        &[b"MGET", b"\0", b"\r\n"],
        b"*2\r\n$2\r\n\xff\xfe\r\n$2\r\n\0\0\r\n",
    );
    check_args(&mut c, &[b"SET", b"l1", b"\0a\xffb\0"], OK);
    check_args(&mut c, &[b"SET", b"l2", b"a\0\0b\xff"], OK);
    check_args(&mut c, &[b"LCS", b"l1", b"l2"], &bulk(b"a\0"));
}

#[test]
fn one_megabyte_values() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    const MB: usize = 1 << 20;
    let big: Vec<u8> = (0..MB).map(|i| (i * 131 % 251) as u8).collect();
    let big2: Vec<u8> = (0..MB).map(|i| (i * 17 % 256) as u8).collect();
    check_args(&mut c, &[b"SET", b"big", &big], OK);
    check_args(&mut c, &[b"GET", b"big"], &bulk(&big));
    check_args(&mut c, &[b"STRLEN", b"big"], &int(MB as i64));
    check_args(&mut c, &[b"APPEND", b"big", &big2], &int(2 * MB as i64));
    let mut both = big.clone();
    both.extend_from_slice(&big2);
    check_args(&mut c, &[b"GET", b"big"], &bulk(&both));
    let (from, to) = (MB - 1000, MB + 1000);
    check_args(
        &mut c,
        &[
            b"GETRANGE",
            b"big",
            from.to_string().as_bytes(),
            to.to_string().as_bytes(),
        ],
        &bulk(&both[from..=to]),
    );
    check_args(
        &mut c,
        &[b"SETRANGE", b"big", b"12345", &big2[..70000]],
        &int(2 * MB as i64),
    );
    both[12345..12345 + 70000].copy_from_slice(&big2[..70000]);
    check_args(&mut c, &[b"GET", b"big"], &bulk(&both));
    check_args(&mut c, &[b"GETSET", b"big", &big2], &bulk(&both));
    check_args(&mut c, &[b"MSET", b"m1", &big, b"m2", &big2], OK);
    let mut want = b"*3\r\n".to_vec();
    want.extend_from_slice(&bulk(&big));
    want.extend_from_slice(&bulk(&big2));
    want.extend_from_slice(&bulk(&big2));
    check_args(&mut c, &[b"MGET", b"m1", b"m2", b"big"], &want);
    check_args(
        &mut c,
        &[b"SETRANGE", b"fresh", &MB.to_string().into_bytes(), b"!"],
        &int(MB as i64 + 1),
    );
    let mut fresh = vec![0u8; MB];
    fresh.push(b'!');
    check_args(&mut c, &[b"GETDEL", b"fresh"], &bulk(&fresh));
    check_args(&mut c, &[b"GETEX", b"m1", b"PERSIST"], &bulk(&big));
}

#[test]
fn resp3_nulls() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    c.cmd(&[b"HELLO", b"3"]);
    check(&mut c, "GET missing", b"_\r\n");
    check(&mut c, "SET k v XX", b"_\r\n");
    check(&mut c, "SET k v GET", b"_\r\n");
    check(&mut c, "SET k v NX GET", b"$1\r\nv\r\n");
    check(&mut c, "MGET k missing", b"*2\r\n$1\r\nv\r\n_\r\n");
    check(&mut c, "GETDEL missing", b"_\r\n");
    check(&mut c, "GETEX missing", b"_\r\n");
    check(&mut c, "GETSET new v", b"_\r\n");
    check(&mut c, "SETNX k v", b":0\r\n");
    check(&mut c, "INCRBYFLOAT f 1.5", b"$3\r\n1.5\r\n");
}

#[test]
fn keyspace_hits_and_misses() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    check(&mut c, "SET a 1", OK);
    check(&mut c, "INCR a", &int(2));
    check(&mut c, "APPEND b x", &int(1));
    assert_eq!(
        (
            info_stat(&mut c, "keyspace_hits"),
            info_stat(&mut c, "keyspace_misses")
        ),
        (0, 0)
    );
    check(&mut c, "GET a", &bulk(b"2"));
    check(&mut c, "GET nope", NULL);
    check(
        &mut c,
        "MGET a b nope",
        b"*3\r\n$1\r\n2\r\n$1\r\nx\r\n$-1\r\n",
    );
    check(&mut c, "STRLEN nope", &int(0));
    check(&mut c, "GETRANGE a 0 -1", &bulk(b"2"));
    check(&mut c, "SET a 3 GET", &bulk(b"2"));
    assert_eq!(
        (
            info_stat(&mut c, "keyspace_hits"),
            info_stat(&mut c, "keyspace_misses")
        ),
        (5, 3)
    );
}

#[test]
fn pipelined_counter() {
    // Many INCRs in one write: every reply in order, final value exact.
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    let n = 10_000;
    let mut req = Vec::new();
    for _ in 0..n {
        req.extend_from_slice(&common::encode(&[b"INCR", b"ctr"]));
    }
    c.send(&req);
    let mut want = Vec::new();
    for i in 1..=n {
        want.extend_from_slice(&int(i));
    }
    c.expect(&want);
    check(&mut c, "GET ctr", &bulk(n.to_string().as_bytes()));
}

// ---- tests that need other branches: un-ignore when they land -------------------------------

#[test]
fn wrongtype_errors() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    check(&mut c, "HSET h f v", &int(1));
    for line in [
        "GET h",
        "GETSET h v",
        "GETDEL h",
        "GETEX h",
        "GETEX h PERSIST",
        "GETEX h EX 0",
        "SET h v GET",
        "SET h v NX GET",
        "SET h v XX GET",
        "APPEND h x",
        "STRLEN h",
        "GETRANGE h 0 -1",
        "SUBSTR h 0 -1",
        "SETRANGE h 0 x",
        "INCR h",
        "DECR h",
        "INCRBY h 1",
        "DECRBY h 1",
        "INCRBYFLOAT h 1",
    ] {
        check(&mut c, line, WRONGTYPE);
    }
    check_args(&mut c, &[b"SETRANGE", b"h", b"0", b""], WRONGTYPE);
    // Argument errors come first where Redis checks them first.
    check(&mut c, "SETRANGE h -1 x", OFFSET);
    check(&mut c, "GETRANGE h a 1", NOT_INT);
    check(&mut c, "INCRBY h a", NOT_INT);
    check(&mut c, "SET h v EX 0 GET", &invalid_expire("set"));
    check(&mut c, "GETEX h foo", SYNTAX);
    // MGET answers null for non-strings; MSETNX sees the key; SET/MSET overwrite it.
    check(&mut c, "SET s v", OK);
    check(&mut c, "MGET s h", b"*2\r\n$1\r\nv\r\n$-1\r\n");
    check(&mut c, "MSETNX h 1 z 2", &int(0));
    check(
        &mut c,
        "LCS s h",
        b"-ERR The specified keys must contain string values\r\n",
    );
    check(
        &mut c,
        "LCS h s foo",
        b"-ERR The specified keys must contain string values\r\n",
    );
    check(&mut c, "SET h v NX", NULL);
    check(&mut c, "SETNX h v", &int(0));
    check(&mut c, "SET h v XX", OK);
    check(&mut c, "GET h", &bulk(b"v"));
    check(&mut c, "HSET h2 f v", &int(1));
    check(&mut c, "MSET h2 x", OK);
    check(&mut c, "GET h2", &bulk(b"x"));
    check(&mut c, "HSET h3 f v", &int(1));
    check(&mut c, "SETEX h3 100 x", OK);
    check(&mut c, "GET h3", &bulk(b"x"));
}

#[test]
fn encodings_and_ttls() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    for (setup, key, enc) in [
        ("SET k 123", "k", "int"),
        ("SET k -9223372036854775808", "k", "int"),
        ("SET k 9223372036854775808", "k", "embstr"),
        ("SET k abc", "k", "embstr"),
        (
            "SET k 12345678901234567890123456789012345678901234",
            "k",
            "embstr",
        ),
        (
            "SET k 123456789012345678901234567890123456789012345",
            "k",
            "raw",
        ),
        ("APPEND k d", "k", "raw"),
        ("INCR i", "i", "int"),
        ("APPEND a 123", "a", "int"),
        ("SETRANGE r 0 12", "r", "raw"),
        ("GETSET g 10", "g", "int"),
        ("MSET m 5", "m", "int"),
        ("SETEX se 100 55", "se", "int"),
        ("INCRBYFLOAT fl 3000", "fl", "embstr"),
        ("SETNX nx 7", "nx", "int"),
    ] {
        c.cmd(&setup.split(' ').map(str::as_bytes).collect::<Vec<_>>());
        check(
            &mut c,
            &format!("OBJECT ENCODING {key}"),
            &bulk(enc.as_bytes()),
        );
    }
    check(&mut c, "SET n 10", OK);
    check_args(&mut c, &[b"APPEND", b"n", b""], &int(2));
    check(&mut c, "OBJECT ENCODING n", &bulk(b"raw"));
    check(&mut c, "INCR n", &int(11));
    check(&mut c, "OBJECT ENCODING n", &bulk(b"int"));
    check(&mut c, "SET n 10", OK);
    check_args(&mut c, &[b"SETRANGE", b"n", b"0", b""], &int(2));
    check(&mut c, "OBJECT ENCODING n", &bulk(b"int"));
    // TTL values.
    check(&mut c, "SET t v EX 100", OK);
    check(&mut c, "TTL t", &int(100));
    check(&mut c, "SET t v EXAT 9223372036854775", OK);
    check(&mut c, "PEXPIRETIME t", &int(9_223_372_036_854_775_000));
    check(&mut c, "GETEX t PERSIST", &bulk(b"v"));
    check(&mut c, "TTL t", &int(-1));
    check(&mut c, "SETEX t 50 v", OK);
    check(&mut c, "TTL t", &int(50));
    check(&mut c, "SET t v KEEPTTL", OK);
    check(&mut c, "TTL t", &int(50));
}

/// All files under `dir`, concatenated (the AOF layout is the persistence branch's business).
fn read_tree(dir: &std::path::Path) -> Vec<u8> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(b) = std::fs::read(&p) {
                out.extend_from_slice(&b);
            }
        }
    }
    out
}

/// Writes whose AOF form differs from the command as received. Returns the PXAT deadline used.
fn aof_script(c: &mut RawConn) -> u64 {
    let far = unix_ms() + 1_000_000_000;
    check(c, "SET ex v EX 100000", OK);
    check(c, "SET px v PX 100000000 NX GET", NULL);
    check(c, &format!("SET pxat v PXAT {far}"), OK);
    check(c, "SET past v PXAT 1", OK);
    check(c, "SET keep v KEEPTTL GET", NULL);
    check(c, "SETEX sx 100000 v", OK);
    check(c, "PSETEX psx 100000000 v", OK);
    check(c, "GETSET gs v", NULL);
    check(c, "SET gd v", OK);
    check(c, "GETDEL gd", &bulk(b"v"));
    check(c, "SET ge v", OK);
    check(c, "GETEX ge EX 100000", &bulk(b"v"));
    check(c, "GETEX ge PERSIST", &bulk(b"v"));
    check(c, "GETEX ge PERSIST", &bulk(b"v"));
    check(c, "SET gp v", OK);
    check(c, "GETEX gp PXAT 1", &bulk(b"v"));
    check(c, "INCRBYFLOAT fl 10.5", &bulk(b"10.5"));
    check(c, "INCRBYFLOAT fl 0.1", &bulk(b"10.6"));
    check(c, "INCR n", &int(1));
    check(c, "APPEND ap xyz", &int(3));
    check(c, "SETRANGE ap 1 Q", &int(3));
    check(c, "MSET m1 a m2 b", OK);
    check(c, "MSETNX m1 a m3 c", &int(0));
    far
}

fn aof_server() -> Server {
    Server::start(&["--appendonly", "yes", "--appendfsync", "always"])
}

#[test]
fn aof_forms_are_deterministic() {
    let srv = aof_server();
    let mut c = srv.raw();
    let far = aof_script(&mut c);
    let aof = read_tree(srv.dir());
    let has = |parts: &[&[u8]]| common::contains(&aof, &common::encode(parts));
    assert!(has(&[
        b"SET",
        b"pxat",
        b"v",
        b"PXAT",
        far.to_string().as_bytes()
    ]));
    assert!(has(&[b"SET", b"past", b"v", b"PXAT", b"1"]));
    assert!(has(&[b"SET", b"keep", b"v", b"KEEPTTL"]));
    assert!(has(&[b"SET", b"gs", b"v"]));
    assert!(has(&[b"DEL", b"gd"]));
    assert!(has(&[b"PERSIST", b"ge"]));
    assert!(has(&[b"DEL", b"gp"]));
    assert!(has(&[b"SET", b"fl", b"10.6", b"KEEPTTL"]));
    for relative in [
        &b"EX"[..],
        b"PX",
        b"GETEX",
        b"SETEX",
        b"PSETEX",
        b"GETSET",
        b"GETDEL",
        b"INCRBYFLOAT",
        b"MSETNX",
        b"NX",
        b"GET",
    ] {
        assert!(
            !common::contains(&aof, &common::encode(&[relative])[4..]),
            "{} logged",
            show(relative)
        );
    }
}

/// Offset of `needle` in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[test]
fn aof_logs_lazy_expiry_before_the_rewritten_command() {
    // A command that finds its key expired must log that key's DEL before its own rewritten
    // form, or replaying `SET k v PXAT ..` then `DEL k` would lose the key.
    let srv = aof_server();
    let mut c = srv.raw();
    for k in ["s", "f", "g"] {
        check(&mut c, &format!("SET {k} 1 PX 30"), OK);
    }
    // Set last, so once it is gone the others are past their deadline too.
    check(&mut c, "SET sentinel v PX 30", OK);
    wait_gone(&mut c, "sentinel");
    check(&mut c, "SET s v2 EX 1000", OK);
    check(&mut c, "INCRBYFLOAT f 2.5", &bulk(b"2.5"));
    check(&mut c, "GETSET g v", NULL);
    let aof = read_tree(srv.dir());
    for (key, rewritten) in [
        ("s", &b"$2\r\nv2\r\n$4\r\nPXAT\r\n"[..]),
        ("f", b"$3\r\n2.5\r\n$7\r\nKEEPTTL\r\n"),
        ("g", b"$1\r\ng\r\n$1\r\nv\r\n"),
    ] {
        let del = common::encode(&[b"DEL", key.as_bytes()]);
        let del_at = find(&aof, &del).unwrap_or_else(|| panic!("no DEL {key} in the AOF"));
        let set_at = find(&aof, rewritten).unwrap_or_else(|| panic!("no rewritten {key}"));
        assert!(
            del_at < set_at,
            "DEL {key} logged after the command that replaced it"
        );
    }
}

#[test]
fn aof_replay_restores_strings() {
    let mut srv = aof_server();
    let mut c = srv.raw();
    aof_script(&mut c);
    srv.restart();
    let mut c = srv.raw();
    check(&mut c, "MGET ex px pxat past keep sx psx gs gd ge gp fl n ap m1 m2 m3", 
        b"*17\r\n$1\r\nv\r\n$1\r\nv\r\n$1\r\nv\r\n$-1\r\n$1\r\nv\r\n$1\r\nv\r\n$1\r\nv\r\n$1\r\nv\r\n$-1\r\n$1\r\nv\r\n$-1\r\n$4\r\n10.6\r\n$1\r\n1\r\n$3\r\nxQz\r\n$1\r\na\r\n$1\r\nb\r\n$-1\r\n");
    assert_eq!(db0(&mut c), (13, 5));
}

// ---- differential test against a real redis-server 7.0 ------------------------------------

/// A redis-server child on a free port, killed on drop.
struct RealRedis {
    child: Child,
    port: u16,
    dir: std::path::PathBuf,
}

impl Drop for RealRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Start redis-server if it is installed and is 7.0.x (the version these replies follow).
fn real_redis() -> Option<RealRedis> {
    let bin = common::external_tool("redis-server")?;
    let (_, version, _) =
        common::run_with_deadline(Command::new(&bin).arg("--version"), Duration::from_secs(30));
    if !version.contains("v=7.0.") {
        eprintln!("skipped: redis-server is not 7.0 ({})", version.trim());
        return None;
    }
    for _ in 0..5 {
        let dir = common::temp_dir("real-redis");
        let port = common::free_port();
        let mut cmd = Command::new(&bin);
        cmd.args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .arg("--dir")
        .arg(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
        common::die_with_parent(&mut cmd);
        let mut r = RealRedis {
            child: cmd.spawn().expect("spawn redis-server"),
            port,
            dir,
        };
        let up = wait_until(Duration::from_secs(10), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
                || r.child.try_wait().ok().flatten().is_some()
        });
        if up && r.child.try_wait().ok().flatten().is_none() {
            return Some(r);
        }
        // Most likely the port was taken: `r` is dropped (killed, dir removed), try another.
    }
    panic!("redis-server did not start");
}

fn words(line: &str) -> Vec<Vec<u8>> {
    line.split(' ').map(|w| w.as_bytes().to_vec()).collect()
}

/// A fixed script of edge cases, in addition to the random stream.
fn fixed_script() -> Vec<Vec<Vec<u8>>> {
    let mut s: Vec<Vec<Vec<u8>>> = [
        "SET s hello",
        "SET n 1234",
        "SET neg -17",
        "SET f 3.25",
        "SET big 10000000000000000000",
        "SETRANGE z 3 abc",
        "APPEND ap 12",
        "APPEND ap 3",
    ]
    .iter()
    .map(|l| words(l))
    .collect();
    let bounds = [
        "-9223372036854775808",
        "-100",
        "-6",
        "-5",
        "-4",
        "-1",
        "0",
        "1",
        "3",
        "4",
        "5",
        "6",
        "100",
        "9223372036854775807",
    ];
    for key in ["s", "n", "neg", "z", "ap", "missing"] {
        for a in bounds {
            for b in bounds {
                s.push(words(&format!("GETRANGE {key} {a} {b}")));
            }
        }
    }
    for key in ["s", "n", "neg", "f", "big", "z", "ap", "missing"] {
        for cmd in [
            "STRLEN",
            "GET",
            "INCR",
            "DECR",
            "INCRBY 7",
            "DECRBY -7",
            "INCRBYFLOAT 0.3",
            "INCRBYFLOAT -1e3",
        ] {
            let (name, rest) = cmd.split_once(' ').unwrap_or((cmd, ""));
            let line = if rest.is_empty() {
                format!("{name} {key}")
            } else {
                format!("{name} {key} {rest}")
            };
            s.push(words(&line));
        }
    }
    for by in [
        "0.1",
        "-0.1",
        "1e-17",
        "1e17",
        "123456789.123456789",
        "1.7976931348623157e308",
        "1e-300",
        "2.5e-310",
        "0x1.8p1",
        "-0x10",
        "1e4000",
        "-1e4000",
        "5e-4950",
        "3",
        "-3",
        "0",
        "-0",
        "7.0000000000000001",
        "0.30000000000000004",
        "1.00000000000000000000000001",
        "99999999999999999999",
        "1e19",
        "18446744073709551616",
        "1e20",
        "0.1e1",
        "1E5",
        "1e-5",
    ] {
        s.push(words(&format!("INCRBYFLOAT fl {by}")));
        s.push(words(&format!("INCRBYFLOAT fl2 {by}")));
        s.push(words("GET fl2"));
        s.push(words("SET fl2 0.1"));
    }
    for lcs in [
        "LCS s n",
        "LCS s s IDX",
        "LCS s s IDX WITHMATCHLEN MINMATCHLEN 2",
        "LCS missing s IDX",
        "LCS ap n IDX WITHMATCHLEN",
        "LCS s z LEN",
        "LCS z s IDX",
    ] {
        s.push(words(lcs));
    }
    // Near the long double limits (not in the random pool: LCS over ~5000-byte strings is slow
    // in debug builds).
    for line in [
        "INCRBYFLOAT lim 1e4931",
        "INCRBYFLOAT lim 1",
        "INCRBYFLOAT lim 1.1e4932",
        "INCRBYFLOAT lim -1e4931",
        "INCRBYFLOAT lim -0.5",
        "GETRANGE lim -30 -1",
        "STRLEN lim",
    ] {
        s.push(words(line));
    }
    s.push(words("MSET l1 ACGTACGTTTGACCA l2 TTGCACGTACCATGA"));
    s.push(words("LCS l1 l2 IDX WITHMATCHLEN"));
    s.push(words("LCS l1 l2 IDX MINMATCHLEN 3"));
    s.push(words("LCS l2 l1 IDX"));
    s.push(words("LCS l1 l2"));
    s
}

/// One random command from a small key space and argument pools built around the edge cases.
fn random_command(rng: &mut SmallRng) -> Vec<Vec<u8>> {
    fn pick<'a>(rng: &mut SmallRng, pool: &[&'a str]) -> &'a str {
        pool[rng.random_range(0..pool.len())]
    }
    const KEYS: &[&str] = &["a", "b", "c", "n", "f"];
    const VALUES: &[&str] = &[
        "v",
        "0",
        "1",
        "-1",
        "123",
        "9223372036854775807",
        "-9223372036854775808",
        "9223372036854775808",
        "1.5",
        "-0",
        "01",
        "abc",
        "3.0e3",
        "0x10",
        "inf",
        "1e308",
        "hello world",
        "xyzzy",
    ];
    const INTS: &[&str] = &[
        "0",
        "1",
        "-1",
        "7",
        "-100",
        "9223372036854775807",
        "-9223372036854775808",
        "4611686018427387904",
        "abc",
        "1.5",
        "",
    ];
    const FLOATS: &[&str] = &[
        "0.1", "-2.5", "1e10", "-1e-10", "3", "1e308", "abc", "inf", "", "0x1p3",
    ];
    const OFFSETS: &[&str] = &[
        "-1",
        "0",
        "1",
        "2",
        "5",
        "10",
        "-5",
        "100",
        "-9223372036854775808",
    ];
    const SET_OPTS: &[&str] = &[
        "NX",
        "XX",
        "GET",
        "KEEPTTL",
        "EX 1000",
        "PX 1000000",
        "EXAT 99999999999",
        "PXAT 99999999999999",
        "EXAT 1",
        "PXAT 1",
        "EX 0",
        "EX -1",
        "PX abc",
        "EX",
        "PERSIST",
        "foo",
    ];
    const GETEX_OPTS: &[&str] = &[
        "PERSIST",
        "EX 1000",
        "PX 1000000",
        "EXAT 99999999999",
        "PXAT 1",
        "EXAT 1",
        "EX 0",
        "PX abc",
        "KEEPTTL",
        "GET",
        "foo",
    ];
    let key = pick(rng, KEYS);
    let line = match rng.random_range(0..20) {
        0 | 1 => {
            let mut l = format!("SET {key} {}", pick(rng, VALUES));
            for _ in 0..rng.random_range(0..3) {
                l.push(' ');
                l.push_str(pick(rng, SET_OPTS));
            }
            l
        }
        2 => format!("GET {key}"),
        3 => format!("GETSET {key} {}", pick(rng, VALUES)),
        4 => format!("GETDEL {key}"),
        5 => {
            let mut l = format!("GETEX {key}");
            for _ in 0..rng.random_range(0..3) {
                l.push(' ');
                l.push_str(pick(rng, GETEX_OPTS));
            }
            l
        }
        6 => format!("MGET {key} {} {}", pick(rng, KEYS), pick(rng, KEYS)),
        7 => format!(
            "MSET {key} {} {} {}",
            pick(rng, VALUES),
            pick(rng, KEYS),
            pick(rng, VALUES)
        ),
        8 => format!(
            "MSETNX {key} {} {} {}",
            pick(rng, VALUES),
            pick(rng, KEYS),
            pick(rng, VALUES)
        ),
        9 => format!("SETNX {key} {}", pick(rng, VALUES)),
        10 => format!(
            "{} {key} {} {}",
            pick(rng, &["SETEX", "PSETEX"]),
            // No short TTLs: both servers must see the same keys whatever the timing.
            pick(rng, &["1000000", "0", "-1", "x", "100000"]),
            pick(rng, VALUES)
        ),
        11 => format!("APPEND {key} {}", pick(rng, VALUES)),
        12 => format!("STRLEN {key}"),
        13 => format!(
            "{} {key} {} {}",
            pick(rng, &["GETRANGE", "SUBSTR"]),
            pick(rng, OFFSETS),
            pick(rng, OFFSETS)
        ),
        14 => format!(
            "SETRANGE {key} {} {}",
            pick(rng, OFFSETS),
            pick(rng, VALUES)
        ),
        15 => pick(rng, &["INCR", "DECR"]).to_string() + " " + key,
        16 => format!(
            "{} {key} {}",
            pick(rng, &["INCRBY", "DECRBY"]),
            pick(rng, INTS)
        ),
        17 => format!("INCRBYFLOAT {key} {}", pick(rng, FLOATS)),
        // Non-string values: WRONGTYPE paths, MGET nulls, overwrites by SET/MSET.
        18 => format!("HSET {key} f {}", pick(rng, VALUES)),
        _ => {
            let mut l = format!("LCS {key} {}", pick(rng, KEYS));
            for _ in 0..rng.random_range(0..3) {
                l.push(' ');
                l.push_str(pick(
                    rng,
                    &[
                        "IDX",
                        "LEN",
                        "WITHMATCHLEN",
                        "MINMATCHLEN 1",
                        "MINMATCHLEN 2",
                        "foo",
                    ],
                ));
            }
            l
        }
    };
    // Empty pool entries become empty arguments; an empty trailing word must stay.
    line.split(' ').map(|w| w.as_bytes().to_vec()).collect()
}

#[test]
fn differential_against_redis() {
    let Some(real) = real_redis() else {
        return;
    };
    let srv = Server::start(&[]);
    let mut ours = srv.raw();
    let mut theirs = RawConn::connect(&format!("127.0.0.1:{}", real.port));
    // Fixed seed and length by default; STRINGS_DIFF_SEED / STRINGS_DIFF_N explore further.
    let env = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let mut rng = SmallRng::seed_from_u64(env("STRINGS_DIFF_SEED", 0x5EED));
    let mut script = fixed_script();
    script.extend((0..env("STRINGS_DIFF_N", 6000)).map(|_| random_command(&mut rng)));
    // Then the same kinds of commands over RESP3 (nulls and the LCS IDX map differ). HELLO's
    // own reply names the server, so it is not compared.
    let resp3_from = script.len();
    script.push(words("HELLO 3"));
    script.extend(fixed_script());
    script.extend((0..2000).map(|_| random_command(&mut rng)));
    let started = Instant::now();
    for (i, argv) in script.iter().enumerate() {
        if i == resp3_from {
            theirs.cmd(&[b"HELLO", b"3"]);
            ours.cmd(&[b"HELLO", b"3"]);
            continue;
        }
        let argv: Vec<&[u8]> = argv.iter().map(Vec::as_slice).collect();
        let want = theirs.cmd(&argv);
        let got = ours.cmd(&argv);
        assert!(
            got == want,
            "command #{i} {:?}\n redis: {}\n  ours: {}",
            argv.iter()
                .map(|a| String::from_utf8_lossy(a))
                .collect::<Vec<_>>(),
            show(&want),
            show(&got)
        );
    }
    eprintln!(
        "{} commands compared in {:?}",
        script.len(),
        started.elapsed()
    );
}

// ---- the rest of redis tests/unit/type/string.tcl and incr.tcl ----------------------------

#[test]
fn string_tcl_and_incr_tcl_extras() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    // "Very big payload in GET/SET".
    let buf = b"abcd".repeat(1_000_000);
    check_args(&mut c, &[b"SET", b"foo", &buf], OK);
    check_args(&mut c, &[b"GET", b"foo"], &bulk(&buf));
    // "SET 10000 numeric keys and access all them in reverse order" (pipelined).
    check(&mut c, "FLUSHDB", OK);
    let mut req = Vec::new();
    for x in 0..10_000 {
        let s = x.to_string();
        req.extend_from_slice(&common::encode(&[b"SET", s.as_bytes(), s.as_bytes()]));
    }
    c.send(&req);
    c.expect(&OK.repeat(10_000));
    let mut req = Vec::new();
    let mut want = Vec::new();
    for x in (0..10_000).rev() {
        let s = x.to_string();
        req.extend_from_slice(&common::encode(&[b"GET", s.as_bytes()]));
        want.extend_from_slice(&bulk(s.as_bytes()));
    }
    c.send(&req);
    c.expect(&want);
    check(&mut c, "DBSIZE", &int(10_000));
    // "Extended SET using multiple options at once".
    check(&mut c, "SET foo val", OK);
    check(&mut c, "SET foo bar xx px 10000", OK);
    // "GETRANGE against string value".
    check_args(&mut c, &[b"SET", b"mykey", b"Hello World"], OK);
    for (range, want) in [
        ("0 3", &b"Hell"[..]),
        ("0 -1", b"Hello World"),
        ("-4 -1", b"orld"),
        ("5 3", b""),
        ("5 5000", b" World"),
        ("-5000 10000", b"Hello World"),
        ("0 -100", b"H"),
        ("1 -100", b""),
        ("-1 -100", b""),
        ("-100 -99", b"H"),
        ("-100 -100", b"H"),
        ("-100 -101", b""),
    ] {
        check(&mut c, &format!("GETRANGE mykey {range}"), &bulk(want));
    }
    // "GETRANGE with huge ranges, Github issue #1844", "SETRANGE with huge offset".
    check(&mut c, "SET foo bar", OK);
    check(&mut c, "GETRANGE foo 0 4294967297", &bulk(b"bar"));
    check(&mut c, "SETRANGE K 9223372036854775807 A", TOO_LONG);
    check(&mut c, "SETRANGE K 2147483647 A", TOO_LONG);
    // "SETRANGE with out of range offset".
    check(
        &mut c,
        &format!("SETRANGE mykey {} world", 512 * 1024 * 1024 - 4),
        TOO_LONG,
    );
    // "GETRANGE fuzzing": random binary strings against `string range`.
    let mut rng = SmallRng::seed_from_u64(1844);
    for _ in 0..1000 {
        let len = rng.random_range(0..=1024usize);
        let bin: Vec<u8> = (0..len).map(|_| rng.random_range(0..=255u8)).collect();
        check_args(&mut c, &[b"SET", b"bin", &bin], OK);
        let (start, end) = (
            rng.random_range(0..1500usize),
            rng.random_range(0..1500usize),
        );
        let end_c = end.min(len.saturating_sub(1));
        let want = if len == 0 || start > end_c {
            &[][..]
        } else {
            &bin[start..=end_c]
        };
        check_args(
            &mut c,
            &[
                b"GETRANGE",
                b"bin",
                start.to_string().as_bytes(),
                end.to_string().as_bytes(),
            ],
            &bulk(want),
        );
    }
    // "LCS basic", "LCS len", "LCS indexes [with match len [and minimum match len]]".
    let rna1 = "CACCTTCCCAGGTAACAAACCAACCAACTTTCGATCTCTTGTAGATCTGTTCTCTAAACGAACTTTAAAATCTGTGTGGCTGTCACTCGGCTGCATGCTTAGTGCACTCACGCAGTATAATTAATAACTAATTACTGTCGTTGACAGGACACGAGTAACTCGTCTATCTTCTGCAGGCTGCTTACGGTTTCGTCCGTGTTGCAGCCGATCATCAGCACATCTAGGTTTCGTCCGGGTGTG";
    let rna2 = "ATTAAAGGTTTATACCTTCCCAGGTAACAAACCAACCAACTTTCGATCTCTTGTAGATCTGTTCTCTAAACGAACTTTAAAATCTGTGTGGCTGTCACTCGGCTGCATGCTTAGTGCACTCACGCAGTATAATTAATAACTAATTACTGTCGTTGACAGGACACGAGTAACTCGTCTATCTTCTGCAGGCTGCTTACGGTTTCGTCCGTGTTGCAGCCGATCATCAGCACATCTAGGTTT";
    let rnalcs = "ACCTTCCCAGGTAACAAACCAACCAACTTTCGATCTCTTGTAGATCTGTTCTCTAAACGAACTTTAAAATCTGTGTGGCTGTCACTCGGCTGCATGCTTAGTGCACTCACGCAGTATAATTAATAACTAATTACTGTCGTTGACAGGACACGAGTAACTCGTCTATCTTCTGCAGGCTGCTTACGGTTTCGTCCGTGTTGCAGCCGATCATCAGCACATCTAGGTTT";
    check(&mut c, &format!("MSET virus1 {rna1} virus2 {rna2}"), OK);
    check(&mut c, "LCS virus1 virus2", &bulk(rnalcs.as_bytes()));
    check(&mut c, "LCS virus1 virus2 LEN", &int(rnalcs.len() as i64));
    let ranges = [
        ((238, 238), (239, 239)),
        ((236, 236), (238, 238)),
        ((229, 230), (236, 237)),
        ((224, 224), (235, 235)),
        ((1, 222), (13, 234)),
    ];
    for (opts, with_len, min) in [
        ("IDX", false, 0),
        ("IDX WITHMATCHLEN", true, 0),
        ("IDX WITHMATCHLEN MINMATCHLEN 5", true, 5),
    ] {
        let kept: Vec<_> = ranges
            .iter()
            .filter(|((a0, a1), _)| a1 - a0 + 1 >= min)
            .collect();
        let mut want = format!("*4\r\n$7\r\nmatches\r\n*{}\r\n", kept.len());
        for ((a0, a1), (b0, b1)) in kept {
            want += &format!(
                "*{}\r\n*2\r\n:{a0}\r\n:{a1}\r\n*2\r\n:{b0}\r\n:{b1}\r\n",
                2 + with_len as usize
            );
            if with_len {
                want += &format!(":{}\r\n", a1 - a0 + 1);
            }
        }
        want += "$3\r\nlen\r\n:227\r\n";
        check(
            &mut c,
            &format!("LCS virus1 virus2 {opts}"),
            want.as_bytes(),
        );
    }
    // incr.tcl.
    check(&mut c, "SET novar 17179869184", OK);
    check(&mut c, "DECRBY novar 17179869185", &int(-1));
    check(&mut c, "SET novar 17179869184", OK);
    check(
        &mut c,
        "INCRBYFLOAT novar 17179869184",
        &bulk(b"34359738368"),
    );
    check(&mut c, "SET foo 1", OK);
    check(&mut c, "INCRBYFLOAT foo -1.1", &bulk(b"-0.1"));
    // "string to double with null terminator".
    check(&mut c, "SET foo 1", OK);
    check(&mut c, "SETRANGE foo 2 2", &int(3));
    check(&mut c, "INCRBYFLOAT foo 1", NOT_FLOAT);
    // "No negative zero".
    check(
        &mut c,
        "INCRBYFLOAT nz 0.024390243902439025",
        &bulk(b"0.02439024390243902"),
    );
    check(&mut c, "INCRBYFLOAT nz -0.024390243902439025", &bulk(b"0"));
    check(&mut c, "SET x 0", OK);
    check(
        &mut c,
        "DECRBY x -9223372036854775808",
        b"-ERR decrement would overflow\r\n",
    );
}

/// Every keyspace notification (KEA plus keymiss) the string commands fire, in order, compared
/// with redis-server 7.0 byte for byte.
#[test]
fn keyspace_events_match_redis() {
    let Some(real) = real_redis() else {
        return;
    };
    let srv = Server::start(&[]);
    let script = [
        "SET s v",
        "SET s v2 EX 1000",
        "SET s v3 KEEPTTL GET",
        "SET s v NX",
        "SET x v XX",
        "SET p v PXAT 1",
        "GET p",
        // Commands meeting an expired key: `expired` comes before their own event.
        "SET q v PXAT 1",
        "SET q v2",
        "SET r 1 PXAT 1",
        "INCRBYFLOAT r 1",
        "SET t v PXAT 1",
        "APPEND t x",
        "GET missing",
        "MGET s missing p",
        "SETNX n 1",
        "SETNX n 2",
        "SETEX e 100 v",
        "PSETEX e 100000 v",
        "GETSET s w",
        "GETSET missing2 w",
        "GETDEL missing2",
        "GETDEL missing3",
        "GETEX s EX 100",
        "GETEX s PERSIST",
        "GETEX s PERSIST",
        "GETEX s",
        "GETEX s EXAT 1",
        "GETEX missing",
        "MSET a 1 b 2",
        "MSETNX a 1 c 3",
        "MSETNX c 3 d 4",
        "APPEND a x",
        "APPEND new x",
        "STRLEN missing",
        "GETRANGE missing 0 1",
        "SETRANGE a 0 y",
        "SETRANGE missing4 0 y",
        "INCR n",
        "DECR n",
        "INCRBY n 5",
        "DECRBY n 5",
        "INCR a",
        "INCRBYFLOAT n 1.5",
        "INCRBYFLOAT f 1",
        "LCS a missing",
        "SET __end__ x",
    ];
    let mut streams = Vec::new();
    for addr in [srv.addr(), format!("127.0.0.1:{}", real.port)] {
        let mut c = RawConn::connect(&addr);
        check(&mut c, "CONFIG SET notify-keyspace-events KEAm", OK);
        let mut sub = RawConn::connect(&addr);
        sub.cmd(&[b"PSUBSCRIBE", b"__key*@0__:*"]);
        for line in script {
            c.cmd(&line.split(' ').map(str::as_bytes).collect::<Vec<_>>());
        }
        let mut events = Vec::new();
        loop {
            let m = sub.read_reply();
            let done = m.ends_with(b"$7\r\n__end__\r\n");
            events.push(m);
            if done {
                break;
            }
        }
        streams.push(events);
    }
    // Two messages (keyspace, keyevent) per event; the script fires dozens.
    assert!(streams[1].len() > 80, "only {} messages", streams[1].len());
    let render = |s: &[Vec<u8>]| s.iter().map(|m| show(m)).collect::<Vec<_>>().join("\n");
    assert!(
        streams[0] == streams[1],
        "ours:\n{}\n\nredis:\n{}",
        render(&streams[0]),
        render(&streams[1])
    );
}
