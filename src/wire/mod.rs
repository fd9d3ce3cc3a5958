//! Zero-copy views over rtnetlink bytes.
//!
//! This module owns the byte layout of netlink: the message header walk
//! ([`Messages`]), the attribute walk ([`Attrs`], nested attributes included), one
//! view per rtnetlink family (the `*Message` types, [`LinkMessage`] and the
//! others, one variant each of [`Message`]), the requests the crate sends ([`Request`], [`Dump`]) and
//! the kernel's numbers ([`consts`]). Reading never allocates and never panics:
//! every length is checked once, when a view is made, and any byte sequence yields
//! values or a typed [`Error`].
//!
//! It depends on nothing else in the crate: it knows bytes, not objects, sockets
//! or namespaces.
//!
//! The family views are the only way to reach a message's attributes, and each one
//! starts its attribute walk after its *own* fixed header, bounded by the message's
//! own length. The two classic mistakes of hand-written netlink loops, reading an
//! `ifinfomsg` and an `ifaddrmsg` out of the same message and walking attributes with
//! the length of the whole datagram, cannot be written with this API.
//!
//! ```
//! use nlwatch::wire::{Messages, Message};
//! // An NLMSG_DONE message, as the kernel ends a dump with.
//! let bytes = [20u8, 0, 0, 0, 3, 0, 2, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
//! let mut msgs = Messages::new(&bytes);
//! let msg = msgs.next().unwrap().unwrap();
//! assert!(matches!(msg.parse(), Ok(Message::Done)));
//! assert!(msgs.next().is_none());
//! ```

/// Declares the view of one message family: a struct holding the message, its
/// fixed family header and the attributes after it, with `new_checked` (the
/// message types and the header's length checked), `message` and `attrs`. Each
/// family's module adds the accessors of its header. (Defined before the
/// modules below, which use it.)
macro_rules! family_view {
    ($(#[$doc:meta])* $view:ident, $what:literal, [$($ty:ident),+], $len:ident, $attrs:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy)]
        pub struct $view<'a> {
            msg: NlMsg<'a>,
            header: &'a [u8],
            attrs: &'a [u8],
        }

        impl<'a> $view<'a> {
            #[doc = concat!(
                "Checks the type (", $("`", stringify!($ty), "` ",)+
                ") and that the payload holds the whole header (`", stringify!($len), "`)."
            )]
            #[inline]
            pub fn new_checked(msg: NlMsg<'a>) -> Result<Self> {
                let (header, attrs) = split_family(&msg, $what, &[$($ty),+], $len)?;
                Ok($view { msg, header, attrs })
            }

            /// The message this view was made from.
            #[inline]
            pub fn message(&self) -> NlMsg<'a> {
                self.msg
            }

            #[doc = concat!("The ", $attrs, " attributes after the header.")]
            #[inline]
            pub fn attrs(&self) -> Attrs<'a> {
                Attrs::new(self.attrs)
            }
        }
    };
}

mod attr;
/// The kernel's constants the views and the library use (`linux/rtnetlink.h`,
/// `linux/if_link.h`, ...). Not part of the library's interface: they follow
/// the kernel's headers and may change in any release; take them from a crate
/// made for them (`libc`, `netlink-packet-route`).
#[doc(hidden)]
pub mod consts;
mod request;

pub use attr::{Attr, Attrs};
pub use request::{Dump, Request};

