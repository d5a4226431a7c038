//! CONFIG GET and CONFIG SET over the option table: formatting a value by
//! its kind (`get_value`), parsing and bounds-checking one (`set_value`,
//! shared with the config file loader), glob matching of CONFIG GET
//! patterns, and the all-or-nothing multi-pair CONFIG SET. Follows redis
//! src/config.c `configGetCommand`, `configSetCommand` and the per-type
//! `boolConfigSet`, `numericConfigSet`, `enumConfigSet`, `sdsConfigSet`
//! (and their `*ConfigGet`).

use super::Config;
use super::syntax::{c_strtoll, error_safe, memtoull, utf8};
use super::table::NumFmt::{Memory, Octal, Plain};
use super::table::{
    ALIASES, IMMUTABLE, Kind, MULTI_ARG, OPTIONS, Origin, PROTECTED, Reason, Spec, lookup,
    lookup_named,
};
use crate::glob::glob_match;

pub(super) fn get_value(spec: &Spec, c: &Config) -> String {
    match &spec.kind {
        Kind::Bool { get, .. } => if get(c) { "yes" } else { "no" }.to_string(),
        Kind::Num { get, fmt, .. } => match fmt {
            Octal => format!("{:o}", get(c)),
            Plain | Memory => get(c).to_string(),
        },
        Kind::Float { get, .. } => get(c).to_string(),
        Kind::Enum { names, get, .. } => {
            names.get(get(c)).copied().unwrap_or("unknown").to_string()
        }
        Kind::Str { get, .. } => get(c).to_string(),
        Kind::Special { get, .. } => get(c),
    }
}

/// Apply `args` (the values after the name) to `c`. The caller has checked
/// the argument count of single-argument options.
pub(super) fn set_value(
    spec: &Spec,
    c: &mut Config,
    args: &[&[u8]],
    origin: Origin,
) -> Result<(), Reason> {
    let single = || single_arg(args);
    match &spec.kind {
        Kind::Bool { set, check, .. } => {
            let v = single()?;
            let yes = if v.eq_ignore_ascii_case(b"yes") {
                true
            } else if v.eq_ignore_ascii_case(b"no") {
                false
            } else {
                return Err("argument must be 'yes' or 'no'".into());
            };
            if let Some(check) = check {
                check(yes)?;
            }
            set(c, yes);
        }
        Kind::Num {
            set, min, max, fmt, ..
        } => {
            let v = single()?;
            let n = match fmt {
                Memory => memtoull(v)
                    .map(i128::from)
                    .ok_or("argument must be a memory value")?,
                Octal => match c_strtoll(v, 8) {
                    Some((n, false)) => i128::from(n),
                    _ => return Err("argument couldn't be parsed as an octal number".into()),
                },
                Plain => crate::util::parse_i64(v)
                    .map(i128::from)
                    .ok_or("argument couldn't be parsed into an integer")?,
            };
            if n < *min || n > *max {
                return Err(match fmt {
                    Octal => format!("argument must be between {min:o} and {max:o} inclusive"),
                    Plain | Memory => format!("argument must be between {min} and {max} inclusive"),
                }
                .into());
            }
            set(c, n);
        }
        Kind::Float { set, min, max, .. } => {
            let v = single()?;
            let n: f64 = std::str::from_utf8(v)
                .ok()
                .and_then(|s| s.parse().ok())
                .filter(|n: &f64| n.is_finite())
                .ok_or("argument couldn't be parsed into a number")?;
            if !(*min..=*max).contains(&n) {
                return Err(format!("argument must be between {min} and {max} inclusive").into());
            }
            set(c, n);
        }
        Kind::Enum { names, set, .. } => {
            let v = single()?;
            match names
                .iter()
                .position(|n| n.as_bytes().eq_ignore_ascii_case(v))
            {
                Some(i) => set(c, i),
                None => {
                    return Err(format!(
                        "argument(s) must be one of the following: {}",
                        names.join(", ")
                    )
                    .into());
                }
            }
        }
        Kind::Str { set, check, .. } => {
            let v = utf8(single()?)?;
            if let Some(check) = check {
                check(&v)?;
            }
            set(c, v);
        }
        Kind::Special { set, .. } => set(c, args, origin)?,
    }
    Ok(())
}

