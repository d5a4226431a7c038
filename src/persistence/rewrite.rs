//! BGREWRITEAOF: compact the AOF by forking a child that writes the smallest
//! command stream rebuilding the dataset. Follows redis src/aof.c as of
//! Redis 6 (`rewriteAppendOnlyFileBackground`, `rewriteAppendOnlyFileRio`,
//! `backgroundRewriteDoneHandler`, `killAppendOnlyChild`) and server.c
//! (`checkChildrenDone`, the auto-rewrite rule in `serverCron`).
//!
//! **Parent.** `start` forks. From then on every write is also copied to the
//! rewrite buffer (see aof.rs), key touching is disabled (so reads don't
//! dirty pages shared copy-on-write with the child), and the next write logs
//! a SELECT so the buffer is self-contained. `cron` reaps the child with
//! `waitpid(WNOHANG)`; on success the parent appends the buffer to the
//! child's `temp-rewriteaof-bg-<pid>.aof`, fsyncs it, renames it over the AOF
//! (atomic), fsyncs the directory and continues appending to the new file.
//! On failure (exit code, signal, any I/O error) the temp file is removed and
//! the old AOF stays as it was; INFO says `aof_last_bgrewrite_status:err`.
//!
//! **Child (fork safety).** The process may have other threads (the bio
//! fsync thread) when it forks, and only the forking thread exists in the
//! child, so any lock another thread held stays locked forever. The child
//! therefore: never logs (tracing's writer takes locks); never returns into
//! the parent's code (it ends in `_exit`, which runs no destructors, atexit
//! handlers or stdio flushes); never touches the bio channel, the clients or
//! the poller; closes every inherited descriptor above stderr first (so a
//! child outliving a crashed parent can't hold the listening port or client
//! sockets) and asks to be SIGKILLed if the parent dies. It reads the
//! keyspace (its copy-on-write snapshot) and writes through raw `write(2)`.
//! Its only allocations are its 1 MiB output buffer and a 64-entry batch
//! vector; glibc's `fork` resets malloc's locks in the child, so that is safe.
//! Panics are caught and turned into exit code 2.
//!
//! **Output.** Per non-empty db: `SELECT db`; strings without TTL batched in
//! `MSET` of up to 64 keys; strings with a TTL as `SET k v PXAT ms`; hashes as
//! `HSET` of up to 64 fields, then `PEXPIREAT` if they have a TTL. Keys
//! already expired at fork time are skipped.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::time::{Duration, Instant};

use tracing::{info, warn};

use super::aof::{AofState, RewriteChild};
use super::{REWRITE_ITEMS_PER_CMD, put_bulk, put_header};
use crate::keyspace::{Keyspace, StrValue, Value};
use crate::server::{Core, unix_ms};

/// Output buffer of the child; written with one `write(2)` when full.
const CHILD_BUF_BYTES: usize = 1 << 20;
/// Values at least this large are written straight from the keyspace instead
/// of being copied into the buffer.
const DIRECT_WRITE_BYTES: usize = 64 << 10;
/// Never retry a failed automatic/scheduled rewrite sooner than this, doubled
/// per consecutive failure (Redis 7 limits retries the same way).
const RETRY_BASE: Duration = Duration::from_secs(1);
const RETRY_MAX: Duration = Duration::from_secs(60);

/// `temp-rewriteaof-bg-<pid>.aof`, the child's output (Redis's name).
pub fn temp_name(pid: libc::pid_t) -> String {
    format!("temp-rewriteaof-bg-{pid}.aof")
}

/// Why a rewrite could not start.
#[derive(Debug)]
pub enum StartError {
    InProgress,
    Fork(io::Error),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::InProgress => f.write_str("a rewrite is already in progress"),
            StartError::Fork(e) => write!(f, "fork: {e}"),
        }
    }
}

