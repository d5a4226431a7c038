//! Connection and server commands against the real binary: CLIENT, SELECT,
//! QUIT/RESET, CLUSTER, COMMAND, CONFIG GET, INFO; connection limits and
//! idle timeouts; many concurrent clients; SIGTERM and SHUTDOWN; and the
//! real redis-cli / redis-benchmark.
//!
//! Expected error texts were checked against redis-server 7.0 (CLIENT SETINFO
//! and NO-TOUCH are 7.2 commands).

// Test code: a panic is how a test fails.
#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::collections::HashMap;
use std::process::Command;
use std::time::Duration;

use common::{
    IO_DEADLINE, RawConn, Server, bulk, bulk_payload, client_id, connected_clients, info_field,
    info_value, text, wait_until,
};

/// Payload of a RESP2 bulk reply as text.
fn bulk_text(r: &[u8]) -> String {
    text(&bulk_payload(r))
}

/// `key=value` fields of one CLIENT LIST / CLIENT INFO line.
fn fields(line: &str) -> HashMap<String, String> {
    line.split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn client_setname_getname() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    let bad = b"-ERR Client names cannot contain spaces, newlines or special characters.\r\n";
    c.send_cmd(&[b"CLIENT", b"SETNAME", b"a b"]);
    c.expect(bad);
    c.send_cmd(&[b"CLIENT", b"SETNAME", b"a\nb"]);
    c.expect(bad);
    c.send_cmd(&[b"CLIENT", b"GETNAME"]);
    c.expect(b"$-1\r\n");
    c.send_cmd(&[b"CLIENT", b"SETNAME", b"worker-1"]);
    c.expect(b"+OK\r\n");
    c.send_cmd(&[b"client", b"getname"]);
    c.expect(&bulk(b"worker-1"));
    // An empty name removes the name.
    c.send_cmd(&[b"CLIENT", b"SETNAME", b""]);
    c.expect(b"+OK\r\n");
    c.send_cmd(&[b"CLIENT", b"GETNAME"]);
    c.expect(b"$-1\r\n");
    c.send_cmd(&[b"CLIENT", b"SETNAME"]);
    c.expect(b"-ERR wrong number of arguments for 'client|setname' command\r\n");
}

#[test]
fn client_setinfo() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    c.send_cmd(&[b"CLIENT", b"SETINFO", b"LIB-NAME", b"x"]);
    c.expect(b"+OK\r\n");
    c.send_cmd(&[b"CLIENT", b"SETINFO", b"lib-ver", b"1.2.3"]);
    c.expect(b"+OK\r\n");
    let line = bulk_text(&c.cmd(&[b"CLIENT", b"INFO"]));
    let f = fields(&line);
    assert_eq!(f.get("lib-name").map(String::as_str), Some("x"), "{line}");
    assert_eq!(
        f.get("lib-ver").map(String::as_str),
        Some("1.2.3"),
        "{line}"
    );
}

