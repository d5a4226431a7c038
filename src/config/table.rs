//! The option table: one `Spec` per option (name, flags, kind with its
//! field accessors and bounds), the `OPTIONS` list in CONFIG GET * order,
//! the old names in `ALIASES`, name lookup, and the plain validators. Follows
//! redis src/config.c `static_configs[]` (`standardConfig`, the
//! `create*Config` macros, `IMMUTABLE_CONFIG` / `PROTECTED_CONFIG` /
//! `MULTI_ARG_CONFIG`). Reading and writing values by kind is `getset`;
//! the `Kind::Special` callbacks live in `special` and `notify`.

use super::notify::{rewrite_notify, set_notify};
use super::special::{
    get_bind, get_obuf_limits, rewrite_bind, rewrite_obuf_limits, rewrite_save, set_bind,
    set_obuf_limits, set_save,
};
use super::{AppendFsync, Config, LogLevel, MaxmemoryPolicy};
use std::borrow::Cow;

/// CONFIG SET refuses it ("can't set immutable config").
pub(super) const IMMUTABLE: u8 = 1;
/// CONFIG SET refuses it ("can't set protected config"); Redis 7 protects
/// `dir` unless enable-protected-configs, which we do not offer.
pub(super) const PROTECTED: u8 = 2;
/// Takes several arguments in the file; CONFIG SET splits its value on ' '.
pub(super) const MULTI_ARG: u8 = 4;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum NumFmt {
    Plain,
    /// Units k/kb/m/mb/g/gb on input, plain bytes on CONFIG GET.
    Memory,
    Octal,
}

/// Where a value comes from: the `save` directive appends while loading
/// (several `save` lines add up) but replaces on CONFIG SET.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Origin {
    Load,
    Set,
}

pub(super) type Reason = Cow<'static, str>;
pub(super) type SpecialSet = fn(&mut Config, &[&[u8]], Origin) -> Result<(), Reason>;
pub(super) type SpecialRewrite = fn(&Config, &Config) -> Vec<(String, bool)>;
pub(super) type BoolCheck = fn(bool) -> Result<(), &'static str>;
pub(super) type StrCheck = fn(&str) -> Result<(), &'static str>;

pub(super) enum Kind {
    Bool {
        get: fn(&Config) -> bool,
        set: fn(&mut Config, bool),
        check: Option<BoolCheck>,
    },
    /// Integers of any field type, carried as i128 so one path covers u64 and
    /// i64 bounds alike.
    Num {
        get: fn(&Config) -> i128,
        set: fn(&mut Config, i128),
        min: i128,
        max: i128,
        fmt: NumFmt,
    },
    Float {
        get: fn(&Config) -> f64,
        set: fn(&mut Config, f64),
        min: f64,
        max: f64,
    },
    Enum {
        names: &'static [&'static str],
        get: fn(&Config) -> usize,
        set: fn(&mut Config, usize),
    },
    Str {
        get: fn(&Config) -> &str,
        set: fn(&mut Config, String),
        check: Option<StrCheck>,
        /// "" means "not set": CONFIG REWRITE then drops the line entirely.
        empty_is_none: bool,
    },
    Special {
        set: SpecialSet,
        get: fn(&Config) -> String,
        rewrite: SpecialRewrite,
    },
}

pub(super) struct Spec {
    pub(super) name: &'static str,
    pub(super) flags: u8,
    pub(super) kind: Kind,
}

const INT_MAX: i128 = i32::MAX as i128;
const UINT_MAX: i128 = u32::MAX as i128;
const LONG_MAX: i128 = i64::MAX as i128;
const ULLONG_MAX: i128 = u64::MAX as i128;

macro_rules! bool_opt {
    ($name:literal, $field:ident, $flags:expr) => {
        bool_opt!($name, $field, $flags, None)
    };
    ($name:literal, $field:ident, $flags:expr, $check:expr) => {
        Spec {
            name: $name,
            flags: $flags,
            kind: Kind::Bool {
                get: {
                    fn get(c: &Config) -> bool {
                        c.$field
                    }
                    get
                },
                set: {
                    fn set(c: &mut Config, v: bool) {
                        c.$field = v;
                    }
                    set
                },
                check: $check,
            },
        }
    };
}

macro_rules! num_opt {
    ($name:literal, $field:ident: $ty:ty, $flags:expr, $min:expr, $max:expr, $fmt:expr) => {
        Spec {
            name: $name,
            flags: $flags,
            kind: Kind::Num {
                get: {
                    fn get(c: &Config) -> i128 {
                        i128::from(c.$field)
                    }
                    get
                },
                // Bounds are checked before `set` is called, so the cast is exact.
                set: {
                    fn set(c: &mut Config, v: i128) {
                        c.$field = v as $ty;
                    }
                    set
                },
                min: $min,
                max: $max,
                fmt: $fmt,
            },
        }
    };
}

