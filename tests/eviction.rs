//! Eviction end to end: `maxkeys` and `maxmemory` limits under every `maxmemory-policy`, the
//! character of each policy, `-OOM` under `noeviction`, eviction effects (notifications,
//! `evicted_keys`), slices after CONFIG SET, the `LRU` command, and the MEMORY commands.
//! Behaviour follows redis tests/unit/maxmemory.tcl where Redis has the feature.

// In tests a panic is how a check fails.
#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{RawConn, Server, contains, info_num, int_reply, show, wait_until};

const OOM: &[u8] = b"-OOM command not allowed when used memory > 'maxmemory'.\r\n";

const ALL_POLICIES: &[&str] = &[
    "volatile-lru",
    "volatile-lfu",
    "volatile-random",
    "volatile-ttl",
    "allkeys-lru",
    "allkeys-lfu",
    "allkeys-random",
    "simple-first",
    "allkeys-s3fifo",
];

/// Send `cmds` (argument lists) as one pipeline and return every reply.
fn pipeline(c: &mut RawConn, cmds: &[Vec<Vec<u8>>]) -> Vec<Vec<u8>> {
    let requests = cmds
        .iter()
        .map(|cmd| {
            let args: Vec<&[u8]> = cmd.iter().map(|a| a.as_slice()).collect();
            common::encode(&args)
        })
        .collect();
    c.pipeline(requests)
}

fn set_cmd(key: &str, value: &[u8], ttl_s: Option<u64>) -> Vec<Vec<u8>> {
    let mut v = vec![b"SET".to_vec(), key.as_bytes().to_vec(), value.to_vec()];
    if let Some(t) = ttl_s {
        v.push(b"EX".to_vec());
        v.push(t.to_string().into_bytes());
    }
    v
}

/// SET `prefix{i}` for i in `range`, 500 per pipeline; every reply must be +OK.
fn fill(c: &mut RawConn, prefix: &str, range: std::ops::Range<usize>, ttl_s: Option<u64>) {
    let keys: Vec<usize> = range.collect();
    for chunk in keys.chunks(500) {
        let cmds: Vec<_> = chunk
            .iter()
            .map(|i| set_cmd(&format!("{prefix}{i}"), b"v", ttl_s))
            .collect();
        for r in pipeline(c, &cmds) {
            assert_eq!(r, b"+OK\r\n", "{}", show(&r));
        }
    }
}

fn dbsize(c: &mut RawConn) -> i64 {
    int_reply(&c.cmd(&[b"DBSIZE"]))
}

/// A numeric field of INFO everything.
fn info_u64(c: &mut RawConn, field: &str) -> u64 {
    info_num(c, "everything", field)
}

/// Which of `keys` exist (MGET: non-nil).
fn present(c: &mut RawConn, keys: &[String]) -> Vec<bool> {
    let cmds: Vec<Vec<Vec<u8>>> = keys
        .iter()
        .map(|k| vec![b"GET".to_vec(), k.as_bytes().to_vec()])
        .collect();
    pipeline(c, &cmds)
        .iter()
        .map(|r| r.as_slice() != b"$-1\r\n")
        .collect()
}

#[test]
fn every_policy_keeps_dbsize_under_maxkeys() {
    for policy in ALL_POLICIES {
        let s = Server::start(&["--maxkeys", "1000", "--maxmemory-policy", policy]);
        let mut c = s.raw();
        // Volatile policies can only evict keys with a TTL.
        let ttl = policy.starts_with("volatile").then_some(100_000);
        for round in 0..40 {
            fill(&mut c, "k", round * 500..(round + 1) * 500, ttl);
            let n = dbsize(&mut c);
            assert!(
                n <= 1000,
                "{policy}: DBSIZE {n} after {} inserts",
                (round + 1) * 500
            );
        }
        let evicted = info_u64(&mut c, "evicted_keys");
        assert!(evicted >= 19_000, "{policy}: evicted_keys {evicted}");
        assert!(contains(&c.cmd(&[b"PING"]), b"PONG"));
    }
}

