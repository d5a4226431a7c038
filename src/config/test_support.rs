//! Helpers shared by the unit tests of the config modules: loading text
//! through the `Loader`, one-pair CONFIG SET / GET, argv and temp files.

#![allow(clippy::panic)] // helpers report unexpected variants by panicking

use super::load::Loader;
use super::{Config, ConfigError};
use std::fs;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

pub(super) fn args(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// A fresh path under the system temp dir (removed by `TempFile::drop`).
pub(super) struct TempFile(pub(super) PathBuf);

impl TempFile {
    pub(super) fn new(content: &str) -> TempFile {
        static N: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "inmemdb-config-test-{}-{}.conf",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        fs::write(&path, content).unwrap();
        TempFile(path)
    }
    pub(super) fn path_str(&self) -> String {
        self.0.display().to_string()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

pub(super) fn load(text: &str) -> Result<Config, ConfigError> {
    let mut l = Loader {
        config: Config::default(),
        save_seen: false,
    };
    l.load_text(text.as_bytes(), "test.conf", 0)?;
    Ok(l.config)
}

pub(super) fn load_err(text: &str) -> (usize, String, String) {
    match load(text) {
        Err(ConfigError::Invalid {
            line,
            option,
            reason,
            ..
        }) => (line, option, reason),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

pub(super) fn set(c: &mut Config, name: &str, value: &str) -> Result<Vec<&'static str>, String> {
    c.set_many(&[(name.as_bytes(), value.as_bytes())])
}

pub(super) fn get(c: &Config, name: &str) -> String {
    c.get(name).unwrap()
}
