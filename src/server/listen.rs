//! Listening sockets: one TCP listener per `bind` address (IPv4 or IPv6),
//! plus the optional unix socket. `port 0` means no TCP listener, as in
//! Redis (server.c `initListeners`).

use std::net::{IpAddr, SocketAddr};

use mio::net::{TcpListener, UnixListener};
use mio::{Interest, Registry, Token};

use super::StartupError;
use crate::config::Config;

/// Listener tokens are 0..MAX_LISTENERS; then the signal pipe; clients after.
pub const MAX_LISTENERS: usize = 16;
pub const SIGNAL_TOKEN: Token = Token(MAX_LISTENERS);
pub const FIRST_CLIENT_TOKEN: usize = MAX_LISTENERS + 8;

pub enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener, String),
}

impl Listener {
    pub fn tcp_addr(&self) -> Option<SocketAddr> {
        match self {
            Listener::Tcp(l) => l.local_addr().ok(),
            Listener::Unix(..) => None,
        }
    }
}

fn parse_bind(addr: &str) -> Option<IpAddr> {
    // Redis allows a leading '-' ("bind -::1"): don't fail if unavailable.
    let a = addr.strip_prefix('-').unwrap_or(addr);
    if a == "*" {
        return Some(IpAddr::from([0, 0, 0, 0]));
    }
    a.parse().ok()
}

pub fn open_listeners(cfg: &Config, reg: &Registry) -> Result<Vec<Listener>, StartupError> {
    let mut out = Vec::new();
    if cfg.port != 0 {
        for (i, addr) in cfg.bind.iter().enumerate() {
            // "bind -::1": skip the address if it is unavailable.
            let optional =
                addr.starts_with('-') || cfg.bind_optional.get(i).copied().unwrap_or(false);
            let Some(ip) = parse_bind(addr) else {
                return Err(StartupError::Bind {
                    addr: addr.clone(),
                    err: std::io::Error::new(std::io::ErrorKind::InvalidInput, "invalid address"),
                });
            };
            let sa = SocketAddr::new(ip, cfg.port);
            match TcpListener::bind(sa) {
                Ok(l) => out.push(Listener::Tcp(l)),
                Err(_) if optional => continue,
                Err(err) => {
                    return Err(StartupError::Bind {
                        addr: sa.to_string(),
                        err,
                    });
                }
            }
            if out.len() >= MAX_LISTENERS - 1 {
                break;
            }
        }
    }
    if !cfg.unixsocket.is_empty() {
        let path = cfg.unixsocket.clone();
        let _ = std::fs::remove_file(&path);
        let l = UnixListener::bind(&path).map_err(|err| StartupError::Bind {
            addr: path.clone(),
            err,
        })?;
        if cfg.unixsocketperm != 0 {
            use std::os::unix::fs::PermissionsExt;
            let perm = std::fs::Permissions::from_mode(cfg.unixsocketperm);
            std::fs::set_permissions(&path, perm)
                .map_err(|e| StartupError::Io(format!("chmod {path}"), e))?;
        }
        out.push(Listener::Unix(l, path));
    }
    for (i, l) in out.iter_mut().enumerate() {
        let res = match l {
            Listener::Tcp(t) => reg.register(t, Token(i), Interest::READABLE),
            Listener::Unix(u, _) => reg.register(u, Token(i), Interest::READABLE),
        };
        res.map_err(|e| StartupError::Io("registering listener".into(), e))?;
    }
    Ok(out)
}