#[test]
fn simple_first_evicts_oldest_inserted() {
    let s = Server::start(&["--maxkeys", "1000", "--maxmemory-policy", "simple-first"]);
    let mut c = s.raw();
    fill(&mut c, "k", 0..1000, None);
    // Reading the oldest keys does not save them: FIFO ignores accesses.
    let old: Vec<String> = (0..100).map(|i| format!("k{i}")).collect();
    assert!(present(&mut c, &old).iter().all(|p| *p));
    fill(&mut c, "k", 1000..20_000, None);
    assert_eq!(dbsize(&mut c), 1000);
    let newest: Vec<String> = (19_000..20_000).map(|i| format!("k{i}")).collect();
    assert!(present(&mut c, &newest).iter().all(|p| *p));
    let older: Vec<String> = (0..19_000).step_by(7).map(|i| format!("k{i}")).collect();
    assert!(present(&mut c, &older).iter().all(|p| !*p));
}

/// Inserts 20,000 cold keys with `maxkeys 1000`, reading a hot set of 100 keys after every 100
/// inserts; returns how many hot keys survived.
fn hot_set_survivors(policy: &str) -> usize {
    let s = Server::start(&["--maxkeys", "1000", "--maxmemory-policy", policy]);
    let mut c = s.raw();
    let hot: Vec<String> = (0..100).map(|i| format!("hot{i}")).collect();
    fill(&mut c, "hot", 0..100, None);
    for round in 0..200 {
        fill(&mut c, "cold", round * 100..(round + 1) * 100, None);
        present(&mut c, &hot);
    }
    assert!(dbsize(&mut c) <= 1000);
    present(&mut c, &hot).iter().filter(|p| **p).count()
}

#[test]
fn lru_lfu_and_s3fifo_keep_a_hot_set() {
    for policy in ["allkeys-lru", "allkeys-lfu", "allkeys-s3fifo"] {
        let n = hot_set_survivors(policy);
        assert!(n >= 95, "{policy}: only {n} of 100 hot keys survived");
    }
    // Random eviction does not: 19,000 evictions over 1000 slots leave hardly any.
    let n = hot_set_survivors("allkeys-random");
    assert!(n < 50, "allkeys-random kept {n} hot keys");
}

#[test]
fn volatile_policies_never_evict_keys_without_ttl() {
    for policy in ALL_POLICIES.iter().filter(|p| p.starts_with("volatile")) {
        let s = Server::start(&["--maxkeys", "1000", "--maxmemory-policy", policy]);
        let mut c = s.raw();
        fill(&mut c, "persistent", 0..500, None);
        fill(&mut c, "volatile", 0..10_000, Some(100_000));
        assert!(dbsize(&mut c) <= 1000);
        let persistent: Vec<String> = (0..500).map(|i| format!("persistent{i}")).collect();
        assert!(
            present(&mut c, &persistent).iter().all(|p| *p),
            "{policy} evicted a key without TTL"
        );
        // Once only keys without a TTL are left, writes are refused (nothing to evict).
        fill(&mut c, "persistent", 500..1000, None);
        assert_eq!(dbsize(&mut c), 1000);
        c.send_cmd(&[b"SET", b"one-more", b"v"]);
        c.expect(OOM);
        c.send_cmd(&[b"GET", b"persistent0"]);
        c.expect(b"$1\r\nv\r\n");
    }
}

#[test]
fn noeviction_refuses_writes_with_exact_oom_error() {
    let s = Server::start(&["--maxkeys", "1000", "--maxmemory-policy", "noeviction"]);
    let mut c = s.raw();
    fill(&mut c, "k", 0..1000, None);
    c.send_cmd(&[b"SET", b"k1000", b"v"]);
    c.expect(OOM);
    // Overwrites are refused too (Redis refuses every DENYOOM command), reads still work.
    c.send_cmd(&[b"SET", b"k0", b"v2"]);
    c.expect(OOM);
    c.send_cmd(&[b"GET", b"k999"]);
    c.expect(b"$1\r\nv\r\n");
    assert_eq!(dbsize(&mut c), 1000);
    assert_eq!(info_u64(&mut c, "evicted_keys"), 0);
    // The same error for the memory limit.
    c.send_cmd(&[b"CONFIG", b"SET", b"maxkeys", b"0"]);
    c.expect(b"+OK\r\n");
    c.send_cmd(&[b"SET", b"k1000", b"v"]);
    c.expect(b"+OK\r\n");
    c.send_cmd(&[b"CONFIG", b"SET", b"maxmemory", b"1"]);
    c.expect(b"+OK\r\n");
    c.send_cmd(&[b"SET", b"k1001", b"v"]);
    c.expect(OOM);
    c.send_cmd(&[b"GET", b"k1000"]);
    c.expect(b"$1\r\nv\r\n");
    // Raising the limit lets writes through again.
    c.send_cmd(&[b"CONFIG", b"SET", b"maxmemory", b"0"]);
    c.expect(b"+OK\r\n");
    c.send_cmd(&[b"SET", b"k1001", b"v"]);
    c.expect(b"+OK\r\n");
}