#[test]
fn client_id_info_and_list() {
    let srv = Server::start(&[]);
    let mut a = srv.raw();
    let mut b = srv.raw();
    let id_a = client_id(&mut a);
    let id_b = client_id(&mut b);
    assert!(id_a > 0 && id_b > id_a, "ids {id_a} {id_b}");
    b.send_cmd(&[b"CLIENT", b"SETNAME", b"bee"]);
    b.expect(b"+OK\r\n");

    let info = bulk_text(&a.cmd(&[b"CLIENT", b"INFO"]));
    assert_eq!(info.lines().count(), 1, "{info:?}");
    assert!(info.ends_with('\n'), "{info:?}");
    let f = fields(&info);
    assert_eq!(f["id"], id_a.to_string());
    assert_eq!(f["addr"], a.local_addr());
    assert_eq!(f["laddr"], srv.addr());
    assert_eq!(f["name"], "");
    assert_eq!(f["db"], "0");
    assert_eq!(f["cmd"], "client|info");
    assert_eq!(f["resp"], "2");

    let list = bulk_text(&a.cmd(&[b"CLIENT", b"LIST"]));
    let lines: Vec<HashMap<String, String>> = list.lines().map(fields).collect();
    let la = lines
        .iter()
        .find(|f| f["id"] == id_a.to_string())
        .unwrap_or_else(|| panic!("caller missing from CLIENT LIST:\n{list}"));
    assert_eq!(la["cmd"], "client|list");
    let lb = lines
        .iter()
        .find(|f| f["id"] == id_b.to_string())
        .unwrap_or_else(|| panic!("other client missing from CLIENT LIST:\n{list}"));
    assert_eq!(lb["name"], "bee");
    assert_eq!(lb["addr"], b.local_addr());
    assert_eq!(lb["cmd"], "client|setname");

    let only_b = bulk_text(&a.cmd(&[b"CLIENT", b"LIST", b"ID", id_b.to_string().as_bytes()]));
    assert_eq!(only_b.lines().count(), 1, "{only_b}");
    assert_eq!(fields(&only_b)["id"], id_b.to_string());
    let normal = bulk_text(&a.cmd(&[b"CLIENT", b"LIST", b"TYPE", b"normal"]));
    assert!(normal.lines().count() >= 2, "{normal}");
    a.send_cmd(&[b"CLIENT", b"LIST", b"TYPE", b"foo"]);
    a.expect(b"-ERR Unknown client type 'foo'\r\n");
    a.send_cmd(&[b"CLIENT", b"LIST", b"ID", b"abc"]);
    a.expect(b"-ERR Invalid client ID\r\n");
}

#[test]
fn client_kill() {
    let srv = Server::start(&[]);
    let mut admin = srv.raw();
    let mut v1 = srv.raw();
    let mut v2 = srv.raw();
    let id1 = client_id(&mut v1);
    client_id(&mut v2);

    // New form by ID: number of clients killed.
    admin.send_cmd(&[b"CLIENT", b"KILL", b"ID", id1.to_string().as_bytes()]);
    admin.expect(b":1\r\n");
    v1.expect_closed();
    // Old form by address: +OK.
    let addr2 = v2.local_addr();
    admin.send_cmd(&[b"CLIENT", b"KILL", addr2.as_bytes()]);
    admin.expect(b"+OK\r\n");
    v2.expect_closed();

    admin.send_cmd(&[b"CLIENT", b"KILL", b"1.2.3.4:5"]);
    admin.expect(b"-ERR No such client\r\n");
    admin.send_cmd(&[b"CLIENT", b"KILL", b"ID", b"99999"]);
    admin.expect(b":0\r\n");
    admin.send_cmd(&[b"CLIENT", b"KILL", b"ID", b"0"]);
    admin.expect(b"-ERR client-id should be greater than 0\r\n");
    admin.send_cmd(&[b"CLIENT", b"KILL", b"ADDR", b"1.2.3.4:5"]);
    admin.expect(b":0\r\n");
    admin.send_cmd(&[b"CLIENT", b"KILL", b"FOO", b"bar"]);
    admin.expect(b"-ERR syntax error\r\n");

    // SKIPME defaults to yes: the caller survives its own filter...
    let me = admin.local_addr();
    admin.send_cmd(&[b"CLIENT", b"KILL", b"ADDR", me.as_bytes()]);
    admin.expect(b":0\r\n");
    admin.send(b"PING\r\n");
    admin.expect(b"+PONG\r\n");
    // ...unless told otherwise; then it gets the reply, then EOF.
    admin.send_cmd(&[b"CLIENT", b"KILL", b"ADDR", me.as_bytes(), b"SKIPME", b"no"]);
    admin.expect(b":1\r\n");
    admin.expect_closed();

    let mut c = srv.raw();
    c.send(b"PING\r\n");
    c.expect(b"+PONG\r\n");
}