fn single_arg<'a>(args: &[&'a [u8]]) -> Result<&'a [u8], Reason> {
    match args {
        [v] => Ok(v),
        _ => Err("wrong number of arguments".into()),
    }
}

impl Config {
    /// CONFIG GET: (name, value) for every option matching any pattern,
    /// case-insensitively, in table order, each once. A pattern without
    /// `*`, `?` or `[` is an exact name lookup, as in Redis. Aliases match
    /// too and answer under their own name, after the table's options (Redis
    /// lists `hash-max-ziplist-entries` next to `hash-max-listpack-entries`).
    pub fn get_matching(&self, patterns: &[&[u8]]) -> Vec<(&'static str, String)> {
        let names = OPTIONS
            .iter()
            .map(|s| (s.name, s))
            .chain(ALIASES.iter().filter_map(|&(alias, canonical)| {
                OPTIONS
                    .iter()
                    .find(|s| s.name == canonical)
                    .map(|s| (alias, s))
            }));
        let mut hit = vec![false; OPTIONS.len() + ALIASES.len()];
        for pattern in patterns {
            let is_glob = pattern.iter().any(|b| matches!(b, b'*' | b'?' | b'['));
            for (i, (name, _)) in names.clone().enumerate() {
                let name = name.as_bytes();
                let found = if is_glob {
                    glob_match(pattern, name, true)
                } else {
                    name.eq_ignore_ascii_case(pattern)
                };
                if found && let Some(h) = hit.get_mut(i) {
                    *h = true;
                }
            }
        }
        names
            .zip(hit)
            .filter(|(_, h)| *h)
            .map(|((name, spec), _)| (name, get_value(spec, self)))
            .collect()
    }

    /// The CONFIG GET value of one option (exact name, any case).
    pub fn get(&self, name: &str) -> Option<String> {
        lookup(name.as_bytes()).map(|spec| get_value(spec, self))
    }

    /// Every option name, in table order.
    pub fn option_names() -> impl Iterator<Item = &'static str> {
        OPTIONS.iter().map(|s| s.name)
    }

    /// CONFIG SET with several name/value pairs, atomically: either every
    /// pair is applied or none. Returns the names whose value changed, in
    /// argument order, so the server can react (rebind, evict, reopen AOF...).
    /// If reacting fails, the caller restores a clone taken beforehand, as
    /// Redis's restoreBackupConfig does.
    ///
    /// `Err` is Redis's error text without the leading '-'. Name checks come
    /// first (unknown, immutable, protected, duplicate; the first problem in
    /// argument order wins), then values are parsed in order.
    pub fn set_many(&mut self, pairs: &[(&[u8], &[u8])]) -> Result<Vec<&'static str>, String> {
        // (option, the name it was given under: an alias stays an alias).
        let mut specs: Vec<(&'static Spec, &'static str)> = Vec::with_capacity(pairs.len());
        for (name, _) in pairs {
            let shown = error_safe(name);
            let Some((spec, given)) = lookup_named(name) else {
                return Err(format!(
                    "ERR Unknown option or number of arguments for CONFIG SET - '{shown}'"
                ));
            };
            let problem = if spec.flags & IMMUTABLE != 0 {
                Some("can't set immutable config")
            } else if spec.flags & PROTECTED != 0 {
                Some("can't set protected config")
            } else if specs.iter().any(|(_, g)| *g == given) {
                // Redis 7.0 compares names: an option and its alias may both
                // be given (the later one wins).
                Some("duplicate parameter")
            } else {
                None
            };
            if let Some(problem) = problem {
                return Err(format!(
                    "ERR CONFIG SET failed (possibly related to argument '{shown}') - {problem}"
                ));
            }
            specs.push((spec, given));
        }

        let mut new = self.clone();
        for ((spec, given), (_, value)) in specs.iter().zip(pairs) {
            let args: Vec<&[u8]> = if spec.flags & MULTI_ARG != 0 {
                // sdssplitlen on ' ': empty fields are kept, "" gives none.
                if value.is_empty() {
                    Vec::new()
                } else {
                    value.split(|b| *b == b' ').collect()
                }
            } else {
                vec![value]
            };
            set_value(spec, &mut new, &args, Origin::Set).map_err(|reason| {
                format!(
                    "ERR CONFIG SET failed (possibly related to argument '{given}') - {}",
                    error_safe(reason.as_bytes())
                )
            })?;
        }
        let mut changed: Vec<&'static str> = Vec::with_capacity(specs.len());
        for (spec, _) in &specs {
            if get_value(spec, self) != get_value(spec, &new) && !changed.contains(&spec.name) {
                changed.push(spec.name);
            }
        }
        *self = new;
        Ok(changed)
    }
}

