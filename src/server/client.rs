//! One connected client: its socket, query buffer and parser state
//! (`Conn`), and everything commands may read or change (`ClientState`).
//!
//! The split exists for the borrow checker and mirrors what dispatch needs:
//! argv borrows the query buffer (in `Conn`) while the handler mutates the
//! reply buffer and flags (in `ClientState`). Follows redis networking.c's
//! `client` struct, reduced to what we use.

use std::io::{self, Read, Write};
use std::net::SocketAddr;

use mio::Token;
use mio::net::{TcpStream, UnixStream};

use crate::resp::{Reply, RequestParser};

/// Bytes we try to read per `read` call (Redis's PROTO_IOBUF_LEN).
pub const READ_CHUNK: usize = 16 * 1024;

pub enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Stream {
    pub fn source(&mut self) -> &mut dyn mio::event::Source {
        match self {
            Stream::Tcp(s) => s,
            Stream::Unix(s) => s,
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.read(buf),
            Stream::Unix(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.write(buf),
            Stream::Unix(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Query buffer: `data[start..end]` holds received, not yet consumed bytes.
/// `data` stays initialised up to its length so reads need no zeroing.
#[derive(Default)]
pub struct QueryBuf {
    pub data: Vec<u8>,
    pub start: usize,
    pub end: usize,
}

impl QueryBuf {
    pub fn pending(&self) -> &[u8] {
        &self.data[self.start..self.end]
    }

    pub fn len(&self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// Make room for at least `want` more bytes at the end, compacting the
    /// consumed prefix away first (one memmove of the partial request).
    pub fn reserve(&mut self, want: usize) {
        if self.data.len() - self.end >= want {
            return;
        }
        if self.start > 0 {
            self.data.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.data.len() - self.end < want {
            let new_len = (self.end + want).max(self.data.len() * 2).max(READ_CHUNK);
            self.data.resize(new_len, 0);
        }
    }

    /// Called when everything was consumed: rewind without moving bytes.
    pub fn rewind_if_empty(&mut self) {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }

    /// Give memory back after a large request (called from cron when idle).
    pub fn shrink_if_idle(&mut self) {
        if self.is_empty() && self.data.len() > 4 * READ_CHUNK {
            self.data = Vec::new();
            self.start = 0;
            self.end = 0;
        }
    }
}

pub struct Conn {
    pub stream: Stream,
    pub qbuf: QueryBuf,
    pub parser: RequestParser,
    /// Bytes the parser said the current bulk still needs (read-size hint).
    pub need: usize,
}

/// Client flags (bit set, like Redis's CLIENT_* flags).
pub mod flags {
    /// Close once the reply buffer has been written (QUIT, protocol error).
    pub const CLOSE_AFTER_REPLY: u32 = 1 << 0;
    /// Close at the next opportunity without writing more (CLIENT KILL, limits).
    pub const CLOSE_ASAP: u32 = 1 << 1;
    /// Registered for WRITABLE with the poller.
    pub const WRITABLE_REGISTERED: u32 = 1 << 2;
    /// Queued in `pending_writes` already.
    pub const PENDING_WRITE: u32 = 1 << 3;
    /// Reading paused because the output buffer is too large.
    pub const READ_PAUSED: u32 = 1 << 4;
    /// Connected through the unix socket.
    pub const UNIX_SOCKET: u32 = 1 << 5;
    /// Exempt from eviction-by-client (CLIENT NO-EVICT on; accepted, no effect).
    pub const NO_EVICT: u32 = 1 << 6;
}

/// A command queued by MULTI, with its own copy of argv.
pub struct QueuedCommand {
    pub spec: &'static crate::commands::CommandSpec,
    pub buf: Vec<u8>,
    pub ranges: Vec<(usize, usize)>,
}

/// MULTI state (Redis's `multiState`).
#[derive(Default)]
pub struct MultiState {
    pub queued: Vec<QueuedCommand>,
    /// A command failed to queue: EXEC must answer -EXECABORT.
    pub aborted: bool,
}

pub struct ClientState {
    pub id: u64,
    pub token: Token,
    pub reply: Reply,
    /// Bytes at the front of `reply.buf` already written to the socket.
    pub sent: usize,
    pub flags: u32,
    pub db: usize,
    pub name: Vec<u8>,
    pub lib_name: Vec<u8>,
    pub lib_ver: Vec<u8>,
    pub peer: Option<SocketAddr>,
    pub local: Option<SocketAddr>,
    pub fd: i32,
    pub created_ms: u64,
    pub last_interaction_ms: u64,
    /// Last command run, for CLIENT LIST `cmd=`.
    pub last_cmd: Option<&'static crate::commands::CommandSpec>,
    pub last_cmd_parent: Option<&'static crate::commands::CommandSpec>,
    pub authenticated: bool,
    /// Channels + patterns subscribed (RESP2 clients are then in pub/sub mode).
    pub subscriptions: usize,
    /// Some while inside MULTI.
    pub multi: Option<Box<MultiState>>,
    /// When the output buffer first went over its class's soft limit
    /// (unix ms), 0 when under it (Redis's obuf_soft_limit_reached_time).
    pub obuf_soft_limit_since_ms: u64,
}

impl ClientState {
    /// A fresh connection state: db 0, RESP2, unauthenticated, no name.
    pub fn new(id: u64, token: Token, now_ms: u64) -> Self {
        ClientState {
            id,
            token,
            reply: Reply::new(),
            sent: 0,
            flags: 0,
            db: 0,
            name: Vec::new(),
            lib_name: Vec::new(),
            lib_ver: Vec::new(),
            peer: None,
            local: None,
            fd: -1,
            created_ms: now_ms,
            last_interaction_ms: now_ms,
            last_cmd: None,
            last_cmd_parent: None,
            authenticated: false,
            subscriptions: 0,
            multi: None,
            obuf_soft_limit_since_ms: 0,
        }
    }

    pub fn has(&self, f: u32) -> bool {
        self.flags & f != 0
    }

    /// Bytes queued but not yet written.
    pub fn pending_output(&self) -> usize {
        self.reply.buf.len() - self.sent
    }

    pub fn addr_string(&self) -> String {
        match self.peer {
            Some(a) => a.to_string(),
            None => "/unixsocket:0".to_string(),
        }
    }

    pub fn laddr_string(&self) -> String {
        match self.local {
            Some(a) => a.to_string(),
            None => "/unixsocket".to_string(),
        }
    }
}

pub struct Client {
    pub conn: Conn,
    pub st: ClientState,
}

impl Client {
    /// Drop the already-written front of the reply buffer once it is at
    /// least as large as what remains: a subscriber that keeps reading, but
    /// never quite catches up, would otherwise grow the buffer forever.
    /// Amortised O(1) per byte, like a ring buffer.
    fn compact_sent(&mut self) {
        let sent = self.st.sent;
        if sent >= 64 * 1024 && sent * 2 >= self.st.reply.buf.len() {
            self.st.reply.buf.drain(..sent);
            self.st.sent = 0;
        }
    }

    /// Write as much pending output as the socket takes.
    /// Ok(true) when everything was written.
    pub fn write_pending(&mut self, written: &mut u64) -> io::Result<bool> {
        while self.st.sent < self.st.reply.buf.len() {
            match self.conn.stream.write(&self.st.reply.buf[self.st.sent..]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    self.st.sent += n;
                    *written += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.compact_sent();
                    return Ok(false);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
        self.st.reply.buf.clear();
        self.st.sent = 0;
        // A one-off huge reply should not pin its memory forever.
        if self.st.reply.buf.capacity() > 1 << 20 {
            self.st.reply.buf = Vec::with_capacity(READ_CHUNK);
        }
        Ok(true)
    }
}
