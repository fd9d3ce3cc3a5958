//! [`Records`]: a recording read back, block by block, as [`Record`]s: the
//! namespaces it describes, their datagrams, overruns, arrivals and departures.
//!
//! It reads nlwatch's own recordings (see the module above), and netlink captured
//! by other means (tcpdump on an `nlmon` device: pcapng or classic pcap, link
//! type `LINKTYPE_NETLINK`, or Linux cooked capture of `ARPHRD_NETLINK` frames),
//! whose frames become the datagrams of one [`Source::Foreign`] namespace.
//! Frames of other families or link types are counted and skipped. A file cut
//! short, or a malformed block, ends the records with an error after the last
//! whole block; nothing here panics on any bytes.
//!
//! It never decodes a netlink message.

use super::{
    isb_time, time_of, ARPHRD_NETLINK, COOKED_LEN, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2,
    LINKTYPE_NETLINK, NETLINK_ROUTE,
};
use crate::bus::GoneReason;
use crate::object::{NetnsTag, ObjectKind};
use pcap_file::pcap::PcapReader;
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};
use pcap_file::pcapng::blocks::interface_statistics::{
    InterfaceStatisticsBlock, InterfaceStatisticsOption,
};
use pcap_file::pcapng::{Block, PcapNgReader};
use pcap_file::{Endianness, PcapError};
use std::collections::VecDeque;
use std::fmt;
use std::io::{self, Read};
use std::sync::Arc;
use std::time::SystemTime;

/// Why a replay could not read its recording (to the end).
#[derive(Debug)]
#[non_exhaustive]
pub enum ReplayError {
    /// The input is not a pcap or pcapng file.
    NotACapture,
    /// The file ends in the middle of a block (a recorder killed while writing,
    /// or a file cut short): what came before was replayed.
    Truncated {
        /// Datagrams replayed before the cut.
        datagrams: u64,
    },
    /// A block is malformed: what came before was replayed.
    Malformed {
        /// Datagrams replayed before it.
        datagrams: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// The file was written on a host of the other byte order: netlink
    /// messages are in their host's byte order and cannot be read here.
    ByteOrder,
    /// A classic pcap file whose link type is not netlink.
    NotNetlink {
        /// Its link type.
        linktype: u32,
    },
    /// Reading the input failed.
    Io(io::Error),
}

impl fmt::Display for ReplayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReplayError::NotACapture => write!(f, "not a pcap or pcapng file"),
            ReplayError::Truncated { datagrams } => write!(
                f,
                "the file ends in the middle of a block: replayed up to the last whole \
                 block ({datagrams} datagrams)"
            ),
            ReplayError::Malformed { datagrams, reason } => write!(
                f,
                "malformed block after {datagrams} datagrams ({reason}): replayed up to it"
            ),
            ReplayError::ByteOrder => write!(
                f,
                "recorded on a host of the other byte order: its netlink messages cannot be read here"
            ),
            ReplayError::NotNetlink { linktype } => write!(
                f,
                "link type {linktype} is not netlink (253, or Linux cooked capture of netlink)"
            ),
            ReplayError::Io(e) => write!(f, "cannot read the recording: {e}"),
        }
    }
}

impl std::error::Error for ReplayError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ReplayError::Io(e) => Some(e),
            _ => None,
        }
    }
}

/// What a replay read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReplayStats {
    /// Namespaces replayed.
    pub namespaces: u64,
    /// Datagrams replayed.
    pub datagrams: u64,
    /// Overruns replayed.
    pub overruns: u64,
    /// Frames skipped: not netlink route, or copies of the frame before (a
    /// capture on `nlmon` holds a notification once per listening socket).
    pub skipped: u64,
    /// Events published.
    pub events: u64,
}

/// What produced an interface's frames.
#[derive(Debug, Clone)]
pub(crate) enum Source {
    /// A namespace nlwatch recorded.
    Namespace {
        tag: NetnsTag,
        portid: u32,
        kinds: Vec<ObjectKind>,
    },
    /// Netlink captured by other means: notifications, of one namespace.
    Foreign,
    /// Not netlink: its frames are skipped.
    Other,
}

