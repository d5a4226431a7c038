//! Glob-style pattern matching with Redis's exact semantics: `stringmatchlen()`
//! in redis src/util.c, as used by KEYS, SCAN MATCH, PSUBSCRIBE and CONFIG GET.
//!
//! Supported syntax: `*`, `?`, `[abc]`, `[^abc]`, `[a-z]` (reversed ranges are
//! swapped), and `\x` to match `x` literally, inside or outside brackets.
//!
//! Redis quirks kept on purpose, because clients can observe them:
//! - an unclosed `[` set runs to the end of the pattern (`[ab` matches `a`);
//! - `[^` alone matches any single byte, `[` alone matches nothing;
//! - range ends are compared as C `char`, which is signed on x86-64, so a range
//!   such as `[a-\xff]` really is `[\xff-a]` (-1..=97) and does not match `b`;
//! - case folding (`nocase`) is ASCII only, like `tolower()` in the C locale;
//! - an empty subject matches only the empty pattern, even `*` (Redis 7's
//!   loop runs only while both are non-empty). KEYS and SCAN in Redis treat a
//!   lone `*` as "everything" before calling the matcher; callers should too.
//!
//! Cost: a `*` whose tail fails against every suffix proves that no earlier
//! `*` can help either (`skip_longer`, Redis 7 / CVE-2022-36021), so matching
//! is O(pattern × string) instead of exponential. Recursion depth is capped at
//! `MAX_NESTING` stars (Redis 7.2+: deeper patterns simply do not match), so
//! hostile patterns cannot exhaust the stack. Never panics: every read of the
//! pattern goes through `at()`, which yields 0 past the end the way the C code
//! reads the terminating NUL of an sds string.

/// Stars deeper than this never match (Redis: `nesting > 1000`).
const MAX_NESTING: u32 = 1000;

/// Does `s` match the glob `pattern`? `nocase` folds ASCII letters.
pub fn glob_match(pattern: &[u8], s: &[u8], nocase: bool) -> bool {
    let mut skip_longer = false;
    match_impl(pattern, s, nocase, &mut skip_longer, 0)
}

/// Pattern byte at `i`, or 0 past the end (the sds terminator Redis reads).
#[inline]
fn at(p: &[u8], i: usize) -> u8 {
    p.get(i).copied().unwrap_or(0)
}

/// C `tolower()` in the "C" locale on a value that may be a negative `char`.
#[inline]
fn c_tolower(c: i32) -> i32 {
    if (i32::from(b'A')..=i32::from(b'Z')).contains(&c) {
        c + 32
    } else {
        c
    }
}

/// A byte as x86-64 C `char` (signed), widened to int.
#[inline]
fn c_char(b: u8) -> i32 {
    i32::from(b as i8)
}

#[inline]
fn eq_byte(a: u8, b: u8, nocase: bool) -> bool {
    if nocase {
        a.eq_ignore_ascii_case(&b)
    } else {
        a == b
    }
}

fn match_impl(p: &[u8], s: &[u8], nocase: bool, skip_longer: &mut bool, nesting: u32) -> bool {
    if nesting > MAX_NESTING {
        return false;
    }
    // `pi` may step one past `p.len()` only transiently inside the '[' arm;
    // it is always <= p.len() when the loop condition is evaluated.
    let mut pi = 0usize;
    let mut si = 0usize;
    while pi < p.len() && si < s.len() {
        match p[pi] {
            b'*' => {
                while pi + 1 < p.len() && p[pi + 1] == b'*' {
                    pi += 1;
                }
                if pi + 1 == p.len() {
                    return true; // trailing star matches the rest
                }
                while si < s.len() {
                    if match_impl(&p[pi + 1..], &s[si..], nocase, skip_longer, nesting + 1) {
                        return true;
                    }
                    if *skip_longer {
                        return false;
                    }
                    si += 1;
                }
                // The tail matched no suffix at all: a longer match for any
                // earlier star would only start the tail later, so give up.
                *skip_longer = true;
                return false;
            }
            b'?' => si += 1,
            b'[' => {
                let c = s[si];
                pi += 1;
                let not = at(p, pi) == b'^';
                if not {
                    pi += 1;
                }
                let mut matched = false;
                loop {
                    let left = p.len().saturating_sub(pi);
                    if at(p, pi) == b'\\' && left >= 2 {
                        pi += 1;
                        // Escapes inside a set compare case-sensitively in Redis.
                        if p[pi] == c {
                            matched = true;
                        }
                    } else if at(p, pi) == b']' {
                        break;
                    } else if left == 0 {
                        // Unclosed set: Redis steps back so that the common
                        // "advance one" below lands exactly on the end.
                        pi -= 1;
                        break;
                    } else if left >= 3 && p[pi + 1] == b'-' {
                        let (mut start, mut end) = (c_char(p[pi]), c_char(p[pi + 2]));
                        let mut ch = c_char(c);
                        if start > end {
                            std::mem::swap(&mut start, &mut end);
                        }
                        if nocase {
                            start = c_tolower(start);
                            end = c_tolower(end);
                            ch = c_tolower(ch);
                        }
                        pi += 2;
                        if ch >= start && ch <= end {
                            matched = true;
                        }
                    } else if eq_byte(p[pi], c, nocase) {
                        matched = true;
                    }
                    pi += 1;
                }
                if not {
                    matched = !matched;
                }
                if !matched {
                    return false;
                }
                si += 1;
            }
            b'\\' => {
                if p.len() - pi >= 2 {
                    pi += 1;
                }
                if !eq_byte(p[pi], s[si], nocase) {
                    return false;
                }
                si += 1;
            }
            other => {
                if !eq_byte(other, s[si], nocase) {
                    return false;
                }
                si += 1;
            }
        }
        pi += 1;
        if si == s.len() {
            while at(p, pi) == b'*' && pi < p.len() {
                pi += 1;
            }
            break;
        }
    }
    pi >= p.len() && si == s.len()
}

