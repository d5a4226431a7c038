//! Wire-protocol tests against the real binary: framing (pipelines, split
//! and chunked requests, inline commands), protocol errors and their exact
//! texts, dispatch errors, HELLO and RESP3 replies.
//!
//! Expected bytes were checked against redis-server 7.0 with raw sockets;
//! behaviour follows redis tests/unit/protocol.tcl.

// Test code: a panic is how a test fails.
#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::io::Write;

use common::{Server, bulk, client_id, encode};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

#[test]
fn pipeline_of_10000_commands_in_one_write() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    let n = 10_000;
    let mut request = Vec::new();
    let mut expected = Vec::new();
    for i in 0..n {
        let arg = format!("msg-{i}");
        request.extend_from_slice(&encode(&[b"ECHO", arg.as_bytes()]));
        expected.extend_from_slice(&bulk(arg.as_bytes()));
    }
    request.extend_from_slice(b"PING\r\n");
    expected.extend_from_slice(b"+PONG\r\n");
    // One write from another thread: replies flow back while we send, and
    // neither side may block the other on a full socket buffer.
    let mut w = c.writer();
    let writer = std::thread::spawn(move || w.write_all(&request));
    let got = c.read_exact_bytes(expected.len());
    writer.join().expect("writer thread").expect("write");
    if got != expected {
        let at = got.iter().zip(&expected).position(|(a, b)| a != b);
        panic!(
            "pipeline replies differ at byte {at:?}: got {} expected {}",
            common::show(&got[at.unwrap_or(0)..][..64.min(got.len() - at.unwrap_or(0))]),
            common::show(&expected[at.unwrap_or(0)..][..64.min(expected.len() - at.unwrap_or(0))]),
        );
    }
    // Nothing extra was sent, and the connection is still usable.
    c.send(b"PING\r\n");
    c.expect(b"+PONG\r\n");
}

#[test]
fn request_split_into_one_byte_writes() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    let mut req = encode(&[b"ECHO", b"hello\r\nworld"]);
    req.extend_from_slice(b"ECHO \"inline too\"\r\n");
    req.extend_from_slice(&encode(&[b"PING"]));
    for b in &req {
        c.send(std::slice::from_ref(b));
    }
    c.expect(&bulk(b"hello\r\nworld"));
    c.expect(&bulk(b"inline too"));
    c.expect(b"+PONG\r\n");
}

#[test]
fn one_mb_bulk_in_random_chunks_is_echoed_exactly() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    let mut rng = StdRng::seed_from_u64(0x1db);
    let mut payload = vec![0u8; 1 << 20];
    rng.fill(&mut payload[..]);
    let req = encode(&[b"ECHO", &payload]);
    let mut w = c.writer();
    let chunks: Vec<usize> = {
        let mut v = Vec::new();
        let mut left = req.len();
        while left > 0 {
            let n = rng.random_range(1..=32 * 1024).min(left);
            v.push(n);
            left -= n;
        }
        v
    };
    let writer = std::thread::spawn(move || -> std::io::Result<()> {
        let mut at = 0;
        for n in chunks {
            w.write_all(&req[at..at + n])?;
            at += n;
        }
        Ok(())
    });
    let reply = c.read_reply();
    writer.join().expect("writer thread").expect("write");
    assert_eq!(reply.len(), payload.len() + 12, "reply length");
    assert!(reply.starts_with(b"$1048576\r\n"), "header");
    assert!(
        reply[10..10 + payload.len()] == payload[..],
        "payload differs"
    );
    c.send(b"PING\r\n");
    c.expect(b"+PONG\r\n");
}

#[test]
fn inline_commands() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    c.send(b"PING\r\n");
    c.expect(b"+PONG\r\n");
    // Empty lines are skipped without a reply; a bare LF ends a line too.
    c.send(b"\r\n\r\n\n  \r\nPING\n");
    c.expect(b"+PONG\r\n");
    c.send(b"PiNg\r\n");
    c.expect(b"+PONG\r\n");
    c.send(b"  ECHO   x  \r\n");
    c.expect(&bulk(b"x"));
    c.send(b"ECHO \"hello world\"\r\n");
    c.expect(&bulk(b"hello world"));
    c.send(b"ECHO 'a b'\r\n");
    c.expect(&bulk(b"a b"));
    c.send(b"ECHO \"\\x41\\n\\t\\\\\\\"\"\r\n");
    c.expect(&bulk(b"A\n\t\\\""));
    c.send(b"ECHO 'it\\'s'\r\n");
    c.expect(&bulk(b"it's"));
    // Several inline commands in one write.
    c.send(b"ECHO a\r\nECHO b\r\n");
    c.expect(&[bulk(b"a"), bulk(b"b")].concat());
    // Inline arity errors name the lowercase command, as for multibulk.
    c.send(b"echo a b\r\n");
    c.expect(b"-ERR wrong number of arguments for 'echo' command\r\n");
}