/// Fork the rewrite child (Redis's rewriteAppendOnlyFileBackground).
pub fn start(core: &mut Core) -> Result<(), StartError> {
    if core.aof.child.is_some() {
        return Err(StartError::InProgress);
    }
    // Everything the child needs is computed before the fork.
    let now_ms = unix_ms();
    let key_delay_us = core.aof.child_key_delay_us;
    // SAFETY: getpid has no preconditions.
    let parent = unsafe { libc::getpid() };
    let fork_started = Instant::now();
    // SAFETY: fork has no preconditions; the child branch below only runs
    // `child::run`, which obeys the rules in the module docs and never
    // returns.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        child::run(&core.keyspace, now_ms, key_delay_us, parent);
    }
    if pid < 0 {
        let e = io::Error::last_os_error();
        core.aof.last_bgrewrite_ok = false;
        warn!("Can't rewrite append only file in background: fork: {e}");
        return Err(StartError::Fork(e));
    }
    info!(
        "Background append only file rewriting started by pid {pid} (fork took {} us)",
        fork_started.elapsed().as_micros()
    );
    let aof = &mut core.aof;
    aof.child = Some(RewriteChild {
        pid,
        started: Instant::now(),
    });
    aof.rewrite_scheduled = false;
    // The diff must begin with a SELECT to be appended safely.
    aof.selected_db = None;
    aof.rewrite_buf = (aof.state != AofState::Off).then(Vec::new);
    core.keyspace.set_touch_enabled(false);
    Ok(())
}

/// Cron: reap a finished child; start a scheduled or automatic rewrite.
pub fn cron(core: &mut Core) {
    if let Some(child) = &core.aof.child {
        let pid = child.pid;
        let mut status = 0;
        // SAFETY: plain syscall on our own child.
        let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if r == pid {
            child_done(core, status);
        } else if r == -1 {
            let e = io::Error::last_os_error();
            warn!("waitpid() returned an error: {e}. child_type: AOF, child_pid = {pid}");
            if e.raw_os_error() == Some(libc::ECHILD) {
                // Gone without us seeing its status: treat as a failure.
                finish_failed(core, pid);
            }
        }
    }
    if core.aof.child.is_some() || !retry_allowed(core) {
        return;
    }
    if core.aof.rewrite_scheduled {
        if let Err(e) = start(core) {
            warn!("Scheduled AOF rewrite could not start: {e}");
            note_failure(core);
        }
        return;
    }
    let (perc, min) = (
        core.config.auto_aof_rewrite_percentage,
        core.config.auto_aof_rewrite_min_size,
    );
    let aof = &core.aof;
    if aof.state == AofState::On && perc > 0 && aof.current_size > min {
        let base = aof.base_size.max(1);
        let growth = (aof.current_size * 100 / base).saturating_sub(100);
        if growth >= perc {
            info!("Starting automatic rewriting of AOF on {growth}% growth");
            if let Err(e) = start(core) {
                warn!("Automatic AOF rewrite could not start: {e}");
                note_failure(core);
            }
        }
    }
}

/// Back off automatic retries after consecutive failures.
fn retry_allowed(core: &Core) -> bool {
    let Some(at) = core.aof.last_rewrite_failure else {
        return true;
    };
    let n = core.aof.rewrites_consecutive_failures.clamp(1, 16) as u32;
    let wait = RETRY_BASE.saturating_mul(1 << (n - 1)).min(RETRY_MAX);
    at.elapsed() >= wait
}

fn note_failure(core: &mut Core) {
    core.aof.last_bgrewrite_ok = false;
    core.aof.rewrites_consecutive_failures += 1;
    core.aof.last_rewrite_failure = Some(Instant::now());
}

/// The child exited with wait status `status`.
fn child_done(core: &mut Core, status: i32) {
    let Some(child) = core.aof.child.as_ref() else {
        return;
    };
    let pid = child.pid;
    core.aof.last_rewrite_time_s = child.started.elapsed().as_secs() as i64;
    if libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0 {
        info!("Background AOF rewrite terminated with success");
        match install(core, pid) {
            Ok(()) => {
                let aof = &mut core.aof;
                aof.child = None;
                aof.last_bgrewrite_ok = true;
                aof.rewrites += 1;
                aof.rewrites_consecutive_failures = 0;
                aof.last_rewrite_failure = None;
                aof.lastsave_unix_s = unix_ms() / 1000;
                core.keyspace.set_touch_enabled(true);
                info!("Background AOF rewrite finished successfully");
            }
            Err(e) => {
                warn!("Background AOF rewrite could not be installed: {e}");
                finish_failed(core, pid);
            }
        }
    } else {
        if libc::WIFSIGNALED(status) {
            warn!(
                "Background AOF rewrite terminated by signal {}",
                libc::WTERMSIG(status)
            );
        } else {
            warn!("Background AOF rewrite terminated with error");
        }
        finish_failed(core, pid);
    }
}

