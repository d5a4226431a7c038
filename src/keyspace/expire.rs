//! TTL index and the active expiry cycle. Follows redis src/expire.c (`activeExpireCycle`).
//!
//! **Index.** Each `Db` keeps a dense `Vec<VolatileSlot>` with one slot per key that has a TTL:
//! the absolute deadline (unix ms) and the key's position in the main key table. The entry
//! points back at its slot (`Entry::vol`). Both sides use `swap_remove`, and each removal fixes
//! the one back-pointer of the element that moved, so adding, changing and dropping a TTL are
//! O(1), a key without TTL pays nothing, and a volatile key pays 16 bytes (Redis pays a second
//! dict entry). The deadline lives in the slot, not the entry, so the active cycle reads a
//! sequential array and touches the main table only for keys it actually deletes.
//!
//! Why not a min-heap of deadlines: O(log n) on every TTL change, stale entries after PERSIST or
//! overwrite (lazy invalidation needs generations and grows until compaction), and no O(1)
//! uniform sampling for `volatile-*` eviction. The dense array gives all three for free.
//!
//! **Cycle.** Like Redis 7, keys are not picked at random but visited sequentially with a
//! per-db cursor, so a pass is guaranteed to reach every volatile key: 20 keys per round,
//! another round while more than 10% of a round was stale, the clock read every 16 rounds and
//! the call abandoned once the time budget is spent (the next call resumes at the same db and
//! cursor). The cursor walks downward: removing the slot under it pulls the last slot (already
//! visited in this pass) into its place, so nothing is skipped.

use std::time::{Duration, Instant};

use super::{Db, Keyspace};

/// `Entry::vol` value for keys without a TTL.
pub(super) const NO_TTL: u32 = u32::MAX;

/// Redis `ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP` (at the default `active-expire-effort` 1).
pub const KEYS_PER_LOOP: usize = 20;
/// Redis `ACTIVE_EXPIRE_CYCLE_ACCEPTABLE_STALE`: keep going in a db while more than this
/// percentage of a round was stale.
pub const ACCEPTABLE_STALE_PERC: usize = 10;
/// Rounds between two clock reads (Redis checks `(iteration & 0xf) == 0`).
const ROUNDS_PER_CLOCK_CHECK: u32 = 16;

/// One key with a TTL: its deadline and its index in the main map.
#[derive(Clone, Copy, Debug)]
pub(super) struct VolatileSlot {
    pub(super) at_ms: u64,
    pub(super) idx: u32,
}

/// State carried between cycles (Redis keeps these as statics and server stats).
#[derive(Clone, Debug, Default)]
pub(super) struct ExpireCycleState {
    /// Next db to visit.
    pub(super) current_db: usize,
    /// The last cycle ran out of time: the next one should run (and cover all dbs).
    pub(super) timelimit_exit: bool,
    /// Moving average of the stale fraction seen by the cycle (`expired_stale_perc`, 0..1).
    pub(super) stale_perc: f64,
    pub(super) time_cap_reached_count: u64,
    pub(super) time_used_us: u64,
}

