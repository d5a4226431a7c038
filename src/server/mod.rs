//! The server: listeners, clients and all state, driven by one thread.
//!
//! ```text
//!            +------------------- one thread --------------------+
//!  sockets → | poll ─→ accept / read ─→ parse ─→ dispatch ─┐      |
//!            |   ↑                                         ↓      |
//!            |   └── before_sleep: AOF write/fsync, then client   |
//!            |       writes; cron every 1000/hz ms: expire,       |
//!            |       timeouts, child reaping, stats               |
//!            +----------------------------------------------------+
//! ```
//!
//! `Server` owns the poller and listeners (the only mio users); `Core` owns
//! every piece of state commands may touch. Command handlers see `Core` and
//! the current client; nothing is shared across threads and nothing is
//! locked: atomicity comes from running one command at a time.

pub mod client;
pub mod clients;
pub mod cron;
pub mod event_loop;
pub mod hooks;
pub mod listen;

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Instant;

use mio::{Events, Poll, Token};

use crate::commands::Registry;
use crate::config::Config;
use crate::keyspace::Keyspace;
use crate::stats::Stats;
pub use clients::Clients;
use listen::Listener;

/// How SHUTDOWN (or a signal) asked us to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shutdown {
    Default,
    NoSave,
    Save,
}

/// All state command handlers can reach.
pub struct Core {
    pub config: Config,
    pub config_file: Option<PathBuf>,
    pub registry: Registry,
    pub clients: Clients,
    pub keyspace: Keyspace,
    pub stats: Stats,
    /// Unix time in ms, read once per loop turn (Redis's `server.mstime`).
    pub now_ms: u64,
    pub started: Instant,
    pub started_unix_ms: u64,
    pub run_id: String,
    /// Changes since start (Redis's `server.dirty`): bumped by every write.
    pub dirty: u64,
    pub shutdown: Option<Shutdown>,
    /// Addresses actually listened on (port 0 in config means none).
    pub tcp_addrs: Vec<SocketAddr>,
    pub executable: String,
    pub next_client_id: u64,
    /// Set by `Ctx::propagate_as` during a command: skip default propagation.
    pub custom_propagation: bool,
    /// Replaying the AOF: commands without the LOADING flag get -LOADING.
    pub loading: bool,
    /// Channel and pattern subscriptions.
    pub pubsub: crate::pubsub::PubSub,
    /// Pub/Sub messages for the running client (see `pubsub::Deferred`).
    pub deferred_pushes: crate::pubsub::Deferred,
    /// WATCHed keys (transactions).
    pub watches: crate::commands::transaction::Watches,
    /// `notify-keyspace-events` parsed into `hooks::notify` bits.
    pub notify_flags: u32,
    /// Reused buffer for keyspace-event channel names.
    pub notify_scratch: Vec<u8>,
    /// Append-only file state (persistence/aof.rs).
    pub aof: crate::persistence::Aof,
    /// Active expiry runs (DEBUG SET-ACTIVE-EXPIRE 0 turns it off; lazy expiry always runs).
    pub active_expire_enabled: bool,
    /// maxmemory/maxkeys eviction in progress (see `crate::evict`).
    pub eviction: crate::evict::EvictionState,
}

pub fn unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

fn new_run_id() -> String {
    use rand::RngExt;
    let mut rng = rand::rng();
    (0..40)
        .map(|_| {
            let d: u8 = rng.random_range(0..16);
            char::from_digit(d as u32, 16).unwrap_or('0')
        })
        .collect()
}

/// Errors that stop the server from starting.
#[derive(Debug)]
pub enum StartupError {
    Bind {
        addr: String,
        err: io::Error,
    },
    Io(String, io::Error),
    /// A configuration the server cannot apply (e.g. a bad rename-command).
    Config(String),
}

impl std::fmt::Display for StartupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartupError::Bind { addr, err } => write!(
                f,
                "Could not create server TCP listening socket {addr}: {err}"
            ),
            StartupError::Io(what, err) => write!(f, "{what}: {err}"),
            StartupError::Config(msg) => f.write_str(msg),
        }
    }
}

impl std::error::Error for StartupError {}

pub struct Server {
    poll: Poll,
    events: Events,
    listeners: Vec<Listener>,
    signals: Option<signal_hook_mio::v1_0::Signals>,
    /// Clients to read again next turn (budget used up, or output drained).
    pending_reads: Vec<Token>,
    pub core: Core,
}

impl Server {
    /// Create listeners and state. Nothing is served until `run`.
    pub fn bind(config: Config, config_file: Option<PathBuf>) -> Result<Server, StartupError> {
        let poll = Poll::new().map_err(|e| StartupError::Io("creating poller".into(), e))?;
        let listeners = listen::open_listeners(&config, poll.registry())?;
        let tcp_addrs = listeners.iter().filter_map(|l| l.tcp_addr()).collect();
        let registry = Registry::new(&config).map_err(StartupError::Config)?;
        let mut core = Core {
            registry,
            clients: Clients::default(),
            keyspace: Keyspace::new(config.databases as usize),
            stats: Stats::default(),
            now_ms: unix_ms(),
            started: Instant::now(),
            started_unix_ms: unix_ms(),
            run_id: new_run_id(),
            dirty: 0,
            shutdown: None,
            tcp_addrs,
            config_file,
            config,
            executable: std::env::current_exe()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            next_client_id: 0,
            custom_propagation: false,
            loading: false,
            pubsub: Default::default(),
            deferred_pushes: Default::default(),
            watches: Default::default(),
            notify_flags: 0,
            notify_scratch: Vec::new(),
            aof: crate::persistence::Aof::new(),
            active_expire_enabled: true,
            eviction: crate::evict::EvictionState::default(),
        };
        core.refresh_notify_flags();
        crate::evict::configure(&mut core);
        let server = Server {
            poll,
            events: Events::with_capacity(1024),
            listeners,
            signals: None,
            pending_reads: Vec::new(),
            core,
        };
        crate::alloc::mark_startup();
        Ok(server)
    }

    /// Stop on SIGTERM/SIGINT (for the real binary; in-process test servers
    /// leave signals alone).
    pub fn handle_signals(&mut self) -> Result<(), StartupError> {
        use signal_hook::consts::{SIGINT, SIGTERM};
        let mut signals = signal_hook_mio::v1_0::Signals::new([SIGTERM, SIGINT])
            .map_err(|e| StartupError::Io("installing signal handlers".into(), e))?;
        self.poll
            .registry()
            .register(&mut signals, listen::SIGNAL_TOKEN, mio::Interest::READABLE)
            .map_err(|e| StartupError::Io("registering signals".into(), e))?;
        self.signals = Some(signals);
        Ok(())
    }

    pub fn local_addrs(&self) -> &[SocketAddr] {
        &self.core.tcp_addrs
    }
}

/// React to CONFIG SET: called with the names of the options that changed.
pub fn config_changed(core: &mut Core, changed: &[&'static str]) {
    for name in changed {
        tracing::debug!("config {name} changed");
        crate::persistence::config_changed(core, name);
    }
    if changed
        .iter()
        .any(|n| crate::evict::CONFIG_NAMES.contains(n))
    {
        crate::evict::configure(core);
        // A lowered limit is enforced from now on, one slice per loop turn (Redis evicts
        // right away on CONFIG SET maxmemory, too).
        core.eviction.running = true;
        core.eviction_slice();
    }
    // Cheap enough to redo whatever changed.
    core.refresh_notify_flags();
}
