//! The loop: poll → accept / read → parse → dispatch, then `before_sleep`
//! (AOF, then replies) and `cron` every 1000/hz ms.
//!
//! Reads are edge-triggered (mio), so a client is read until WouldBlock, or
//! until a short read when the event reported no hang-up (see
//! `read_and_process`); to stay fair a client may read at most
//! `READ_BUDGET_PER_TURN` bytes per turn
//! (about one of Redis's reads per event) and is then parked in
//! `pending_reads` and resumed next turn with a zero poll timeout. So a
//! 200,000-command pipeline keeps other clients waiting for at most one
//! read's worth of commands. Replies are not written per command: every
//! client with output is flushed once per turn in `before_sleep`, which is
//! what batches pipelined replies into one `write`. WRITABLE interest is
//! registered only while a client has output the socket did not take.

use std::io::{self, Read};
use std::time::Duration;

use mio::{Interest, Token};
use tracing::{debug, warn};

use super::client::{Client, ClientState, Conn, QueryBuf, READ_CHUNK, Stream, flags};
use super::listen::{Listener, SIGNAL_TOKEN};
use super::{Server, Shutdown, unix_ms};
use crate::commands::{self, Args};
use crate::resp::{Parse, RequestParser};

/// Sent to a non-loopback peer refused by protected mode (Redis 7.2 text).
const PROTECTED_MODE_DENIED: &[u8] = b"-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Set up an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";

/// Loopback peer, including IPv4-mapped IPv6 (`::ffff:127.0.0.1`).
fn is_loopback(ip: std::net::IpAddr) -> bool {
    ip.to_canonical().is_loopback()
}

/// Bytes a client may read per turn before it yields to others (Redis reads
/// 16 KB per event; a read here may take up to the free query buffer).
const READ_BUDGET_PER_TURN: usize = READ_CHUNK;
/// Time per fast active-expire cycle (Redis ACTIVE_EXPIRE_CYCLE_FAST_DURATION).
const FAST_EXPIRE_BUDGET: Duration = Duration::from_millis(1);
/// Poll timeout while fast expiry is wanted: about one fast cycle per
/// millisecond of waiting, so a backlog uses at most half the CPU when idle.
const FAST_EXPIRE_POLL: Duration = Duration::from_millis(1);
/// Stop executing a client's pipeline while this much output is unsent;
/// resume when the socket drains it (back-pressure instead of unbounded growth).
const OUTPUT_PAUSE_BYTES: usize = 16 << 20;

impl Server {
    /// Serve until SHUTDOWN or a signal.
    pub fn run(&mut self) -> io::Result<()> {
        let mut ready: Vec<(Token, bool, bool, bool)> = Vec::with_capacity(1024);
        let mut next_cron_ms = unix_ms();
        loop {
            let now = unix_ms();
            // While an eviction is left unfinished, keep turning without sleeping.
            let timeout = if self.pending_reads_nonempty() || self.core.eviction.running {
                Duration::ZERO
            } else if self.fast_expire_pending() {
                // Keep turning while expired keys pile up: `before_sleep` reclaims
                // them in short slices instead of one long stall.
                FAST_EXPIRE_POLL.min(Duration::from_millis(next_cron_ms.saturating_sub(now)))
            } else {
                Duration::from_millis(next_cron_ms.saturating_sub(now).min(1000))
            };
            if let Err(e) = self.poll.poll(&mut self.events, Some(timeout))
                && e.kind() != io::ErrorKind::Interrupted
            {
                return Err(e);
            }
            self.core.now_ms = unix_ms();
            self.handle_events(&mut ready);
            self.run_pending_reads();
            self.before_sleep();
            if self.core.now_ms >= next_cron_ms {
                self.cron();
                let period = 1000 / self.core.config.hz.clamp(1, 500);
                next_cron_ms = self.core.now_ms + period;
            }
            if self.core.shutdown.is_some() {
                break;
            }
        }
        self.finish_shutdown();
        Ok(())
    }

    /// Accept, read and write for every event of the last poll.
    fn handle_events(&mut self, ready: &mut Vec<(Token, bool, bool, bool)>) {
        ready.clear();
        for ev in self.events.iter() {
            let closed = ev.is_read_closed() || ev.is_error();
            ready.push((
                ev.token(),
                ev.is_readable() || closed,
                ev.is_writable(),
                closed,
            ));
        }
        for &(tok, readable, writable, closed) in ready.iter() {
            if tok.0 < self.listeners.len() {
                self.accept(tok.0);
            } else if tok == SIGNAL_TOKEN {
                self.drain_signals();
            } else {
                if writable {
                    self.flush_client(tok);
                }
                if readable {
                    self.handle_readable(tok, closed);
                }
            }
        }
    }

