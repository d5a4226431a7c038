//! Unit tests for the keyspace: model-checked random operations, lazy expiry on every path,
//! the SCAN guarantee under churn, sampling, metadata touching.
use super::*;
use rand::rngs::StdRng;
use std::collections::{HashMap, HashSet};

const NOW: u64 = 1_700_000_000_000;

/// Checks the map ↔ TTL index back-pointers.
pub(crate) fn check_invariants(db: &Db) {
    for (i, (_, e)) in db.map.iter().enumerate() {
        if e.vol != NO_TTL {
            assert_eq!(db.volatile[e.vol as usize].idx as usize, i);
        }
    }
    for (j, s) in db.volatile.iter().enumerate() {
        assert_eq!(db.map[s.idx as usize].vol as usize, j);
    }
}

fn s(v: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    v.as_str().unwrap().write_to(&mut out);
    out
}

#[test]
fn set_get_overwrite_and_ttl_modes() {
    let mut ks = Keyspace::with_seed(1, 0);
    let db = &mut ks.dbs[0];
    assert!(db.set(b"a", Value::string(b"1"), SetExpire::At(NOW + 100), NOW));
    assert_eq!(db.expire_at(b"a"), Some(NOW + 100));
    assert!(!db.set(b"a", Value::string(b"2"), SetExpire::Keep, NOW));
    assert_eq!(db.expire_at(b"a"), Some(NOW + 100));
    assert!(!db.set(b"a", Value::string(b"3"), SetExpire::Clear, NOW));
    assert_eq!(db.expire_at(b"a"), None);
    assert_eq!(db.volatile_len(), 0);
    assert_eq!(s(&db.lookup_read(b"a", NOW).unwrap().value), b"3");
    assert!(db.lookup_read(b"missing", NOW).is_none());
    let st = ks.stats();
    assert_eq!((st.keyspace_hits, st.keyspace_misses), (1, 1));
    let db = &mut ks.dbs[0];
    db.lookup_write(b"a", NOW);
    db.lookup_write(b"nope", NOW);
    db.lookup(b"a", NOW, LookupFlags::NOSTATS);
    let st = ks.stats();
    assert_eq!((st.keyspace_hits, st.keyspace_misses), (1, 1));
}

#[test]
fn lazy_expiry_on_every_path() {
    let mut ks = Keyspace::with_seed(1, 0);
    let db = &mut ks.dbs[0];
    for k in [&b"r"[..], b"w", b"p", b"d", b"s", b"e"] {
        db.set(k, Value::int(1), SetExpire::At(NOW + 10), NOW);
    }
    // At the deadline the key is still alive (Redis: expired when now > deadline).
    assert!(db.lookup_read(b"r", NOW + 10).is_some());
    let later = NOW + 11;
    assert!(db.peek(b"p", later).is_none());
    assert_eq!(db.len(), 6, "peek has no side effects");
    assert!(db.lookup_read(b"r", later).is_none());
    assert!(db.lookup_write(b"w", later).is_none());
    assert!(db.remove(b"d", later).is_none());
    assert!(db.expire_if_needed(b"e", later));
    // SET over a stale key with KEEPTTL must not inherit the dead deadline.
    assert!(db.set(b"s", Value::int(2), SetExpire::Keep, later));
    assert_eq!(db.expire_at(b"s"), None);
    let events: Vec<_> = db.drain_expired().map(|k| k.to_vec()).collect();
    assert_eq!(
        events,
        [
            b"r".to_vec(),
            b"w".to_vec(),
            b"d".to_vec(),
            b"e".to_vec(),
            b"s".to_vec()
        ]
    );
    assert!(!db.has_expired_events());
    assert_eq!(db.len(), 2); // p (stale, unreclaimed) and the new s
    check_invariants(db);
    let st = ks.stats();
    assert_eq!(st.expired_keys, 5);
    assert_eq!(st.keyspace_misses, 1);
}