/// A failed rewrite: drop its output, keep the old AOF, report err.
fn finish_failed(core: &mut Core, pid: libc::pid_t) {
    let _ = fs::remove_file(temp_name(pid));
    let aof = &mut core.aof;
    aof.child = None;
    aof.rewrite_buf = None;
    if aof.state == AofState::WaitRewrite {
        // Without a successful rewrite there is no AOF: try again.
        aof.rewrite_scheduled = true;
    }
    note_failure(core);
    core.keyspace.set_touch_enabled(true);
}

/// Append the diff to the child's file and make it the AOF (Redis's
/// backgroundRewriteDoneHandler).
fn install(core: &mut Core, pid: libc::pid_t) -> io::Result<()> {
    let tmp = temp_name(pid);
    let mut f = OpenOptions::new()
        .append(true)
        .custom_flags(libc::O_CLOEXEC)
        .open(&tmp)
        .map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("Unable to open the temporary AOF produced by the child: {e}"),
            )
        })?;
    let diff = core.aof.rewrite_buf.take().unwrap_or_default();
    if !diff.is_empty() {
        f.write_all(&diff).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("Error trying to flush the parent diff to the rewritten AOF: {e}"),
            )
        })?;
        info!(
            "Residual parent diff successfully flushed to the rewritten AOF ({:.2} MB)",
            diff.len() as f64 / (1024.0 * 1024.0)
        );
    }
    drop(diff);
    f.sync_data()?;
    let size = f.metadata()?.len();
    let name = core.config.appendfilename.clone();
    // With no AOF open, hold the old file so the rename doesn't unlink its
    // blocks here: the bio thread closes it (Redis does the same).
    let hold_old = if core.aof.file.is_none() {
        File::open(&name).ok()
    } else {
        None
    };
    fs::rename(&tmp, &name).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("Error trying to rename the temporary AOF file {tmp} into {name}: {e}"),
        )
    })?;
    // The rename is what makes the new file the AOF: make it durable.
    if let Err(e) = File::open(".").and_then(|d| d.sync_all()) {
        warn!("Error fsyncing the AOF directory after rename: {e}");
    }
    let now_s = core.now_ms / 1000;
    let aof = &mut core.aof;
    match aof.state {
        AofState::Off => aof.close_in_background(f),
        AofState::On | AofState::WaitRewrite => {
            aof.set_file(f, size, now_s);
            // Whatever `buf` holds was written after the fork, so it is in
            // the diff just appended; what was before the fork is in the
            // snapshot.
            aof.buf.clear();
            if aof.state == AofState::WaitRewrite {
                aof.state = AofState::On;
                info!("Background AOF rewrite finished: the AOF is now enabled");
            }
        }
    }
    if let Some(old) = hold_old {
        aof.close_in_background(old);
    }
    Ok(())
}

/// Kill the running child and wait for it; its temp file is removed. The
/// rewrite status is left as it was (Redis's killAppendOnlyChild).
pub fn kill_child(core: &mut Core) {
    let Some(child) = core.aof.child.take() else {
        return;
    };
    // SAFETY: plain syscalls on our own child.
    unsafe {
        libc::kill(child.pid, libc::SIGKILL);
        let mut status = 0;
        while libc::waitpid(child.pid, &mut status, 0) == -1
            && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted
        {}
    }
    let _ = fs::remove_file(temp_name(child.pid));
    core.aof.rewrite_buf = None;
    core.keyspace.set_touch_enabled(true);
}

/// Shutdown: wait for the first rewrite of a just-enabled AOF (there is no
/// AOF without it); abandon a compaction (the old AOF is complete).
pub fn on_shutdown(core: &mut Core) {
    let Some(child) = core.aof.child.as_ref() else {
        return;
    };
    let pid = child.pid;
    if core.aof.state == AofState::WaitRewrite {
        warn!("Writing initial AOF: waiting for the rewrite child to finish before exiting.");
        let mut status = 0;
        // SAFETY: blocking wait on our own child.
        let r = loop {
            let r = unsafe { libc::waitpid(pid, &mut status, 0) };
            if r != -1 || io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
                break r;
            }
        };
        if r == pid {
            child_done(core, status);
        } else {
            finish_failed(core, pid);
        }
        if core.aof.state != AofState::On {
            warn!("The initial AOF could not be written: the dataset is not persisted.");
        }
    } else {
        warn!("There is a child rewriting the AOF. Killing it!");
        kill_child(core);
    }
}

