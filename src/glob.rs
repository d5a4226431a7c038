//! TEMPORARY STUB — replaced by the real matcher on the `config` branch.
pub fn glob_match(pattern: &[u8], s: &[u8], _nocase: bool) -> bool {
    pattern == b"*" || pattern == s
}
