//! Choosing eviction victims. Follows redis src/evict.c (`evictionPoolPopulate`,
//! `performEvictions`' victim selection); the server-side loop that decides *when* to evict and
//! turns victims into `DEL`s and notifications is `crate::evict`.
//!
//! - **Sampled policies** (`*-lru`, `*-lfu`, `volatile-ttl`) keep Redis's eviction pool: the 16
//!   best candidates seen so far, sorted by score (higher = evict first), kept across rounds and
//!   refilled each round with `maxmemory-samples` random keys from every db. Unlike Redis, the
//!   chosen entry's score is recomputed before it is evicted: a key read since it was sampled
//!   goes back into the pool at its new score instead of being evicted as if it were still cold.
//!   LRU scores are millisecond ages ([`meta`](super::meta)), so the order holds under fast
//!   turnover where Redis's 1-second clock makes it a coin toss.
//! - **Random policies** pick a uniformly random key, rotating over the dbs (as Redis does).
//! - **Queue policies**: `simple-first` pops the oldest key of an exact insertion queue;
//!   `allkeys-s3fifo` runs S3-FIFO ([`s3fifo`](super::s3fifo)). Both rotate over the dbs.
//!
//! Nothing here knows about limits: the caller asks for one victim at a time.

use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};

use super::bytes::CompactBytes;
use super::meta::{self, MetaPolicy};
use super::{Db, Entry, Keyspace, Removed};

/// Redis `EVPOOL_SIZE`.
pub const EVPOOL_SIZE: usize = 16;

/// The `maxmemory-policy` values, as the keyspace sees them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EvictPolicy {
    NoEviction,
    AllkeysLru,
    VolatileLru,
    AllkeysLfu,
    VolatileLfu,
    AllkeysRandom,
    VolatileRandom,
    VolatileTtl,
    /// `simple-first`: oldest-inserted key first.
    Fifo,
    /// `allkeys-s3fifo`.
    S3Fifo,
}

impl EvictPolicy {
    /// Only keys with a TTL are candidates.
    pub fn volatile_only(self) -> bool {
        matches!(
            self,
            EvictPolicy::VolatileLru
                | EvictPolicy::VolatileLfu
                | EvictPolicy::VolatileRandom
                | EvictPolicy::VolatileTtl
        )
    }

    fn uses_pool(self) -> bool {
        matches!(
            self,
            EvictPolicy::AllkeysLru
                | EvictPolicy::VolatileLru
                | EvictPolicy::AllkeysLfu
                | EvictPolicy::VolatileLfu
                | EvictPolicy::VolatileTtl
        )
    }

    /// The metadata lookups must maintain for this policy (Redis keeps LRU for every non-LFU
    /// policy so OBJECT IDLETIME works).
    pub fn meta_policy(self, lfu_log_factor: u32, lfu_decay_time_min: u32) -> MetaPolicy {
        match self {
            EvictPolicy::AllkeysLfu | EvictPolicy::VolatileLfu => MetaPolicy::Lfu {
                log_factor: lfu_log_factor,
                decay_time_min: lfu_decay_time_min,
            },
            EvictPolicy::Fifo => MetaPolicy::Fifo,
            EvictPolicy::S3Fifo => MetaPolicy::S3Fifo,
            _ => MetaPolicy::Lru,
        }
    }
}

/// One eviction pool slot (Redis `struct evictionPoolEntry`): the key is copied (inline up to
/// 23 bytes) so the pool never points into a table that may have changed.
#[derive(Debug)]
struct PoolEntry {
    score: u64,
    db: usize,
    key: CompactBytes,
}

/// Victim selection state kept across rounds: the pool, the RNG, the db rotation.
pub struct Evictor {
    /// Ascending by score; the best candidate is last.
    pool: Vec<PoolEntry>,
    rng: SmallRng,
    next_db: usize,
}

impl Evictor {
    pub fn new(seed: u64) -> Self {
        Evictor {
            pool: Vec::with_capacity(EVPOOL_SIZE),
            rng: SmallRng::seed_from_u64(seed ^ 0x5eed_e71c),
            next_db: 0,
        }
    }

    /// Pool contents as (db, key, score), best last. For tests and DEBUG-style inspection.
    pub fn pool(&self) -> impl Iterator<Item = (usize, &[u8], u64)> {
        self.pool.iter().map(|e| (e.db, e.key.as_bytes(), e.score))
    }

