//! Server configuration: one table of options that serves the config file
//! parser, `--name value` command-line options, CONFIG GET, CONFIG SET and
//! CONFIG REWRITE. Follows redis src/config.c (`static_configs[]`,
//! `loadServerConfigFromString`, `configSetCommand`, `rewriteConfig`) and
//! src/sds.c `sdssplitargs` for the file syntax.
//!
//! This file owns the `Config` struct and its defaults, the enum-valued
//! option types, the startup error type, and the public re-exports. The rest,
//! one job per file:
//! - `table`: the option table (`OPTIONS`, `ALIASES`), its entry types and
//!   the plain validators (config.c `static_configs[]`, `standardConfig`);
//! - `getset`: CONFIG GET and CONFIG SET over the table, value parsing and
//!   formatting per option type (config.c `configGetCommand`,
//!   `configSetCommand` and the per-type `*ConfigSet` / `*ConfigGet`);
//! - `special`: options with their own syntax: `bind`, `save`,
//!   `client-output-buffer-limit` (config.c `setConfigBindOption` and
//!   friends, with their `rewriteConfig*Option`);
//! - `notify`: `notify-keyspace-events` and the NOTIFY_* classes (notify.c);
//! - `load`: config files and `include` (config.c
//!   `loadServerConfigFromString`, `loadServerConfig`);
//! - `cli`: the startup command line, `--help`, `--version`, `--check-aof`
//!   (server.c `main`, `usage`, `version`);
//! - `rewrite`: CONFIG REWRITE (config.c `rewriteConfig`,
//!   `rewriteConfigOverwriteFile`);
//! - `syntax`: the text forms underneath: tokenizer, quoting, memory sizes,
//!   strtoll (sds.c `sdssplitargs`, `sdscatrepr`; util.c `memtoull`).
//!
//! Invariants:
//! - Option names are the redis.conf names verbatim; `Config` fields are their
//!   snake_case. `Config::default()` is the single source of default values:
//!   CONFIG REWRITE compares against it and the example file is tested with it.
//! - CONFIG GET returns, for every mutable option, a value CONFIG SET accepts
//!   back unchanged (memory sizes as plain bytes, enums by name).
//! - CONFIG SET is all-or-nothing: values are applied to a clone, which
//!   replaces `self` only when every pair succeeded. Errors are Redis 7's text.
//! - Nothing here touches the process (no chdir, no bind): the server reacts to
//!   the list of changed names that `set_many` returns.
//!
//! Deviations from Redis, on purpose: memory values that overflow 64 bits are
//! rejected instead of wrapping; `notify-keyspace-events` keeps the `n` flag
//! visible next to `A` (Redis 7.0 drops it from CONFIG GET); string values must
//! be UTF-8; CONFIG GET names come back in their canonical lowercase spelling.

use std::fmt;
use std::io;
use std::path::PathBuf;

mod cli;
mod getset;
mod load;
mod notify;
mod rewrite;
mod special;
mod syntax;
mod table;
#[cfg(test)]
mod test_support;

pub use cli::parse_startup;
pub use notify::{
    NOTIFY_ALL, NOTIFY_EVICTED, NOTIFY_EXPIRED, NOTIFY_GENERIC, NOTIFY_HASH, NOTIFY_KEY_MISS,
    NOTIFY_KEYEVENT, NOTIFY_KEYSPACE, NOTIFY_LIST, NOTIFY_MODULE, NOTIFY_NEW, NOTIFY_SET,
    NOTIFY_STREAM, NOTIFY_STRING, NOTIFY_ZSET, keyspace_events_flags, keyspace_events_string,
};
pub use rewrite::{NO_CONFIG_FILE_ERR, rewrite_error};
pub use syntax::{memtoull, repr, split_args};

