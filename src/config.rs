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
        ];
        all.into_iter()
            .filter(|(n, _)| {
                patterns
                    .iter()
                    .any(|p| *p == b"*" || p.eq_ignore_ascii_case(n.as_bytes()))
            })
            .collect()
    }
    pub fn set_many(&mut self, _pairs: &[(&[u8], &[u8])]) -> Result<Vec<&'static str>, String> {
        Err("ERR CONFIG SET not available yet".into())
    }
    pub fn rewrite(&self, _path: &std::path::Path) -> std::io::Result<()> {
        Ok(())
    }
}
