//! The append side of the AOF: what `Core` owns, how writes are fed, written
//! and fsynced. Follows redis src/aof.c (`feedAppendOnlyFile`,
//! `flushAppendOnlyFile`, `startAppendOnly`, `stopAppendOnly`) and bio.c for
//! the background fsync.
//!
//! **Feeding.** `Core::propagate*` (server/hooks.rs) encode each write in
//! RESP into `buf`, preceded by `SELECT` when the database differs from the
//! last one logged. While a rewrite child runs, the same bytes also go to the
//! rewrite buffer, which the parent appends to the child's file at the end.
//!
//! **Writing.** `flush` runs in `before_sleep`, before client replies are
//! written, so nothing is acknowledged before it is in the file (and on disk,
//! with `appendfsync always`: `fdatasync` in the loop thread). With
//! `everysec` the fsync runs at most once a second on the `bio_aof` thread;
//! while one is still running, writes are postponed up to 2 s (Linux
//! serialises `write` behind `fdatasync` on the same file, so writing would
//! block the loop), then written anyway (`aof_delayed_fsync`).
//!
//! **The bio thread and fork.** The thread only receives jobs (fsync an fd,
//! close a file) over a channel and reports errors through atomics; it never
//! logs or allocates on behalf of the loop. The rewrite child (see
//! `rewrite.rs`) never touches it. The thread is started on first use, so a
//! server without `appendfsync everysec` has none. Old AOF descriptors are
//! closed on that thread too: closing the last link of a large replaced file
//! frees its blocks, which can take long.
//!
//! **States** (Redis's `aof_state`): `Off`; `On` (logging to `file`);
//! `WaitRewrite` (appendonly was just turned on: the first rewrite is running
//! and only the rewrite buffer is fed; the rewritten file becomes the AOF).

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::fs::OpenOptionsExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Instant;

use tracing::{info, warn};

use super::{put_command, put_select};
use crate::config::AppendFsync;
use crate::server::Core;

/// Keep the AOF buffer's allocation between turns up to this size.
const BUF_KEEP_CAPACITY: usize = 1 << 20;
/// Postpone writes at most this long while a background fsync runs.
const MAX_POSTPONE_S: u64 = 2;
/// Rate limit for repeated write-error logs (Redis's AOF_WRITE_LOG_ERROR_RATE).
const WRITE_ERROR_LOG_EVERY_S: u64 = 30;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AofState {
    Off,
    On,
    WaitRewrite,
}

/// INFO persistence `loading_*` while the AOF is replayed at start.
#[derive(Debug, Clone, Default)]
pub struct LoadingInfo {
    pub start_unix_s: u64,
    pub total_bytes: u64,
    pub loaded_bytes: u64,
}

/// The running rewrite child.
#[derive(Debug)]
pub(crate) struct RewriteChild {
    pub pid: libc::pid_t,
    pub started: Instant,
}

pub struct Aof {
    pub state: AofState,
    /// The open AOF (O_APPEND) while `On`.
    pub(crate) file: Option<File>,
    /// Writes of this turn, not yet written (Redis's `aof_buf`).
    pub buf: Vec<u8>,
    /// Database of the last SELECT logged; None forces the next write to
    /// log one (set at start and at fork, so the rewrite diff starts with it).
    pub(crate) selected_db: Option<usize>,
    pub current_size: u64,
    /// Size after the last rewrite (or at load): auto-rewrite grows from it.
    pub base_size: u64,
    /// `current_size` when the last fsync was issued.
    pub(crate) fsync_offset: u64,
    /// Unix second of the last fsync issued (everysec: at most one per second).
    pub(crate) last_fsync_s: u64,
    /// Unix second when a write was first postponed behind a running fsync.
    pub(crate) flush_postponed_start_s: u64,
    pub delayed_fsync: u64,
    write_ok: bool,
    /// The error of the last failed write, for MISCONF.
    last_write_error: Option<String>,
    last_write_error_log_s: u64,
    bio: Option<Bio>,
    // --- rewrite (see rewrite.rs) ---
    pub(crate) child: Option<RewriteChild>,
    /// Writes made while the child runs (Redis ≤6's `aof_rewrite_buf`);
    /// Some only while a child runs and the AOF is not Off.
    pub(crate) rewrite_buf: Option<Vec<u8>>,
    pub rewrite_scheduled: bool,
    pub last_rewrite_time_s: i64,
    pub last_bgrewrite_ok: bool,
    pub rewrites: u64,
    pub rewrites_consecutive_failures: u64,
    pub(crate) last_rewrite_failure: Option<Instant>,
    /// LASTSAVE: start time, then the end of each successful rewrite.
    pub lastsave_unix_s: u64,
    /// Test hook: the child sleeps this long per key (like Redis's
    /// `rdb-key-save-delay`), from env `INMEMDB_REWRITE_KEY_DELAY_US`.
    pub(crate) child_key_delay_us: u64,
    // --- MULTI/EXEC wrapping ---
    multi_pending: bool,
    multi_emitted: bool,
    pub loading: Option<LoadingInfo>,
}