#[test]
fn empty_multibulk_is_ignored() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    c.send(b"*0\r\n*-1\r\nPING\r\n");
    c.expect(b"+PONG\r\n");
}

/// `redis-cli --pipe` ends its stream with ECHO of 20 random bytes and
/// waits for exactly those bytes to come back.
#[test]
fn pipe_mode_end_marker_echoed_exactly() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    let mut rng = StdRng::seed_from_u64(20);
    for round in 0..50 {
        let mut marker = [0u8; 20];
        rng.fill(&mut marker[..]);
        if round == 0 {
            // Make sure the awkward bytes are covered at least once.
            marker[..6].copy_from_slice(b"\r\n\0\xff$*");
        }
        let mut req = b"PING\r\n".to_vec();
        req.extend_from_slice(&encode(&[b"ECHO", &marker]));
        c.send(&req);
        c.expect(b"+PONG\r\n");
        c.expect(&bulk(&marker));
    }
}

/// Send `bad`, expect exactly `error` and then EOF, while a second client
/// stays unaffected.
fn assert_protocol_error(srv: &Server, bad: &[u8], error: &[u8]) {
    let mut other = srv.raw();
    other.send(b"PING\r\n");
    other.expect(b"+PONG\r\n");
    let mut c = srv.raw();
    // The server may close before it has read everything (too big inline
    // request), so a failed write is not a failure; the reply decides.
    let _ = c.send_checked(bad);
    match c.try_read_reply() {
        Ok(got) => assert!(
            got == error,
            "for request {}\nexpected {}\n     got {}",
            common::show(&bad[..bad.len().min(80)]),
            common::show(error),
            common::show(&got)
        ),
        Err(e) => panic!(
            "for request {}: no reply ({e}), expected {}",
            common::show(&bad[..bad.len().min(80)]),
            common::show(error)
        ),
    }
    c.expect_closed();
    other.send_cmd(&[b"ECHO", b"still here"]);
    other.expect(&bulk(b"still here"));
}

#[test]
fn protocol_errors_reply_then_close() {
    let srv = Server::start(&[]);
    let mbulk = b"-ERR Protocol error: invalid multibulk length\r\n";
    let blen = b"-ERR Protocol error: invalid bulk length\r\n";
    let quotes = b"-ERR Protocol error: unbalanced quotes in request\r\n";
    assert_protocol_error(&srv, b"*abc\r\n", mbulk);
    assert_protocol_error(&srv, b"*3000000000\r\n", mbulk);
    assert_protocol_error(&srv, b"*1\r\n$abc\r\n", blen);
    assert_protocol_error(&srv, b"*1\r\n$-1\r\n", blen);
    // Lengths are parsed like Redis's string2ll: no leading zeros, no "-0".
    assert_protocol_error(&srv, b"*01\r\n", mbulk);
    assert_protocol_error(&srv, b"*-0\r\n", mbulk);
    assert_protocol_error(&srv, b"*1\r\n$04\r\n", blen);
    assert_protocol_error(&srv, b"*2\r\n$4\r\nECHO\r\n$-0\r\n", blen);
    assert_protocol_error(&srv, b"*1\r\n$+4\r\n", blen);
    // One past the default proto-max-bulk-len (512 MiB).
    assert_protocol_error(&srv, b"*1\r\n$536870913\r\n", blen);
    assert_protocol_error(
        &srv,
        b"*1\r\nx\r\n",
        b"-ERR Protocol error: expected '$', got 'x'\r\n",
    );
    assert_protocol_error(
        &srv,
        b"*2\r\n$4\r\nECHO\r\n:1\r\n",
        b"-ERR Protocol error: expected '$', got ':'\r\n",
    );
    assert_protocol_error(&srv, b"ECHO \"abc\r\n", quotes);
    assert_protocol_error(&srv, b"ECHO 'abc\r\n", quotes);
    // A closing quote must be followed by a space.
    assert_protocol_error(&srv, b"ECHO \"a\"b\r\n", quotes);
}