#[test]
fn maxmemory_64mb_holds_under_500mb_of_writes() {
    const LIMIT: u64 = 64 << 20;
    const VALUE: usize = 100 << 10;
    for policy in ["allkeys-lru", "allkeys-s3fifo"] {
        let s = Server::start(&["--maxmemory", "64mb", "--maxmemory-policy", policy]);
        let mut c = s.raw();
        let value = vec![b'x'; VALUE];
        let mut max_used = 0;
        // 5,000 × 100 KiB = 500 MiB, 10 values per pipeline.
        for batch in 0..500 {
            let cmds: Vec<_> = (0..10)
                .map(|i| set_cmd(&format!("big{}", batch * 10 + i), &value, None))
                .collect();
            for r in pipeline(&mut c, &cmds) {
                assert_eq!(r, b"+OK\r\n", "{policy}: {}", show(&r));
            }
            if batch % 25 == 0 {
                let used = info_u64(&mut c, "used_memory");
                max_used = max_used.max(used);
                // One pipeline (10 values) may land between two eviction checks.
                assert!(
                    used <= LIMIT + 10 * VALUE as u64 + (1 << 20),
                    "{policy}: used_memory {used}"
                );
            }
        }
        let used = info_u64(&mut c, "used_memory");
        let rss = info_u64(&mut c, "used_memory_rss");
        assert!(used <= LIMIT + 10 * VALUE as u64 + (1 << 20), "{used}");
        assert!(
            (rss as f64) < 1.5 * LIMIT as f64,
            "{policy}: RSS {rss} vs limit {LIMIT} (used {used}, max seen {max_used})"
        );
        assert!(info_u64(&mut c, "evicted_keys") > 4000);
        // The data that is left is intact.
        let n = dbsize(&mut c);
        assert!((500..=700).contains(&n), "{policy}: {n} keys");
        assert!(contains(&c.cmd(&[b"PING"]), b"PONG"));
    }
}

#[test]
fn config_set_lowering_maxkeys_evicts_in_slices_while_serving() {
    let s = Server::start(&["--maxmemory-policy", "allkeys-random"]);
    let mut c = s.raw();
    fill(&mut c, "k", 0..200_000, None);
    c.send_cmd(&[b"CONFIG", b"SET", b"maxkeys", b"1000"]);
    c.expect(b"+OK\r\n");
    // The server answers while it evicts; eventually the cap holds.
    let mut other = s.raw();
    assert!(contains(&other.cmd(&[b"PING"]), b"PONG"));
    assert!(wait_until(Duration::from_secs(20), || dbsize(&mut other) <= 1000));
    assert!(info_u64(&mut c, "evicted_keys") >= 199_000);
    // Same for maxmemory: fill, then lower the limit to keep half of what the keys use.
    let s = Server::start(&["--maxmemory-policy", "allkeys-lru"]);
    let mut c = s.raw();
    let used0 = info_u64(&mut c, "used_memory");
    // Values dominate (20 MB vs about 1 MB of table), so half of them can go.
    let value = vec![b'v'; 1000];
    let keys: Vec<usize> = (0..20_000).collect();
    for chunk in keys.chunks(100) {
        let cmds: Vec<_> = chunk
            .iter()
            .map(|i| set_cmd(&format!("m{i}"), &value, None))
            .collect();
        pipeline(&mut c, &cmds);
    }
    let used1 = info_u64(&mut c, "used_memory");
    let limit = used0 + (used1 - used0) / 2;
    c.send_cmd(&[
        b"CONFIG",
        b"SET",
        b"maxmemory",
        limit.to_string().as_bytes(),
    ]);
    c.expect(b"+OK\r\n");
    let mut other = s.raw();
    assert!(contains(&other.cmd(&[b"PING"]), b"PONG"));
    let mut used = 0;
    assert!(
        wait_until(Duration::from_secs(20), || {
            used = info_u64(&mut other, "used_memory");
            // Eviction runs before INFO; INFO's own reply then adds a few KB.
            used <= limit + (64 << 10)
        }),
        "used_memory {used} > {limit} (empty {used0}, full {used1}), {} keys, {} evicted",
        dbsize(&mut other),
        info_u64(&mut other, "evicted_keys")
    );
    let n = dbsize(&mut other);
    assert!((5_000..15_000).contains(&n), "{n} keys left");
}

