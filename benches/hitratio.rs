//! Hit-ratio benchmark for the eviction policies: replays traces of GET-then-SET-on-miss over
//! 1,000,000 keys with the cache limited to 10% of them, against the real server for every
//! `maxmemory-policy`, and against redis-server with `allkeys-lru` and `allkeys-lfu` at the same
//! size; prints one table of miss ratios.
//!
//! Run: `cargo bench --bench hitratio` (about 10 minutes on 2 cores). Options after `--`:
//! `--traces 0.8,1.2x10000000,1.0/4,w80000/4` (columns, see [`TraceSpec::parse`]),
//! `--requests N` (length of every trace), `--policies a,b` (InMemDB policy names, or
//! `redis-lru` / `redis-lfu`), `--no-redis`, `--sim` (replay against an in-process keyspace
//! instead of the server, on a virtual clock: same traces, deterministic, seconds per column,
//! for policy experiments; `redis-lru` is then modelled as our LRU with a 1-second clock).
//!
//! **Workload.** Five traces (seeded, the same for every policy), key ids mapped to names
//! `key:NNNNNNNN` through a fixed permutation:
//! - Zipf 0.8, 1.0 and 1.2 over all 1M keys (2M, 4M and 10M requests: the more skewed the
//!   trace, the fewer misses, and the longer it must be for the cache to turn over at all);
//! - a window of 80,000 consecutive keys (it fits in the cache) read uniformly, sliding one key
//!   every 4, and every 2, requests (2M requests each): a session store whose active set turns
//!   over continuously.
//!
//! The window traces refill the cache about once or twice a second on loopback (printed per
//! run as "cache turnover"): Redis's 1-second LRU clock then gives most keys in the cache the
//! same age and its LRU drifts towards random eviction, while ours (1 ms) still orders them.
//! (A Zipf whose hot set moves was tried and dropped: with 100 GETs per pipeline, a new hot key
//! is requested several times before its SET lands, which swamps the policies' differences.)
//!
//! Each request is `GET key`; on a miss the client then `SET key <32-byte value> EX 1000000`
//! (every key has a TTL so the `volatile-*` policies have candidates too). Requests are
//! pipelined 100 GETs at a time, followed by one pipeline of the SETs for that batch's misses.
//! The first 25% of each trace warms the cache and is not counted; the miss ratio is misses /
//! requests over the rest.
//!
//! **Cache size.** InMemDB: `maxkeys 100000`. redis-server has no key cap, so its `maxmemory`
//! is measured: a fresh redis-server is filled with exactly 100,000 keys written by the same
//! client code (same key names, values and TTL, same pipelining), and its `used_memory` at that
//! point (data, expires table, client buffers and baseline together) becomes `maxmemory`. The
//! number of keys redis actually holds at the end of each run is printed as a check.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

#[path = "support/mod.rs"]
mod support;

use std::io::Write;
use std::process::Command;
use std::time::Instant;

use inmemdb::keyspace::evict::EvictPolicy;
use inmemdb::keyspace::{Keyspace, SetExpire, Value};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use support::{Client, INMEMDB, Proc, Reply, push_cmd, start_server};

const KEYS: usize = 1_000_000;
const CACHE: usize = 100_000;
const BATCH: usize = 100;
const VALUE: &[u8; 32] = b"0123456789abcdef0123456789abcdef";
const TTL: &[u8] = b"1000000";
const WARMUP_FRACTION: f64 = 0.25;
/// `--sim` clock speed: requests per millisecond of simulated time.
const SIM_REQUESTS_PER_MS: usize = 400;

const POLICIES: &[&str] = &[
    "noeviction",
    "allkeys-random",
    "volatile-random",
    "volatile-ttl",
    "simple-first",
    "allkeys-lru",
    "volatile-lru",
    "allkeys-lfu",
    "volatile-lfu",
    "allkeys-s3fifo",
    "redis-lru",
    "redis-lfu",
];