#[test]
fn too_big_inline_request() {
    let srv = Server::start(&[]);
    // One byte more than the 64 KiB inline limit, with no newline. Exactly
    // that much, so the server has read all of it when it closes (unread
    // input would turn its FIN into a RST).
    let line = vec![b'a'; 64 * 1024 + 1];
    assert_protocol_error(
        &srv,
        &line,
        b"-ERR Protocol error: too big inline request\r\n",
    );
    // Exactly 64 KiB is still fine while it waits for the newline.
    let mut c = srv.raw();
    let mut long = b"ECHO ".to_vec();
    long.resize(64 * 1024, b'b');
    c.send(&long);
    c.send(b"\r\n");
    c.expect(&bulk(&long[5..]));
}

#[test]
fn replies_before_a_protocol_error_are_delivered() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    c.send(b"PING\r\nECHO ok\r\n*x\r\n");
    c.expect(b"+PONG\r\n");
    c.expect(&bulk(b"ok"));
    c.expect(b"-ERR Protocol error: invalid multibulk length\r\n");
    c.expect_closed();
}

#[test]
fn unknown_command_keeps_connection_open() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    c.send_cmd(&[b"foo", b"a", b"b"]);
    c.expect(b"-ERR unknown command 'foo', with args beginning with: 'a' 'b' \r\n");
    c.send(b"foo\r\n");
    c.expect(b"-ERR unknown command 'foo', with args beginning with: \r\n");
    c.send(b"foo a b c d\r\n");
    c.expect(b"-ERR unknown command 'foo', with args beginning with: 'a' 'b' 'c' 'd' \r\n");
    c.send(b"PING\r\n");
    c.expect(b"+PONG\r\n");
}

#[test]
fn wrong_arity_keeps_connection_open() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    c.send_cmd(&[b"ECHO"]);
    c.expect(b"-ERR wrong number of arguments for 'echo' command\r\n");
    c.send_cmd(&[b"echo", b"a", b"b"]);
    c.expect(b"-ERR wrong number of arguments for 'echo' command\r\n");
    c.send_cmd(&[b"PING", b"a", b"b"]);
    c.expect(b"-ERR wrong number of arguments for 'ping' command\r\n");
    c.send_cmd(&[b"CLIENT"]);
    c.expect(b"-ERR wrong number of arguments for 'client' command\r\n");
    c.send_cmd(&[b"CLIENT", b"NOSUCH"]);
    c.expect(b"-ERR unknown subcommand 'NOSUCH'. Try CLIENT HELP.\r\n");
    c.send_cmd(&[b"PING", b"hi"]);
    c.expect(&bulk(b"hi"));
}

/// The HELLO reply map after its header, for RESP2 or RESP3 framing.
fn hello_body(proto: i64, id: i64) -> Vec<u8> {
    let version = inmemdb::REDIS_VERSION.as_bytes();
    [
        bulk(b"server"),
        bulk(b"redis"),
        bulk(b"version"),
        bulk(version),
        bulk(b"proto"),
        format!(":{proto}\r\n").into_bytes(),
        bulk(b"id"),
        format!(":{id}\r\n").into_bytes(),
        bulk(b"mode"),
        bulk(b"standalone"),
        bulk(b"role"),
        bulk(b"master"),
        bulk(b"modules"),
        b"*0\r\n".to_vec(),
    ]
    .concat()
}