    /// One non-blocking turn of the loop without cron, for long jobs that
    /// run before serving (AOF loading, Redis's processEventsWhileBlocked):
    /// clients connect and get answers (-LOADING for most commands),
    /// SHUTDOWN and signals set `core.shutdown` for the job to check.
    pub fn process_events_while_blocked(&mut self) {
        let mut ready = Vec::new();
        match self.poll.poll(&mut self.events, Some(Duration::ZERO)) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                warn!("Polling while blocked: {e}");
                return;
            }
        }
        self.core.now_ms = unix_ms();
        self.handle_events(&mut ready);
        self.run_pending_reads();
        self.before_sleep();
    }

    fn pending_reads_nonempty(&self) -> bool {
        !self.pending_reads.is_empty()
    }

    fn fast_expire_pending(&self) -> bool {
        self.core.active_expire_enabled && self.core.keyspace.fast_expire_wanted()
    }

    fn drain_signals(&mut self) {
        let Some(signals) = self.signals.as_mut() else {
            return;
        };
        for sig in signals.pending() {
            let name = if sig == signal_hook::consts::SIGINT {
                "SIGINT"
            } else {
                "SIGTERM"
            };
            warn!("Received {name} scheduling shutdown...");
            self.core.shutdown = Some(Shutdown::Default);
        }
    }

    fn accept(&mut self, li: usize) {
        loop {
            let accepted = match &self.listeners[li] {
                Listener::Tcp(l) => l.accept().map(|(s, a)| {
                    let _ = s.set_nodelay(true);
                    let local = s.local_addr().ok();
                    (Stream::Tcp(s), Some(a), local)
                }),
                Listener::Unix(l, _) => l.accept().map(|(s, _)| (Stream::Unix(s), None, None)),
            };
            let (mut stream, peer, local) = match accepted {
                Ok(x) => x,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    warn!("Accepting client connection: {e}");
                    return;
                }
            };
            if self.core.clients.len() as u64 >= self.core.config.maxclients {
                use std::io::Write;
                let _ = stream.write(b"-ERR max number of clients reached\r\n");
                self.core.stats.rejected_connections += 1;
                continue;
            }
            // Protected mode: with no password, only loopback and unix-socket
            // peers are served (Redis networking.c clientAcceptHandler).
            if self.core.config.protected_mode
                && !self.core.auth_required()
                && peer.is_some_and(|a| !is_loopback(a.ip()))
            {
                use std::io::Write;
                let _ = stream.write(PROTECTED_MODE_DENIED);
                self.core.stats.rejected_connections += 1;
                continue;
            }
            // Like Redis, rejected connections are not counted here.
            self.core.stats.total_connections_received += 1;
            let tok = self.core.clients.next_token();
            if let Err(e) = self
                .poll
                .registry()
                .register(stream.source(), tok, Interest::READABLE)
            {
                warn!("Registering client: {e}");
                continue;
            }
            let fd = match &stream {
                Stream::Tcp(s) => std::os::fd::AsRawFd::as_raw_fd(s),
                Stream::Unix(s) => std::os::fd::AsRawFd::as_raw_fd(s),
            };
            self.core.next_client_id += 1;
            let now = self.core.now_ms;
            let client = Box::new(Client {
                conn: Conn {
                    stream,
                    qbuf: QueryBuf::default(),
                    parser: RequestParser::new(self.core.config.proto_max_bulk_len as usize),
                    need: 0,
                },
                st: {
                    let mut st = ClientState::new(self.core.next_client_id, tok, now);
                    if peer.is_none() {
                        st.flags |= flags::UNIX_SOCKET;
                    }
                    st.peer = peer;
                    st.local = local;
                    st.fd = fd;
                    // Redis's clientSetDefaultAuth: the default user has no
                    // password unless requirepass is set.
                    st.authenticated = !self.core.auth_required();
                    st
                },
            });
            let got = self.core.clients.insert(client);
            debug_assert_eq!(got, tok);
            debug!("Accepted {:?}", peer);
        }
    }

    fn handle_readable(&mut self, tok: Token, drain: bool) {
        let Some(mut c) = self.core.clients.take(tok) else {
            return;
        };
        let alive = self.read_and_process(&mut c, drain);
        self.core.clients.put_back(tok, c);
        if !alive {
            self.free_client(tok);
        }
    }

    fn run_pending_reads(&mut self) {
        if self.pending_reads.is_empty() {
            return;
        }
        let mut toks = std::mem::take(&mut self.pending_reads);
        // A client can be parked twice in one turn (by its readable event and by last
        // turn's budget); running it once per entry would grow its share every turn.
        toks.sort_unstable();
        toks.dedup();
        for &tok in &toks {
            if let Some(c) = self.core.clients.get_mut(tok) {
                c.st.flags &= !flags::READ_PAUSED;
            }
            self.handle_readable(tok, true);
        }
    }

    /// Read until WouldBlock (or the per-turn budget), executing every
    /// complete request after each read. Returns false if the client must be
    /// closed now (EOF, socket error, query buffer limit).
    ///
    /// Unless `drain` is set, a read that does not fill the space offered
    /// ends the turn without the extra read that would only return
    /// WouldBlock: a short read means the socket buffer was empty, and with
    /// edge-triggered epoll any byte arriving later raises a new event (the
    /// rule Netty's epoll transport uses). That saves one of three syscalls
    /// per request at pipelining 1. `drain` is set when the event also
    /// reported hang-up/error (the FIN may sit behind the data, and no new
    /// edge will announce it) and for clients resumed from `pending_reads`.
    fn read_and_process(&mut self, c: &mut Client, drain: bool) -> bool {
        // Commands left in the buffer from a paused or budget-limited turn.
        self.process_input(c);
        let mut budget = READ_BUDGET_PER_TURN;
        while budget > 0 {
            if c.st
                .has(flags::CLOSE_AFTER_REPLY | flags::CLOSE_ASAP | flags::READ_PAUSED)
            {
                return true;
            }
            let want = READ_CHUNK.max(c.conn.parser_need());
            c.conn.qbuf.reserve(want);
            let qb = &mut c.conn.qbuf;
            let offered = qb.data.len() - qb.end;
            let short;
            match c.conn.stream.read(&mut qb.data[qb.end..]) {
                Ok(0) => {
                    // Peer closed its side. Replies already queued still go
                    // out (`printf 'PING\r\n' | nc` must see +PONG).
                    if c.st.pending_output() > 0 {
                        c.st.flags |= flags::CLOSE_AFTER_REPLY;
                        return true;
                    }
                    return false;
                }
                Ok(n) => {
                    short = n < offered;
                    budget = budget.saturating_sub(n);
                    qb.end += n;
                    self.core.stats.total_net_input_bytes += n as u64;
                    c.st.last_interaction_ms = self.core.now_ms;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return true,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    debug!("Reading from client: {e}");
                    return false;
                }
            }
            if c.conn.qbuf.len() as u64 > self.core.config.client_query_buffer_limit {
                warn!(
                    "Closing client that reached max query buffer length (id={})",
                    c.st.id
                );
                self.core.stats.client_query_buffer_limit_disconnections += 1;
                return false;
            }
            self.process_input(c);
            if short && !drain {
                return true;
            }
        }
        // Budget used up with data possibly still in the socket: come back.
        self.pending_reads.push(c.st.token);
        true
    }

    /// Execute every complete request in the query buffer.
    fn process_input(&mut self, c: &mut Client) {
        loop {
            if c.st.has(flags::CLOSE_AFTER_REPLY | flags::CLOSE_ASAP) {
                break;
            }
            if c.st.pending_output() > OUTPUT_PAUSE_BYTES {
                c.st.flags |= flags::READ_PAUSED;
                break;
            }
            let pending = &c.conn.qbuf.data[c.conn.qbuf.start..c.conn.qbuf.end];
            if pending.is_empty() {
                break;
            }
            match c.conn.parser.parse(pending) {
                Parse::Complete { consumed } => {
                    let (buf, ranges) = c.conn.parser.args(pending);
                    if !ranges.is_empty() {
                        let args = Args::new(buf, ranges);
                        commands::execute(&mut self.core, &mut c.st, &args);
                    }
                    c.conn.qbuf.start += consumed;
                    c.conn.parser.reset();
                    // The next read must not reserve room for this request's bulk again.
                    c.conn.need = 0;
                }
                Parse::Incomplete { need } => {
                    c.conn.need = need;
                    break;
                }
                Parse::Error(e) => {
                    debug!("Protocol error from client id={}: {:?}", c.st.id, e);
                    c.st.reply.error(&e.message());
                    c.st.flags |= flags::CLOSE_AFTER_REPLY;
                    break;
                }
            }
        }
        c.conn.qbuf.rewind_if_empty();
        if c.st.pending_output() > 0 || c.st.has(flags::CLOSE_AFTER_REPLY) {
            self.core.clients.mark_pending_write(&mut c.st);
        }
    }

    /// Write a client's pending output now; adjust WRITABLE interest; close
    /// it if it asked to be closed after its reply.
    fn flush_client(&mut self, tok: Token) {
        enum After {
            Nothing,
            Close,
            Resume,
        }
        let Some(c) = self.core.clients.get_mut(tok) else {
            return;
        };
        c.st.flags &= !flags::PENDING_WRITE;
        if c.st.has(flags::CLOSE_ASAP) {
            return;
        }
        let after = match c.write_pending(&mut self.core.stats.total_net_output_bytes) {
            Ok(true) => {
                if c.st.has(flags::WRITABLE_REGISTERED) {
                    c.st.flags &= !flags::WRITABLE_REGISTERED;
                    let _ = self.poll.registry().reregister(
                        c.conn.stream.source(),
                        tok,
                        Interest::READABLE,
                    );
                }
                if c.st.has(flags::CLOSE_AFTER_REPLY) {
                    After::Close
                } else if c.st.has(flags::READ_PAUSED) {
                    After::Resume
                } else {
                    After::Nothing
                }
            }
            Ok(false) => {
                if !c.st.has(flags::WRITABLE_REGISTERED) {
                    c.st.flags |= flags::WRITABLE_REGISTERED;
                    let _ = self.poll.registry().reregister(
                        c.conn.stream.source(),
                        tok,
                        Interest::READABLE | Interest::WRITABLE,
                    );
                }
                // Output drained enough to resume a paused pipeline?
                if c.st.has(flags::READ_PAUSED) && c.st.pending_output() <= OUTPUT_PAUSE_BYTES / 2 {
                    After::Resume
                } else {
                    After::Nothing
                }
            }
            Err(e) => {
                debug!("Writing to client: {e}");
                After::Close
            }
        };
        match after {
            After::Nothing => {}
            After::Close => self.free_client(tok),
            After::Resume => self.pending_reads.push(tok),
        }
    }

    /// End of turn: AOF first (so nothing is acknowledged before it is
    /// logged), then replies, then deferred closes.
    fn before_sleep(&mut self) {
        // Continue a maxmemory/maxkeys eviction left unfinished (bounded slice).
        self.core.eviction_slice();
        // Fast active-expire cycle (~1 ms) when the slow one ran out of time
        // or found many stale keys (Redis's ACTIVE_EXPIRE_CYCLE_FAST).
        if self.fast_expire_pending() {
            self.core.now_ms = unix_ms();
            self.core
                .keyspace
                .active_expire_cycle(self.core.now_ms, FAST_EXPIRE_BUDGET);
            self.core.propagate_expired();
        }
        self.core.propagate_expired_all();
        // The turn's writes reach the AOF (and the disk, for appendfsync
        // always) before any reply of the turn is written.
        crate::persistence::before_sleep(&mut self.core);
        let mut toks = std::mem::take(&mut self.core.clients.pending_writes);
        for &tok in &toks {
            self.flush_client(tok);
        }
        toks.clear();
        if self.core.clients.pending_writes.is_empty() {
            self.core.clients.pending_writes = toks;
        }
        let closing = std::mem::take(&mut self.core.clients.to_close);
        for tok in closing {
            self.free_client(tok);
        }
    }

    /// Deregister and drop a client.
    pub(crate) fn free_client(&mut self, tok: Token) {
        if let Some(mut c) = self.core.clients.remove(tok) {
            self.core.client_gone(tok);
            let _ = self.poll.registry().deregister(c.conn.stream.source());
            debug!("Client closed id={}", c.st.id);
        }
    }

    /// Final work before exiting: make the AOF durable, remove the unix
    /// socket and the pidfile. Also called by `main` when loading ends in a
    /// shutdown request.
    pub fn finish_shutdown(&mut self) {
        crate::persistence::shutdown(&mut self.core);
        for l in &self.listeners {
            if let Listener::Unix(_, path) = l {
                let _ = std::fs::remove_file(path);
            }
        }
        if !self.core.config.pidfile.is_empty() {
            let _ = std::fs::remove_file(&self.core.config.pidfile);
        }
        tracing::warn!("InMemDB is now ready to exit, bye bye...");
    }
}

impl Conn {
    fn parser_need(&self) -> usize {
        // Reserve room for a whole large bulk at once rather than doubling.
        self.need.min(64 << 20)
    }
}