/// Declares an enum-valued option type with its redis.conf names, in the
/// order Redis lists them in its "must be one of the following" error.
macro_rules! config_enum {
    ($(#[$meta:meta])* $ty:ident { $($variant:ident => $name:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $ty { $($variant),+ }

        impl $ty {
            /// Every variant, in redis.conf order.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];
            const NAMES: &'static [&'static str] = &[$($name),+];

            /// The redis.conf spelling.
            pub fn name(&self) -> &'static str {
                match self { $($ty::$variant => $name),+ }
            }

            /// Case-insensitive lookup, like Redis's `configEnumGetValue`.
            pub fn from_name(s: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.name().eq_ignore_ascii_case(s))
            }

            fn index(self) -> usize {
                Self::ALL.iter().position(|v| *v == self).unwrap_or(0)
            }

            fn from_index(i: usize) -> Self {
                Self::ALL.get(i).copied().unwrap_or(Self::ALL[0])
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

config_enum!(
    /// `loglevel`.
    LogLevel {
        Debug => "debug",
        Verbose => "verbose",
        Notice => "notice",
        Warning => "warning",
    }
);

config_enum!(
    /// `appendfsync`.
    AppendFsync {
        Everysec => "everysec",
        Always => "always",
        No => "no",
    }
);

config_enum!(
    /// `maxmemory-policy`. `simple-first` (FIFO by insertion) and
    /// `allkeys-s3fifo` are InMemDB extensions.
    MaxmemoryPolicy {
        VolatileLru => "volatile-lru",
        VolatileLfu => "volatile-lfu",
        VolatileRandom => "volatile-random",
        VolatileTtl => "volatile-ttl",
        AllkeysLru => "allkeys-lru",
        AllkeysLfu => "allkeys-lfu",
        AllkeysRandom => "allkeys-random",
        NoEviction => "noeviction",
        SimpleFirst => "simple-first",
        AllkeysS3Fifo => "allkeys-s3fifo",
    }
);

/// One class of `client-output-buffer-limit` (0 = no limit).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientOutputBufferLimit {
    pub hard_limit_bytes: u64,
    pub soft_limit_bytes: u64,
    pub soft_limit_seconds: u64,
}

/// `client-output-buffer-limit`: Redis's three classes. `replica` is kept
/// for compatibility (spelled `slave` in CONFIG GET, as Redis does).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientOutputBufferLimits {
    pub normal: ClientOutputBufferLimit,
    pub replica: ClientOutputBufferLimit,
    pub pubsub: ClientOutputBufferLimit,
}

impl Default for ClientOutputBufferLimits {
    fn default() -> Self {
        let lim = |hard, soft, secs| ClientOutputBufferLimit {
            hard_limit_bytes: hard,
            soft_limit_bytes: soft,
            soft_limit_seconds: secs,
        };
        ClientOutputBufferLimits {
            normal: lim(0, 0, 0),
            replica: lim(256 << 20, 64 << 20, 60),
            pubsub: lim(32 << 20, 8 << 20, 60),
        }
    }
}

/// The whole server configuration. Field names are the snake_case of the
/// redis.conf names; see `inmemdb.conf.example` for what each one does.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// Addresses to listen on. A leading `-` in the file ("bind 127.0.0.1
    /// -::1") is stripped here and recorded in `bind_optional`: Redis skips
    /// such an address when it is unavailable instead of failing.
    pub bind: Vec<String>,
    /// Parallel to `bind` (missing entries mean `false`).
    pub bind_optional: Vec<bool>,
    /// 0 = no TCP listener.
    pub port: u16,
    pub tcp_backlog: u64,
    /// "" = no unix socket.
    pub unixsocket: String,
    pub unixsocketperm: u32,
    pub maxclients: u64,
    /// Idle client timeout in seconds, 0 = never.
    pub timeout: u64,
    pub tcp_keepalive: u64,
    pub databases: u64,
    /// The server chdirs into it at startup.
    pub dir: String,
    pub loglevel: LogLevel,
    /// "" = stdout.
    pub logfile: String,
    pub pidfile: String,
    /// Always within 1..=500 (out-of-range values are clamped, as in Redis).
    pub hz: u64,
    pub active_expire_effort: u64,
    pub proto_max_bulk_len: u64,
    pub client_query_buffer_limit: u64,
    pub requirepass: String,
    pub protected_mode: bool,
    /// Normalised "seconds changes ..." pairs; accepted and stored, no RDB.
    pub save: String,
    pub appendonly: bool,
    pub appendfilename: String,
    pub appendfsync: AppendFsync,
    pub auto_aof_rewrite_percentage: u64,
    pub auto_aof_rewrite_min_size: u64,
    pub aof_load_truncated: bool,
    pub maxmemory: u64,
    pub maxmemory_policy: MaxmemoryPolicy,
    pub maxmemory_samples: u64,
    /// InMemDB extension: cap on the number of keys, 0 = none.
    pub maxkeys: u64,
    /// InMemDB extension: fraction of `maxkeys` to free at once when the cap
    /// is hit; 0 = evict just enough.
    pub maxkeys_eviction_ratio: f64,
    pub lfu_log_factor: u64,
    pub lfu_decay_time: u64,
    /// Normalised flag string (see `keyspace_events_flags`).
    pub notify_keyspace_events: String,
    pub client_output_buffer_limit: ClientOutputBufferLimits,
    /// `rename-command OLD NEW` pairs in file order; NEW = "" disables OLD.
    /// File and command line only; the server validates the names.
    pub rename_commands: Vec<(String, String)>,
    /// Always false: InMemDB never daemonizes.
    pub daemonize: bool,
    pub slowlog_log_slower_than: i64,
    pub slowlog_max_len: u64,
    pub latency_tracking: bool,
    pub lazyfree_lazy_eviction: bool,
    pub lazyfree_lazy_expire: bool,
    pub lazyfree_lazy_server_del: bool,
    pub lazyfree_lazy_user_del: bool,
    pub lazyfree_lazy_user_flush: bool,
    /// A hash stays a compact listpack while it has at most this many fields
    /// (alias `hash-max-ziplist-entries`).
    pub hash_max_listpack_entries: u64,
    /// ... and every field and value is at most this many bytes (alias
    /// `hash-max-ziplist-value`).
    pub hash_max_listpack_value: u64,
}