/// The rtnetlink message families this crate has a view for: one line each,
/// `Variant(module::View) [NEW_TYPE, DEL_TYPE];`. The family's module (its
/// view, declared with [`family_view!`], and what its attributes hold) is
/// declared and re-exported from here, and [`Message`] and
/// [`NlMsg::parse`] are generated from the list, so a new family is its
/// module, its line here and its constants.
macro_rules! families {
    ($($variant:ident($module:ident::$view:ident) [$new:ident, $del:ident];)*) => {
        $(
            mod $module;
            pub use $module::*;
        )*

        /// A netlink message interpreted by its type.
        #[derive(Debug, Clone, Copy)]
        #[non_exhaustive]
        pub enum Message<'a> {
            /// `NLMSG_NOOP`: to be ignored.
            Noop,
            /// `NLMSG_DONE`: the end of a multipart answer.
            Done,
            /// `NLMSG_OVERRUN`: data was lost (the kernel does not send it today; handled anyway).
            Overrun,
            /// `NLMSG_ERROR`: an error answer, or an acknowledgement when the error is 0.
            Error(ErrorMessage<'a>),
            $(
                #[doc = concat!("`", stringify!($new), "` / `", stringify!($del), "`.")]
                $variant($view<'a>),
            )*
            /// Any other type, passed through untouched.
            Other(NlMsg<'a>),
        }

        impl<'a> NlMsg<'a> {
            /// Interprets the message by its type. Types this crate has no view for come
            /// back as [`Message::Other`], never as an error.
            #[inline]
            pub fn parse(&self) -> Result<Message<'a>> {
                use consts::*;
                Ok(match self.kind() {
                    NLMSG_NOOP => Message::Noop,
                    NLMSG_DONE => Message::Done,
                    NLMSG_OVERRUN => Message::Overrun,
                    NLMSG_ERROR => Message::Error(ErrorMessage::new_checked(*self)?),
                    $($new | $del => Message::$variant($view::new_checked(*self)?),)*
                    _ => Message::Other(*self),
                })
            }
        }
    };
}

families! {
    Link(link::LinkMessage) [RTM_NEWLINK, RTM_DELLINK];
    Address(addr::AddressMessage) [RTM_NEWADDR, RTM_DELADDR];
    Route(route::RouteMessage) [RTM_NEWROUTE, RTM_DELROUTE];
    Neighbour(neigh::NeighbourMessage) [RTM_NEWNEIGH, RTM_DELNEIGH];
    Netconf(netconf::NetconfMessage) [RTM_NEWNETCONF, RTM_DELNETCONF];
    Mdb(mdb::MdbMessage) [RTM_NEWMDB, RTM_DELMDB];
    Nexthop(nexthop::NexthopMessage) [RTM_NEWNEXTHOP, RTM_DELNEXTHOP];
    Rule(rule::RuleMessage) [RTM_NEWRULE, RTM_DELRULE];
    Nsid(nsid::NsidMessage) [RTM_NEWNSID, RTM_DELNSID];
}

use std::fmt;

/// Rounds `len` up to the netlink alignment of 4 bytes (`NLMSG_ALIGN`, `NLA_ALIGN`).
#[inline]
pub const fn align(len: usize) -> usize {
    (len + 3) & !3
}

/// Why a run of bytes could not be read as netlink.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The bytes end before a structure that must be there: `need` bytes were
    /// required, only `have` were left.
    Truncated {
        /// What was being read.
        what: &'static str,
        /// Bytes required.
        need: usize,
        /// Bytes available.
        have: usize,
    },
    /// A length field is smaller than the header it belongs to.
    BadLength {
        /// What was being read.
        what: &'static str,
        /// The length the field claimed.
        len: usize,
    },
    /// A view was asked of a message of another type.
    WrongType {
        /// The view that was asked for.
        want: &'static str,
        /// The `nlmsg_type` found.
        found: u16,
    },
    /// An attribute payload has the wrong size for its declared type.
    BadAttribute {
        /// Attribute type.
        kind: u16,
        /// Payload length found.
        len: usize,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::Truncated { what, need, have } => {
                write!(f, "truncated {what}: need {need} bytes, have {have}")
            }
            Error::BadLength { what, len } => write!(f, "{what} claims impossible length {len}"),
            Error::WrongType { want, found } => {
                write!(f, "expected a {want} message, found nlmsg_type {found}")
            }
            Error::BadAttribute { kind, len } => {
                write!(
                    f,
                    "attribute type {kind} has unexpected payload length {len}"
                )
            }
        }
    }
}

impl std::error::Error for Error {}

/// Result type of the wire module.
pub type Result<T> = std::result::Result<T, Error>;

mod field {
    //! Offsets inside `struct nlmsghdr` (read here, written by `request`).
    use std::ops::Range;
    pub(super) const LEN: Range<usize> = 0..4;
    pub(super) const TYPE: Range<usize> = 4..6;
    pub(super) const FLAGS: Range<usize> = 6..8;
    pub(super) const SEQ: Range<usize> = 8..12;
    pub(super) const PID: Range<usize> = 12..16;
    pub(super) const HEADER_LEN: usize = 16;
}

/// Reads a native-endian `u16` at `at`; the caller has checked the bounds.
#[inline]
pub(crate) fn ne_u16(b: &[u8], at: usize) -> u16 {
    u16::from_ne_bytes([b[at], b[at + 1]])
}

