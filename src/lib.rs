//! InMemDB: a Redis-compatible in-memory key-value server.
//!
//! Module map (see each module's header):
//! - `server`: the mio event loop, clients, listeners, cron — the only mio user.
//! - `resp`: incremental request parser and RESP2/RESP3 reply writer.
//! - `commands`: the command table, dispatch, and one file per command family.
//! - `config`: the option table behind the config file, CLI flags and CONFIG.
//! - `info`, `stats`: INFO rendering and server counters.
//! - `error`: every client-visible error string.
//! - `keyspace`: databases of keys → values, TTL index, active expiry (no I/O).
//! - `alloc`: the counting global allocator behind `used_memory`.
//! - `evict`: maxmemory/maxkeys enforcement (the policies live in `keyspace::evict`).
//! - `persistence`: the append-only file: logging, loading, BGREWRITEAOF by fork.
//! - `util`: Redis-exact number parsing and formatting.
//! - `glob`: Redis's glob matcher (KEYS, SCAN MATCH, CONFIG GET, PSUBSCRIBE).
//! - `pubsub`: channel and pattern subscription indexes (PUBLISH fan-out).

pub mod alloc;
pub mod commands;
pub mod config;
pub mod error;
pub mod evict;
pub mod glob;
pub mod info;
pub mod keyspace;
pub mod persistence;
pub mod pubsub;
pub mod resp;
pub mod server;
pub mod stats;
pub mod util;

/// The Redis version whose behaviour we follow (INFO redis_version, HELLO).
pub const REDIS_VERSION: &str = "7.2.4";
/// InMemDB's own version (INFO inmemdb_version).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
