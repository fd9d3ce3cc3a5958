//! Small owned values that do not allocate: names the kernel gave (interface
//! names, kinds, labels: raw bytes, not necessarily UTF-8) and link-layer
//! addresses. They keep the owned events at one heap
//! allocation (the event's `Arc`) in the common case.

use std::fmt;

const INLINE: usize = 30;

/// A name the kernel gave: an interface name or alternative name, an address
/// label, a link kind. The kernel accepts any byte in them but NUL, `/`, `:` and
/// white space, so a `Name` keeps the raw bytes: nothing a container's root can
/// put in a name hides its object or makes two names look the same.
///
/// Stored inline when at most 30 bytes (every interface name, link kind and
/// address label the kernel allows today), on the heap otherwise.
///
/// Read it losslessly with [`as_bytes`](Name::as_bytes), as text when it is
/// UTF-8 with [`to_str`](Name::to_str), lossily with
/// [`to_string_lossy`](Name::to_string_lossy). `Display` writes the escaped form
/// nlwatch's text lines use: a `\` is written `\\`, and a byte that is not part of
/// valid UTF-8, a control character or white space is written `\xNN`, so two
/// different names never display the same. [`json_escaped`](Name::json_escaped)
/// is the form of JSON lines (the same, but control characters are left to JSON).
///
/// ```
/// use nlwatch::objects::Name;
/// let s = Name::from("veth0");
/// assert_eq!(s.to_str(), Some("veth0"));
/// assert_eq!(s, "veth0");
/// let odd = Name::new(b"ev\xffil");
/// assert_eq!(odd.as_bytes(), b"ev\xffil");
/// assert_eq!(odd.to_str(), None);
/// assert_eq!(odd.to_string_lossy(), "ev\u{fffd}il");
/// assert_eq!(odd.to_string(), r"ev\xffil");
/// assert_eq!(Name::from(r"ev\xffil").to_string(), r"ev\\xffil");
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Name(Repr);

#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Repr {
    Inline { len: u8, buf: [u8; INLINE] },
    Heap(Box<[u8]>),
}

impl Name {
    /// Copies `bytes`, whatever they are (a `&str` is fine too).
    pub fn new(bytes: impl AsRef<[u8]>) -> Self {
        let bytes = bytes.as_ref();
        if bytes.len() <= INLINE {
            let mut buf = [0u8; INLINE];
            buf[..bytes.len()].copy_from_slice(bytes);
            Name(Repr::Inline {
                len: bytes.len() as u8,
                buf,
            })
        } else {
            Name(Repr::Heap(bytes.into()))
        }
    }

    /// The bytes as the kernel gave them (without the terminating NUL): lossless.
    pub fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            Repr::Inline { len, buf } => &buf[..*len as usize],
            Repr::Heap(b) => b,
        }
    }

    /// The name as text, when it is valid UTF-8 (as almost every name is).
    pub fn to_str(&self) -> Option<&str> {
        std::str::from_utf8(self.as_bytes()).ok()
    }

    /// The name as text, with each byte that is not valid UTF-8 replaced by
    /// U+FFFD: lossy, two names may read the same. See `Display` for a form that
    /// keeps them apart.
    pub fn to_string_lossy(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(self.as_bytes())
    }

    /// The escaped form of JSON lines, as a `Display`: like the name's own
    /// `Display`, but control characters are written as they are (a JSON
    /// writer escapes them its own way).
    pub fn json_escaped(&self) -> impl fmt::Display + '_ {
        Escaped {
            bytes: self.as_bytes(),
            controls: false,
        }
    }

    /// Whether the name is written as it is in JSON lines (valid UTF-8 without a
    /// `\`): the common case, which a writer copies without looking further.
    pub(crate) fn is_plain(&self) -> bool {
        let b = self.as_bytes();
        !b.contains(&b'\\') && (b.is_ascii() || std::str::from_utf8(b).is_ok())
    }
}

/// The text form of any name or path that reaches a text line (a namespace's
/// tag, a watched directory's file): escaped exactly as [`Name`]'s `Display`
/// escapes an interface name, so no name can end a line or forge a prefix.
///
/// ```
/// assert_eq!(nlwatch::output::text_escaped("evil\n[ns:] x").to_string(), r"evil\x0a[ns:]\x20x");
/// ```
pub fn text_escaped(text: &str) -> impl fmt::Display + '_ {
    Escaped {
        bytes: text.as_bytes(),
        controls: true,
    }
}

