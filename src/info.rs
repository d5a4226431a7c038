//! INFO: renders the sections Redis renders, with Redis's field names, from
//! Core's counters and config. Read-only. Follows redis server.c
//! `genRedisInfoString`.

use std::fmt::Write;

use crate::server::Core;
use crate::server::client::ClientState;

/// Sections in the order Redis prints them; `true` = part of the default set.
const SECTIONS: &[(&str, bool)] = &[
    ("server", true),
    ("clients", true),
    ("memory", true),
    ("persistence", true),
    ("stats", true),
    ("replication", true),
    ("cpu", true),
    ("modules", true),
    ("errorstats", true),
    ("cluster", true),
    ("keyspace", true),
    ("commandstats", false),
    ("latencystats", false),
];

/// Resident set size in bytes, from /proc (0 if unavailable).
pub fn rss_bytes() -> u64 {
    crate::alloc::rss_bytes() as u64
}

/// Redis's human-readable byte counts ("1.00M").
pub fn bytes_to_human(n: u64) -> String {
    let n = n as f64;
    const UNITS: &[(f64, &str)] = &[
        (1024.0 * 1024.0 * 1024.0 * 1024.0 * 1024.0, "P"),
        (1024.0 * 1024.0 * 1024.0 * 1024.0, "T"),
        (1024.0 * 1024.0 * 1024.0, "G"),
        (1024.0 * 1024.0, "M"),
        (1024.0, "K"),
    ];
    for &(scale, unit) in UNITS {
        if n >= scale {
            return format!("{:.2}{}", n / scale, unit);
        }
    }
    format!("{}B", n as u64)
}

fn cpu_times() -> (f64, f64) {
    // SAFETY: getrusage writes into the zeroed struct we pass.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    let ok = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) } == 0;
    if !ok {
        return (0.0, 0.0);
    }
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    (t(ru.ru_stime), t(ru.ru_utime))
}

/// Which sections a request selects: none → default; "all" → all but
/// modules-generated ones; "everything" → all; otherwise the named ones.
fn wanted(requested: &[String]) -> Vec<&'static str> {
    if requested.is_empty() || requested.iter().any(|s| s == "default") {
        let mut v: Vec<&str> = SECTIONS.iter().filter(|s| s.1).map(|s| s.0).collect();
        for r in requested {
            if let Some(s) = SECTIONS.iter().find(|s| s.0 == r)
                && !v.contains(&s.0)
            {
                v.push(s.0);
            }
        }
        return v;
    }
    if requested.iter().any(|s| s == "all" || s == "everything") {
        return SECTIONS.iter().map(|s| s.0).collect();
    }
    SECTIONS
        .iter()
        .filter(|s| requested.iter().any(|r| r == s.0))
        .map(|s| s.0)
        .collect()
}

pub fn render(core: &Core, me: &ClientState, requested: &[String]) -> String {
    let mut out = String::new();
    for section in wanted(requested) {
        if !out.is_empty() {
            out.push_str("\r\n");
        }
        match section {
            "server" => server(core, &mut out),
            "clients" => clients(core, &mut out),
            "memory" => memory(core, me, &mut out),
            "persistence" => persistence(core, &mut out),
            "stats" => stats(core, &mut out),
            "replication" => replication(core, &mut out),
            "cpu" => cpu(&mut out),
            "modules" => out.push_str("# Modules\r\n"),
            "errorstats" => out.push_str("# Errorstats\r\n"),
            "cluster" => out.push_str("# Cluster\r\ncluster_enabled:0\r\n"),
            "keyspace" => keyspace(core, &mut out),
            "commandstats" => out.push_str("# Commandstats\r\n"),
            "latencystats" => out.push_str("# Latencystats\r\n"),
            _ => {}
        }
    }
    out
}