/// 1000 keys at most; reaching the cap frees 40% of them, oldest first.
const MAXKEYS_1000_RATIO_0_4: &[&str] = &[
    "--maxkeys",
    "1000",
    "--maxkeys-eviction-ratio",
    "0.4",
    "--maxmemory-policy",
    "simple-first",
];

#[test]
fn maxkeys_eviction_ratio_evicts_in_bulk() {
    let s = Server::start(MAXKEYS_1000_RATIO_0_4);
    let mut c = s.raw();
    fill(&mut c, "k", 0..1000, None);
    // Full, but reads need no room.
    assert_eq!(dbsize(&mut c), 1000);
    assert_eq!(dbsize(&mut c), 1000);
    // The next write finds the cap reached and frees 40% at once (down to 600); the
    // eviction may take a few slices, during which writes go on.
    // (If the eviction needed more than one slice, the write landed in between and the
    // count ends at 600 rather than 601.)
    fill(&mut c, "k", 1000..1001, None);
    assert!(wait_until(Duration::from_secs(10), || {
        let n = info_u64(&mut c, "evicted_keys");
        n >= 400 && dbsize(&mut c) + n as i64 == 1001
    }));
    let n = dbsize(&mut c);
    assert!((600..=601).contains(&n), "{n}");
    let newest: Vec<String> = (401..1001).map(|i| format!("k{i}")).collect();
    assert!(present(&mut c, &newest).iter().all(|p| *p));
    // Reads and writes below the cap evict nothing.
    let before = info_u64(&mut c, "evicted_keys");
    fill(&mut c, "more", 0..(999 - n as usize), None);
    assert_eq!(dbsize(&mut c), 999);
    assert_eq!(info_u64(&mut c, "evicted_keys"), before);
}

#[test]
fn lru_command_runs_one_pass() {
    let s = Server::start(MAXKEYS_1000_RATIO_0_4);
    let mut c = s.raw();
    fill(&mut c, "k", 0..900, None);
    c.send_cmd(&[b"LRU"]);
    c.expect(b":300\r\n");
    assert_eq!(dbsize(&mut c), 600);
    c.send_cmd(&[b"LRU"]);
    c.expect(b":0\r\n");
    let left: Vec<String> = (300..900).map(|i| format!("k{i}")).collect();
    assert!(present(&mut c, &left).iter().all(|p| *p));
    c.send_cmd(&[b"LRU", b"extra"]);
    c.expect(b"-ERR wrong number of arguments for 'lru' command\r\n");
    // No limit, or noeviction: nothing to do.
    let s2 = Server::start(&[]);
    let mut c2 = s2.raw();
    fill(&mut c2, "k", 0..10, None);
    c2.send_cmd(&[b"LRU"]);
    c2.expect(b":0\r\n");
}

#[test]
fn evictions_fire_notifications_and_count() {
    let s = Server::start(&[
        "--maxkeys",
        "3",
        "--maxmemory-policy",
        "simple-first",
        "--notify-keyspace-events",
        "Ee",
    ]);
    let mut sub = s.raw();
    sub.send_cmd(&[b"SUBSCRIBE", b"__keyevent@0__:evicted"]);
    sub.expect(b"*3\r\n$9\r\nsubscribe\r\n$22\r\n__keyevent@0__:evicted\r\n:1\r\n");
    let mut c = s.raw();
    fill(&mut c, "k", 0..5, None);
    for k in ["k0", "k1"] {
        let msg = format!(
            "*3\r\n$7\r\nmessage\r\n$22\r\n__keyevent@0__:evicted\r\n${}\r\n{k}\r\n",
            k.len()
        );
        sub.expect(msg.as_bytes());
    }
    assert_eq!(info_u64(&mut c, "evicted_keys"), 2);
    assert_eq!(dbsize(&mut c), 3);
    c.send_cmd(&[b"CONFIG", b"RESETSTAT"]);
    c.expect(b"+OK\r\n");
    assert_eq!(info_u64(&mut c, "evicted_keys"), 0);
}