/// The escaped form of a name: `\` as `\\`; a byte that is not part of valid
/// UTF-8 as `\xNN`; with `controls`, also control characters and white space.
/// Injective: every `\` in the output starts an escape.
struct Escaped<'a> {
    bytes: &'a [u8],
    controls: bool,
}

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Printable ASCII but `\` and space (nearly every name) needs no
        // escape in either form: one write instead of one per character.
        if self
            .bytes
            .iter()
            .all(|&b| (0x21..0x7f).contains(&b) && b != b'\\')
        {
            if let Ok(plain) = std::str::from_utf8(self.bytes) {
                return f.write_str(plain);
            }
        }
        for chunk in self.bytes.utf8_chunks() {
            for c in chunk.valid().chars() {
                let hide = self.controls && (c.is_control() || c.is_whitespace());
                if c == '\\' {
                    f.write_str("\\\\")?;
                } else if hide && c.is_ascii() {
                    write!(f, "\\x{:02x}", c as u32)?;
                } else if hide {
                    // Wider control or space characters (U+0085, U+00A0, ...):
                    // their UTF-8 bytes, as a lone byte 0x85 or 0xa0 that is
                    // not UTF-8 would be written with one escape.
                    let mut buf = [0u8; 4];
                    for b in c.encode_utf8(&mut buf).bytes() {
                        write!(f, "\\x{b:02x}")?;
                    }
                } else {
                    fmt::Write::write_char(f, c)?;
                }
            }
            for b in chunk.invalid() {
                write!(f, "\\x{b:02x}")?;
            }
        }
        Ok(())
    }
}

impl From<&str> for Name {
    fn from(s: &str) -> Self {
        Name::new(s.as_bytes())
    }
}

impl From<&[u8]> for Name {
    fn from(b: &[u8]) -> Self {
        Name::new(b)
    }
}

impl From<String> for Name {
    fn from(s: String) -> Self {
        Name::new(s.as_bytes())
    }
}

impl PartialEq<str> for Name {
    fn eq(&self, other: &str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<[u8]> for Name {
    fn eq(&self, other: &[u8]) -> bool {
        self.as_bytes() == other
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_str() {
            Some(s) => fmt::Debug::fmt(s, f),
            None => write!(f, "b\"{}\"", self.as_bytes().escape_ascii()),
        }
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Escaped {
            bytes: self.as_bytes(),
            controls: true,
        }
        .fmt(f)
    }
}

/// Serialized as the string JSON lines write (see [`Name::json_escaped`]).
#[cfg(feature = "serde")]
impl serde::Serialize for Name {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.to_str().filter(|_| self.is_plain()) {
            Some(plain) => s.serialize_str(plain),
            None => s.collect_str(&self.json_escaped()),
        }
    }
}

/// Longest link-layer address the kernel stores (`MAX_ADDR_LEN`).
pub const MAX_ADDR_LEN: usize = 32;

/// A link-layer (hardware) address of up to 32 bytes, e.g. a 6-byte Ethernet MAC.
/// Displayed as lower-case hex bytes joined by `:`, as `ip` prints it.
///
/// ```
/// use nlwatch::objects::HwAddr;
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
    fn name_inline_and_heap() {
        let short = Name::from("veth0-alt-name");
        assert!(matches!(short.0, Repr::Inline { .. }));
        assert_eq!(short, "veth0-alt-name");
        let long_name = "x".repeat(100);
        let long = Name::from(long_name.as_str());
        assert!(matches!(long.0, Repr::Heap(_)));
        assert_eq!(long.to_str(), Some(long_name.as_str()));
    }

    #[test]
    fn names_escape_injectively() {
        // (bytes, Display (text lines), JSON form)
        let cases: [(&[u8], &str, &str); 10] = [
            (b"eth0", "eth0", "eth0"),
            (b"ev\xffil", r"ev\xffil", r"ev\xffil"),
            (br"ev\xffil", r"ev\\xffil", r"ev\\xffil"),
            (br"a\b", r"a\\b", r"a\\b"),
            (b"tab\there", r"tab\x09here", "tab\there"),
            ("caf\u{e9}".as_bytes(), "caf\u{e9}", "caf\u{e9}"),
            // A cut multi-byte sequence: each byte on its own.
            (b"\xe2\x82", r"\xe2\x82", r"\xe2\x82"),
            (b"esc\x1b[0m", r"esc\x1b[0m", "esc\x1b[0m"),
            // U+0085 (a control character) and a lone byte 0x85 differ.
            ("nel\u{85}".as_bytes(), r"nel\xc2\x85", "nel\u{85}"),
            (b"nel\x85", r"nel\x85", r"nel\x85"),
        ];
        let mut seen = std::collections::HashSet::new();
        for (bytes, text, json) in cases {
            let n = Name::new(bytes);
            assert_eq!(n.as_bytes(), bytes);
            assert_eq!(n.to_string(), text, "{n:?}");
            assert_eq!(n.json_escaped().to_string(), json, "{n:?}");
            assert!(seen.insert(n.to_string()), "{n:?} displays as another name");
        }
        assert!(Name::from("eth0").is_plain());
        assert!(!Name::new(b"a\\b").is_plain());
        assert!(!Name::new(b"\xff").is_plain());
    }

    #[test]
    fn hwaddr_limits() {
        assert!(HwAddr::new(&[0; 33]).is_none());
        let a = HwAddr::new(&[0xaa; 32]).unwrap();
        assert_eq!(a.as_bytes().len(), 32);
        assert_eq!(HwAddr::new(&[]).unwrap().to_string(), "");
    }
}