macro_rules! enum_opt {
    ($name:literal, $field:ident: $ty:ident) => {
        Spec {
            name: $name,
            flags: 0,
            kind: Kind::Enum {
                names: $ty::NAMES,
                get: {
                    fn get(c: &Config) -> usize {
                        c.$field.index()
                    }
                    get
                },
                set: {
                    fn set(c: &mut Config, i: usize) {
                        c.$field = $ty::from_index(i);
                    }
                    set
                },
            },
        }
    };
}

macro_rules! str_opt {
    ($name:literal, $field:ident, $flags:expr, empty_is_none: $none:expr, check: $check:expr) => {
        Spec {
            name: $name,
            flags: $flags,
            kind: Kind::Str {
                get: {
                    fn get(c: &Config) -> &str {
                        &c.$field
                    }
                    get
                },
                set: {
                    fn set(c: &mut Config, v: String) {
                        c.$field = v;
                    }
                    set
                },
                check: $check,
                empty_is_none: $none,
            },
        }
    };
}

use NumFmt::{Memory, Octal, Plain};

/// Every option, in the order CONFIG GET * and CONFIG REWRITE list them.
pub(super) static OPTIONS: &[Spec] = &[
    // Network.
    Spec {
        name: "bind",
        flags: MULTI_ARG,
        kind: Kind::Special {
            set: set_bind,
            get: get_bind,
            rewrite: rewrite_bind,
        },
    },
    num_opt!("port", port: u16, 0, 0, 65535, Plain),
    num_opt!("tcp-backlog", tcp_backlog: u64, IMMUTABLE, 0, INT_MAX, Plain),
    str_opt!("unixsocket", unixsocket, IMMUTABLE, empty_is_none: true, check: None),
    num_opt!("unixsocketperm", unixsocketperm: u32, IMMUTABLE, 0, 0o777, Octal),
    bool_opt!("protected-mode", protected_mode, 0),
    num_opt!("maxclients", maxclients: u64, 0, 1, UINT_MAX, Plain),
    num_opt!("timeout", timeout: u64, 0, 0, INT_MAX, Plain),
    num_opt!("tcp-keepalive", tcp_keepalive: u64, 0, 0, INT_MAX, Plain),
    str_opt!("requirepass", requirepass, 0, empty_is_none: true, check: None),
    // General.
    bool_opt!("daemonize", daemonize, IMMUTABLE, Some(check_daemonize)),
    str_opt!("pidfile", pidfile, IMMUTABLE, empty_is_none: true, check: None),
    enum_opt!("loglevel", loglevel: LogLevel),
    str_opt!("logfile", logfile, IMMUTABLE, empty_is_none: false, check: None),
    num_opt!("databases", databases: u64, IMMUTABLE, 1, INT_MAX, Plain),
    str_opt!("dir", dir, PROTECTED, empty_is_none: false, check: Some(check_dir)),
    Spec {
        name: "hz",
        flags: 0,
        kind: Kind::Num {
            get: |c| i128::from(c.hz),
            // Redis accepts any non-negative hz and clamps it (updateHZ).
            set: |c, v| c.hz = v.clamp(1, 500) as u64,
            min: 0,
            max: INT_MAX,
            fmt: Plain,
        },
    },
    num_opt!("active-expire-effort", active_expire_effort: u64, 0, 1, 10, Plain),
    num_opt!("proto-max-bulk-len", proto_max_bulk_len: u64, 0, 1 << 20, LONG_MAX, Memory),
    num_opt!("client-query-buffer-limit", client_query_buffer_limit: u64, 0, 1 << 20, LONG_MAX, Memory),
    Spec {
        name: "client-output-buffer-limit",
        flags: MULTI_ARG,
        kind: Kind::Special {
            set: set_obuf_limits,
            get: get_obuf_limits,
            rewrite: rewrite_obuf_limits,
        },
    },
    Spec {
        name: "notify-keyspace-events",
        flags: 0,
        kind: Kind::Special {
            set: set_notify,
            get: |c| c.notify_keyspace_events.clone(),
            rewrite: rewrite_notify,
        },
    },
    num_opt!("slowlog-log-slower-than", slowlog_log_slower_than: i64, 0, -1, LONG_MAX, Plain),
    num_opt!("slowlog-max-len", slowlog_max_len: u64, 0, 0, LONG_MAX, Plain),
    bool_opt!("latency-tracking", latency_tracking, 0),
    // Persistence.
    Spec {
        name: "save",
        flags: MULTI_ARG,
        kind: Kind::Special {
            set: set_save,
            get: |c| c.save.clone(),
            rewrite: rewrite_save,
        },
    },
    bool_opt!("appendonly", appendonly, 0),
    str_opt!("appendfilename", appendfilename, IMMUTABLE, empty_is_none: false, check: Some(check_appendfilename)),
    enum_opt!("appendfsync", appendfsync: AppendFsync),
    num_opt!("auto-aof-rewrite-percentage", auto_aof_rewrite_percentage: u64, 0, 0, INT_MAX, Plain),
    num_opt!("auto-aof-rewrite-min-size", auto_aof_rewrite_min_size: u64, 0, 0, LONG_MAX, Memory),
    bool_opt!("aof-load-truncated", aof_load_truncated, 0),
    // Memory and eviction.
    num_opt!("maxmemory", maxmemory: u64, 0, 0, ULLONG_MAX, Memory),
    enum_opt!("maxmemory-policy", maxmemory_policy: MaxmemoryPolicy),
    num_opt!("maxmemory-samples", maxmemory_samples: u64, 0, 1, INT_MAX, Plain),
    num_opt!("maxkeys", maxkeys: u64, 0, 0, LONG_MAX, Plain),
    Spec {
        name: "maxkeys-eviction-ratio",
        flags: 0,
        kind: Kind::Float {
            get: |c| c.maxkeys_eviction_ratio,
            set: |c, v| c.maxkeys_eviction_ratio = v,
            min: 0.0,
            max: 1.0,
        },
    },
    num_opt!("lfu-log-factor", lfu_log_factor: u64, 0, 0, INT_MAX, Plain),
    num_opt!("lfu-decay-time", lfu_decay_time: u64, 0, 0, INT_MAX, Plain),
    bool_opt!("lazyfree-lazy-eviction", lazyfree_lazy_eviction, 0),
    bool_opt!("lazyfree-lazy-expire", lazyfree_lazy_expire, 0),
    bool_opt!("lazyfree-lazy-server-del", lazyfree_lazy_server_del, 0),
    bool_opt!("lazyfree-lazy-user-del", lazyfree_lazy_user_del, 0),
    bool_opt!("lazyfree-lazy-user-flush", lazyfree_lazy_user_flush, 0),
    // Advanced: data structure encodings.
    num_opt!("hash-max-listpack-entries", hash_max_listpack_entries: u64, 0, 0, LONG_MAX, Plain),
    num_opt!("hash-max-listpack-value", hash_max_listpack_value: u64, 0, 0, LONG_MAX, Memory),
];

