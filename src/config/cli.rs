//! The startup command line: `inmemdb [config-file] [--name value ...] [-]`,
//! grouped into directives for the `Loader` after the file (and stdin), plus
//! `--help`, `--version` and `--check-aof [--fix] FILE`. Follows the argv
//! handling of redis src/server.c `main` (with `usage` and `version`);
//! `--check-aof` stands in for the separate redis-check-aof tool.

use super::load::{DirectiveError, Loader};
use super::syntax::split_args;
use super::{Config, ConfigError, StartupOptions};
use std::io::{self, Read};
use std::path::PathBuf;

fn version_text() -> String {
    format!(
        "InMemDB server v={} (Redis 7 protocol compatible)",
        env!("CARGO_PKG_VERSION")
    )
}

fn help_text() -> String {
    "Usage: inmemdb [/path/to/inmemdb.conf] [options] [-]
       inmemdb - (read config from stdin)
       inmemdb -v or --version
       inmemdb -h or --help
       inmemdb --check-aof [--fix] <file.aof>

Every configuration directive of inmemdb.conf can be given as
--<name> <value> [<value> ...]; command-line options are applied after the
config file, as if appended to it. See inmemdb.conf.example for the list.

Examples:
       inmemdb (run the server with the default configuration)
       echo 'maxmemory 128mb' | inmemdb -
       inmemdb /etc/inmemdb/7379.conf
       inmemdb --port 7777
       inmemdb --port 7380 --maxmemory 100mb --save \"\" --bind 127.0.0.1 ::1
       inmemdb /etc/inmemdb.conf --loglevel verbose
       inmemdb --check-aof --fix appendonly.aof"
        .to_string()
}

fn usage_error(line: usize, option: &str, reason: &str) -> ConfigError {
    ConfigError::Invalid {
        file: None,
        line,
        option: option.to_string(),
        reason: reason.to_string(),
    }
}

fn parse_check_aof(args: &[String]) -> Result<StartupOptions, ConfigError> {
    const USAGE: &str = "Usage: inmemdb --check-aof [--fix] <file.aof>";
    let mut fix = false;
    let mut file = None;
    for a in args.iter().filter(|a| a.as_str() != "--check-aof") {
        match a.as_str() {
            "--fix" => fix = true,
            _ if file.is_none() && !a.starts_with("--") => file = Some(PathBuf::from(a)),
            _ => return Err(usage_error(1, "check-aof", USAGE)),
        }
    }
    let file = file.ok_or_else(|| usage_error(1, "check-aof", USAGE))?;
    Ok(StartupOptions {
        config: Config::default(),
        config_file: None,
        check_aof: Some((file, fix)),
    })
}

