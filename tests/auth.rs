//! AUTH, HELLO ... AUTH, requirepass at runtime, RESET, protected mode and
//! rename-command against the real binary. Error texts were checked byte
//! for byte against redis-server 7.0.15; the protected-mode text is Redis
//! 7.2's (7.0 has a typo, "Setup a an authentication password").

// Test code: a panic is how a test fails.
#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::net::IpAddr;
use std::time::Duration;

use common::{IO_DEADLINE, RawConn, Server, field, free_port, run_with_deadline, text};

const NOAUTH: &[u8] = b"-NOAUTH Authentication required.\r\n";
const WRONGPASS: &[u8] = b"-WRONGPASS invalid username-password pair or user is disabled.\r\n";

#[test]
fn auth_without_a_password_configured() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    c.send(b"AUTH foo\r\n");
    c.expect(b"-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n");
    // The default user has nopass: any password works for it, not for others.
    c.send(b"AUTH default foo\r\nAUTH bob foo\r\nAUTH a b c\r\nAUTH\r\n");
    c.expect(b"+OK\r\n");
    c.expect(WRONGPASS);
    c.expect(b"-ERR syntax error\r\n");
    c.expect(b"-ERR wrong number of arguments for 'auth' command\r\n");
    c.send(b"HELLO 3 AUTH bob x\r\n");
    c.expect(WRONGPASS);
    let hello = c.cmd(&[b"HELLO", b"3", b"AUTH", b"default", b"whatever"]);
    assert!(hello.starts_with(b"%7\r\n"), "{}", common::show(&hello));
}

/// A server with `requirepass` set. The harness's readiness probe PINGs
/// without AUTH, so the password is set once the server is up.
fn start_with_password(pass: &str) -> Server {
    let srv = Server::start(&[]);
    let mut admin = srv.raw();
    admin.send_cmd(&[b"CONFIG", b"SET", b"requirepass", pass.as_bytes()]);
    admin.expect(b"+OK\r\n");
    srv
}