    /// Redis `evictionPoolPopulate`'s insertion: keep the pool sorted, at most `EVPOOL_SIZE`
    /// entries; when full, a candidate better than the worst one pushes the worst out. A key
    /// already pooled is re-scored in place rather than duplicated.
    fn pool_insert(&mut self, db: usize, key: &[u8], score: u64) {
        if let Some(i) = self
            .pool
            .iter()
            .position(|e| e.db == db && e.key.as_bytes() == key)
        {
            if self.pool[i].score == score {
                return;
            }
            self.pool.remove(i);
        }
        let pos = self.pool.partition_point(|e| e.score < score);
        if self.pool.len() == EVPOOL_SIZE {
            if pos == 0 {
                return; // Worse than everything pooled.
            }
            // Drop the worst to make room; the insertion point moves down by one.
            self.pool.remove(0);
            self.pool.insert(
                pos - 1,
                PoolEntry {
                    score,
                    db,
                    key: CompactBytes::from_slice(key),
                },
            );
        } else {
            self.pool.insert(
                pos,
                PoolEntry {
                    score,
                    db,
                    key: CompactBytes::from_slice(key),
                },
            );
        }
    }
}

/// Eviction score of an entry under a sampled policy: higher means evict first. `None` if the
/// key is not a candidate (no TTL under a volatile policy).
fn score(policy: EvictPolicy, db: &Db, e: &Entry, now_ms: u64) -> Option<u64> {
    if policy.volatile_only() && !e.has_ttl() {
        return None;
    }
    Some(match policy {
        EvictPolicy::AllkeysLfu | EvictPolicy::VolatileLfu => {
            let decay = match db.policy {
                MetaPolicy::Lfu { decay_time_min, .. } => decay_time_min,
                _ => 0,
            };
            255 - u64::from(meta::lfu_decr_and_return(e.meta, decay, now_ms))
        }
        // Soonest deadline first.
        EvictPolicy::VolatileTtl => u64::MAX - db.deadline_of(e).unwrap_or(u64::MAX),
        _ => u64::from(meta::lru_age_ms(e.meta, now_ms)),
    })
}

impl Keyspace {
    /// Chooses one victim under `policy` and deletes it (no expired-key event, no stats: the
    /// caller propagates it as an eviction). `samples` is `maxmemory-samples`. Returns the db
    /// index and what was removed, or `None` if no key is a candidate (empty keyspace, no keys
    /// with a TTL under a volatile policy, or `noeviction`).
    pub fn evict_one(
        &mut self,
        policy: EvictPolicy,
        samples: usize,
        now_ms: u64,
    ) -> Option<(usize, Removed)> {
        match policy {
            EvictPolicy::NoEviction => None,
            p if p.uses_pool() => self.evict_from_pool(p, samples.max(1), now_ms),
            EvictPolicy::AllkeysRandom | EvictPolicy::VolatileRandom => {
                let volatile = policy.volatile_only();
                let db = self.next_db_with(|d| {
                    if volatile {
                        d.volatile_len() > 0
                    } else {
                        !d.is_empty()
                    }
                })?;
                let d = &mut self.dbs[db];
                let rng = &mut self.evictor.rng;
                let idx = if volatile {
                    let slot = d.volatile.get(rng.random_range(0..d.volatile.len()))?;
                    slot.idx as usize
                } else {
                    rng.random_range(0..d.map.len())
                };
                d.remove_index(idx).map(|r| (db, r))
            }
            EvictPolicy::Fifo | EvictPolicy::S3Fifo => {
                let db = self.next_db_with(|d| !d.is_empty())?;
                let d = &mut self.dbs[db];
                let idx = if policy == EvictPolicy::Fifo {
                    d.fifo_victim()?
                } else {
                    d.s3fifo_victim()?
                };
                d.remove_index(idx).map(|r| (db, r))
            }
            _ => None,
        }
    }

    /// The next db (round robin, Redis's `static unsigned int next_db`) satisfying `ok`.
    fn next_db_with(&mut self, ok: impl Fn(&Db) -> bool) -> Option<usize> {
        let n = self.dbs.len();
        for i in 0..n {
            let db = (self.evictor.next_db + i) % n;
            if ok(&self.dbs[db]) {
                self.evictor.next_db = (db + 1) % n;
                return Some(db);
            }
        }
        None
    }

    /// Redis's pool loop: refill the pool from every db, then take the best live candidate.
    fn evict_from_pool(
        &mut self,
        policy: EvictPolicy,
        samples: usize,
        now_ms: u64,
    ) -> Option<(usize, Removed)> {
        let volatile = policy.volatile_only();
        // A round only comes back empty-handed if every pooled key vanished and nothing could
        // be sampled; a few rounds cover keys deleted between sampling and picking.
        for _ in 0..4 {
            let mut sampled_any = false;
            for db in 0..self.dbs.len() {
                let d = &self.dbs[db];
                let has = if volatile {
                    d.volatile_len() > 0
                } else {
                    !d.is_empty()
                };
                if !has {
                    continue;
                }
                sampled_any = true;
                for _ in 0..samples {
                    let d = &self.dbs[db];
                    let rng = &mut self.evictor.rng;
                    let picked = if volatile {
                        d.sample_volatile(rng).map(|(k, e, _)| (k, e))
                    } else {
                        d.sample(rng)
                    };
                    let Some((k, e)) = picked else { continue };
                    if let Some(s) = score(policy, d, e, now_ms) {
                        self.evictor.pool_insert(db, k.as_bytes(), s);
                    }
                }
            }
            if !sampled_any {
                return None;
            }
            if let Some(v) = self.pick_from_pool(policy, now_ms) {
                return Some(v);
            }
        }
        None
    }

