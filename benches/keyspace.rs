//! Keyspace micro-benchmarks (criterion): SET/GET/HSET, the active expiry cycle over 1M keys
//! with 10% expiring, and random sampling. A regression signal only: end-to-end numbers come
//! from redis-benchmark against the server.
//!
//! Before the benchmarks run, the resident memory per key is measured for 1M keys with a
//! 12-byte key and a 16-byte value (RSS delta from /proc/self/statm), with and without a TTL.
//! Run: `cargo bench --bench keyspace`; memory only: `cargo bench --bench keyspace -- --memory`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, Throughput};
use inmemdb::keyspace::{HashLimits, HashValue, Keyspace, SetExpire, Value};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

const NOW: u64 = 1_700_000_000_000;
const N: usize = 1_000_000;

fn key(i: usize) -> [u8; 12] {
    let mut k = *b"key:00000000";
    let mut n = i;
    for slot in k[4..].iter_mut().rev() {
        *slot = b'0' + (n % 10) as u8;
        n /= 10;
    }
    k
}

const VALUE: &[u8; 16] = b"value:0123456789";

fn filled(n: usize, ttl_every: usize) -> Keyspace {
    let mut ks = Keyspace::with_seed(16, 1);
    let db = &mut ks.dbs[0];
    for i in 0..n {
        let exp = if ttl_every > 0 && i % ttl_every == 0 {
            SetExpire::At(NOW + 1000)
        } else {
            SetExpire::Clear
        };
        db.set(&key(i), Value::string(VALUE), exp, NOW);
    }
    ks
}

fn rss_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

/// Prints RSS per key for 1M keys. Each variant runs in a fresh child process: after a large
/// free, glibc raises its mmap threshold and later growth copies through the heap, which would
/// inflate a second measurement in the same process.
fn report_memory() {
    for ttl_every in [0usize, 1] {
        let out = std::env::current_exe().and_then(|exe| {
            std::process::Command::new(exe)
                .arg(format!("--memory-child={ttl_every}"))
                .output()
        });
        match out {
            Ok(o) => print!("{}", String::from_utf8_lossy(&o.stdout)),
            Err(e) => println!("memory: could not run child: {e}"),
        }
    }
}

fn memory_child(ttl_every: usize) {
    let label = if ttl_every == 0 {
        "no TTL"
    } else {
        "all with TTL"
    };
    let before = rss_bytes();
    let ks = filled(N, ttl_every);
    let after = rss_bytes();
    println!(
        "memory: {N} keys (12-byte key, 16-byte value, {label}): {:.1} bytes/key RSS",
        (after - before) as f64 / N as f64
    );
    drop(black_box(ks));
}