impl Db {
    /// One round of active expiry on this db: visits up to `max` volatile keys from the cursor
    /// downward (wrapping to the top), deletes the stale ones (recording each as an expired-key
    /// event and in `expired_keys`), and folds the live ones' TTLs into `avg_ttl`.
    /// Returns (sampled, expired).
    pub(super) fn expire_round(&mut self, now_ms: u64, max: usize) -> (usize, usize) {
        let len = self.volatile.len();
        if len == 0 {
            self.avg_ttl_ms = 0;
            return (0, 0);
        }
        let mut pos = if self.expire_cursor == 0 || self.expire_cursor > len {
            len
        } else {
            self.expire_cursor
        };
        let (mut sampled, mut expired) = (0, 0);
        let (mut ttl_sum, mut ttl_samples) = (0u64, 0u64);
        for _ in 0..max.min(len) {
            if pos == 0 {
                // Pass complete: restart at the top.
                pos = self.volatile.len();
                if pos == 0 {
                    break;
                }
            }
            pos -= 1;
            let Some(&slot) = self.volatile.get(pos) else {
                break;
            };
            sampled += 1;
            if now_ms > slot.at_ms {
                self.expire_index(slot.idx as usize);
                expired += 1;
            } else if slot.at_ms > now_ms {
                ttl_sum = ttl_sum.saturating_add(slot.at_ms - now_ms);
                ttl_samples += 1;
            }
        }
        self.expire_cursor = pos;
        if let Some(avg) = ttl_sum.checked_div(ttl_samples) {
            if self.avg_ttl_ms == 0 {
                self.avg_ttl_ms = avg;
            }
            // Redis: a moving average weighting the old estimate 49/50.
            self.avg_ttl_ms = (self.avg_ttl_ms / 50) * 49 + avg / 50;
        }
        (sampled, expired)
    }
}

impl Keyspace {
    /// Active expiry (Redis `activeExpireCycle`): visits each db in turn, starting where the
    /// last call stopped, deleting stale volatile keys until a round finds at most 10% stale or
    /// `budget` of wall time has been used (checked every 16 rounds, so one call overshoots by at
    /// most 16 × 20 key checks). Every deleted key is recorded as an expired-key event of its db
    /// and counted in `expired_keys`. `now_ms` is the cached loop time used for deadlines.
    /// Returns the number of keys deleted.
    pub fn active_expire_cycle(&mut self, now_ms: u64, budget: Duration) -> usize {
        let start = Instant::now();
        let n = self.active_expire_cycle_with(now_ms, || start.elapsed() > budget);
        self.cycle.time_used_us = self
            .cycle
            .time_used_us
            .saturating_add(start.elapsed().as_micros() as u64);
        n
    }

    /// [`active_expire_cycle`](Self::active_expire_cycle) with the clock check supplied by the
    /// caller: `timed_out` is called every 16 rounds and ends the cycle when it returns true.
    pub fn active_expire_cycle_with(
        &mut self,
        now_ms: u64,
        mut timed_out: impl FnMut() -> bool,
    ) -> usize {
        let ndb = self.dbs.len();
        if ndb == 0 {
            return 0;
        }
        self.cycle.timelimit_exit = false;
        let mut rounds = 0u32;
        let (mut total_sampled, mut total_expired) = (0usize, 0usize);
        for _ in 0..ndb {
            if self.cycle.timelimit_exit {
                break;
            }
            let db_index = self.cycle.current_db % ndb;
            self.cycle.current_db = (db_index + 1) % ndb;
            let Some(db) = self.dbs.get_mut(db_index) else {
                break;
            };
            loop {
                rounds += 1;
                let (sampled, expired) = db.expire_round(now_ms, KEYS_PER_LOOP);
                total_sampled += sampled;
                total_expired += expired;
                if rounds.is_multiple_of(ROUNDS_PER_CLOCK_CHECK) && timed_out() {
                    self.cycle.timelimit_exit = true;
                    self.cycle.time_cap_reached_count += 1;
                    // Resume with this db next time: it may still hold stale keys.
                    self.cycle.current_db = db_index;
                    break;
                }
                if sampled == 0 || expired * 100 / sampled <= ACCEPTABLE_STALE_PERC {
                    break;
                }
            }
        }
        let current = if total_sampled > 0 {
            total_expired as f64 / total_sampled as f64
        } else {
            0.0
        };
        self.cycle.stale_perc = current * 0.05 + self.cycle.stale_perc * 0.95;
        total_expired
    }

