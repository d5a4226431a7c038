//! Per-key access metadata: the 32-bit word each [`Entry`](super::Entry) carries for eviction.
//!
//! Follows redis src/evict.c (LRU clock, LFU log counter) and the `lru` field of `robj`:
//! - LRU: seconds of unix time when the key was last touched (Redis keeps 24 bits at 1 s
//!   resolution and wraps every 194 days; 32 bits wrap in 136 years, so we never need Redis's
//!   wrap handling). Ages are `now.wrapping_sub(meta)`.
//! - LFU: `minutes(16) << 8 | counter(8)`, exactly Redis's layout: a logarithmic access counter
//!   that starts at 5 (`LFU_INIT_VAL`) and decays by one every `lfu-decay-time` minutes.
//! - FIFO (InMemDB's `simple-first` policy): the LRU clock at creation, never touched, so the
//!   smallest value is the oldest key. Overwriting a key keeps its creation stamp.
//!
//! The eviction pool itself (sampling and choosing victims) lives with the policy code; this
//! module only defines what lookups write and how to read it back.

use rand::{Rng, RngExt};

/// Redis `LFU_INIT_VAL`: new keys start here so they are not evicted before they get a chance.
pub const LFU_INIT_VAL: u8 = 5;

/// How lookups maintain the metadata word. Mirrors the `maxmemory-policy` family
/// (`MAXMEMORY_FLAG_LFU` selects LFU; every other policy, including `noeviction`, keeps LRU, as
/// Redis does, so that OBJECT IDLETIME works).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MetaPolicy {
    #[default]
    Lru,
    /// `lfu-log-factor` and `lfu-decay-time` (minutes, 0 = never decay).
    Lfu {
        log_factor: u32,
        decay_time_min: u32,
    },
    Fifo,
}

/// The LRU clock: unix seconds, truncated to 32 bits.
#[inline]
pub fn lru_clock(now_ms: u64) -> u32 {
    (now_ms / 1000) as u32
}

/// Redis `LFUGetTimeInMinutes`: unix minutes modulo 2^16.
#[inline]
fn lfu_minutes(now_ms: u64) -> u16 {
    (now_ms / 60_000) as u16
}

/// Metadata for a key created now (Redis `createObject`).
pub fn new_meta(policy: MetaPolicy, now_ms: u64) -> u32 {
    match policy {
        MetaPolicy::Lru | MetaPolicy::Fifo => lru_clock(now_ms),
        MetaPolicy::Lfu { .. } => lfu_pack(lfu_minutes(now_ms), LFU_INIT_VAL),
    }
}

/// Metadata when a value is replaced (Redis `dbOverwrite`: LFU keeps the old counter, LRU is
/// a fresh object). FIFO keeps the creation stamp.
pub fn overwrite_meta(policy: MetaPolicy, old: u32, now_ms: u64) -> u32 {
    match policy {
        MetaPolicy::Lru => lru_clock(now_ms),
        MetaPolicy::Lfu { .. } | MetaPolicy::Fifo => old,
    }
}

/// Records an access (Redis `lookupKey` → `updateLFU` or `val->lru = LRU_CLOCK()`).
#[inline]
pub fn touch(meta: &mut u32, policy: MetaPolicy, now_ms: u64, rng: &mut impl Rng) {
    match policy {
        MetaPolicy::Lru => *meta = lru_clock(now_ms),
        MetaPolicy::Lfu {
            log_factor,
            decay_time_min,
        } => {
            let counter = lfu_decr_and_return(*meta, decay_time_min, now_ms);
            let counter = lfu_log_incr(counter, log_factor, rng);
            *meta = lfu_pack(lfu_minutes(now_ms), counter);
        }
        MetaPolicy::Fifo => {}
    }
}

fn lfu_pack(minutes: u16, counter: u8) -> u32 {
    (u32::from(minutes) << 8) | u32::from(counter)
}

/// Redis `LFULogIncr`: increments with probability 1 / ((counter − 5) · factor + 1).
fn lfu_log_incr(counter: u8, log_factor: u32, rng: &mut impl Rng) -> u8 {
    if counter == u8::MAX {
        return counter;
    }
    let base = f64::from(counter.saturating_sub(LFU_INIT_VAL));
    let p = 1.0 / (base * f64::from(log_factor) + 1.0);
    if rng.random::<f64>() < p {
        counter + 1
    } else {
        counter
    }
}

/// Redis `LFUDecrAndReturn`: the counter after decaying one step per `decay_time_min` minutes
/// elapsed since the stored stamp (16-bit minute clock, wrap-aware). Does not write back.
pub fn lfu_decr_and_return(meta: u32, decay_time_min: u32, now_ms: u64) -> u8 {
    let stamp = (meta >> 8) as u16;
    let counter = meta as u8;
    if decay_time_min == 0 {
        return counter;
    }
    let elapsed = lfu_minutes(now_ms).wrapping_sub(stamp);
    let periods = u32::from(elapsed) / decay_time_min;
    counter.saturating_sub(periods.min(255) as u8)
}

/// Approximate idle time in ms for an LRU stamp (Redis `estimateObjectIdleTime`; OBJECT
/// IDLETIME divides by 1000).
pub fn lru_idle_ms(meta: u32, now_ms: u64) -> u64 {
    u64::from(lru_clock(now_ms).wrapping_sub(meta)) * 1000
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn lru_touch_and_idle() {
        let mut rng = StdRng::seed_from_u64(1);
        let mut m = new_meta(MetaPolicy::Lru, 1_000_000);
        assert_eq!(lru_idle_ms(m, 1_005_500), 5000);
        touch(&mut m, MetaPolicy::Lru, 1_010_000, &mut rng);
        assert_eq!(lru_idle_ms(m, 1_010_999), 0);
        let mut f = new_meta(MetaPolicy::Fifo, 1_000_000);
        touch(&mut f, MetaPolicy::Fifo, 9_000_000, &mut rng);
        assert_eq!(f, lru_clock(1_000_000));
    }

    #[test]
    fn lfu_counter_grows_logarithmically_and_decays() {
        let policy = MetaPolicy::Lfu {
            log_factor: 10,
            decay_time_min: 1,
        };
        let mut rng = StdRng::seed_from_u64(2);
        let now = 3_600_000;
        let mut m = new_meta(policy, now);
        assert_eq!(m as u8, LFU_INIT_VAL);
        for _ in 0..100 {
            touch(&mut m, policy, now, &mut rng);
        }
        let c100 = m as u8;
        // Redis's table for factor 10: about 10 after 100 hits, far from saturated.
        assert!((8..=14).contains(&c100), "{c100}");
        for _ in 0..1_000_000 {
            touch(&mut m, policy, now, &mut rng);
        }
        assert!(m as u8 > 100, "{}", m as u8);
        // Three minutes later, three decay steps.
        assert_eq!(
            lfu_decr_and_return(m, 1, now + 3 * 60_000),
            (m as u8).saturating_sub(3)
        );
        assert_eq!(lfu_decr_and_return(m, 0, now + 3 * 60_000), m as u8);
    }
}