#[test]
fn client_no_evict_and_help() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    c.send(b"CLIENT NO-EVICT on\r\n");
    c.expect(b"+OK\r\n");
    c.send(b"CLIENT NO-EVICT x\r\n");
    c.expect(b"-ERR syntax error\r\n");
    c.send(b"CLIENT NO-TOUCH on\r\n");
    c.expect(b"+OK\r\n");
    let help = c.cmd(&[b"CLIENT", b"HELP"]);
    assert!(help.starts_with(b"*"), "{}", common::show(&help));
    assert!(common::contains(&help, b"SETNA"), "{}", common::show(&help));
}

#[test]
fn select_database_range() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    c.send(b"SELECT 16\r\n");
    c.expect(b"-ERR DB index is out of range\r\n");
    c.send(b"SELECT -1\r\n");
    c.expect(b"-ERR DB index is out of range\r\n");
    c.send(b"SELECT x\r\n");
    c.expect(b"-ERR value is not an integer or out of range\r\n");
    c.send(b"SELECT 15\r\n");
    c.expect(b"+OK\r\n");
    let info = bulk_text(&c.cmd(&[b"CLIENT", b"INFO"]));
    assert_eq!(fields(&info)["db"], "15", "{info}");
}

#[test]
fn quit_replies_then_closes() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    // Nothing after QUIT runs.
    c.send(b"QUIT\r\nPING\r\n");
    c.expect(b"+OK\r\n");
    c.expect_closed();
}

#[test]
fn reset_restores_connection_defaults() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    c.send(b"SELECT 3\r\nCLIENT SETNAME foo\r\n");
    c.expect(b"+OK\r\n+OK\r\n");
    c.send(b"HELLO 3\r\n");
    let _ = c.read_reply();
    c.send(b"RESET\r\n");
    c.expect(b"+RESET\r\n");
    c.send(b"CLIENT GETNAME\r\n");
    c.expect(b"$-1\r\n");
    let f = fields(&bulk_text(&c.cmd(&[b"CLIENT", b"INFO"])));
    assert_eq!(f["db"], "0");
    assert_eq!(f["resp"], "2");
    assert_eq!(f["name"], "");
}

#[test]
fn cluster_is_disabled() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    c.send(b"CLUSTER INFO\r\n");
    c.expect(b"-ERR This instance has cluster support disabled\r\n");
    c.send(b"CLUSTER NODES\r\n");
    c.expect(b"-ERR This instance has cluster support disabled\r\n");
    c.send(b"CLUSTER\r\n");
    c.expect(b"-ERR wrong number of arguments for 'cluster' command\r\n");
}

#[test]
fn time_is_unix_seconds_and_micros() {
    let srv = Server::start(&[]);
    let mut con = srv.client();
    let (secs, micros): (u64, u64) = redis::cmd("TIME").query(&mut con).expect("TIME");
    let now = common::unix_ms() / 1000;
    assert!(secs.abs_diff(now) <= 5, "TIME {secs} vs {now}");
    assert!(micros < 1_000_000);
}