#[cfg(test)]
#[allow(clippy::panic)] // tests report unexpected variants by panicking
mod tests {
    use super::*;
    use crate::config::test_support::*;
    use crate::config::{AppendFsync, LogLevel, MaxmemoryPolicy, parse_startup, repr};

    // -- each option type through CONFIG SET ----------------------------------

    #[test]
    fn bool_options() {
        let mut c = Config::default();
        assert_eq!(
            set(&mut c, "appendonly", "YES").unwrap(),
            vec!["appendonly"]
        );
        assert!(c.appendonly);
        assert_eq!(get(&c, "appendonly"), "yes");
        assert_eq!(
            set(&mut c, "protected-mode", "maybe").unwrap_err(),
            "ERR CONFIG SET failed (possibly related to argument 'protected-mode') - argument must be 'yes' or 'no'"
        );
        // Setting the current value succeeds but changes nothing.
        assert!(set(&mut c, "appendonly", "yes").unwrap().is_empty());
    }

    #[test]
    fn integer_options() {
        let mut c = Config::default();
        set(&mut c, "port", "7380").unwrap();
        assert_eq!(c.port, 7380);
        assert_eq!(
            set(&mut c, "port", "65536").unwrap_err(),
            "ERR CONFIG SET failed (possibly related to argument 'port') - argument must be between 0 and 65535 inclusive"
        );
        assert_eq!(
            set(&mut c, "port", "abc").unwrap_err(),
            "ERR CONFIG SET failed (possibly related to argument 'port') - argument couldn't be parsed into an integer"
        );
        assert_eq!(
            set(&mut c, "timeout", "-1").unwrap_err(),
            "ERR CONFIG SET failed (possibly related to argument 'timeout') - argument must be between 0 and 2147483647 inclusive"
        );
        assert_eq!(
            set(&mut c, "maxclients", "0").unwrap_err(),
            "ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument must be between 1 and 4294967295 inclusive"
        );
        assert!(set(&mut c, "timeout", "01").is_err());
        assert!(set(&mut c, "timeout", "+1").is_err());
        set(&mut c, "slowlog-log-slower-than", "-1").unwrap();
        assert_eq!(c.slowlog_log_slower_than, -1);
        assert_eq!(
            set(&mut c, "slowlog-log-slower-than", "-2").unwrap_err(),
            "ERR CONFIG SET failed (possibly related to argument 'slowlog-log-slower-than') - argument must be between -1 and 9223372036854775807 inclusive"
        );
        set(&mut c, "maxkeys", "1000000").unwrap();
        assert_eq!(c.maxkeys, 1_000_000);
    }

    #[test]
    fn hz_is_clamped_like_redis() {
        let mut c = Config::default();
        set(&mut c, "hz", "1000").unwrap();
        assert_eq!(get(&c, "hz"), "500");
        set(&mut c, "hz", "0").unwrap();
        assert_eq!(c.hz, 1);
        assert!(set(&mut c, "hz", "-1").is_err());
        assert_eq!(load("hz 100000").unwrap().hz, 500);
    }

