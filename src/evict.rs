//! Enforcing `maxmemory` and `maxkeys`: when to evict, how much, and what an eviction does.
//! Follows redis src/evict.c `performEvictions` (victim selection is `keyspace::evict`).
//!
//! **Limits.** Over `maxmemory` means `used_memory` (the counting allocator, `crate::alloc`)
//! minus memory left out (`Core::not_counted_memory`: the AOF buffer, as in Redis, and free
//! key-table slots) above the limit. `maxkeys` (an InMemDB extension, the original's
//! key-count cap, summed over all dbs) is the key-count reading of Redis's rule "before a command, evict until under the limit": a
//! command that may add data (DENYOOM) needs room for one more key, `keys < maxkeys`; any other
//! command only needs `keys <= maxkeys`. So after a single-key write the count is at most
//! `maxkeys` (as the memory is at most `maxmemory` plus one write) and reads never evict.
//!
//! **How much.** Memory: until under the limit. Keys: down to the limit above, or with
//! `maxkeys-eviction-ratio r > 0` (the original's bulk eviction, 0.4 = 40%) down to
//! `maxkeys · (1 − r)` at once, so bulk mode evicts rarely and in batches.
//!
//! **When.** Before every command (dispatch calls `evict_before_command`), like Redis. Each call
//! works at most [`EVICTION_SLICE`]; if that was not enough but keys were freed, eviction
//! continues in `before_sleep` one slice per loop turn (the event loop does not sleep meanwhile)
//! and commands keep running, as with Redis's `EVICT_RUNNING`; DENYOOM commands get `-OOM` only
//! when nothing can be evicted (`noeviction`, or no candidate). Lowering a limit with CONFIG
//! SET therefore evicts down in slices while clients are served.
//!
//! **Effects of one eviction**, in Redis's order: WATCH invalidation, the `evicted` keyspace
//! event, `DEL` propagated to the AOF, `evicted_keys` counted.

use std::time::{Duration, Instant};

use crate::config::{Config, MaxmemoryPolicy};
use crate::keyspace::evict::EvictPolicy;
use crate::server::Core;
use crate::server::hooks::notify;

/// Time one eviction call may take (Redis: 500 µs at the default `maxmemory-eviction-tenacity`).
pub const EVICTION_SLICE: Duration = Duration::from_micros(500);
/// Evictions between clock reads (Redis checks the time every 16 keys too).
const KEYS_PER_CLOCK_CHECK: u64 = 16;

/// Redis's `EVICT_OK` / `EVICT_RUNNING` / `EVICT_FAIL`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EvictResult {
    /// Under every limit (now or already).
    Ok,
    /// Still over, but keys were freed and the slice ran out: continues next loop turn.
    Running,
    /// Still over and nothing can be evicted.
    Fail,
}

/// Eviction progress kept between slices.
#[derive(Debug, Default)]
pub struct EvictionState {
    /// A slice ended with work left; `before_sleep` continues it.
    pub running: bool,
    /// Key-count target of a bulk eviction in progress (`maxkeys-eviction-ratio`).
    pub keys_target: Option<usize>,
}

impl From<MaxmemoryPolicy> for EvictPolicy {
    fn from(p: MaxmemoryPolicy) -> Self {
        match p {
            MaxmemoryPolicy::VolatileLru => EvictPolicy::VolatileLru,
            MaxmemoryPolicy::VolatileLfu => EvictPolicy::VolatileLfu,
            MaxmemoryPolicy::VolatileRandom => EvictPolicy::VolatileRandom,
            MaxmemoryPolicy::VolatileTtl => EvictPolicy::VolatileTtl,
            MaxmemoryPolicy::AllkeysLru => EvictPolicy::AllkeysLru,
            MaxmemoryPolicy::AllkeysLfu => EvictPolicy::AllkeysLfu,
            MaxmemoryPolicy::AllkeysRandom => EvictPolicy::AllkeysRandom,
            MaxmemoryPolicy::NoEviction => EvictPolicy::NoEviction,
            MaxmemoryPolicy::SimpleFirst => EvictPolicy::Fifo,
            MaxmemoryPolicy::AllkeysS3Fifo => EvictPolicy::S3Fifo,
        }
    }
}

/// The key count allowed before a command: `maxkeys − 1` when it may add a key.
fn keys_limit(cfg: &Config, may_grow: bool) -> usize {
    let max = usize::try_from(cfg.maxkeys).unwrap_or(usize::MAX);
    if may_grow { max.saturating_sub(1) } else { max }
}

/// How far to evict once the key limit is exceeded: the limit, or the bulk target.
fn keys_target(cfg: &Config, may_grow: bool) -> usize {
    let max = usize::try_from(cfg.maxkeys).unwrap_or(usize::MAX);
    let ratio = cfg.maxkeys_eviction_ratio.clamp(0.0, 1.0);
    let bulk = (max as f64 * (1.0 - ratio)).floor() as usize;
    bulk.min(keys_limit(cfg, may_grow))
}

/// Names whose change affects eviction (`config_changed` reacts to these).
pub const CONFIG_NAMES: &[&str] = &[
    "maxmemory",
    "maxmemory-policy",
    "maxmemory-samples",
    "maxkeys",
    "maxkeys-eviction-ratio",
    "lfu-log-factor",
    "lfu-decay-time",
];