impl Default for Aof {
    fn default() -> Self {
        Self::new()
    }
}

impl Aof {
    pub fn new() -> Self {
        Aof {
            state: AofState::Off,
            file: None,
            buf: Vec::new(),
            selected_db: None,
            current_size: 0,
            base_size: 0,
            fsync_offset: 0,
            last_fsync_s: 0,
            flush_postponed_start_s: 0,
            delayed_fsync: 0,
            write_ok: true,
            last_write_error: None,
            last_write_error_log_s: 0,
            bio: None,
            child: None,
            rewrite_buf: None,
            rewrite_scheduled: false,
            last_rewrite_time_s: -1,
            last_bgrewrite_ok: true,
            rewrites: 0,
            rewrites_consecutive_failures: 0,
            last_rewrite_failure: None,
            lastsave_unix_s: crate::server::unix_ms() / 1000,
            child_key_delay_us: std::env::var("INMEMDB_REWRITE_KEY_DELAY_US")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(0),
            multi_pending: false,
            multi_emitted: false,
            loading: None,
        }
    }

    /// Whether writes must be fed at all (Redis calls feedAppendOnlyFile
    /// only when `aof_state != AOF_OFF`).
    #[inline]
    pub fn feeding(&self) -> bool {
        self.state != AofState::Off
    }

    /// Log one write of database `db`.
    #[inline]
    pub fn feed<'a>(&mut self, db: usize, argc: usize, argv: impl Iterator<Item = &'a [u8]>) {
        let to_aof = self.state == AofState::On;
        let out = if to_aof {
            &mut self.buf
        } else if let Some(rb) = self.rewrite_buf.as_mut() {
            rb
        } else {
            return;
        };
        let start = out.len();
        if self.selected_db != Some(db) {
            put_select(out, db);
            self.selected_db = Some(db);
        }
        if self.multi_pending && !self.multi_emitted {
            put_command(out, 1, [&b"MULTI"[..]].into_iter());
            self.multi_emitted = true;
        }
        put_command(out, argc, argv);
        if to_aof && let Some(rb) = self.rewrite_buf.as_mut() {
            rb.extend_from_slice(&self.buf[start..]);
        }
    }

    /// EXEC is starting: the writes it propagates until `multi_end` are
    /// wrapped in MULTI/EXEC (emitted lazily, only if something is logged),
    /// so a crash can never leave half a transaction to replay.
    pub fn multi_begin(&mut self) {
        self.multi_pending = true;
        self.multi_emitted = false;
    }

    pub fn multi_end(&mut self) {
        if self.multi_emitted {
            let exec = [&b"EXEC"[..]];
            if self.state == AofState::On {
                put_command(&mut self.buf, 1, exec.into_iter());
            }
            if let Some(rb) = self.rewrite_buf.as_mut() {
                put_command(rb, 1, exec.into_iter());
            }
        }
        self.multi_pending = false;
        self.multi_emitted = false;
    }

    /// True between `multi_begin` and `multi_end` (Redis's `server.in_exec`).
    pub fn in_exec(&self) -> bool {
        self.multi_pending
    }

    pub fn rewrite_in_progress(&self) -> bool {
        self.child.is_some()
    }

    pub fn current_rewrite_time_s(&self) -> i64 {
        self.child
            .as_ref()
            .map_or(-1, |c| c.started.elapsed().as_secs() as i64)
    }

    pub fn rewrite_buf_len(&self) -> usize {
        self.rewrite_buf.as_ref().map_or(0, Vec::len)
    }

    /// INFO `aof_last_write_status`: the last write and the last background
    /// fsync both succeeded.
    pub fn last_write_ok(&self) -> bool {
        self.write_ok && self.bio.as_ref().is_none_or(|b| b.fsync_errno() == 0)
    }

    /// While writing the AOF fails, Redis refuses write commands with this
    /// error (`writeCommandsDeniedByDiskError`), so nothing more is
    /// acknowledged that the log can't hold. For dispatch to check before
    /// WRITE commands (with `appendfsync always` a failed write exits instead).
    pub fn write_denied_error(&self) -> Option<String> {
        if self.state != AofState::On {
            return None;
        }
        if !self.write_ok {
            let e = self.last_write_error.as_deref().unwrap_or("unknown error");
            return Some(format!("MISCONF Errors writing to the AOF file: {e}"));
        }
        let errno = self.bio.as_ref().map_or(0, Bio::fsync_errno);
        (errno != 0).then(|| {
            format!(
                "MISCONF Errors writing to the AOF file: {}",
                io::Error::from_raw_os_error(errno)
            )
        })
    }

    pub fn pending_bio_jobs(&self) -> usize {
        self.bio.as_ref().map_or(0, Bio::pending)
    }

    fn bio_busy(&self) -> bool {
        self.pending_bio_jobs() > 0
    }

    fn bio(&mut self) -> Option<&Bio> {
        if self.bio.is_none() {
            match Bio::start() {
                Ok(b) => self.bio = Some(b),
                Err(e) => warn!("Can't start the background fsync thread: {e}"),
            }
        }
        self.bio.as_ref()
    }

    /// Close `f` off the loop thread (falls back to closing here).
    pub(crate) fn close_in_background(&mut self, f: File) {
        match self.bio() {
            Some(b) => b.submit(Job::Close(f)),
            None => drop(f),
        }
    }

    /// fsync the AOF now, in this thread (shutdown, policy change).
    pub fn fsync_now(&mut self) {
        if let Some(f) = &self.file {
            if let Err(e) = f.sync_data() {
                warn!("Error fsyncing the AOF: {e}");
            } else {
                self.fsync_offset = self.current_size;
            }
        }
    }

    /// Install an open AOF after loading or a rewrite.
    pub(crate) fn set_file(&mut self, f: File, size: u64, now_s: u64) {
        if let Some(old) = self.file.take() {
            self.close_in_background(old);
        }
        self.file = Some(f);
        self.current_size = size;
        self.base_size = size;
        self.fsync_offset = size;
        self.last_fsync_s = now_s;
    }
}

