//! Arbitrary bytes parsed into commands and run against a fresh server core
//! (see `inmemdb_fuzz::dispatch` for the checks).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| inmemdb_fuzz::dispatch(data));
