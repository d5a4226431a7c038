//! TEMPORARY STUB — replaced by the table-driven config on the `config` branch.
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    Debug,
    Verbose,
    Notice,
    Warning,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub bind: Vec<String>,
    pub port: u16,
    pub unixsocket: String,
    pub unixsocketperm: u32,
    pub maxclients: u64,
    pub timeout: u64,
    pub databases: u64,
    pub dir: String,
    pub loglevel: LogLevel,
    pub logfile: String,
    pub pidfile: String,
    pub hz: u64,
    pub proto_max_bulk_len: u64,
    pub client_query_buffer_limit: u64,
    pub save: String,
    pub appendonly: bool,
    pub requirepass: String,
    pub protected_mode: bool,
    /// Normalised flag string (see `keyspace_events_flags`).
    pub notify_keyspace_events: String,
    pub client_output_buffer_limit: ClientOutputBufferLimits,
    /// `rename-command OLD NEW` pairs; NEW = "" disables OLD.
    pub rename_commands: Vec<(String, String)>,
}

/// One class of `client-output-buffer-limit` (0 = no limit).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientOutputBufferLimit {
    pub hard_limit_bytes: u64,
    pub soft_limit_bytes: u64,
    pub soft_limit_seconds: u64,
}

/// `client-output-buffer-limit`: Redis's three classes.
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

pub const NOTIFY_KEYSPACE: u32 = 1 << 0; // K
pub const NOTIFY_KEYEVENT: u32 = 1 << 1; // E
pub const NOTIFY_GENERIC: u32 = 1 << 2; // g
pub const NOTIFY_STRING: u32 = 1 << 3; // $
pub const NOTIFY_LIST: u32 = 1 << 4; // l
pub const NOTIFY_SET: u32 = 1 << 5; // s
pub const NOTIFY_HASH: u32 = 1 << 6; // h
pub const NOTIFY_ZSET: u32 = 1 << 7; // z
pub const NOTIFY_EXPIRED: u32 = 1 << 8; // x
pub const NOTIFY_EVICTED: u32 = 1 << 9; // e
pub const NOTIFY_STREAM: u32 = 1 << 10; // t
pub const NOTIFY_KEY_MISS: u32 = 1 << 11; // m (not part of A)
pub const NOTIFY_MODULE: u32 = 1 << 12; // d
pub const NOTIFY_NEW: u32 = 1 << 13; // n (not part of A)
pub const NOTIFY_ALL: u32 = NOTIFY_GENERIC
    | NOTIFY_STRING
    | NOTIFY_LIST
    | NOTIFY_SET
    | NOTIFY_HASH
    | NOTIFY_ZSET
    | NOTIFY_EXPIRED
    | NOTIFY_EVICTED
    | NOTIFY_STREAM
    | NOTIFY_MODULE;

/// Parse a `notify-keyspace-events` string into NOTIFY_* bits; None on an
/// unknown character (redis src/notify.c keyspaceEventsStringToFlags).
pub fn keyspace_events_flags(s: &[u8]) -> Option<u32> {
    let mut flags = 0;
    for &c in s {
        flags |= match c {
            b'A' => NOTIFY_ALL,
            b'g' => NOTIFY_GENERIC,
            b'$' => NOTIFY_STRING,
            b'l' => NOTIFY_LIST,
            b's' => NOTIFY_SET,
            b'h' => NOTIFY_HASH,
            b'z' => NOTIFY_ZSET,
            b'x' => NOTIFY_EXPIRED,
            b'e' => NOTIFY_EVICTED,
            b'K' => NOTIFY_KEYSPACE,
            b'E' => NOTIFY_KEYEVENT,
            b't' => NOTIFY_STREAM,
            b'm' => NOTIFY_KEY_MISS,
            b'd' => NOTIFY_MODULE,
            b'n' => NOTIFY_NEW,
            _ => return None,
        };
    }
    Some(flags)
}

fn parse_mem(s: &str) -> Option<u64> {
    let l = s.to_ascii_lowercase();
    for (suf, mul) in [
        ("gb", 1u64 << 30),
        ("mb", 1 << 20),
        ("kb", 1 << 10),
        ("b", 1),
    ] {
        if let Some(n) = l.strip_suffix(suf) {
            return n.parse::<u64>().ok().map(|v| v * mul);
        }
    }
    l.parse().ok()
}

fn parse_obuf(c: &mut Config, v: &str) -> Result<(), String> {
    let parts: Vec<&str> = v.split_whitespace().collect();
    if parts.is_empty() || !parts.len().is_multiple_of(4) {
        return Err("Wrong number of arguments in buffer limit configuration.".into());
    }
    for ch in parts.chunks(4) {
        let lim = ClientOutputBufferLimit {
            hard_limit_bytes: parse_mem(ch[1]).ok_or("Error in hard limit")?,
            soft_limit_bytes: parse_mem(ch[2]).ok_or("Error in soft limit")?,
            soft_limit_seconds: ch[3].parse().map_err(|_| "Error in soft limit seconds")?,
        };
        match ch[0] {
            "normal" => c.client_output_buffer_limit.normal = lim,
            "pubsub" => c.client_output_buffer_limit.pubsub = lim,
            "replica" | "slave" => c.client_output_buffer_limit.replica = lim,
            _ => {
                return Err("Invalid client class specified in buffer limit configuration.".into());
            }
        }
    }
    Ok(())
}

