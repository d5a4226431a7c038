//! Insertion queues for the queue-based policies: `simple-first` (exact FIFO) and
//! `allkeys-s3fifo` (S3-FIFO, Yang et al., "FIFO queues are all you need for cache eviction",
//! SOSP 2023). No Redis counterpart.
//!
//! **S3-FIFO.** Three FIFO queues: *small* (S, about 10% of the keys), *main* (M) and *ghost*
//! (G, hashes of keys recently evicted from S, as many as M holds). A new key enters S, or M if
//! its hash is in G (it was evicted too early). Reads bump a 2-bit counter in the key's meta
//! word ([`meta`](super::meta)). To evict: while S holds at least 10% of the keys, pop S's
//! oldest key; if it was read since insertion ([`MOVE_TO_MAIN_FREQ`]) it moves to M with its
//! counter cleared, else it is evicted and remembered in G. Otherwise pop M's oldest key; if its
//! counter is non-zero, decrement it and re-insert it at M's head (second chance), else evict.
//! One-hit wonders thus leave quickly through S without disturbing M, which keeps the keys that
//! proved themselves.
//!
//! **Representation.** Queues hold 64-bit key hashes (the db table's own hasher), not keys:
//! 8 bytes per key. A popped hash is resolved through the table; a hash whose key is gone, or
//! whose key now belongs to the other queue, is a stale entry and is skipped (deletions do not
//! search the queues; they only adjust the live counts through [`Db::remove_index`]). Which
//! queue a key is in is the meta word's main bit, so stale entries are recognised without
//! storing anything else. When stale entries outnumber live ones the queues are compacted.
//! A key deleted and re-created while its old entry is still queued has two entries; the older
//! one only makes it reach the queue's tail early (never lost: every live key has at least one
//! entry in the queue its state names, which is what keeps eviction total).
//!
//! `simple-first` uses the main queue alone, in insertion order.

use std::collections::{HashMap, VecDeque};

use super::Db;
use super::meta::{self, MetaPolicy};

/// Target share of S in the keyspace, as a fraction 1/`SMALL_SHARE_INV` (paper: 10%).
const SMALL_SHARE_INV: usize = 10;
/// A key popped from S with at least this many reads since insertion moves to M.
pub const MOVE_TO_MAIN_FREQ: u8 = 1;

/// Ghost queue: hashes in FIFO order, with a map for O(1) membership. A hash taken out by a hit
/// leaves a stale slot in the deque; each slot carries the generation that put it there.
#[derive(Default)]
struct Ghost {
    order: VecDeque<(u64, u32)>,
    members: HashMap<u64, u32, foldhash::fast::RandomState>,
    generation: u32,
}

impl Ghost {
    fn contains(&self, hash: u64) -> bool {
        self.members.contains_key(&hash)
    }

    /// Removes `hash` if present; returns whether it was there.
    fn take(&mut self, hash: u64) -> bool {
        self.members.remove(&hash).is_some()
    }

    fn push(&mut self, hash: u64, cap: usize) {
        self.generation = self.generation.wrapping_add(1);
        self.members.insert(hash, self.generation);
        self.order.push_back((hash, self.generation));
        // Stale slots count towards the deque only, so bound both.
        while self.members.len() > cap || self.order.len() > 2 * cap + 16 {
            let Some((h, g)) = self.order.pop_front() else {
                break;
            };
            if self.members.get(&h) == Some(&g) {
                self.members.remove(&h);
            }
        }
    }

    fn len(&self) -> usize {
        self.members.len()
    }
}

/// Per-db queue state. Empty (and allocation-free) under every other policy.
#[derive(Default)]
pub struct Queues {
    small: VecDeque<u64>,
    main: VecDeque<u64>,
    /// Live keys whose meta says S / M (under FIFO every key counts as M).
    small_live: usize,
    main_live: usize,
    ghost: Ghost,
}

/// Whether a policy keeps queues, and which kind.
fn queue_kind(p: MetaPolicy) -> u8 {
    match p {
        MetaPolicy::Fifo => 1,
        MetaPolicy::S3Fifo => 2,
        _ => 0,
    }
}

impl Queues {
    /// (small, main, ghost) live sizes, for tests and MEMORY STATS.
    pub fn sizes(&self) -> (usize, usize, usize) {
        (self.small_live, self.main_live, self.ghost.len())
    }

    /// A live key of this db was removed; `meta` is its final word.
    pub(super) fn on_remove(&mut self, policy: MetaPolicy, meta_word: u32) {
        match policy {
            MetaPolicy::Fifo => self.main_live = self.main_live.saturating_sub(1),
            MetaPolicy::S3Fifo if meta::s3_in_main(meta_word) => {
                self.main_live = self.main_live.saturating_sub(1)
            }
            MetaPolicy::S3Fifo => self.small_live = self.small_live.saturating_sub(1),
            _ => {}
        }
    }

