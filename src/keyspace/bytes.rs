//! `CompactBytes`: the byte string used for keys, string values and hash fields.
//!
//! Redis keeps short strings in one allocation with their object header (`embstr`, object.c); we
//! go one step further and keep up to [`INLINE_CAP`] bytes inside the 24-byte value itself, so a
//! typical key (`key:000000123456`, 16 bytes) or small value costs no heap allocation at all.
//!
//! Three representations, all safe Rust, 24 bytes in total (checked below):
//! - `Inline`: up to 23 bytes stored in place. The length byte is an enum with 24 valid values,
//!   which leaves a niche the compiler uses for the discriminant of this enum and of the enums
//!   that wrap it (`StrValue`, `Value`), so those stay 24 bytes too.
//! - `Exact`: a `Box<[u8]>` of exactly the string's length, for longer strings written once (SET).
//! - `Growable`: a boxed `Vec<u8>` with spare capacity, for strings that were modified in place
//!   (APPEND, SETRANGE). This matches Redis's "raw" sds with greedy preallocation, so an APPEND
//!   loop stays amortised O(1) per byte, and it is how `OBJECT ENCODING` tells `raw` from
//!   `embstr` for short strings.
//!
//! `Hash`/`Eq` agree with `[u8]`, so maps keyed by `CompactBytes` are probed with a plain `&[u8]`
//! (no key copy on lookup).

use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};

/// Longest string stored without a heap allocation.
pub const INLINE_CAP: usize = 23;

/// Redis sds preallocation stops doubling at 1 MiB (`SDS_MAX_PREALLOC`) and adds 1 MiB instead.
const MAX_PREALLOC: usize = 1024 * 1024;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
enum InlineLen {
    L0 = 0,
    L1,
    L2,
    L3,
    L4,
    L5,
    L6,
    L7,
    L8,
    L9,
    L10,
    L11,
    L12,
    L13,
    L14,
    L15,
    L16,
    L17,
    L18,
    L19,
    L20,
    L21,
    L22,
    L23,
}

const INLINE_LENS: [InlineLen; INLINE_CAP + 1] = {
    use InlineLen::*;
    [
        L0, L1, L2, L3, L4, L5, L6, L7, L8, L9, L10, L11, L12, L13, L14, L15, L16, L17, L18, L19,
        L20, L21, L22, L23,
    ]
};

// `repr(C)` pins the length byte at offset 23, after the data, so the niche sits at the end and
// the boxed variants (16 and 8 bytes) fit in front of it.
#[derive(Clone, Copy)]
#[repr(C)]
struct Inline {
    data: [u8; INLINE_CAP],
    len: InlineLen,
}

#[derive(Clone)]
enum Repr {
    Inline(Inline),
    Exact(Box<[u8]>),
    // Boxed on purpose: a bare Vec is 24 bytes and would push the enum to 32.
    #[allow(clippy::box_collection)]
    Growable(Box<Vec<u8>>),
}

/// A byte string with inline storage for up to 23 bytes. See the module docs.
#[derive(Clone)]
pub struct CompactBytes(Repr);

const _: () = assert!(std::mem::size_of::<CompactBytes>() == 24);

impl CompactBytes {
    /// The empty string (inline, no allocation).
    pub const fn new() -> Self {
        CompactBytes(Repr::Inline(Inline {
            data: [0; INLINE_CAP],
            len: InlineLen::L0,
        }))
    }

    /// Copies `bytes`: inline when short, else one exact-size allocation.
    pub fn from_slice(bytes: &[u8]) -> Self {
        if bytes.len() <= INLINE_CAP {
            let mut data = [0u8; INLINE_CAP];
            data[..bytes.len()].copy_from_slice(bytes);
            CompactBytes(Repr::Inline(Inline {
                data,
                len: INLINE_LENS[bytes.len()],
            }))
        } else {
            CompactBytes(Repr::Exact(bytes.into()))
        }
    }

