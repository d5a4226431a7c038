//! `inmemdb --check-aof [--fix] FILE`: validate an AOF like redis-check-aof
//! (redis src/redis-check-aof.c, "Old-Style AOF" mode) and optionally
//! truncate it to its valid prefix.
//!
//! The file is valid when it parses to its end and every MULTI has its EXEC.
//! Otherwise the first bad offset is reported, and `ok_up_to` is the end of
//! the last complete command outside a transaction. `--fix` truncates there
//! without asking (redis-check-aof asks on the terminal; this runs in
//! scripts). For a truncated tail that loses nothing; for corruption in the
//! middle it discards everything after it, which the report makes explicit.
//! Exit code: 0 valid (or fixed), 1 invalid or unreadable.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::Path;

use super::load::{AofReader, ReadError};

/// Arguments longer than this are reported as corruption (512 MB, the
/// default `proto-max-bulk-len`).
const MAX_BULK: usize = 512 << 20;

/// Result of checking a file.
#[derive(Debug, PartialEq, Eq)]
pub struct Report {
    pub size: u64,
    pub ok_up_to: u64,
    /// First problem: offset and description.
    pub error: Option<(u64, String)>,
}

impl Report {
    pub fn valid(&self) -> bool {
        self.error.is_none()
    }
}

/// Check the AOF read from `src`, `size` bytes long.
pub fn check<R: Read>(src: R, size: u64) -> io::Result<Report> {
    let mut r = AofReader::new(src, MAX_BULK);
    let mut ok_up_to = 0;
    let mut multi_at: Option<u64> = None;
    let error = loop {
        match r.next_command() {
            Ok(true) => {
                let args = r.args();
                let name = args.get(0);
                if name.eq_ignore_ascii_case(b"multi") {
                    if multi_at.is_some() {
                        break Some((r.cmd_offset(), "Unexpected MULTI".to_string()));
                    }
                    multi_at = Some(r.cmd_offset());
                } else if name.eq_ignore_ascii_case(b"exec") {
                    if multi_at.take().is_none() {
                        break Some((r.cmd_offset(), "Unexpected EXEC".to_string()));
                    }
                    ok_up_to = r.offset();
                } else if multi_at.is_none() {
                    ok_up_to = r.offset();
                }
            }
            Ok(false) => {
                break multi_at.map(|_| {
                    (
                        size,
                        "Reached EOF before reading EXEC for MULTI".to_string(),
                    )
                });
            }
            Err(ReadError::Truncated { at }) => {
                break Some((
                    size,
                    format!("Unexpected end of file in the command starting at {at}"),
                ));
            }
            Err(ReadError::Format { at, what, .. }) => break Some((at, what)),
            Err(ReadError::Io(e)) => return Err(e),
        }
    };
    Ok(Report {
        size,
        ok_up_to: if error.is_some() { ok_up_to } else { size },
        error,
    })
}

/// Lines in the first `upto` bytes (redis-check-aof's `ok_up_to_line`).
fn count_lines(path: &Path, upto: u64) -> io::Result<u64> {
    let mut rd = BufReader::new(File::open(path)?.take(upto));
    let mut n = 0u64;
    loop {
        let chunk = rd.fill_buf()?;
        if chunk.is_empty() {
            return Ok(n + 1);
        }
        n += chunk.iter().filter(|&&b| b == b'\n').count() as u64;
        let len = chunk.len();
        rd.consume(len);
    }
}

/// The `--check-aof` mode: print the report to stdout, fix if asked.
/// Returns the process exit code.
pub fn run(path: &Path, fix: bool) -> u8 {
    let out = io::stdout();
    let mut out = out.lock();
    match run_to(path, fix, &mut out) {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(out, "Cannot check AOF {}: {e}", path.display());
            1
        }
    }
}