#[test]
fn command_count_info_docs_shapes() {
    use redis::Value;
    let srv = Server::start(&[]);
    let mut con = srv.client();
    let count: i64 = redis::cmd("COMMAND")
        .arg("COUNT")
        .query(&mut con)
        .expect("COUNT");
    let all: Vec<Value> = redis::cmd("COMMAND").query(&mut con).expect("COMMAND");
    assert!(count > 0);
    assert_eq!(
        all.len() as i64,
        count,
        "COMMAND and COMMAND COUNT disagree"
    );
    let names: Vec<String> = redis::cmd("COMMAND")
        .arg("LIST")
        .query(&mut con)
        .expect("LIST");
    for n in [
        "ping", "echo", "client", "config", "command", "info", "hello",
    ] {
        assert!(
            names.iter().any(|x| x == n),
            "{n} missing from COMMAND LIST"
        );
    }

    // COMMAND INFO: one 10-element array per name, nil for unknown names.
    let info: Vec<Value> = redis::cmd("COMMAND")
        .arg("INFO")
        .arg("echo")
        .arg("nosuchcommand")
        .query(&mut con)
        .expect("INFO");
    assert_eq!(info.len(), 2);
    assert_eq!(info[1], Value::Nil);
    let Value::Array(echo) = &info[0] else {
        panic!("COMMAND INFO echo: {:?}", info[0]);
    };
    assert_eq!(echo.len(), 10, "{echo:?}");
    assert_eq!(echo[0], Value::BulkString(b"echo".to_vec()));
    assert_eq!(echo[1], Value::Int(2));
    let Value::Array(flags) = &echo[2] else {
        panic!("flags: {:?}", echo[2]);
    };
    assert!(
        flags.contains(&Value::SimpleString("fast".into())),
        "{flags:?}"
    );
    assert_eq!(echo[3..6], [Value::Int(0), Value::Int(0), Value::Int(0)]);
    // Subcommands of a container are listed as `container|sub`.
    let client: Vec<Value> = redis::cmd("COMMAND")
        .arg("INFO")
        .arg("client")
        .query(&mut con)
        .expect("INFO client");
    let Value::Array(client) = &client[0] else {
        panic!("{client:?}");
    };
    let Value::Array(subs) = &client[9] else {
        panic!("{:?}", client[9]);
    };
    assert!(
        subs.iter().any(|s| matches!(s, Value::Array(v)
            if v[0] == Value::BulkString(b"client|setname".to_vec()))),
        "{subs:?}"
    );

    // COMMAND DOCS: a flat name/map list in RESP2, unknown names skipped.
    let docs: Vec<Value> = redis::cmd("COMMAND")
        .arg("DOCS")
        .arg("echo")
        .arg("nosuchcommand")
        .query(&mut con)
        .expect("DOCS");
    assert_eq!(docs.len(), 2, "{docs:?}");
    assert_eq!(docs[0], Value::BulkString(b"echo".to_vec()));
    let Value::Array(doc) = &docs[1] else {
        panic!("{:?}", docs[1]);
    };
    let keys: Vec<&Value> = doc.iter().step_by(2).collect();
    for k in ["summary", "since", "group", "complexity"] {
        assert!(
            keys.contains(&&Value::BulkString(k.as_bytes().to_vec())),
            "{k} missing in {doc:?}"
        );
    }
    let mut raw = srv.raw();
    raw.send(b"COMMAND DOCS nosuchcommand\r\n");
    raw.expect(b"*0\r\n");
    raw.send(b"HELLO 3\r\n");
    let _ = raw.read_reply();
    let d = raw.cmd(&[b"COMMAND", b"DOCS", b"echo"]);
    assert!(
        d.starts_with(b"%1\r\n$4\r\necho\r\n%"),
        "{}",
        common::show(&d)
    );
}

/// An unknown name in COMMAND INFO is a null bulk (`$-1`), as in Redis.
#[test]
fn command_info_unknown_name_is_null_bulk() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    c.send(b"COMMAND INFO nosuchcommand\r\n");
    c.expect(b"*1\r\n$-1\r\n");
}

/// COMMAND INFO echo matches Redis byte for byte, in RESP2 and RESP3.
#[test]
fn command_info_echo_matches_redis() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    c.send(b"COMMAND INFO echo\r\n");
    c.expect(
        b"*1\r\n*10\r\n$4\r\necho\r\n:2\r\n*3\r\n+loading\r\n+stale\r\n+fast\r\n\
          :0\r\n:0\r\n:0\r\n*2\r\n+@fast\r\n+@connection\r\n*0\r\n*0\r\n*0\r\n",
    );
    c.send(b"HELLO 3\r\n");
    let _ = c.read_reply();
    c.send(b"COMMAND INFO echo\r\n");
    c.expect(
        b"*1\r\n*10\r\n$4\r\necho\r\n:2\r\n~3\r\n+loading\r\n+stale\r\n+fast\r\n\
          :0\r\n:0\r\n:0\r\n~2\r\n+@fast\r\n+@connection\r\n~0\r\n~0\r\n~0\r\n",
    );
}

