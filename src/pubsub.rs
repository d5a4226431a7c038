//! Pub/Sub indexes: channel → subscribers, pattern → subscribers, and each
//! client's own channels and patterns (for UNSUBSCRIBE with no arguments,
//! CLIENT LIST `sub=`/`psub=` and cleanup on RESET or disconnect).
//!
//! Follows redis src/pubsub.c ("low level API"). This module only keeps the
//! indexes and says who should receive what; writing the messages into
//! client buffers, and the output-buffer limits that go with it, is done
//! by `commands::pubsub`, which can reach the client table.
//!
//! Invariants: a token is in `channels[c]` iff `c` is in that client's
//! `ClientSubs::channels` (same for patterns); empty sets are removed, so
//! `channels.len()` is the number of active channels (INFO
//! `pubsub_channels`) and `patterns.len()` the number of distinct patterns
//! (`pubsub_patterns`, PUBSUB NUMPAT). Clients are identified by their mio
//! token, which is only reused after `remove_client` ran for the old one.
//!
//! Sets are `IndexSet`/`IndexMap` (O(1) `swap_remove`) so listings are
//! deterministic: mostly subscription order, perturbed by removals.

use indexmap::{IndexMap, IndexSet};
use mio::Token;

type Hasher = foldhash::fast::RandomState;
type Subscribers = IndexSet<Token, Hasher>;

/// One client's subscriptions.
#[derive(Default)]
pub struct ClientSubs {
    pub channels: IndexSet<Box<[u8]>, Hasher>,
    pub patterns: IndexSet<Box<[u8]>, Hasher>,
}

impl ClientSubs {
    /// Redis's clientSubscriptionsCount: channels plus patterns.
    pub fn count(&self) -> usize {
        self.channels.len() + self.patterns.len()
    }
}

/// Which index a (un)subscription applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Channel,
    Pattern,
}

#[derive(Default)]
pub struct PubSub {
    channels: IndexMap<Box<[u8]>, Subscribers, Hasher>,
    patterns: IndexMap<Box<[u8]>, Subscribers, Hasher>,
    by_client: std::collections::HashMap<Token, ClientSubs, Hasher>,
}

/// Messages for the client whose command is running (it is out of the
/// client table then), produced where that client is not at hand, e.g. a
/// keyspace event fired from deep inside the keyspace. Encoded with RESP2
/// framing; dispatch appends them to the client after the command,
/// switching the leading `*` to `>` for RESP3 clients. Kept next to, not
/// inside, `PubSub` so delivery can borrow both at once.
#[derive(Default)]
pub struct Deferred {
    pub buf: crate::resp::Reply,
    /// (recipient, start of its message in `buf`).
    pub starts: Vec<(Token, usize)>,
}

impl Deferred {
    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// Start a message for `to`; the caller writes it into `self.buf`.
    pub fn begin(&mut self, to: Token) -> &mut crate::resp::Reply {
        self.starts.push((to, self.buf.buf.len()));
        &mut self.buf
    }

    /// Append every message addressed to `to` to `out` (RESP3 turns the
    /// array header into a push header) and forget all of them.
    pub fn drain_into(&mut self, to: Token, out: &mut crate::resp::Reply) {
        let n = self.starts.len();
        for i in 0..n {
            let (tok, start) = self.starts[i];
            let end = self.starts.get(i + 1).map_or(self.buf.buf.len(), |s| s.1);
            if tok != to {
                continue;
            }
            let Some(msg) = self.buf.buf.get(start..end) else {
                continue;
            };
            if out.is_resp3()
                && let Some((b'*', rest)) = msg.split_first()
            {
                out.buf.push(b'>');
                out.buf.extend_from_slice(rest);
            } else {
                out.buf.extend_from_slice(msg);
            }
        }
        self.starts.clear();
        self.buf.buf.clear();
    }
}

