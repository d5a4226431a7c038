//! Hit-ratio benchmark for the eviction policies: replays a Zipf trace of GET-then-SET-on-miss
//! over 1,000,000 keys with the cache limited to 10% of them, against the real server for every
//! `maxmemory-policy`, and against redis-server with `allkeys-lru` and `allkeys-lfu` at the same
//! size; prints one table of miss ratios.
//!
//! Run: `cargo bench --bench hitratio` (a few minutes on 2 cores). Options after `--`:
//! `--requests N` (default 2,000,000), `--alphas 0.8,1.0,1.2`, `--policies a,b` (InMemDB policy
//! names, or `redis-lru` / `redis-lfu`), `--no-redis`, `--sim` (replay against an in-process
//! keyspace instead of the server: same trace, no network, for quick policy experiments).
//!
//! **Workload.** Key ranks are drawn from Zipf(alpha) over 1M keys (seeded, the same trace for
//! every policy) and mapped to names `key:NNNNNNNN` by a fixed permutation. Each request is
//! `GET key`; on a miss the client then `SET key <32-byte value> EX 1000000` (every key has a
//! TTL so the `volatile-*` policies have candidates too). Requests are pipelined 100 GETs at a
//! time, followed by one pipeline of the SETs for that batch's misses. The first 25% of the
//! trace warms the cache and is not counted; the miss ratio is misses / requests over the rest.
//!
//! **Cache size.** InMemDB: `maxkeys 100000`. redis-server has no key cap, so its `maxmemory`
//! is measured: a fresh redis-server is filled with exactly 100,000 keys written by the same
//! client code (same key names, values and TTL, same pipelining), and its `used_memory` at that
//! point (data, expires table, client buffers and baseline together) becomes `maxmemory`. The
//! number of keys redis actually holds at the end of each run is printed as a check.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use inmemdb::keyspace::evict::EvictPolicy;
use inmemdb::keyspace::{Keyspace, SetExpire, Value};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

const KEYS: usize = 1_000_000;
const CACHE: usize = 100_000;
const BATCH: usize = 100;
const VALUE: &[u8; 32] = b"0123456789abcdef0123456789abcdef";
const TTL: &[u8] = b"1000000";
const WARMUP_FRACTION: f64 = 0.25;

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

struct Opts {
    requests: usize,
    alphas: Vec<f64>,
    policies: Vec<String>,
    sim: bool,
}

