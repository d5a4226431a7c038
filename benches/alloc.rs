//! Cost of memory accounting on the allocation hot path (criterion). Compares, for a malloc +
//! free pair of typical sizes (a 32-byte key/value chunk, a 256-byte value, a 4 KiB buffer):
//! - `system`: glibc malloc/free directly (no accounting);
//! - `counting`: `inmemdb::alloc::CountingAlloc`, the global allocator (relaxed atomic counter);
//! - `thread_local`: the same with a non-atomic thread-local counter (the rejected alternative).
//!
//! Run: `cargo bench --bench alloc`. The difference between `counting` and `system` is what
//! every allocation and free in the server pays for an exact `used_memory`.

#![allow(clippy::expect_used)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use inmemdb::alloc::CountingAlloc;

thread_local! {
    static TL_USED: Cell<usize> = const { Cell::new(0) };
}

struct ThreadLocalAlloc;

// SAFETY: forwards to `System` unchanged.
unsafe impl GlobalAlloc for ThreadLocalAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        TL_USED.with(|c| c.set(c.get() + layout.size()));
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        TL_USED.with(|c| c.set(c.get() - layout.size()));
    }
}

fn pair<A: GlobalAlloc>(a: &A, layout: Layout) {
    // SAFETY: a non-zero layout, freed with the same layout right away.
    unsafe {
        let p = a.alloc(layout);
        black_box(p);
        a.dealloc(p, layout);
    }
}

/// Allocate 64 blocks, then free them (keeps malloc off its single-chunk fast path).
fn batch<A: GlobalAlloc>(a: &A, layout: Layout, ptrs: &mut [*mut u8; 64]) {
    // SAFETY: as in `pair`.
    unsafe {
        for p in ptrs.iter_mut() {
            *p = a.alloc(layout);
        }
        black_box(&ptrs);
        for p in ptrs.iter() {
            a.dealloc(*p, layout);
        }
    }
}

fn bench(c: &mut Criterion) {
    for size in [32usize, 256, 4096] {
        let layout = Layout::from_size_align(size, 8).expect("layout");
        let mut g = c.benchmark_group(format!("alloc_free_{size}"));
        g.bench_function("system", |b| b.iter(|| pair(&System, layout)));
        g.bench_function("counting", |b| b.iter(|| pair(&CountingAlloc, layout)));
        g.bench_function("thread_local", |b| {
            b.iter(|| pair(&ThreadLocalAlloc, layout))
        });
        let mut ptrs = [std::ptr::null_mut(); 64];
        g.bench_function("system_x64", |b| {
            b.iter(|| batch(&System, layout, &mut ptrs))
        });
        g.bench_function("counting_x64", |b| {
            b.iter(|| batch(&CountingAlloc, layout, &mut ptrs))
        });
        g.bench_function("thread_local_x64", |b| {
            b.iter(|| batch(&ThreadLocalAlloc, layout, &mut ptrs))
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