    #[test]
    fn memory_options() {
        let mut c = Config::default();
        set(&mut c, "maxmemory", "100mb").unwrap();
        assert_eq!(c.maxmemory, 100 << 20);
        assert_eq!(get(&c, "maxmemory"), "104857600");
        set(&mut c, "maxmemory", "1GB").unwrap();
        assert_eq!(c.maxmemory, 1 << 30);
        set(&mut c, "maxmemory", "").unwrap();
        assert_eq!(c.maxmemory, 0);
        set(&mut c, "maxmemory", "18446744073709551615").unwrap();
        assert_eq!(get(&c, "maxmemory"), "18446744073709551615");
        for bad in ["-1", "1.5mb", " 1", "1xb"] {
            assert_eq!(
                set(&mut c, "maxmemory", bad).unwrap_err(),
                "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value",
                "{bad}"
            );
        }
        assert_eq!(
            set(&mut c, "proto-max-bulk-len", "1000").unwrap_err(),
            "ERR CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - argument must be between 1048576 and 9223372036854775807 inclusive"
        );
        assert_eq!(get(&Config::default(), "proto-max-bulk-len"), "536870912");
        assert_eq!(
            get(&Config::default(), "client-query-buffer-limit"),
            "1073741824"
        );
        assert_eq!(
            get(&Config::default(), "auto-aof-rewrite-min-size"),
            "67108864"
        );
    }

    #[test]
    fn octal_option() {
        let c = load("unixsocketperm 755").unwrap();
        assert_eq!(c.unixsocketperm, 0o755);
        assert_eq!(get(&c, "unixsocketperm"), "755");
        assert_eq!(load("unixsocketperm 0700").unwrap().unixsocketperm, 0o700);
        assert_eq!(
            load_err("unixsocketperm 1000").2,
            "argument must be between 0 and 777 inclusive"
        );
        assert_eq!(
            load_err("unixsocketperm 8").2,
            "argument couldn't be parsed as an octal number"
        );
    }

    #[test]
    fn float_option() {
        let mut c = Config::default();
        set(&mut c, "maxkeys-eviction-ratio", "0.4").unwrap();
        assert_eq!(c.maxkeys_eviction_ratio, 0.4);
        assert_eq!(get(&c, "maxkeys-eviction-ratio"), "0.4");
        assert_eq!(get(&Config::default(), "maxkeys-eviction-ratio"), "0");
        for bad in ["1.5", "-0.1", "nan", "inf", "x", ""] {
            assert!(set(&mut c, "maxkeys-eviction-ratio", bad).is_err(), "{bad}");
        }
        assert_eq!(c.maxkeys_eviction_ratio, 0.4);
    }

    #[test]
    fn enum_options() {
        let mut c = Config::default();
        set(&mut c, "maxmemory-policy", "ALLKEYS-LRU").unwrap();
        assert_eq!(c.maxmemory_policy, MaxmemoryPolicy::AllkeysLru);
        assert_eq!(get(&c, "maxmemory-policy"), "allkeys-lru");
        set(&mut c, "maxmemory-policy", "simple-first").unwrap();
        assert_eq!(c.maxmemory_policy, MaxmemoryPolicy::SimpleFirst);
        set(&mut c, "maxmemory-policy", "allkeys-s3fifo").unwrap();
        assert_eq!(c.maxmemory_policy, MaxmemoryPolicy::AllkeysS3Fifo);
        assert_eq!(
            set(&mut c, "loglevel", "foo").unwrap_err(),
            "ERR CONFIG SET failed (possibly related to argument 'loglevel') - argument(s) must be one of the following: debug, verbose, notice, warning"
        );
        assert_eq!(
            set(&mut c, "appendfsync", "foo").unwrap_err(),
            "ERR CONFIG SET failed (possibly related to argument 'appendfsync') - argument(s) must be one of the following: everysec, always, no"
        );
        assert!(
            set(&mut c, "maxmemory-policy", "lru")
                .unwrap_err()
                .ends_with("volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction, simple-first, allkeys-s3fifo")
        );
        for p in MaxmemoryPolicy::ALL {
            assert_eq!(MaxmemoryPolicy::from_name(p.name()), Some(*p));
        }
        assert_eq!(LogLevel::from_name("WARNING"), Some(LogLevel::Warning));
        assert_eq!(AppendFsync::Always.to_string(), "always");
    }

