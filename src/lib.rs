//! InMemDB: a Redis-compatible in-memory key-value server.

pub mod keyspace;
pub mod util;