#[test]
fn remove_returns_contents() {
    let mut ks = Keyspace::with_seed(1, 0);
    let db = &mut ks.dbs[0];
    db.set(b"k", Value::string(b"hello"), SetExpire::At(NOW + 5), NOW);
    let r = db.remove(b"k", NOW).unwrap();
    assert_eq!(r.key.as_bytes(), b"k");
    assert_eq!(s(&r.value), b"hello");
    assert_eq!(r.expire_at, Some(NOW + 5));
    assert!(db.remove(b"k", NOW).is_none());
    db.set(b"x", Value::int(1), SetExpire::At(NOW - 5), NOW);
    assert!(db.delete(b"x").is_some(), "delete ignores deadlines");
    assert!(!db.has_expired_events());
}

#[test]
fn persist_and_set_expire() {
    let mut ks = Keyspace::with_seed(1, 0);
    let db = &mut ks.dbs[0];
    assert!(!db.set_expire(b"k", NOW));
    db.set(b"k", Value::int(1), SetExpire::Clear, NOW);
    assert!(!db.persist(b"k"));
    assert!(db.set_expire(b"k", NOW + 1));
    assert!(db.set_expire(b"k", NOW + 2));
    assert_eq!(db.volatile_len(), 1);
    assert_eq!(db.expire_at(b"k"), Some(NOW + 2));
    assert!(db.persist(b"k"));
    assert_eq!(db.volatile_len(), 0);
    assert!(!db.lookup_read(b"k", NOW).unwrap().has_ttl());
    check_invariants(db);
}

/// Random operations against a model (HashMap) with invariant checks.
#[test]
fn random_ops_match_model() {
    let mut ks = Keyspace::with_seed(1, 42);
    let db = &mut ks.dbs[0];
    let mut rng = StdRng::seed_from_u64(42);
    let mut model: HashMap<Vec<u8>, (i64, Option<u64>)> = HashMap::new();
    let mut now = NOW;
    for step in 0..50_000 {
        now += rng.random_range(0..3);
        let key = format!("k{}", rng.random_range(0..500)).into_bytes();
        // Model-side lazy expiry.
        if let Some((_, Some(at))) = model.get(&key)
            && now > *at
        {
            model.remove(&key);
        }
        match rng.random_range(0..8) {
            0 | 1 => {
                let v = rng.random_range(0..1000);
                let exp = match rng.random_range(0..3) {
                    0 => SetExpire::Clear,
                    1 => SetExpire::Keep,
                    _ => SetExpire::At(now + rng.random_range(0..50)),
                };
                let created = db.set(&key, Value::int(v), exp, now);
                let old = model.get(&key).copied();
                assert_eq!(created, old.is_none(), "step {step}");
                let ttl = match exp {
                    SetExpire::Clear => None,
                    SetExpire::Keep => old.and_then(|o| o.1),
                    SetExpire::At(a) => Some(a),
                };
                model.insert(key.clone(), (v, ttl));
            }
            2 => {
                let got = db
                    .remove(&key, now)
                    .map(|r| r.value.as_str().unwrap().as_i64());
                assert_eq!(got, model.remove(&key).map(|m| Some(m.0)));
            }
            3 => {
                let got = db
                    .lookup_read(&key, now)
                    .map(|e| e.value.as_str().unwrap().as_i64());
                assert_eq!(got, model.get(&key).map(|m| Some(m.0)));
            }
            4 => {
                if model.contains_key(&key) {
                    let at = now + rng.random_range(0..50);
                    db.lookup_write(&key, now);
                    assert!(db.set_expire(&key, at));
                    model.get_mut(&key).unwrap().1 = Some(at);
                }
            }
            5 => {
                if model.contains_key(&key) {
                    db.lookup_write(&key, now);
                    let had = model.get_mut(&key).unwrap().1.take().is_some();
                    assert_eq!(db.persist(&key), had);
                }
            }
            6 => {
                ks_cycle(db, now);
            }
            _ => {
                if let Some(k) = db.random_key(&mut rng, now) {
                    let k = k.to_vec();
                    assert!(model.contains_key(&k) || model.is_empty());
                }
            }
        }
        if step % 1000 == 0 {
            check_invariants(db);
        }
    }
    check_invariants(db);
    // Every live model key is in the db with the same TTL.
    for (k, (v, ttl)) in &model {
        if ttl.is_some_and(|a| now > a) {
            continue;
        }
        assert_eq!(
            db.peek(k, now).unwrap().value.as_str().unwrap().as_i64(),
            Some(*v)
        );
        assert_eq!(db.expire_at(k), *ttl);
    }
}

