//! Hash commands against the real binary: HSET, HSETNX, HGET, HMGET, HMSET, HGETALL, HDEL,
//! HLEN, HEXISTS, HKEYS, HVALS, HSTRLEN, HINCRBY, HINCRBYFLOAT, HRANDFIELD, HSCAN; the
//! listpack → hashtable conversion thresholds; binary safety; RESP3 shapes.
//!
//! Re-expresses what applies of redis tests/unit/type/hash.tcl. Every exact reply and error
//! below was compared with redis-server 7.0.15 (byte for byte, through raw RESP). Orders are
//! only asserted for listpack hashes, whose order (insertion, deletions closing the gap) is
//! the same in Redis.
//!
//! Encodings are observed through HSCAN (a listpack hash is returned whole with cursor 0
//! whatever COUNT says; a hash table is returned in steps) until OBJECT ENCODING lands.

// Test code: a panic is how a test fails.
#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::collections::{HashMap, HashSet};

use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};
use redis::{Connection, Value};

use common::{IO_DEADLINE, RawConn, Server, bulk, encode, info_num, wait_until};

// ---- helpers ----------------------------------------------------------------------------

const SYNTAX: &[u8] = b"-ERR syntax error\r\n";
const NOT_INT: &[u8] = b"-ERR value is not an integer or out of range\r\n";
const NOT_FLOAT: &[u8] = b"-ERR value is not a valid float\r\n";
const INVALID_CURSOR: &[u8] = b"-ERR invalid cursor\r\n";
const WRONGTYPE: &[u8] = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

fn cmd(con: &mut Connection, args: &[&[u8]]) -> Value {
    let mut c = redis::cmd(std::str::from_utf8(args[0]).unwrap());
    for a in &args[1..] {
        c.arg(*a);
    }
    c.query(con)
        .unwrap_or_else(|e| panic!("{:?}: {e}", String::from_utf8_lossy(args[0])))
}

fn int(con: &mut Connection, args: &[&[u8]]) -> i64 {
    match cmd(con, args) {
        Value::Int(n) => n,
        other => panic!("not an integer: {other:?}"),
    }
}

fn bytes(v: &Value) -> Vec<u8> {
    match v {
        Value::BulkString(b) => b.clone(),
        other => panic!("not a bulk string: {other:?}"),
    }
}

fn array(v: Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a,
        other => panic!("not an array: {other:?}"),
    }
}

fn bulks(v: Value) -> Vec<Vec<u8>> {
    array(v).iter().map(bytes).collect()
}

/// HGETALL as a map (RESP2 flat array of pairs).
fn hgetall(con: &mut Connection, key: &[u8]) -> HashMap<Vec<u8>, Vec<u8>> {
    let flat = bulks(cmd(con, &[b"HGETALL", key]));
    assert_eq!(flat.len() % 2, 0);
    flat.chunks(2)
        .map(|p| (p[0].clone(), p[1].clone()))
        .collect()
}

type Pair = (Vec<u8>, Vec<u8>);

/// One HSCAN call: (next cursor, field/value pairs).
fn hscan(con: &mut Connection, key: &[u8], cursor: u64, extra: &[&[u8]]) -> (u64, Vec<Pair>) {
    let c = cursor.to_string();
    let mut args: Vec<&[u8]> = vec![b"HSCAN", key, c.as_bytes()];
    args.extend_from_slice(extra);
    let mut parts = array(cmd(con, &args)).into_iter();
    let next = String::from_utf8(bytes(&parts.next().unwrap()))
        .unwrap()
        .parse()
        .unwrap();
    let flat = bulks(parts.next().unwrap());
    assert_eq!(flat.len() % 2, 0);
    let pairs = flat
        .chunks(2)
        .map(|p| (p[0].clone(), p[1].clone()))
        .collect();
    (next, pairs)
}

/// True if the hash is still a listpack: HSCAN COUNT 1 returns it whole with cursor 0.
/// (Needs at least two fields to tell the encodings apart.)
fn is_listpack(con: &mut Connection, key: &[u8]) -> bool {
    let len = int(con, &[b"HLEN", key]) as usize;
    assert!(len >= 2, "encoding is only observable with 2+ fields");
    let (next, pairs) = hscan(con, key, 0, &[b"COUNT", b"1"]);
    if next == 0 {
        assert_eq!(pairs.len(), len);
        true
    } else {
        false
    }
}

fn expect_cmd(raw: &mut RawConn, args: &[&[u8]], reply: &[u8]) {
    raw.send(&encode(args));
    raw.expect(reply);
}

fn dbsize(con: &mut Connection) -> i64 {
    int(con, &[b"DBSIZE"])
}

fn info_stat(con: &mut Connection, name: &str) -> i64 {
    info_num(con, "stats", name)
}

// ---- HSET / HMSET / HSETNX / HGET / HMGET --------------------------------------------------

#[test]
fn hset_counts_new_fields_and_updates_in_place() {
    let srv = Server::start(&[]);
    let mut raw = srv.raw();
    expect_cmd(
        &mut raw,
        &[b"HSET", b"h", b"a", b"1", b"b", b"2"],
        b":2\r\n",
    );
    // One update, one insert, a repeated field within the same call.
    expect_cmd(
        &mut raw,
        &[b"HSET", b"h", b"a", b"x", b"c", b"3", b"c", b"4"],
        b":1\r\n",
    );
    expect_cmd(&mut raw, &[b"HGET", b"h", b"a"], b"$1\r\nx\r\n");
    expect_cmd(&mut raw, &[b"HGET", b"h", b"c"], b"$1\r\n4\r\n");
    expect_cmd(&mut raw, &[b"HGET", b"h", b"nope"], b"$-1\r\n");
    expect_cmd(&mut raw, &[b"HGET", b"nokey", b"a"], b"$-1\r\n");
    expect_cmd(
        &mut raw,
        &[b"hmset", b"h", b"d", b"5", b"a", b"y"],
        b"+OK\r\n",
    );
    expect_cmd(
        &mut raw,
        &[b"HMGET", b"h", b"a", b"zz", b"d"],
        b"*3\r\n$1\r\ny\r\n$-1\r\n$1\r\n5\r\n",
    );
    expect_cmd(
        &mut raw,
        &[b"HMGET", b"nokey", b"a", b"b"],
        b"*2\r\n$-1\r\n$-1\r\n",
    );
    expect_cmd(&mut raw, &[b"HLEN", b"h"], b":4\r\n");
    // An empty field and an empty value are ordinary.
    expect_cmd(&mut raw, &[b"HSET", b"h", b"", b""], b":1\r\n");
    expect_cmd(&mut raw, &[b"HGET", b"h", b""], b"$0\r\n\r\n");
    expect_cmd(&mut raw, &[b"HSTRLEN", b"h", b""], b":0\r\n");
    expect_cmd(&mut raw, &[b"HEXISTS", b"h", b""], b":1\r\n");
}

#[test]
fn hset_and_hmset_argument_count_errors() {
    let srv = Server::start(&[]);
    let mut raw = srv.raw();
    let hset_err = b"-ERR wrong number of arguments for 'hset' command\r\n";
    let hmset_err = b"-ERR wrong number of arguments for 'hmset' command\r\n";
    expect_cmd(&mut raw, &[b"HSET", b"h"], hset_err);
    expect_cmd(&mut raw, &[b"HSET", b"h", b"a"], hset_err);
    expect_cmd(&mut raw, &[b"HSET", b"h", b"a", b"1", b"b"], hset_err);
    // The name in the error is the command's, whatever the case it was sent in.
    expect_cmd(&mut raw, &[b"HsEt", b"h", b"a", b"1", b"b"], hset_err);
    expect_cmd(&mut raw, &[b"HMSET", b"h", b"a", b"1", b"b"], hmset_err);
    expect_cmd(&mut raw, &[b"HMSET", b"h", b"a"], hmset_err);
    // Nothing was created.
    expect_cmd(&mut raw, &[b"DBSIZE"], b":0\r\n");
    for (args, name) in [
        (&[&b"HSETNX"[..], b"h", b"a"][..], "hsetnx"),
        (&[b"HGET", b"h"], "hget"),
        (&[b"HMGET", b"h"], "hmget"),
        (&[b"HGETALL"], "hgetall"),
        (&[b"HDEL", b"h"], "hdel"),
        (&[b"HLEN"], "hlen"),
        (&[b"HEXISTS", b"h"], "hexists"),
        (&[b"HKEYS", b"h", b"x"], "hkeys"),
        (&[b"HVALS"], "hvals"),
        (&[b"HSTRLEN", b"h"], "hstrlen"),
        (&[b"HINCRBY", b"h", b"f"], "hincrby"),
        (&[b"HINCRBYFLOAT", b"h", b"f", b"1", b"2"], "hincrbyfloat"),
        (&[b"HRANDFIELD"], "hrandfield"),
        (&[b"HSCAN", b"h"], "hscan"),
    ] {
        let want = format!("-ERR wrong number of arguments for '{name}' command\r\n");
        expect_cmd(&mut raw, args, want.as_bytes());
    }
}

