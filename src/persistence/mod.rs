//! Persistence: the append-only file (AOF), its loading at start, and its
//! compaction by a forked child (BGREWRITEAOF). There is no RDB.
//!
//! Follows redis src/aof.c as of Redis 6 (one file, `appendfilename` in
//! `dir`, the parent buffering the writes made during a rewrite), not the
//! Redis 7 multi-part `appendonlydir` + manifest. `redis-check-aof` reads
//! this format ("Old-Style AOF").
//!
//! - [`aof`]: the `Aof` state owned by `Core`; feeding commands
//!   (`Core::propagate*`), writing and fsyncing per `appendfsync` in
//!   `before_sleep` (before any reply of the turn leaves), the background
//!   fsync thread for `everysec`, turning the AOF on and off at runtime.
//! - [`rewrite`]: `fork()`, the child that writes the snapshot, reaping it in
//!   cron, swapping the new file in, automatic rewrites.
//! - [`load`]: the streaming AOF reader (shared with the checker) and replay
//!   at start through the command table with a fake client.
//! - [`check`]: `inmemdb --check-aof [--fix] FILE`.
//!
//! Ordering rules that matter for durability:
//! - a turn's writes reach the file (and the disk with `appendfsync always`)
//!   before the turn's replies are written to sockets;
//! - a rewrite replaces the AOF only by `rename` of a complete, fsynced file,
//!   followed by an fsync of the directory.

pub mod aof;
pub mod check;
pub mod load;
pub mod rewrite;

use std::fmt::Write as _;

pub use aof::{Aof, AofState};

use crate::server::Core;

/// Commands per rewrite entry (Redis's AOF_REWRITE_ITEMS_PER_CMD): fields per
/// HSET, keys per MSET.
pub const REWRITE_ITEMS_PER_CMD: usize = 64;

/// Append a RESP header (`*3\r\n`, `$5\r\n`).
#[inline]
pub(crate) fn put_header(out: &mut Vec<u8>, prefix: u8, n: usize) {
    let mut tmp = [0u8; 20];
    out.push(prefix);
    out.extend_from_slice(crate::resp::writer::fmt_i64(n as i64, &mut tmp));
    out.extend_from_slice(b"\r\n");
}

/// Append one bulk string.
#[inline]
pub(crate) fn put_bulk(out: &mut Vec<u8>, b: &[u8]) {
    put_header(out, b'$', b.len());
    out.extend_from_slice(b);
    out.extend_from_slice(b"\r\n");
}

/// Append a whole command.
pub(crate) fn put_command<'a>(
    out: &mut Vec<u8>,
    argc: usize,
    argv: impl Iterator<Item = &'a [u8]>,
) {
    put_header(out, b'*', argc);
    for a in argv {
        put_bulk(out, a);
    }
}

/// `SELECT <db>` as the AOF writes it.
pub(crate) fn put_select(out: &mut Vec<u8>, db: usize) {
    let mut tmp = [0u8; 20];
    let digits = crate::resp::writer::fmt_i64(db as i64, &mut tmp);
    put_command(out, 2, [&b"SELECT"[..], digits].into_iter());
}

/// End of every event-loop turn, before replies are flushed: write the AOF
/// buffer (and fsync it for `appendfsync always`).
pub fn before_sleep(core: &mut Core) {
    aof::flush(core, false);
}

/// Cron (`hz`): reap the rewrite child, start scheduled or automatic
/// rewrites, retry failed writes.
pub fn cron(core: &mut Core) {
    rewrite::cron(core);
    if core.aof.state == AofState::On && !core.aof.last_write_ok() {
        aof::flush(core, false);
    }
}

/// Shutdown (SHUTDOWN or SIGTERM): make everything written durable.
/// A rewrite that was only compacting is abandoned (the old AOF is complete);
/// the first rewrite after `CONFIG SET appendonly yes` is waited for, since
/// there is no AOF without it.
pub fn shutdown(core: &mut Core) {
    rewrite::on_shutdown(core);
    if core.aof.state == AofState::On {
        aof::flush(core, true);
        tracing::info!("Calling fsync() on the AOF file.");
        core.aof.fsync_now();
    }
}

/// React to CONFIG SET of persistence options.
pub fn config_changed(core: &mut Core, name: &str) {
    match name {
        "appendonly" => {
            if core.config.appendonly {
                if let Err(e) = aof::start_append_only(core) {
                    tracing::warn!(
                        "Redis needs to enable the AOF but can't trigger a background AOF rewrite operation: {e}"
                    );
                }
            } else {
                aof::stop_append_only(core);
            }
        }
        // appendfsync is read from the config on every flush, so it applies
        // at once; switching to `always` fsyncs what is pending now.
        "appendfsync" if core.aof.state == AofState::On => {
            aof::flush(core, true);
            core.aof.fsync_now();
        }
        _ => {}
    }
}