#[test]
fn info_memory_fields() {
    let s = Server::start(&["--maxmemory", "100mb", "--maxmemory-policy", "allkeys-lfu"]);
    let mut c = s.raw();
    let r = c.cmd(&[b"INFO", b"memory"]);
    let text = String::from_utf8_lossy(&r).into_owned();
    for f in [
        "used_memory:",
        "used_memory_human:",
        "used_memory_rss:",
        "used_memory_peak:",
        "used_memory_dataset:",
        "maxmemory:104857600\r\n",
        "maxmemory_human:100.00M\r\n",
        "maxmemory_policy:allkeys-lfu\r\n",
        "mem_fragmentation_ratio:",
        "mem_allocator:libc\r\n",
    ] {
        assert!(text.contains(f), "missing {f} in {text}");
    }
    // used_memory counts allocations, not RSS: a 10 MB value moves it by about 10 MB once
    // cron has given back the query buffer that received it (which counts meanwhile).
    let before = info_u64(&mut c, "used_memory");
    let big = vec![b'z'; 10 << 20];
    c.send_cmd(&[b"SET", b"big", &big]);
    c.expect(b"+OK\r\n");
    let mut delta = 0;
    assert!(
        wait_until(Duration::from_secs(10), || {
            delta = info_u64(&mut c, "used_memory") as i64 - before as i64;
            (10 << 20..11 << 20).contains(&delta)
        }),
        "used_memory grew by {delta}"
    );
    let after = info_u64(&mut c, "used_memory");
    assert!(info_u64(&mut c, "used_memory_peak") >= after);
    assert!(info_u64(&mut c, "used_memory_rss") >= after);
}

#[test]
fn memory_commands() {
    let s = Server::start(&[]);
    let mut c = s.raw();
    c.send_cmd(&[b"MEMORY", b"USAGE", b"nokey"]);
    c.expect(b"$-1\r\n");
    c.send_cmd(&[b"SET", b"k", b"v"]);
    c.expect(b"+OK\r\n");
    let small = int_reply(&c.cmd(&[b"MEMORY", b"USAGE", b"k"]));
    assert!((40..200).contains(&small), "{small}");
    let big = vec![b'x'; 1000];
    c.send_cmd(&[b"SET", b"big", &big]);
    c.expect(b"+OK\r\n");
    let n = int_reply(&c.cmd(&[b"MEMORY", b"USAGE", b"big", b"SAMPLES", b"0"]));
    assert!((1000..1200).contains(&n), "{n}");
    for (args, err) in [
        (
            &[&b"MEMORY"[..], b"USAGE", b"k", b"SAMPLES"][..],
            &b"-ERR syntax error\r\n"[..],
        ),
        (
            &[b"MEMORY", b"USAGE", b"k", b"SAMPLES", b"x"],
            b"-ERR value is not an integer or out of range\r\n",
        ),
        (
            &[b"MEMORY", b"USAGE", b"k", b"SAMPLES", b"-1"],
            b"-ERR syntax error\r\n",
        ),
        (
            &[b"MEMORY", b"USAGE", b"k", b"FOO", b"1"],
            b"-ERR syntax error\r\n",
        ),
        (
            &[b"MEMORY", b"USAGE"],
            b"-ERR wrong number of arguments for 'memory|usage' command\r\n",
        ),
        (
            &[b"MEMORY", b"STATS", b"x"],
            b"-ERR wrong number of arguments for 'memory|stats' command\r\n",
        ),
        (
            &[b"MEMORY", b"NOPE"],
            b"-ERR unknown subcommand 'NOPE'. Try MEMORY HELP.\r\n",
        ),
    ] {
        c.send_cmd(args);
        c.expect(err);
    }
    c.send_cmd(&[b"MEMORY", b"USAGE", b"k", b"SAMPLES", b"0"]);
    assert_eq!(int_reply(&c.read_reply()), small);

    let stats = c.cmd(&[b"MEMORY", b"STATS"]);
    assert!(stats.starts_with(b"*56\r\n"), "{}", show(&stats));
    for f in [
        &b"peak.allocated"[..],
        b"total.allocated",
        b"startup.allocated",
        b"db.0",
        b"overhead.hashtable.main",
        b"keys.count\r\n:2\r\n",
        b"dataset.bytes",
        b"fragmentation",
    ] {
        assert!(contains(&stats, f), "{} missing in MEMORY STATS", show(f));
    }
    let doctor = c.cmd(&[b"MEMORY", b"DOCTOR"]);
    assert!(
        contains(
            &doctor,
            b"Hi Sam, this instance is empty or is using very little memory"
        ),
        "{}",
        show(&doctor)
    );
    c.send_cmd(&[b"MEMORY", b"PURGE"]);
    c.expect(b"+OK\r\n");
    let help = c.cmd(&[b"MEMORY", b"HELP"]);
    assert!(help.starts_with(
        b"*14\r\n+MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n"
    ));
    assert!(contains(&help, b"+USAGE <key> [SAMPLES <count>]\r\n"));
    // RESP3: MEMORY STATS is a map.
    c.send_cmd(&[b"HELLO", b"3"]);
    c.read_reply();
    let stats3 = c.cmd(&[b"MEMORY", b"STATS"]);
    assert!(stats3.starts_with(b"%28\r\n"), "{}", show(&stats3[..40]));
}

