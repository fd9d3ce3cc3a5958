//! Recordings: what the kernel sent to the watched sockets, kept as pcapng that
//! Wireshark and tshark read as netlink, and read back for a replay.
//!
//! - `record`: [`Recorder`], which the readers hand every datagram they receive
//!   (and every overrun, arrival and departure) to be written as it arrives;
//! - `read`: [`Records`](read::Records), which reads a recording (ours, a
//!   tcpdump capture on `nlmon`, pcapng or classic pcap) back as a sequence of
//!   [`Record`](read::Record)s. Replaying them through the pipeline is
//!   `watch::replay`'s work.
//!
//! This module knows the file format and nothing of what the datagrams mean: it
//! never decodes a netlink message.
//!
//! # The file
//!
//! A pcapng file in the recording host's byte order (netlink is in host byte
//! order, so a replay needs a host of the same byte order):
//!
//! - a Section Header Block, `shb_userappl` "nlwatch VERSION";
//! - an Interface Description Block per namespace, when it is added: link type
//!   `LINKTYPE_NETLINK` (253), `if_name` the namespace's name as events name it
//!   (`""` for the namespace nlwatch started in), `if_tsresol` 9 (nanoseconds),
//!   and `if_description` `netns_cookie=ID portid=PORT objects=KIND,KIND,...`:
//!   the namespace's id, the socket's netlink port and the kinds watched (which
//!   the replay needs to tell the dump answers from notifications as the live
//!   reader did);
//! - an Enhanced Packet Block per datagram: the 16-byte Linux cooked header
//!   Wireshark's netlink dissector expects ([`cooked_header`]), then the
//!   datagram as received; the timestamp is the receive time, shared by the
//!   datagrams read together; the original length is the datagram's length
//!   (more than what was captured when the receive buffer truncated it);
//! - Interface Statistics Blocks for what the kernel said without a datagram,
//!   which Wireshark reads as statistics and never shows as frames: one with
//!   `isb_starttime` when the namespace begins to be watched, one whose
//!   `isb_osdrop` (overruns so far) grew by one at each overrun (`ENOBUFS`),
//!   one with `isb_endtime` when it stops being watched, its reason in the
//!   comment (`nlwatch: namespace gone: removed`), and one with only a comment
//!   when the reader found the socket empty while a dump whose end a truncated
//!   datagram lost was waiting for it (the datagrams cannot tell a replay
//!   when a live socket was empty). Each carries a comment saying what it
//!   records.

mod read;
mod record;

pub(crate) use read::{Record, Records, Source};
pub use read::{ReplayCounters, ReplayError};
pub(crate) use record::Tap;
pub use record::{Recorder, RecordingCounters, RecordingError};

use std::time::{Duration, SystemTime};

/// `LINKTYPE_NETLINK`: netlink messages after a Linux cooked header.
pub(crate) const LINKTYPE_NETLINK: u16 = 253;
/// `LINKTYPE_LINUX_SLL`: Linux cooked capture (v1), 16-byte header.
pub(crate) const LINKTYPE_LINUX_SLL: u16 = 113;
/// `LINKTYPE_LINUX_SLL2`: Linux cooked capture v2 (`tcpdump -i any`), 20 bytes.
pub(crate) const LINKTYPE_LINUX_SLL2: u16 = 276;
/// `ARPHRD_NETLINK`: the hardware type of a netlink frame's cooked header.
pub(crate) const ARPHRD_NETLINK: u16 = 824;
/// `NETLINK_ROUTE`: the netlink family, in the cooked header's protocol field.
pub(crate) const NETLINK_ROUTE: u16 = 0;
/// `PACKET_OUTGOING`, what tcpdump's frames captured on `nlmon` carry.
const PACKET_OUTGOING: u16 = 4;
/// Length of the Linux cooked header before each datagram.
pub(crate) const COOKED_LEN: usize = 16;

/// The Linux cooked header (`LINKTYPE_LINUX_SLL` layout, big-endian) that
/// precedes each datagram: packet type, `ARPHRD_NETLINK` at bytes 2-3, no
/// address, and the netlink family `NETLINK_ROUTE` at bytes 14-15.
pub(crate) fn cooked_header() -> [u8; COOKED_LEN] {
    let mut h = [0u8; COOKED_LEN];
    h[0..2].copy_from_slice(&PACKET_OUTGOING.to_be_bytes());
    h[2..4].copy_from_slice(&ARPHRD_NETLINK.to_be_bytes());
    h[14..16].copy_from_slice(&NETLINK_ROUTE.to_be_bytes());
    h
}

/// Nanoseconds since the Unix epoch (0 before it, saturated far after it).
pub(crate) fn nanos(time: SystemTime) -> u64 {
    time.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// The time `nanos` nanoseconds after the Unix epoch.
pub(crate) fn time_of(nanos: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_nanos(nanos)
}

/// A pcapng 64-bit timestamp as `pcap-file` 2.0 reads and writes the `u64`
/// of an Interface Statistics Block and of its time options: as one integer in
/// the section's byte order, where the format has the high 32 bits first,
/// then the low 32 bits, each in that byte order. On a little-endian host the
/// halves are swapped so that the bytes come out as the format (and Wireshark)
/// has them (`read` reads the two halves itself).
pub(crate) fn isb_time(nanos: u64) -> u64 {
    if cfg!(target_endian = "little") {
        nanos.rotate_left(32)
    } else {
        nanos
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cooked_header_is_what_wiresharks_dissector_reads() {
        let h = cooked_header();
        assert_eq!(u16::from_be_bytes([h[2], h[3]]), 824);
        assert_eq!(u16::from_be_bytes([h[14], h[15]]), 0);
    }

    #[test]
    fn isb_times_come_out_high_half_first() {
        let t = 0x0102_0304_0506_0708u64;
        let bytes = if cfg!(target_endian = "little") {
            isb_time(t).to_le_bytes()
        } else {
            isb_time(t).to_be_bytes()
        };
        let native = |b: [u8; 4]| u32::from_ne_bytes(b);
        assert_eq!(native(bytes[0..4].try_into().unwrap()), 0x0102_0304);
        assert_eq!(native(bytes[4..8].try_into().unwrap()), 0x0506_0708);
        assert_eq!(isb_time(isb_time(t)), t);
    }
}
