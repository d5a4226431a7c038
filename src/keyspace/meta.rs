//! Per-key access metadata: the 32-bit word each [`Entry`](super::Entry) carries for eviction.
//!
//! Follows redis src/evict.c (LRU clock, LFU log counter) and the `lru` field of `robj`:
//! - LRU: unix time in **milliseconds**, truncated to 32 bits, when the key was last touched.
//!   Redis keeps seconds, so under fast turnover (the whole cache replaced within a second or
//!   two) most candidates share one stamp and its sampled LRU degrades to random eviction; at
//!   1 ms the order survives any realistic turnover. The price is the wrap: ages are
//!   `now.wrapping_sub(meta)`, exact up to 49.7 days (Redis's 24-bit seconds wrap at 194 days);
//!   a key idle longer looks younger than it is, as in Redis after its wrap.
//! - LFU: `minutes(16) << 8 | counter(8)`, exactly Redis's layout: a logarithmic access counter
//!   that starts at 5 (`LFU_INIT_VAL`) and decays by one every `lfu-decay-time` minutes.
//! - FIFO (InMemDB's `simple-first` policy): the LRU clock at creation, never touched. Overwriting
//!   a key keeps its creation stamp. The eviction order itself comes from an insertion queue
//!   (`keyspace::evict`), the stamp only serves OBJECT IDLETIME (time since creation).
//! - S3-FIFO (`allkeys-s3fifo`): the LRU clock with its low 3 bits replaced by the policy's
//!   state: bits 0–1 a saturating access counter (0..=3), bit 2 set while the key is in the main
//!   queue rather than the small one (`keyspace::s3fifo`).
//!
//! [`lru_idle_ms`] reads LRU, FIFO and S3-FIFO words alike (at 8 ms resolution), so OBJECT
//! IDLETIME works under every non-LFU policy. The eviction pool itself (sampling and choosing
//! victims) lives with the policy code; this module only defines what lookups write and how to
//! read it back.

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
    /// `allkeys-s3fifo`: LRU clock plus the S3-FIFO state bits.
    S3Fifo,
}

/// The LRU clock: unix milliseconds, truncated to 32 bits.
#[inline]
pub fn lru_clock(now_ms: u64) -> u32 {
    now_ms as u32
}

/// S3-FIFO state bits in the low end of the word.
const S3_FREQ_MASK: u32 = 0b11;
const S3_MAIN: u32 = 0b100;
const S3_STATE_MASK: u32 = 0b111;

/// S3-FIFO: the saturating access counter (0..=3).
#[inline]
pub fn s3_freq(meta: u32) -> u8 {
    (meta & S3_FREQ_MASK) as u8
}

/// S3-FIFO: whether the key sits in the main queue.
#[inline]
pub fn s3_in_main(meta: u32) -> bool {
    meta & S3_MAIN != 0
}

/// S3-FIFO: the word with its state replaced (clock kept).
#[inline]
pub fn s3_with(meta: u32, in_main: bool, freq: u8) -> u32 {
    (meta & !S3_STATE_MASK) | if in_main { S3_MAIN } else { 0 } | (u32::from(freq.min(3)))
}

/// LRU age in ms for eviction ranking (full resolution; wraps after 49.7 days).
#[inline]
pub fn lru_age_ms(meta: u32, now_ms: u64) -> u32 {
    lru_clock(now_ms).wrapping_sub(meta)
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
        // A new key enters the small queue unaccessed (the keyspace moves a ghost hit to main).
        MetaPolicy::S3Fifo => lru_clock(now_ms) & !S3_STATE_MASK,
    }
}

/// Metadata when a value is replaced (Redis `dbOverwrite`: LFU keeps the old counter, LRU is
/// a fresh object). FIFO keeps the creation stamp; S3-FIFO keeps its queue and counter.
pub fn overwrite_meta(policy: MetaPolicy, old: u32, now_ms: u64) -> u32 {
    match policy {
        MetaPolicy::Lru => lru_clock(now_ms),
        MetaPolicy::Lfu { .. } | MetaPolicy::Fifo => old,
        MetaPolicy::S3Fifo => (lru_clock(now_ms) & !S3_STATE_MASK) | (old & S3_STATE_MASK),
    }
}

