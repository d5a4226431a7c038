//! RESP micro-benchmarks (criterion): the request parser on 100-deep pipelines of mixed
//! GET/SET/HSET with 16 B, 1 KiB and 64 KiB values (bytes/s), the parser fed in 16 KiB reads
//! (what the server's read loop does), and reply encoding (status, integer, bulk, array of
//! bulks). A regression signal only; end-to-end numbers come from benches/vs-redis.sh.
//!
//! Run: `cargo bench --bench resp` (a filter narrows it: `cargo bench --bench resp -- parse`).

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use inmemdb::resp::{Parse, Reply, RequestParser};

const PIPELINE: usize = 100;

fn push_bulk(buf: &mut Vec<u8>, arg: &[u8]) {
    buf.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
    buf.extend_from_slice(arg);
    buf.extend_from_slice(b"\r\n");
}

fn push_cmd(buf: &mut Vec<u8>, args: &[&[u8]]) {
    buf.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for a in args {
        push_bulk(buf, a);
    }
}

/// A pipeline of `PIPELINE` requests cycling SET, GET, HSET with `value_len`-byte values.
fn pipeline(value_len: usize) -> Vec<u8> {
    let value = vec![b'x'; value_len];
    let mut buf = Vec::new();
    for i in 0..PIPELINE {
        let key = format!("key:{i:012}");
        match i % 3 {
            0 => push_cmd(&mut buf, &[b"SET", key.as_bytes(), &value]),
            1 => push_cmd(&mut buf, &[b"GET", key.as_bytes()]),
            _ => push_cmd(&mut buf, &[b"HSET", b"myhash", key.as_bytes(), &value]),
        }
    }
    buf
}

/// Parse every request in `buf`; returns the summed argument lengths so nothing is optimised out.
fn parse_all(p: &mut RequestParser, buf: &[u8]) -> usize {
    let mut pos = 0;
    let mut total = 0;
    while pos < buf.len() {
        match p.parse(&buf[pos..]) {
            Parse::Complete { consumed } => {
                let (b, ranges) = p.args(&buf[pos..]);
                total += ranges.len() + b.len();
                for &(s, e) in ranges {
                    total += e - s;
                }
                pos += consumed;
                p.reset();
            }
            _ => break,
        }
    }
    total
}

/// Feed `buf` in `chunk`-byte reads, as the server does: after each read, parse what is
/// complete; keep partial requests for the next read (the parser resumes, no rescans).
fn parse_chunked(p: &mut RequestParser, buf: &[u8], chunk: usize) -> usize {
    let mut start = 0;
    let mut end = 0;
    let mut n = 0;
    while end < buf.len() {
        end = (end + chunk).min(buf.len());
        while start < end
            && let Parse::Complete { consumed } = p.parse(&buf[start..end])
        {
            n += 1;
            start += consumed;
            p.reset();
        }
    }
    n
}

fn bench_parser(c: &mut Criterion) {
    let mut g = c.benchmark_group("parse");
    for size in [16usize, 1024, 64 * 1024] {
        let buf = pipeline(size);
        g.throughput(Throughput::Bytes(buf.len() as u64));
        let mut p = RequestParser::new(512 << 20);
        assert_eq!(parse_chunked(&mut p, &buf, 16 * 1024), PIPELINE);
        g.bench_with_input(BenchmarkId::new("pipeline100", size), &buf, |b, buf| {
            b.iter(|| parse_all(&mut p, black_box(buf)))
        });
        g.bench_with_input(
            BenchmarkId::new("pipeline100_16k_reads", size),
            &buf,
            |b, buf| b.iter(|| parse_chunked(&mut p, black_box(buf), 16 * 1024)),
        );
    }
    // Inline requests (redis-benchmark's PING_INLINE, telnet users).
    let inline: Vec<u8> = b"PING\r\n".repeat(PIPELINE);
    g.throughput(Throughput::Bytes(inline.len() as u64));
    let mut p = RequestParser::new(512 << 20);
    g.bench_function("inline_ping100", |b| {
        b.iter(|| parse_all(&mut p, black_box(&inline)))
    });
    g.finish();
}

fn bench_writer(c: &mut Criterion) {
    let mut g = c.benchmark_group("reply");
    let mut r = Reply::new();

    g.throughput(Throughput::Bytes((5 * PIPELINE) as u64));
    g.bench_function("ok100", |b| {
        b.iter(|| {
            r.buf.clear();
            for _ in 0..PIPELINE {
                r.ok();
            }
            black_box(r.buf.len())
        })
    });

    let mut probe = Reply::new();
    for i in 0..PIPELINE {
        probe.int(i as i64 * 7919 - 100_000);
    }
    g.throughput(Throughput::Bytes(probe.buf.len() as u64));
    g.bench_function("int100", |b| {
        b.iter(|| {
            r.buf.clear();
            for i in 0..PIPELINE {
                r.int(black_box(i as i64 * 7919 - 100_000));
            }
            black_box(r.buf.len())
        })
    });

    for size in [16usize, 1024, 64 * 1024] {
        let value = vec![b'v'; size];
        let mut probe = Reply::new();
        for _ in 0..PIPELINE {
            probe.bulk(&value);
        }
        g.throughput(Throughput::Bytes(probe.buf.len() as u64));
        g.bench_with_input(BenchmarkId::new("bulk100", size), &value, |b, v| {
            b.iter(|| {
                r.buf.clear();
                for _ in 0..PIPELINE {
                    r.bulk(black_box(v));
                }
                black_box(r.buf.len())
            })
        });
    }

    // An array of 10 bulks (MGET / HGETALL shape), 100 times.
    let fields: Vec<Vec<u8>> = (0..10).map(|i| format!("field:{i}").into_bytes()).collect();
    let mut probe = Reply::new();
    for _ in 0..PIPELINE {
        probe.array(fields.len());
        for f in &fields {
            probe.bulk(f);
        }
    }
    g.throughput(Throughput::Bytes(probe.buf.len() as u64));
    g.bench_function("array10x100", |b| {
        b.iter(|| {
            r.buf.clear();
            for _ in 0..PIPELINE {
                r.array(fields.len());
                for f in &fields {
                    r.bulk(black_box(f));
                }
            }
            black_box(r.buf.len())
        })
    });
    g.finish();
}

criterion_group!(benches, bench_parser, bench_writer);
criterion_main!(benches);