/// One thing a recording says, in file order.
#[derive(Debug)]
pub(crate) enum Record<'a> {
    /// An interface (a namespace, for nlwatch's recordings) is described.
    Interface { id: u32, source: Source },
    /// Its namespace began to be watched.
    Watched { id: u32, time: SystemTime },
    /// A datagram its socket received: `bytes` as captured, `original_len` its
    /// length (more when the receive buffer truncated it).
    Datagram {
        id: u32,
        time: SystemTime,
        bytes: &'a [u8],
        original_len: usize,
    },
    /// The kernel reported lost notifications.
    Overrun { id: u32, time: SystemTime },
    /// The socket was found empty while a dump whose end was lost was waiting
    /// for it: that dump is over.
    DumpEnded { id: u32, time: SystemTime },
    /// Its namespace stopped being watched.
    Gone {
        id: u32,
        time: SystemTime,
        reason: GoneReason,
    },
}

/// A record decided but not returned yet; a datagram's bytes are in
/// `Records::frame`.
#[derive(Debug)]
enum Pending {
    Interface {
        id: u32,
        source: Source,
    },
    Watched {
        id: u32,
        time: SystemTime,
    },
    Datagram {
        id: u32,
        time: SystemTime,
        original_len: usize,
    },
    Overrun {
        id: u32,
        time: SystemTime,
    },
    DumpEnded {
        id: u32,
        time: SystemTime,
    },
    Gone {
        id: u32,
        time: SystemTime,
        reason: GoneReason,
    },
}

/// Where an interface's netlink message starts in its frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    /// After a 16-byte cooked header (`LINKTYPE_NETLINK`, `LINKTYPE_LINUX_SLL`).
    Cooked,
    /// After a 20-byte cooked header, v2 (`tcpdump -i any`).
    Cooked2,
    /// Not netlink.
    None,
}

impl Framing {
    fn of(linktype: u32) -> Framing {
        match u16::try_from(linktype) {
            Ok(LINKTYPE_NETLINK | LINKTYPE_LINUX_SLL) => Framing::Cooked,
            Ok(LINKTYPE_LINUX_SLL2) => Framing::Cooked2,
            _ => Framing::None,
        }
    }

    /// The netlink route datagram in `frame`, or `None` when the frame is not
    /// one (another hardware type, another netlink family, too short).
    fn datagram(self, frame: &[u8]) -> Option<&[u8]> {
        let be = |at: usize| Some(u16::from_be_bytes([*frame.get(at)?, *frame.get(at + 1)?]));
        let (hatype, family, len) = match self {
            Framing::Cooked => (be(2)?, be(14)?, COOKED_LEN),
            Framing::Cooked2 => (be(8)?, be(0)?, 20),
            Framing::None => return None,
        };
        (hatype == ARPHRD_NETLINK && family == NETLINK_ROUTE).then(|| &frame[len..])
    }

    fn header_len(self) -> usize {
        match self {
            Framing::Cooked2 => 20,
            _ => COOKED_LEN,
        }
    }
}

#[derive(Debug)]
struct Interface {
    framing: Framing,
    /// nlwatch's (its statistics blocks tell overruns and departures).
    ours: bool,
    /// Timestamp units: nanoseconds = raw * `mul` / `div`.
    mul: u64,
    div: u64,
    /// `isb_osdrop` so far.
    drops: u64,
}

impl Interface {
    fn foreign(framing: Framing) -> Interface {
        Interface {
            framing,
            ours: false,
            mul: 1,
            div: 1,
            drops: 0,
        }
    }

    /// The time of a raw timestamp in this interface's units (pcap-file 2.0
    /// hands them over as if they were nanoseconds).
    fn time(&self, raw: u64) -> SystemTime {
        let nanos = u128::from(raw) * u128::from(self.mul) / u128::from(self.div.max(1));
        time_of(u64::try_from(nanos).unwrap_or(u64::MAX))
    }
}

enum Format<R: Read> {
    PcapNg(Box<PcapNgReader<R>>),
    Pcap(Box<PcapReader<R>>),
}

/// A recording read block by block: a lending iterator (each record borrows
/// the reader until the next call).
pub(crate) struct Records<R: Read> {
    format: Format<R>,
    state: State,
    done: bool,
    /// Datagrams returned so far.
    pub(crate) datagrams: u64,
}