fn server(core: &Core, o: &mut String) {
    let uptime = core.started.elapsed().as_secs();
    let port = core
        .tcp_addrs
        .first()
        .map(|a| a.port())
        .unwrap_or(core.config.port);
    let _ = write!(
        o,
        "# Server\r\n\
         redis_version:{}\r\n\
         inmemdb_version:{}\r\n\
         redis_git_sha1:00000000\r\n\
         redis_git_dirty:0\r\n\
         redis_build_id:0\r\n\
         redis_mode:standalone\r\n\
         os:{} {}\r\n\
         arch_bits:64\r\n\
         monotonic_clock:POSIX clock_gettime\r\n\
         multiplexing_api:epoll\r\n\
         atomicvar_api:c11-builtin\r\n\
         gcc_version:0.0.0\r\n\
         process_id:{}\r\n\
         process_supervised:no\r\n\
         run_id:{}\r\n\
         tcp_port:{}\r\n\
         server_time_usec:{}\r\n\
         uptime_in_seconds:{}\r\n\
         uptime_in_days:{}\r\n\
         hz:{}\r\n\
         configured_hz:{}\r\n\
         lru_clock:{}\r\n\
         executable:{}\r\n\
         config_file:{}\r\n\
         io_threads_active:0\r\n",
        crate::REDIS_VERSION,
        crate::VERSION,
        std::env::consts::OS,
        std::env::consts::ARCH,
        std::process::id(),
        core.run_id,
        port,
        core.now_ms * 1000,
        uptime,
        uptime / 86400,
        core.config.hz,
        core.config.hz,
        (core.now_ms / 1000) & ((1 << 24) - 1),
        core.executable,
        core.config_file
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
    );
}

fn clients(core: &Core, o: &mut String) {
    let _ = write!(
        o,
        "# Clients\r\n\
         connected_clients:{}\r\n\
         cluster_connections:0\r\n\
         maxclients:{}\r\n\
         client_recent_max_input_buffer:0\r\n\
         client_recent_max_output_buffer:0\r\n\
         blocked_clients:0\r\n\
         tracking_clients:0\r\n\
         clients_in_timeout_table:0\r\n",
        core.clients.len(),
        core.config.maxclients,
    );
}

fn memory(core: &Core, me: &ClientState, o: &mut String) {
    let mh = crate::commands::memory::overhead(core, me.reply.buf.capacity());
    let used = mh.total_allocated as u64;
    let rss = mh.rss as u64;
    let peak = mh.peak_allocated as u64;
    let sys = crate::alloc::total_system_memory();
    let frag_bytes = rss as i64 - used as i64;
    let dataset_perc = mh.dataset_perc();
    let _ = write!(
        o,
        "# Memory\r\n\
         used_memory:{used}\r\n\
         used_memory_human:{}\r\n\
         used_memory_rss:{rss}\r\n\
         used_memory_rss_human:{}\r\n\
         used_memory_peak:{peak}\r\n\
         used_memory_peak_human:{}\r\n\
         used_memory_peak_perc:{:.2}%\r\n\
         used_memory_overhead:{}\r\n\
         used_memory_startup:{}\r\n\
         used_memory_dataset:{}\r\n\
         used_memory_dataset_perc:{dataset_perc:.2}%\r\n\
         allocator_allocated:{used}\r\n\
         allocator_active:{}\r\n\
         allocator_resident:{rss}\r\n\
         total_system_memory:{sys}\r\n\
         total_system_memory_human:{}\r\n\
         maxmemory:{}\r\n\
         maxmemory_human:{}\r\n\
         maxmemory_policy:{}\r\n\
         maxkeys:{}\r\n\
         mem_fragmentation_ratio:{:.2}\r\n\
         mem_fragmentation_bytes:{frag_bytes}\r\n\
         mem_not_counted_for_evict:{}\r\n\
         mem_replication_backlog:0\r\n\
         mem_clients_slaves:0\r\n\
         mem_clients_normal:{}\r\n\
         mem_aof_buffer:{}\r\n\
         mem_allocator:libc\r\n\
         active_defrag_running:0\r\n\
         lazyfree_pending_objects:0\r\n\
         lazyfreed_objects:0\r\n",
        bytes_to_human(used),
        bytes_to_human(rss),
        bytes_to_human(peak),
        mh.peak_perc(),
        mh.overhead_total,
        mh.startup_allocated,
        mh.dataset,
        mh.allocator_active,
        bytes_to_human(sys),
        core.config.maxmemory,
        bytes_to_human(core.config.maxmemory),
        core.config.maxmemory_policy.name(),
        core.config.maxkeys,
        mh.frag_ratio(),
        core.not_counted_memory(),
        mh.clients_normal,
        mh.aof_buffer,
    );
}