#[cfg(test)]
mod tests {
    use super::glob_match;
    use std::time::{Duration, Instant};

    fn m(p: &str, s: &str) -> bool {
        glob_match(p.as_bytes(), s.as_bytes(), false)
    }

    fn mi(p: &str, s: &str) -> bool {
        glob_match(p.as_bytes(), s.as_bytes(), true)
    }

    #[test]
    fn literals_and_empty() {
        assert!(m("", ""));
        // Redis 7: an empty subject matches only the empty pattern, even "*"
        // (KEYS and SCAN special-case a lone "*" before calling the matcher).
        assert!(!m("*", ""));
        assert!(!m("**", ""));
        assert!(!m("?", ""));
        assert!(!m("", "a"));
        assert!(!m("a", ""));
        assert!(m("abc", "abc"));
        assert!(!m("abc", "abd"));
        assert!(!m("abc", "ab"));
        assert!(!m("ab", "abc"));
    }

    #[test]
    fn star() {
        assert!(m("*", "anything"));
        assert!(m("a*", "a"));
        assert!(m("a*", "abc"));
        assert!(m("*c", "abc"));
        assert!(m("a*c", "ac"));
        assert!(m("a*c", "abbbc"));
        assert!(!m("a*c", "abbb"));
        assert!(m("*a*b*", "xxaxxbxx"));
        assert!(!m("*a*b*", "xxbxxaxx"));
        assert!(m("h*llo", "hllo"));
        assert!(m("a***b", "ab"));
        assert!(m("user:*:name", "user:1000:name"));
        assert!(!m("user:*:name", "user:1000:age"));
    }

    #[test]
    fn question_mark() {
        assert!(m("?", "a"));
        assert!(!m("?", ""));
        assert!(!m("?", "ab"));
        assert!(m("h?llo", "hello"));
        assert!(m("h?llo", "hallo"));
        assert!(!m("h?llo", "hllo"));
        assert!(m("??*", "ab"));
        assert!(!m("??*", "a"));
    }

    #[test]
    fn sets_and_ranges() {
        assert!(m("h[ae]llo", "hello"));
        assert!(m("h[ae]llo", "hallo"));
        assert!(!m("h[ae]llo", "hillo"));
        assert!(m("h[^e]llo", "hallo"));
        assert!(!m("h[^e]llo", "hello"));
        assert!(m("h[a-b]llo", "hbllo"));
        assert!(!m("h[a-b]llo", "hcllo"));
        // Reversed ranges are swapped.
        assert!(m("[z-a]", "q"));
        assert!(m("[0-9a-f]", "c"));
        assert!(!m("[0-9a-f]", "g"));
        assert!(!m("[]", "]"));
        // `]` right after `[` closes an empty set: matches nothing.
        assert!(!m("[]a", "a"));
        assert!(!m("[]a", "]a"));
    }

    #[test]
    fn escapes() {
        assert!(m("\\*", "*"));
        assert!(!m("\\*", "a"));
        assert!(m("a\\?b", "a?b"));
        assert!(!m("a\\?b", "acb"));
        assert!(m("\\[a]", "[a]"));
        assert!(m("[\\]]", "]"));
        assert!(m("[\\-]", "-"));
        assert!(m("[a\\-z]", "-"));
        assert!(!m("[a\\-z]", "b"));
        // Trailing backslash matches itself.
        assert!(m("a\\", "a\\"));
        assert!(m("[\\", "\\"));
    }

    #[test]
    fn unclosed_sets_follow_redis() {
        // Verified against redis-server 7.0 with KEYS.
        assert!(m("[b", "b"));
        assert!(!m("[b", "a"));
        assert!(m("[^", "x"));
        assert!(m("[^", "]"));
        assert!(!m("[", "x"));
        assert!(!m("[^", "xy"));
        // `[a-]`: the range a..] eats the closing bracket; set runs to the end.
        assert!(m("[a-]", "]"));
        assert!(m("[a-]", "_"));
        assert!(!m("[a-]", "b"));
        assert!(!m("[a-]", "A"));
    }

