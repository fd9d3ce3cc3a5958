//! Requests to the kernel, built as bytes: the one place in the crate that writes
//! a netlink header.
//!
//! A request is a header, the fixed family header its type expects (`ifinfomsg`,
//! `rtmsg`, ...) and attributes, each padded to 4 bytes. [`Request`] writes them in
//! that order and keeps `nlmsg_len` right, so no caller counts offsets by hand.
//! It never sends anything: the socket code sends [`Request::as_bytes`].
//!
//! ```
//! use nlwatch::wire::{consts::*, Message, Messages, Request};
//! // "Set lo's MTU to 9000", as `ip link set lo mtu 9000` asks for it.
//! let mut ifinfomsg = [0u8; IFINFOMSG_LEN];
//! ifinfomsg[4..8].copy_from_slice(&1i32.to_ne_bytes()); // ifi_index
//! let req = Request::new(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, 7)
//!     .family_header(&ifinfomsg)
//!     .attr(IFLA_MTU, &9000u32.to_ne_bytes());
//! let msg = Messages::new(req.as_bytes()).next().unwrap().unwrap();
//! assert_eq!((msg.kind(), msg.seq(), msg.len()), (RTM_NEWLINK, 7, 16 + 16 + 8));
//! let Ok(Message::Link(link)) = msg.parse() else { panic!() };
//! assert_eq!(link.index(), 1);
//! assert_eq!(link.attrs().next().unwrap().unwrap().u32(), Ok(9000));
//! ```

use super::align;
use super::consts::{NLA_HDRLEN, NLM_F_DUMP, NLM_F_REQUEST};
use super::field;

/// A dump request: the message type that asks for every object of a kind, the
/// length of the family header that type expects, and the family asked for (the
/// header's first byte; the rest is sent zeroed). `AF_UNSPEC` asks for every
/// family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dump {
    /// `RTM_GET*`.
    pub msg_type: u16,
    /// `sizeof` the family header (`struct ifinfomsg`, `struct rtmsg`, ...).
    pub header_len: usize,
    /// The address family asked for (`AF_UNSPEC`: all; `AF_BRIDGE` for the
    /// bridge forwarding database).
    pub family: u8,
}

impl Dump {
    /// The request asking for this dump, answered with sequence number `seq`.
    pub fn request(&self, seq: u32) -> Request {
        let mut header = vec![0u8; self.header_len];
        if let Some(first) = header.first_mut() {
            *first = self.family;
        }
        Request::new(self.msg_type, NLM_F_REQUEST | NLM_F_DUMP, seq).family_header(&header)
    }
}

/// One netlink request message under construction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    bytes: Vec<u8>,
}

impl Request {
    /// A message of type `msg_type` with `flags` (`NLM_F_*`) and sequence number
    /// `seq`; the port id is left 0 (the kernel fills in the sender's).
    pub fn new(msg_type: u16, flags: u16, seq: u32) -> Self {
        let mut bytes = vec![0u8; field::HEADER_LEN];
        bytes[field::TYPE].copy_from_slice(&msg_type.to_ne_bytes());
        bytes[field::FLAGS].copy_from_slice(&flags.to_ne_bytes());
        bytes[field::SEQ].copy_from_slice(&seq.to_ne_bytes());
        let mut req = Request { bytes };
        req.set_len();
        req
    }

    /// Appends the fixed family header (e.g. a `struct ifinfomsg`), padded to 4.
    pub fn family_header(mut self, header: &[u8]) -> Self {
        self.put(header);
        self
    }

    /// Appends one attribute of type `kind` with `payload`, padded to 4. Payloads
    /// longer than an attribute can carry (65,531 bytes) are cut there.
    pub fn attr(mut self, kind: u16, payload: &[u8]) -> Self {
        let payload = &payload[..payload.len().min(usize::from(u16::MAX) - NLA_HDRLEN)];
        let len = (payload.len() + NLA_HDRLEN) as u16;
        self.bytes.extend_from_slice(&len.to_ne_bytes());
        self.bytes.extend_from_slice(&kind.to_ne_bytes());
        self.put(payload);
        self
    }

    /// The message, ready to send.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    fn put(&mut self, bytes: &[u8]) {
        self.bytes.extend_from_slice(bytes);
        self.bytes.resize(align(self.bytes.len()), 0);
        self.set_len();
    }

    fn set_len(&mut self) {
        let len = self.bytes.len() as u32;
        self.bytes[field::LEN].copy_from_slice(&len.to_ne_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::consts::*;
    use crate::wire::NlMsg;

    #[test]
    fn a_dump_request_is_header_and_zeroed_family_header() {
        let req = Dump {
            msg_type: RTM_GETROUTE,
            header_len: RTMSG_LEN,
            family: AF_UNSPEC,
        }
        .request(9);
        let bytes = req.as_bytes();
        assert_eq!(bytes.len(), 16 + RTMSG_LEN);
        let msg = NlMsg::new_checked(bytes).unwrap();
        assert_eq!(msg.kind(), RTM_GETROUTE);
        assert_eq!(msg.flags(), NLM_F_REQUEST | NLM_F_DUMP);
        assert_eq!(msg.seq(), 9);
        assert_eq!(msg.portid(), 0);
        assert!(msg.payload().iter().all(|&b| b == 0));
        // A family asked for is the family header's first byte.
        let req = Dump {
            msg_type: RTM_GETNEIGH,
            header_len: NDMSG_LEN,
            family: AF_BRIDGE,
        }
        .request(1);
        let payload = NlMsg::new_checked(req.as_bytes())
            .unwrap()
            .payload()
            .to_vec();
        assert_eq!(payload[0], AF_BRIDGE);
        assert!(payload[1..].iter().all(|&b| b == 0));
    }

    #[test]
    fn attributes_are_padded_and_counted() {
        let req = Request::new(RTM_NEWLINK, NLM_F_REQUEST, 1)
            .family_header(&[0u8; IFINFOMSG_LEN])
            .attr(IFLA_IFNAME, b"ab\0")
            .attr(IFLA_MTU, &1500u32.to_ne_bytes());
        // 16 + 16 + (4 + 3, padded to 8) + 8.
        assert_eq!(req.as_bytes().len(), 48);
        let msg = NlMsg::new_checked(req.as_bytes()).unwrap();
        assert_eq!(msg.len(), 48);
        let crate::wire::Message::Link(link) = msg.parse().unwrap() else {
            panic!("not a link message")
        };
        let attrs: Vec<_> = link.attrs().map(|a| a.unwrap()).collect();
        assert_eq!(attrs.len(), 2);
        assert_eq!(attrs[0].str(), Ok("ab"));
        assert_eq!(attrs[1].u32(), Ok(1500));
    }
}