impl PubSub {
    /// Nobody is subscribed to anything: PUBLISH and keyspace events can
    /// return before formatting anything.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.channels.is_empty() && self.patterns.is_empty()
    }

    /// Active channels (channels with at least one subscriber).
    pub fn channel_count(&self) -> usize {
        self.channels.len()
    }

    /// Distinct patterns with at least one subscriber.
    pub fn pattern_count(&self) -> usize {
        self.patterns.len()
    }

    fn index(&mut self, kind: Kind) -> &mut IndexMap<Box<[u8]>, Subscribers, Hasher> {
        match kind {
            Kind::Channel => &mut self.channels,
            Kind::Pattern => &mut self.patterns,
        }
    }

    /// Subscribe `client` to `name`. Returns false if it already was (Redis
    /// still confirms it, with an unchanged count).
    pub fn subscribe(&mut self, client: Token, kind: Kind, name: &[u8]) -> bool {
        let subs = self.by_client.entry(client).or_default();
        let own = match kind {
            Kind::Channel => &mut subs.channels,
            Kind::Pattern => &mut subs.patterns,
        };
        if own.contains(name) {
            return false;
        }
        own.insert(name.into());
        let index = self.index(kind);
        match index.get_mut(name) {
            Some(set) => {
                set.insert(client);
            }
            None => {
                let mut set = Subscribers::default();
                set.insert(client);
                index.insert(name.into(), set);
            }
        }
        true
    }

    /// Unsubscribe `client` from `name`. Returns false if it was not subscribed.
    pub fn unsubscribe(&mut self, client: Token, kind: Kind, name: &[u8]) -> bool {
        let Some(subs) = self.by_client.get_mut(&client) else {
            return false;
        };
        let own = match kind {
            Kind::Channel => &mut subs.channels,
            Kind::Pattern => &mut subs.patterns,
        };
        if !own.swap_remove(name) {
            return false;
        }
        if subs.count() == 0 {
            self.by_client.remove(&client);
        }
        let index = self.index(kind);
        if let Some(set) = index.get_mut(name) {
            set.swap_remove(&client);
            if set.is_empty() {
                index.swap_remove(name);
            }
        }
        true
    }

    /// The client's current channels or patterns (copied: the caller
    /// unsubscribes while it walks them).
    pub fn client_names(&self, client: Token, kind: Kind) -> Vec<Box<[u8]>> {
        match self.by_client.get(&client) {
            Some(s) => match kind {
                Kind::Channel => s.channels.iter().cloned().collect(),
                Kind::Pattern => s.patterns.iter().cloned().collect(),
            },
            None => Vec::new(),
        }
    }

    /// (channels, patterns) the client is subscribed to.
    pub fn client_counts(&self, client: Token) -> (usize, usize) {
        self.by_client
            .get(&client)
            .map_or((0, 0), |s| (s.channels.len(), s.patterns.len()))
    }

    /// Total subscriptions of a client (channels + patterns).
    pub fn client_total(&self, client: Token) -> usize {
        self.by_client.get(&client).map_or(0, ClientSubs::count)
    }

    /// Drop every subscription of a client without telling it (RESET,
    /// disconnect: Redis's pubsubUnsubscribeAll* with notify = 0).
    pub fn remove_client(&mut self, client: Token) {
        let Some(subs) = self.by_client.remove(&client) else {
            return;
        };
        for (kind, names) in [
            (Kind::Channel, subs.channels),
            (Kind::Pattern, subs.patterns),
        ] {
            let index = self.index(kind);
            for name in names {
                if let Some(set) = index.get_mut(&name) {
                    set.swap_remove(&client);
                    if set.is_empty() {
                        index.swap_remove(&name);
                    }
                }
            }
        }
    }

    /// Subscribers of exactly `channel`.
    pub fn channel_subscribers(&self, channel: &[u8]) -> Option<&Subscribers> {
        self.channels.get(channel)
    }

    /// Number of subscribers of exactly `channel` (PUBSUB NUMSUB).
    pub fn numsub(&self, channel: &[u8]) -> usize {
        self.channels.get(channel).map_or(0, IndexSet::len)
    }

    /// Active channel names (PUBSUB CHANNELS).
    pub fn channel_names(&self) -> impl Iterator<Item = &[u8]> {
        self.channels.keys().map(|k| &**k)
    }

    /// Every pattern with its subscribers; PUBLISH matches each one.
    pub fn patterns(&self) -> impl Iterator<Item = (&[u8], &Subscribers)> {
        self.patterns.iter().map(|(k, v)| (&**k, v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscribe_unsubscribe_keeps_indexes_in_step() {
        let mut ps = PubSub::default();
        let (a, b) = (Token(100), Token(101));
        assert!(ps.subscribe(a, Kind::Channel, b"x"));
        assert!(!ps.subscribe(a, Kind::Channel, b"x"));
        assert!(ps.subscribe(b, Kind::Channel, b"x"));
        assert!(ps.subscribe(a, Kind::Pattern, b"x*"));
        assert_eq!(ps.numsub(b"x"), 2);
        assert_eq!(ps.client_counts(a), (1, 1));
        assert_eq!((ps.channel_count(), ps.pattern_count()), (1, 1));
        assert!(ps.unsubscribe(a, Kind::Channel, b"x"));
        assert!(!ps.unsubscribe(a, Kind::Channel, b"x"));
        assert_eq!(ps.numsub(b"x"), 1);
        ps.remove_client(b);
        assert_eq!(ps.numsub(b"x"), 0);
        assert_eq!(ps.channel_count(), 0);
        assert_eq!(ps.client_total(a), 1);
        ps.remove_client(a);
        assert!(ps.is_empty());
        assert_eq!(ps.client_total(a), 0);
    }

    #[test]
    fn client_names_follow_subscription_order() {
        let mut ps = PubSub::default();
        let a = Token(7);
        for n in [&b"c"[..], b"a", b"b"] {
            ps.subscribe(a, Kind::Channel, n);
        }
        let names = ps.client_names(a, Kind::Channel);
        assert_eq!(
            names,
            vec![
                Box::from(&b"c"[..]),
                Box::from(&b"a"[..]),
                Box::from(&b"b"[..])
            ]
        );
    }
}