// --- what the child writes ---------------------------------------------------

/// Where the snapshot goes: a raw descriptor (the child) or memory (tests).
pub(crate) struct SnapshotWriter {
    fd: Option<libc::c_int>,
    pub buf: Vec<u8>,
}

/// An errno from the child's I/O.
pub(crate) type Errno = i32;

fn last_errno() -> Errno {
    io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

impl SnapshotWriter {
    #[cfg(test)]
    pub(crate) fn memory() -> Self {
        SnapshotWriter {
            fd: None,
            buf: Vec::new(),
        }
    }

    fn to_fd(fd: libc::c_int) -> Self {
        SnapshotWriter {
            fd: Some(fd),
            buf: Vec::with_capacity(CHILD_BUF_BYTES),
        }
    }

    fn write_raw(fd: libc::c_int, mut data: &[u8]) -> Result<(), Errno> {
        while !data.is_empty() {
            // SAFETY: data is a valid slice; fd is the child's temp file.
            let n = unsafe { libc::write(fd, data.as_ptr().cast(), data.len()) };
            if n < 0 {
                let e = last_errno();
                if e == libc::EINTR {
                    continue;
                }
                return Err(e);
            }
            if n == 0 {
                return Err(libc::EIO);
            }
            data = data.get(n as usize..).unwrap_or_default();
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), Errno> {
        if let Some(fd) = self.fd {
            Self::write_raw(fd, &self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    #[inline]
    fn maybe_flush(&mut self) -> Result<(), Errno> {
        if self.fd.is_some() && self.buf.len() >= CHILD_BUF_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    #[inline]
    fn header(&mut self, prefix: u8, n: usize) {
        put_header(&mut self.buf, prefix, n);
    }

    #[inline]
    fn bulk(&mut self, b: &[u8]) -> Result<(), Errno> {
        match self.fd {
            Some(fd) if b.len() >= DIRECT_WRITE_BYTES => {
                self.header(b'$', b.len());
                self.flush()?;
                Self::write_raw(fd, b)?;
                self.buf.extend_from_slice(b"\r\n");
            }
            _ => {
                put_bulk(&mut self.buf, b);
                self.maybe_flush()?;
            }
        }
        Ok(())
    }

    fn str_bulk(&mut self, v: &StrValue) -> Result<(), Errno> {
        let mut tmp = [0u8; crate::util::MAX_I64_DIGITS];
        self.bulk(v.as_bytes(&mut tmp))
    }

    fn i64_bulk(&mut self, v: u64) -> Result<(), Errno> {
        let mut tmp = [0u8; 20];
        let digits = crate::resp::writer::fmt_i64(v.min(i64::MAX as u64) as i64, &mut tmp);
        put_bulk(&mut self.buf, digits);
        Ok(())
    }
}

/// Write the commands rebuilding `ks` as of `now_ms` (keys stale at that
/// time are skipped). Returns the number of keys written.
pub(crate) fn write_snapshot(
    w: &mut SnapshotWriter,
    ks: &Keyspace,
    now_ms: u64,
    key_delay_us: u64,
) -> Result<u64, Errno> {
    let mut keys = 0u64;
    let mut batch: Vec<(&[u8], &StrValue)> = Vec::with_capacity(REWRITE_ITEMS_PER_CMD);
    for (dbi, db) in ks.dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        let mut tmp = [0u8; 20];
        let digits = crate::resp::writer::fmt_i64(dbi as i64, &mut tmp);
        w.header(b'*', 2);
        w.bulk(b"SELECT")?;
        w.bulk(digits)?;
        for (key, entry, expire_at) in db.iter() {
            if expire_at.is_some_and(|at| now_ms > at) {
                continue;
            }
            keys += 1;
            if key_delay_us > 0 {
                // SAFETY: plain sleep.
                unsafe { libc::usleep(key_delay_us.min(1_000_000) as libc::c_uint) };
            }
            let key = key.as_bytes();
            match (&entry.value, expire_at) {
                (Value::Str(s), None) => {
                    batch.push((key, s));
                    if batch.len() == REWRITE_ITEMS_PER_CMD {
                        write_mset(w, &mut batch)?;
                    }
                }
                (Value::Str(s), Some(at)) => {
                    w.header(b'*', 5);
                    w.bulk(b"SET")?;
                    w.bulk(key)?;
                    w.str_bulk(s)?;
                    w.bulk(b"PXAT")?;
                    w.i64_bulk(at)?;
                }
                (Value::Hash(h), at) => {
                    let mut left = h.len();
                    let mut fields = h.iter();
                    while left > 0 {
                        let n = left.min(REWRITE_ITEMS_PER_CMD);
                        w.header(b'*', 2 + 2 * n);
                        w.bulk(b"HSET")?;
                        w.bulk(key)?;
                        for _ in 0..n {
                            // `len()` pairs exist: the header's count is exact.
                            let Some((f, v)) = fields.next_pair() else {
                                break;
                            };
                            w.bulk(f)?;
                            w.bulk(v)?;
                        }
                        left -= n;
                    }
                    if let Some(at) = at {
                        w.header(b'*', 3);
                        w.bulk(b"PEXPIREAT")?;
                        w.bulk(key)?;
                        w.i64_bulk(at)?;
                    }
                }
            }
        }
        write_mset(w, &mut batch)?;
    }
    w.flush()?;
    Ok(keys)
}

fn write_mset(w: &mut SnapshotWriter, batch: &mut Vec<(&[u8], &StrValue)>) -> Result<(), Errno> {
    if batch.is_empty() {
        return Ok(());
    }
    w.header(b'*', 1 + 2 * batch.len());
    w.bulk(b"MSET")?;
    for (k, v) in batch.iter() {
        w.bulk(k)?;
        w.str_bulk(v)?;
    }
    batch.clear();
    Ok(())
}

mod child {
    //! Runs in the forked child only. See the fork-safety rules in the
    //! parent module's docs.

    use super::{Errno, SnapshotWriter, last_errno, write_snapshot};
    use crate::keyspace::Keyspace;

    /// Write the snapshot and `_exit`: 0 on success, 1 on an I/O error,
    /// 2 on a panic. Never returns.
    pub(super) fn run(ks: &Keyspace, now_ms: u64, key_delay_us: u64, parent: libc::pid_t) -> ! {
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            snapshot(ks, now_ms, key_delay_us, parent)
        }));
        let code = match r {
            Ok(Ok(())) => 0,
            Ok(Err(_)) => 1,
            Err(_) => 2,
        };
        // SAFETY: terminates this process without running any of the
        // parent's destructors or atexit handlers.
        unsafe { libc::_exit(code) }
    }

    fn snapshot(
        ks: &Keyspace,
        now_ms: u64,
        key_delay_us: u64,
        parent: libc::pid_t,
    ) -> Result<(), Errno> {
        // SAFETY: plain syscalls on this process's own state.
        unsafe {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            if libc::getppid() != parent {
                // The parent died before prctl took effect.
                return Err(libc::ESRCH);
            }
            // signal-hook's handlers write to the parent's wake-up socket.
            libc::signal(libc::SIGTERM, libc::SIG_DFL);
            libc::signal(libc::SIGINT, libc::SIG_DFL);
            close_fds_above_stderr();
        }
        let mut name = [0u8; 64];
        // SAFETY: getpid has no preconditions.
        let pid = unsafe { libc::getpid() };
        temp_name_c(pid, &mut name);
        // SAFETY: `name` is NUL-terminated.
        let fd = unsafe {
            libc::open(
                name.as_ptr().cast(),
                libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC | libc::O_CLOEXEC,
                0o644 as libc::c_uint,
            )
        };
        if fd < 0 {
            return Err(last_errno());
        }
        let mut w = SnapshotWriter::to_fd(fd);
        write_snapshot(&mut w, ks, now_ms, key_delay_us)?;
        // SAFETY: fd is ours.
        unsafe {
            if libc::fsync(fd) == -1 {
                return Err(last_errno());
            }
            if libc::close(fd) == -1 {
                return Err(last_errno());
            }
        }
        Ok(())
    }

    /// Close every descriptor from 3 up: listeners, clients, the poller, the
    /// AOF. Descriptions shared with the parent stay open there.
    unsafe fn close_fds_above_stderr() {
        // SAFETY: closing descriptors this process will not use again.
        unsafe {
            if libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, 0u32) == 0 {
                return;
            }
            // Kernel before 5.9: close one by one.
            let max = libc::sysconf(libc::_SC_OPEN_MAX).clamp(3, 1 << 16) as libc::c_int;
            for fd in 3..max {
                libc::close(fd);
            }
        }
    }

    /// "temp-rewriteaof-bg-<pid>.aof\0" into `out`, without allocating.
    fn temp_name_c(pid: libc::pid_t, out: &mut [u8; 64]) {
        let mut tmp = [0u8; 20];
        let digits = crate::resp::writer::fmt_i64(i64::from(pid), &mut tmp);
        let parts: [&[u8]; 4] = [b"temp-rewriteaof-bg-", digits, b".aof", b"\0"];
        let mut i = 0;
        for p in parts {
            for &b in p {
                if let Some(slot) = out.get_mut(i) {
                    *slot = b;
                }
                i += 1;
            }
        }
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn temp_name_matches_the_parent() {
            let mut out = [0u8; 64];
            super::temp_name_c(4242, &mut out);
            let end = out.iter().position(|&b| b == 0).unwrap();
            assert_eq!(&out[..end], super::super::temp_name(4242).as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyspace::{HashLimits, SetExpire};
    use crate::persistence::load::AofReader;

    fn commands(bytes: &[u8]) -> Vec<Vec<Vec<u8>>> {
        let mut r = AofReader::new(bytes, 1 << 20);
        let mut out = Vec::new();
        while r.next_command().unwrap() {
            out.push(r.args().iter().map(<[u8]>::to_vec).collect());
        }
        out
    }

    fn s(parts: &[&str]) -> Vec<Vec<u8>> {
        parts.iter().map(|p| p.as_bytes().to_vec()).collect()
    }

    #[test]
    fn snapshot_batches_and_skips_stale_keys() {
        let now = 1_000_000;
        let mut ks = Keyspace::with_seed(4, 1);
        let db0 = &mut ks.dbs[0];
        for i in 0..70 {
            db0.set(
                format!("k{i}").as_bytes(),
                Value::string(i.to_string().as_bytes()),
                SetExpire::Clear,
                now,
            );
        }
        db0.set(b"ttl", Value::string(b"v"), SetExpire::At(now + 5000), now);
        db0.set(
            b"stale",
            Value::string(b"v"),
            SetExpire::At(now - 1),
            now - 10,
        );
        let mut h = Value::empty_hash();
        if let Value::Hash(hv) = &mut h {
            for i in 0..100 {
                hv.insert(format!("f{i}").as_bytes(), b"x", HashLimits::default());
            }
        }
        ks.dbs[2].set(b"h", h, SetExpire::At(now + 9000), now);
        let mut w = SnapshotWriter::memory();
        let n = write_snapshot(&mut w, &ks, now, 0).unwrap();
        assert_eq!(n, 72);
        let cmds = commands(&w.buf);
        assert_eq!(cmds[0], s(&["SELECT", "0"]));
        let set_ttl = cmds.iter().find(|c| c[0] == b"SET").unwrap();
        assert_eq!(set_ttl, &s(&["SET", "ttl", "v", "PXAT", "1005000"]));
        let msets: Vec<_> = cmds.iter().filter(|c| c[0] == b"MSET").collect();
        assert_eq!(msets.len(), 2);
        assert_eq!(msets[0].len(), 1 + 2 * 64);
        assert_eq!(msets[1].len(), 1 + 2 * 6);
        assert!(!cmds.iter().flatten().any(|a| a == b"stale"));
        let sel2 = cmds.iter().position(|c| c == &s(&["SELECT", "2"])).unwrap();
        assert_eq!(cmds[sel2 + 1].len(), 2 + 2 * 64);
        assert_eq!(cmds[sel2 + 2].len(), 2 + 2 * 36);
        assert_eq!(cmds[sel2 + 3], s(&["PEXPIREAT", "h", "1009000"]));
        assert_eq!(cmds.len(), sel2 + 4);
    }
}