/// redis-benchmark's startup queries must answer as Redis does.
#[test]
fn config_get_save_and_appendonly() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    c.send(b"CONFIG GET appendonly\r\n");
    c.expect(b"*2\r\n$10\r\nappendonly\r\n$2\r\nno\r\n");
    let save = c.cmd(&[b"CONFIG", b"GET", b"save"]);
    assert!(
        save.starts_with(b"*2\r\n$4\r\nsave\r\n$"),
        "{}",
        common::show(&save)
    );
    c.send(b"CONFIG GET nosuchoption\r\n");
    c.expect(b"*0\r\n");
    c.send(b"CONFIG GET\r\n");
    c.expect(b"-ERR wrong number of arguments for 'config|get' command\r\n");
    let mut con = srv.client();
    let port: HashMap<String, String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("port")
        .query(&mut con)
        .expect("CONFIG GET port");
    assert_eq!(port.get("port"), Some(&srv.port().to_string()));
}

fn sections(info: &str) -> Vec<String> {
    info.lines()
        .filter_map(|l| l.strip_prefix("# "))
        .map(str::to_string)
        .collect()
}

#[test]
fn info_sections() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    let default = bulk_text(&c.cmd(&[b"INFO"]));
    let s = sections(&default);
    for want in [
        "Server",
        "Clients",
        "Memory",
        "Persistence",
        "Stats",
        "Replication",
        "CPU",
        "Keyspace",
    ] {
        assert!(s.iter().any(|x| x == want), "INFO lacks {want}: {s:?}");
    }
    assert!(!s.iter().any(|x| x == "Commandstats"), "{s:?}");
    assert_eq!(
        bulk_text(&c.cmd(&[b"INFO", b"default"]))
            .lines()
            .filter(|l| l.starts_with("# "))
            .count(),
        s.len()
    );

    for arg in [&b"all"[..], b"everything"] {
        let text = bulk_text(&c.cmd(&[b"INFO", arg]));
        let secs = sections(&text);
        assert!(secs.iter().any(|x| x == "Commandstats"), "{secs:?}");
        assert!(secs.len() > s.len(), "{secs:?}");
    }

    let two = bulk_text(&c.cmd(&[b"INFO", b"SERVER", b"clients"]));
    assert_eq!(sections(&two), ["Server", "Clients"]);
    assert!(two.contains("\r\n"), "INFO lines end in CRLF");

    let server = bulk_text(&c.cmd(&[b"INFO", b"server"]));
    assert_eq!(sections(&server), ["Server"]);
    assert!(info_value(&server, "redis_version").is_some(), "{server}");
    assert_eq!(
        info_value(&server, "inmemdb_version").as_deref(),
        Some(env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(
        info_value(&server, "process_id"),
        Some(srv.pid().to_string())
    );
    assert_eq!(
        info_value(&server, "tcp_port"),
        Some(srv.port().to_string())
    );

    c.send(b"INFO nosuchsection\r\n");
    c.expect(b"$0\r\n\r\n");
}

#[test]
fn maxclients_rejects_extra_connections() {
    let srv = Server::start(&["--maxclients", "2"]);
    let mut c1 = srv.raw();
    c1.send(b"PING\r\n");
    c1.expect(b"+PONG\r\n");
    // The harness's readiness probe may not be reaped yet; wait until c1 is
    // the only client so the count below is exact.
    assert!(
        wait_until(IO_DEADLINE, || connected_clients(&mut c1) == 1),
        "probe connection never went away"
    );
    let mut c2 = srv.raw();
    c2.send(b"PING\r\n");
    c2.expect(b"+PONG\r\n");
    let mut c3 = srv.raw();
    c3.expect(b"-ERR max number of clients reached\r\n");
    c3.expect_closed();
    // The two accepted clients are unaffected; a slot freed is reusable.
    c1.send(b"PING\r\n");
    c1.expect(b"+PONG\r\n");
    drop(c2);
    assert!(wait_until(IO_DEADLINE, || connected_clients(&mut c1) == 1));
    let mut c4 = srv.raw();
    c4.send(b"PING\r\n");
    c4.expect(b"+PONG\r\n");
    assert_eq!(info_field(&mut c1, "stats", "rejected_connections"), "1");
}

#[test]
fn timeout_closes_idle_clients() {
    let srv = Server::start(&["--timeout", "1"]);
    let mut idle = srv.raw();
    idle.send(b"PING\r\n");
    idle.expect(b"+PONG\r\n");
    // Closed after a bit more than 1 s of idleness; checked by cron at hz.
    idle.expect_closed_within(Duration::from_secs(10));
    let mut fresh = srv.raw();
    fresh.send(b"PING\r\n");
    fresh.expect(b"+PONG\r\n");
}

/// Raise our soft open-files limit so the test (and the server it spawns,
/// which inherits it) can hold `want` sockets.
fn raise_nofile_limit(want: u64) -> u64 {
    // SAFETY: getrlimit/setrlimit on a zeroed struct we own.
    unsafe {
        let mut lim: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return 0;
        }
        if lim.rlim_cur < want {
            lim.rlim_cur = want.min(lim.rlim_max);
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
            libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
        }
        lim.rlim_cur
    }
}