/// Default TCP port (Redis uses 6379; we stay out of its way).
pub const DEFAULT_PORT: u16 = 7379;

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: vec!["127.0.0.1".to_string()],
            bind_optional: vec![false],
            port: DEFAULT_PORT,
            tcp_backlog: 511,
            unixsocket: String::new(),
            unixsocketperm: 0,
            maxclients: 10000,
            timeout: 0,
            tcp_keepalive: 300,
            databases: 16,
            dir: ".".to_string(),
            loglevel: LogLevel::Notice,
            logfile: String::new(),
            pidfile: String::new(),
            hz: 10,
            active_expire_effort: 1,
            proto_max_bulk_len: 512 << 20,
            client_query_buffer_limit: 1 << 30,
            requirepass: String::new(),
            protected_mode: true,
            save: String::new(),
            appendonly: false,
            appendfilename: "appendonly.aof".to_string(),
            appendfsync: AppendFsync::Everysec,
            auto_aof_rewrite_percentage: 100,
            auto_aof_rewrite_min_size: 64 << 20,
            aof_load_truncated: true,
            maxmemory: 0,
            maxmemory_policy: MaxmemoryPolicy::NoEviction,
            maxmemory_samples: 5,
            maxkeys: 0,
            maxkeys_eviction_ratio: 0.0,
            lfu_log_factor: 10,
            lfu_decay_time: 1,
            notify_keyspace_events: String::new(),
            client_output_buffer_limit: ClientOutputBufferLimits::default(),
            rename_commands: Vec::new(),
            daemonize: false,
            slowlog_log_slower_than: 10000,
            slowlog_max_len: 128,
            latency_tracking: true,
            lazyfree_lazy_eviction: false,
            lazyfree_lazy_expire: false,
            lazyfree_lazy_server_del: false,
            lazyfree_lazy_user_del: false,
            lazyfree_lazy_user_flush: false,
            // Redis 7's compiled-in defaults (config.c), which its redis.conf repeats.
            hash_max_listpack_entries: 512,
            hash_max_listpack_value: 64,
        }
    }
}

/// What `main` needs from argv.
#[derive(Debug)]
pub struct StartupOptions {
    pub config: Config,
    /// Absolute path of the config file, if one was given (CONFIG REWRITE
    /// target; absolute because the server chdirs into `dir`).
    pub config_file: Option<PathBuf>,
    /// `--check-aof FILE [--fix]`: check (and optionally truncate) an AOF,
    /// then exit, instead of serving.
    pub check_aof: Option<(PathBuf, bool)>,
}

/// Why startup stopped. `Help` and `Version` are not failures: print the text
/// and exit 0.
#[derive(Debug)]
pub enum ConfigError {
    Help(String),
    Version(String),
    /// A bad directive. `file` is None for command-line options, and `line`
    /// is then the 1-based position of the `--option` among them.
    Invalid {
        file: Option<String>,
        line: usize,
        option: String,
        reason: String,
    },
    /// The config file (or an `include`d one) could not be read.
    Io {
        path: String,
        error: io::Error,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Help(text) | ConfigError::Version(text) => f.write_str(text),
            ConfigError::Invalid {
                file,
                line,
                option,
                reason,
            } => {
                writeln!(
                    f,
                    "*** FATAL CONFIG FILE ERROR (InMemDB {}) ***",
                    env!("CARGO_PKG_VERSION")
                )?;
                match file {
                    Some(file) => writeln!(
                        f,
                        "Reading the configuration file '{file}', at line {line}, option '{option}':"
                    )?,
                    None => writeln!(
                        f,
                        "Reading the command-line options, at option {line} ('--{option}'):"
                    )?,
                }
                f.write_str(reason)
            }
            ConfigError::Io { path, error } => {
                write!(f, "Fatal error, can't open config file '{path}': {error}")
            }
        }
    }
}

impl std::error::Error for ConfigError {}