/// Parse argv (without the program name) like redis-server: an optional
/// config file path first, then `--name value [value...]` options applied
/// after it. `-` as the first or last argument also reads config from stdin
/// (after the file, before the options). See `help_text`.
///
/// clap is not used: its model cannot express "any table option, followed
/// by any number of values" that Redis's command line allows (`--bind a b`,
/// `--save ""`, `--save` followed directly by another option).
pub fn parse_startup(args: Vec<String>) -> Result<StartupOptions, ConfigError> {
    match args.first().map(String::as_str) {
        Some("-v" | "--version") => return Err(ConfigError::Version(version_text())),
        Some("-h" | "--help") => return Err(ConfigError::Help(help_text())),
        _ => {}
    }
    if args.iter().any(|a| a == "--check-aof") {
        return parse_check_aof(&args);
    }

    let mut j = 0;
    let mut config_file = None;
    if let Some(first) = args.first()
        && !first.starts_with('-')
    {
        config_file = Some(std::path::absolute(first).unwrap_or_else(|_| PathBuf::from(first)));
        j = 1;
    }

    // Group the rest into directives, following redis-server's main(): after
    // a bare `--name`, the next argument is its value even if it starts with
    // "--"; a lone `--save` (last, or followed by an option) means save "".
    let mut directives: Vec<Vec<Vec<u8>>> = Vec::new();
    let mut from_stdin = false;
    let mut handled_last = true;
    while let Some(a) = args.get(j) {
        let is_last = j + 1 == args.len();
        if a == "-" && (j == 0 || is_last) {
            from_stdin = true;
        } else if handled_last && a.starts_with("--") {
            let name_part = a.get(2..).unwrap_or_default();
            if matches!(name_part, "help" | "version") {
                return Err(if name_part == "help" {
                    ConfigError::Help(help_text())
                } else {
                    ConfigError::Version(version_text())
                });
            }
            let tokens = split_args(name_part.as_bytes()).ok_or_else(|| {
                usage_error(
                    directives.len() + 1,
                    name_part,
                    "Unbalanced quotes in configuration line",
                )
            })?;
            let only_name = tokens.len() <= 1;
            directives.push(tokens);
            handled_last = !only_name;
            if only_name && name_part.eq_ignore_ascii_case("save") {
                let next_is_option = args.get(j + 1).is_some_and(|n| n.starts_with("--"));
                if is_last || next_is_option {
                    if let Some(d) = directives.last_mut() {
                        d.push(Vec::new());
                    }
                    handled_last = true;
                }
            }
        } else {
            match directives.last_mut() {
                Some(d) => d.push(a.as_bytes().to_vec()),
                None => directives.push(vec![a.as_bytes().to_vec()]),
            }
            handled_last = true;
        }
        j += 1;
    }

    let mut loader = Loader {
        config: Config::default(),
        save_seen: false,
    };
    if let Some(path) = &config_file {
        loader.load_file(path, 0)?;
    }
    if from_stdin {
        let mut text = Vec::new();
        io::stdin()
            .read_to_end(&mut text)
            .map_err(|error| ConfigError::Io {
                path: "-".to_string(),
                error,
            })?;
        loader.load_text(&text, "stdin", 0)?;
    }
    for (i, argv) in directives.iter().enumerate() {
        let option = argv
            .first()
            .map(|n| String::from_utf8_lossy(n).to_ascii_lowercase())
            .unwrap_or_default();
        match loader.directive(argv, 0) {
            Ok(()) => {}
            Err(DirectiveError::Reason(r)) => return Err(usage_error(i + 1, &option, &r)),
            Err(DirectiveError::Nested(e)) => return Err(e),
        }
    }
    Ok(StartupOptions {
        config: loader.config,
        config_file,
        check_aof: None,
    })
}

#[cfg(test)]
#[allow(clippy::panic)] // tests report unexpected variants by panicking
mod tests {
    use super::*;
    use crate::config::test_support::*;

    // -- command line ---------------------------------------------------------

    #[test]
    fn cli_options() {
        let o = parse_startup(args(&[
            "--port",
            "7380",
            "--maxmemory",
            "100mb",
            "--save",
            "",
            "--bind",
            "127.0.0.1",
            "::1",
        ]))
        .unwrap();
        assert!(o.config_file.is_none() && o.check_aof.is_none());
        let c = o.config;
        assert_eq!((c.port, c.maxmemory), (7380, 100 << 20));
        assert_eq!(c.save, "");
        assert_eq!(c.bind, vec!["127.0.0.1", "::1"]);

        // Name and value in one argument; names are case-insensitive.
        assert_eq!(
            parse_startup(args(&["--port 7381"])).unwrap().config.port,
            7381
        );
        assert_eq!(
            parse_startup(args(&["--PORT", "7382"]))
                .unwrap()
                .config
                .port,
            7382
        );
        // A lone --save (last, or followed by an option) means save "".
        let c = parse_startup(args(&["--save", "--port", "7383"]))
            .unwrap()
            .config;
        assert_eq!((c.save.as_str(), c.port), ("", 7383));
        assert_eq!(parse_startup(args(&["--save"])).unwrap().config.save, "");
        let c = parse_startup(args(&["--save", "3600", "1", "--save", "60", "5"]))
            .unwrap()
            .config;
        assert_eq!(c.save, "3600 1 60 5");
        // Negative numbers are values, not options.
        let c = parse_startup(args(&["--slowlog-log-slower-than", "-1"]))
            .unwrap()
            .config;
        assert_eq!(c.slowlog_log_slower_than, -1);
        // After a bare name, even "--x" is its value (redis-server does this).
        let c = parse_startup(args(&["--requirepass", "--x"]))
            .unwrap()
            .config;
        assert_eq!(c.requirepass, "--x");
        let c = parse_startup(args(&["--rename-command", "KEYS", ""]))
            .unwrap()
            .config;
        assert_eq!(c.rename_commands, vec![("KEYS".to_string(), String::new())]);
    }

