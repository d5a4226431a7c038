//! `notify-keyspace-events`: the NOTIFY_* event classes, their flag string
//! in both directions, and the option's set and rewrite callbacks. Follows
//! redis src/notify.c (`keyspaceEventsStringToFlags`,
//! `keyspaceEventsFlagsToString`) and config.c
//! `setConfigNotifyKeyspaceEventsOption`. The server's own copy of the bits
//! is `server::hooks::notify`.

use super::Config;
use super::syntax::repr;
use super::table::{Origin, Reason};

/// Keyspace notification classes (redis src/server.h NOTIFY_*).
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
/// `A`: every class except key-miss and new-key events.
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

/// The canonical string for `flags` (redis keyspaceEventsFlagsToString),
/// except that `n` stays visible after `A`.
pub fn keyspace_events_string(flags: u32) -> String {
    let mut s = String::new();
    if flags & NOTIFY_ALL == NOTIFY_ALL {
        s.push('A');
    } else {
        for (bit, c) in [
            (NOTIFY_GENERIC, 'g'),
            (NOTIFY_STRING, '$'),
            (NOTIFY_LIST, 'l'),
            (NOTIFY_SET, 's'),
            (NOTIFY_HASH, 'h'),
            (NOTIFY_ZSET, 'z'),
            (NOTIFY_EXPIRED, 'x'),
            (NOTIFY_EVICTED, 'e'),
            (NOTIFY_STREAM, 't'),
            (NOTIFY_MODULE, 'd'),
        ] {
            if flags & bit != 0 {
                s.push(c);
            }
        }
    }
    for (bit, c) in [
        (NOTIFY_NEW, 'n'),
        (NOTIFY_KEYSPACE, 'K'),
        (NOTIFY_KEYEVENT, 'E'),
        (NOTIFY_KEY_MISS, 'm'),
    ] {
        if flags & bit != 0 {
            s.push(c);
        }
    }
    s
}

pub(super) fn set_notify(c: &mut Config, args: &[&[u8]], _: Origin) -> Result<(), Reason> {
    let [arg] = args else {
        return Err("wrong number of arguments".into());
    };
    let flags = keyspace_events_flags(arg)
        .ok_or("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")?;
    c.notify_keyspace_events = keyspace_events_string(flags);
    Ok(())
}

pub(super) fn rewrite_notify(c: &Config, _: &Config) -> Vec<(String, bool)> {
    vec![(
        format!(
            "notify-keyspace-events {}",
            repr(c.notify_keyspace_events.as_bytes())
        ),
        !c.notify_keyspace_events.is_empty(),
    )]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::test_support::*;

    #[test]
    fn notify_keyspace_events_option() {
        let mut c = Config::default();
        for (input, shown) in [
            ("KEA", "AKE"),
            ("Ex", "xE"),
            ("KEg$lshzxetd", "AKE"),
            ("Egsxm$lhzetd", "AEm"),
            ("n", "n"),
            ("KA", "AK"),
            ("KEAn", "AnKE"),
            ("", ""),
        ] {
            set(&mut c, "notify-keyspace-events", input).unwrap();
            assert_eq!(get(&c, "notify-keyspace-events"), shown, "{input}");
            // Whatever GET shows, SET accepts back to the same flags.
            set(&mut c, "notify-keyspace-events", shown).unwrap();
            assert_eq!(get(&c, "notify-keyspace-events"), shown);
        }
        assert_eq!(
            set(&mut c, "notify-keyspace-events", "q").unwrap_err(),
            "ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'."
        );
        set(&mut c, "notify-keyspace-events", "KEx").unwrap();
        let flags = keyspace_events_flags(c.notify_keyspace_events.as_bytes()).unwrap();
        assert_eq!(flags, NOTIFY_KEYSPACE | NOTIFY_KEYEVENT | NOTIFY_EXPIRED);
    }
}