#[test]
fn hsetnx_sets_only_missing_fields() {
    let srv = Server::start(&[]);
    let mut raw = srv.raw();
    expect_cmd(&mut raw, &[b"HSETNX", b"h", b"a", b"foo"], b":1\r\n");
    expect_cmd(&mut raw, &[b"HSETNX", b"h", b"a", b"bar"], b":0\r\n");
    expect_cmd(&mut raw, &[b"HGET", b"h", b"a"], b"$3\r\nfoo\r\n");
    expect_cmd(&mut raw, &[b"HSETNX", b"h", b"b", b"bar"], b":1\r\n");
    expect_cmd(&mut raw, &[b"HLEN", b"h"], b":2\r\n");
}

#[test]
fn resp3_null_and_map_shapes() {
    let srv = Server::start(&[]);
    let mut raw = srv.raw();
    raw.send(&encode(&[b"HELLO", b"3"]));
    raw.read_reply();
    expect_cmd(
        &mut raw,
        &[b"HSET", b"h", b"a", b"1", b"b", b"2"],
        b":2\r\n",
    );
    expect_cmd(&mut raw, &[b"HGET", b"h", b"zz"], b"_\r\n");
    expect_cmd(
        &mut raw,
        &[b"HMGET", b"h", b"a", b"zz"],
        b"*2\r\n$1\r\n1\r\n_\r\n",
    );
    expect_cmd(
        &mut raw,
        &[b"HGETALL", b"h"],
        b"%2\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n",
    );
    expect_cmd(&mut raw, &[b"HGETALL", b"nokey"], b"%0\r\n");
    expect_cmd(&mut raw, &[b"HKEYS", b"h"], b"*2\r\n$1\r\na\r\n$1\r\nb\r\n");
    expect_cmd(&mut raw, &[b"HVALS", b"nokey"], b"*0\r\n");
    // HEXISTS stays an integer in RESP3.
    expect_cmd(&mut raw, &[b"HEXISTS", b"h", b"a"], b":1\r\n");
    // HSCAN's element list stays a flat array.
    expect_cmd(
        &mut raw,
        &[b"HSCAN", b"h", b"0"],
        b"*2\r\n$1\r\n0\r\n*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n",
    );
    expect_cmd(&mut raw, &[b"HRANDFIELD", b"nokey"], b"_\r\n");

    let mut con = srv.client_resp3();
    match cmd(&mut con, &[b"HGETALL", b"h"]) {
        Value::Map(pairs) => assert_eq!(pairs.len(), 2),
        other => panic!("HGETALL in RESP3 should be a map: {other:?}"),
    }
}

// ---- HGETALL / HKEYS / HVALS / HLEN / HEXISTS / HSTRLEN -----------------------------------

#[test]
fn getall_keys_vals_follow_listpack_order() {
    let srv = Server::start(&[]);
    let mut raw = srv.raw();
    expect_cmd(
        &mut raw,
        &[
            b"HSET", b"x", b"a", b"1", b"b", b"2", b"c", b"3", b"d", b"4",
        ],
        b":4\r\n",
    );
    expect_cmd(&mut raw, &[b"HDEL", b"x", b"b"], b":1\r\n");
    // Deletion closes the gap; new fields go at the end (as in a Redis listpack).
    expect_cmd(
        &mut raw,
        &[b"HSET", b"x", b"b", b"9", b"a", b"0"],
        b":1\r\n",
    );
    expect_cmd(
        &mut raw,
        &[b"HGETALL", b"x"],
        b"*8\r\n$1\r\na\r\n$1\r\n0\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nd\r\n$1\r\n4\r\n$1\r\nb\r\n$1\r\n9\r\n",
    );
    expect_cmd(
        &mut raw,
        &[b"HKEYS", b"x"],
        b"*4\r\n$1\r\na\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\nb\r\n",
    );
    expect_cmd(
        &mut raw,
        &[b"HVALS", b"x"],
        b"*4\r\n$1\r\n0\r\n$1\r\n3\r\n$1\r\n4\r\n$1\r\n9\r\n",
    );
    expect_cmd(&mut raw, &[b"HGETALL", b"nokey"], b"*0\r\n");
    expect_cmd(&mut raw, &[b"HKEYS", b"nokey"], b"*0\r\n");
    expect_cmd(&mut raw, &[b"HVALS", b"nokey"], b"*0\r\n");
    expect_cmd(&mut raw, &[b"HLEN", b"nokey"], b":0\r\n");
    expect_cmd(&mut raw, &[b"HEXISTS", b"x", b"a"], b":1\r\n");
    expect_cmd(&mut raw, &[b"HEXISTS", b"x", b"zz"], b":0\r\n");
    expect_cmd(&mut raw, &[b"HEXISTS", b"nokey", b"a"], b":0\r\n");
}

#[test]
fn hstrlen_corner_cases() {
    let srv = Server::start(&[]);
    let mut con = srv.client();
    for v in [
        &b"-9223372036854775808"[..],
        b"9223372036854775807",
        b"9223372036854775808",
        b"",
        b"0",
        b"-1",
        b"x",
        b"007",
        &[b'z'; 200],
    ] {
        cmd(&mut con, &[b"HSET", b"h", b"field", v]);
        assert_eq!(int(&mut con, &[b"HSTRLEN", b"h", b"field"]), v.len() as i64);
    }
    assert_eq!(int(&mut con, &[b"HSTRLEN", b"h", b"nofield"]), 0);
    assert_eq!(int(&mut con, &[b"HSTRLEN", b"nokey", b"f"]), 0);
}

// ---- HDEL ---------------------------------------------------------------------------------

#[test]
fn hdel_counts_and_removes_the_emptied_key() {
    let srv = Server::start(&[]);
    let mut con = srv.client();
    cmd(
        &mut con,
        &[b"HMSET", b"h", b"a", b"1", b"b", b"2", b"c", b"3"],
    );
    assert_eq!(int(&mut con, &[b"HDEL", b"h", b"x", b"y"]), 0);
    assert_eq!(int(&mut con, &[b"HDEL", b"h", b"a", b"c", b"f", b"a"]), 2);
    assert_eq!(
        hgetall(&mut con, b"h"),
        HashMap::from([(b"b".to_vec(), b"2".to_vec())])
    );
    assert_eq!(int(&mut con, &[b"HDEL", b"nokey", b"a"]), 0);
    assert_eq!(dbsize(&mut con), 1);

    // The hash empties before all named fields are tried: the key is gone.
    cmd(
        &mut con,
        &[b"HMSET", b"g", b"a", b"1", b"b", b"2", b"c", b"3"],
    );
    assert_eq!(
        int(&mut con, &[b"HDEL", b"g", b"a", b"b", b"c", b"d", b"e"]),
        3
    );
    assert_eq!(int(&mut con, &[b"HLEN", b"g"]), 0);
    assert_eq!(dbsize(&mut con), 1);
    assert_eq!(int(&mut con, &[b"HDEL", b"h", b"b"]), 1);
    assert_eq!(dbsize(&mut con), 0);
    // The same with a hash table.
    for i in 0..600 {
        cmd(
            &mut con,
            &[b"HSET", b"big", format!("f{i}").as_bytes(), b"v"],
        );
    }
    assert!(!is_listpack(&mut con, b"big"));
    let fields: Vec<Vec<u8>> = (0..600).map(|i| format!("f{i}").into_bytes()).collect();
    let mut args: Vec<&[u8]> = vec![b"HDEL", b"big"];
    args.extend(fields.iter().map(Vec::as_slice));
    assert_eq!(int(&mut con, &args), 600);
    assert_eq!(dbsize(&mut con), 0);
    // A later write starts a new, small hash.
    cmd(&mut con, &[b"HSET", b"big", b"a", b"1", b"b", b"2"]);
    assert!(is_listpack(&mut con, b"big"));
}

// ---- HINCRBY ------------------------------------------------------------------------------