fn parse_opts() -> Opts {
    let mut o = Opts {
        requests: 2_000_000,
        alphas: vec![0.8, 1.0, 1.2],
        policies: POLICIES.iter().map(|s| s.to_string()).collect(),
        sim: false,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let val = args.get(i + 1).cloned().unwrap_or_default();
        match args[i].as_str() {
            "--requests" => {
                o.requests = val.parse().expect("--requests N");
                i += 1;
            }
            "--alphas" => {
                o.alphas = val.split(',').map(|a| a.parse().expect("alpha")).collect();
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
    o
}

/// Zipf(alpha) ranks over `KEYS` by inverse CDF, mapped through a fixed permutation to key ids.
fn trace(alpha: f64, requests: usize, seed: u64) -> Vec<u32> {
    let mut cdf = Vec::with_capacity(KEYS);
    let mut acc = 0.0;
    for r in 1..=KEYS {
        acc += 1.0 / (r as f64).powf(alpha);
        cdf.push(acc);
    }
    let mut rng = StdRng::seed_from_u64(seed);
    (0..requests)
        .map(|_| {
            let u = rng.random::<f64>() * acc;
            let rank = cdf.partition_point(|&c| c < u).min(KEYS - 1);
            // 2654435761 is coprime with 10^6, so this is a bijection on 0..KEYS.
            ((rank as u64 * 2_654_435_761) % KEYS as u64) as u32
        })
        .collect()
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

fn push_cmd(out: &mut Vec<u8>, args: &[&[u8]]) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

/// A pipelining RESP client with just enough parsing for GET/SET/INFO replies.
struct Client {
    r: BufReader<TcpStream>,
    w: BufWriter<TcpStream>,
}

enum Reply {
    Nil,
    Bulk(Vec<u8>),
    Ok,
    Int(i64),
    Err(String),
}

impl Client {
    fn connect(port: u16) -> Client {
        let s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        s.set_nodelay(true).expect("nodelay");
        Client {
            r: BufReader::with_capacity(1 << 20, s.try_clone().expect("clone")),
            w: BufWriter::with_capacity(1 << 20, s),
        }
    }

    fn reply(&mut self) -> Reply {
        let mut line = Vec::new();
        self.r.read_until(b'\n', &mut line).expect("read");
        let body = std::str::from_utf8(&line[1..line.len() - 2]).expect("utf8");
        match line[0] {
            b'+' => Reply::Ok,
            b'-' => Reply::Err(body.to_string()),
            b':' => Reply::Int(body.parse().expect("int")),
            b'$' => {
                let n: i64 = body.parse().expect("len");
                if n < 0 {
                    return Reply::Nil;
                }
                let mut v = vec![0; n as usize + 2];
                self.r.read_exact(&mut v).expect("bulk");
                v.truncate(n as usize);
                Reply::Bulk(v)
            }
            other => panic!("unexpected reply type {}", other as char),
        }
    }

    fn cmd(&mut self, args: &[&[u8]]) -> Reply {
        let mut out = Vec::new();
        push_cmd(&mut out, args);
        self.w.write_all(&out).expect("write");
        self.w.flush().expect("flush");
        self.reply()
    }

    fn info_u64(&mut self, field: &str) -> u64 {
        let Reply::Bulk(b) = self.cmd(&[b"INFO"]) else {
            panic!("INFO failed")
        };
        String::from_utf8_lossy(&b)
            .lines()
            .find_map(|l| {
                l.strip_prefix(&format!("{field}:"))
                    .map(|v| v.trim().parse())
            })
            .expect("field")
            .expect("number")
    }

    fn dbsize(&mut self) -> u64 {
        match self.cmd(&[b"DBSIZE"]) {
            Reply::Int(n) => n as u64,
            _ => panic!("DBSIZE"),
        }
    }

    /// Replays `ids`; returns (counted requests, counted misses, refused SETs).
    fn replay(&mut self, ids: &[u32], count_from: usize) -> (u64, u64, u64) {
        let (mut reqs, mut misses, mut refused) = (0, 0, 0);
        let mut out = Vec::with_capacity(BATCH * 64);
        let mut missed = Vec::with_capacity(BATCH);
        let mut kb = [0u8; 12];
        for (b, chunk) in ids.chunks(BATCH).enumerate() {
            out.clear();
            for &id in chunk {
                push_cmd(&mut out, &[b"GET", key_name(id, &mut kb)]);
            }
            self.w.write_all(&out).expect("write");
            self.w.flush().expect("flush");
            missed.clear();
            for (i, &id) in chunk.iter().enumerate() {
                let counted = b * BATCH + i >= count_from;
                reqs += u64::from(counted);
                match self.reply() {
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
            self.w.write_all(&out).expect("write");
            self.w.flush().expect("flush");
            for _ in &missed {
                match self.reply() {
                    Reply::Ok => {}
                    Reply::Err(e) if e.starts_with("OOM") => refused += 1,
                    Reply::Err(e) => panic!("SET failed: {e}"),
                    _ => panic!("SET: unexpected reply"),
                }
            }
        }
        (reqs, misses, refused)
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// A server process killed on drop.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_ready(port: u16) {
    let end = Instant::now() + Duration::from_secs(10);
    while Instant::now() < end {
        if let Ok(s) = TcpStream::connect(("127.0.0.1", port)) {
            drop(s);
            let mut c = Client::connect(port);
            if matches!(c.cmd(&[b"PING"]), Reply::Ok) {
                return;
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("server on port {port} did not start");
}

fn start_inmemdb(policy: &str) -> (Proc, u16) {
    let port = free_port();
    let dir = std::env::temp_dir().join(format!("inmemdb-hitratio-{port}"));
    std::fs::create_dir_all(&dir).expect("dir");
    let child = Command::new(env!("CARGO_BIN_EXE_inmemdb"))
        .args([
            "--port",
            &port.to_string(),
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .args([
            "--maxkeys",
            &CACHE.to_string(),
            "--maxmemory-policy",
            policy,
        ])
        .arg("--dir")
        .arg(&dir)
        .arg("--loglevel")
        .arg("warning")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn inmemdb");
    let p = Proc(child);
    wait_ready(port);
    (p, port)
}

fn start_redis(policy: &str, maxmemory: u64) -> Option<(Proc, u16)> {
    let port = free_port();
    let child = Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .args(["--maxmemory-policy", policy])
        .args(["--maxmemory", &maxmemory.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let p = Proc(child);
    wait_ready(port);
    Some((p, port))
}

/// redis-server's `used_memory` holding exactly `CACHE` keys of the benchmark's shape.
fn redis_maxmemory_for_cache() -> Option<u64> {
    let (_p, port) = start_redis("noeviction", 0)?;
    let mut c = Client::connect(port);
    let ids: Vec<u32> = (0..CACHE as u32).collect();
    c.replay(&ids, 0);
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
        _ => return (0, 0, 0),
    };
    let mut ks = Keyspace::with_seed(1, 1);
    ks.set_meta_policy(p.meta_policy(10, 1));
    let start = Instant::now();
    let t0 = 1_700_000_000_000u64;
    let (mut reqs, mut misses, mut refused) = (0, 0, 0);
    let mut kb = [0u8; 12];
    for (i, &id) in ids.iter().enumerate() {
        // Time advances as on the server: one "loop turn" per batch.
        let now = t0 + start.elapsed().as_millis() as u64;
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
    let o = parse_opts();
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
        "hit-ratio benchmark: {} requests, {} keys, cache {} keys ({}), first {:.0}% warm-up not counted",
        o.requests,
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
    let traces: Vec<(f64, Vec<u32>)> = o
        .alphas
        .iter()
        .enumerate()
        .map(|(i, &a)| (a, trace(a, o.requests, 42 + i as u64)))
        .collect();
    let count_from = (o.requests as f64 * WARMUP_FRACTION) as usize;
    let mut rows = Vec::new();
    for policy in &o.policies {
        let mut cells = Vec::new();
        let mut notes = Vec::new();
        for (alpha, ids) in &traces {
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
                let (r, m, f) = c.replay(ids, count_from);
                (r, m, f, c.dbsize())
            } else {
                let (_p, port) = start_inmemdb(policy);
                let mut c = Client::connect(port);
                let (r, m, f) = c.replay(ids, count_from);
                (r, m, f, c.dbsize())
            };
            let ratio = misses as f64 / reqs.max(1) as f64;
            eprintln!(
                "{policy:>16} alpha {alpha}: miss ratio {ratio:.4} ({misses}/{reqs}), refused SETs {refused}, keys held {held}, {:.1}s",
                started.elapsed().as_secs_f64()
            );
            cells.push(format!("{ratio:.4}"));
            if policy.starts_with("redis-") {
                notes.push(held.to_string());
            }
        }
        let name = match policy.as_str() {
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
    let head: Vec<String> = o.alphas.iter().map(|a| format!("zipf {a:.1}")).collect();
    println!("| policy | {} |", head.join(" | "));
    println!("|---|{}", "---:|".repeat(head.len()));
    // First requests of a key always miss, whatever the policy.
    let floor: Vec<String> = traces
        .iter()
        .map(|(_, ids)| {
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
