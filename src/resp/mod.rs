//! RESP, the Redis serialization protocol: an incremental request parser
//! (`parser`) and a reply writer for RESP2 and RESP3 (`writer`).
//!
//! This layer knows nothing about commands; it turns bytes into argv and
//! replies into bytes. It follows redis src/networking.c
//! (`processMultibulkBuffer`, `processInlineBuffer`, the `addReply*` family).

pub mod parser;
pub mod writer;

pub use parser::{Parse, ProtocolError, RequestParser};
pub use writer::{Proto, Reply};