#[test]
fn hincrby_semantics_and_errors() {
    let srv = Server::start(&[]);
    let mut raw = srv.raw();
    expect_cmd(&mut raw, &[b"HINCRBY", b"htest", b"foo", b"2"], b":2\r\n");
    expect_cmd(&mut raw, &[b"HINCRBY", b"htest", b"foo", b"3"], b":5\r\n");
    expect_cmd(&mut raw, &[b"HGET", b"htest", b"foo"], b"$1\r\n5\r\n");
    expect_cmd(&mut raw, &[b"HINCRBY", b"htest", b"new", b"-3"], b":-3\r\n");
    expect_cmd(
        &mut raw,
        &[b"HSET", b"htest", b"tmp", b"17179869184"],
        b":1\r\n",
    );
    expect_cmd(
        &mut raw,
        &[b"HINCRBY", b"htest", b"tmp", b"1"],
        b":17179869185\r\n",
    );
    expect_cmd(
        &mut raw,
        &[b"HINCRBY", b"htest", b"tmp", b"17179869184"],
        b":34359738369\r\n",
    );

    for bad in [
        &b"v"[..],
        b"1.5",
        b"",
        b" 1",
        b"1 ",
        b"+1",
        b"01",
        b"9223372036854775808",
    ] {
        expect_cmd(&mut raw, &[b"HINCRBY", b"htest", b"foo", bad], NOT_INT);
    }
    // The increment is checked before the key: a bad one is reported even for a missing key.
    expect_cmd(&mut raw, &[b"HINCRBY", b"nokey", b"f", b"x"], NOT_INT);

    let hash_not_int = b"-ERR hash value is not an integer\r\n";
    for stored in [
        &b" 11"[..],
        b"11 ",
        b"1.5",
        b"abc",
        b"",
        b"9223372036854775808",
        b"+1",
    ] {
        raw.send(&encode(&[b"HSET", b"htest", b"str", stored]));
        raw.read_reply();
        expect_cmd(
            &mut raw,
            &[b"HINCRBY", b"htest", b"str", b"1"],
            hash_not_int,
        );
        expect_cmd(&mut raw, &[b"HGET", b"htest", b"str"], &bulk(stored));
    }

    let overflow = b"-ERR increment or decrement would overflow\r\n";
    expect_cmd(
        &mut raw,
        &[b"HSET", b"htest", b"n", b"-9223372036854775484"],
        b":1\r\n",
    );
    expect_cmd(
        &mut raw,
        &[b"HINCRBY", b"htest", b"n", b"-1"],
        b":-9223372036854775485\r\n",
    );
    expect_cmd(&mut raw, &[b"HINCRBY", b"htest", b"n", b"-10000"], overflow);
    expect_cmd(
        &mut raw,
        &[b"HSET", b"htest", b"m", b"9223372036854775800"],
        b":1\r\n",
    );
    expect_cmd(
        &mut raw,
        &[b"HINCRBY", b"htest", b"m", b"7"],
        b":9223372036854775807\r\n",
    );
    expect_cmd(&mut raw, &[b"HINCRBY", b"htest", b"m", b"1"], overflow);
    expect_cmd(
        &mut raw,
        &[b"HGET", b"htest", b"m"],
        b"$19\r\n9223372036854775807\r\n",
    );
    expect_cmd(
        &mut raw,
        &[b"HINCRBY", b"htest", b"m", b"-9223372036854775808"],
        b":-1\r\n",
    );
    expect_cmd(
        &mut raw,
        &[b"HINCRBY", b"htest", b"min", b"-9223372036854775808"],
        b":-9223372036854775808\r\n",
    );
    expect_cmd(&mut raw, &[b"HINCRBY", b"htest", b"min", b"-1"], overflow);
}

// ---- HINCRBYFLOAT -------------------------------------------------------------------------

#[test]
fn hincrbyfloat_formats_like_redis() {
    let srv = Server::start(&[]);
    let mut raw = srv.raw();
    // (field, increment, reply) — replies from redis-server 7.0.15 on x86-64.
    let cases: &[(&[u8], &[u8], &[u8])] = &[
        (b"a", b"2.5", b"2.5"),
        (b"a", b"3.5", b"6"),
        (b"fl", b"1.23", b"1.23"),
        (b"fl", b"0.77", b"2"),
        (b"fl", b"-0.1", b"1.9"),
        (b"j", b"0.1", b"0.1"),
        (b"j", b"0.2", b"0.3"),
        (b"f", b"3.0", b"3"),
        (b"f", b"1e20", b"100000000000000000000"),
        (b"g", b"-0.0", b"0"),
        (b"h", b"1.0e-20", b"0"),
        (
            b"i",
            b"123456789012345678901234567890",
            b"123456789012345678899921813504",
        ),
        (b"y", b"5.0e3", b"5000"),
        (b"y", b"-5000", b"0"),
        (b"v", b"17179869184", b"17179869184"),
        (b"v", b"17179869184", b"34359738368"),
        (b"k", b"5e-324", b"0"),
        (b"neg", b"-2.5", b"-2.5"),
    ];
    for (field, incr, want) in cases {
        expect_cmd(&mut raw, &[b"HINCRBYFLOAT", b"h", field, incr], &bulk(want));
        expect_cmd(&mut raw, &[b"HGET", b"h", field], &bulk(want));
    }
    // Stored integers and integer-looking strings.
    expect_cmd(&mut raw, &[b"HSET", b"h", b"int", b"100"], b":1\r\n");
    expect_cmd(
        &mut raw,
        &[b"HINCRBYFLOAT", b"h", b"int", b"2.5"],
        &bulk(b"102.5"),
    );
    expect_cmd(
        &mut raw,
        &[b"HSET", b"h", b"big", b"9223372036854775808"],
        b":1\r\n",
    );
    expect_cmd(
        &mut raw,
        &[b"HINCRBYFLOAT", b"h", b"big", b"1"],
        &bulk(b"9223372036854775809"),
    );
    expect_cmd(
        &mut raw,
        &[b"HSET", b"h", b"min", b"-9223372036854775808"],
        b":1\r\n",
    );
    expect_cmd(
        &mut raw,
        &[b"HINCRBYFLOAT", b"h", b"min", b"0.5"],
        &bulk(b"-9223372036854775807.5"),
    );
    // Long-double range: 1e4932 fits (4933 digits), twice does not.
    let mut huge = b"1".to_vec();
    huge.extend(std::iter::repeat_n(b'0', 4932));
    raw.send(&encode(&[b"HINCRBYFLOAT", b"o", b"f", b"1e4932"]));
    let r = raw.read_reply();
    assert!(
        r.starts_with(b"$4933\r\n10000000000000000000060189"),
        "{}",
        common::show(&r[..40])
    );
    expect_cmd(
        &mut raw,
        &[b"HINCRBYFLOAT", b"o", b"f", b"1e4932"],
        b"-ERR increment would produce NaN or Infinity\r\n",
    );
    expect_cmd(
        &mut raw,
        &[b"HINCRBYFLOAT", b"o", b"f", b"-1e4932"],
        &bulk(b"0"),
    );
}

#[test]
fn hincrbyfloat_errors() {
    let srv = Server::start(&[]);
    let mut raw = srv.raw();
    for bad in [
        &b"abc"[..],
        b"",
        b"   1",
        b"1 ",
        b"nan",
        b"1e-5000",
        b"1e5000",
        b"1,5",
        b"0x",
    ] {
        expect_cmd(&mut raw, &[b"HINCRBYFLOAT", b"h", b"f", bad], NOT_FLOAT);
    }
    let nan_inf = b"-ERR value is NaN or Infinity\r\n";
    for inf in [&b"+inf"[..], b"-inf", b"inf", b"Infinity"] {
        expect_cmd(
            &mut raw,
            &[b"HINCRBYFLOAT", b"hfoo", b"field", inf],
            nan_inf,
        );
    }
    expect_cmd(&mut raw, &[b"DBSIZE"], b":0\r\n");
    let hash_not_float = b"-ERR hash value is not a float\r\n";
    for stored in [&b" 11"[..], b"11 ", b"abc", b"", b"1\x002", b"nan"] {
        raw.send(&encode(&[b"HSET", b"h", b"str", stored]));
        raw.read_reply();
        expect_cmd(
            &mut raw,
            &[b"HINCRBYFLOAT", b"h", b"str", b"1"],
            hash_not_float,
        );
    }
    // Hex floats are valid floats to strtold (Redis agrees).
    expect_cmd(
        &mut raw,
        &[b"HINCRBYFLOAT", b"h", b"hex", b"0x10"],
        &bulk(b"16"),
    );
}