/// The word for a key re-created from a removed one (RENAME, MOVE keep the access
/// metadata, as Redis moves the object): `old`, except that under S3-FIFO the queue state of
/// the new entry (`fresh`, set when it was queued) is kept, so the queues' counts stay right.
pub fn carry_over(policy: MetaPolicy, fresh: u32, old: u32) -> u32 {
    match policy {
        MetaPolicy::S3Fifo => (old & !S3_STATE_MASK) | (fresh & S3_STATE_MASK),
        _ => old,
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
        MetaPolicy::S3Fifo => {
            let freq = (*meta & S3_FREQ_MASK).saturating_add(1).min(3);
            *meta = (lru_clock(now_ms) & !S3_STATE_MASK) | (*meta & S3_MAIN) | freq;
        }
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

/// Approximate idle time in ms for an LRU, FIFO or S3-FIFO word (Redis
/// `estimateObjectIdleTime`; OBJECT IDLETIME divides by 1000). The low 3 bits are ignored on
/// both sides, so S3-FIFO's state bits never make an age negative (it would wrap to 49 days).
pub fn lru_idle_ms(meta: u32, now_ms: u64) -> u64 {
    u64::from((lru_clock(now_ms) & !S3_STATE_MASK).wrapping_sub(meta & !S3_STATE_MASK))
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
        assert_eq!(lru_idle_ms(m, 1_005_504), 5504);
        assert_eq!(lru_age_ms(m, 1_005_503), 5503);
        touch(&mut m, MetaPolicy::Lru, 1_010_000, &mut rng);
        assert_eq!(lru_idle_ms(m, 1_010_000), 0);
        assert_eq!(lru_age_ms(m, 1_010_001), 1);
        // Ages survive the 32-bit wrap of the ms clock.
        let t = (1u64 << 32) - 10;
        let w = new_meta(MetaPolicy::Lru, t);
        assert_eq!(lru_age_ms(w, t + 30), 30);
        let mut f = new_meta(MetaPolicy::Fifo, 1_000_000);
        touch(&mut f, MetaPolicy::Fifo, 9_000_000, &mut rng);
        assert_eq!(f, lru_clock(1_000_000));
    }

    #[test]
    fn s3fifo_bits() {
        let mut rng = StdRng::seed_from_u64(1);
        let now = 1_000_003;
        let mut m = new_meta(MetaPolicy::S3Fifo, now);
        assert_eq!((s3_freq(m), s3_in_main(m)), (0, false));
        for expect in [1, 2, 3, 3] {
            touch(&mut m, MetaPolicy::S3Fifo, now + 100, &mut rng);
            assert_eq!(s3_freq(m), expect);
        }
        assert!(lru_idle_ms(m, now + 100) < 8);
        m = s3_with(m, true, 1);
        assert_eq!((s3_freq(m), s3_in_main(m)), (1, true));
        touch(&mut m, MetaPolicy::S3Fifo, now + 5000, &mut rng);
        assert_eq!((s3_freq(m), s3_in_main(m)), (2, true));
        let o = overwrite_meta(MetaPolicy::S3Fifo, m, now + 9000);
        assert_eq!((s3_freq(o), s3_in_main(o)), (2, true));
        assert!(lru_idle_ms(o, now + 9000) < 8);
        // RENAME/MOVE carry the clock over but keep the new entry's queue state.
        let fresh = s3_with(new_meta(MetaPolicy::S3Fifo, now + 9000), false, 0);
        let moved = carry_over(MetaPolicy::S3Fifo, fresh, o);
        assert_eq!((s3_freq(moved), s3_in_main(moved)), (0, false));
        assert_eq!(moved & !7, o & !7);
        assert_eq!(carry_over(MetaPolicy::Lru, fresh, o), o);
        // State bits never make the idle time wrap.
        assert_eq!(lru_idle_ms(s3_with(m, true, 3), now + 5000), 0);
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