fn persistence(core: &Core, o: &mut String) {
    crate::persistence::info(core, o);
}

fn stats(core: &Core, o: &mut String) {
    let s = &core.stats;
    let ks = core.keyspace.stats();
    let _ = write!(
        o,
        "# Stats\r\n\
         total_connections_received:{}\r\n\
         total_commands_processed:{}\r\n\
         instantaneous_ops_per_sec:{}\r\n\
         total_net_input_bytes:{}\r\n\
         total_net_output_bytes:{}\r\n\
         rejected_connections:{}\r\n\
         expired_keys:{}\r\n\
         expired_stale_perc:{:.2}\r\n\
         expired_time_cap_reached_count:{}\r\n\
         expire_cycle_cpu_milliseconds:{}\r\n\
         evicted_keys:{}\r\n\
         keyspace_hits:{}\r\n\
         keyspace_misses:{}\r\n\
         pubsub_channels:{}\r\n\
         pubsub_patterns:{}\r\n\
         pubsubshard_channels:0\r\n\
         total_error_replies:{}\r\n\
         client_query_buffer_limit_disconnections:{}\r\n\
         client_output_buffer_limit_disconnections:{}\r\n",
        s.total_connections_received,
        s.total_commands_processed,
        s.instantaneous_ops_per_sec(),
        s.total_net_input_bytes,
        s.total_net_output_bytes,
        s.rejected_connections,
        ks.expired_keys,
        ks.expired_stale_perc * 100.0,
        ks.expired_time_cap_reached_count,
        ks.expire_cycle_cpu_milliseconds,
        s.evicted_keys,
        ks.keyspace_hits,
        ks.keyspace_misses,
        core.pubsub.channel_count(),
        core.pubsub.pattern_count(),
        s.total_error_replies,
        s.client_query_buffer_limit_disconnections,
        s.client_output_buffer_limit_disconnections,
    );
}

fn replication(core: &Core, o: &mut String) {
    let _ = write!(
        o,
        "# Replication\r\n\
         role:master\r\n\
         connected_slaves:0\r\n\
         master_failover_state:no-failover\r\n\
         master_replid:{}\r\n\
         master_replid2:0000000000000000000000000000000000000000\r\n\
         master_repl_offset:0\r\n\
         second_repl_offset:-1\r\n\
         repl_backlog_active:0\r\n\
         repl_backlog_size:1048576\r\n\
         repl_backlog_first_byte_offset:0\r\n\
         repl_backlog_histlen:0\r\n",
        core.run_id
    );
}

fn cpu(o: &mut String) {
    let (sys, user) = cpu_times();
    let _ = write!(
        o,
        "# CPU\r\n\
         used_cpu_sys:{sys:.6}\r\n\
         used_cpu_user:{user:.6}\r\n\
         used_cpu_sys_children:0.000000\r\n\
         used_cpu_user_children:0.000000\r\n"
    );
}

fn keyspace(core: &Core, o: &mut String) {
    o.push_str("# Keyspace\r\n");
    for db in &core.keyspace.dbs {
        if db.is_empty() {
            continue;
        }
        let _ = write!(
            o,
            "db{}:keys={},expires={},avg_ttl={}\r\n",
            db.id(),
            db.len(),
            db.volatile_len(),
            db.avg_ttl_ms()
        );
    }
}