/// Open (creating if missing) the AOF for appending.
pub(crate) fn open_append(name: &str) -> io::Result<File> {
    OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o644)
        .custom_flags(libc::O_CLOEXEC)
        .open(name)
}

/// Write the AOF buffer and fsync per `appendfsync` (Redis's
/// flushAppendOnlyFile). `force` writes even while a background fsync runs
/// (shutdown, policy change).
pub fn flush(core: &mut Core, force: bool) {
    let policy = core.config.appendfsync;
    let now_s = core.now_ms / 1000;
    let aof = &mut core.aof;
    if aof.state != AofState::On {
        return;
    }
    let Some(fd) = aof.file.as_ref().map(AsRawFd::as_raw_fd) else {
        return;
    };
    let mut sync_in_progress = false;
    if aof.buf.is_empty() {
        // Nothing new, but with everysec data written since the last fsync
        // must still reach the disk within about a second.
        if !(policy == AppendFsync::Everysec
            && aof.fsync_offset != aof.current_size
            && now_s > aof.last_fsync_s
            && !aof.bio_busy())
        {
            return;
        }
    } else {
        if policy == AppendFsync::Everysec {
            sync_in_progress = aof.bio_busy();
        }
        if policy == AppendFsync::Everysec && !force && sync_in_progress {
            if aof.flush_postponed_start_s == 0 {
                aof.flush_postponed_start_s = now_s;
                return;
            }
            if now_s.saturating_sub(aof.flush_postponed_start_s) < MAX_POSTPONE_S {
                return;
            }
            aof.delayed_fsync += 1;
            info!(
                "Asynchronous AOF fsync is taking too long (disk is busy?). Writing the AOF buffer without waiting for fsync to complete, this may slow down Redis."
            );
        }
        let Some(file) = aof.file.as_ref() else {
            return;
        };
        let (written, err) = write_all(file, &aof.buf);
        aof.flush_postponed_start_s = 0;
        if let Some(e) = err {
            write_failed(aof, policy, now_s, written, &e);
            return;
        }
        if !aof.write_ok {
            warn!("AOF write error looks solved, Redis can write again.");
            aof.write_ok = true;
            aof.last_write_error = None;
        }
        aof.current_size += written as u64;
        if aof.buf.capacity() > BUF_KEEP_CAPACITY {
            aof.buf = Vec::new();
        } else {
            aof.buf.clear();
        }
    }
    match policy {
        AppendFsync::Always => {
            // SAFETY: fd is the open AOF, owned by `aof.file` for this call.
            if unsafe { libc::fdatasync(fd) } == -1 {
                let e = io::Error::last_os_error();
                tracing::error!(
                    "Can't persist AOF for fsync error when the AOF fsync policy is 'always': {e}. Exiting..."
                );
                std::process::exit(1);
            }
            aof.fsync_offset = aof.current_size;
            aof.last_fsync_s = now_s;
        }
        AppendFsync::Everysec if now_s > aof.last_fsync_s => {
            if !sync_in_progress {
                let size = aof.current_size;
                match aof.bio() {
                    Some(b) => b.submit(Job::Fsync(fd)),
                    None => {
                        // SAFETY: as above.
                        unsafe { libc::fdatasync(fd) };
                    }
                }
                aof.fsync_offset = size;
            }
            aof.last_fsync_s = now_s;
        }
        _ => {}
    }
}