    #[test]
    fn ranges_use_signed_chars() {
        // Redis on x86-64: `[a-\xff]` is the range -1..=97.
        let p = b"[a-\xff]";
        assert!(glob_match(p, b"A", false));
        assert!(!glob_match(p, b"b", false));
        assert!(!glob_match(p, b"\xc3", false));
        assert!(glob_match(b"[\x80-\xff]", b"\xc3", false));
        assert!(glob_match(b"[^a-\xff]", b"b", false));
    }

    #[test]
    fn nocase() {
        assert!(mi("HeLLo", "hello"));
        assert!(!m("HeLLo", "hello"));
        assert!(mi("h[A-Z]llo", "hello"));
        assert!(mi("h[e]llo", "HELLO"));
        assert!(mi("*SAVE*", "save"));
        // Escaped bytes inside a set compare case-sensitively, as in Redis.
        assert!(!mi("[\\E]", "e"));
        assert!(mi("\\E", "e"));
    }

    #[test]
    fn binary_safe() {
        assert!(glob_match(b"a\0*", b"a\0zz", false));
        assert!(!glob_match(b"a\0*", b"a", false));
        assert!(glob_match(b"[\0]", b"\0", false));
        assert!(glob_match(b"?", b"\xff", false));
        assert!(glob_match(b"\xff*", b"\xff\xfe", true));
    }

    #[test]
    fn trailing_stars_after_string_end() {
        assert!(m("abc*", "abc"));
        assert!(m("abc***", "abc"));
        assert!(!m("abc*d", "abc"));
        assert!(!m("abc*?", "abc"));
    }

    #[test]
    fn adversarial_patterns_are_fast() {
        let s = vec![b'a'; 10_000];
        let start = Instant::now();
        assert!(!glob_match(b"*a*a*a*a*a*a*a*a*b", &s, false));
        let mut p = Vec::new();
        for _ in 0..100 {
            p.extend_from_slice(b"*a");
        }
        p.push(b'b');
        assert!(!glob_match(&p, &s, false));
        assert!(!glob_match(&p, &s, true));
        let mut q = b"*?".repeat(50);
        q.extend_from_slice(b"[b]");
        assert!(!glob_match(&q, &s, false));
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );
    }

    #[test]
    fn nesting_limit_does_not_overflow_the_stack() {
        // 5000 separated stars: deeper than MAX_NESTING, so no match, no crash.
        let p = b"*a".repeat(5000);
        let s = vec![b'a'; 6000];
        assert!(!glob_match(&p, &s, false));
        // Within the limit it still matches.
        let p = b"*a".repeat(500);
        assert!(glob_match(&p, &s, false));
    }

    /// A plain backtracking reference for patterns without `[` and `\`, to
    /// cross-check the optimised matcher on many small random cases.
    fn reference(p: &[u8], s: &[u8]) -> bool {
        match p.split_first() {
            None => s.is_empty(),
            Some((b'*', rest)) => (0..=s.len()).any(|i| reference(rest, &s[i..])),
            Some((b'?', rest)) => !s.is_empty() && reference(rest, &s[1..]),
            Some((c, rest)) => s.first() == Some(c) && reference(rest, &s[1..]),
        }
    }

    /// Redis's top level: an empty subject only matches an empty pattern.
    fn reference_top(p: &[u8], s: &[u8]) -> bool {
        if s.is_empty() {
            p.is_empty()
        } else {
            reference(p, s)
        }
    }

    #[test]
    fn matches_reference_on_random_inputs() {
        // Small deterministic LCG: no extra dependency, reproducible.
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = |n: u64| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) % n
        };
        let alphabet_p = b"ab*?";
        let alphabet_s = b"ab";
        for _ in 0..20_000 {
            let plen = next(8) as usize;
            let slen = next(8) as usize;
            let p: Vec<u8> = (0..plen).map(|_| alphabet_p[next(4) as usize]).collect();
            let s: Vec<u8> = (0..slen).map(|_| alphabet_s[next(2) as usize]).collect();
            assert_eq!(
                glob_match(&p, &s, false),
                reference_top(&p, &s),
                "p={p:?} s={s:?}"
            );
        }
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut state: u64 = 42;
        let mut next = |n: u64| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) % n
        };
        let alphabet = b"[]^-\\*?ab\0\xff";
        for _ in 0..50_000 {
            let plen = next(12) as usize;
            let slen = next(12) as usize;
            let p: Vec<u8> = (0..plen)
                .map(|_| alphabet[next(alphabet.len() as u64) as usize])
                .collect();
            let s: Vec<u8> = (0..slen)
                .map(|_| alphabet[next(alphabet.len() as u64) as usize])
                .collect();
            let _ = glob_match(&p, &s, next(2) == 0);
        }
    }
}