/// INFO persistence, Redis 7 field order (rdb_* fields describe the absent
/// RDB: never saved, nothing in progress).
pub fn info(core: &Core, o: &mut String) {
    let a = &core.aof;
    let now_s = core.now_ms / 1000;
    let _ = write!(
        o,
        "# Persistence\r\n\
         loading:{}\r\n\
         async_loading:0\r\n\
         current_cow_peak:0\r\n\
         current_cow_size:0\r\n\
         current_cow_size_age:0\r\n\
         current_fork_perc:0.00\r\n\
         current_save_keys_processed:0\r\n\
         current_save_keys_total:0\r\n\
         rdb_changes_since_last_save:{}\r\n\
         rdb_bgsave_in_progress:0\r\n\
         rdb_last_save_time:{}\r\n\
         rdb_last_bgsave_status:ok\r\n\
         rdb_last_bgsave_time_sec:-1\r\n\
         rdb_current_bgsave_time_sec:-1\r\n\
         rdb_saves:0\r\n\
         rdb_last_cow_size:0\r\n\
         rdb_last_load_keys_expired:0\r\n\
         rdb_last_load_keys_loaded:0\r\n\
         aof_enabled:{}\r\n\
         aof_rewrite_in_progress:{}\r\n\
         aof_rewrite_scheduled:{}\r\n\
         aof_last_rewrite_time_sec:{}\r\n\
         aof_current_rewrite_time_sec:{}\r\n\
         aof_last_bgrewrite_status:{}\r\n\
         aof_rewrites:{}\r\n\
         aof_rewrites_consecutive_failures:{}\r\n\
         aof_last_write_status:{}\r\n\
         aof_last_cow_size:0\r\n\
         module_fork_in_progress:0\r\n\
         module_fork_last_cow_size:0\r\n",
        u8::from(core.loading),
        core.dirty,
        a.lastsave_unix_s,
        u8::from(a.state != AofState::Off),
        u8::from(a.rewrite_in_progress()),
        u8::from(a.rewrite_scheduled),
        a.last_rewrite_time_s,
        a.current_rewrite_time_s(),
        ok_err(a.last_bgrewrite_ok),
        a.rewrites,
        a.rewrites_consecutive_failures,
        ok_err(a.last_write_ok()),
    );
    if a.state != AofState::Off {
        let _ = write!(
            o,
            "aof_current_size:{}\r\n\
             aof_base_size:{}\r\n\
             aof_pending_rewrite:{}\r\n\
             aof_buffer_length:{}\r\n\
             aof_rewrite_buffer_length:{}\r\n\
             aof_pending_bio_fsync:{}\r\n\
             aof_delayed_fsync:{}\r\n",
            a.current_size,
            a.base_size,
            u8::from(a.rewrite_scheduled),
            a.buf.len(),
            a.rewrite_buf_len(),
            a.pending_bio_jobs(),
            a.delayed_fsync,
        );
    }
    if let Some(l) = &a.loading {
        let perc = if l.total_bytes == 0 {
            100.0
        } else {
            l.loaded_bytes as f64 * 100.0 / l.total_bytes as f64
        };
        let elapsed = now_s.saturating_sub(l.start_unix_s).max(1);
        let eta = (l.total_bytes.saturating_sub(l.loaded_bytes) * elapsed)
            .checked_div(l.loaded_bytes)
            .unwrap_or(1);
        let _ = write!(
            o,
            "loading_start_time:{}\r\n\
             loading_total_bytes:{}\r\n\
             loading_rdb_used_mem:0\r\n\
             loading_loaded_bytes:{}\r\n\
             loading_loaded_perc:{perc:.2}\r\n\
             loading_eta_seconds:{eta}\r\n",
            l.start_unix_s, l.total_bytes, l.loaded_bytes,
        );
    }
}

fn ok_err(ok: bool) -> &'static str {
    if ok { "ok" } else { "err" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_commands_like_redis() {
        let mut out = Vec::new();
        put_select(&mut out, 12);
        put_command(&mut out, 3, [&b"SET"[..], b"k", b""].into_iter());
        assert_eq!(
            out,
            b"*2\r\n$6\r\nSELECT\r\n$2\r\n12\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n"
        );
    }
}
