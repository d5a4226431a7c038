//! The client table: a slab of boxed clients indexed by mio token.
//!
//! A client is *taken out* while one of its commands runs, so the handler can
//! hold `&mut` to it and to the rest of the table at once (PUBLISH writes
//! into other clients' buffers, CLIENT KILL flags them). Taking a `Box` out
//! is a pointer move.

use mio::Token;

use super::client::{Client, ClientState, flags};
use super::listen::FIRST_CLIENT_TOKEN;
use crate::config::ClientOutputBufferLimits;

#[derive(Default)]
pub struct Clients {
    slots: Vec<Option<Box<Client>>>,
    free: Vec<usize>,
    /// Live clients, including any currently taken out.
    count: usize,
    /// Tokens with output to write at the end of this loop turn.
    pub pending_writes: Vec<Token>,
    /// Tokens that must be closed at the end of this loop turn.
    pub to_close: Vec<Token>,
}

impl Clients {
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Reserve a slot and its token for a new client.
    pub fn next_token(&mut self) -> Token {
        match self.free.last() {
            Some(&i) => Token(i + FIRST_CLIENT_TOKEN),
            None => Token(self.slots.len() + FIRST_CLIENT_TOKEN),
        }
    }

    pub fn insert(&mut self, client: Box<Client>) -> Token {
        let idx = match self.free.pop() {
            Some(i) => i,
            None => {
                self.slots.push(None);
                self.slots.len() - 1
            }
        };
        self.slots[idx] = Some(client);
        self.count += 1;
        Token(idx + FIRST_CLIENT_TOKEN)
    }

    fn idx(t: Token) -> Option<usize> {
        t.0.checked_sub(FIRST_CLIENT_TOKEN)
    }

    pub fn get_mut(&mut self, t: Token) -> Option<&mut Client> {
        let i = Self::idx(t)?;
        self.slots.get_mut(i)?.as_deref_mut()
    }

    pub fn get(&self, t: Token) -> Option<&Client> {
        let i = Self::idx(t)?;
        self.slots.get(i)?.as_deref()
    }

    /// Take a client out for the duration of a command; see module doc.
    pub fn take(&mut self, t: Token) -> Option<Box<Client>> {
        let i = Self::idx(t)?;
        self.slots.get_mut(i)?.take()
    }

    pub fn put_back(&mut self, t: Token, c: Box<Client>) {
        if let Some(slot) = Self::idx(t).and_then(|i| self.slots.get_mut(i)) {
            *slot = Some(c);
        }
    }

    /// Remove for good (the slot becomes free).
    pub fn remove(&mut self, t: Token) -> Option<Box<Client>> {
        let i = Self::idx(t)?;
        let c = self.slots.get_mut(i)?.take()?;
        self.free.push(i);
        self.count -= 1;
        Some(c)
    }

    /// Forget a slot whose client was taken out and will not come back.
    pub fn release_taken(&mut self, t: Token) {
        if let Some(i) = Self::idx(t)
            && self.slots.get(i).is_some_and(|s| s.is_none())
        {
            self.free.push(i);
            self.count -= 1;
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &Client> {
        self.slots.iter().filter_map(|s| s.as_deref())
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut Client> {
        self.slots.iter_mut().filter_map(|s| s.as_deref_mut())
    }

    pub fn find_by_id(&mut self, id: u64) -> Option<&mut Client> {
        self.iter_mut().find(|c| c.st.id == id)
    }

    /// Queue a client's output for the end-of-turn flush (once).
    pub fn mark_pending_write(&mut self, st: &mut ClientState) {
        if !st.has(flags::PENDING_WRITE) {
            st.flags |= flags::PENDING_WRITE;
            self.pending_writes.push(st.token);
        }
    }

    /// Ask for a client to be closed at the end of this loop turn.
    pub fn schedule_close(&mut self, st: &mut ClientState) {
        if !st.has(flags::CLOSE_ASAP) {
            st.flags |= flags::CLOSE_ASAP;
            self.to_close.push(st.token);
        }
    }
}

/// Redis's checkClientOutputBufferLimits: is this client's unsent output
/// over its class's hard limit, or over the soft limit for longer than the
/// soft-limit seconds? Clients with subscriptions are in the pubsub class,
/// others in normal. Starts or resets the soft-limit clock as a side effect.
pub fn output_limit_reached(
    st: &mut ClientState,
    limits: &ClientOutputBufferLimits,
    now_ms: u64,
) -> bool {
    let class = if st.subscriptions > 0 {
        &limits.pubsub
    } else {
        &limits.normal
    };
    if class.hard_limit_bytes == 0 && class.soft_limit_bytes == 0 {
        return false;
    }
    let used = st.pending_output() as u64;
    let hard = class.hard_limit_bytes > 0 && used >= class.hard_limit_bytes;
    let mut soft = class.soft_limit_bytes > 0 && used >= class.soft_limit_bytes;
    if soft {
        if st.obuf_soft_limit_since_ms == 0 {
            st.obuf_soft_limit_since_ms = now_ms.max(1);
            soft = false;
        } else {
            let elapsed_ms = now_ms.saturating_sub(st.obuf_soft_limit_since_ms);
            soft = elapsed_ms > class.soft_limit_seconds.saturating_mul(1000);
        }
    } else {
        st.obuf_soft_limit_since_ms = 0;
    }
    hard || soft
}

pub fn log_output_limit_close(st: &ClientState) {
    tracing::warn!(
        "Client id={} addr={} scheduled to be closed ASAP for overcoming of output buffer limits.",
        st.id,
        st.addr_string()
    );
}

impl Clients {
    /// Close `st` asynchronously if its output is over the limit (Redis's
    /// closeClientOnOutputBufferLimitReached with async=1). Returns true if
    /// it was scheduled to close now.
    pub fn enforce_output_limit(
        &mut self,
        st: &mut ClientState,
        limits: &ClientOutputBufferLimits,
        now_ms: u64,
    ) -> bool {
        if st.has(flags::CLOSE_ASAP) || !output_limit_reached(st, limits, now_ms) {
            return false;
        }
        log_output_limit_close(st);
        self.schedule_close(st);
        true
    }
}
