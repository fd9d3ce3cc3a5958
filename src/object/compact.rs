//! Small owned values that do not allocate: short strings (interface names, kinds,
//! labels) and link-layer addresses. They keep the owned events at one heap
//! allocation (the event's `Arc`) in the common case.

use std::fmt;

const INLINE: usize = 30;

/// An immutable string stored inline when it is at most 30 bytes (every interface
/// name, link kind and address label the kernel allows today), on the heap otherwise.
///
/// ```
/// use nlwatch::CompactStr;
/// let s = CompactStr::new("veth0");
/// assert_eq!(s.as_str(), "veth0");
/// assert_eq!(s, "veth0");
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct CompactStr(Repr);

#[derive(Clone, PartialEq, Eq, Hash)]
enum Repr {
    Inline { len: u8, buf: [u8; INLINE] },
    Heap(Box<str>),
}

impl CompactStr {
    /// Copies `s`.
    pub fn new(s: &str) -> Self {
        if s.len() <= INLINE {
            let mut buf = [0u8; INLINE];
            buf[..s.len()].copy_from_slice(s.as_bytes());
            CompactStr(Repr::Inline {
                len: s.len() as u8,
                buf,
            })
        } else {
            CompactStr(Repr::Heap(s.into()))
        }
    }

    /// The string.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            // SAFETY: `new` is the only constructor: the inline bytes are a whole
            // `&str` copied as is, and `len` is its length, so they are UTF-8.
            Repr::Inline { len, buf } => unsafe {
                std::str::from_utf8_unchecked(&buf[..*len as usize])
            },
            Repr::Heap(s) => s,
        }
    }
}

impl std::ops::Deref for CompactStr {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq<str> for CompactStr {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for CompactStr {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl fmt::Debug for CompactStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for CompactStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for CompactStr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Longest link-layer address the kernel stores (`MAX_ADDR_LEN`).
pub const MAX_ADDR_LEN: usize = 32;

/// A link-layer (hardware) address of up to 32 bytes, e.g. a 6-byte Ethernet MAC.
/// Displayed as lower-case hex bytes joined by `:`, as `ip` prints it.
///
/// ```
/// use nlwatch::HwAddr;
/// let mac = HwAddr::new(&[2, 0, 0, 0, 0, 1]).unwrap();
/// assert_eq!(mac.to_string(), "02:00:00:00:00:01");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HwAddr {
    len: u8,
    bytes: [u8; MAX_ADDR_LEN],
}

impl HwAddr {
    /// Copies `bytes`; `None` when longer than [`MAX_ADDR_LEN`].
    pub fn new(bytes: &[u8]) -> Option<Self> {
        if bytes.len() > MAX_ADDR_LEN {
            return None;
        }
        let mut buf = [0u8; MAX_ADDR_LEN];
        buf[..bytes.len()].copy_from_slice(bytes);
        Some(HwAddr {
            len: bytes.len() as u8,
            bytes: buf,
        })
    }

    /// The address bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }
}

impl fmt::Display for HwAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, b) in self.as_bytes().iter().enumerate() {
            if i > 0 {
                f.write_str(":")?;
            }
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for HwAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HwAddr({self})")
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for HwAddr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_str_inline_and_heap() {
        let short = CompactStr::new("veth0-alt-name");
        assert!(matches!(short.0, Repr::Inline { .. }));
        assert_eq!(short, "veth0-alt-name");
        let long_name = "x".repeat(100);
        let long = CompactStr::new(&long_name);
        assert!(matches!(long.0, Repr::Heap(_)));
        assert_eq!(long.as_str(), long_name);
    }

    #[test]
    fn hwaddr_limits() {
        assert!(HwAddr::new(&[0; 33]).is_none());
        let a = HwAddr::new(&[0xaa; 32]).unwrap();
        assert_eq!(a.as_bytes().len(), 32);
        assert_eq!(HwAddr::new(&[]).unwrap().to_string(), "");
    }
}
