//! Options with their own syntax, the `Kind::Special` entries of the table:
//! `bind` (optional `-addr`s), `save` (seconds/changes pairs that add up
//! while loading) and `client-output-buffer-limit` (three client classes).
//! Each has a set, a get and a CONFIG REWRITE function. Follows redis
//! src/config.c `setConfigBindOption`, `setConfigSaveOption`,
//! `setConfigClientOutputBufferLimitOption`, their `getConfig*Option` and
//! `rewriteConfig{Bind,Save,ClientOutputBufferLimit}Option`.

use super::syntax::{c_strtoll, format_memory, memtoull, utf8};
use super::table::{Origin, Reason};
use super::{ClientOutputBufferLimit, ClientOutputBufferLimits, Config};

/// Most addresses `bind` accepts (Redis CONFIG_BINDADDR_MAX).
const BIND_MAX: usize = 16;

pub(super) fn set_bind(c: &mut Config, args: &[&[u8]], _: Origin) -> Result<(), Reason> {
    if args.len() > BIND_MAX {
        return Err("Too many bind addresses specified.".into());
    }
    // A single empty argument means "no addresses" (Redis).
    let args = if args.len() == 1 && args.iter().all(|a| a.is_empty()) {
        &[][..]
    } else {
        args
    };
    let mut bind = Vec::with_capacity(args.len());
    let mut optional = Vec::with_capacity(args.len());
    for a in args {
        let addr = utf8(a)?;
        match addr.strip_prefix('-') {
            Some(rest) => {
                bind.push(rest.to_string());
                optional.push(true);
            }
            None => {
                bind.push(addr);
                optional.push(false);
            }
        }
    }
    c.bind = bind;
    c.bind_optional = optional;
    Ok(())
}

fn bind_words(c: &Config) -> Vec<String> {
    c.bind
        .iter()
        .enumerate()
        .map(|(i, a)| {
            if c.bind_optional.get(i).copied().unwrap_or(false) {
                format!("-{a}")
            } else {
                a.clone()
            }
        })
        .collect()
}

pub(super) fn get_bind(c: &Config) -> String {
    bind_words(c).join(" ")
}

pub(super) fn rewrite_bind(c: &Config, d: &Config) -> Vec<(String, bool)> {
    if bind_words(c) == bind_words(d) {
        return Vec::new(); // default: drop any bind line (Redis does the same)
    }
    if c.bind.is_empty() {
        return vec![("bind \"\"".to_string(), true)];
    }
    vec![(format!("bind {}", get_bind(c)), true)]
}

pub(super) fn set_save(c: &mut Config, args: &[&[u8]], origin: Origin) -> Result<(), Reason> {
    const INVALID: &str = "Invalid save parameters";
    let args = if args.len() == 1 && args.iter().all(|a| a.is_empty()) {
        &[][..]
    } else {
        args
    };
    if args.len() % 2 == 1 {
        return Err(INVALID.into());
    }
    let mut pairs = Vec::with_capacity(args.len() / 2);
    for pair in args.chunks_exact(2) {
        let (secs, changes) = match (c_strtoll(pair[0], 10), c_strtoll(pair[1], 10)) {
            (Some((s, _)), Some((ch, _))) => (s, ch),
            _ => return Err(INVALID.into()),
        };
        if secs < 1 || changes < 0 {
            return Err(INVALID.into());
        }
        pairs.push(format!("{secs} {changes}"));
    }
    // While loading, each `save` line adds points and an empty one clears
    // them; CONFIG SET replaces the whole list.
    if origin == Origin::Set || pairs.is_empty() || c.save.is_empty() {
        c.save = pairs.join(" ");
    } else {
        c.save = format!("{} {}", c.save, pairs.join(" "));
    }
    Ok(())
}

pub(super) fn rewrite_save(c: &Config, d: &Config) -> Vec<(String, bool)> {
    let force = c.save != d.save;
    if c.save.is_empty() {
        return vec![("save \"\"".to_string(), force)];
    }
    let words: Vec<&str> = c.save.split(' ').collect();
    words
        .chunks(2)
        .map(|p| (format!("save {}", p.join(" ")), force))
        .collect()
}

pub(super) fn set_obuf_limits(c: &mut Config, args: &[&[u8]], _: Origin) -> Result<(), Reason> {
    if !args.len().is_multiple_of(4) {
        return Err("Wrong number of arguments in buffer limit configuration.".into());
    }
    // Validate everything before touching anything, like Redis.
    let mut new = c.client_output_buffer_limit;
    for group in args.chunks_exact(4) {
        let class = group[0];
        let slot = if class.eq_ignore_ascii_case(b"normal") {
            &mut new.normal
        } else if class.eq_ignore_ascii_case(b"replica") || class.eq_ignore_ascii_case(b"slave") {
            &mut new.replica
        } else if class.eq_ignore_ascii_case(b"pubsub") {
            &mut new.pubsub
        } else {
            return Err("Invalid client class specified in buffer limit configuration.".into());
        };
        let hard = memtoull(group[1]);
        let soft = memtoull(group[2]);
        let secs = c_strtoll(group[3], 10);
        match (hard, soft, secs) {
            (Some(hard), Some(soft), Some((secs, _))) if secs >= 0 => {
                *slot = ClientOutputBufferLimit {
                    hard_limit_bytes: hard,
                    soft_limit_bytes: soft,
                    soft_limit_seconds: secs as u64,
                };
            }
            _ => {
                return Err(
                    "Error in hard, soft or soft_seconds setting in buffer limit configuration."
                        .into(),
                );
            }
        }
    }
    c.client_output_buffer_limit = new;
    Ok(())
}