    #[test]
    fn string_options() {
        let mut c = Config::default();
        set(&mut c, "requirepass", "a b").unwrap();
        assert_eq!(c.requirepass, "a b");
        assert_eq!(get(&c, "requirepass"), "a b");
        assert!(set(&mut c, "requirepass", "\u{e9}t\u{e9}").is_ok());
        assert!(c.set_many(&[(b"requirepass", b"\xff")]).is_err());
        assert_eq!(
            load_err("appendfilename a/b").2,
            "appendfilename can't be a path, just a filename"
        );
        assert_eq!(
            load_err("appendfilename \"\"").2,
            "appendfilename can't be empty"
        );
        assert_eq!(
            load(r#"logfile "/tmp/x y.log""#).unwrap().logfile,
            "/tmp/x y.log"
        );
    }

    // -- CONFIG SET semantics -------------------------------------------------

    #[test]
    fn set_unknown_immutable_protected_duplicate() {
        let mut c = Config::default();
        assert_eq!(
            set(&mut c, "foo", "1").unwrap_err(),
            "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"
        );
        assert_eq!(
            set(&mut c, "databases", "2").unwrap_err(),
            "ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config"
        );
        assert_eq!(
            set(&mut c, "dir", "/tmp").unwrap_err(),
            "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config"
        );
        assert_eq!(
            c.set_many(&[(b"port", b"1"), (b"PORT", b"2")]).unwrap_err(),
            "ERR CONFIG SET failed (possibly related to argument 'PORT') - duplicate parameter"
        );
        // The first problem in argument order wins.
        assert_eq!(
            c.set_many(&[(b"databases", b"2"), (b"foo", b"1")])
                .unwrap_err(),
            "ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config"
        );
        assert_eq!(
            c.set_many(&[(b"foo", b"1"), (b"databases", b"2")])
                .unwrap_err(),
            "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"
        );
        // Names are case-insensitive; errors echo the name as given.
        set(&mut c, "MaxMemory", "1mb").unwrap();
        assert_eq!(
            set(&mut c, "DATABASES", "2").unwrap_err(),
            "ERR CONFIG SET failed (possibly related to argument 'DATABASES') - can't set immutable config"
        );
        // No CR/LF may leak into an error reply.
        assert_eq!(
            set(&mut c, "a\r\nb", "1").unwrap_err(),
            "ERR Unknown option or number of arguments for CONFIG SET - 'a  b'"
        );
        assert_eq!(
            c,
            Config {
                maxmemory: 1 << 20,
                ..Config::default()
            }
        );
    }

    #[test]
    fn every_immutable_option_is_refused() {
        let immutable: Vec<&str> = OPTIONS
            .iter()
            .filter(|s| s.flags & IMMUTABLE != 0)
            .map(|s| s.name)
            .collect();
        for name in [
            "databases",
            "daemonize",
            "appendfilename",
            "unixsocket",
            "unixsocketperm",
            "logfile",
            "pidfile",
            "tcp-backlog",
        ] {
            assert!(immutable.contains(&name), "{name} should be immutable");
        }
        let mut c = Config::default();
        for name in immutable {
            let value = get(&c, name);
            let err = set(&mut c, name, &value).unwrap_err();
            assert!(err.contains("can't set immutable config"), "{name}: {err}");
            assert!(err.contains(&format!("'{name}'")), "{err}");
        }
        assert_eq!(c, Config::default());
    }

    #[test]
    fn multi_set_is_atomic() {
        let mut c = Config::default();
        let before = c.clone();
        let err = c
            .set_many(&[
                (b"port", b"7390"),
                (b"maxmemory", b"100mb"),
                (b"maxmemory-policy", b"nope"),
            ])
            .unwrap_err();
        assert!(err.contains("'maxmemory-policy'"), "{err}");
        assert_eq!(c, before);

        let changed = c
            .set_many(&[
                (b"port", b"7390"),
                (b"maxmemory", b"100mb"),
                (b"maxmemory-policy", b"allkeys-lru"),
                (b"timeout", b"0"),
            ])
            .unwrap();
        assert_eq!(changed, vec!["port", "maxmemory", "maxmemory-policy"]);
        assert_eq!((c.port, c.maxmemory), (7390, 100 << 20));
        assert_eq!(c.maxmemory_policy, MaxmemoryPolicy::AllkeysLru);
        assert_eq!(c.set_many(&[]).unwrap(), Vec::<&str>::new());
    }

    /// A non-default value for every mutable option, as CONFIG SET takes it.
    fn sample_value(name: &str) -> &'static str {
        match name {
            "bind" => "127.0.0.1 -::1",
            "port" => "7390",
            "protected-mode" => "no",
            "maxclients" => "500",
            "timeout" => "30",
            "tcp-keepalive" => "60",
            "requirepass" => "s3cret pass",
            "loglevel" => "warning",
            "hz" => "100",
            "active-expire-effort" => "5",
            "proto-max-bulk-len" => "2mb",
            "client-query-buffer-limit" => "2gb",
            "client-output-buffer-limit" => "normal 1mb 512kb 10 pubsub 0 0 0",
            "notify-keyspace-events" => "KEx",
            "slowlog-log-slower-than" => "-1",
            "slowlog-max-len" => "1000",
            "latency-tracking" => "no",
            "save" => "3600 1 60 10000",
            "appendonly" => "yes",
            "appendfsync" => "always",
            "auto-aof-rewrite-percentage" => "50",
            "auto-aof-rewrite-min-size" => "1k",
            "aof-load-truncated" => "no",
            "maxmemory" => "1g",
            "maxmemory-policy" => "allkeys-s3fifo",
            "maxmemory-samples" => "10",
            "maxkeys" => "100000",
            "maxkeys-eviction-ratio" => "0.25",
            "lfu-log-factor" => "20",
            "lfu-decay-time" => "0",
            "lazyfree-lazy-eviction" => "yes",
            "lazyfree-lazy-expire" => "yes",
            "lazyfree-lazy-server-del" => "yes",
            "lazyfree-lazy-user-del" => "yes",
            "lazyfree-lazy-user-flush" => "yes",
            "hash-max-listpack-entries" => "128",
            "hash-max-listpack-value" => "1024",
            other => panic!("no sample value for mutable option {other}"),
        }
    }