/// Reads a native-endian `u32` at `at`; the caller has checked the bounds.
#[inline]
pub(crate) fn ne_u32(b: &[u8], at: usize) -> u32 {
    u32::from_ne_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Checks that `bytes` holds at least `need` bytes.
#[inline]
pub(crate) fn check_len(what: &'static str, bytes: &[u8], need: usize) -> Result<()> {
    if bytes.len() < need {
        Err(Error::Truncated {
            what,
            need,
            have: bytes.len(),
        })
    } else {
        Ok(())
    }
}

/// The header of the first message of a datagram, read without its payload:
/// all that is left of a datagram the receive buffer truncated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// `nlmsg_len`, as claimed (more than the bytes at hand when truncated).
    pub len: u32,
    /// `nlmsg_type`.
    pub kind: u16,
    /// `nlmsg_flags`.
    pub flags: u16,
    /// `nlmsg_seq`.
    pub seq: u32,
    /// `nlmsg_pid`.
    pub portid: u32,
}

impl Header {
    /// The first 16 bytes of `bytes` as a header; `None` when fewer are there.
    /// Unlike [`NlMsg::new_checked`], the length it claims is not checked.
    ///
    /// ```
    /// let bytes = [200u8, 0, 0, 0, 16, 0, 2, 0, 7, 0, 0, 0, 9, 0, 0, 0];
    /// let h = nlwatch::wire::Header::peek(&bytes).unwrap();
    /// assert_eq!((h.len, h.kind, h.seq, h.portid), (200, 16, 7, 9));
    /// ```
    pub fn peek(bytes: &[u8]) -> Option<Header> {
        check_len("nlmsghdr", bytes, field::HEADER_LEN).ok()?;
        Some(Header {
            len: ne_u32(bytes, field::LEN.start),
            kind: ne_u16(bytes, field::TYPE.start),
            flags: ne_u16(bytes, field::FLAGS.start),
            seq: ne_u32(bytes, field::SEQ.start),
            portid: ne_u32(bytes, field::PID.start),
        })
    }
}

/// One netlink message: its header fields and its payload, bounded by `nlmsg_len`.
#[derive(Clone, Copy)]
pub struct NlMsg<'a> {
    bytes: &'a [u8],
}

impl<'a> NlMsg<'a> {
    /// Views `bytes` as one netlink message, checking that the header is complete
    /// and that `nlmsg_len` lies between the header size and `bytes.len()`.
    /// Bytes past `nlmsg_len` are ignored.
    #[inline]
    pub fn new_checked(bytes: &'a [u8]) -> Result<Self> {
        check_len("nlmsghdr", bytes, field::HEADER_LEN)?;
        let len = ne_u32(bytes, field::LEN.start) as usize;
        if len < field::HEADER_LEN {
            return Err(Error::BadLength {
                what: "nlmsghdr",
                len,
            });
        }
        check_len("netlink message", bytes, len)?;
        Ok(NlMsg {
            bytes: &bytes[..len],
        })
    }

    /// `nlmsg_len`: the length of header and payload, unpadded.
    #[inline]
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Always false: a checked message holds at least its header.
    #[inline]
    pub fn is_empty(&self) -> bool {
        false
    }

    /// `nlmsg_type`.
    #[inline]
    pub fn kind(&self) -> u16 {
        ne_u16(self.bytes, field::TYPE.start)
    }

    /// `nlmsg_flags`.
    #[inline]
    pub fn flags(&self) -> u16 {
        ne_u16(self.bytes, field::FLAGS.start)
    }

    /// `nlmsg_seq`: the sequence number of the request this answers, 0 for notifications.
    #[inline]
    pub fn seq(&self) -> u32 {
        ne_u32(self.bytes, field::SEQ.start)
    }

    /// `nlmsg_pid`: the port id of the request's sender, 0 for notifications.
    #[inline]
    pub fn portid(&self) -> u32 {
        ne_u32(self.bytes, field::PID.start)
    }

    /// `NLM_F_MULTI`: part of a multipart answer (a dump) that ends with `NLMSG_DONE`.
    #[inline]
    pub fn is_multi(&self) -> bool {
        self.flags() & consts::NLM_F_MULTI != 0
    }

    /// `NLM_F_DUMP_INTR`: the dump this belongs to was interrupted by a change and is
    /// inconsistent; it should be retried.
    #[inline]
    pub fn is_dump_interrupted(&self) -> bool {
        self.flags() & consts::NLM_F_DUMP_INTR != 0
    }