/// `--requirepass` on the command line (spawned by hand: the harness's
/// readiness probe cannot AUTH).
#[test]
fn requirepass_from_the_command_line() {
    let port = free_port();
    let dir = common::temp_dir("auth");
    let mut child = common::server_command(port, &dir)
        .args(["--requirepass", "cli-pass"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let addr = format!("127.0.0.1:{port}");
    let up = common::wait_until(IO_DEADLINE, || std::net::TcpStream::connect(&addr).is_ok());
    let result = std::panic::catch_unwind(|| {
        assert!(up, "server did not start");
        let mut c = RawConn::connect(&addr);
        c.send(b"PING\r\nAUTH cli-pass\r\nPING\r\n");
        c.expect(NOAUTH);
        c.expect(b"+OK\r\n+PONG\r\n");
    });
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}

#[test]
fn requirepass_gates_commands() {
    let srv = start_with_password("s3cret");
    let mut c = srv.raw();
    // Unknown commands and arity errors come before the auth check (7.0).
    c.send(b"PING\r\nFOO\r\nECHO\r\nCLIENT ID\r\n");
    c.expect(NOAUTH);
    c.expect(b"-ERR unknown command 'FOO', with args beginning with: \r\n");
    c.expect(b"-ERR wrong number of arguments for 'echo' command\r\n");
    c.expect(NOAUTH);
    c.send(b"AUTH x\r\nAUTH default x\r\nHELLO\r\nHELLO 3\r\nHELLO 2 AUTH default x\r\n");
    c.expect(WRONGPASS);
    c.expect(WRONGPASS);
    let hello_noauth = b"-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time\r\n";
    c.expect(hello_noauth);
    c.expect(hello_noauth);
    c.expect(WRONGPASS);
    // Protocol errors in HELLO come first.
    c.send(b"HELLO 4 AUTH default s3cret\r\nHELLO x\r\n");
    c.expect(b"-NOPROTO unsupported protocol version\r\n");
    c.expect(b"-ERR Protocol version is not an integer or out of range\r\n");
    // MULTI and EXEC are refused too; a refused EXEC is an EXECABORT.
    c.send(b"MULTI\r\nPING\r\nEXEC\r\n");
    c.expect(NOAUTH);
    c.expect(NOAUTH);
    c.expect(b"-EXECABORT Transaction discarded because of: NOAUTH Authentication required.\r\n");
    c.send(b"AUTH s3cret\r\nPING\r\nAUTH wrong\r\nPING\r\n");
    // A failed AUTH does not log an authenticated client out.
    c.expect(b"+OK\r\n+PONG\r\n");
    c.expect(WRONGPASS);
    c.expect(b"+PONG\r\n");
    // RESET logs out when a password is set.
    c.send(b"RESET\r\nPING\r\nAUTH default s3cret\r\nPING\r\n");
    c.expect(b"+RESET\r\n");
    c.expect(NOAUTH);
    c.expect(b"+OK\r\n+PONG\r\n");
    // QUIT needs no auth.
    let mut q = srv.raw();
    q.send(b"QUIT\r\n");
    q.expect(b"+OK\r\n");
    q.expect_closed();
}

#[test]
fn hello_auth_and_setname_in_one_go() {
    let srv = start_with_password("pw");
    let mut c = srv.raw();
    // The client name is checked only after authentication succeeds.
    c.send_cmd(&[
        b"HELLO", b"2", b"AUTH", b"default", b"nope", b"SETNAME", b"a b",
    ]);
    c.expect(WRONGPASS);
    c.send_cmd(&[
        b"HELLO", b"2", b"AUTH", b"default", b"pw", b"SETNAME", b"a b",
    ]);
    c.expect(b"-ERR Client names cannot contain spaces, newlines or special characters.\r\n");
    // ...but that HELLO did authenticate.
    c.send(b"PING\r\n");
    c.expect(b"+PONG\r\n");
    let hello = c.cmd(&[
        b"HELLO", b"3", b"AUTH", b"default", b"pw", b"SETNAME", b"me",
    ]);
    assert!(hello.starts_with(b"%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n"));
    assert!(common::contains(&hello, b"$5\r\nproto\r\n:3\r\n"));
    c.send(b"CLIENT GETNAME\r\n");
    c.expect(b"$2\r\nme\r\n");
}

/// CONFIG SET requirepass: connections that were open stay authenticated
/// (Redis's default-user semantics); new ones must AUTH; clearing it opens
/// the door again.
#[test]
fn requirepass_at_runtime() {
    let srv = Server::start(&[]);
    let mut admin = srv.raw();
    admin.send(b"CONFIG SET requirepass abc\r\n");
    admin.expect(b"+OK\r\n");
    admin.send(b"PING\r\n");
    admin.expect(b"+PONG\r\n");
    let mut newcomer = srv.raw();
    newcomer.send(b"PING\r\n");
    newcomer.expect(NOAUTH);
    // Unauthenticated clients may not read the password back.
    newcomer.send(b"CONFIG GET requirepass\r\n");
    newcomer.expect(NOAUTH);
    let got = text(&admin.cmd(&[b"CONFIG", b"GET", b"requirepass"]));
    assert!(got.contains("abc"), "{got}");
    admin.send(b"CONFIG SET requirepass \"\"\r\n");
    admin.expect(b"+OK\r\n");
    newcomer.send(b"PING\r\n");
    newcomer.expect(b"+PONG\r\n");
}

/// The `redis` crate with a password and a db in the URL, RESP2 and RESP3.
#[test]
fn redis_crate_url_with_password_and_db() {
    let srv = start_with_password("s3cret");
    let port = srv.port();
    for url in [
        format!("redis://:s3cret@127.0.0.1:{port}/2"),
        format!("redis://default:s3cret@127.0.0.1:{port}/2?protocol=resp3"),
    ] {
        let client = redis::Client::open(url.as_str()).unwrap();
        let mut con = client.get_connection_with_timeout(IO_DEADLINE).unwrap();
        let info: String = redis::cmd("CLIENT").arg("INFO").query(&mut con).unwrap();
        assert_eq!(field(&info, "db"), "2", "{url}: {info}");
        let pong: String = redis::cmd("PING").query(&mut con).unwrap();
        assert_eq!(pong, "PONG");
    }
    let bad = redis::Client::open(format!("redis://:wrong@127.0.0.1:{port}/"))
        .unwrap()
        .get_connection_with_timeout(IO_DEADLINE);
    let err = bad.err().expect("wrong password must fail");
    assert_eq!(err.kind(), redis::ErrorKind::AuthenticationFailed, "{err}");
    let mut none = redis::Client::open(format!("redis://127.0.0.1:{port}/"))
        .unwrap()
        .get_connection_with_timeout(IO_DEADLINE)
        .unwrap();
    let err = redis::cmd("PING").query::<String>(&mut none).unwrap_err();
    assert_eq!(err.code(), Some("NOAUTH"), "{err}");
}

/// A local address that is not loopback (the route to a public address
/// picks it; no packet is sent), if the machine has one.
fn non_loopback_ip() -> Option<IpAddr> {
    let s = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    s.connect("192.0.2.1:9")
        .or_else(|_| s.connect("8.8.8.8:53"))
        .ok()?;
    let ip = s.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

const DENIED: &[u8] = b"-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Set up an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";

fn connect_from_outside(ip: IpAddr, port: u16) -> RawConn {
    RawConn::connect(&std::net::SocketAddr::new(ip, port).to_string())
}

#[test]
fn protected_mode_refuses_non_loopback_peers() {
    let Some(ip) = non_loopback_ip() else {
        eprintln!("skipped: no non-loopback address on this machine");
        return;
    };
    let srv = Server::start(&["--bind", "0.0.0.0"]);
    let mut outside = connect_from_outside(ip, srv.port());
    outside.expect(DENIED);
    outside.expect_closed();
    let mut local = srv.raw();
    let info = text(&local.cmd(&[b"INFO", b"stats"]));
    assert!(info.contains("rejected_connections:1\r\n"), "{info}");
    // Loopback is always served.
    local.send(b"PING\r\n");
    local.expect(b"+PONG\r\n");
    // With a password set, outsiders get in (and must AUTH).
    local.send(b"CONFIG SET requirepass pw\r\n");
    local.expect(b"+OK\r\n");
    let mut outside = connect_from_outside(ip, srv.port());
    outside.send(b"PING\r\n");
    outside.expect(NOAUTH);
    // protected-mode no: outsiders get in without a password too.
    local.send(b"CONFIG SET requirepass \"\"\r\n");
    local.expect(b"+OK\r\n");
    let srv2 = Server::start(&["--bind", "0.0.0.0", "--protected-mode", "no"]);
    let mut outside = connect_from_outside(ip, srv2.port());
    outside.send(b"PING\r\n");
    outside.expect(b"+PONG\r\n");
}

#[test]
fn rename_command_renames_and_disables() {
    let srv = Server::start(&[
        "--rename-command",
        "CONFIG",
        "b840fc02d524045429941cc15f59e41cb7be6c52",
        "--rename-command",
        "time",
        "",
    ]);
    let mut c = srv.raw();
    c.send(b"CONFIG GET port\r\nTIME\r\n");
    c.expect(b"-ERR unknown command 'CONFIG', with args beginning with: 'GET' 'port' \r\n");
    c.expect(b"-ERR unknown command 'TIME', with args beginning with: \r\n");
    let r = c.cmd(&[b"b840fc02d524045429941cc15f59e41cb7be6c52", b"GET", b"port"]);
    assert!(
        common::contains(&r, srv.port().to_string().as_bytes()),
        "{}",
        common::show(&r)
    );
    // COMMAND no longer lists the disabled command.
    let list = text(&c.cmd(&[b"COMMAND", b"LIST"]));
    assert!(!list.contains("\r\ntime\r\n"), "{list}");
    assert!(list.contains("\r\nconfig\r\n"), "{list}");
}

#[test]
fn bad_rename_command_fails_startup() {
    for (args, msg) in [
        (["nosuch", "x"], "No such command in rename-command"),
        (["ping", "echo"], "Target command name already exists"),
    ] {
        let dir = common::temp_dir("rename");
        let (status, out, err) = run_with_deadline(
            common::server_command(free_port(), &dir).args(["--rename-command", args[0], args[1]]),
            Duration::from_secs(10),
        );
        let _ = std::fs::remove_dir_all(&dir);
        assert!(!status.success(), "started with rename-command {args:?}");
        assert!(
            out.contains(msg) || err.contains(msg),
            "{args:?}: stdout {out}\nstderr {err}"
        );
    }
}