/// How a trace picks key ranks.
#[derive(Clone, Copy)]
enum Shape {
    /// Zipf(alpha) over all keys, the same popularity order throughout.
    Zipf(f64),
    /// Uniform over a window of `w` consecutive keys (smaller than the cache) that slides one
    /// key every `d` requests: the working set fits, but turns over continuously.
    Window(usize, usize),
}

#[derive(Clone, Copy)]
struct TraceSpec {
    shape: Shape,
    requests: usize,
}

impl TraceSpec {
    /// `ALPHA` (Zipf) or `wW/D` (sliding window), each optionally `xN` for the number of
    /// requests (`1.2x10000000`).
    fn parse(t: &str, default_requests: usize) -> TraceSpec {
        let (shape, requests) = match t.split_once('x') {
            Some((s, n)) => (s, n.parse().expect("requests")),
            None => (t, default_requests),
        };
        let num = |v: &str| v.parse::<f64>().expect("number");
        let shape = match shape.strip_prefix('w') {
            Some(w) => {
                let (w, d) = w.split_once('/').expect("wW/D");
                Shape::Window(num(w) as usize, num(d) as usize)
            }
            None => Shape::Zipf(num(shape)),
        };
        TraceSpec { shape, requests }
    }

    fn label(&self) -> String {
        match self.shape {
            Shape::Zipf(a) => format!("zipf {a:.1}"),
            Shape::Window(w, d) => format!("window {}k sliding 1 key/{d} req", w / 1000),
        }
    }
}

/// The default columns. Zipf 1.2 is 10M requests long because at 2M the cache barely fills
/// (misses are ~5%), so every policy sits at the first-request floor and nothing is compared.
const TRACES: &[TraceSpec] = &[
    TraceSpec {
        shape: Shape::Zipf(0.8),
        requests: 2_000_000,
    },
    TraceSpec {
        shape: Shape::Zipf(1.0),
        requests: 4_000_000,
    },
    TraceSpec {
        shape: Shape::Zipf(1.2),
        requests: 10_000_000,
    },
    TraceSpec {
        shape: Shape::Window(80_000, 4),
        requests: 2_000_000,
    },
    TraceSpec {
        shape: Shape::Window(80_000, 2),
        requests: 2_000_000,
    },
];

struct Opts {
    traces: Vec<TraceSpec>,
    policies: Vec<String>,
    sim: bool,
}