fn bench_strings(c: &mut Criterion) {
    let mut ks = filled(N, 0);
    let mut rng = StdRng::seed_from_u64(7);
    let mut g = c.benchmark_group("string");
    g.throughput(Throughput::Elements(1));
    g.bench_function("get_hit_1M", |b| {
        b.iter(|| {
            let k = key(rng.random_range(0..N));
            black_box(ks.dbs[0].lookup_read(&k, NOW).is_some())
        })
    });
    g.bench_function("get_miss_1M", |b| {
        b.iter(|| {
            let k = key(N + rng.random_range(0..N));
            black_box(ks.dbs[0].lookup_read(&k, NOW).is_none())
        })
    });
    g.bench_function("set_overwrite_1M", |b| {
        b.iter(|| {
            let k = key(rng.random_range(0..N));
            black_box(ks.dbs[0].set(&k, Value::string(VALUE), SetExpire::Clear, NOW))
        })
    });
    g.bench_function("set_new_keys", |b| {
        b.iter_batched_ref(
            || Keyspace::with_seed(1, 1),
            |ks| {
                for i in 0..1000 {
                    ks.dbs[0].set(&key(i), Value::string(VALUE), SetExpire::Clear, NOW);
                }
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

fn bench_hash(c: &mut Criterion) {
    let limits = HashLimits::default();
    let mut rng = StdRng::seed_from_u64(8);
    let mut g = c.benchmark_group("hash");
    g.throughput(Throughput::Elements(1));
    for fields in [16usize, 1000] {
        let mut h = HashValue::new();
        for i in 0..fields {
            h.insert(format!("field:{i}").as_bytes(), VALUE, limits);
        }
        let names: Vec<Vec<u8>> = (0..fields)
            .map(|i| format!("field:{i}").into_bytes())
            .collect();
        let name = format!("hset_overwrite_{}_{fields}", h.encoding());
        g.bench_function(&name, |b| {
            b.iter(|| {
                let f = &names[rng.random_range(0..fields)];
                black_box(h.insert(f, VALUE, limits))
            })
        });
        let name = format!("hget_{}_{fields}", h.encoding());
        g.bench_function(&name, |b| {
            b.iter(|| {
                let f = &names[rng.random_range(0..fields)];
                black_box(h.get(f).is_some())
            })
        });
    }
    // HSET through the keyspace, as the command layer does it.
    let mut ks = filled(0, 0);
    for i in 0..10_000 {
        ks.dbs[0].set(&key(i), Value::empty_hash(), SetExpire::Clear, NOW);
    }
    g.bench_function("hset_via_lookup_write_10k_keys", |b| {
        b.iter(|| {
            let k = key(rng.random_range(0..10_000));
            let f = key(rng.random_range(0..16));
            if let Some(h) = ks.dbs[0]
                .lookup_write(&k, NOW)
                .and_then(|e| e.value.as_hash_mut())
            {
                black_box(h.insert(&f, VALUE, limits));
            }
        })
    });
    g.finish();
}

fn bench_expire(c: &mut Criterion) {
    let mut g = c.benchmark_group("expire");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(20));
    g.warm_up_time(Duration::from_secs(1));
    // 1M keys, 10% expire at once; reclaim them with 25 ms cycles (the slow cycle's budget at
    // hz 10). Reports the time to reclaim all of them; the longest single call is printed.
    let mut longest = Duration::ZERO;
    let mut calls_max = 0;
    g.bench_function("reclaim_100k_of_1M_25ms_cycles", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let mut ks = filled(N, 10);
                let t = Instant::now();
                let mut calls = 0;
                while ks.dbs[0].volatile_len() > 0 {
                    let c0 = Instant::now();
                    ks.active_expire_cycle(NOW + 2000, Duration::from_millis(25));
                    longest = longest.max(c0.elapsed());
                    ks.dbs[0].drain_expired().for_each(drop);
                    calls += 1;
                }
                total += t.elapsed();
                calls_max = calls_max.max(calls);
            }
            total
        })
    });
    println!("expire: longest single cycle {longest:?}, up to {calls_max} cycles per reclaim");
    // Cost of a cycle when nothing is stale (the common case, run every loop turn).
    let mut ks = filled(N, 10);
    g.bench_function("cycle_nothing_stale_1M", |b| {
        b.iter(|| black_box(ks.active_expire_cycle(NOW, Duration::from_millis(1))))
    });
    g.finish();
}

fn bench_sampling(c: &mut Criterion) {
    let mut ks = filled(N, 10);
    let mut rng = StdRng::seed_from_u64(9);
    let mut g = c.benchmark_group("sample");
    g.throughput(Throughput::Elements(1));
    g.bench_function("sample_1M", |b| {
        b.iter(|| black_box(ks.dbs[0].sample(&mut rng).map(|(k, _)| k.len())))
    });
    g.bench_function("sample_volatile_1M", |b| {
        b.iter(|| black_box(ks.dbs[0].sample_volatile(&mut rng).map(|(_, _, at)| at)))
    });
    g.bench_function("random_key_1M", |b| {
        b.iter(|| black_box(ks.dbs[0].random_key(&mut rng, NOW).map(|k| k.len())))
    });
    g.bench_function("eviction_pool_fill_5_samples", |b| {
        b.iter(|| {
            let mut oldest = u32::MAX;
            for _ in 0..5 {
                if let Some((_, e)) = ks.dbs[0].sample(&mut rng) {
                    oldest = oldest.min(e.meta());
                }
            }
            black_box(oldest)
        })
    });
    g.finish();
}

fn main() {
    if let Some(v) = std::env::args().find_map(|a| {
        a.strip_prefix("--memory-child=")
            .and_then(|v| v.parse().ok())
    }) {
        memory_child(v);
        return;
    }
    report_memory();
    if std::env::args().any(|a| a == "--memory") {
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    bench_strings(&mut c);
    bench_hash(&mut c);
    bench_expire(&mut c);
    bench_sampling(&mut c);
    c.final_summary();
}
