//! Periodic work at `hz` (Redis's serverCron): stats sampling, idle client
//! timeouts, giving back query-buffer memory. Active expiry, eviction and
//! AOF child reaping hook in here too.

use std::time::Duration;

use super::Server;
use super::client::flags;

/// Longest single slow active-expire cycle.
const SLOW_EXPIRE_MAX: Duration = Duration::from_millis(2);
/// Longest incremental-rehash run per cron tick, and positions moved between clock reads.
const REHASH_MAX: Duration = Duration::from_millis(1);
const REHASH_STEP: usize = 100;

impl Server {
    pub(crate) fn cron(&mut self) {
        let now = self.core.now_ms;
        self.core.stats.sample_ops(now);
        crate::alloc::update_peak();
        // Slow active-expire cycle: 25% of a cron period as in Redis expire.c, but
        // never more than SLOW_EXPIRE_MAX in one go: a mass expiry continues in
        // fast cycles between client turns instead of stalling them for 25 ms.
        if self.core.active_expire_enabled {
            let budget = Duration::from_micros(250_000 / self.core.config.hz.clamp(1, 500))
                .min(SLOW_EXPIRE_MAX);
            self.core.keyspace.active_expire_cycle(now, budget);
            self.core.propagate_expired();
        }
        // Give back table memory after mass deletion (Redis tryResizeHashTables),
        // but not under a fork child (rehashing would copy every shared page) nor
        // while a mass expiry is still draining the table (one rehash at the end
        // is cheaper, and this one is not sliced).
        if !self.core.aof.rewrite_in_progress() && !self.core.keyspace.fast_expire_wanted() {
            for db in &mut self.core.keyspace.dbs {
                db.shrink_if_sparse();
            }
        }
        // Under maxmemory, give back free entry slots (a doubled vector's free half) that
        // the eviction check does not count, so used_memory itself stays near the limit.
        if self.core.config.maxmemory > 0
            && crate::alloc::used_memory() as u64 > self.core.config.maxmemory
        {
            for db in &mut self.core.keyspace.dbs {
                db.trim_free_slots();
            }
        }
        // Whether a large key table may allocate its next index ahead of time (see
        // keyspace::table::PREPARE_HEADROOM): only within maxmemory, as the eviction check
        // counts it, and below maxkeys.
        let headroom = match self.core.config.maxmemory {
            0 => usize::MAX,
            max => usize::try_from(max)
                .unwrap_or(usize::MAX)
                .saturating_sub(self.core.used_memory_for_eviction()),
        };
        let key_cap = match self.core.config.maxkeys {
            0 => usize::MAX,
            n => usize::try_from(n).unwrap_or(usize::MAX),
        };
        crate::keyspace::table::set_prepare_limits(headroom, key_cap);
        // Move growing/shrinking key tables along (Redis's activerehashing: up to 1 ms per
        // tick), so a table that stopped receiving writes still finishes its move. Not under
        // a fork child, for the same copy-on-write reason as above.
        if !self.core.aof.rewrite_in_progress() {
            let deadline = std::time::Instant::now() + REHASH_MAX;
            for db in &mut self.core.keyspace.dbs {
                while db.rehash_step(REHASH_STEP) && std::time::Instant::now() < deadline {}
            }
        }
        crate::persistence::cron(&mut self.core);
        let timeout_ms = self.core.config.timeout.saturating_mul(1000);
        let mut idle = Vec::new();
        for c in self.core.clients.iter_mut() {
            c.conn.qbuf.shrink_if_idle();
            // Subscribers only listen, so they are never idle (as in Redis).
            if timeout_ms > 0
                && c.st.subscriptions == 0
                && now.saturating_sub(c.st.last_interaction_ms) > timeout_ms
                && !c.st.has(flags::CLOSE_ASAP)
            {
                idle.push(c.st.token);
            }
        }
        for tok in idle {
            tracing::debug!("Closing idle client");
            self.free_client(tok);
        }
    }
}
