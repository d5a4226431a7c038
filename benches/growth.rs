//! Latency of table growth: how long the slowest single SET waits when a db's hash table has to
//! grow, InMemDB against redis-server in the same run.
//!
//! Run: `cargo bench --bench growth` (about a minute; needs ~2 GB of RAM). Options after `--`:
//! `--sizes 3650000,7320000` (keys populated before the timed SETs), `--sets N` (timed SETs
//! per size, default 40,000), `--no-redis`.
//!
//! For each size: start a fresh server, `DEBUG POPULATE size` (one command, not timed), then
//! send `SET new:i v` one at a time (a round trip each, nothing pipelined) and time every
//! reply. The default sizes sit just below the points where a power-of-two table with a 7/8
//! load factor must grow (3,670,016 and 7,340,032 keys), so the timed SETs cross one growth.
//! Redis grows its dict at a load of 1 (4,194,304 and 8,388,608 keys): the redis runs
//! populate to just below those instead, so both servers cross exactly one growth. Prints
//! median, p99.9 and max per server and size; the max is the growth stall.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

#[path = "support/mod.rs"]
mod support;

use std::time::Instant;

use support::{Client, INMEMDB, Reply, start_server};

/// Keys below InMemDB's (7/8 load) and Redis's (load 1) growth points, paired by table size.
const SIZES: &[(usize, usize)] = &[(3_650_000, 4_180_000), (7_320_000, 8_370_000)];

/// (median, p99.9, max) in ms of `sets` single SETs after populating `size` keys.
fn measure(program: &str, size: usize, sets: usize) -> Option<(f64, f64, f64)> {
    // Redis 7 refuses DEBUG unless enabled.
    let extra: &[&str] = if program == "redis-server" {
        &["--enable-debug-command", "local"]
    } else {
        &[]
    };
    let (_p, port) = start_server(program, extra)?;
    let mut c = Client::connect(port);
    let populate = c.cmd(&[b"DEBUG", b"POPULATE", size.to_string().as_bytes()]);
    assert!(matches!(populate, Reply::Ok), "DEBUG POPULATE failed");
    let mut lat = Vec::with_capacity(sets);
    for i in 0..sets {
        let key = format!("new:{i}");
        let t = Instant::now();
        let r = c.cmd(&[b"SET", key.as_bytes(), b"v"]);
        lat.push(t.elapsed().as_secs_f64() * 1000.0);
        assert!(matches!(r, Reply::Ok), "SET failed");
    }
    lat.sort_by(f64::total_cmp);
    let at = |q: f64| lat[((lat.len() - 1) as f64 * q) as usize];
    Some((at(0.5), at(0.999), at(1.0)))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut sets = 40_000;
    let mut redis = true;
    let mut sizes: Vec<(usize, usize)> = SIZES.to_vec();
    let mut i = 0;
    while i < args.len() {
        let val = args.get(i + 1).cloned().unwrap_or_default();
        match args[i].as_str() {
            "--sets" => {
                sets = val.parse().expect("--sets N");
                i += 1;
            }
            "--sizes" => {
                sizes = val
                    .split(',')
                    .map(|s| {
                        let n = s.parse().expect("size");
                        (n, n)
                    })
                    .collect();
                i += 1;
            }
            "--no-redis" => redis = false,
            _ => {}
        }
        i += 1;
    }
    println!("| server | keys before | median ms | p99.9 ms | max ms |");
    println!("|---|---:|---:|---:|---:|");
    for &(ours, theirs) in &sizes {
        let mut runs = vec![("inmemdb", INMEMDB, ours)];
        if redis {
            runs.push(("redis-server", "redis-server", theirs));
        }
        for (name, program, size) in runs {
            match measure(program, size, sets) {
                Some((med, p999, max)) => {
                    println!("| {name} | {size} | {med:.3} | {p999:.3} | {max:.2} |")
                }
                None => eprintln!("{name}: could not start {program}; skipped"),
            }
        }
    }
}
