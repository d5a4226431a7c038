//! InMemDB: a Redis-compatible in-memory key-value server.

pub mod config;
pub mod glob;