// ---- HRANDFIELD ---------------------------------------------------------------------------

#[test]
fn hrandfield_errors_and_empty_cases() {
    let srv = Server::start(&[]);
    let mut raw = srv.raw();
    expect_cmd(&mut raw, &[b"HRANDFIELD", b"nokey"], b"$-1\r\n");
    expect_cmd(&mut raw, &[b"HRANDFIELD", b"nokey", b"100"], b"*0\r\n");
    expect_cmd(
        &mut raw,
        &[b"HRANDFIELD", b"nokey", b"-5", b"WITHVALUES"],
        b"*0\r\n",
    );
    expect_cmd(&mut raw, &[b"HSET", b"h", b"a", b"1"], b":1\r\n");
    expect_cmd(&mut raw, &[b"HRANDFIELD", b"h", b"0"], b"*0\r\n");
    expect_cmd(
        &mut raw,
        &[b"HRANDFIELD", b"h", b"0", b"withvalues"],
        b"*0\r\n",
    );

    expect_cmd(&mut raw, &[b"HRANDFIELD", b"h", b"x"], NOT_INT);
    expect_cmd(&mut raw, &[b"HRANDFIELD", b"h", b"1.0"], NOT_INT);
    expect_cmd(&mut raw, &[b"HRANDFIELD", b"nokey", b"x"], NOT_INT);
    let range = b"-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n";
    expect_cmd(
        &mut raw,
        &[b"HRANDFIELD", b"h", b"-9223372036854775808"],
        range,
    );
    // The range check comes before the syntax check.
    expect_cmd(
        &mut raw,
        &[b"HRANDFIELD", b"h", b"-9223372036854775808", b"foo"],
        range,
    );
    let wv_range = b"-ERR value is out of range\r\n";
    for count in [
        &b"-9223372036854770000"[..],
        b"-4611686018427387904",
        b"4611686018427387904",
    ] {
        expect_cmd(
            &mut raw,
            &[b"HRANDFIELD", b"h", count, b"withvalues"],
            wv_range,
        );
    }
    for args in [
        &[&b"HRANDFIELD"[..], b"h", b"1", b"foo"][..],
        &[b"HRANDFIELD", b"h", b"1", b"withvalue"],
        &[b"HRANDFIELD", b"h", b"1", b"withvalues", b"x"],
        &[b"HRANDFIELD", b"nokey", b"1", b"foo"],
    ] {
        expect_cmd(&mut raw, args, SYNTAX);
    }
    // Huge positive counts return the whole hash.
    expect_cmd(
        &mut raw,
        &[b"HRANDFIELD", b"h", b"9223372036854775807"],
        b"*1\r\n$1\r\na\r\n",
    );
    expect_cmd(
        &mut raw,
        &[b"HRANDFIELD", b"h", b"4611686018427387903", b"WithValues"],
        b"*2\r\n$1\r\na\r\n$1\r\n1\r\n",
    );
    expect_cmd(
        &mut raw,
        &[b"HRANDFIELD", b"h", b"-3"],
        b"*3\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n",
    );
    expect_cmd(&mut raw, &[b"HRANDFIELD", b"h"], b"$1\r\na\r\n");
}

/// PATH 1-4 of hash.tcl's "HRANDFIELD with <count>", for both encodings.
#[test]
fn hrandfield_with_count() {
    let srv = Server::start(&[]);
    let mut con = srv.client();
    let long = "L".repeat(80);
    for (key, last_field) in [("lp", "10"), ("ht", long.as_str())] {
        let mut model = HashMap::new();
        for (i, f) in ["a", "b", "c", "d", "e", "6", "7", "8", "9", last_field]
            .iter()
            .enumerate()
        {
            cmd(
                &mut con,
                &[
                    b"HSET",
                    key.as_bytes(),
                    f.as_bytes(),
                    i.to_string().as_bytes(),
                ],
            );
            model.insert(f.as_bytes().to_vec(), i.to_string().into_bytes());
        }
        assert_eq!(is_listpack(&mut con, key.as_bytes()), key == "lp");
        let k = key.as_bytes();

        // Negative: repeats allowed, exactly |count| elements, all from the hash.
        for n in [20usize, 1001] {
            let got = bulks(cmd(
                &mut con,
                &[b"HRANDFIELD", k, format!("-{n}").as_bytes()],
            ));
            assert_eq!(got.len(), n);
            assert!(got.iter().all(|f| model.contains_key(f)));
            let got = bulks(cmd(
                &mut con,
                &[b"HRANDFIELD", k, format!("-{n}").as_bytes(), b"WITHVALUES"],
            ));
            assert_eq!(got.len(), 2 * n);
            for p in got.chunks(2) {
                assert_eq!(model.get(&p[0]), Some(&p[1]));
            }
        }
        // Roughly uniform: every field of 10 shows up in 1000 picks, none hogs them.
        let got = bulks(cmd(&mut con, &[b"HRANDFIELD", k, b"-1000"]));
        let mut freq: HashMap<Vec<u8>, usize> = HashMap::new();
        for f in got {
            *freq.entry(f).or_default() += 1;
        }
        assert_eq!(freq.len(), 10);
        assert!(freq.values().all(|&c| (40..=200).contains(&c)), "{freq:?}");

        // Positive ≥ size: the whole hash, once each.
        for n in [10, 20] {
            let got = bulks(cmd(&mut con, &[b"HRANDFIELD", k, n.to_string().as_bytes()]));
            assert_eq!(got.iter().cloned().collect::<HashSet<_>>().len(), 10);
            assert_eq!(got.len(), 10);
            let got = bulks(cmd(
                &mut con,
                &[b"HRANDFIELD", k, n.to_string().as_bytes(), b"withvalues"],
            ));
            let pairs: HashMap<Vec<u8>, Vec<u8>> = got
                .chunks(2)
                .map(|p| (p[0].clone(), p[1].clone()))
                .collect();
            assert_eq!(pairs, model);
        }
        // Positive < size: distinct fields, and every field eventually.
        for n in [8usize, 2] {
            let mut seen = HashSet::new();
            for round in 0..200 {
                let withvalues = round % 2 == 0;
                let mut args: Vec<&[u8]> = vec![b"HRANDFIELD", k];
                let ns = n.to_string();
                args.push(ns.as_bytes());
                if withvalues {
                    args.push(b"WITHVALUES");
                }
                let got = bulks(cmd(&mut con, &args));
                let fields: Vec<Vec<u8>> = if withvalues {
                    assert_eq!(got.len(), 2 * n);
                    got.chunks(2)
                        .map(|p| {
                            assert_eq!(model.get(&p[0]), Some(&p[1]));
                            p[0].clone()
                        })
                        .collect()
                } else {
                    got
                };
                assert_eq!(fields.len(), n);
                let distinct: HashSet<_> = fields.iter().cloned().collect();
                assert_eq!(distinct.len(), n, "positive count must not repeat");
                seen.extend(distinct);
            }
            assert_eq!(seen.len(), 10);
        }
        // Without a count: a field of the hash, each of them eventually.
        let mut seen = HashSet::new();
        for _ in 0..300 {
            seen.insert(bytes(&cmd(&mut con, &[b"HRANDFIELD", k])));
        }
        assert_eq!(seen, model.keys().cloned().collect());
    }
}

#[test]
fn hrandfield_resp3_pairs() {
    let srv = Server::start(&[]);
    let mut raw = srv.raw();
    raw.send(&encode(&[b"HELLO", b"3"]));
    raw.read_reply();
    expect_cmd(&mut raw, &[b"HSET", b"h", b"a", b"1"], b":1\r\n");
    expect_cmd(
        &mut raw,
        &[b"HRANDFIELD", b"h", b"-2", b"WITHVALUES"],
        b"*2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n",
    );
    expect_cmd(
        &mut raw,
        &[b"HRANDFIELD", b"h", b"5", b"WITHVALUES"],
        b"*1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n",
    );
    expect_cmd(
        &mut raw,
        &[b"HRANDFIELD", b"h", b"-2"],
        b"*2\r\n$1\r\na\r\n$1\r\na\r\n",
    );
    expect_cmd(&mut raw, &[b"HRANDFIELD", b"nokey", b"3"], b"*0\r\n");

    // hash.tcl "HRANDFIELD with RESP3": 3 pairs of 2, or 3 plain fields.
    let mut con = srv.client_resp3();
    cmd(
        &mut con,
        &[
            b"HSET", b"m", b"a", b"1", b"b", b"2", b"c", b"3", b"d", b"4",
        ],
    );
    let res = array(cmd(&mut con, &[b"HRANDFIELD", b"m", b"3", b"WITHVALUES"]));
    assert_eq!(res.len(), 3);
    for pair in res {
        assert_eq!(array(pair).len(), 2);
    }
    let res = bulks(cmd(&mut con, &[b"HRANDFIELD", b"m", b"3"]));
    assert_eq!(res.len(), 3);
}