/// A write to the AOF failed after `written` bytes.
fn write_failed(aof: &mut Aof, policy: AppendFsync, now_s: u64, written: usize, e: &io::Error) {
    let can_log = now_s.saturating_sub(aof.last_write_error_log_s) > WRITE_ERROR_LOG_EVERY_S;
    if can_log {
        aof.last_write_error_log_s = now_s;
    }
    let mut kept = written;
    if written > 0 {
        if can_log {
            warn!(
                "Short write while writing to the AOF file: (nwritten={written}, expected={}): {e}",
                aof.buf.len()
            );
        }
        // Cut the half-written command off, so the file stays loadable.
        let trimmed = aof
            .file
            .as_ref()
            .is_some_and(|f| f.set_len(aof.current_size).is_ok());
        if trimmed {
            kept = 0;
        } else if can_log {
            warn!(
                "Could not remove short write from the append-only file. Redis may refuse to load the AOF the next time it starts."
            );
        }
    } else if can_log {
        warn!("Error writing to the AOF file: {e}");
    }
    if policy == AppendFsync::Always {
        tracing::error!(
            "Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting..."
        );
        std::process::exit(1);
    }
    aof.write_ok = false;
    aof.last_write_error = Some(e.to_string());
    if kept > 0 {
        aof.current_size += kept as u64;
        aof.buf.drain(..kept);
    }
}