/// Old names Redis still accepts (config.c `alias`): CONFIG GET answers under
/// the name asked for, CONFIG SET and the file treat them as the option itself.
pub(super) static ALIASES: &[(&str, &str)] = &[
    ("hash-max-ziplist-entries", "hash-max-listpack-entries"),
    ("hash-max-ziplist-value", "hash-max-listpack-value"),
];

pub(super) fn lookup(name: &[u8]) -> Option<&'static Spec> {
    lookup_named(name).map(|(spec, _)| spec)
}

/// The option called `name` (any case, aliases included) and the name it was
/// found under, as Redis shows it in CONFIG GET and CONFIG SET errors.
pub(super) fn lookup_named(name: &[u8]) -> Option<(&'static Spec, &'static str)> {
    let by_name = |n: &str| OPTIONS.iter().find(|s| s.name == n);
    if let Some(spec) = OPTIONS
        .iter()
        .find(|s| s.name.as_bytes().eq_ignore_ascii_case(name))
    {
        return Some((spec, spec.name));
    }
    ALIASES
        .iter()
        .find(|(alias, _)| alias.as_bytes().eq_ignore_ascii_case(name))
        .and_then(|&(alias, canonical)| by_name(canonical).map(|spec| (spec, alias)))
}

fn check_daemonize(v: bool) -> Result<(), &'static str> {
    if v {
        Err(
            "InMemDB never daemonizes: run it in the foreground under a supervisor (systemd, docker, ...) and use 'daemonize no'",
        )
    } else {
        Ok(())
    }
}

fn check_dir(v: &str) -> Result<(), &'static str> {
    if v.is_empty() {
        Err("dir can't be empty")
    } else {
        Ok(())
    }
}

fn check_appendfilename(v: &str) -> Result<(), &'static str> {
    if v.is_empty() {
        Err("appendfilename can't be empty")
    } else if v.contains('/') {
        Err("appendfilename can't be a path, just a filename")
    } else {
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::panic)] // tests report unexpected variants by panicking
mod tests {
    use super::*;
    use crate::config::test_support::*;

    #[test]
    fn daemonize_yes_is_refused() {
        assert!(!load("daemonize no").unwrap().daemonize);
        let (line, option, reason) = load_err("port 1\ndaemonize yes");
        assert_eq!((line, option.as_str()), (2, "daemonize"));
        assert!(reason.contains("never daemonizes"), "{reason}");
    }

    // -- the example file -----------------------------------------------------

    #[test]
    fn example_file_documents_every_option_with_its_default() {
        let text = include_str!("../../inmemdb.conf.example");
        let c = load(text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c, Config::default());
        for name in Config::option_names() {
            let present = text.lines().any(|l| {
                l.trim_start()
                    .strip_prefix(name)
                    .is_some_and(|rest| rest.starts_with(' '))
            });
            assert!(present, "{name} missing from inmemdb.conf.example");
        }
        for extension in [
            "maxkeys",
            "maxkeys-eviction-ratio",
            "simple-first",
            "allkeys-s3fifo",
        ] {
            assert!(
                text.lines()
                    .any(|l| l.contains(extension) && l.contains("[InMemDB]")),
                "{extension} must be marked as an InMemDB extension"
            );
        }
        assert!(text.contains("# rename-command") && text.contains("# include"));
    }
}
