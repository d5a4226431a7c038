//! InMemDB: a Redis-compatible in-memory key-value server.
