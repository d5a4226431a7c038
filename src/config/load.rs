//! Loading configuration text: the `Loader` applies directives one by one
//! (table options, `include`, `rename-command`) from a file, stdin or the
//! command line, and reports the file, line and option of the first bad
//! one. `include` takes a wildcard in its last path component. Follows
//! redis src/config.c `loadServerConfigFromString` and `loadServerConfig`.

use super::getset::set_value;
use super::syntax::{split_args, trim, utf8};
use super::table::{MULTI_ARG, Origin, Reason, lookup};
use super::{Config, ConfigError};
use crate::glob::glob_match;
use crate::util::is_c_space;
use std::borrow::Cow;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// `include` depth limit; Redis has none and overflows its stack on a loop.
const MAX_INCLUDE_DEPTH: usize = 16;

/// Why one directive failed: a reason for the current line, or an error that
/// already names its own file and line (inside an `include`d file).
pub(super) enum DirectiveError {
    Reason(Reason),
    Nested(ConfigError),
}

impl From<Reason> for DirectiveError {
    fn from(r: Reason) -> Self {
        DirectiveError::Reason(r)
    }
}

impl From<&'static str> for DirectiveError {
    fn from(r: &'static str) -> Self {
        DirectiveError::Reason(Cow::Borrowed(r))
    }
}

pub(super) struct Loader {
    pub(super) config: Config,
    /// Redis resets `save` defaults on the first `save` directive of a load.
    pub(super) save_seen: bool,
}

impl Loader {
    /// Apply one directive (argv[0] is the name) while loading a file or the
    /// command line; `include` and `rename-command` are only valid here.
    pub(super) fn directive(
        &mut self,
        argv: &[Vec<u8>],
        depth: usize,
    ) -> Result<(), DirectiveError> {
        let Some((name, args)) = argv.split_first() else {
            return Ok(());
        };
        if let Some(spec) = lookup(name) {
            if spec.flags & MULTI_ARG == 0 && args.len() != 1 {
                return Err("wrong number of arguments".into());
            }
            if spec.name == "save" && !self.save_seen {
                self.save_seen = true;
                self.config.save.clear();
            }
            // Redis 7: a multi-arg option given one non-empty argument is
            // split again, so `--save "3600 1"` and `bind "a b"` work.
            let resplit;
            let args = match args {
                [one] if spec.flags & MULTI_ARG != 0 && !one.is_empty() => {
                    resplit = split_args(one).ok_or("Unbalanced quotes in configuration line")?;
                    &resplit[..]
                }
                _ => args,
            };
            let args: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
            return Ok(set_value(spec, &mut self.config, &args, Origin::Load)?);
        }
        match args {
            [path] if name.eq_ignore_ascii_case(b"include") => {
                if depth >= MAX_INCLUDE_DEPTH {
                    return Err("include nesting too deep (include loop?)".into());
                }
                let path = utf8(path)?;
                self.include(&path, depth + 1)
                    .map_err(DirectiveError::Nested)
            }
            [from, to] if name.eq_ignore_ascii_case(b"rename-command") => {
                let pair = (utf8(from)?, utf8(to)?);
                self.config.rename_commands.push(pair);
                Ok(())
            }
            _ => Err("Bad directive or wrong number of arguments".into()),
        }
    }