/// What `Records` keeps between blocks (apart from the reader, which the block
/// being read borrows).
struct State {
    /// Interfaces of all sections so far; the current section's ids start at
    /// `base` (ids are unique across sections).
    interfaces: Vec<Interface>,
    base: u32,
    pending: VecDeque<Pending>,
    /// The datagram of the pending `Datagram`.
    frame: Vec<u8>,
    /// The last frame of a foreign interface kept, and its time: a capture on
    /// `nlmon` holds a notification once per socket it was delivered to, one
    /// right after the other.
    last_foreign: (Vec<u8>, SystemTime),
    /// Frames skipped.
    skipped: u64,
}

/// A pcapng file starts with this block type (the same bytes either way round).
const PCAPNG_MAGIC: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];
/// Frames of a foreign capture equal to the one before and this close in time
/// are copies delivered to other sockets.
const COPY_WITHIN: std::time::Duration = std::time::Duration::from_millis(1);

/// The input, with the four bytes read to tell its format put back in front.
pub(crate) type Input<R> = io::Chain<io::Cursor<[u8; 4]>, R>;

impl<R: Read> Records<Input<R>> {
    /// Reads the file's header: `NotACapture` when it is neither pcapng nor pcap.
    pub(crate) fn new(mut input: R) -> Result<Self, ReplayError> {
        let mut magic = [0u8; 4];
        let mut got = 0;
        while got < 4 {
            match input.read(&mut magic[got..]) {
                Ok(0) => return Err(ReplayError::NotACapture),
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(ReplayError::Io(e)),
            }
        }
        let whole = io::Cursor::new(magic).chain(input);
        let mut interfaces = Vec::new();
        let mut pending = VecDeque::new();
        let format = if magic == PCAPNG_MAGIC {
            let reader = PcapNgReader::new(whole).map_err(start_error)?;
            if reader.section().endianness != native() {
                return Err(ReplayError::ByteOrder);
            }
            Format::PcapNg(Box::new(reader))
        } else if [0xa1b2_c3d4, 0xd4c3_b2a1, 0xa1b2_3c4d, 0x4d3c_b2a1]
            .contains(&u32::from_le_bytes(magic))
        {
            let reader = PcapReader::new(whole).map_err(start_error)?;
            let header = reader.header();
            if header.endianness != native() {
                return Err(ReplayError::ByteOrder);
            }
            let linktype = u32::from(header.datalink);
            let framing = Framing::of(linktype);
            if framing == Framing::None {
                return Err(ReplayError::NotNetlink { linktype });
            }
            interfaces.push(Interface::foreign(framing));
            pending.push_back(Pending::Interface {
                id: 0,
                source: Source::Foreign,
            });
            Format::Pcap(Box::new(reader))
        } else {
            return Err(ReplayError::NotACapture);
        };
        Ok(Records {
            format,
            state: State {
                interfaces,
                base: 0,
                pending,
                frame: Vec::new(),
                last_foreign: (Vec::new(), SystemTime::UNIX_EPOCH),
                skipped: 0,
            },
            done: false,
            datagrams: 0,
        })
    }
}