/// A negative count asks for up to 2^63 elements. Redis emits them until the client hits its
/// output-buffer hard limit and is closed; so do we (with no limit configured, Redis would run
/// out of memory; we stop at 1 GiB).
#[test]
fn hrandfield_huge_negative_count_hits_the_output_limit() {
    let srv = Server::start(&[]);
    let mut con = srv.client();
    cmd(&mut con, &[b"HSET", b"h", b"field", b"value"]);
    // Moderate counts are served in full.
    assert_eq!(
        bulks(cmd(&mut con, &[b"HRANDFIELD", b"h", b"-200000"])).len(),
        200000
    );
    cmd(
        &mut con,
        &[
            b"CONFIG",
            b"SET",
            b"client-output-buffer-limit",
            b"normal 1mb 0 0",
        ],
    );
    let mut raw = srv.raw();
    raw.send(&encode(&[b"HRANDFIELD", b"h", b"-9223372036854775807"]));
    raw.expect_closed();
    let mut raw = srv.raw();
    raw.send(&encode(&[
        b"HRANDFIELD",
        b"h",
        b"-4611686018427387903",
        b"WITHVALUES",
    ]));
    raw.expect_closed();
    // The server is fine and the other client too.
    assert_eq!(int(&mut con, &[b"HLEN", b"h"]), 1);
}

// ---- HSCAN --------------------------------------------------------------------------------

#[test]
fn hscan_errors_and_small_hashes() {
    let srv = Server::start(&[]);
    let mut raw = srv.raw();
    expect_cmd(
        &mut raw,
        &[b"HSET", b"h", b"a", b"1", b"b", b"2", b"c", b"3"],
        b":3\r\n",
    );
    let all = b"*2\r\n$1\r\n0\r\n*6\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n";
    // A listpack is returned whole, with cursor 0, whatever the cursor and COUNT.
    for args in [
        &[&b"HSCAN"[..], b"h", b"0"][..],
        &[b"HSCAN", b"h", b"0", b"COUNT", b"1"],
        &[b"HSCAN", b"h", b"5"],
        &[b"HSCAN", b"h", b"0", b"count", b"9223372036854775807"],
        &[b"HSCAN", b"h", b"0", b"MATCH", b"*"],
        &[b"HSCAN", b"h", b"0", b"COUNT", b"1", b"COUNT", b"2"],
        // strtoul accepts these cursors.
        &[b"HSCAN", b"h", b"-1"],
        &[b"HSCAN", b"h", b"+5"],
        &[b"HSCAN", b"h", b"007"],
        &[b"HSCAN", b"h", b""],
        &[b"HSCAN", b"h", b"18446744073709551615"],
    ] {
        expect_cmd(&mut raw, args, all);
    }
    expect_cmd(
        &mut raw,
        &[b"HSCAN", b"h", b"0", b"match", b"[ab]"],
        b"*2\r\n$1\r\n0\r\n*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n",
    );
    expect_cmd(
        &mut raw,
        &[b"HSCAN", b"h", b"0", b"match", b"*", b"match", b"zz"],
        b"*2\r\n$1\r\n0\r\n*0\r\n",
    );
    for c in [
        &b"x"[..],
        b" 1",
        b"1 ",
        b"-",
        b"+",
        b"0x10",
        b"18446744073709551616",
        b"-18446744073709551616",
    ] {
        expect_cmd(&mut raw, &[b"HSCAN", b"h", c], INVALID_CURSOR);
        // The cursor is checked before the key.
        expect_cmd(&mut raw, &[b"HSCAN", b"nokey", c], INVALID_CURSOR);
    }
    for opts in [
        &[&b"COUNT"[..], b"0"][..],
        &[b"COUNT", b"-1"],
        &[b"MATCH"],
        &[b"COUNT"],
        &[b"FOO", b"1"],
        &[b"TYPE", b"hash"],
        &[b"NOVALUES"],
        &[b"COUNT", b"1", b"COUNT"],
    ] {
        let mut args: Vec<&[u8]> = vec![b"HSCAN", b"h", b"0"];
        args.extend_from_slice(opts);
        expect_cmd(&mut raw, &args, SYNTAX);
    }
    expect_cmd(&mut raw, &[b"HSCAN", b"h", b"0", b"COUNT", b"x"], NOT_INT);
    expect_cmd(
        &mut raw,
        &[b"HSCAN", b"h", b"0", b"COUNT", b"9223372036854775808"],
        NOT_INT,
    );
    // Options are only read once the key is found.
    expect_cmd(
        &mut raw,
        &[b"HSCAN", b"nokey", b"0"],
        b"*2\r\n$1\r\n0\r\n*0\r\n",
    );
    expect_cmd(
        &mut raw,
        &[b"HSCAN", b"nokey", b"0", b"COUNT", b"0"],
        b"*2\r\n$1\r\n0\r\n*0\r\n",
    );
    expect_cmd(
        &mut raw,
        &[b"HSCAN", b"nokey", b"0", b"BOGUS"],
        b"*2\r\n$1\r\n0\r\n*0\r\n",
    );
}

#[test]
fn hscan_walks_a_hash_table_in_steps() {
    let srv = Server::start(&[]);
    let mut con = srv.client();
    let n = 1000;
    for i in 0..n {
        cmd(
            &mut con,
            &[
                b"HSET",
                b"h",
                format!("key:{i}").as_bytes(),
                i.to_string().as_bytes(),
            ],
        );
    }
    for count in [1u64, 7, 10, 100, 5000] {
        let mut seen = HashMap::new();
        let mut cursor = 0;
        let mut calls = 0;
        loop {
            let c = count.to_string();
            let (next, pairs) = hscan(&mut con, b"h", cursor, &[b"COUNT", c.as_bytes()]);
            calls += 1;
            assert!(pairs.len() as u64 <= count);
            for (f, v) in pairs {
                seen.insert(f, v);
            }
            cursor = next;
            if cursor == 0 {
                break;
            }
        }
        assert_eq!(seen.len(), n);
        for (f, v) in &seen {
            assert_eq!(f.strip_prefix(b"key:").unwrap(), v.as_slice());
        }
        assert!(calls as u64 >= (n as u64).div_ceil(count));
    }
    // MATCH filters, and a call keeps walking (up to 10×COUNT positions) to find matches.
    let mut seen = HashSet::new();
    let mut cursor = 0;
    loop {
        let (next, pairs) = hscan(
            &mut con,
            b"h",
            cursor,
            &[b"MATCH", b"key:*7", b"COUNT", b"10"],
        );
        for (f, _) in pairs {
            assert!(f.ends_with(b"7"));
            seen.insert(f);
        }
        cursor = next;
        if cursor == 0 {
            break;
        }
    }
    assert_eq!(seen.len(), 100);
}

/// SCAN's guarantee for hashes: a field present during the whole iteration is returned at least
/// once, whatever is added and removed between calls.
#[test]
fn hscan_full_iteration_guarantee_under_churn() {
    let srv = Server::start(&[]);
    let mut con = srv.client();
    let mut other = srv.client();
    let mut rng = SmallRng::seed_from_u64(7);
    for i in 0..2000 {
        cmd(
            &mut con,
            &[b"HSET", b"h", format!("stable:{i}").as_bytes(), b"v"],
        );
        cmd(
            &mut con,
            &[b"HSET", b"h", format!("churn:{i}").as_bytes(), b"v"],
        );
    }
    let mut seen = HashSet::new();
    let mut cursor = 0;
    let mut added = 0;
    loop {
        let (next, pairs) = hscan(&mut con, b"h", cursor, &[b"COUNT", b"25"]);
        seen.extend(pairs.into_iter().map(|(f, _)| f));
        for _ in 0..10 {
            if rng.random_bool(0.5) {
                cmd(
                    &mut other,
                    &[b"HSET", b"h", format!("new:{added}").as_bytes(), b"v"],
                );
                added += 1;
            } else {
                let i = rng.random_range(0..2000);
                cmd(
                    &mut other,
                    &[b"HDEL", b"h", format!("churn:{i}").as_bytes()],
                );
            }
        }
        cursor = next;
        if cursor == 0 {
            break;
        }
    }
    for i in 0..2000 {
        assert!(
            seen.contains(format!("stable:{i}").as_bytes()),
            "stable:{i} was never returned"
        );
    }
}