#[test]
fn thousand_concurrent_connections() {
    const N: usize = 1000;
    let limit = raise_nofile_limit(4096);
    assert!(
        limit >= (N as u64) + 200,
        "open-files limit {limit} too low for {N} connections"
    );
    let srv = Server::start(&[]);
    let mut conns: Vec<RawConn> = (0..N).map(|_| srv.raw()).collect();
    for (i, c) in conns.iter_mut().enumerate() {
        c.send_cmd(&[b"PING", i.to_string().as_bytes()]);
    }
    for (i, c) in conns.iter_mut().enumerate() {
        c.expect(&bulk(i.to_string().as_bytes()));
    }
    let mut probe = srv.raw();
    assert!(
        wait_until(IO_DEADLINE, || connected_clients(&mut probe)
            == N as i64 + 1),
        "server does not count {N} + 1 clients"
    );
    // All still usable.
    for c in conns.iter_mut() {
        c.send(b"PING\r\n");
    }
    for c in conns.iter_mut() {
        c.expect(b"+PONG\r\n");
    }
    drop(conns);
    assert!(
        wait_until(IO_DEADLINE, || connected_clients(&mut probe) == 1),
        "closed clients are not freed"
    );
}

#[test]
fn sigterm_exits_cleanly() {
    let mut srv = Server::start(&[]);
    let mut c = srv.raw();
    c.send(b"PING\r\n");
    c.expect(b"+PONG\r\n");
    let status = srv.stop();
    assert!(status.success(), "exit status {status}");
    c.expect_closed();
}

#[test]
fn shutdown_command_closes_and_exits() {
    let mut srv = Server::start(&[]);
    let mut bystander = srv.raw();
    bystander.send(b"PING\r\n");
    bystander.expect(b"+PONG\r\n");
    let mut c = srv.raw();
    c.send(b"SHUTDOWN ABORT\r\n");
    c.expect(b"-ERR No shutdown in progress.\r\n");
    c.send(b"SHUTDOWN foo\r\n");
    c.expect(b"-ERR syntax error\r\n");
    // A successful SHUTDOWN sends no reply.
    c.send(b"SHUTDOWN\r\n");
    c.expect_closed();
    let status = srv.wait_for_exit(IO_DEADLINE);
    assert!(status.success(), "exit status {status}");
    bystander.expect_closed();
}

#[test]
fn restart_keeps_port_and_dir() {
    let mut srv = Server::start(&[]);
    let (port, dir, pid) = (srv.port(), srv.dir().to_path_buf(), srv.pid());
    srv.restart();
    assert_eq!(srv.port(), port);
    assert_eq!(srv.dir(), dir);
    assert_ne!(srv.pid(), pid);
    let mut c = srv.raw();
    c.send(b"PING\r\n");
    c.expect(b"+PONG\r\n");
    srv.kill9();
    srv.restart();
    let mut con = srv.client();
    let pong: String = redis::cmd("PING").query(&mut con).expect("PING");
    assert_eq!(pong, "PONG");
}