impl<R: Read> Records<R> {
    /// The next record; `None` at the end of the file, or after an error.
    pub(crate) fn next(&mut self) -> Option<Result<Record<'_>, ReplayError>> {
        while self.state.pending.is_empty() {
            if self.done {
                return None;
            }
            if let Err(e) = self.read_block() {
                self.done = true;
                return Some(Err(e));
            }
        }
        let record = match self.state.pending.pop_front()? {
            Pending::Interface { id, source } => Record::Interface { id, source },
            Pending::Watched { id, time } => Record::Watched { id, time },
            Pending::Datagram {
                id,
                time,
                original_len,
            } => {
                self.datagrams += 1;
                Record::Datagram {
                    id,
                    time,
                    bytes: &self.state.frame,
                    original_len,
                }
            }
            Pending::Overrun { id, time } => Record::Overrun { id, time },
            Pending::DumpEnded { id, time } => Record::DumpEnded { id, time },
            Pending::Gone { id, time, reason } => Record::Gone { id, time, reason },
        };
        Some(Ok(record))
    }

    /// The comment of the file's (first) section header, if any.
    pub(crate) fn comment(&self) -> Option<&str> {
        let Format::PcapNg(reader) = &self.format else {
            return None;
        };
        reader.section().options.iter().find_map(|o| match o {
            pcap_file::pcapng::blocks::section_header::SectionHeaderOption::Comment(c) => {
                Some(&**c)
            }
            _ => None,
        })
    }

    /// Frames skipped so far: not netlink route, or copies.
    pub(crate) fn skipped(&self) -> u64 {
        self.state.skipped
    }

    /// Reads one block (or packet) into `pending`; at the end of the file sets
    /// `done`.
    fn read_block(&mut self) -> Result<(), ReplayError> {
        let state = &mut self.state;
        let datagrams = self.datagrams;
        match &mut self.format {
            Format::PcapNg(reader) => match reader.next_block() {
                None => self.done = true,
                Some(Err(e)) => return Err(read_error(e, datagrams)),
                Some(Ok(block)) => match block {
                    Block::SectionHeader(section) => {
                        if section.endianness != native() {
                            return Err(ReplayError::ByteOrder);
                        }
                        state.base = u32::try_from(state.interfaces.len()).unwrap_or(u32::MAX);
                    }
                    Block::InterfaceDescription(idb) => {
                        let id = u32::try_from(state.interfaces.len()).unwrap_or(u32::MAX);
                        let (interface, source) = describe(&idb);
                        state.interfaces.push(interface);
                        state.pending.push_back(Pending::Interface { id, source });
                    }
                    Block::EnhancedPacket(epb) => {
                        let id = state.base.saturating_add(epb.interface_id);
                        // pcap-file 2.0 hands the raw timestamp over as if it
                        // were in nanoseconds, whatever the interface's units.
                        let raw = u64::try_from(epb.timestamp.as_nanos()).unwrap_or(u64::MAX);
                        let time = state.interface(id, datagrams)?.time(raw);
                        state.frame(id, time, &epb.data, epb.original_len as usize, datagrams)?;
                    }
                    Block::SimplePacket(spb) => {
                        // No interface id or time: the section's first
                        // interface, at the time of the frame before.
                        let time = state.last_foreign.1;
                        let original = spb.original_len as usize;
                        state.frame(state.base, time, &spb.data, original, datagrams)?;
                    }
                    Block::InterfaceStatistics(isb) => state.statistics(&isb),
                    // Name resolution, journal exports, custom blocks: not
                    // netlink.
                    _ => {}
                },
            },
            Format::Pcap(reader) => match reader.next_packet() {
                None => self.done = true,
                Some(Err(e)) => return Err(read_error(e, datagrams)),
                Some(Ok(packet)) => {
                    // pcap-file reads classic pcap times in their resolution.
                    let nanos = u64::try_from(packet.timestamp.as_nanos()).unwrap_or(u64::MAX);
                    let original = packet.orig_len as usize;
                    state.frame(0, time_of(nanos), &packet.data, original, datagrams)?;
                }
            },
        }
        Ok(())
    }
}

impl State {
    /// Interface `id`, which a frame names.
    fn interface(&self, id: u32, datagrams: u64) -> Result<&Interface, ReplayError> {
        self.interfaces
            .get(id as usize)
            .ok_or_else(|| ReplayError::Malformed {
                datagrams,
                reason: format!("a packet of interface {id}, which is not described"),
            })
    }

    /// A frame of interface `id` received at `time`: a datagram, or skipped.
    fn frame(
        &mut self,
        id: u32,
        time: SystemTime,
        frame: &[u8],
        original: usize,
        datagrams: u64,
    ) -> Result<(), ReplayError> {
        let interface = self.interface(id, datagrams)?;
        let (framing, ours) = (interface.framing, interface.ours);
        let Some(datagram) = framing.datagram(frame) else {
            self.skipped += 1;
            return Ok(());
        };
        if !ours {
            let (last, at) = &self.last_foreign;
            let close = time.duration_since(*at).is_ok_and(|d| d <= COPY_WITHIN);
            if close && last.as_slice() == datagram {
                self.skipped += 1;
                return Ok(());
            }
            self.last_foreign.0.clear();
            self.last_foreign.0.extend_from_slice(datagram);
            self.last_foreign.1 = time;
        }
        self.frame.clear();
        self.frame.extend_from_slice(datagram);
        let original_len = original
            .saturating_sub(framing.header_len())
            .max(datagram.len());
        self.pending.push_back(Pending::Datagram {
            id,
            time,
            original_len,
        });
        Ok(())
    }

