//! Replays the fuzz seed corpus (`fuzz/corpus/<target>/seed-*`) through both
//! fuzz targets' checks, so `cargo test` covers them without cargo-fuzz or a
//! nightly toolchain. The harness is the fuzz crate's own code, included
//! here, so both run exactly the same checks.
//!
//! Only the committed `seed-*` files are replayed: inputs libFuzzer adds to
//! the corpus directories while it runs are not in git, and a local run
//! should test what CI tests.

// Test code: a panic is how a test fails.
#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

#[path = "../fuzz/src/lib.rs"]
mod harness;

use std::fs;
use std::path::{Path, PathBuf};

fn seeds(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("read_dir entry").path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("seed-"))
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no seeds in {}", dir.display());
    files
}

fn read(path: &Path) -> Vec<u8> {
    fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

// A `resp_parser` seed is one byte that picks the chunk sizes, then the
// stream; a `dispatch` seed is the stream. Each target gets every seed, in
// the form it expects.

#[test]
fn corpus_through_the_parser() {
    for path in seeds("resp_parser") {
        eprintln!("resp_parser {}", path.display());
        harness::resp_parser(&read(&path));
    }
    for path in seeds("dispatch") {
        eprintln!("resp_parser {}", path.display());
        let data = read(&path);
        // A few different chunkings of each stream.
        for chunking in [1u8, 2, 3, 255] {
            let mut input = vec![chunking];
            input.extend_from_slice(&data);
            harness::resp_parser(&input);
        }
    }
}

#[test]
fn corpus_through_dispatch() {
    for path in seeds("dispatch") {
        eprintln!("dispatch {}", path.display());
        harness::dispatch(&read(&path));
    }
    for path in seeds("resp_parser") {
        eprintln!("dispatch {}", path.display());
        let data = read(&path);
        harness::dispatch(data.get(1..).unwrap_or_default());
    }
}