fn parse_opts() -> Opts {
    let mut o = Opts {
        traces: TRACES.to_vec(),
        policies: POLICIES.iter().map(|s| s.to_string()).collect(),
        sim: false,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut requests = None;
    let mut traces = None;
    let mut i = 0;
    while i < args.len() {
        let val = args.get(i + 1).cloned().unwrap_or_default();
        match args[i].as_str() {
            "--requests" => {
                requests = Some(val.parse().expect("--requests N"));
                i += 1;
            }
            "--traces" | "--alphas" => {
                traces = Some(val);
                i += 1;
            }
            "--policies" => {
                o.policies = val
                    .split(',')
                    .filter(|p| !p.is_empty())
                    .map(String::from)
                    .collect();
                i += 1;
            }
            "--no-redis" => o.policies.retain(|p| !p.starts_with("redis-")),
            "--sim" => o.sim = true,
            // `cargo bench` passes --bench; ignore anything else too.
            _ => {}
        }
        i += 1;
    }
    if let Some(t) = traces {
        let n = requests.unwrap_or(2_000_000);
        o.traces = t.split(',').map(|t| TraceSpec::parse(t, n)).collect();
    } else if let Some(n) = requests {
        o.traces.iter_mut().for_each(|t| t.requests = n);
    }
    o
}

/// The key ids of a trace, seeded (the same trace for every policy). Ranks are mapped to ids
/// through a fixed permutation so that popularity is not correlated with key order.
fn trace(spec: TraceSpec, seed: u64) -> Vec<u32> {
    let mut rng = StdRng::seed_from_u64(seed);
    let ranks: Vec<usize> = match spec.shape {
        Shape::Zipf(alpha) => {
            // Inverse CDF: cumulative weights, then a binary search per request.
            let mut cdf = Vec::with_capacity(KEYS);
            let mut acc = 0.0;
            for r in 1..=KEYS {
                acc += 1.0 / (r as f64).powf(alpha);
                cdf.push(acc);
            }
            (0..spec.requests)
                .map(|_| {
                    let u = rng.random::<f64>() * acc;
                    cdf.partition_point(|&c| c < u).min(KEYS - 1)
                })
                .collect()
        }
        Shape::Window(w, d) => (0..spec.requests)
            .map(|i| (i / d + rng.random_range(0..w)) % KEYS)
            .collect(),
    };
    // 2654435761 is coprime with 10^6, so this is a bijection on 0..KEYS.
    ranks
        .into_iter()
        .map(|rank| ((rank as u64 * 2_654_435_761) % KEYS as u64) as u32)
        .collect()
}

/// Index of the first counted request.
fn warmup(ids: &[u32]) -> usize {
    (ids.len() as f64 * WARMUP_FRACTION) as usize
}

fn key_name(id: u32, buf: &mut [u8; 12]) -> &[u8] {
    *buf = *b"key:00000000";
    let mut n = id;
    for slot in buf[4..].iter_mut().rev() {
        *slot = b'0' + (n % 10) as u8;
        n /= 10;
    }
    &buf[..]
}

/// Replays `ids`; returns (counted requests, counted misses, refused SETs).
fn replay(c: &mut Client, ids: &[u32], count_from: usize) -> (u64, u64, u64) {
    let (mut reqs, mut misses, mut refused) = (0, 0, 0);
    let mut out = Vec::with_capacity(BATCH * 64);
    let mut missed = Vec::with_capacity(BATCH);
    let mut kb = [0u8; 12];
    for (b, chunk) in ids.chunks(BATCH).enumerate() {
        out.clear();
        for &id in chunk {
            push_cmd(&mut out, &[b"GET", key_name(id, &mut kb)]);
        }
        c.w.write_all(&out).expect("write");
        c.w.flush().expect("flush");
        missed.clear();
        for (i, &id) in chunk.iter().enumerate() {
            let counted = b * BATCH + i >= count_from;
            reqs += u64::from(counted);
            match c.reply() {
                Reply::Nil => {
                    misses += u64::from(counted);
                    missed.push(id);
                }
                Reply::Bulk(_) => {}
                _ => panic!("GET failed"),
            }
        }
        if missed.is_empty() {
            continue;
        }
        out.clear();
        for &id in &missed {
            push_cmd(
                &mut out,
                &[b"SET", key_name(id, &mut kb), VALUE, b"EX", TTL],
            );
        }
        c.w.write_all(&out).expect("write");
        c.w.flush().expect("flush");
        for _ in &missed {
            match c.reply() {
                Reply::Ok => {}
                Reply::Err(e) if e.starts_with("OOM") => refused += 1,
                Reply::Err(e) => panic!("SET failed: {e}"),
                _ => panic!("SET: unexpected reply"),
            }
        }
    }
    (reqs, misses, refused)
}

fn start_inmemdb(policy: &str) -> (Proc, u16) {
    let dir = std::env::temp_dir().join(format!("inmemdb-hitratio-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let dir = dir.to_string_lossy().into_owned();
    let cache = CACHE.to_string();
    start_server(
        INMEMDB,
        &[
            "--maxkeys",
            &cache,
            "--maxmemory-policy",
            policy,
            "--dir",
            &dir,
            "--loglevel",
            "warning",
        ],
    )
    .expect("spawn inmemdb")
}

fn start_redis(policy: &str, maxmemory: u64) -> Option<(Proc, u16)> {
    let maxmemory = maxmemory.to_string();
    start_server(
        "redis-server",
        &["--maxmemory-policy", policy, "--maxmemory", &maxmemory],
    )
}

/// redis-server's `used_memory` holding exactly `CACHE` keys of the benchmark's shape.
fn redis_maxmemory_for_cache() -> Option<u64> {
    let (_p, port) = start_redis("noeviction", 0)?;
    let mut c = Client::connect(port);
    let ids: Vec<u32> = (0..CACHE as u32).collect();
    replay(&mut c, &ids, 0);
    assert_eq!(c.dbsize(), CACHE as u64);
    Some(c.info_u64("used_memory"))
}

fn redis_version() -> String {
    Command::new("redis-server")
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| {
            s.split_whitespace()
                .find_map(|w| w.strip_prefix("v=").map(String::from))
        })
        .unwrap_or_else(|| "?".into())
}

/// In-process replay (`--sim`): the keyspace and eviction code without the server.
fn simulate(policy: &str, ids: &[u32], count_from: usize) -> (u64, u64, u64) {
    let p = match policy {
        "noeviction" => EvictPolicy::NoEviction,
        "allkeys-random" => EvictPolicy::AllkeysRandom,
        "volatile-random" => EvictPolicy::VolatileRandom,
        "volatile-ttl" => EvictPolicy::VolatileTtl,
        "simple-first" => EvictPolicy::Fifo,
        "allkeys-lru" => EvictPolicy::AllkeysLru,
        "volatile-lru" => EvictPolicy::VolatileLru,
        "allkeys-lfu" => EvictPolicy::AllkeysLfu,
        "volatile-lfu" => EvictPolicy::VolatileLfu,
        "allkeys-s3fifo" => EvictPolicy::S3Fifo,
        // Redis's approximated LRU, modelled by our LRU with the clock cut to whole seconds.
        "redis-lru" => EvictPolicy::AllkeysLru,
        _ => return (0, 0, 0),
    };
    let clock_ms = if policy == "redis-lru" { 1000 } else { 1 };
    let mut ks = Keyspace::with_seed(1, 1);
    ks.set_meta_policy(p.meta_policy(10, 1));
    let t0 = 1_700_000_000_000u64;
    let (mut reqs, mut misses, mut refused) = (0, 0, 0);
    let mut kb = [0u8; 12];
    for (i, &id) in ids.iter().enumerate() {
        // A virtual clock, so the simulation is deterministic: time advances at
        // SIM_REQUESTS_PER_MS, about what the server replays over loopback.
        let now = (t0 + (i / SIM_REQUESTS_PER_MS) as u64) / clock_ms * clock_ms;
        let counted = i >= count_from;
        reqs += u64::from(counted);
        let k = key_name(id, &mut kb);
        if ks.dbs[0].lookup_read(k, now).is_some() {
            continue;
        }
        misses += u64::from(counted);
        if ks.total_keys() >= CACHE && ks.evict_one(p, 5, now).is_none() {
            refused += 1;
            continue;
        }
        ks.dbs[0].set(
            k,
            Value::string(VALUE),
            SetExpire::At(now + 1_000_000_000),
            now,
        );
    }
    (reqs, misses, refused)
}

fn main() {
    let mut o = parse_opts();
    if o.sim {
        // Redis's LFU has no in-process model; `redis-lru` is modelled (see `simulate`).
        o.policies.retain(|p| p != "redis-lfu");
    }
    let want_redis = !o.sim && o.policies.iter().any(|p| p.starts_with("redis-"));
    let redis_mem = if want_redis {
        let m = redis_maxmemory_for_cache();
        if m.is_none() {
            eprintln!("redis-server not found: its rows are skipped");
        }
        m
    } else {
        None
    };
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix("model name")
                    .map(|v| v.trim_start_matches([' ', '\t', ':']).to_string())
            })
        })
        .unwrap_or_default();
    let ncpu = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "hit-ratio benchmark: {} keys, cache {} keys ({}), first {:.0}% of each trace warms up and is not counted",
        KEYS,
        CACHE,
        if o.sim {
            "in-process simulation"
        } else {
            "server over loopback"
        },
        WARMUP_FRACTION * 100.0
    );
    println!("machine: {cpu}, {ncpu} CPUs");
    if let Some(m) = redis_mem {
        println!(
            "redis-server {}: maxmemory {} bytes = used_memory holding {} keys",
            redis_version(),
            m,
            CACHE
        );
    }
    let traces: Vec<(String, Vec<u32>)> = o
        .traces
        .iter()
        .enumerate()
        .map(|(i, &spec)| (spec.label(), trace(spec, 42 + i as u64)))
        .collect();
    for (label, ids) in &traces {
        println!("trace {label}: {} requests", ids.len());
    }
    let mut rows = Vec::new();
    for policy in &o.policies {
        let mut cells = Vec::new();
        let mut notes = Vec::new();
        for (label, ids) in &traces {
            let count_from = warmup(ids);
            let started = Instant::now();
            let (reqs, misses, refused, held) = if o.sim {
                let (r, m, f) = simulate(policy, ids, count_from);
                (r, m, f, 0)
            } else if let Some(rp) = policy.strip_prefix("redis-") {
                let Some(mem) = redis_mem else { continue };
                let Some((_p, port)) = start_redis(&format!("allkeys-{rp}"), mem) else {
                    continue;
                };
                let mut c = Client::connect(port);
                let (r, m, f) = replay(&mut c, ids, count_from);
                (r, m, f, c.dbsize())
            } else {
                let (_p, port) = start_inmemdb(policy);
                let mut c = Client::connect(port);
                let (r, m, f) = replay(&mut c, ids, count_from);
                (r, m, f, c.dbsize())
            };
            let ratio = misses as f64 / reqs.max(1) as f64;
            let secs = started.elapsed().as_secs_f64();
            // How many times a second the cache is refilled (SETs/s over its size): above about
            // one, a 1-second LRU clock cannot tell most keys' ages apart.
            let turnover = ratio * ids.len() as f64 / secs / CACHE as f64;
            eprintln!(
                "{policy:>16} {label}: miss ratio {ratio:.4} ({misses}/{reqs}), refused SETs {refused}, keys held {held}, {secs:.1}s, cache turnover {turnover:.1}/s",
            );
            cells.push(format!("{ratio:.4}"));
            if policy.starts_with("redis-") && !o.sim {
                notes.push(held.to_string());
            }
        }
        let name = match policy.as_str() {
            // Under --sim this row is our LRU on a 1 s clock, not redis-server.
            "redis-lru" if o.sim => "model of redis allkeys-lru (our LRU, 1 s clock)".to_string(),
            "redis-lru" => format!("redis {} allkeys-lru", redis_version()),
            "redis-lfu" => format!("redis {} allkeys-lfu", redis_version()),
            p => format!("inmemdb {p}"),
        };
        let note = if notes.is_empty() {
            String::new()
        } else {
            format!(" keys held at end: {}", notes.join(" / "))
        };
        rows.push((name, cells, note));
    }
    println!();
    let head: Vec<&str> = traces.iter().map(|(l, _)| l.as_str()).collect();
    println!("| policy | {} |", head.join(" | "));
    println!("|---|{}", "---:|".repeat(head.len()));
    // First requests of a key always miss, whatever the policy.
    let floor: Vec<String> = traces
        .iter()
        .map(|(_, ids)| {
            let count_from = warmup(ids);
            let mut seen = vec![false; KEYS];
            let mut cold = 0u64;
            for (i, &id) in ids.iter().enumerate() {
                let first = !std::mem::replace(&mut seen[id as usize], true);
                cold += u64::from(first && i >= count_from);
            }
            format!(
                "{:.4}",
                cold as f64 / (ids.len() - count_from).max(1) as f64
            )
        })
        .collect();
    println!(
        "| first-time requests (no policy can hit) | {} |",
        floor.join(" | ")
    );
    for (name, cells, note) in rows {
        println!("| {name} | {} |{note}", cells.join(" | "));
    }
}
