//! Server-wide counters for INFO. Plain integers: one thread, no atomics.

#[derive(Debug, Default, Clone)]
pub struct Stats {
    pub total_connections_received: u64,
    pub total_commands_processed: u64,
    pub total_net_input_bytes: u64,
    pub total_net_output_bytes: u64,
    pub rejected_connections: u64,
    pub evicted_keys: u64,
    pub total_error_replies: u64,
    /// Clients closed for exceeding client-output-buffer-limit.
    pub client_output_buffer_limit_disconnections: u64,
    /// Clients closed for exceeding client-query-buffer-limit.
    pub client_query_buffer_limit_disconnections: u64,
    /// Ring of (ms, commands) samples for instantaneous_ops_per_sec.
    pub ops_samples: [u64; 16],
    pub ops_sample_idx: usize,
    pub last_sample_ms: u64,
    pub last_sample_cmds: u64,
}

impl Stats {
    /// Record an ops/sec sample (called from cron about every 100 ms).
    pub fn sample_ops(&mut self, now_ms: u64) {
        let dt = now_ms.saturating_sub(self.last_sample_ms);
        if dt == 0 {
            return;
        }
        let ops = self.total_commands_processed - self.last_sample_cmds;
        self.ops_samples[self.ops_sample_idx % 16] = ops * 1000 / dt;
        self.ops_sample_idx += 1;
        self.last_sample_ms = now_ms;
        self.last_sample_cmds = self.total_commands_processed;
    }

    pub fn instantaneous_ops_per_sec(&self) -> u64 {
        let n = self.ops_sample_idx.min(16) as u64;
        if n == 0 {
            return 0;
        }
        self.ops_samples.iter().sum::<u64>() / n
    }

    /// CONFIG RESETSTAT.
    pub fn reset(&mut self) {
        *self = Stats {
            last_sample_ms: self.last_sample_ms,
            ..Default::default()
        };
    }
}