/// Apply the eviction settings to the keyspace (at startup and after CONFIG SET): lookups
/// maintain the metadata the policy needs. Lowered limits are enforced by the next slice.
pub fn configure(core: &mut Core) {
    let cfg = &core.config;
    let policy = EvictPolicy::from(cfg.maxmemory_policy).meta_policy(
        u32::try_from(cfg.lfu_log_factor).unwrap_or(u32::MAX),
        u32::try_from(cfg.lfu_decay_time).unwrap_or(u32::MAX),
    );
    core.keyspace.set_meta_policy(policy);
}

impl Core {
    /// Bytes counted against `maxmemory`.
    pub fn used_memory_for_eviction(&self) -> usize {
        crate::alloc::used_memory().saturating_sub(self.not_counted_memory())
    }

    fn over_memory(&self) -> bool {
        self.config.maxmemory > 0 && self.used_memory_for_eviction() as u64 > self.config.maxmemory
    }

    /// Whether any limit is exceeded now, for a command that may (`may_grow`) or may not add
    /// data.
    pub fn over_limits(&self, may_grow: bool) -> bool {
        self.over_memory()
            || (self.config.maxkeys > 0
                && self.keyspace.total_keys() > keys_limit(&self.config, may_grow))
    }

    /// Redis `performEvictions`: evict until under every limit, for at most `budget` (`None`:
    /// until done). `may_grow`: about to run a DENYOOM command (needs room for a key). Returns
    /// how it ended and how many keys were evicted.
    pub fn perform_evictions(
        &mut self,
        budget: Option<Duration>,
        may_grow: bool,
    ) -> (EvictResult, u64) {
        // Replaying the AOF must not lose data to eviction (Redis `isSafeToPerformEvictions`).
        if self.loading || (self.config.maxmemory == 0 && self.config.maxkeys == 0) {
            self.eviction.running = false;
            self.eviction.keys_target = None;
            return (EvictResult::Ok, 0);
        }
        if self.config.maxkeys > 0
            && self.keyspace.total_keys() > keys_limit(&self.config, may_grow)
        {
            let t = keys_target(&self.config, may_grow);
            self.eviction.keys_target = Some(self.eviction.keys_target.map_or(t, |o| o.min(t)));
        }
        let keys_over = |core: &Core| {
            core.eviction
                .keys_target
                .is_some_and(|t| core.keyspace.total_keys() > t)
        };
        if !self.over_memory() && !keys_over(self) {
            self.eviction.running = false;
            self.eviction.keys_target = None;
            return (EvictResult::Ok, 0);
        }
        let policy = EvictPolicy::from(self.config.maxmemory_policy);
        let samples = usize::try_from(self.config.maxmemory_samples).unwrap_or(5);
        let start = Instant::now();
        let mut evicted = 0u64;
        let result = loop {
            if !self.over_memory() && !keys_over(self) {
                break EvictResult::Ok;
            }
            let now = self.now_ms;
            let Some((db, removed)) = self.keyspace.evict_one(policy, samples, now) else {
                break EvictResult::Fail;
            };
            // Free the value before measuring again; the key is still needed for the effects.
            drop(removed.value);
            let key = removed.key.as_bytes();
            self.signal_modified_key(db, key);
            self.notify_keyspace_event(notify::EVICTED, "evicted", key, db);
            self.propagate(db, &[b"DEL", key]);
            self.stats.evicted_keys += 1;
            evicted += 1;
            if let Some(b) = budget
                && evicted.is_multiple_of(KEYS_PER_CLOCK_CHECK)
                && start.elapsed() >= b
            {
                break if !self.over_memory() && !keys_over(self) {
                    EvictResult::Ok
                } else {
                    EvictResult::Running
                };
            }
        };
        self.eviction.running = result == EvictResult::Running;
        if result != EvictResult::Running {
            self.eviction.keys_target = None;
        }
        (result, evicted)
    }

    /// One eviction pass run to completion now (the `LRU` command): under `maxmemory` until
    /// under the limit; under `maxkeys` down to the pass's target, `maxkeys · (1 − r)` with
    /// `maxkeys-eviction-ratio r` (or `maxkeys − 1`), even before the cap is reached: the
    /// original's "evict now". Returns the number of keys evicted.
    pub fn eviction_pass(&mut self) -> u64 {
        if self.config.maxkeys > 0 {
            self.eviction.keys_target = Some(keys_target(&self.config, true));
        }
        self.perform_evictions(None, false).1
    }

    /// One slice of an eviction left unfinished by an earlier call (`before_sleep`).
    pub fn eviction_slice(&mut self) {
        if self.eviction.running {
            self.perform_evictions(Some(EVICTION_SLICE), false);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bulk_target() {
        let mut c = Config {
            maxkeys: 1000,
            ..Config::default()
        };
        assert_eq!(keys_target(&c, true), 999);
        assert_eq!(keys_target(&c, false), 1000);
        c.maxkeys_eviction_ratio = 0.4;
        assert_eq!(keys_target(&c, true), 600);
        assert_eq!(keys_target(&c, false), 600);
        c.maxkeys_eviction_ratio = 1.0;
        assert_eq!(keys_target(&c, true), 0);
        c.maxkeys = 1;
        c.maxkeys_eviction_ratio = 0.0;
        assert_eq!(keys_target(&c, true), 0);
        assert_eq!(keys_target(&c, false), 1);
    }

    #[test]
    fn every_policy_maps() {
        for p in MaxmemoryPolicy::ALL {
            let e = EvictPolicy::from(*p);
            assert_eq!(
                e.volatile_only(),
                p.name().starts_with("volatile"),
                "{}",
                p.name()
            );
        }
    }
}