fn yes_no(v: &str) -> Result<bool, String> {
    match v {
        "yes" => Ok(true),
        "no" => Ok(false),
        _ => Err("argument must be 'yes' or 'no'".into()),
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: vec!["127.0.0.1".into()],
            port: 7379,
            unixsocket: String::new(),
            unixsocketperm: 0,
            maxclients: 10000,
            timeout: 0,
            databases: 16,
            dir: ".".into(),
            loglevel: LogLevel::Notice,
            logfile: String::new(),
            pidfile: String::new(),
            hz: 10,
            proto_max_bulk_len: 512 << 20,
            client_query_buffer_limit: 1 << 30,
            save: String::new(),
            appendonly: false,
            requirepass: String::new(),
            protected_mode: true,
            notify_keyspace_events: String::new(),
            client_output_buffer_limit: ClientOutputBufferLimits::default(),
            rename_commands: Vec::new(),
        }
    }
}

pub struct StartupOptions {
    pub config: Config,
    pub config_file: Option<PathBuf>,
    pub check_aof: Option<(PathBuf, bool)>,
}

#[derive(Debug)]
pub enum ConfigError {
    Help(String),
    Version(String),
    Invalid(String),
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigError::Help(s) | ConfigError::Version(s) | ConfigError::Invalid(s) => {
                f.write_str(s)
            }
        }
    }
}

pub fn parse_startup(args: Vec<String>) -> Result<StartupOptions, ConfigError> {
    let mut config = Config::default();
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--port" => {
                config.port = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .ok_or_else(|| ConfigError::Invalid("bad port".into()))?
            }
            "--dir" => config.dir = it.next().unwrap_or_default(),
            "--bind" => config.bind = vec![it.next().unwrap_or_default()],
            "--timeout" => config.timeout = it.next().and_then(|v| v.parse().ok()).unwrap_or(0),
            "--maxclients" => {
                config.maxclients = it.next().and_then(|v| v.parse().ok()).unwrap_or(10000)
            }
            "--unixsocket" => config.unixsocket = it.next().unwrap_or_default(),
            "--loglevel" => {
                it.next();
            }
            "--requirepass" => config.requirepass = it.next().unwrap_or_default(),
            "--protected-mode" => {
                config.protected_mode =
                    yes_no(&it.next().unwrap_or_default()).map_err(ConfigError::Invalid)?
            }
            "--notify-keyspace-events" => {
                let v = it.next().unwrap_or_default();
                keyspace_events_flags(v.as_bytes())
                    .ok_or_else(|| ConfigError::Invalid("bad notify-keyspace-events".into()))?;
                config.notify_keyspace_events = v;
            }
            "--client-output-buffer-limit" => {
                parse_obuf(&mut config, &it.next().unwrap_or_default())
                    .map_err(ConfigError::Invalid)?
            }
            "--rename-command" => {
                let from = it.next().unwrap_or_default();
                let to = it.next().unwrap_or_default();
                config.rename_commands.push((from, to));
            }
            other => return Err(ConfigError::Invalid(format!("unknown option {other}"))),
        }
    }
    Ok(StartupOptions {
        config,
        config_file: None,
        check_aof: None,
    })
}

impl Config {
    pub fn get_matching(&self, patterns: &[&[u8]]) -> Vec<(&'static str, String)> {
        let all: Vec<(&'static str, String)> = vec![
            ("port", self.port.to_string()),
            ("save", self.save.clone()),
            (
                "appendonly",
                if self.appendonly { "yes" } else { "no" }.into(),
            ),
            ("databases", self.databases.to_string()),
            ("maxmemory", "0".into()),
            ("requirepass", self.requirepass.clone()),
            (
                "protected-mode",
                if self.protected_mode { "yes" } else { "no" }.into(),
            ),
            (
                "notify-keyspace-events",
                self.notify_keyspace_events.clone(),
            ),
        ];
        all.into_iter()
            .filter(|(n, _)| {
                patterns
                    .iter()
                    .any(|p| *p == b"*" || p.eq_ignore_ascii_case(n.as_bytes()))
            })
            .collect()
    }
    pub fn set_many(&mut self, pairs: &[(&[u8], &[u8])]) -> Result<Vec<&'static str>, String> {
        let mut new = self.clone();
        let mut changed = Vec::new();
        for (name, value) in pairs {
            let name = String::from_utf8_lossy(name).to_ascii_lowercase();
            let value = String::from_utf8_lossy(value).into_owned();
            let fail = |e: String| {
                format!("ERR CONFIG SET failed (possibly related to argument '{name}') - {e}")
            };
            let n: &'static str = match name.as_str() {
                "requirepass" => {
                    new.requirepass = value;
                    "requirepass"
                }
                "protected-mode" => {
                    new.protected_mode = yes_no(&value).map_err(fail)?;
                    "protected-mode"
                }
                "notify-keyspace-events" => {
                    keyspace_events_flags(value.as_bytes())
                        .ok_or_else(|| fail("Invalid event class character.".into()))?;
                    new.notify_keyspace_events = value;
                    "notify-keyspace-events"
                }
                "client-output-buffer-limit" => {
                    parse_obuf(&mut new, &value).map_err(fail)?;
                    "client-output-buffer-limit"
                }
                _ => {
                    return Err(format!(
                        "ERR Unknown option or number of arguments for CONFIG SET - '{name}'"
                    ));
                }
            };
            changed.push(n);
        }
        *self = new;
        Ok(changed)
    }
    pub fn rewrite(&self, _path: &std::path::Path) -> std::io::Result<()> {
        Ok(())
    }
}
