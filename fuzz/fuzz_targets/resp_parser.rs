//! Arbitrary bytes into the request parser, fed in chunks as a socket would
//! deliver them (see `inmemdb_fuzz::resp_parser` for the checks).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| inmemdb_fuzz::resp_parser(data));
