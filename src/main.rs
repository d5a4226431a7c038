//! `inmemdb [config-file] [--option value ...]`, like redis-server.

use std::process::ExitCode;

use inmemdb::config::{self, ConfigError, LogLevel};
use inmemdb::server::Server;

fn init_logging(cfg: &config::Config) -> Result<(), String> {
    let level = match cfg.loglevel {
        LogLevel::Debug => tracing::Level::DEBUG,
        LogLevel::Verbose => tracing::Level::DEBUG,
        LogLevel::Notice => tracing::Level::INFO,
        LogLevel::Warning => tracing::Level::WARN,
    };
    let builder = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_target(false)
        .with_ansi(false);
    // No background appender thread: the process forks for BGREWRITEAOF and
    // must stay single-threaded on the data path.
    if cfg.logfile.is_empty() {
        builder.with_writer(std::io::stdout).init();
    } else {
        let f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&cfg.logfile)
            .map_err(|e| format!("Can't open the log file {}: {e}", cfg.logfile))?;
        builder.with_writer(std::sync::Mutex::new(f)).init();
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let opts = match config::parse_startup(args) {
        Ok(o) => o,
        Err(ConfigError::Help(t)) | Err(ConfigError::Version(t)) => {
            println!("{t}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    if let Some((file, fix)) = &opts.check_aof {
        return ExitCode::from(inmemdb::persistence::check::run(file, *fix));
    }
    let mut cfg = opts.config;
    if let Err(e) = init_logging(&cfg) {
        eprintln!("{e}");
        return ExitCode::FAILURE;
    }
    // Make the config file path absolute before chdir, for CONFIG REWRITE.
    let config_file = opts
        .config_file
        .map(|p| std::fs::canonicalize(&p).unwrap_or(p));
    if let Err(e) = std::env::set_current_dir(&cfg.dir) {
        eprintln!("Can't chdir to '{}': {e}", cfg.dir);
        return ExitCode::FAILURE;
    }
    // CONFIG GET dir answers the absolute working directory, as Redis does.
    if let Ok(cwd) = std::env::current_dir() {
        cfg.dir = cwd.display().to_string();
    }
    if !cfg.pidfile.is_empty()
        && let Err(e) = std::fs::write(&cfg.pidfile, format!("{}\n", std::process::id()))
    {
        tracing::warn!("Failed to write PID file {}: {e}", cfg.pidfile);
    }
    let mut server = match Server::bind(cfg, config_file.clone()) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = server.handle_signals() {
        eprintln!("{e}");
        return ExitCode::FAILURE;
    }
    tracing::info!(
        "InMemDB {} (Redis {} compatible) starting, pid={}, config={}",
        inmemdb::VERSION,
        inmemdb::REDIS_VERSION,
        std::process::id(),
        config_file
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "none".into())
    );
    // Listeners are open already: clients connecting while the AOF loads
    // get -LOADING.
    use inmemdb::persistence::load::{LoadError, load_at_startup};
    match load_at_startup(&mut server) {
        Ok(()) => {}
        Err(LoadError::Shutdown) => {
            server.finish_shutdown();
            return ExitCode::SUCCESS;
        }
        Err(LoadError::Fatal(msg)) => {
            tracing::error!("{msg}");
            eprintln!("{msg}");
            return ExitCode::FAILURE;
        }
    }
    for a in server.local_addrs() {
        tracing::info!("Ready to accept connections tcp on {a}");
    }
    if !server.core.config.unixsocket.is_empty() {
        tracing::info!(
            "Ready to accept connections unix on {}",
            server.core.config.unixsocket
        );
    }
    match server.run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("Event loop failed: {e}");
            ExitCode::FAILURE
        }
    }
}