    fn mutable_options() -> impl Iterator<Item = &'static str> {
        OPTIONS
            .iter()
            .filter(|s| s.flags & (IMMUTABLE | PROTECTED) == 0)
            .map(|s| s.name)
    }

    #[test]
    fn get_set_round_trip_for_every_mutable_option() {
        let defaults = Config::default();
        for name in mutable_options() {
            // GET of the default is accepted back unchanged.
            let mut c = Config::default();
            let v = get(&c, name);
            assert_eq!(set(&mut c, name, &v), Ok(vec![]), "{name} default {v:?}");
            assert_eq!(c, defaults, "{name}");

            // A non-default value changes it, and its GET form round-trips.
            let sample = sample_value(name);
            assert_eq!(
                set(&mut c, name, sample),
                Ok(vec![name]),
                "{name} {sample:?}"
            );
            let shown = get(&c, name);
            assert_ne!(shown, v, "{name}: sample must differ from the default");
            let snapshot = c.clone();
            assert_eq!(set(&mut c, name, &shown), Ok(vec![]), "{name} {shown:?}");
            assert_eq!(c, snapshot, "{name}");

            // The same through the file and the command line.
            let from_file =
                load(&format!("{name} {}", repr(shown.as_bytes()))).unwrap_or_else(|e| {
                    panic!("{name} {shown:?}: {e}");
                });
            let split: Vec<String> = if OPTIONS
                .iter()
                .any(|s| s.name == name && s.flags & MULTI_ARG != 0)
            {
                shown.split(' ').map(str::to_string).collect()
            } else {
                vec![shown.clone()]
            };
            let mut argv = vec![format!("--{name}")];
            argv.extend(split);
            let from_cli = parse_startup(argv).unwrap().config;
            assert_eq!(get(&from_cli, name), shown, "{name} via CLI");
            // A single-line file entry for multi-arg options gives the same.
            if name != "client-output-buffer-limit" && name != "save" && name != "bind" {
                assert_eq!(from_file, snapshot, "{name} via file");
            }
        }
    }

    #[test]
    fn every_option_is_either_mutable_with_sample_or_immutable() {
        for spec in OPTIONS {
            if spec.flags & (IMMUTABLE | PROTECTED) == 0 {
                let _ = sample_value(spec.name);
            }
        }
        // Names are unique and lowercase.
        let mut names: Vec<&str> = Config::option_names().collect();
        assert!(names.iter().all(|n| *n == n.to_ascii_lowercase()));
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), OPTIONS.len());
    }

    // -- CONFIG GET -----------------------------------------------------------

    #[test]
    fn get_matching_patterns() {
        let c = Config::default();
        let all = c.get_matching(&[b"*"]);
        assert_eq!(all.len(), OPTIONS.len() + ALIASES.len());
        assert_eq!(
            c.get_matching(&[b"PORT"]),
            vec![("port", "7379".to_string())]
        );
        assert_eq!(
            c.get_matching(&[b"P*rt"]),
            vec![("port", "7379".to_string())]
        );
        let names =
            |v: Vec<(&'static str, String)>| v.into_iter().map(|(n, _)| n).collect::<Vec<_>>();
        assert_eq!(
            names(c.get_matching(&[b"maxmemory*"])),
            vec!["maxmemory", "maxmemory-policy", "maxmemory-samples"]
        );
        assert_eq!(
            names(c.get_matching(&[b"maxkeys*", b"maxkeys", b"port"])),
            vec!["port", "maxkeys", "maxkeys-eviction-ratio"]
        );
        assert!(c.get_matching(&[b"nosuch"]).is_empty());
        assert!(c.get_matching(&[b"rename-command"]).is_empty());
        // No glob characters: exact lookup, so an escape is not special.
        assert!(c.get_matching(&[b"po\\rt"]).is_empty());
        assert_eq!(names(c.get_matching(&[b"[p]o\\rt"])), vec!["port"]);
        assert_eq!(
            names(c.get_matching(&[b"lazyfree-lazy-user-*"])),
            vec!["lazyfree-lazy-user-del", "lazyfree-lazy-user-flush"]
        );
    }

    #[test]
    fn aliases() {
        let mut c = Config::default();
        assert_eq!(
            c.get_matching(&[b"hash-max-*"]),
            vec![
                ("hash-max-listpack-entries", "512".to_string()),
                ("hash-max-listpack-value", "64".to_string()),
                ("hash-max-ziplist-entries", "512".to_string()),
                ("hash-max-ziplist-value", "64".to_string()),
            ]
        );
        assert_eq!(
            c.get_matching(&[b"HASH-MAX-ZIPLIST-ENTRIES"]),
            vec![("hash-max-ziplist-entries", "512".to_string())]
        );
        assert_eq!(c.get("hash-max-ziplist-value").as_deref(), Some("64"));
        // Set through the alias; the change is reported under the real name.
        assert_eq!(
            set(&mut c, "Hash-Max-Ziplist-Entries", "128"),
            Ok(vec!["hash-max-listpack-entries"])
        );
        assert_eq!(c.hash_max_listpack_entries, 128);
        // Errors name the option as given (redis-server 7.0).
        assert_eq!(
            set(&mut c, "hash-max-ziplist-entries", "-1").unwrap_err(),
            "ERR CONFIG SET failed (possibly related to argument 'hash-max-ziplist-entries') - argument must be between 0 and 9223372036854775807 inclusive"
        );
        assert_eq!(
            set(&mut c, "hash-max-ziplist-value", "1x").unwrap_err(),
            "ERR CONFIG SET failed (possibly related to argument 'hash-max-ziplist-value') - argument must be a memory value"
        );
        // An option and its alias together are not duplicates: the later wins.
        assert_eq!(
            c.set_many(&[
                (b"hash-max-ziplist-entries", b"5"),
                (b"hash-max-listpack-entries", b"6"),
            ]),
            Ok(vec!["hash-max-listpack-entries"])
        );
        assert_eq!(c.hash_max_listpack_entries, 6);
        assert!(
            c.set_many(&[
                (b"hash-max-ziplist-value", b"5"),
                (b"hash-max-ziplist-value", b"6"),
            ])
            .unwrap_err()
            .ends_with("- duplicate parameter")
        );
        // The file accepts the alias, and a rewrite replaces it with the name.
        let c = load("hash-max-ziplist-value 1kb\n").unwrap();
        assert_eq!(c.hash_max_listpack_value, 1024);
        assert_eq!(
            c.rewrite_content(b"hash-max-ziplist-value 1kb\n"),
            "hash-max-listpack-value 1kb\n"
        );
    }
}