    fn entries(&self) -> usize {
        self.small.len() + self.main.len()
    }

    fn live(&self) -> usize {
        self.small_live + self.main_live
    }
}

impl Db {
    fn key_hash(&self, key: &[u8]) -> u64 {
        self.map.hash(key)
    }

    /// Table index of the key whose hash is `hash` (the table stores each key's hash).
    fn index_of_hash(&self, hash: u64) -> Option<usize> {
        self.map.index_of_hash(hash)
    }

    /// Size of the queues (S, M, ghost), all zero unless a queue policy is active.
    pub fn queue_sizes(&self) -> (usize, usize, usize) {
        self.queues.sizes()
    }

    /// A key was just created at table index `idx` (called by `set`).
    pub(super) fn queue_on_insert(&mut self, idx: usize, key: &[u8]) {
        match self.policy {
            MetaPolicy::Fifo => {
                let h = self.key_hash(key);
                self.queues.main.push_back(h);
                self.queues.main_live += 1;
            }
            MetaPolicy::S3Fifo => {
                let h = self.key_hash(key);
                if self.queues.ghost.take(h) {
                    if let Some((_, e)) = self.map.get_index_mut(idx) {
                        e.meta = meta::s3_with(e.meta, true, 0);
                    }
                    self.queues.main.push_back(h);
                    self.queues.main_live += 1;
                } else {
                    self.queues.small.push_back(h);
                    self.queues.small_live += 1;
                }
            }
            _ => return,
        }
        if self.queues.entries() > 2 * self.queues.live() + 1024 {
            self.compact_queues();
        }
    }

    /// Drops stale entries (keys gone, or now in the other queue). O(entries).
    fn compact_queues(&mut self) {
        let s3 = self.policy == MetaPolicy::S3Fifo;
        let mut q = std::mem::take(&mut self.queues);
        let keep = |db: &Db, h: u64, main: bool| {
            db.index_of_hash(h).is_some_and(|i| {
                !s3 || db
                    .map
                    .get_index(i)
                    .is_some_and(|(_, e)| meta::s3_in_main(e.meta) == main)
            })
        };
        q.small.retain(|&h| keep(self, h, false));
        q.main.retain(|&h| keep(self, h, true));
        q.small.shrink_to_fit();
        q.main.shrink_to_fit();
        self.queues = q;
    }

    /// Re-create the queues for the current policy from the table (after a policy change).
    /// Every existing key enters M (S3-FIFO: with its counter cleared) in table order.
    pub(super) fn rebuild_queues(&mut self, old: MetaPolicy) {
        if queue_kind(old) == queue_kind(self.policy) {
            return;
        }
        self.queues = Queues::default();
        let kind = queue_kind(self.policy);
        if kind == 0 {
            return;
        }
        let mut main = VecDeque::with_capacity(self.map.len());
        for idx in 0..self.map.len() {
            main.extend(self.map.hash_at(idx));
            if kind == 2
                && let Some((_, e)) = self.map.get_index_mut(idx)
            {
                e.meta = meta::s3_with(e.meta, true, 0);
            }
        }
        self.queues.main_live = main.len();
        self.queues.main = main;
    }

    /// `simple-first`: the oldest-inserted live key's index.
    pub(super) fn fifo_victim(&mut self) -> Option<usize> {
        while let Some(h) = self.queues.main.pop_front() {
            if let Some(idx) = self.index_of_hash(h) {
                return Some(idx);
            }
        }
        self.repair_queues()
    }