/// Runs one expire round directly on a db (the keyspace-level cycle is tested in expire.rs).
fn ks_cycle(db: &mut Db, now: u64) {
    db.expire_round(now, expire::KEYS_PER_LOOP);
}

#[test]
fn scan_returns_every_stable_key_under_churn() {
    for seed in 0..5 {
        let mut ks = Keyspace::with_seed(1, seed);
        let db = &mut ks.dbs[0];
        let mut rng = StdRng::seed_from_u64(seed);
        for i in 0..3000 {
            db.set(
                format!("stable{i}").as_bytes(),
                Value::int(i),
                SetExpire::Clear,
                NOW,
            );
            db.set(
                format!("churn{i}").as_bytes(),
                Value::int(i),
                SetExpire::Clear,
                NOW,
            );
        }
        let stable: HashSet<Vec<u8>> = (0..3000)
            .map(|i| format!("stable{i}").into_bytes())
            .collect();
        let mut seen = HashSet::new();
        let mut cursor = 0;
        let mut fresh = 0;
        let mut calls = 0;
        loop {
            let count = rng.random_range(1..30);
            cursor = db.scan(cursor, count, NOW, |k, _| {
                seen.insert(k.to_vec());
            });
            calls += 1;
            for _ in 0..rng.random_range(0..20) {
                if rng.random_bool(0.5) {
                    db.set(
                        format!("new{fresh}").as_bytes(),
                        Value::int(0),
                        SetExpire::Clear,
                        NOW,
                    );
                    fresh += 1;
                } else {
                    let k = format!("churn{}", rng.random_range(0..3000));
                    db.remove(k.as_bytes(), NOW);
                }
            }
            if cursor == 0 {
                break;
            }
        }
        assert!(calls > 100);
        for k in &stable {
            assert!(seen.contains(k), "seed {seed}: missed {k:?}");
        }
        check_invariants(db);
    }
}

#[test]
fn scan_expires_stale_keys_and_handles_odd_cursors() {
    let mut ks = Keyspace::with_seed(1, 0);
    let db = &mut ks.dbs[0];
    for i in 0..100 {
        let exp = if i % 2 == 0 {
            SetExpire::At(NOW)
        } else {
            SetExpire::Clear
        };
        db.set(format!("k{i}").as_bytes(), Value::int(i), exp, NOW);
    }
    let mut n = 0;
    let mut cursor = 0;
    loop {
        cursor = db.scan(cursor, 7, NOW + 1, |_, _| n += 1);
        if cursor == 0 {
            break;
        }
    }
    assert_eq!(n, 50);
    assert_eq!(db.len(), 50);
    assert_eq!(db.drain_expired().count(), 50);
    // A cursor beyond the table is clamped; an empty db ends at once.
    let mut m = 0;
    assert_eq!(db.scan(1 << 40, 100, NOW, |_, _| m += 1), 0);
    assert_eq!(m, 50);
    db.clear();
    let mut calls = 0;
    assert_eq!(db.scan(0, 10, NOW, |_, _| calls += 1), 0);
    assert_eq!(db.scan(77, 10, NOW, |_, _| calls += 1), 0);
    assert_eq!(calls, 0);
}