// ---- encodings ----------------------------------------------------------------------------

#[test]
fn listpack_converts_past_the_entry_limit() {
    // Redis 7's default is 512 entries.
    let srv = Server::start(&[]);
    let mut con = srv.client();
    for i in 0..512 {
        cmd(&mut con, &[b"HSET", b"h", format!("f{i}").as_bytes(), b"v"]);
    }
    assert!(is_listpack(&mut con, b"h"));
    // Updating an existing field does not convert.
    cmd(&mut con, &[b"HSET", b"h", b"f0", b"w"]);
    assert!(is_listpack(&mut con, b"h"));
    cmd(&mut con, &[b"HSET", b"h", b"f512", b"v"]);
    assert!(!is_listpack(&mut con, b"h"));
    // Never converted back.
    cmd(&mut con, &[b"HDEL", b"h", b"f512", b"f511", b"f510"]);
    assert!(!is_listpack(&mut con, b"h"));
    assert_eq!(int(&mut con, &[b"HLEN", b"h"]), 510);

    // With the limit at 128 (the old alias works too), the 129th field converts.
    let srv = Server::start(&["--hash-max-ziplist-entries", "128"]);
    let mut con = srv.client();
    for i in 0..128 {
        cmd(&mut con, &[b"HSET", b"h", format!("f{i}").as_bytes(), b"v"]);
    }
    assert!(is_listpack(&mut con, b"h"));
    cmd(&mut con, &[b"HSET", b"h", b"f128", b"v"]);
    assert!(!is_listpack(&mut con, b"h"));
    // One HSET carrying many pairs converts too; HINCRBY / HSETNX adding the 129th as well.
    let mut args: Vec<Vec<u8>> = vec![b"HSET".to_vec(), b"m".to_vec()];
    for i in 0..129 {
        args.push(format!("f{i}").into_bytes());
        args.push(b"v".to_vec());
    }
    let argv: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
    assert_eq!(int(&mut con, &argv), 129);
    assert!(!is_listpack(&mut con, b"m"));
    for (k, last) in [
        (&b"i"[..], &[&b"HINCRBY"[..], b"i", b"f128", b"1"][..]),
        (b"n", &[b"HSETNX", b"n", b"f128", b"1"]),
    ] {
        for i in 0..128 {
            cmd(&mut con, &[b"HSET", k, format!("f{i}").as_bytes(), b"1"]);
        }
        assert!(is_listpack(&mut con, k));
        cmd(&mut con, last);
        assert!(!is_listpack(&mut con, k));
    }
    // CONFIG SET changes the limit for later writes.
    cmd(
        &mut con,
        &[b"CONFIG", b"SET", b"hash-max-listpack-entries", b"2"],
    );
    cmd(&mut con, &[b"HSET", b"s", b"a", b"1", b"b", b"2"]);
    assert!(is_listpack(&mut con, b"s"));
    cmd(&mut con, &[b"HSET", b"s", b"c", b"3"]);
    assert!(!is_listpack(&mut con, b"s"));
    // hash.tcl stress: limit 32, 64 random inserts always end as a table.
    cmd(
        &mut con,
        &[b"CONFIG", b"SET", b"hash-max-ziplist-entries", b"32"],
    );
    let mut rng = SmallRng::seed_from_u64(3);
    for round in 0..20 {
        let key = format!("stress{round}");
        for _ in 0..64 {
            let f = rng.random_range(0..1_000_000u32).to_string();
            cmd(&mut con, &[b"HSET", key.as_bytes(), f.as_bytes(), b"v"]);
        }
        assert!(!is_listpack(&mut con, key.as_bytes()));
    }
}

#[test]
fn listpack_converts_on_a_long_field_or_value() {
    let srv = Server::start(&[]);
    let mut con = srv.client();
    let b64 = vec![b'x'; 64];
    let b65 = vec![b'x'; 65];
    cmd(&mut con, &[b"HSET", b"v", b"a", &b64, b"b", b"1"]);
    assert!(is_listpack(&mut con, b"v"));
    cmd(&mut con, &[b"HSET", b"v", b"c", &b65]);
    assert!(!is_listpack(&mut con, b"v"));
    cmd(&mut con, &[b"HSET", b"f", &b64, b"1", b"b", b"1"]);
    assert!(is_listpack(&mut con, b"f"));
    cmd(&mut con, &[b"HSET", b"f", &b65, b"1"]);
    assert!(!is_listpack(&mut con, b"f"));
    // HSETNX with a long value, HMSET with a long field.
    cmd(&mut con, &[b"HSET", b"n", b"a", b"1", b"b", b"1"]);
    cmd(&mut con, &[b"HSETNX", b"n", b"c", &b65]);
    assert!(!is_listpack(&mut con, b"n"));
    cmd(&mut con, &[b"HMSET", b"m", b"a", b"1", &b65, b"1"]);
    assert!(!is_listpack(&mut con, b"m"));
    // A hash created by a long first pair starts as a table.
    cmd(&mut con, &[b"HSET", b"t", b"a", &b65, b"b", b"1"]);
    assert!(!is_listpack(&mut con, b"t"));

    // hash.tcl "HINCRBYFLOAT over hash-max-listpack-value": the result and the field count.
    cmd(
        &mut con,
        &[b"CONFIG", b"SET", b"hash-max-listpack-value", b"8"],
    );
    cmd(&mut con, &[b"HSET", b"small", b"tmp", b"0", b"x", b"1"]);
    cmd(&mut con, &[b"HSET", b"big", b"tmp", b"0", b"x", b"1"]);
    assert_eq!(
        bytes(&cmd(
            &mut con,
            &[b"HINCRBYFLOAT", b"small", b"tmp", b"0.000005"]
        )),
        b"0.000005"
    );
    assert_eq!(
        bytes(&cmd(
            &mut con,
            &[b"HINCRBYFLOAT", b"big", b"tmp", b"0.0000005"]
        )),
        b"0.0000005"
    );
    assert!(is_listpack(&mut con, b"small"));
    assert!(!is_listpack(&mut con, b"big"));
    cmd(&mut con, &[b"HINCRBYFLOAT", b"fsmall", b"abcdefgh", b"1"]);
    cmd(&mut con, &[b"HSET", b"fsmall", b"x", b"1"]);
    cmd(&mut con, &[b"HINCRBYFLOAT", b"fbig", b"abcdefghi", b"1"]);
    cmd(&mut con, &[b"HSET", b"fbig", b"x", b"1"]);
    assert!(is_listpack(&mut con, b"fsmall"));
    assert!(!is_listpack(&mut con, b"fbig"));
    cmd(&mut con, &[b"HINCRBY", b"ismall", b"abcdefgh", b"1"]);
    cmd(&mut con, &[b"HSET", b"ismall", b"x", b"1"]);
    cmd(&mut con, &[b"HINCRBY", b"ibig", b"abcdefghi", b"1"]);
    cmd(&mut con, &[b"HSET", b"ibig", b"x", b"1"]);
    assert!(is_listpack(&mut con, b"ismall"));
    assert!(!is_listpack(&mut con, b"ibig"));
}