    /// S3-FIFO: the next victim's index, after moving S's accessed keys to M and giving M's
    /// accessed keys their second chances. `None` only if the db is empty.
    pub(super) fn s3fifo_victim(&mut self) -> Option<usize> {
        // Each key can be moved or re-inserted a bounded number of times (counter ≤ 3), so the
        // work per victim is amortised O(1); the bound only guards against a broken invariant.
        let mut budget = 4 * self.queues.entries() + 16;
        while budget > 0 {
            budget -= 1;
            let q = &self.queues;
            let from_small = q.small_live > 0
                && (q.small_live * SMALL_SHARE_INV >= q.live() || q.main_live == 0);
            if from_small {
                let Some(h) = self.queues.small.pop_front() else {
                    // The count drifted (a meta word rewritten through `Entry::set_meta`):
                    // trust the queue.
                    self.queues.small_live = 0;
                    continue;
                };
                let Some(idx) = self.index_of_hash(h) else {
                    continue;
                };
                let Some((_, e)) = self.map.get_index_mut(idx) else {
                    continue;
                };
                if meta::s3_in_main(e.meta) {
                    continue; // Stale: the key moved to M since.
                }
                if meta::s3_freq(e.meta) >= MOVE_TO_MAIN_FREQ {
                    e.meta = meta::s3_with(e.meta, true, 0);
                    self.queues.main.push_back(h);
                    self.queues.small_live = self.queues.small_live.saturating_sub(1);
                    self.queues.main_live += 1;
                    continue;
                }
                let cap = self.queues.live() * (SMALL_SHARE_INV - 1) / SMALL_SHARE_INV;
                self.queues.ghost.push(h, cap.max(1));
                return Some(idx);
            }
            let Some(h) = self.queues.main.pop_front() else {
                self.queues.main_live = 0;
                if self.queues.small.is_empty() {
                    break;
                }
                continue;
            };
            let Some(idx) = self.index_of_hash(h) else {
                continue;
            };
            let Some((_, e)) = self.map.get_index_mut(idx) else {
                continue;
            };
            if !meta::s3_in_main(e.meta) {
                continue; // Stale: the key was re-created into S.
            }
            let freq = meta::s3_freq(e.meta);
            if freq > 0 {
                e.meta = meta::s3_with(e.meta, true, freq - 1);
                self.queues.main.push_back(h);
                continue;
            }
            return Some(idx);
        }
        self.repair_queues()
    }

    /// The queues ran dry while the table has keys (a key lost its entry, which only a meta
    /// word rewritten through `Entry::set_meta` can cause): rebuild from the table and take the
    /// first key of the rebuilt main queue.
    fn repair_queues(&mut self) -> Option<usize> {
        if self.map.is_empty() {
            self.queues = Queues::default();
            return None;
        }
        tracing::debug!("eviction queues rebuilt for db {}", self.id);
        let policy = self.policy;
        self.rebuild_queues(MetaPolicy::Lru);
        self.policy = policy;
        let h = self.queues.main.pop_front()?;
        self.index_of_hash(h)
    }