    /// The payload after the header, `nlmsg_len - 16` bytes.
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        &self.bytes[field::HEADER_LEN..]
    }

    /// The whole message, header included.
    #[inline]
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }
    // `parse`: generated with `Message` from the list of families (`families!`).
}

impl fmt::Debug for NlMsg<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NlMsg")
            .field("len", &self.len())
            .field("kind", &self.kind())
            .field("flags", &format_args!("{:#x}", self.flags()))
            .field("seq", &self.seq())
            .field("portid", &self.portid())
            .finish()
    }
}

/// `NLMSG_ERROR`: `struct nlmsgerr` (an `int error` and the header of the request).
#[derive(Debug, Clone, Copy)]
pub struct ErrorMessage<'a> {
    msg: NlMsg<'a>,
}

impl<'a> ErrorMessage<'a> {
    /// Checks that the payload holds at least the error code.
    #[inline]
    pub fn new_checked(msg: NlMsg<'a>) -> Result<Self> {
        if msg.kind() != consts::NLMSG_ERROR {
            return Err(Error::WrongType {
                want: "NLMSG_ERROR",
                found: msg.kind(),
            });
        }
        check_len("nlmsgerr", msg.payload(), 4)?;
        Ok(ErrorMessage { msg })
    }

    /// The error as the kernel sends it: 0 for an acknowledgement, else a negative errno.
    #[inline]
    pub fn code(&self) -> i32 {
        ne_u32(self.msg.payload(), 0) as i32
    }

    /// True when this is an acknowledgement (error code 0).
    #[inline]
    pub fn is_ack(&self) -> bool {
        self.code() == 0
    }

    /// The positive errno, if this is an error: the kernel sends `-errno`. A
    /// positive code is not one the kernel sends (found by fuzzing: it used to
    /// come out as a negative "errno"); it is returned as it is, so the promise
    /// of a positive value holds.
    #[inline]
    pub fn errno(&self) -> Option<i32> {
        match self.code() {
            0 => None,
            c if c > 0 => Some(c),
            c => Some(c.checked_neg().unwrap_or(i32::MAX)),
        }
    }

    /// `nlmsg_type` of the request this answers, when the kernel included its header.
    #[inline]
    pub fn request_kind(&self) -> Option<u16> {
        let rest = &self.msg.payload()[4..];
        (rest.len() >= field::HEADER_LEN).then(|| ne_u16(rest, field::TYPE.start))
    }

    /// `nlmsg_seq` of the request this answers, when the kernel included its header.
    #[inline]
    pub fn request_seq(&self) -> Option<u32> {
        let rest = &self.msg.payload()[4..];
        (rest.len() >= field::HEADER_LEN).then(|| ne_u32(rest, field::SEQ.start))
    }

    /// The message this was parsed from.
    #[inline]
    pub fn message(&self) -> NlMsg<'a> {
        self.msg
    }
}

/// Iterator over the netlink messages of one datagram.
///
/// Yields `Err` once, for the first malformed header, and then stops: after a bad
/// length nothing that follows can be trusted to be aligned.
#[derive(Debug, Clone)]
pub struct Messages<'a> {
    rest: &'a [u8],
}

impl<'a> Messages<'a> {
    /// Starts at the beginning of `datagram`.
    #[inline]
    pub fn new(datagram: &'a [u8]) -> Self {
        Messages { rest: datagram }
    }
}

impl<'a> Iterator for Messages<'a> {
    type Item = Result<NlMsg<'a>>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        match NlMsg::new_checked(self.rest) {
            Ok(msg) => {
                let step = align(msg.len()).min(self.rest.len());
                self.rest = &self.rest[step..];
                Some(Ok(msg))
            }
            Err(e) => {
                self.rest = &[];
                Some(Err(e))
            }
        }
    }
}

impl std::iter::FusedIterator for Messages<'_> {}

/// Checks that `msg` is one of `types` and that its payload holds `header_len` bytes
/// of fixed header; returns the fixed header and the attribute bytes after it.
#[inline]
pub(crate) fn split_family<'a>(
    msg: &NlMsg<'a>,
    want: &'static str,
    types: &[u16],
    header_len: usize,
) -> Result<(&'a [u8], &'a [u8])> {
    if !types.contains(&msg.kind()) {
        return Err(Error::WrongType {
            want,
            found: msg.kind(),
        });
    }
    let payload = msg.payload();
    check_len(want, payload, header_len)?;
    let attrs_at = align(header_len).min(payload.len());
    Ok((&payload[..header_len], &payload[attrs_at..]))
}