#[test]
fn hello_negotiates_protocol() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    let id = client_id(&mut c);
    c.send(b"HELLO 3\r\n");
    c.expect(&[b"%7\r\n".to_vec(), hello_body(3, id)].concat());
    c.send(b"HELLO 2\r\n");
    c.expect(&[b"*14\r\n".to_vec(), hello_body(2, id)].concat());
    // No version: reply in the current protocol, which stays.
    c.send(b"HELLO\r\n");
    c.expect(&[b"*14\r\n".to_vec(), hello_body(2, id)].concat());
    c.send(b"HELLO 4\r\n");
    c.expect(b"-NOPROTO unsupported protocol version\r\n");
    c.send(b"HELLO 1\r\n");
    c.expect(b"-NOPROTO unsupported protocol version\r\n");
    c.send(b"HELLO x\r\n");
    c.expect(b"-ERR Protocol version is not an integer or out of range\r\n");
    c.send(b"HELLO 3 SETNAME \"a b\"\r\n");
    c.expect(b"-ERR Client names cannot contain spaces, newlines or special characters.\r\n");
    // A failed HELLO changes nothing: still RESP2.
    c.send(b"CLIENT GETNAME\r\n");
    c.expect(b"$-1\r\n");
    c.send(b"HELLO 3 SETNAME conn1\r\n");
    c.expect(&[b"%7\r\n".to_vec(), hello_body(3, id)].concat());
    c.send(b"CLIENT GETNAME\r\n");
    c.expect(&bulk(b"conn1"));
}

#[test]
fn resp3_reply_types() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    c.send(b"HELLO 3\r\n");
    let _ = c.read_reply();
    c.send(b"PING\r\n");
    c.expect(b"+PONG\r\n");
    c.send(b"CLIENT GETNAME\r\n");
    c.expect(b"_\r\n");
    c.send(b"CONFIG GET appendonly\r\n");
    c.expect(b"%1\r\n$10\r\nappendonly\r\n$2\r\nno\r\n");
    // Flags and ACL categories are sets. (The exact bytes are checked by
    // connection.rs `command_info_echo_matches_redis`.)
    let ci = c.cmd(&[b"COMMAND", b"INFO", b"echo"]);
    assert!(
        ci.starts_with(b"*1\r\n*10\r\n$4\r\necho\r\n:2\r\n~"),
        "{}",
        common::show(&ci)
    );
    assert!(
        common::contains(&ci, b":0\r\n~2\r\n+@fast\r\n+@connection\r\n"),
        "{}",
        common::show(&ci)
    );
    // INFO and CLIENT INFO are verbatim strings in RESP3.
    let info = c.cmd(&[b"INFO", b"server"]);
    assert!(info.starts_with(b"="), "{}", common::show(&info));
    assert!(
        common::contains(&info, b"\r\ntxt:# Server"),
        "{}",
        common::show(&info)
    );
    let ci = c.cmd(&[b"CLIENT", b"INFO"]);
    assert!(ci.starts_with(b"="), "{}", common::show(&ci));
    assert!(
        ci.ends_with(b"resp=3 lib-name= lib-ver=\n\r\n"),
        "{}",
        common::show(&ci)
    );
    // RESET goes back to RESP2.
    c.send(b"RESET\r\n");
    c.expect(b"+RESET\r\n");
    c.send(b"CLIENT GETNAME\r\n");
    c.expect(b"$-1\r\n");
    c.send(b"CONFIG GET appendonly\r\n");
    c.expect(b"*2\r\n$10\r\nappendonly\r\n$2\r\nno\r\n");
}

#[test]
fn redis_crate_clients_resp2_and_resp3() {
    let srv = Server::start(&[]);
    let mut c2 = srv.client();
    let pong: String = redis::cmd("PING").query(&mut c2).expect("PING");
    assert_eq!(pong, "PONG");
    let echoed: Vec<u8> = redis::cmd("ECHO")
        .arg(&b"\x00\xffbin"[..])
        .query(&mut c2)
        .expect("ECHO");
    assert_eq!(echoed, b"\x00\xffbin");
    let mut c3 = srv.client_resp3();
    let v: redis::Value = redis::cmd("CONFIG")
        .arg("GET")
        .arg("save")
        .query(&mut c3)
        .expect("CONFIG GET");
    assert!(matches!(v, redis::Value::Map(_)), "{v:?}");
    let name: Option<String> = redis::cmd("CLIENT")
        .arg("GETNAME")
        .query(&mut c3)
        .expect("GETNAME");
    assert_eq!(name, None);
    let err = redis::cmd("NOSUCHCMD")
        .query::<redis::Value>(&mut c3)
        .expect_err("unknown command");
    assert!(
        err.to_string().contains("unknown command 'NOSUCHCMD'"),
        "{err}"
    );
}