    /// `include PATH`: relative to the current directory, like Redis; a
    /// wildcard in the last component includes every match in sorted order,
    /// and none at all is fine (empty conf.d directories).
    fn include(&mut self, path: &str, depth: usize) -> Result<(), ConfigError> {
        let has_glob = |s: &str| s.contains(['*', '?', '[']);
        if !has_glob(path) {
            return self.load_file(Path::new(path), depth);
        }
        let p = Path::new(path);
        let dir = match p.parent() {
            Some(d) if d.as_os_str().is_empty() => Path::new("."),
            Some(d) => d,
            None => Path::new("."),
        };
        let pattern = p
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        if has_glob(&dir.to_string_lossy()) {
            return Err(ConfigError::Io {
                path: path.to_string(),
                error: io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "wildcards are only supported in the last path component",
                ),
            });
        }
        let mut matches: Vec<PathBuf> = match fs::read_dir(dir) {
            Ok(entries) => entries
                .filter_map(Result::ok)
                .filter(|e| glob_match(pattern.as_bytes(), e.file_name().as_encoded_bytes(), false))
                .map(|e| e.path())
                .collect(),
            Err(_) => Vec::new(),
        };
        matches.sort();
        for m in matches {
            self.load_file(&m, depth)?;
        }
        Ok(())
    }

    pub(super) fn load_file(&mut self, path: &Path, depth: usize) -> Result<(), ConfigError> {
        let text = fs::read(path).map_err(|error| ConfigError::Io {
            path: path.display().to_string(),
            error,
        })?;
        self.load_text(&text, &path.display().to_string(), depth)
    }

    pub(super) fn load_text(
        &mut self,
        text: &[u8],
        file: &str,
        depth: usize,
    ) -> Result<(), ConfigError> {
        for (i, raw) in text.split(|b| *b == b'\n').enumerate() {
            let line = trim(raw);
            if line.is_empty() || line.first() == Some(&b'#') {
                continue;
            }
            let invalid = |option: &[u8], reason: Reason| ConfigError::Invalid {
                file: Some(file.to_string()),
                line: i + 1,
                option: String::from_utf8_lossy(option).to_ascii_lowercase(),
                reason: reason.into_owned(),
            };
            let Some(argv) = split_args(line) else {
                let first = line.split(|b| is_c_space(*b)).next().unwrap_or_default();
                return Err(invalid(
                    first,
                    "Unbalanced quotes in configuration line".into(),
                ));
            };
            let name = argv.first().cloned().unwrap_or_default();
            match self.directive(&argv, depth) {
                Ok(()) => {}
                Err(DirectiveError::Reason(r)) => return Err(invalid(&name, r)),
                Err(DirectiveError::Nested(e)) => return Err(e),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::panic)] // tests report unexpected variants by panicking
mod tests {
    use super::*;
    use crate::config::test_support::*;
    use crate::config::{MaxmemoryPolicy, parse_startup, repr};

    // -- config file ----------------------------------------------------------

    #[test]
    fn file_basics() {
        let c = load(
            "# comment\n\n   # indented comment\nport 7380\r\n  maxmemory 100MB  \nMAXMEMORY-POLICY allkeys-lru\n\
             bind 127.0.0.1 ::1\nrename-command FLUSHALL \"\"\nrename-command CONFIG myconfig\n",
        )
        .unwrap();
        assert_eq!(c.port, 7380);
        assert_eq!(c.maxmemory, 100 << 20);
        assert_eq!(c.maxmemory_policy, MaxmemoryPolicy::AllkeysLru);
        assert_eq!(c.bind, vec!["127.0.0.1", "::1"]);
        assert_eq!(
            c.rename_commands,
            vec![
                ("FLUSHALL".to_string(), String::new()),
                ("CONFIG".to_string(), "myconfig".to_string())
            ]
        );
        // Later lines win.
        assert_eq!(load("port 1\nport 2").unwrap().port, 2);
    }

    #[test]
    fn file_errors_name_line_and_option() {
        assert_eq!(
            load_err("port 7380\n# c\n  \nfoo bar\n"),
            (
                4,
                "foo".into(),
                "Bad directive or wrong number of arguments".into()
            )
        );
        assert_eq!(
            load_err("port 99999"),
            (
                1,
                "port".into(),
                "argument must be between 0 and 65535 inclusive".into()
            )
        );
        assert_eq!(
            load_err("\nPORT 1 2"),
            (2, "port".into(), "wrong number of arguments".into())
        );
        assert_eq!(
            load_err("port \"abc"),
            (
                1,
                "port".into(),
                "Unbalanced quotes in configuration line".into()
            )
        );
        assert_eq!(
            load_err("maxmemory 1xb"),
            (
                1,
                "maxmemory".into(),
                "argument must be a memory value".into()
            )
        );
        assert_eq!(
            load_err("rename-command FLUSHALL"),
            (
                1,
                "rename-command".into(),
                "Bad directive or wrong number of arguments".into()
            )
        );
        assert_eq!(load_err("loglevel").2, "wrong number of arguments");

        let err = load("a\nb\nmaxclients 0").unwrap_err().to_string();
        assert!(err.contains("FATAL CONFIG FILE ERROR"), "{err}");
        assert!(err.contains("'test.conf', at line 1, option 'a'"), "{err}");
        let err = load("port 1\nmaxclients 0").unwrap_err().to_string();
        assert!(err.contains("at line 2, option 'maxclients'"), "{err}");
        assert!(
            err.ends_with("argument must be between 1 and 4294967295 inclusive"),
            "{err}"
        );
    }

    #[test]
    fn include_directive() {
        let inner = TempFile::new("maxmemory 5mb\n\nport 1 2\n");
        let outer = TempFile::new(&format!(
            "port 7391\ninclude {}\n",
            repr(inner.path_str().as_bytes())
        ));
        let err = parse_startup(args(&[&outer.path_str()])).unwrap_err();
        match err {
            ConfigError::Invalid {
                file, line, option, ..
            } => {
                assert_eq!(file.as_deref(), Some(inner.path_str().as_str()));
                assert_eq!((line, option.as_str()), (3, "port"));
            }
            other => panic!("{other:?}"),
        }
        let inner_ok = TempFile::new("maxmemory 5mb\n");
        let outer = TempFile::new(&format!("include {}\nport 7391\n", inner_ok.path_str()));
        let c = parse_startup(args(&[&outer.path_str()])).unwrap().config;
        assert_eq!((c.port, c.maxmemory), (7391, 5 << 20));
        // A missing include is an I/O error; an include loop is stopped.
        assert!(matches!(
            load("include /nonexistent/inmemdb/x.conf"),
            Err(ConfigError::Io { .. })
        ));
        let looping = TempFile::new("");
        fs::write(&looping.0, format!("include {}\n", looping.path_str())).unwrap();
        let err = parse_startup(args(&[&looping.path_str()]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("include nesting too deep"), "{err}");
        // A wildcard with no match includes nothing.
        assert_eq!(
            load("include /nonexistent-inmemdb-dir/*.conf").unwrap(),
            Config::default()
        );
    }

    #[test]
    fn include_wildcard() {
        let dir = std::env::temp_dir().join(format!("inmemdb-conf-d-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("a.conf"), "port 1\nmaxkeys 10\n").unwrap();
        fs::write(dir.join("b.conf"), "port 2\n").unwrap();
        fs::write(dir.join("c.txt"), "port 3\n").unwrap();
        let c = load(&format!("include {}/*.conf", dir.display())).unwrap();
        let _ = fs::remove_dir_all(&dir);
        assert_eq!((c.port, c.maxkeys), (2, 10));
    }
}