fn obuf_classes(l: &ClientOutputBufferLimits) -> [(&'static str, ClientOutputBufferLimit); 3] {
    [
        ("normal", l.normal),
        ("slave", l.replica),
        ("pubsub", l.pubsub),
    ]
}

pub(super) fn get_obuf_limits(c: &Config) -> String {
    obuf_classes(&c.client_output_buffer_limit)
        .iter()
        .map(|(name, l)| {
            format!(
                "{name} {} {} {}",
                l.hard_limit_bytes, l.soft_limit_bytes, l.soft_limit_seconds
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

pub(super) fn rewrite_obuf_limits(c: &Config, d: &Config) -> Vec<(String, bool)> {
    let cur = obuf_classes(&c.client_output_buffer_limit);
    let def = obuf_classes(&d.client_output_buffer_limit);
    cur.iter()
        .zip(def.iter())
        .map(|((name, l), (_, dl))| {
            let name = if *name == "slave" { "replica" } else { name };
            (
                format!(
                    "client-output-buffer-limit {name} {} {} {}",
                    format_memory(l.hard_limit_bytes),
                    format_memory(l.soft_limit_bytes),
                    l.soft_limit_seconds
                ),
                l != dl,
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::test_support::*;

    #[test]
    fn bind_option() {
        let mut c = Config::default();
        assert_eq!(get(&c, "bind"), "127.0.0.1");
        set(&mut c, "bind", "127.0.0.1 -::1").unwrap();
        assert_eq!(c.bind, vec!["127.0.0.1", "::1"]);
        assert_eq!(c.bind_optional, vec![false, true]);
        assert_eq!(get(&c, "bind"), "127.0.0.1 -::1");
        set(&mut c, "bind", "").unwrap();
        assert!(c.bind.is_empty());
        assert_eq!(get(&c, "bind"), "");
        let many = vec!["127.0.0.1"; 17].join(" ");
        assert_eq!(
            set(&mut c, "bind", &many).unwrap_err(),
            "ERR CONFIG SET failed (possibly related to argument 'bind') - Too many bind addresses specified."
        );
        let c = load("bind 0.0.0.0 ::").unwrap();
        assert_eq!(c.bind, vec!["0.0.0.0", "::"]);
        assert!(load(r#"bind """#).unwrap().bind.is_empty());
    }

    #[test]
    fn save_option() {
        let mut c = Config::default();
        assert_eq!(get(&c, "save"), "");
        set(&mut c, "save", "900 1 300 10").unwrap();
        assert_eq!(c.save, "900 1 300 10");
        set(&mut c, "save", "0900 +1").unwrap();
        assert_eq!(c.save, "900 1");
        for bad in ["900", "900  1", " 900 1", "0 1", "900 -1", "a 1"] {
            assert_eq!(
                set(&mut c, "save", bad).unwrap_err(),
                "ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters",
                "{bad}"
            );
        }
        set(&mut c, "save", "").unwrap();
        assert_eq!(c.save, "");
        // In a file, lines add up and an empty one clears them (Redis 7.0).
        assert_eq!(
            load("save 900 1\nsave 300 10").unwrap().save,
            "900 1 300 10"
        );
        assert_eq!(load("save 900 1\nsave \"\"").unwrap().save, "");
        assert_eq!(load("save 900 1 300 10").unwrap().save, "900 1 300 10");
    }

    #[test]
    fn client_output_buffer_limit_option() {
        let mut c = Config::default();
        assert_eq!(
            get(&c, "client-output-buffer-limit"),
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
        );
        set(&mut c, "client-output-buffer-limit", "normal 1mb 2mb 3").unwrap();
        assert_eq!(
            c.client_output_buffer_limit.normal.hard_limit_bytes,
            1 << 20
        );
        assert_eq!(
            get(&c, "client-output-buffer-limit"),
            "normal 1048576 2097152 3 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
        );
        set(
            &mut c,
            "client-output-buffer-limit",
            "replica 1 1 1 pubsub 2 2 2",
        )
        .unwrap();
        assert_eq!(
            get(&c, "client-output-buffer-limit"),
            "normal 1048576 2097152 3 slave 1 1 1 pubsub 2 2 2"
        );
        let prefix =
            "ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - ";
        assert_eq!(
            set(&mut c, "client-output-buffer-limit", "master 1 1 1").unwrap_err(),
            format!("{prefix}Invalid client class specified in buffer limit configuration.")
        );
        assert_eq!(
            set(&mut c, "client-output-buffer-limit", "normal 1 1").unwrap_err(),
            format!("{prefix}Wrong number of arguments in buffer limit configuration.")
        );
        assert_eq!(
            set(&mut c, "client-output-buffer-limit", "normal 1 1 -1").unwrap_err(),
            format!(
                "{prefix}Error in hard, soft or soft_seconds setting in buffer limit configuration."
            )
        );
        // All or nothing within one value too.
        assert!(
            set(
                &mut c,
                "client-output-buffer-limit",
                "normal 5 5 5 pubsub x 1 1"
            )
            .is_err()
        );
        assert_eq!(
            c.client_output_buffer_limit.normal.hard_limit_bytes,
            1 << 20
        );
        let c = load("client-output-buffer-limit pubsub 64mb 16mb 90").unwrap();
        assert_eq!(
            c.client_output_buffer_limit.pubsub.soft_limit_bytes,
            16 << 20
        );
        assert_eq!(c.client_output_buffer_limit.pubsub.soft_limit_seconds, 90);
    }
}