fn run_to(path: &Path, fix: bool, out: &mut impl Write) -> io::Result<u8> {
    let name = path.display();
    let f = File::open(path)?;
    let size = f.metadata()?.len();
    writeln!(out, "Start checking Old-Style AOF")?;
    if size >= 5 {
        let mut sig = [0u8; 5];
        File::open(path)?.read_exact(&mut sig)?;
        if &sig == b"REDIS" {
            writeln!(
                out,
                "AOF {name} starts with an RDB preamble: not supported by InMemDB (its AOF is pure RESP)"
            )?;
            return Ok(1);
        }
    }
    let report = check(f, size)?;
    if let Some((at, what)) = &report.error {
        writeln!(out, "0x{at:>16x}: {what}")?;
    }
    let diff = report.size - report.ok_up_to;
    writeln!(
        out,
        "AOF analyzed: filename={name}, size={}, ok_up_to={}, ok_up_to_line={}, diff={diff}",
        report.size,
        report.ok_up_to,
        count_lines(path, report.ok_up_to)?,
    )?;
    if report.valid() {
        writeln!(out, "AOF {name} is valid")?;
        return Ok(0);
    }
    if !fix {
        writeln!(
            out,
            "AOF {name} is not valid. Use the --fix option to try fixing it."
        )?;
        return Ok(1);
    }
    writeln!(
        out,
        "This will shrink the AOF {name} from {} bytes, with {diff} bytes, to {} bytes",
        report.size, report.ok_up_to
    )?;
    let f = OpenOptions::new().write(true).open(path)?;
    match f.set_len(report.ok_up_to).and_then(|()| f.sync_all()) {
        Ok(()) => {
            writeln!(out, "Successfully truncated AOF {name}")?;
            Ok(0)
        }
        Err(e) => {
            writeln!(out, "Failed to truncate AOF {name}: {e}")?;
            Ok(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aof() -> Vec<u8> {
        b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\nb\r\n*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$1\r\nd\r\n".to_vec()
    }

    fn check_bytes(b: &[u8]) -> Report {
        check(b, b.len() as u64).unwrap()
    }

    #[test]
    fn valid_file() {
        let b = aof();
        let r = check_bytes(&b);
        assert!(r.valid());
        assert_eq!(r.ok_up_to, 77);
    }

    #[test]
    fn reports_like_redis_check_aof() {
        // Same cases as redis-check-aof 7.0 on the same bytes: same ok_up_to.
        // The error offset is the bad byte itself (redis-check-aof names the
        // start of the line it was reading: 0x1b here).
        let mut bad = aof();
        bad[30] = b'X';
        let r = check_bytes(&bad);
        assert_eq!(r.ok_up_to, 23);
        assert_eq!(r.error.as_ref().unwrap().0, 29);
        let r = check_bytes(&aof()[..45]);
        assert_eq!(r.ok_up_to, 23);
        let r = check_bytes(&aof()[..50]);
        assert!(r.valid());
        let multi = b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\nb\r\n";
        let r = check_bytes(multi);
        assert_eq!(r.ok_up_to, 23);
        assert_eq!(
            r.error.unwrap().1,
            "Reached EOF before reading EXEC for MULTI"
        );
    }

    #[test]
    fn fix_truncates_to_the_valid_prefix() {
        let dir = std::env::temp_dir().join(format!("inmemdb-check-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("t.aof");
        std::fs::write(&p, &aof()[..45]).unwrap();
        let mut out = Vec::new();
        assert_eq!(run_to(&p, false, &mut out).unwrap(), 1);
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("AOF analyzed: filename="), "{text}");
        assert!(
            text.contains("ok_up_to=23, ok_up_to_line=6, diff=22"),
            "{text}"
        );
        assert_eq!(
            std::fs::metadata(&p).unwrap().len(),
            45,
            "no --fix: untouched"
        );
        let mut out = Vec::new();
        assert_eq!(run_to(&p, true, &mut out).unwrap(), 0);
        assert_eq!(std::fs::metadata(&p).unwrap().len(), 23);
        let mut out = Vec::new();
        assert_eq!(run_to(&p, false, &mut out).unwrap(), 0);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