/// `printf 'PING\r\n' | nc`: the client half-closes right after sending;
/// replies already due must still arrive before the server closes.
#[test]
fn half_closed_client_still_gets_replies() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    c.send(b"PING\r\nECHO bye\r\n");
    c.shutdown_write();
    c.expect(b"+PONG\r\n");
    c.expect(&bulk(b"bye"));
    c.expect_closed();
}

/// A pipeline whose replies outgrow the server's output pause threshold
/// while the client is not reading: the server must stop reading, then
/// resume once we drain, and every reply must arrive intact and in order.
#[test]
fn large_replies_pipeline_with_slow_reader() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    let id = client_id(&mut c).to_string();
    let n = 24;
    let mut payloads = Vec::new();
    let mut req = Vec::new();
    for i in 0..n {
        let p = vec![b'a' + (i % 26) as u8; 1 << 20];
        req.extend_from_slice(&encode(&[b"ECHO", &p]));
        payloads.push(p);
    }
    req.extend_from_slice(b"PING\r\n");
    let mut w = c.writer();
    let writer = std::thread::spawn(move || w.write_all(&req));
    // Don't read until the server holds a lot of unsent output for us (or
    // the whole pipeline went through, if it never needs to pause).
    let mut admin = srv.raw();
    let piled_up = common::wait_until(common::IO_DEADLINE, || {
        if writer.is_finished() {
            return true;
        }
        let line = admin.cmd(&[b"CLIENT", b"LIST", b"ID", id.as_bytes()]);
        let text = String::from_utf8_lossy(&line).into_owned();
        text.split_whitespace()
            .find_map(|f| f.strip_prefix("obl="))
            .and_then(|v| v.parse::<usize>().ok())
            .is_some_and(|obl| obl >= 8 << 20)
    });
    assert!(
        piled_up,
        "server neither buffered output nor read everything"
    );
    for p in &payloads {
        let r = c.read_reply();
        assert!(r == bulk(p), "reply of {} bytes differs", r.len());
    }
    c.expect(b"+PONG\r\n");
    writer.join().expect("writer thread").expect("write");
}

/// Clients that vanish with requests in flight and replies unsent do not
/// disturb the server, and their slots are freed.
#[test]
fn clients_disconnecting_with_pending_output() {
    let srv = Server::start(&[]);
    let big = vec![b'x'; 1 << 20];
    for _ in 0..5 {
        let mut c = srv.raw();
        for _ in 0..8 {
            c.send_cmd(&[b"ECHO", &big]);
        }
        drop(c);
    }
    for _ in 0..500 {
        let mut c = srv.raw();
        c.send(b"PING\r\n");
        c.expect(b"+PONG\r\n");
    }
    let mut c = srv.raw();
    let freed = common::wait_until(common::IO_DEADLINE, || {
        common::connected_clients(&mut c) == 1
    });
    assert!(freed, "closed clients were not freed");
}

// ---- Tests that need the keyspace (SET/GET). ----

#[test]
fn pipelined_set_then_get_binary_values() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    let n = 10_000;
    let value = |i: usize| format!("v\r\n\0{i}").into_bytes();
    let mut req = Vec::new();
    let mut expected = Vec::new();
    for i in 0..n {
        req.extend_from_slice(&encode(&[b"SET", format!("key:{i}").as_bytes(), &value(i)]));
        expected.extend_from_slice(b"+OK\r\n");
    }
    for i in 0..n {
        req.extend_from_slice(&encode(&[b"GET", format!("key:{i}").as_bytes()]));
        expected.extend_from_slice(&bulk(&value(i)));
    }
    req.extend_from_slice(&encode(&[b"GET", b"missing"]));
    expected.extend_from_slice(b"$-1\r\n");
    let mut w = c.writer();
    let writer = std::thread::spawn(move || w.write_all(&req));
    let got = c.read_exact_bytes(expected.len());
    writer.join().expect("writer thread").expect("write");
    assert!(got == expected, "SET/GET pipeline replies differ");
    // The same through the redis crate: binary-safe keys and values.
    let mut con = srv.client();
    let key = b"\xff\x00key";
    let val = b"\x00\r\n\xfe";
    let _: () = redis::cmd("SET")
        .arg(&key[..])
        .arg(&val[..])
        .query(&mut con)
        .expect("SET");
    let back: Vec<u8> = redis::cmd("GET")
        .arg(&key[..])
        .query(&mut con)
        .expect("GET");
    assert_eq!(back, val);
}