    /// Whether the fast (before-sleep) cycle is worth running: Redis skips it unless the last
    /// cycle hit its time limit or the estimated stale fraction is above 10%.
    pub fn fast_expire_wanted(&self) -> bool {
        self.cycle.timelimit_exit || self.cycle.stale_perc * 100.0 >= ACCEPTABLE_STALE_PERC as f64
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::check_invariants;
    use super::super::{Keyspace, SetExpire, Value};
    use super::*;
    use rand::rngs::StdRng;
    use rand::{RngExt, SeedableRng};

    const NOW: u64 = 1_700_000_000_000;

    #[test]
    fn mass_expiry_is_bounded_per_call_and_complete() {
        let mut ks = Keyspace::with_seed(1, 1);
        let n = 200_000;
        for i in 0..n {
            ks.dbs[0].set(
                format!("k{i}").as_bytes(),
                Value::int(i),
                SetExpire::At(NOW + 1000),
                NOW,
            );
        }
        for i in 0..1000 {
            ks.dbs[0].set(
                format!("live{i}").as_bytes(),
                Value::int(i),
                SetExpire::Clear,
                NOW,
            );
        }
        let later = NOW + 2000;
        // A fake clock that says "out of time" at the second check: at most 2 × 16 rounds.
        let bound = 2 * ROUNDS_PER_CLOCK_CHECK as usize * KEYS_PER_LOOP;
        let mut calls = 0;
        let mut total = 0;
        while ks.dbs[0].volatile_len() > 0 {
            let mut checks = 0;
            let got = ks.active_expire_cycle_with(later, || {
                checks += 1;
                checks >= 2
            });
            assert!(got <= bound, "call {calls} expired {got} > {bound}");
            assert!(got > 0);
            total += got;
            calls += 1;
            assert!(calls < 10_000);
        }
        assert_eq!(total, n as usize);
        assert_eq!(ks.dbs[0].len(), 1000);
        assert_eq!(ks.stats().expired_keys, n as u64);
        assert_eq!(ks.dbs[0].drain_expired().count(), n as usize);
        assert!(ks.stats().expired_time_cap_reached_count > 0);
        check_invariants(&ks.dbs[0]);
    }

    #[test]
    fn cycle_stops_when_few_keys_are_stale() {
        let mut ks = Keyspace::with_seed(1, 3);
        let mut rng = StdRng::seed_from_u64(3);
        for i in 0..10_000 {
            // 2% stale, the rest far in the future.
            let at = if rng.random_bool(0.02) {
                NOW + 1
            } else {
                NOW + 1_000_000
            };
            ks.dbs[0].set(
                format!("k{i}").as_bytes(),
                Value::int(i),
                SetExpire::At(at),
                NOW,
            );
        }
        let mut checks = 0;
        ks.active_expire_cycle_with(NOW + 10, || {
            checks += 1;
            false
        });
        // With ~2% stale the first round(s) fall under 10% and the cycle ends quickly.
        assert_eq!(checks, 0);
        assert!(ks.dbs[0].len() > 9_000);
        assert!(!ks.fast_expire_wanted());
        let ttl = ks.dbs[0].avg_ttl_ms();
        assert!(ttl > 0 && ttl <= 1_000_000, "{ttl}");
        // Repeated cycles eventually reach every stale key thanks to the cursor.
        for _ in 0..2000 {
            ks.active_expire_cycle_with(NOW + 10, || false);
        }
        let stale_left = ks.dbs[0]
            .iter()
            .filter(|(_, _, at)| at.is_some_and(|a| a < NOW + 10))
            .count();
        assert_eq!(stale_left, 0);
        check_invariants(&ks.dbs[0]);
    }

    #[test]
    fn cycle_visits_all_dbs_round_robin() {
        let mut ks = Keyspace::with_seed(4, 4);
        for db in 0..4 {
            for i in 0..30 {
                ks.dbs[db].set(
                    format!("k{i}").as_bytes(),
                    Value::int(i),
                    SetExpire::At(NOW),
                    NOW,
                );
            }
        }
        let n = ks.active_expire_cycle_with(NOW + 1, || false);
        assert_eq!(n, 120);
        for db in &mut ks.dbs {
            assert_eq!(db.len(), 0);
            assert_eq!(db.drain_expired().count(), 30);
        }
    }
}
