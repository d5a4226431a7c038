//! What the end-to-end benchmarks (`hitratio`, `growth`) share: a small pipelining RESP
//! client, and starting a server (InMemDB's release binary or redis-server) on a free port,
//! killed on drop. Included with `#[path]`; not a bench target itself.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Appends one command as a RESP multibulk request.
pub fn push_cmd(out: &mut Vec<u8>, args: &[&[u8]]) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

/// A pipelining RESP client with just enough parsing for status, error, integer and bulk
/// replies.
pub struct Client {
    pub r: BufReader<TcpStream>,
    pub w: BufWriter<TcpStream>,
}

pub enum Reply {
    Nil,
    Bulk(Vec<u8>),
    /// Any status reply (`+OK`, `+PONG`).
    Ok,
    Int(i64),
    Err(String),
}

impl Client {
    pub fn connect(port: u16) -> Client {
        let s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        s.set_nodelay(true).expect("nodelay");
        Client {
            r: BufReader::with_capacity(1 << 20, s.try_clone().expect("clone")),
            w: BufWriter::with_capacity(1 << 20, s),
        }
    }

    pub fn reply(&mut self) -> Reply {
        let mut line = Vec::new();
        self.r.read_until(b'\n', &mut line).expect("read");
        let body = std::str::from_utf8(&line[1..line.len() - 2]).expect("utf8");
        match line[0] {
            b'+' => Reply::Ok,
            b'-' => Reply::Err(body.to_string()),
            b':' => Reply::Int(body.parse().expect("int")),
            b'$' => {
                let n: i64 = body.parse().expect("len");
                if n < 0 {
                    return Reply::Nil;
                }
                let mut v = vec![0; n as usize + 2];
                self.r.read_exact(&mut v).expect("bulk");
                v.truncate(n as usize);
                Reply::Bulk(v)
            }
            other => panic!("unexpected reply type {}", other as char),
        }
    }

    /// Sends one command and reads its reply.
    pub fn cmd(&mut self, args: &[&[u8]]) -> Reply {
        let mut out = Vec::new();
        push_cmd(&mut out, args);
        self.w.write_all(&out).expect("write");
        self.w.flush().expect("flush");
        self.reply()
    }

    /// A numeric field of `INFO`.
    pub fn info_u64(&mut self, field: &str) -> u64 {
        let Reply::Bulk(b) = self.cmd(&[b"INFO"]) else {
            panic!("INFO failed")
        };
        String::from_utf8_lossy(&b)
            .lines()
            .find_map(|l| {
                l.strip_prefix(&format!("{field}:"))
                    .map(|v| v.trim().parse())
            })
            .expect("field")
            .expect("number")
    }

    pub fn dbsize(&mut self) -> u64 {
        match self.cmd(&[b"DBSIZE"]) {
            Reply::Int(n) => n as u64,
            _ => panic!("DBSIZE"),
        }
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// A server process killed on drop.
pub struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The InMemDB binary this bench was built with.
pub const INMEMDB: &str = env!("CARGO_BIN_EXE_inmemdb");

/// Starts `program` (InMemDB or redis-server) on a free port without persistence, with
/// `extra` arguments, and waits until it answers PING. None if it cannot be started.
pub fn start_server(program: &str, extra: &[&str]) -> Option<(Proc, u16)> {
    let port = free_port();
    let child = Command::new(program)
        .args([
            "--port",
            &port.to_string(),
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let p = Proc(child);
    let end = Instant::now() + Duration::from_secs(10);
    while Instant::now() < end {
        if TcpStream::connect(("127.0.0.1", port)).is_ok()
            && matches!(Client::connect(port).cmd(&[b"PING"]), Reply::Ok)
        {
            return Some((p, port));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("{program} on port {port} did not start");
}