#[test]
fn redis_cli_one_shot() {
    let Some(cli) = common::external_tool("redis-cli") else {
        return;
    };
    let srv = Server::start(&[]);
    let port = srv.port().to_string();
    let (st, out, err) = common::run_with_deadline(
        Command::new(&cli).args(["-p", &port, "ping"]),
        Duration::from_secs(30),
    );
    assert!(st.success(), "redis-cli ping: {st}\n{out}\n{err}");
    assert_eq!(out.trim_end(), "PONG", "stderr: {err}");
    let (st, out, err) = common::run_with_deadline(
        Command::new(&cli).args(["-p", &port, "echo", "hello world"]),
        Duration::from_secs(30),
    );
    assert!(st.success(), "{st}\n{out}\n{err}");
    assert_eq!(out.trim_end(), "hello world");
    // Not a tty: errors are printed without the "(error)" prefix.
    let (_, out, _) = common::run_with_deadline(
        Command::new(&cli).args(["-p", &port, "select", "16"]),
        Duration::from_secs(30),
    );
    assert_eq!(out.trim_end(), "ERR DB index is out of range");
}

#[test]
fn redis_benchmark_ping() {
    let Some(bench) = common::external_tool("redis-benchmark") else {
        return;
    };
    let srv = Server::start(&[]);
    let port = srv.port().to_string();
    let (st, out, err) = common::run_with_deadline(
        Command::new(&bench).args(["-p", &port, "-t", "ping", "-P", "16", "-q", "-n", "20000"]),
        Duration::from_secs(120),
    );
    assert!(
        st.success(),
        "redis-benchmark: {st}\nstdout:\n{out}\nstderr:\n{err}"
    );
    for test in ["PING_INLINE", "PING_MBULK"] {
        let line = out
            .split(['\r', '\n'])
            .rfind(|l| l.starts_with(test))
            .unwrap_or_else(|| panic!("no {test} result in:\n{out}\nstderr:\n{err}"));
        assert!(line.contains("requests per second"), "{line}");
    }
    assert!(
        !err.contains("WARNING") && !out.contains("WARNING"),
        "redis-benchmark warned:\n{out}\n{err}"
    );
    // The server is healthy afterwards.
    let mut c = srv.raw();
    c.send(b"PING\r\n");
    c.expect(b"+PONG\r\n");
}

// ---- Tests that need the keyspace (SET/GET). ----

#[test]
fn select_isolates_databases() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    c.send(b"SET k zero\r\nSELECT 1\r\nGET k\r\nSET k one\r\nSELECT 0\r\nGET k\r\n");
    c.expect(b"+OK\r\n+OK\r\n$-1\r\n+OK\r\n+OK\r\n$4\r\nzero\r\n");
    // A new connection starts in db 0; RESET goes back to db 0.
    let mut d = srv.raw();
    d.send(b"GET k\r\nSELECT 1\r\nRESET\r\nGET k\r\n");
    d.expect(b"$4\r\nzero\r\n+OK\r\n+RESET\r\n$4\r\nzero\r\n");
}

#[test]
fn redis_benchmark_set_get() {
    let Some(bench) = common::external_tool("redis-benchmark") else {
        return;
    };
    let srv = Server::start(&[]);
    let port = srv.port().to_string();
    let (st, out, err) = common::run_with_deadline(
        Command::new(&bench).args([
            "-p", &port, "-t", "set,get", "-P", "16", "-q", "-n", "20000", "-r", "1000",
        ]),
        Duration::from_secs(120),
    );
    assert!(st.success(), "redis-benchmark: {st}\n{out}\n{err}");
    for test in ["SET", "GET"] {
        assert!(
            out.split(['\r', '\n'])
                .any(|l| l.starts_with(&format!("{test}: ")) && l.contains("requests per second")),
            "no {test} result in:\n{out}\n{err}"
        );
    }
    let mut con = srv.client();
    let n: i64 = redis::cmd("DBSIZE").query(&mut con).expect("DBSIZE");
    assert!(n > 0 && n <= 1000, "DBSIZE {n}");
}