#[test]
fn hash_limit_config_names_and_errors() {
    let srv = Server::start(&[]);
    let mut raw = srv.raw();
    expect_cmd(
        &mut raw,
        &[b"CONFIG", b"GET", b"hash-max-*"],
        b"*8\r\n$25\r\nhash-max-listpack-entries\r\n$3\r\n512\r\n$23\r\nhash-max-listpack-value\r\n$2\r\n64\r\n\
$24\r\nhash-max-ziplist-entries\r\n$3\r\n512\r\n$22\r\nhash-max-ziplist-value\r\n$2\r\n64\r\n",
    );
    expect_cmd(
        &mut raw,
        &[b"CONFIG", b"SET", b"hash-max-ziplist-value", b"1kb"],
        b"+OK\r\n",
    );
    expect_cmd(
        &mut raw,
        &[b"CONFIG", b"GET", b"hash-max-listpack-value"],
        b"*2\r\n$23\r\nhash-max-listpack-value\r\n$4\r\n1024\r\n",
    );
    expect_cmd(
        &mut raw,
        &[b"CONFIG", b"SET", b"hash-max-listpack-entries", b"-1"],
        b"-ERR CONFIG SET failed (possibly related to argument 'hash-max-listpack-entries') - argument must be between 0 and 9223372036854775807 inclusive\r\n",
    );
    expect_cmd(
        &mut raw,
        &[b"CONFIG", b"SET", b"hash-max-ziplist-value", b"abc"],
        b"-ERR CONFIG SET failed (possibly related to argument 'hash-max-ziplist-value') - argument must be a memory value\r\n",
    );
    // Limit 0: every hash is a table from its first field.
    expect_cmd(
        &mut raw,
        &[b"CONFIG", b"SET", b"hash-max-listpack-entries", b"0"],
        b"+OK\r\n",
    );
    let mut con = srv.client();
    cmd(&mut con, &[b"HSET", b"h", b"a", b"1", b"b", b"2"]);
    assert!(!is_listpack(&mut con, b"h"));
}

// ---- binary safety, big hashes, model-checked fuzzing -------------------------------------

#[test]
fn binary_safe_fields_and_values() {
    let srv = Server::start(&[]);
    let mut con = srv.client();
    let all: Vec<u8> = (0..=255u8).collect();
    // Every byte value as a one-byte field (and value), in a listpack and in a table.
    for (key, limit) in [(&b"lp"[..], 512), (b"ht", 0)] {
        cmd(
            &mut con,
            &[
                b"CONFIG",
                b"SET",
                b"hash-max-listpack-entries",
                limit.to_string().as_bytes(),
            ],
        );
        for b in 0..=255u8 {
            assert_eq!(
                int(&mut con, &[b"HSET", key, &[b], &[b, b'\r', b'\n', b]]),
                1
            );
        }
        cmd(&mut con, &[b"HSET", key, &all, &all]);
        let got = hgetall(&mut con, key);
        assert_eq!(got.len(), 257);
        for b in 0..=255u8 {
            assert_eq!(got[&vec![b]], vec![b, b'\r', b'\n', b]);
        }
        assert_eq!(got[&all], all);
        assert_eq!(bytes(&cmd(&mut con, &[b"HGET", key, &all])), all);
        assert_eq!(int(&mut con, &[b"HSTRLEN", key, &all]), 256);
        assert_eq!(int(&mut con, &[b"HDEL", key, b"\0", b"\xff"]), 2);
        assert_eq!(int(&mut con, &[b"HEXISTS", key, b"\x00"]), 0);
    }
    // 1 MB values and fields.
    let mut rng = SmallRng::seed_from_u64(1);
    let big: Vec<u8> = (0..1 << 20).map(|_| rng.random::<u8>()).collect();
    cmd(&mut con, &[b"HSET", b"mb", &big, &big, b"small", b"x"]);
    assert_eq!(bytes(&cmd(&mut con, &[b"HGET", b"mb", &big])), big);
    assert_eq!(int(&mut con, &[b"HSTRLEN", b"mb", &big]), 1 << 20);
    let got = hgetall(&mut con, b"mb");
    assert_eq!(got[&big], big);
    assert_eq!(
        bulks(cmd(&mut con, &[b"HMGET", b"mb", b"small", &big])),
        vec![b"x".to_vec(), big.clone()]
    );
}

#[test]
fn big_hash_roundtrip() {
    let srv = Server::start(&[]);
    let mut con = srv.client();
    let mut rng = SmallRng::seed_from_u64(11);
    let mut model = HashMap::new();
    while model.len() < 1024 {
        let f = format!("__avoid_collisions__{}", rng.random_range(0..u64::MAX));
        let v = format!("__avoid_collisions__{}", rng.random_range(0..u64::MAX));
        cmd(&mut con, &[b"HSET", b"bighash", f.as_bytes(), v.as_bytes()]);
        model.insert(f.into_bytes(), v.into_bytes());
    }
    assert!(!is_listpack(&mut con, b"bighash"));
    assert_eq!(int(&mut con, &[b"HLEN", b"bighash"]), 1024);
    for (f, v) in &model {
        assert_eq!(&bytes(&cmd(&mut con, &[b"HGET", b"bighash", f])), v);
        assert_eq!(int(&mut con, &[b"HSTRLEN", b"bighash", f]), v.len() as i64);
    }
    assert_eq!(hgetall(&mut con, b"bighash"), model);
    let mut keys = bulks(cmd(&mut con, &[b"HKEYS", b"bighash"]));
    let mut want: Vec<Vec<u8>> = model.keys().cloned().collect();
    keys.sort();
    want.sort();
    assert_eq!(keys, want);
    let mut vals = bulks(cmd(&mut con, &[b"HVALS", b"bighash"]));
    let mut want: Vec<Vec<u8>> = model.values().cloned().collect();
    vals.sort();
    want.sort();
    assert_eq!(vals, want);
    let fields: Vec<&Vec<u8>> = model.keys().collect();
    let mut args: Vec<&[u8]> = vec![b"HMGET", b"bighash"];
    args.extend(fields.iter().map(|f| f.as_slice()));
    let got = bulks(cmd(&mut con, &args));
    for (f, v) in fields.iter().zip(got) {
        assert_eq!(model[*f], v);
    }
}

/// hash.tcl "Hash fuzzing #1/#2": random HSET/HDEL against a model, 10 and 512 fields.
#[test]
fn hash_fuzzing_against_a_model() {
    let srv = Server::start(&[]);
    let mut con = srv.client();
    let mut rng = SmallRng::seed_from_u64(99);
    let random_value = |rng: &mut SmallRng| -> Vec<u8> {
        match rng.random_range(0..4) {
            0 => rng.random_range(-512i64..512).to_string().into_bytes(),
            1 => rng
                .random_range(i64::MIN..i64::MAX)
                .to_string()
                .into_bytes(),
            2 => (0..rng.random_range(0..70))
                .map(|_| rng.random::<u8>())
                .collect(),
            _ => (0..rng.random_range(0..8))
                .map(|_| rng.random_range(b'a'..=b'z'))
                .collect(),
        }
    };
    for size in [10, 512] {
        for _ in 0..4 {
            cmd(&mut con, &[b"FLUSHALL"]);
            let mut model: HashMap<Vec<u8>, Vec<u8>> = HashMap::new();
            for _ in 0..size {
                if rng.random_range(0..3) < 2 {
                    let (f, v) = (random_value(&mut rng), random_value(&mut rng));
                    let new = int(&mut con, &[b"HSET", b"hash", &f, &v]);
                    assert_eq!(new == 1, model.insert(f, v).is_none());
                } else {
                    let f = random_value(&mut rng);
                    let n = int(&mut con, &[b"HDEL", b"hash", &f]);
                    assert_eq!(n == 1, model.remove(&f).is_some());
                }
            }
            for (f, v) in &model {
                assert_eq!(&bytes(&cmd(&mut con, &[b"HGET", b"hash", f])), v);
            }
            assert_eq!(int(&mut con, &[b"HLEN", b"hash"]), model.len() as i64);
            if !model.is_empty() {
                assert_eq!(hgetall(&mut con, b"hash"), model);
            }
        }
    }
}

#[test]
fn reads_count_keyspace_hits_and_misses() {
    let srv = Server::start(&[]);
    let mut con = srv.client();
    cmd(&mut con, &[b"HSET", b"h", b"a", b"1"]);
    let (hits, misses) = (
        info_stat(&mut con, "keyspace_hits"),
        info_stat(&mut con, "keyspace_misses"),
    );
    cmd(&mut con, &[b"HGET", b"h", b"a"]);
    cmd(&mut con, &[b"HGET", b"h", b"zz"]); // a hit: the key exists
    cmd(&mut con, &[b"HGET", b"nokey", b"a"]);
    cmd(&mut con, &[b"HLEN", b"nokey"]);
    // Writes do not count.
    cmd(&mut con, &[b"HSET", b"h", b"b", b"1"]);
    cmd(&mut con, &[b"HDEL", b"nokey", b"b"]);
    assert_eq!(info_stat(&mut con, "keyspace_hits"), hits + 2);
    assert_eq!(info_stat(&mut con, "keyspace_misses"), misses + 2);
}

// ---- needs other families --------------------------------------------------------------------