    /// Whether `key`'s hash is in the ghost queue (tests).
    pub fn in_ghost(&self, key: &[u8]) -> bool {
        self.queues.ghost.contains(self.key_hash(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyspace::evict::EvictPolicy;
    use crate::keyspace::{Keyspace, SetExpire, Value};
    use rand::rngs::StdRng;
    use rand::{RngExt, SeedableRng};

    const NOW: u64 = 1_700_000_000_000;

    fn s3() -> Keyspace {
        let mut ks = Keyspace::with_seed(1, 3);
        ks.set_meta_policy(MetaPolicy::S3Fifo);
        ks
    }

    fn set(ks: &mut Keyspace, k: &str) {
        ks.dbs[0].set(k.as_bytes(), Value::int(1), SetExpire::Clear, NOW);
    }

    fn evict(ks: &mut Keyspace) -> String {
        let (_, r) = ks.evict_one(EvictPolicy::S3Fifo, 5, NOW).unwrap();
        String::from_utf8(r.key.as_bytes().to_vec()).unwrap()
    }

    #[test]
    fn one_hit_wonders_leave_through_small_and_ghost_brings_back() {
        let mut ks = s3();
        for i in 0..10 {
            set(&mut ks, &format!("k{i}"));
        }
        assert_eq!(ks.dbs[0].queue_sizes(), (10, 0, 0));
        // k0 read once: it moves to M when it reaches S's tail; k1 is the first victim.
        ks.dbs[0].lookup_read(b"k0", NOW);
        assert_eq!(evict(&mut ks), "k1");
        assert_eq!(ks.dbs[0].queue_sizes(), (8, 1, 1));
        assert!(ks.dbs[0].in_ghost(b"k1"));
        let m = ks.dbs[0].peek(b"k0", NOW).unwrap().meta();
        assert!(meta::s3_in_main(m) && meta::s3_freq(m) == 0);
        // k1 comes back: straight into M, and out of the ghost.
        set(&mut ks, "k1");
        assert!(!ks.dbs[0].in_ghost(b"k1"));
        assert!(meta::s3_in_main(ks.dbs[0].peek(b"k1", NOW).unwrap().meta()));
        assert_eq!(ks.dbs[0].queue_sizes(), (8, 2, 0));
    }

    #[test]
    fn main_gives_second_chances() {
        let mut ks = s3();
        for i in 0..3 {
            set(&mut ks, &format!("m{i}"));
            ks.dbs[0].lookup_read(format!("m{i}").as_bytes(), NOW);
        }
        // Three evictions from S move all three to M (each was read); the db then holds only
        // M keys, so the next victim comes from M: m0 with counter 0 after the move.
        ks.dbs[0].lookup_read(b"m0", NOW); // counter of m0 cleared on the move, so no effect
        let v = evict(&mut ks);
        assert_eq!(v, "m0");
        assert_eq!(ks.dbs[0].queue_sizes(), (0, 2, 0));
        // Read m1 twice: m2 is evicted before it, m1 survives with its counter spent.
        ks.dbs[0].lookup_read(b"m1", NOW);
        ks.dbs[0].lookup_read(b"m1", NOW);
        assert_eq!(evict(&mut ks), "m2");
        assert_eq!(evict(&mut ks), "m1");
        assert!(ks.evict_one(EvictPolicy::S3Fifo, 5, NOW).is_none());
        assert_eq!(ks.dbs[0].queue_sizes(), (0, 0, 0));
    }

    #[test]
    fn deletes_keep_counts_and_queues_compact() {
        let mut ks = s3();
        for round in 0..20 {
            for i in 0..1000 {
                set(&mut ks, &format!("r{round}:{i}"));
            }
            for i in 0..1000 {
                ks.dbs[0].remove(format!("r{round}:{i}").as_bytes(), NOW);
            }
        }
        assert_eq!(ks.dbs[0].queue_sizes(), (0, 0, 0));
        // 20k entries were queued; compaction keeps at most 2 × live + 1024 (live peaked at 1000).
        assert!(
            ks.dbs[0].queues.entries() <= 3024,
            "{}",
            ks.dbs[0].queues.entries()
        );
        set(&mut ks, "x");
        assert_eq!(evict(&mut ks), "x");
    }

    #[test]
    fn policy_switch_rebuilds_and_flush_resets() {
        let mut ks = Keyspace::with_seed(2, 1);
        for i in 0..100 {
            set(&mut ks, &format!("k{i}"));
        }
        ks.set_meta_policy(MetaPolicy::S3Fifo);
        assert_eq!(ks.dbs[0].queue_sizes(), (0, 100, 0));
        ks.set_meta_policy(MetaPolicy::Fifo);
        assert_eq!(ks.dbs[0].queue_sizes(), (0, 100, 0));
        assert_eq!(
            ks.evict_one(EvictPolicy::Fifo, 5, NOW)
                .unwrap()
                .1
                .key
                .as_bytes(),
            b"k0"
        );
        ks.swap_dbs(0, 1);
        assert_eq!(ks.dbs[1].queue_sizes(), (0, 99, 0));
        assert_eq!(ks.dbs[0].queue_sizes(), (0, 0, 0));
        assert_eq!(ks.evict_one(EvictPolicy::Fifo, 5, NOW).unwrap().0, 1);
        ks.flush_all();
        assert_eq!(ks.dbs[1].queue_sizes(), (0, 0, 0));
        assert!(ks.evict_one(EvictPolicy::Fifo, 5, NOW).is_none());
        ks.set_meta_policy(MetaPolicy::Lru);
        assert_eq!(ks.dbs[1].queue_sizes(), (0, 0, 0));
    }

    /// Seeded Zipf-like workload: S3-FIFO's hit ratio must beat FIFO's at the same size.
    #[test]
    fn s3fifo_beats_fifo_on_skewed_reads() {
        fn run(policy: EvictPolicy) -> f64 {
            let mut ks = Keyspace::with_seed(1, 9);
            ks.set_meta_policy(policy.meta_policy(10, 1));
            let mut rng = StdRng::seed_from_u64(42);
            let (n, cap, reqs) = (10_000usize, 1000usize, 200_000usize);
            // Zipf(1.0) by inverse CDF over a precomputed table.
            let h: Vec<f64> = (1..=n)
                .scan(0.0, |acc, i| {
                    *acc += 1.0 / i as f64;
                    Some(*acc)
                })
                .collect();
            let total = h[n - 1];
            let mut hits = 0;
            for _ in 0..reqs {
                let u = rng.random::<f64>() * total;
                let k = h.partition_point(|&c| c < u);
                let key = format!("z{k}");
                if ks.dbs[0].lookup_read(key.as_bytes(), NOW).is_some() {
                    hits += 1;
                } else {
                    while ks.total_keys() >= cap {
                        ks.evict_one(policy, 5, NOW).unwrap();
                    }
                    ks.dbs[0].set(key.as_bytes(), Value::int(1), SetExpire::Clear, NOW);
                }
            }
            hits as f64 / reqs as f64
        }
        let fifo = run(EvictPolicy::Fifo);
        let s3 = run(EvictPolicy::S3Fifo);
        assert!(s3 > fifo + 0.03, "s3fifo {s3:.3} vs fifo {fifo:.3}");
    }
}