    /// Takes ownership of `v` without copying when it is long; short vectors are moved inline.
    pub fn from_vec(v: Vec<u8>) -> Self {
        if v.len() <= INLINE_CAP {
            Self::from_slice(&v)
        } else {
            CompactBytes(Repr::Exact(v.into_boxed_slice()))
        }
    }

    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            Repr::Inline(i) => &i.data[..i.len as usize],
            Repr::Exact(b) => b,
            Repr::Growable(v) => v,
        }
    }

    #[inline]
    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::Inline(i) => i.len as usize,
            Repr::Exact(b) => b.len(),
            Repr::Growable(v) => v.len(),
        }
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True once the string was modified in place (APPEND/SETRANGE): Redis reports such strings as
    /// `raw` whatever their length.
    pub fn is_growable(&self) -> bool {
        matches!(self.0, Repr::Growable(_))
    }

    /// Runs `f` on the bytes as a `Vec`, switching to the growable representation first (one
    /// copy, then amortised growth like sds). For in-place edits: APPEND, SETRANGE, SETBIT.
    pub fn with_growable<R>(&mut self, f: impl FnOnce(&mut Vec<u8>) -> R) -> R {
        let mut v = match std::mem::replace(&mut self.0, Self::new().0) {
            Repr::Growable(v) => v,
            other => Box::new(CompactBytes(other).as_bytes().to_vec()),
        };
        let r = f(&mut v);
        self.0 = Repr::Growable(v);
        r
    }

    /// Appends `tail` (Redis APPEND). Grows capacity like `sdsMakeRoomFor`: double up to 1 MiB,
    /// then 1 MiB at a time.
    pub fn append(&mut self, tail: &[u8]) {
        self.with_growable(|v| {
            reserve_greedy(v, tail.len());
            v.extend_from_slice(tail);
        })
    }

    /// Writes `data` at `offset`, zero-padding any gap (Redis SETRANGE). Callers check the
    /// resulting length against `proto-max-bulk-len` first.
    pub fn set_range(&mut self, offset: usize, data: &[u8]) {
        self.with_growable(|v| {
            let end = offset.saturating_add(data.len());
            if end > v.len() {
                reserve_greedy(v, end - v.len());
                v.resize(end, 0);
            }
            if let Some(dst) = v.get_mut(offset..end) {
                dst.copy_from_slice(data);
            }
        })
    }

    /// Heap bytes owned beyond the 24-byte handle (0 when inline). Counts capacity, not length.
    pub fn heap_size(&self) -> usize {
        match &self.0 {
            Repr::Inline(_) => 0,
            Repr::Exact(b) => b.len(),
            Repr::Growable(v) => std::mem::size_of::<Vec<u8>>() + v.capacity(),
        }
    }

    /// Drops spare capacity and moves back inline when short enough.
    pub fn shrink(&mut self) {
        if let Repr::Growable(v) = &mut self.0 {
            let v = std::mem::take(&mut **v);
            *self = Self::from_vec(v);
        }
    }
}

fn reserve_greedy(v: &mut Vec<u8>, additional: usize) {
    let need = v.len().saturating_add(additional);
    if need <= v.capacity() {
        return;
    }
    let target = if need < MAX_PREALLOC {
        need.saturating_mul(2)
    } else {
        need.saturating_add(MAX_PREALLOC)
    };
    v.reserve_exact(target - v.len());
}

impl Default for CompactBytes {
    fn default() -> Self {
        Self::new()
    }
}

impl From<&[u8]> for CompactBytes {
    fn from(b: &[u8]) -> Self {
        Self::from_slice(b)
    }
}

impl<const N: usize> From<&[u8; N]> for CompactBytes {
    fn from(b: &[u8; N]) -> Self {
        Self::from_slice(b)
    }
}

impl From<Vec<u8>> for CompactBytes {
    fn from(v: Vec<u8>) -> Self {
        Self::from_vec(v)
    }
}

impl std::ops::Deref for CompactBytes {
    type Target = [u8];
    #[inline]
    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl AsRef<[u8]> for CompactBytes {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl Borrow<[u8]> for CompactBytes {
    #[inline]
    fn borrow(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl PartialEq for CompactBytes {
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for CompactBytes {}

impl PartialEq<[u8]> for CompactBytes {
    fn eq(&self, other: &[u8]) -> bool {
        self.as_bytes() == other
    }
}

impl Hash for CompactBytes {
    // Must hash exactly like `[u8]` so that `&[u8]` probes find `CompactBytes` keys.
    #[inline]
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state)
    }
}

impl fmt::Debug for CompactBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "b\"{}\"", self.as_bytes().escape_ascii())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    #[test]
    fn inline_boundary() {
        for n in 0..=40 {
            let src: Vec<u8> = (0..n as u8).collect();
            let b = CompactBytes::from_slice(&src);
            assert_eq!(b.as_bytes(), &src[..]);
            assert_eq!(b.len(), n);
            assert_eq!(b.heap_size() == 0, n <= INLINE_CAP, "n={n}");
            assert_eq!(CompactBytes::from_vec(src.clone()), b);
        }
    }

    #[test]
    fn hash_matches_slice() {
        let s = foldhash::fast::RandomState::default();
        for src in [&b""[..], b"abc", &[7u8; 23], &[9u8; 24], &[1u8; 100]] {
            let b = CompactBytes::from_slice(src);
            assert_eq!(s.hash_one(&b), s.hash_one(src));
            let mut g = b.clone();
            g.with_growable(|_| ());
            assert_eq!(s.hash_one(&g), s.hash_one(src));
        }
    }

    #[test]
    fn append_and_set_range() {
        let mut b = CompactBytes::from_slice(b"hello");
        assert!(!b.is_growable());
        b.append(b" world");
        assert!(b.is_growable());
        assert_eq!(b.as_bytes(), b"hello world");
        b.set_range(15, b"!!");
        assert_eq!(b.as_bytes(), b"hello world\0\0\0\0!!");
        b.set_range(0, b"J");
        assert_eq!(b.as_bytes(), b"Jello world\0\0\0\0!!");
        b.shrink();
        assert!(!b.is_growable());
        assert_eq!(b.as_bytes(), b"Jello world\0\0\0\0!!");
    }

    #[test]
    fn append_is_amortised() {
        let mut b = CompactBytes::new();
        let mut reallocs = 0;
        let mut cap = 0;
        for _ in 0..10_000 {
            b.append(b"0123456789");
            let c = b.heap_size();
            if c != cap {
                reallocs += 1;
                cap = c;
            }
        }
        assert_eq!(b.len(), 100_000);
        assert!(reallocs < 30, "{reallocs} reallocations");
    }
}