#[test]
fn random_key_skips_and_reclaims_stale() {
    let mut ks = Keyspace::with_seed(1, 0);
    let db = &mut ks.dbs[0];
    let mut rng = StdRng::seed_from_u64(1);
    assert!(db.random_key(&mut rng, NOW).is_none());
    for i in 0..1000 {
        db.set(
            format!("dead{i}").as_bytes(),
            Value::int(i),
            SetExpire::At(NOW),
            NOW,
        );
    }
    db.set(b"alive", Value::int(1), SetExpire::Clear, NOW);
    let k = db.random_key(&mut rng, NOW + 1).unwrap().to_vec();
    assert_eq!(k, b"alive");
    let reclaimed = db.drain_expired().count();
    assert!(reclaimed <= 100, "bounded: {reclaimed}");
    // All stale: nothing to return.
    db.remove(b"alive", NOW + 1);
    assert!(db.random_key(&mut rng, NOW + 1).is_none());
    // Uniformity (roughly) over live keys.
    let mut ks = Keyspace::with_seed(1, 0);
    let db = &mut ks.dbs[0];
    for i in 0..10 {
        db.set(
            format!("k{i}").as_bytes(),
            Value::int(i),
            SetExpire::Clear,
            NOW,
        );
    }
    let mut hist = HashMap::new();
    for _ in 0..10_000 {
        *hist
            .entry(db.random_key(&mut rng, NOW).unwrap().to_vec())
            .or_insert(0) += 1;
    }
    assert_eq!(hist.len(), 10);
    assert!(hist.values().all(|&c| (800..1200).contains(&c)), "{hist:?}");
}

#[test]
fn sampling_and_volatile_sampling() {
    let mut ks = Keyspace::with_seed(1, 0);
    let db = &mut ks.dbs[0];
    let mut rng = StdRng::seed_from_u64(2);
    assert!(db.sample(&mut rng).is_none());
    assert!(db.sample_volatile(&mut rng).is_none());
    for i in 0..100 {
        let exp = if i < 10 {
            SetExpire::At(NOW + i as u64)
        } else {
            SetExpire::Clear
        };
        db.set(format!("k{i}").as_bytes(), Value::int(i), exp, NOW);
    }
    for _ in 0..1000 {
        let (k, e, at) = db.sample_volatile(&mut rng).unwrap();
        assert!(e.has_ttl());
        assert_eq!(db.expire_at(k), Some(at));
        assert!(db.sample(&mut rng).is_some());
    }
}

#[test]
fn lru_and_lfu_touch() {
    let mut ks = Keyspace::with_seed(1, 0);
    ks.dbs[0].set(b"k", Value::int(1), SetExpire::Clear, NOW);
    let m0 = ks.dbs[0].peek(b"k", NOW).unwrap().meta();
    assert_eq!(m0, meta::lru_clock(NOW));
    ks.dbs[0].lookup_read(b"k", NOW + 5000);
    assert_eq!(
        ks.dbs[0].peek(b"k", NOW).unwrap().meta(),
        meta::lru_clock(NOW + 5000)
    );
    ks.dbs[0].lookup(b"k", NOW + 9000, LookupFlags::NOTOUCH);
    assert_eq!(
        ks.dbs[0].peek(b"k", NOW).unwrap().meta(),
        meta::lru_clock(NOW + 5000)
    );
    ks.set_touch_enabled(false);
    ks.dbs[0].lookup_read(b"k", NOW + 9000);
    assert_eq!(
        ks.dbs[0].peek(b"k", NOW).unwrap().meta(),
        meta::lru_clock(NOW + 5000)
    );
    ks.set_touch_enabled(true);

    let lfu = MetaPolicy::Lfu {
        log_factor: 10,
        decay_time_min: 1,
    };
    ks.set_meta_policy(lfu);
    ks.dbs[0].set(b"f", Value::int(1), SetExpire::Clear, NOW);
    assert_eq!(
        ks.dbs[0].peek(b"f", NOW).unwrap().meta() as u8,
        meta::LFU_INIT_VAL
    );
    for _ in 0..1000 {
        ks.dbs[0].lookup_read(b"f", NOW);
    }
    let c = ks.dbs[0].peek(b"f", NOW).unwrap().meta() as u8;
    assert!(c > 10, "{c}");
    // Overwrite keeps the LFU counter.
    ks.dbs[0].set(b"f", Value::int(2), SetExpire::Clear, NOW);
    assert_eq!(ks.dbs[0].peek(b"f", NOW).unwrap().meta() as u8, c);
}