    #[test]
    fn cli_errors() {
        let err = |a: &[&str]| match parse_startup(args(a)) {
            Err(ConfigError::Invalid {
                file,
                line,
                option,
                reason,
            }) => {
                assert!(file.is_none());
                (line, option, reason)
            }
            other => panic!("{other:?}"),
        };
        assert_eq!(
            err(&["--port", "1", "--maxmemory", "1xb"]),
            (
                2,
                "maxmemory".into(),
                "argument must be a memory value".into()
            )
        );
        assert_eq!(
            err(&["--port"]),
            (1, "port".into(), "wrong number of arguments".into())
        );
        assert_eq!(
            err(&["--foo", "bar"]),
            (
                1,
                "foo".into(),
                "Bad directive or wrong number of arguments".into()
            )
        );
        assert_eq!(err(&["--port", "1", "2"]).2, "wrong number of arguments");
        let text = parse_startup(args(&["--port", "x"]))
            .unwrap_err()
            .to_string();
        assert!(
            text.contains("command-line options, at option 1 ('--port')"),
            "{text}"
        );
    }

    #[test]
    fn cli_overrides_file() {
        let f = TempFile::new("port 7001\nmaxmemory 1mb\nsave 900 1\nappendonly yes\n");
        let o = parse_startup(args(&[
            &f.path_str(),
            "--port",
            "7002",
            "--appendonly",
            "no",
        ]))
        .unwrap();
        assert_eq!(o.config_file.as_deref(), Some(f.0.as_path()));
        let c = o.config;
        assert_eq!(c.port, 7002);
        assert_eq!(c.maxmemory, 1 << 20);
        assert!(!c.appendonly);
        // CLI save lines add to the file's, --save "" clears them (Redis 7.0).
        let c = parse_startup(args(&[&f.path_str(), "--save", "60 5"]))
            .unwrap()
            .config;
        assert_eq!(c.save, "900 1 60 5");
        let c = parse_startup(args(&[&f.path_str(), "--save", ""]))
            .unwrap()
            .config;
        assert_eq!(c.save, "");
        // The file is made absolute (the server chdirs into `dir`).
        assert!(o.config_file.unwrap().is_absolute());
    }

    #[test]
    fn missing_config_file() {
        let err = parse_startup(args(&["/nonexistent/inmemdb.conf"])).unwrap_err();
        assert!(matches!(err, ConfigError::Io { .. }));
        assert!(
            err.to_string()
                .contains("can't open config file '/nonexistent/inmemdb.conf'")
        );
    }

    #[test]
    fn help_version_check_aof() {
        for a in ["-h", "--help"] {
            match parse_startup(args(&[a])) {
                Err(ConfigError::Help(t)) => assert!(t.contains("Usage: inmemdb")),
                other => panic!("{other:?}"),
            }
        }
        for a in ["-v", "--version"] {
            match parse_startup(args(&[a])) {
                Err(ConfigError::Version(t)) => assert!(t.contains(env!("CARGO_PKG_VERSION"))),
                other => panic!("{other:?}"),
            }
        }
        assert!(matches!(
            parse_startup(args(&["--port", "1", "--help"])),
            Err(ConfigError::Help(_))
        ));
        let o = parse_startup(args(&["--check-aof", "x.aof"])).unwrap();
        assert_eq!(o.check_aof, Some((PathBuf::from("x.aof"), false)));
        let o = parse_startup(args(&["--check-aof", "--fix", "x.aof"])).unwrap();
        assert_eq!(o.check_aof, Some((PathBuf::from("x.aof"), true)));
        let o = parse_startup(args(&["--check-aof", "x.aof", "--fix"])).unwrap();
        assert_eq!(o.check_aof, Some((PathBuf::from("x.aof"), true)));
        assert!(parse_startup(args(&["--check-aof"])).is_err());
        assert!(parse_startup(args(&["--check-aof", "a", "b"])).is_err());
        let o = parse_startup(Vec::new()).unwrap();
        assert_eq!(o.config, Config::default());
    }
}