#[test]
fn evictions_are_logged_to_the_aof_as_del() {
    let mut s = Server::start(&[
        "--appendonly",
        "yes",
        "--maxkeys",
        "3",
        "--maxmemory-policy",
        "simple-first",
    ]);
    let mut c = s.raw();
    fill(&mut c, "k", 0..5, None);
    assert_eq!(dbsize(&mut c), 3);
    drop(c);
    s.restart();
    let mut c = s.raw();
    assert_eq!(dbsize(&mut c), 3);
    let keys: Vec<String> = (0..5).map(|i| format!("k{i}")).collect();
    assert_eq!(present(&mut c, &keys), vec![false, false, true, true, true]);
}

/// Small keys and values live inline in the key table, so evicting one frees a table slot, not
/// an allocation, and a table that doubles its entry vector allocates far more than the next
/// key needs. Neither may turn into runaway eviction: with keys written continuously past
/// `maxmemory`, the cache ends up full (used_memory close to the limit, from below or by a
/// trimmed margin above) and holds about as many keys as the limit allows, not a fraction.
#[test]
fn small_inline_keys_fill_maxmemory_without_runaway_eviction() {
    const LIMIT: u64 = 16 << 20;
    let s = Server::start(&[
        "--maxmemory",
        &LIMIT.to_string(),
        "--maxmemory-policy",
        "allkeys-lru",
    ]);
    let mut c = s.raw();
    let base = info_u64(&mut c, "used_memory");
    // About 80 bytes a key: 16 MB holds ~190k of them; write 400k.
    fill(&mut c, "key:", 0..400_000, None);
    let evicted = info_u64(&mut c, "evicted_keys");
    assert!(evicted > 0, "the limit was never reached");
    let mut used = 0;
    // The cron gives back a doubled entry vector's free half within a tick or two.
    let settled = wait_until(Duration::from_secs(5), || {
        used = info_u64(&mut c, "used_memory");
        used <= LIMIT + LIMIT / 50
    });
    assert!(settled, "used_memory {used} stays above {LIMIT} + 2%");
    assert!(
        used >= LIMIT * 8 / 10,
        "used_memory {used} of {LIMIT}: over-evicted ({evicted} evicted)"
    );
    let keys = dbsize(&mut c) as u64;
    let per_key = (used - base) / keys.max(1);
    assert!(
        keys >= (LIMIT - base) / 120,
        "{keys} keys in {LIMIT} bytes ({per_key} B/key, {evicted} evicted)"
    );
}