#[test]
fn keyspace_level_ops() {
    let mut ks = Keyspace::with_seed(3, 0);
    ks.dbs[0].set(b"a", Value::int(1), SetExpire::At(NOW + 9), NOW);
    ks.dbs[1].set(b"b", Value::int(2), SetExpire::Clear, NOW);
    assert!(ks.swap_dbs(0, 1));
    assert_eq!(ks.dbs[0].id(), 0);
    assert!(ks.dbs[0].peek(b"b", NOW).is_some());
    assert_eq!(ks.dbs[1].expire_at(b"a"), Some(NOW + 9));
    assert!(!ks.swap_dbs(0, 3));
    let (x, y) = ks.two_dbs_mut(1, 0).unwrap();
    let r = x.remove(b"a", NOW).unwrap();
    y.set(
        &r.key,
        r.value,
        r.expire_at.map_or(SetExpire::Clear, SetExpire::At),
        NOW,
    );
    assert_eq!(ks.dbs[0].expire_at(b"a"), Some(NOW + 9));
    assert!(ks.two_dbs_mut(1, 1).is_none());
    assert_eq!(ks.total_keys(), 2);
    assert_eq!(ks.flush_all(), 2);
    assert_eq!(ks.total_keys(), 0);
    assert_eq!(Keyspace::with_seed(0, 0).dbs.len(), 1);
}

#[test]
fn shrink_after_mass_delete() {
    let mut ks = Keyspace::with_seed(1, 0);
    let db = &mut ks.dbs[0];
    for i in 0..20_000 {
        db.set(
            format!("k{i}").as_bytes(),
            Value::int(i),
            SetExpire::At(NOW + 1),
            NOW,
        );
    }
    for i in 0..19_900 {
        db.remove(format!("k{i}").as_bytes(), NOW);
    }
    assert!(db.shrink_if_sparse());
    assert!(!db.shrink_if_sparse());
    check_invariants(db);
    assert_eq!(db.len(), 100);
}

#[test]
fn memory_usage_estimates() {
    let mut ks = Keyspace::with_seed(1, 0);
    let db = &mut ks.dbs[0];
    db.set(b"small", Value::string(b"v"), SetExpire::Clear, NOW);
    db.set(
        &[b'k'; 100],
        Value::string(&[b'v'; 1000]),
        SetExpire::At(NOW + 1),
        NOW,
    );
    let small = db.memory_usage(b"small").unwrap();
    assert_eq!(small, SLOT_OVERHEAD);
    let big = db.memory_usage(&[b'k'; 100]).unwrap();
    assert_eq!(big, SLOT_OVERHEAD + 100 + 1000 + 16);
    assert!(db.memory_usage(b"none").is_none());
}

/// The layout behind the bytes-per-key budget (RSS is measured in benches/keyspace.rs):
/// a 12-byte key and a 16-byte value are both inline, so a key costs its 64-byte bucket
/// plus its share of the index table and nothing else.
#[test]
fn entry_layout() {
    assert_eq!(std::mem::size_of::<CompactBytes>(), 24);
    assert_eq!(std::mem::size_of::<Value>(), 24);
    assert_eq!(std::mem::size_of::<Entry>(), 32);
    let v = Value::string(b"value:0123456789");
    assert_eq!(v.heap_size(), 0);
    assert_eq!(CompactBytes::from_slice(b"key:00000001").heap_size(), 0);
}
