//! Every error a client can see, with Redis's exact text.
//!
//! Handlers return `Err(ReplyError)`; dispatch writes it as `-<text>\r\n`.
//! Keeping the strings here means one place to compare against Redis
//! (server.c `createSharedObjects` and the `addReplyError*` call sites).

use std::borrow::Cow;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyError {
    WrongType,
    Syntax,
    NotInteger,
    NotFloat,
    Overflow,
    OutOfRange,
    NoSuchKey,
    /// `-ERR wrong number of arguments for '<cmd>' command`
    WrongArity(String),
    /// `-ERR unknown subcommand '<sub>'. Try <CMD> HELP.`
    UnknownSubcommand {
        cmd: String,
        sub: String,
    },
    Oom,
    NoAuth,
    /// Any other fixed text (must include the code, e.g. "ERR ...").
    Static(&'static str),
    /// Any other computed text (must include the code).
    Owned(String),
}

pub type CmdResult = Result<(), ReplyError>;

impl ReplyError {
    pub fn text(&self) -> Cow<'static, str> {
        match self {
            ReplyError::WrongType => {
                "WRONGTYPE Operation against a key holding the wrong kind of value".into()
            }
            ReplyError::Syntax => "ERR syntax error".into(),
            ReplyError::NotInteger => "ERR value is not an integer or out of range".into(),
            ReplyError::NotFloat => "ERR value is not a valid float".into(),
            ReplyError::Overflow => "ERR increment or decrement would overflow".into(),
            ReplyError::OutOfRange => "ERR value is out of range, must be positive".into(),
            ReplyError::NoSuchKey => "ERR no such key".into(),
            ReplyError::WrongArity(cmd) => {
                format!("ERR wrong number of arguments for '{cmd}' command").into()
            }
            ReplyError::UnknownSubcommand { cmd, sub } => {
                format!("ERR unknown subcommand '{sub}'. Try {cmd} HELP.").into()
            }
            ReplyError::Oom => "OOM command not allowed when used memory > 'maxmemory'.".into(),
            ReplyError::NoAuth => "NOAUTH Authentication required.".into(),
            ReplyError::Static(s) => Cow::Borrowed(s),
            ReplyError::Owned(s) => s.clone().into(),
        }
    }

    pub fn owned(s: impl Into<String>) -> Self {
        ReplyError::Owned(s.into())
    }
}

/// Lossy, length-capped rendering of client bytes for error messages,
/// as Redis does when it echoes arguments back (unknown command, etc.).
pub fn printable(b: &[u8], max: usize) -> String {
    let b = &b[..b.len().min(max)];
    String::from_utf8_lossy(b).into_owned()
}
