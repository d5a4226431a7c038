//! Event-loop edge cases behind the read path's syscall savings: the loop
//! stops reading after a short read unless the event also reported a
//! hang-up, so a FIN that arrives with (or right after) the data must still
//! be seen, and nothing may stay unread when a request is split across reads.

// Test code: a panic is how a test fails.
#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};

use common::{Server, encode};

/// Request and FIN in one go, many times and from many sockets at once: every
/// client gets its reply, then EOF, and the server frees every slot.
#[test]
fn request_then_fin_is_answered_and_closed() {
    let srv = Server::start(&[]);
    for round in 0..20 {
        let socks: Vec<TcpStream> = (0..25)
            .map(|_| {
                let mut s = TcpStream::connect(srv.addr()).unwrap();
                s.set_read_timeout(Some(common::IO_DEADLINE)).unwrap();
                s.write_all(b"*1\r\n$4\r\nPING\r\nPING\r\n").unwrap();
                s.shutdown(Shutdown::Write).unwrap();
                s
            })
            .collect();
        for mut s in socks {
            let mut got = Vec::new();
            s.read_to_end(&mut got).unwrap();
            assert_eq!(got, b"+PONG\r\n+PONG\r\n", "round {round}");
        }
    }
    let mut c = srv.raw();
    let freed = common::wait_until(common::IO_DEADLINE, || {
        common::connected_clients(&mut c) == 1
    });
    assert!(freed, "half-closed clients were not freed");
}

/// A pipeline written in pieces that each end mid-request: each piece is a
/// short read, and the rest of the request arrives as a new edge.
#[test]
fn requests_split_across_short_reads() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    let mut pipeline = Vec::new();
    for i in 0..300 {
        pipeline.extend_from_slice(&encode(&[b"ECHO", format!("v{i}").as_bytes()]));
    }
    for chunk in pipeline.chunks(7) {
        c.send(chunk);
    }
    for i in 0..300 {
        let v = format!("v{i}");
        let want = format!("${}\r\n{v}\r\n", v.len());
        assert_eq!(c.read_reply(), want.as_bytes());
    }
}