    /// An Interface Statistics Block: what nlwatch recorded of a namespace
    /// without a datagram (others' statistics say nothing to a replay).
    fn statistics(&mut self, isb: &InterfaceStatisticsBlock<'_>) {
        let id = self.base.saturating_add(isb.interface_id);
        let Some(interface) = self.interfaces.get_mut(id as usize).filter(|i| i.ours) else {
            return;
        };
        let time = time_of(isb_time(isb.timestamp));
        let (mut started, mut ended, mut drops, mut comment) = (false, false, None, "");
        for option in &isb.options {
            match option {
                InterfaceStatisticsOption::IsbStartTime(_) => started = true,
                InterfaceStatisticsOption::IsbEndTime(_) => ended = true,
                InterfaceStatisticsOption::IsbOsDrop(n) => drops = Some(*n),
                InterfaceStatisticsOption::Comment(c) => comment = c,
                _ => {}
            }
        }
        if let Some(n) = drops {
            // One overrun per one more drop (nlwatch writes one block per
            // overrun; a jump is bounded, each is a resync).
            let more = n.saturating_sub(interface.drops).min(64);
            interface.drops = interface.drops.max(n);
            for _ in 0..more {
                self.pending.push_back(Pending::Overrun { id, time });
            }
        }
        if ended {
            let reason = gone_reason(comment);
            self.pending.push_back(Pending::Gone { id, time, reason });
        } else if started {
            self.pending.push_back(Pending::Watched { id, time });
        } else if comment == super::record::DUMP_ENDED {
            self.pending.push_back(Pending::DumpEnded { id, time });
        }
    }
}

/// An interface as its description block tells it.
fn describe(idb: &InterfaceDescriptionBlock<'_>) -> (Interface, Source) {
    let framing = Framing::of(u32::from(idb.linktype));
    let (mut name, mut description, mut resolution) = (None, None, 6u8);
    for option in &idb.options {
        match option {
            InterfaceDescriptionOption::IfName(n) => name = Some(n.to_string()),
            InterfaceDescriptionOption::IfDescription(d) => description = Some(d.to_string()),
            InterfaceDescriptionOption::IfTsResol(r) => resolution = *r,
            _ => {}
        }
    }
    // if_tsresol: 10^-n seconds, or 2^-n with the top bit set.
    let (mul, div) = if resolution & 0x80 != 0 {
        (
            1_000_000_000,
            1u64.checked_shl(u32::from(resolution & 0x7f))
                .unwrap_or(u64::MAX),
        )
    } else if resolution <= 9 {
        (10u64.pow(9 - u32::from(resolution)), 1)
    } else {
        (
            1,
            10u64
                .checked_pow(u32::from(resolution) - 9)
                .unwrap_or(u64::MAX),
        )
    };
    let ours = (framing != Framing::None)
        .then(|| description.as_deref().and_then(parse_description))
        .flatten();
    let mut interface = Interface {
        framing,
        ours: ours.is_some(),
        mul,
        div,
        drops: 0,
    };
    let source = match ours {
        Some((id, portid, kinds)) => Source::Namespace {
            tag: NetnsTag {
                name: Arc::from(name.unwrap_or_default()),
                id,
            },
            portid,
            kinds,
        },
        None if framing != Framing::None => Source::Foreign,
        None => {
            interface.ours = false;
            Source::Other
        }
    };
    (interface, source)
}

/// `netns_cookie=ID portid=PORT objects=KIND,...`, as `record` writes it.
fn parse_description(d: &str) -> Option<(u64, u32, Vec<ObjectKind>)> {
    let (mut id, mut portid, mut kinds) = (None, None, None);
    for token in d.split_whitespace() {
        match token.split_once('=')? {
            ("netns_cookie", v) => id = v.parse().ok(),
            ("portid", v) => portid = v.parse().ok(),
            ("objects", v) => {
                kinds = v
                    .split(',')
                    .filter(|k| !k.is_empty())
                    .map(|k| k.parse().ok())
                    .collect::<Option<Vec<ObjectKind>>>()
            }
            _ => {}
        }
    }
    Some((id?, portid?, kinds?))
}

