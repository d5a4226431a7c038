//! Server bugs the fuzz targets found, each replayed against the real
//! binary. Expected bytes are redis-server 7.0's, checked with raw sockets.

// Test code: a panic is how a test fails.
#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::Server;

/// Cap a running server's address space so that a runaway allocation makes
/// it abort (and the test fail) instead of eating the machine's memory.
fn cap_address_space(pid: u32, bytes: u64) {
    let limit = libc::rlimit {
        rlim_cur: bytes,
        rlim_max: bytes,
    };
    // SAFETY: prlimit only reads `limit`; the old-limit pointer may be null.
    let rc = unsafe {
        libc::prlimit(
            pid as libc::pid_t,
            libc::RLIMIT_AS,
            &limit,
            std::ptr::null_mut(),
        )
    };
    assert_eq!(rc, 0, "prlimit: {}", std::io::Error::last_os_error());
}

/// Found by `resp_parser` and `dispatch` (input `"\0\r\n"`). Redis looks for
/// an inline request's newline with `strchr`, which stops at a NUL byte: a
/// NUL before the newline means the request is never complete, and once 64
/// KiB are buffered the client gets `too big inline request` and is closed.
/// InMemDB used to pass the line to `resp::parser::split_args`, which
/// treated NUL as a word separator without skipping it and pushed empty
/// arguments forever: one `PING \0\r\n` hung the server and grew its memory
/// without bound. Now the newline search stops at NUL, as Redis's does.
#[test]
fn inline_request_with_a_nul_byte_never_completes() {
    let srv = Server::start(&[]);
    cap_address_space(srv.pid(), 2 << 30);
    for line in [
        &b"PING \0\r\n"[..],
        b"\0\r\n",
        b"ECHO a\0b\r\n",
        b"ECHO \"a\0b\"\r\n",
    ] {
        // Nothing answers the NUL line, nor the PING hidden behind it,
        // until the pending request passes 64 KiB without a newline. Send
        // exactly one byte more, so the server has read everything when it
        // closes (unread input would turn its FIN into a RST).
        let mut req = line.to_vec();
        req.extend_from_slice(b"PING\r\n");
        req.resize(64 * 1024 + 1, b'x');
        let mut c = srv.raw();
        c.send(&req);
        c.expect(b"-ERR Protocol error: too big inline request\r\n");
        c.expect_closed();
    }
    let mut c = srv.raw();
    c.send(b"PING\r\n");
    c.expect(b"+PONG\r\n");
}