#[test]
fn wrongtype_on_every_command() {
    let srv = Server::start(&[]);
    let mut raw = srv.raw();
    expect_cmd(&mut raw, &[b"SET", b"s", b"somevalue"], b"+OK\r\n");
    for args in [
        &[&b"HSET"[..], b"s", b"f", b"v"][..],
        &[b"HMSET", b"s", b"f", b"v", b"g", b"w"],
        &[b"HSETNX", b"s", b"f", b"v"],
        &[b"HGET", b"s", b"f"],
        &[b"HMGET", b"s", b"f", b"g"],
        &[b"HGETALL", b"s"],
        &[b"HDEL", b"s", b"f"],
        &[b"HLEN", b"s"],
        &[b"HEXISTS", b"s", b"f"],
        &[b"HKEYS", b"s"],
        &[b"HVALS", b"s"],
        &[b"HSTRLEN", b"s", b"f"],
        &[b"HINCRBY", b"s", b"f", b"1"],
        &[b"HINCRBYFLOAT", b"s", b"f", b"1.5"],
        &[b"HRANDFIELD", b"s"],
        &[b"HRANDFIELD", b"s", b"0"],
        &[b"HRANDFIELD", b"s", b"-3", b"WITHVALUES"],
        &[b"HSCAN", b"s", b"0"],
        &[b"HSCAN", b"s", b"0", b"BOGUS"],
    ] {
        expect_cmd(&mut raw, args, WRONGTYPE);
    }
    // Argument errors checked before the type win.
    let hset_arity = b"-ERR wrong number of arguments for 'hset' command\r\n";
    let before_the_type: [(&[&[u8]], &[u8]); 5] = [
        (&[b"HSET", b"s", b"f"], hset_arity),
        (&[b"HINCRBY", b"s", b"f", b"x"], NOT_INT),
        (&[b"HINCRBYFLOAT", b"s", b"f", b"x"], NOT_FLOAT),
        (&[b"HRANDFIELD", b"s", b"1", b"x"], SYNTAX),
        (&[b"HSCAN", b"s", b"x"], INVALID_CURSOR),
    ];
    for (args, reply) in before_the_type {
        expect_cmd(&mut raw, args, reply);
    }
    expect_cmd(&mut raw, &[b"GET", b"s"], b"$9\r\nsomevalue\r\n");
}

#[test]
fn object_encoding_names() {
    let srv = Server::start(&["--hash-max-listpack-entries", "128"]);
    let mut raw = srv.raw();
    for i in 0..128 {
        raw.send(&encode(&[b"HSET", b"h", format!("f{i}").as_bytes(), b"v"]));
        raw.read_reply();
    }
    expect_cmd(
        &mut raw,
        &[b"OBJECT", b"ENCODING", b"h"],
        b"$8\r\nlistpack\r\n",
    );
    expect_cmd(&mut raw, &[b"HSET", b"h", b"f128", b"v"], b":1\r\n");
    expect_cmd(
        &mut raw,
        &[b"OBJECT", b"ENCODING", b"h"],
        b"$9\r\nhashtable\r\n",
    );
    expect_cmd(&mut raw, &[b"HSET", b"v", b"a", &[b'x'; 64]], b":1\r\n");
    expect_cmd(
        &mut raw,
        &[b"OBJECT", b"ENCODING", b"v"],
        b"$8\r\nlistpack\r\n",
    );
    expect_cmd(&mut raw, &[b"HSET", b"v", b"b", &[b'x'; 65]], b":1\r\n");
    expect_cmd(
        &mut raw,
        &[b"OBJECT", b"ENCODING", b"v"],
        b"$9\r\nhashtable\r\n",
    );
    expect_cmd(&mut raw, &[b"TYPE", b"v"], b"+hash\r\n");
}

/// Events as t_hash.c fires them, seen by a keyevent subscriber.
#[test]
fn keyspace_events() {
    let srv = Server::start(&["--notify-keyspace-events", "KEAn"]);
    let mut sub = srv.raw();
    sub.send(&encode(&[b"PSUBSCRIBE", b"__keyevent@0__:*"]));
    sub.read_reply();
    let mut con = srv.client();
    cmd(&mut con, &[b"HSET", b"h", b"a", b"1", b"b", b"2"]);
    cmd(&mut con, &[b"HSETNX", b"h", b"a", b"x"]); // no change: no event
    cmd(&mut con, &[b"HSETNX", b"h", b"c", b"3"]);
    cmd(&mut con, &[b"HINCRBY", b"h", b"n", b"1"]);
    cmd(&mut con, &[b"HINCRBYFLOAT", b"h", b"n", b"1.5"]);
    cmd(&mut con, &[b"HDEL", b"h", b"zz"]); // nothing deleted: no event
    cmd(&mut con, &[b"HDEL", b"h", b"a", b"b", b"c", b"n"]);
    let event = |sub: &mut RawConn| {
        let r = sub.read_reply();
        let text = String::from_utf8_lossy(&r).into_owned();
        // The pattern comes first in a pmessage; the channel is the last match.
        let name = text.rsplit("__keyevent@0__:").next().unwrap_or_default();
        name.split("\r\n").next().unwrap_or_default().to_string()
    };
    for want in [
        "new",
        "hset",
        "hset",
        "hincrby",
        "hincrbyfloat",
        "hdel",
        "del",
    ] {
        assert_eq!(event(&mut sub), want);
    }
}

/// HINCRBYFLOAT is logged as HSET of its result; the file replays to the same hash.
#[test]
fn aof_logs_hincrbyfloat_as_hset() {
    let mut srv = Server::start(&["--appendonly", "yes", "--appendfsync", "always"]);
    let mut con = srv.client();
    cmd(&mut con, &[b"HSET", b"h", b"a", b"1"]);
    assert_eq!(
        bytes(&cmd(&mut con, &[b"HINCRBYFLOAT", b"h", b"f", b"0.1"])),
        b"0.1"
    );
    assert_eq!(
        bytes(&cmd(&mut con, &[b"HINCRBYFLOAT", b"h", b"f", b"0.2"])),
        b"0.3"
    );
    cmd(&mut con, &[b"HINCRBY", b"h", b"a", b"5"]);
    cmd(&mut con, &[b"HDEL", b"h", b"nothing"]);
    let before = hgetall(&mut con, b"h");
    drop(con);
    let path = srv.dir().join("appendonly.aof");
    let mut aof = Vec::new();
    assert!(wait_until(IO_DEADLINE, || {
        aof = std::fs::read(&path).unwrap_or_default();
        common::contains(&aof, b"$3\r\n0.3\r\n")
    }));
    assert!(common::contains(
        &aof,
        &encode(&[b"HSET", b"h", b"f", b"0.1"])
    ));
    assert!(common::contains(
        &aof,
        &encode(&[b"HSET", b"h", b"f", b"0.3"])
    ));
    assert!(!common::contains(
        &aof.to_ascii_lowercase(),
        b"hincrbyfloat"
    ));
    assert!(
        !common::contains(&aof, b"nothing"),
        "a no-op HDEL is not logged"
    );
    srv.restart();
    let mut con = srv.client();
    assert_eq!(hgetall(&mut con, b"h"), before);

    // Both encodings and binary fields survive a rewrite and a reload.
    let all: Vec<u8> = (0..=255u8).collect();
    for i in 0..600 {
        let f = format!("f{i}");
        cmd(&mut con, &[b"HSET", b"table", f.as_bytes(), &all]);
    }
    for chunk in all.chunks(64) {
        cmd(&mut con, &[b"HSET", b"small", chunk, chunk]);
    }
    cmd(&mut con, &[b"HSET", b"small", b"", b""]);
    assert!(is_listpack(&mut con, b"small"));
    let (table, small) = (hgetall(&mut con, b"table"), hgetall(&mut con, b"small"));
    cmd(&mut con, &[b"BGREWRITEAOF"]);
    let info = |con: &mut Connection| -> String {
        redis::cmd("INFO").arg("persistence").query(con).unwrap()
    };
    assert!(wait_until(IO_DEADLINE, || {
        let i = info(&mut con);
        i.contains("aof_rewrite_in_progress:0") && i.contains("aof_rewrite_scheduled:0")
    }));
    assert!(info(&mut con).contains("aof_last_bgrewrite_status:ok"));
    drop(con);
    srv.restart();
    let mut con = srv.client();
    assert_eq!(hgetall(&mut con, b"h"), before);
    assert_eq!(hgetall(&mut con, b"table"), table);
    assert_eq!(hgetall(&mut con, b"small"), small);
    assert!(!is_listpack(&mut con, b"table"));
    assert!(is_listpack(&mut con, b"small"));
}
