//! Memory accounting: the process-wide `#[global_allocator]` is a thin wrapper over the system
//! allocator (glibc malloc) that keeps a running total of the bytes it hands out. Follows redis
//! src/zmalloc.c (`used_memory`, updated on every allocation and free).
//!
//! **What is counted.** Every byte requested through Rust's allocator by any thread of the
//! process (keys, values, tables, client buffers, the AOF buffer): the `Layout::size()` of each
//! live allocation. That is exact for what we asked for; malloc's own per-chunk header and
//! rounding (8–16 bytes per chunk) and freed-but-not-returned pages show up in RSS instead, so
//! `mem_fragmentation_ratio = rss / used_memory` measures them, as in Redis. Memory allocated by
//! C code behind our back (none today) would not be counted.
//!
//! **Why the system allocator and a relaxed atomic** (measured with `cargo bench --bench alloc`,
//! numbers in the README's Eviction section): the counter is one uncontended `lock xadd` per
//! allocation and per free. jemalloc would give per-arena stats for free, but its
//! `stats.allocated` is only refreshed on an `epoch` bump (a mallctl call costing far more than
//! the counter) and it would add a C dependency built from source; glibc's arenas keep RSS close
//! to the counted total for our allocation pattern (see the 64 MB eviction test). A non-atomic
//! thread-local counter was measured too: faster, but memory freed by another thread than the
//! one that allocated it would skew the per-thread totals, and the test harness does exactly that.
//!
//! **Peak** (`used_memory_peak`) is sampled, not tracked per allocation (that would cost a second
//! atomic): `update_peak` runs in cron and whenever INFO/MEMORY read the counter, as Redis does.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Bytes currently allocated through the global allocator.
static USED: AtomicUsize = AtomicUsize::new(0);
/// Highest `USED` seen by `update_peak`.
static PEAK: AtomicUsize = AtomicUsize::new(0);
/// `USED` right after the server finished starting (Redis's `used_memory_startup`).
static STARTUP: AtomicUsize = AtomicUsize::new(0);

/// The counting allocator. Installed as the global allocator of every binary linking this
/// crate (the server, its tests and benches), so `used_memory` is meaningful everywhere.
pub struct CountingAlloc;

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so the
// `GlobalAlloc` contract is `System`'s; the counter updates have no effect on the memory.
unsafe impl GlobalAlloc for CountingAlloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded contract.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            USED.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded contract.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            USED.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded contract.
        unsafe { System.dealloc(ptr, layout) };
        USED.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded contract.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            // On failure the old block stays allocated and nothing changes.
            if new_size >= layout.size() {
                USED.fetch_add(new_size - layout.size(), Ordering::Relaxed);
            } else {
                USED.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

/// Bytes currently allocated by the process through Rust's allocator (Redis's
/// `zmalloc_used_memory`).
#[inline]
pub fn used_memory() -> usize {
    USED.load(Ordering::Relaxed)
}

/// Records the current total as the peak if it is higher; returns the peak.
pub fn update_peak() -> usize {
    let used = used_memory();
    PEAK.fetch_max(used, Ordering::Relaxed).max(used)
}

/// Highest total recorded by [`update_peak`].
pub fn peak_memory() -> usize {
    PEAK.load(Ordering::Relaxed).max(used_memory())
}

/// MEMORY STATS / INFO after CONFIG RESETSTAT: the peak restarts from now (Redis resets
/// `stat_peak_memory` there too).
pub fn reset_peak() {
    PEAK.store(used_memory(), Ordering::Relaxed);
}

/// Remember the current total as the memory the server needs with no data and no clients.
pub fn mark_startup() {
    STARTUP.store(used_memory(), Ordering::Relaxed);
}

/// `used_memory_startup`.
pub fn startup_memory() -> usize {
    STARTUP.load(Ordering::Relaxed)
}

/// Resident set size in bytes, from /proc (0 if unavailable).
pub fn rss_bytes() -> usize {
    let Ok(s) = std::fs::read_to_string("/proc/self/statm") else {
        return 0;
    };
    let pages: usize = s
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    pages * page.max(4096) as usize
}

/// Total physical memory (INFO `total_system_memory`), 0 if unknown.
pub fn total_system_memory() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let (pages, page) = unsafe {
        (
            libc::sysconf(libc::_SC_PHYS_PAGES),
            libc::sysconf(libc::_SC_PAGESIZE),
        )
    };
    if pages <= 0 || page <= 0 {
        0
    } else {
        pages as u64 * page as u64
    }
}

/// Ask glibc to give freed heap pages back to the OS (MEMORY PURGE).
pub fn purge() {
    // SAFETY: malloc_trim only walks malloc's own state; 0 = keep no extra pad.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_alloc_realloc_free() {
        // Other test threads allocate concurrently, so measure a large block whose size
        // dominates any noise, several times.
        const N: usize = 64 << 20;
        let ok = (0..5).any(|_| {
            let before = used_memory();
            let mut v: Vec<u8> = Vec::with_capacity(N);
            v.push(1);
            let grown = used_memory();
            v.reserve_exact(2 * N);
            let more = used_memory();
            drop(v);
            let after = used_memory();
            let near = |a: usize, b: usize| a.abs_diff(b) < (1 << 20);
            near(grown - before, N) && near(more - before, 2 * N + 1) && near(after, before)
        });
        assert!(ok);
        assert!(update_peak() >= used_memory());
    }
}