/// The reason in a departure's comment (`nlwatch: namespace gone: REASON`);
/// shutdown when it cannot be read.
fn gone_reason(comment: &str) -> GoneReason {
    let reason = comment.rsplit(": ").next().unwrap_or("");
    match reason {
        "removed" => GoneReason::Removed,
        "vanished" => GoneReason::Vanished,
        other => match other
            .strip_prefix("socket error ")
            .and_then(|n| n.parse().ok())
        {
            Some(errno) => GoneReason::SocketError(errno),
            None => GoneReason::Shutdown,
        },
    }
}

/// The byte order of this host, as pcap-file names it.
fn native() -> Endianness {
    if cfg!(target_endian = "little") {
        Endianness::Little
    } else {
        Endianness::Big
    }
}

/// An error reading the file's first block.
fn start_error(e: PcapError) -> ReplayError {
    match read_error(e, 0) {
        ReplayError::Malformed { .. } => ReplayError::NotACapture,
        other => other,
    }
}

/// An error reading a block or packet.
fn read_error(e: PcapError, datagrams: u64) -> ReplayError {
    match e {
        PcapError::IncompleteBuffer => ReplayError::Truncated { datagrams },
        PcapError::IoError(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
            ReplayError::Truncated { datagrams }
        }
        PcapError::IoError(e) => ReplayError::Io(e),
        other => ReplayError::Malformed {
            datagrams,
            reason: other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::Recorder;
    use std::io::Write;
    use std::time::Duration;

    /// A `Write` whose bytes can be read while a recorder owns it.
    #[derive(Clone, Default)]
    struct Shared(Arc<parking_lot::Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// Every record as a line of text, to compare whole sequences.
    fn lines(bytes: &[u8]) -> (Vec<String>, Option<String>) {
        let mut records = Records::new(bytes).unwrap();
        let mut out = Vec::new();
        let mut error = None;
        while let Some(r) = records.next() {
            match r {
                Ok(r) => out.push(format!("{r:?}")),
                Err(e) => error = Some(e.to_string()),
            }
        }
        (out, error)
    }

    fn at(nanos: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_nanos(nanos)
    }

    /// What the recorder writes is what the reader reads back, in order, to
    /// the nanosecond.
    #[test]
    fn a_recording_reads_back_as_it_was_written() {
        let out = Shared::default();
        let recorder = Recorder::with_comment(out.clone(), "made by a test").unwrap();
        let tag = NetnsTag {
            name: Arc::from("blue"),
            id: 4_026_532_000,
        };
        let kinds = [ObjectKind::Link, ObjectKind::Route];
        let blue = recorder.interface(&tag, 1234, &kinds);
        let other = recorder.interface(&NetnsTag::default(), 77, &ObjectKind::ALL);
        recorder.watched(blue, at(1_700_000_000_123_456_789));
        recorder.datagram(blue, at(1_700_000_000_200_000_001), &[1, 2, 3, 4, 5], 5);
        recorder.datagram(other, at(1_700_000_000_200_000_002), &[9; 8], 8);
        recorder.overrun(blue, at(1_700_000_000_300_000_000));
        // Truncated by the receive buffer: 8 bytes arrived of 40.
        recorder.datagram(blue, at(1_700_000_000_400_000_000), &[7; 8], 40);
        recorder.overrun(blue, at(1_700_000_000_500_000_000));
        recorder.dump_ended(blue, at(1_700_000_000_550_000_000));
        recorder.gone(
            blue,
            at(1_700_000_000_600_000_000),
            &GoneReason::SocketError(104),
        );
        recorder.gone(other, at(1_700_000_000_700_000_000), &GoneReason::Vanished);
        recorder.flush().unwrap();
        let stats = recorder.stats();
        assert_eq!(
            (stats.namespaces, stats.datagrams, stats.overruns),
            (2, 3, 2)
        );
        let bytes = out.0.lock().clone();
        assert_eq!(stats.bytes, bytes.len() as u64);
        assert_eq!(
            Records::new(&bytes[..]).unwrap().comment(),
            Some("made by a test")
        );
        let (got, error) = lines(&bytes);
        assert_eq!(error, None);
        let expected = [
            format!(
                "{:?}",
                Record::Interface {
                    id: 0,
                    source: Source::Namespace {
                        tag: tag.clone(),
                        portid: 1234,
                        kinds: kinds.to_vec()
                    }
                }
            ),
            format!(
                "{:?}",
                Record::Interface {
                    id: 1,
                    source: Source::Namespace {
                        tag: NetnsTag::default(),
                        portid: 77,
                        kinds: ObjectKind::ALL.to_vec()
                    }
                }
            ),
            format!(
                "{:?}",
                Record::Watched {
                    id: 0,
                    time: at(1_700_000_000_123_456_789)
                }
            ),
            format!(
                "{:?}",
                Record::Datagram {
                    id: 0,
                    time: at(1_700_000_000_200_000_001),
                    bytes: &[1, 2, 3, 4, 5],
                    original_len: 5
                }
            ),
            format!(
                "{:?}",
                Record::Datagram {
                    id: 1,
                    time: at(1_700_000_000_200_000_002),
                    bytes: &[9; 8],
                    original_len: 8
                }
            ),
            format!(
                "{:?}",
                Record::Overrun {
                    id: 0,
                    time: at(1_700_000_000_300_000_000)
                }
            ),
            format!(
                "{:?}",
                Record::Datagram {
                    id: 0,
                    time: at(1_700_000_000_400_000_000),
                    bytes: &[7; 8],
                    original_len: 40
                }
            ),
            format!(
                "{:?}",
                Record::Overrun {
                    id: 0,
                    time: at(1_700_000_000_500_000_000)
                }
            ),
            format!(
                "{:?}",
                Record::DumpEnded {
                    id: 0,
                    time: at(1_700_000_000_550_000_000)
                }
            ),
            format!(
                "{:?}",
                Record::Gone {
                    id: 0,
                    time: at(1_700_000_000_600_000_000),
                    reason: GoneReason::SocketError(104)
                }
            ),
            format!(
                "{:?}",
                Record::Gone {
                    id: 1,
                    time: at(1_700_000_000_700_000_000),
                    reason: GoneReason::Vanished
                }
            ),
        ];
        assert_eq!(got, expected);
        // Where each block ends.
        let mut ends = Vec::new();
        let mut at_byte = 0;
        while at_byte < bytes.len() {
            let len = u32::from_ne_bytes(bytes[at_byte + 4..at_byte + 8].try_into().unwrap());
            at_byte += len as usize;
            ends.push(at_byte);
        }
        // Cut anywhere: the records of the whole blocks before the cut, then
        // `Truncated` (or, inside the section header, not a capture at all).
        for cut in 0..bytes.len() {
            match Records::new(&bytes[..cut]) {
                Err(ReplayError::NotACapture | ReplayError::Truncated { .. }) => continue,
                Err(e) => panic!("cut at {cut}: {e}"),
                Ok(_) => {}
            }
            let (some, error) = lines(&bytes[..cut]);
            assert_eq!(some[..], got[..some.len()], "cut at {cut}");
            if ends.contains(&cut) {
                assert_eq!(error, None, "cut at {cut}, between blocks");
            } else {
                assert!(
                    error
                        .as_deref()
                        .is_some_and(|e| e.contains("middle of a block")),
                    "cut at {cut}: {error:?}"
                );
            }
        }
    }

    /// tcpdump's pcapng: microsecond timestamps (no `if_tsresol`), Linux cooked
    /// capture v2 (`-i any`), an interface statistics block at the end (which
    /// says nothing to a replay), and an Ethernet interface whose frames are
    /// skipped.
    #[test]
    fn a_tcpdump_pcapng_in_microseconds_and_cooked_v2_reads_as_foreign_frames() {
        fn block(kind: u32, body: &[u8]) -> Vec<u8> {
            let mut body = body.to_vec();
            body.resize(body.len().next_multiple_of(4), 0);
            let len = (12 + body.len()) as u32;
            let mut b = kind.to_ne_bytes().to_vec();
            b.extend_from_slice(&len.to_ne_bytes());
            b.extend_from_slice(&body);
            b.extend_from_slice(&len.to_ne_bytes());
            b
        }
        let mut shb = 0x1a2b_3c4du32.to_ne_bytes().to_vec();
        shb.extend_from_slice(&1u16.to_ne_bytes());
        shb.extend_from_slice(&0u16.to_ne_bytes());
        shb.extend_from_slice(&(-1i64).to_ne_bytes());
        let idb = |linktype: u16| {
            let mut b = linktype.to_ne_bytes().to_vec();
            b.extend_from_slice(&[0, 0]);
            b.extend_from_slice(&0u32.to_ne_bytes());
            b
        };
        let epb = |iface: u32, micros: u64, frame: &[u8]| {
            let mut b = iface.to_ne_bytes().to_vec();
            b.extend_from_slice(&((micros >> 32) as u32).to_ne_bytes());
            b.extend_from_slice(&(micros as u32).to_ne_bytes());
            b.extend_from_slice(&(frame.len() as u32).to_ne_bytes());
            b.extend_from_slice(&(frame.len() as u32).to_ne_bytes());
            b.extend_from_slice(frame);
            b
        };
        // SLL2: protocol (the netlink family), reserved, ifindex, hatype,
        // packet type, address length, address.
        let sll2 = |family: u16, datagram: &[u8]| {
            let mut f = family.to_be_bytes().to_vec();
            f.extend_from_slice(&[0, 0, 0, 0, 0, 3]);
            f.extend_from_slice(&824u16.to_be_bytes());
            f.extend_from_slice(&[4, 0]);
            f.extend_from_slice(&[0; 8]);
            f.extend_from_slice(datagram);
            f
        };
        let mut file = block(0x0a0d_0d0a, &shb);
        file.extend(block(1, &idb(276)));
        file.extend(block(1, &idb(1)));
        file.extend(block(6, &epb(0, 1_700_000_000_000_001, &sll2(0, &[5; 20]))));
        file.extend(block(6, &epb(1, 1_700_000_000_000_002, &[0xff; 60])));
        file.extend(block(
            6,
            &epb(0, 1_700_000_000_000_003, &sll2(12, &[6; 20])),
        ));
        let mut isb = 0u32.to_ne_bytes().to_vec();
        isb.extend_from_slice(&[0; 8]);
        file.extend(block(5, &isb));
        let mut records = Records::new(&file[..]).unwrap();
        let mut got = Vec::new();
        while let Some(r) = records.next() {
            got.push(format!("{:?}", r.unwrap()));
        }
        let expected = [
            format!(
                "{:?}",
                Record::Interface {
                    id: 0,
                    source: Source::Foreign
                }
            ),
            format!(
                "{:?}",
                Record::Interface {
                    id: 1,
                    source: Source::Other
                }
            ),
            format!(
                "{:?}",
                Record::Datagram {
                    id: 0,
                    time: at(1_700_000_000_000_001_000),
                    bytes: &[5; 20],
                    original_len: 20
                }
            ),
        ];
        assert_eq!(got, expected);
        assert_eq!(records.skipped(), 2);
    }

    #[test]
    fn what_is_not_a_capture_is_told_apart() {
        for bytes in [
            &b""[..],
            b"abc",
            b"hello, world\n",
            &[0x0a, 0x0d, 0x0d, 0x0a, 1, 2],
        ] {
            let e = Records::new(bytes).err().map(|e| e.to_string());
            assert!(
                e.as_deref() == Some("not a pcap or pcapng file")
                    || e.as_deref()
                        .is_some_and(|e| e.contains("middle of a block")),
                "{bytes:?}: {e:?}"
            );
        }
        // Classic pcap of Ethernet frames.
        let mut eth = 0xa1b2_c3d4u32.to_ne_bytes().to_vec();
        eth.extend_from_slice(&[2, 0, 4, 0]);
        eth.extend_from_slice(&[0; 8]);
        eth.extend_from_slice(&65535u32.to_ne_bytes());
        eth.extend_from_slice(&1u32.to_ne_bytes());
        assert!(matches!(
            Records::new(&eth[..]),
            Err(ReplayError::NotNetlink { linktype: 1 })
        ));
    }

    #[test]
    fn descriptions_and_reasons_read_back() {
        assert_eq!(
            parse_description("netns_cookie=5 portid=6 objects=link,addr"),
            Some((5, 6, vec![ObjectKind::Link, ObjectKind::Address]))
        );
        assert_eq!(parse_description("eth0 uplink"), None);
        assert_eq!(
            parse_description("netns_cookie=5 portid=6 objects=link,bogus"),
            None
        );
        for reason in [
            GoneReason::Removed,
            GoneReason::Vanished,
            GoneReason::Shutdown,
            GoneReason::SocketError(9),
        ] {
            let comment = format!(
                "nlwatch: namespace gone: {}",
                super::super::record::reason_text(&reason)
            );
            assert_eq!(gone_reason(&comment), reason);
        }
    }
}