    /// Takes pool entries from the best end until one names a live candidate whose score is
    /// still current, and deletes that key. Stale entries are dropped; re-scored ones move.
    fn pick_from_pool(&mut self, policy: EvictPolicy, now_ms: u64) -> Option<(usize, Removed)> {
        // Each re-score lowers a score, so this ends; the bound is a safety net.
        for _ in 0..4 * EVPOOL_SIZE {
            let best = self.evictor.pool.pop()?;
            let Some(d) = self.dbs.get(best.db) else {
                continue;
            };
            let Some(idx) = d.map.get_index_of(best.key.as_bytes()) else {
                continue;
            };
            let Some((_, e)) = d.map.get_index(idx) else {
                continue;
            };
            let Some(now_score) = score(policy, d, e, now_ms) else {
                continue; // Lost its TTL (PERSIST) under a volatile policy.
            };
            if now_score < best.score {
                self.evictor
                    .pool_insert(best.db, best.key.as_bytes(), now_score);
                continue;
            }
            let db = best.db;
            return self.dbs[db].remove_index(idx).map(|r| (db, r));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyspace::{SetExpire, Value};

    const NOW: u64 = 1_700_000_000_000;

    fn ks_with(policy: EvictPolicy, n: usize) -> Keyspace {
        let mut ks = Keyspace::with_seed(2, 7);
        ks.set_meta_policy(policy.meta_policy(10, 1));
        for i in 0..n {
            ks.dbs[0].set(
                format!("k{i}").as_bytes(),
                Value::int(i as i64),
                SetExpire::Clear,
                NOW + i as u64,
            );
        }
        ks
    }

    #[test]
    fn pool_keeps_best_sorted_and_bounded() {
        let mut ev = Evictor::new(1);
        for (i, s) in [5u64, 1, 9, 3, 7].iter().enumerate() {
            ev.pool_insert(0, format!("k{i}").as_bytes(), *s);
        }
        let scores: Vec<u64> = ev.pool().map(|e| e.2).collect();
        assert_eq!(scores, vec![1, 3, 5, 7, 9]);
        // Re-scoring a pooled key moves it, never duplicates it.
        ev.pool_insert(0, b"k2", 2);
        let scores: Vec<u64> = ev.pool().map(|e| e.2).collect();
        assert_eq!(scores, vec![1, 2, 3, 5, 7]);
        for i in 0..40u64 {
            ev.pool_insert(1, format!("x{i}").as_bytes(), 100 + i);
        }
        assert_eq!(ev.pool().count(), EVPOOL_SIZE);
        let scores: Vec<u64> = ev.pool().map(|e| e.2).collect();
        assert_eq!(scores.first(), Some(&124));
        assert_eq!(scores.last(), Some(&139));
        // A candidate worse than a full pool's worst is ignored.
        ev.pool_insert(1, b"low", 0);
        assert!(ev.pool().all(|e| e.1 != b"low"));
    }

    #[test]
    fn lru_evicts_the_coldest_of_the_samples() {
        // 1000 keys; 100 of them read "now", the rest idle since insertion. With 5 samples per
        // round and the pool, the first 500 victims must all be idle keys.
        let mut ks = ks_with(EvictPolicy::AllkeysLru, 1000);
        let later = NOW + 60_000;
        for i in 0..100 {
            ks.dbs[0].lookup_read(format!("k{i}").as_bytes(), later);
        }
        for _ in 0..500 {
            let (db, r) = ks.evict_one(EvictPolicy::AllkeysLru, 5, later).unwrap();
            assert_eq!(db, 0);
            let n: usize = std::str::from_utf8(&r.key.as_bytes()[1..])
                .unwrap()
                .parse()
                .unwrap();
            assert!(n >= 100, "evicted hot key k{n}");
        }
        assert_eq!(ks.total_keys(), 500);
    }

    #[test]
    fn lru_order_is_finer_than_a_second() {
        // All keys inserted within 1 s, in order: evicting half of them must remove mostly
        // the older half (Redis's 1 s clock would make this random).
        let mut ks = ks_with(EvictPolicy::AllkeysLru, 1000);
        let now = NOW + 1000;
        let mut old = 0;
        for _ in 0..500 {
            let (_, r) = ks.evict_one(EvictPolicy::AllkeysLru, 5, now).unwrap();
            let n: usize = std::str::from_utf8(&r.key.as_bytes()[1..])
                .unwrap()
                .parse()
                .unwrap();
            old += usize::from(n < 500);
        }
        assert!(old > 400, "{old}");
    }

    #[test]
    fn rescored_pool_entry_is_not_evicted() {
        // k0..k19 inserted 1 ms apart: k0 is the oldest. Pool every key; the pool keeps the 16
        // oldest, k0 best. Then k0 is read: picking must re-score it and take k1 instead.
        let mut ks = ks_with(EvictPolicy::AllkeysLru, 20);
        let now = NOW + 10_000;
        for i in 0..20 {
            let k = format!("k{i}");
            let e = ks.dbs[0].peek(k.as_bytes(), now).unwrap();
            let s = score(EvictPolicy::AllkeysLru, &ks.dbs[0], e, now).unwrap();
            ks.evictor.pool_insert(0, k.as_bytes(), s);
        }
        assert_eq!(ks.evictor.pool().last().map(|e| e.1), Some(&b"k0"[..]));
        ks.dbs[0].lookup_read(b"k0", now);
        let (_, r) = ks.pick_from_pool(EvictPolicy::AllkeysLru, now).unwrap();
        assert_eq!(r.key.as_bytes(), b"k1");
        assert!(ks.dbs[0].peek(b"k0", now).is_some());
    }

    #[test]
    fn volatile_policies_only_take_keys_with_ttl() {
        for policy in [
            EvictPolicy::VolatileLru,
            EvictPolicy::VolatileLfu,
            EvictPolicy::VolatileRandom,
            EvictPolicy::VolatileTtl,
        ] {
            let mut ks = ks_with(policy, 100);
            for i in 0..10 {
                ks.dbs[0].set_expire(format!("k{i}").as_bytes(), NOW + 1_000_000 - i);
            }
            let mut got = Vec::new();
            // Enough samples that the pool sees every volatile key (seeded RNG).
            while let Some((_, r)) = ks.evict_one(policy, 50, NOW) {
                assert!(r.expire_at.is_some(), "{policy:?}");
                got.push(r.key);
            }
            assert_eq!(got.len(), 10, "{policy:?}");
            assert_eq!(ks.total_keys(), 90);
            if policy == EvictPolicy::VolatileTtl {
                // Soonest deadline (k9) first.
                assert_eq!(got[0].as_bytes(), b"k9");
            }
        }
    }

    #[test]
    fn lfu_keeps_frequently_read_keys() {
        let mut ks = ks_with(EvictPolicy::AllkeysLfu, 1000);
        for _ in 0..50 {
            for i in 0..100 {
                ks.dbs[0].lookup_read(format!("k{i}").as_bytes(), NOW);
            }
        }
        for _ in 0..800 {
            ks.evict_one(EvictPolicy::AllkeysLfu, 5, NOW).unwrap();
        }
        let hot_left = (0..100)
            .filter(|i| ks.dbs[0].peek(format!("k{i}").as_bytes(), NOW).is_some())
            .count();
        assert!(hot_left >= 95, "{hot_left}");
    }

    #[test]
    fn random_and_noeviction() {
        let mut ks = ks_with(EvictPolicy::AllkeysRandom, 50);
        ks.dbs[1].set(b"other", Value::int(1), SetExpire::Clear, NOW);
        assert!(ks.evict_one(EvictPolicy::NoEviction, 5, NOW).is_none());
        let mut dbs = [0usize; 2];
        while let Some((db, _)) = ks.evict_one(EvictPolicy::AllkeysRandom, 5, NOW) {
            dbs[db] += 1;
        }
        assert_eq!(dbs, [50, 1]);
        assert!(ks.evict_one(EvictPolicy::VolatileRandom, 5, NOW).is_none());
    }

    #[test]
    fn fifo_evicts_in_insertion_order() {
        let mut ks = ks_with(EvictPolicy::Fifo, 100);
        // Reads and overwrites do not change the order; deleted keys are skipped.
        ks.dbs[0].lookup_read(b"k0", NOW + 1000);
        ks.dbs[0].set(b"k1", Value::int(5), SetExpire::Clear, NOW + 1000);
        ks.dbs[0].remove(b"k2", NOW + 1000);
        let order: Vec<Vec<u8>> = (0..5)
            .map(|_| {
                ks.evict_one(EvictPolicy::Fifo, 5, NOW)
                    .unwrap()
                    .1
                    .key
                    .as_bytes()
                    .to_vec()
            })
            .collect();
        assert_eq!(
            order,
            vec![
                b"k0".to_vec(),
                b"k1".to_vec(),
                b"k3".to_vec(),
                b"k4".to_vec(),
                b"k5".to_vec()
            ]
        );
    }
}