/// `write` until done; returns bytes written and the error that stopped it.
fn write_all(file: &File, mut data: &[u8]) -> (usize, Option<io::Error>) {
    let mut total = 0;
    let mut f = file;
    while !data.is_empty() {
        match f.write(data) {
            Ok(0) => return (total, Some(io::ErrorKind::WriteZero.into())),
            Ok(n) => {
                total += n;
                data = data.get(n..).unwrap_or_default();
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return (total, Some(e)),
        }
    }
    (total, None)
}

/// CONFIG SET appendonly yes (Redis's startAppendOnly): the AOF exists only
/// once a rewrite has written the whole dataset, so start one and log its
/// diff; `WaitRewrite` until it completes.
pub fn start_append_only(core: &mut Core) -> Result<(), String> {
    if core.aof.state != AofState::Off {
        return Ok(());
    }
    // A rewrite started with the AOF off collects no diff: restart it.
    if core.aof.child.is_some() {
        info!(
            "AOF was enabled but there is already an AOF rewriting in background. Stopping background AOF and starting a rewrite now."
        );
        super::rewrite::kill_child(core);
    }
    core.aof.state = AofState::WaitRewrite;
    core.aof.selected_db = None;
    match super::rewrite::start(core) {
        Ok(()) => Ok(()),
        Err(e) => {
            // Retried from cron, like any scheduled rewrite.
            core.aof.rewrite_scheduled = true;
            Err(e.to_string())
        }
    }
}

/// CONFIG SET appendonly no (Redis's stopAppendOnly): flush, fsync, close;
/// a running rewrite is killed.
pub fn stop_append_only(core: &mut Core) {
    if core.aof.state == AofState::Off {
        return;
    }
    if core.aof.state == AofState::On {
        flush(core, true);
        core.aof.fsync_now();
    }
    if let Some(f) = core.aof.file.take() {
        core.aof.close_in_background(f);
    }
    if core.aof.child.is_some() {
        info!("Killing running AOF rewrite child");
        super::rewrite::kill_child(core);
    }
    let aof = &mut core.aof;
    aof.state = AofState::Off;
    aof.rewrite_scheduled = false;
    aof.selected_db = None;
    aof.buf = Vec::new();
    aof.rewrite_buf = None;
    info!("AOF disabled");
}

// --- background fsync/close thread (Redis bio.c, BIO_AOF_FSYNC / BIO_CLOSE_FILE) ---

pub(crate) enum Job {
    Fsync(RawFd),
    Close(File),
}

struct BioShared {
    pending: AtomicUsize,
    /// errno of the last failed background fsync, 0 after a success.
    fsync_errno: AtomicI32,
}

struct Bio {
    tx: mpsc::Sender<Job>,
    shared: Arc<BioShared>,
}

impl Bio {
    fn start() -> io::Result<Bio> {
        let (tx, rx) = mpsc::channel::<Job>();
        let shared = Arc::new(BioShared {
            pending: AtomicUsize::new(0),
            fsync_errno: AtomicI32::new(0),
        });
        let sh = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("bio_aof".into())
            .spawn(move || {
                // Jobs run in order, so a Close never overtakes an Fsync of
                // the same descriptor.
                while let Ok(job) = rx.recv() {
                    match job {
                        Job::Fsync(fd) => {
                            // SAFETY: the loop closes AOF descriptors only
                            // through this queue, after this job.
                            let rc = unsafe { libc::fdatasync(fd) };
                            let errno = if rc == -1 {
                                io::Error::last_os_error()
                                    .raw_os_error()
                                    .unwrap_or(libc::EIO)
                            } else {
                                0
                            };
                            sh.fsync_errno.store(errno, Ordering::Relaxed);
                        }
                        Job::Close(f) => drop(f),
                    }
                    sh.pending.fetch_sub(1, Ordering::AcqRel);
                }
            })?;
        Ok(Bio { tx, shared })
    }

    fn submit(&self, job: Job) {
        self.shared.pending.fetch_add(1, Ordering::AcqRel);
        if let Err(mpsc::SendError(job)) = self.tx.send(job) {
            // Thread gone (cannot happen while we hold the sender): do it here.
            self.shared.pending.fetch_sub(1, Ordering::AcqRel);
            if let Job::Fsync(fd) = job {
                // SAFETY: see the thread body.
                unsafe { libc::fdatasync(fd) };
            }
        }
    }

    fn pending(&self) -> usize {
        self.shared.pending.load(Ordering::Acquire)
    }

    fn fsync_errno(&self) -> i32 {
        self.shared.fsync_errno.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_selects_db_and_copies_to_rewrite_buffer() {
        let mut a = Aof::new();
        a.feed(0, 2, [&b"DEL"[..], b"k"].into_iter());
        assert!(a.buf.is_empty(), "Off: nothing is fed");
        a.state = AofState::On;
        a.feed(0, 2, [&b"DEL"[..], b"k"].into_iter());
        a.feed(0, 2, [&b"DEL"[..], b"j"].into_iter());
        assert_eq!(
            a.buf,
            b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n*2\r\n$3\r\nDEL\r\n$1\r\nj\r\n"
        );
        a.buf.clear();
        a.rewrite_buf = Some(Vec::new());
        a.selected_db = None;
        a.feed(3, 2, [&b"DEL"[..], b"k"].into_iter());
        let expect = b"*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n";
        assert_eq!(a.buf, expect);
        assert_eq!(a.rewrite_buf.as_deref(), Some(&expect[..]));
        // WaitRewrite: only the rewrite buffer.
        a.state = AofState::WaitRewrite;
        a.buf.clear();
        a.feed(3, 2, [&b"DEL"[..], b"x"].into_iter());
        assert!(a.buf.is_empty());
        assert_eq!(a.rewrite_buf_len(), expect.len() + 20);
    }

    #[test]
    fn multi_wrapping_is_lazy() {
        let mut a = Aof::new();
        a.state = AofState::On;
        a.selected_db = Some(0);
        a.multi_begin();
        assert!(a.in_exec());
        a.multi_end();
        assert!(a.buf.is_empty(), "no writes, no MULTI/EXEC");
        a.multi_begin();
        a.feed(0, 2, [&b"DEL"[..], b"k"].into_iter());
        a.feed(0, 2, [&b"DEL"[..], b"j"].into_iter());
        a.multi_end();
        assert_eq!(
            a.buf,
            b"*1\r\n$5\r\nMULTI\r\n*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n*2\r\n$3\r\nDEL\r\n$1\r\nj\r\n*1\r\n$4\r\nEXEC\r\n"
        );
        assert!(!a.in_exec());
    }
}
