//! [`Records`]: a recording read back, block by block, as [`Record`]s: the
//! namespaces it describes, their datagrams, overruns, arrivals and departures.
//!
//! It reads nlwatch's own recordings (see the module above), and netlink captured
//! by other means (tcpdump on an `nlmon` device: pcapng or classic pcap, link
//! type `LINKTYPE_NETLINK`, or Linux cooked capture of `ARPHRD_NETLINK` frames),
//! whose frames become the datagrams of one [`Source::Foreign`] namespace.
//! Frames of other families or link types are counted and skipped. A frame cut
//! by a capture's snap length is a truncated datagram, as one cut by a live
//! receive buffer is.
//!
//! It reads the blocks and records itself (the layouts are short), so that
//! what a file can make it hold is bounded whatever the file says:
//!
//! - one block at a time, of at most [`MAX_BLOCK`] bytes (a classic pcap
//!   frame: at most [`MAX_FRAME`]); options are looked at where they lie,
//!   never kept, but for the first section's comment;
//! - per interface described, a compact record of 24 bytes (and, for one of
//!   nlwatch's namespaces, its name of at most [`MAX_NAME`] bytes and its
//!   kinds, each once) until a packet or statistics block uses it; only then
//!   is it handed on ([`Record::Interface`]), which is when the replay makes a
//!   namespace of it;
//! - at most [`MAX_NAMESPACES`] interfaces in use (handed on and not gone) at
//!   once: one more ends the records with [`ReplayError::TooManyNamespaces`];
//! - the interfaces of a section are forgotten at the next section header
//!   (its packets cannot name them).
//!
//! A file cut short ends the records with [`ReplayError::Truncated`] after the
//! last whole block; a whole block that is malformed (a bad length, an option
//! running past its block or of the wrong size for its kind) with
//! [`ReplayError::Malformed`], which says at which byte the block starts.
//! Nothing here panics on any bytes.
//!
//! It never decodes a netlink message.

use super::{
    time_of, ARPHRD_NETLINK, COOKED_LEN, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_NETLINK,
    NETLINK_ROUTE,
};
use crate::bus::GoneReason;
use crate::object::{NetnsTag, ObjectKind};
use std::collections::VecDeque;
use std::fmt;
use std::io::{self, BufReader, Read};
use std::sync::Arc;
use std::time::SystemTime;

/// The longest pcapng block a replay reads: 4 MiB. nlwatch's own blocks hold
/// one datagram (tens of KiB at most) or a command line; a capture's frames
/// are at most 256 KiB (tcpdump's largest snap length). A longer block is
/// malformed rather than read.
pub(crate) const MAX_BLOCK: usize = 4 << 20;
/// The longest frame of a classic pcap file a replay reads: 256 KiB, tcpdump's
/// largest snap length (`MAXIMUM_SNAPLEN`).
pub(crate) const MAX_FRAME: usize = 256 << 10;
/// The most interfaces a replay holds in use at once: 65,536. Each of
/// nlwatch's interfaces in use is a namespace (its state view, its dump
/// rounds); the frames of other captures make up one namespace, whatever
/// their interfaces. Live, nlwatch is measured watching 10,000 namespaces;
/// this leaves room for six times as many while bounding what a file can make
/// a replay hold (a namespace with nothing in it costs a few KiB).
pub(crate) const MAX_NAMESPACES: usize = 65_536;
/// The longest namespace name a recording may give: 4,096 bytes, a path's
/// longest (`PATH_MAX`; names are file names or paths).
pub(crate) const MAX_NAME: usize = 4096;

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
    /// A block (a record, in classic pcap) is malformed: what came before was
    /// replayed.
    Malformed {
        /// Datagrams replayed before it.
        datagrams: u64,
        /// Where it starts: bytes from the start of the file.
        offset: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// The recording uses more interfaces at once (namespaces, for nlwatch's
    /// own) than a replay holds, 65,536: what came before the block that
    /// would have added one more was replayed. Each namespace in use holds its
    /// state view; one that nothing uses holds (almost) nothing.
    TooManyNamespaces {
        /// Datagrams replayed before it.
        datagrams: u64,
        /// The limit: 65,536.
        limit: usize,
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
            ReplayError::Malformed {
                datagrams,
                offset,
                reason,
            } => write!(
                f,
                "malformed block at byte {offset}, after {datagrams} datagrams ({reason}): \
                 replayed up to it"
            ),
            ReplayError::TooManyNamespaces { datagrams, limit } => write!(
                f,
                "more than {limit} namespaces in use at once, the most a replay holds: \
                 replayed up to the block that uses one more ({datagrams} datagrams)"
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
pub struct ReplayCounters {
    /// Namespaces replayed.
    pub namespaces: u64,
    /// Datagrams replayed.
    pub datagrams: u64,
    /// Datagrams replayed truncated: cut by the live receive buffer, or by a
    /// capture's snap length (each handled as a live reader handles one).
    pub truncated: u64,
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
}

/// One thing a recording says, in file order.
#[derive(Debug)]
pub(crate) enum Record<'a> {
    /// An interface (a namespace, for nlwatch's recordings) is in use: handed
    /// on before the first record that names it.
    Interface { id: u32, source: Source },
    /// Its namespace began to be watched.
    Watched { id: u32, time: SystemTime },
    /// A datagram its socket received: `bytes` as captured, `original_len` its
    /// length (more when the receive buffer or the snap length truncated it).
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
/// `State::frame`.
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
        (hatype == ARPHRD_NETLINK && family == NETLINK_ROUTE).then(|| frame.get(len..))?
    }

    fn header_len(self) -> usize {
        match self {
            Framing::Cooked2 => 20,
            _ => COOKED_LEN,
        }
    }
}

/// Whether an interface has been handed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Use {
    /// Described only: nothing has named it yet.
    No,
    /// Handed on ([`Record::Interface`]): a namespace of the replay.
    Yes,
    /// Its namespace is gone: what names it now is ignored by the replay.
    Gone,
}

/// What is kept of an interface description: little, since a file may
/// describe many that nothing uses.
#[derive(Debug)]
struct Interface {
    /// Until it is handed on: nlwatch's namespace as described.
    namespace: Option<Box<Source>>,
    /// `isb_osdrop` so far.
    drops: u64,
    framing: Framing,
    /// nlwatch's (its statistics blocks tell overruns and departures).
    ours: bool,
    /// `if_tsresol`: 10^-n seconds, or 2^-n with the top bit set.
    resolution: u8,
    used: Use,
}

impl Interface {
    fn foreign(framing: Framing, resolution: u8) -> Interface {
        Interface {
            namespace: None,
            drops: 0,
            framing,
            ours: false,
            resolution,
            used: Use::No,
        }
    }

    /// The time of a raw timestamp in this interface's units.
    fn time(&self, raw: u64) -> SystemTime {
        let raw = u128::from(raw);
        let r = self.resolution;
        let nanos = if r & 0x80 != 0 {
            (raw * 1_000_000_000)
                .checked_shr(u32::from(r & 0x7f))
                .unwrap_or(0)
        } else if r <= 9 {
            raw * 10u128.pow(9 - u32::from(r))
        } else {
            10u128
                .checked_pow(u32::from(r) - 9)
                .map_or(0, |div| raw / div)
        };
        time_of(u64::try_from(nanos).unwrap_or(u64::MAX))
    }
}

/// Which file format is being read.
#[derive(Debug, Clone, Copy)]
enum Format {
    PcapNg,
    /// Classic pcap; `nanos` when its timestamps are in nanoseconds.
    Pcap {
        nanos: bool,
    },
}

/// A recording read block by block: a lending iterator (each record borrows
/// the reader until the next call).
pub(crate) struct Records<R: Read> {
    input: BufReader<Input<R>>,
    format: Format,
    /// Bytes read so far: where the next block starts.
    offset: u64,
    /// The block (or classic pcap frame) being read, whole.
    block: Vec<u8>,
    /// The comment of the first section header.
    comment: Option<String>,
    state: State,
    done: bool,
    /// Datagrams returned so far.
    pub(crate) datagrams: u64,
}

/// What `Records` keeps between blocks.
struct State {
    /// The current section's interfaces; their ids start at `base` (ids are
    /// unique across sections).
    interfaces: Vec<Interface>,
    base: u32,
    /// Interfaces handed on and not gone.
    in_use: usize,
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
/// The section header's byte-order magic, as this host reads its own.
const BYTE_ORDER_MAGIC: u32 = 0x1a2b_3c4d;
/// Classic pcap's magic numbers as this host reads its own: microsecond and
/// nanosecond timestamps.
const PCAP_MICROS: u32 = 0xa1b2_c3d4;
const PCAP_NANOS: u32 = 0xa1b2_3c4d;
/// pcapng block types read; the others (name resolution, journal exports,
/// custom and obsolete packet blocks) say nothing of netlink.
const SECTION_HEADER: u32 = 0x0a0d_0d0a;
const INTERFACE_DESCRIPTION: u32 = 1;
const SIMPLE_PACKET: u32 = 3;
const INTERFACE_STATISTICS: u32 = 5;
const ENHANCED_PACKET: u32 = 6;
/// Frames of a foreign capture equal to the one before and this close in time
/// are copies delivered to other sockets.
const COPY_WITHIN: std::time::Duration = std::time::Duration::from_millis(1);

/// The input, with the four bytes read to tell its format put back in front.
type Input<R> = io::Chain<io::Cursor<[u8; 4]>, R>;

/// Reads into `buf` until it is full or the input ends: how much it read.
fn fill(input: &mut impl Read, buf: &mut [u8]) -> Result<usize, ReplayError> {
    let mut got = 0;
    while got < buf.len() {
        match input.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(ReplayError::Io(e)),
        }
    }
    Ok(got)
}

/// The native-order integers of a block, by byte offset; `None` past its end.
fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_ne_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// A pcapng timestamp: the high 32 bits, then the low 32 bits.
fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from(u32_at(b, at)?) << 32 | u64::from(u32_at(b, at + 4)?))
}

/// Hands each option of `options` (code, value) to `each`, up to
/// `opt_endofopt` or the end: an option whose value and padding run past the
/// end is malformed.
fn each_option<'a>(
    mut options: &'a [u8],
    mut each: impl FnMut(u16, &'a [u8]) -> Result<(), String>,
) -> Result<(), String> {
    while !options.is_empty() {
        let (Some(code), Some(len)) = (u16_at(options, 0), u16_at(options, 2)) else {
            return Err("an option header cut by the end of its block".into());
        };
        if code == 0 {
            return Ok(());
        }
        let len = usize::from(len);
        let end = 4 + len.next_multiple_of(4);
        if end > options.len() {
            return Err(format!(
                "option {code} of {len} bytes runs past the end of its block"
            ));
        }
        each(code, &options[4..4 + len])?;
        options = &options[end..];
    }
    Ok(())
}

/// An option's text, which must be UTF-8.
fn text(code: u16, value: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(value).map_err(|_| format!("option {code} is not UTF-8"))
}

/// An 8-byte option's value (a time, a count).
fn eight(code: u16, value: &[u8]) -> Result<u64, String> {
    match value.len() {
        8 => Ok(u64::from_ne_bytes(value.try_into().unwrap_or_default())),
        n => Err(format!("option {code} of {n} bytes, where its kind has 8")),
    }
}

mod block;

use block::{Bad, TooMany};

impl<R: Read> Records<R> {
    /// Reads the file's header: `NotACapture` when it is neither pcapng nor pcap.
    pub(crate) fn new(mut input: R) -> Result<Self, ReplayError> {
        let mut magic = [0u8; 4];
        if fill(&mut input, &mut magic)? < 4 {
            return Err(ReplayError::NotACapture);
        }
        let input = BufReader::with_capacity(64 << 10, io::Cursor::new(magic).chain(input));
        let native = u32::from_ne_bytes(magic);
        let format = if magic == PCAPNG_MAGIC {
            Format::PcapNg
        } else if [PCAP_MICROS, PCAP_NANOS].contains(&native) {
            Format::Pcap {
                nanos: native == PCAP_NANOS,
            }
        } else if [PCAP_MICROS, PCAP_NANOS].contains(&native.swap_bytes()) {
            return Err(ReplayError::ByteOrder);
        } else {
            return Err(ReplayError::NotACapture);
        };
        let mut records = Records {
            input,
            format,
            offset: 0,
            block: Vec::new(),
            comment: None,
            state: State {
                interfaces: Vec::new(),
                base: 0,
                in_use: 0,
                pending: VecDeque::new(),
                frame: Vec::new(),
                last_foreign: (Vec::new(), SystemTime::UNIX_EPOCH),
                skipped: 0,
            },
            done: false,
            datagrams: 0,
        };
        match format {
            Format::PcapNg => {
                // The first block is the section header; not one at all is no
                // capture.
                match records.read_block() {
                    Ok(()) if records.offset > 0 => {}
                    Ok(()) | Err(ReplayError::Malformed { .. }) => {
                        return Err(ReplayError::NotACapture)
                    }
                    Err(e) => return Err(e),
                }
            }
            Format::Pcap { .. } => records.pcap_header()?,
        }
        Ok(records)
    }

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
        self.comment.as_deref()
    }

    /// Frames skipped so far: not netlink route, or copies.
    pub(crate) fn skipped(&self) -> u64 {
        self.state.skipped
    }

    fn malformed(&self, offset: u64, reason: String) -> ReplayError {
        ReplayError::Malformed {
            datagrams: self.datagrams,
            offset,
            reason,
        }
    }

    fn truncated(&self) -> ReplayError {
        ReplayError::Truncated {
            datagrams: self.datagrams,
        }
    }

    /// Reads exactly `len` more bytes into `self.block` (after what it
    /// holds): `Truncated` when the file ends first.
    fn read_more(&mut self, len: usize) -> Result<(), ReplayError> {
        let start = self.block.len();
        self.block.resize(start + len, 0);
        if fill(&mut self.input, &mut self.block[start..])? < len {
            return Err(self.truncated());
        }
        Ok(())
    }

    /// Reads one block (or packet) into `pending`; at the end of the file sets
    /// `done`.
    fn read_block(&mut self) -> Result<(), ReplayError> {
        match self.format {
            Format::PcapNg => self.pcapng_block(),
            Format::Pcap { nanos } => self.pcap_record(nanos),
        }
    }

    /// Classic pcap's file header (after its magic): the link type.
    fn pcap_header(&mut self) -> Result<(), ReplayError> {
        self.block.clear();
        self.read_more(24)?;
        self.offset = 24;
        let linktype = u32_at(&self.block, 20).unwrap_or_default();
        let framing = Framing::of(linktype);
        if framing == Framing::None {
            return Err(ReplayError::NotNetlink { linktype });
        }
        // Its records carry times in their own units, read with them.
        self.state.interfaces.push(Interface::foreign(framing, 9));
        Ok(())
    }

    /// One classic pcap record: timestamp, included and original lengths,
    /// then the frame. A frame cut by the snap length (original longer than
    /// included) is a truncated datagram.
    fn pcap_record(&mut self, nanos: bool) -> Result<(), ReplayError> {
        let at = self.offset;
        if !self.head(16)? {
            return Ok(());
        }
        let field = |i: usize| u32_at(&self.block, 4 * i).unwrap_or_default();
        let (secs, frac, included, original) = (field(0), field(1), field(2), field(3));
        let included = included as usize;
        if included > MAX_FRAME {
            return Err(self.malformed(
                at,
                format!("a frame of {included} bytes, more than the {MAX_FRAME} a replay reads"),
            ));
        }
        self.read_more(included)?;
        self.offset += 16 + included as u64;
        let frac = u64::from(frac) * if nanos { 1 } else { 1_000 };
        let time = time_of(u64::from(secs) * 1_000_000_000 + frac);
        let frame = &self.block[16..];
        self.state
            .frame(0, time, frame, original as usize)
            .map_err(|e| self.limit(e))
    }

    /// Reads the first `len` bytes of a record or block into `self.block`:
    /// `false` (and done) when the file ends cleanly before it, truncated
    /// when it ends inside it.
    fn head(&mut self, len: usize) -> Result<bool, ReplayError> {
        self.block.clear();
        self.block.resize(len, 0);
        match fill(&mut self.input, &mut self.block)? {
            0 => {
                self.done = true;
                Ok(false)
            }
            n if n == len => Ok(true),
            _ => Err(self.truncated()),
        }
    }

    /// `TooManyNamespaces` with the datagrams read so far.
    fn limit(&self, _: TooMany) -> ReplayError {
        ReplayError::TooManyNamespaces {
            datagrams: self.datagrams,
            limit: MAX_NAMESPACES,
        }
    }

    /// One pcapng block, read whole before it is looked at: a file that ends
    /// inside it is truncated, anything wrong with a whole one is malformed.
    fn pcapng_block(&mut self) -> Result<(), ReplayError> {
        let at = self.offset;
        if !self.head(8)? {
            return Ok(());
        }
        let kind = u32_at(&self.block, 0).unwrap_or_default();
        if kind == SECTION_HEADER {
            // Its byte-order magic says how its length (and all that follows)
            // reads.
            self.read_more(4)?;
            let magic = u32_at(&self.block, 8).unwrap_or_default();
            if magic.swap_bytes() == BYTE_ORDER_MAGIC {
                return Err(ReplayError::ByteOrder);
            }
            if magic != BYTE_ORDER_MAGIC {
                return Err(
                    self.malformed(at, "a section header without its byte-order magic".into())
                );
            }
        }
        let len = u32_at(&self.block, 4).unwrap_or_default() as usize;
        if len % 4 != 0 || len < self.block.len() + 4 {
            return Err(self.malformed(at, format!("a block length of {len}")));
        }
        if len > MAX_BLOCK {
            return Err(self.malformed(
                at,
                format!("a block of {len} bytes, more than the {MAX_BLOCK} a replay reads"),
            ));
        }
        let read = self.block.len();
        self.read_more(len - read)?;
        self.offset += len as u64;
        let trailer = u32_at(&self.block, len - 4).unwrap_or_default() as usize;
        if trailer != len {
            return Err(self.malformed(
                at,
                format!("a block whose lengths differ: {len} before, {trailer} after"),
            ));
        }
        let Records {
            block,
            state,
            comment,
            ..
        } = self;
        let body = &block[8..len - 4];
        let first = at == 0;
        let result = match kind {
            SECTION_HEADER => state.section(body, first.then_some(comment)),
            INTERFACE_DESCRIPTION => state.describe(body),
            ENHANCED_PACKET => state.enhanced_packet(body),
            SIMPLE_PACKET => state.simple_packet(body),
            INTERFACE_STATISTICS => state.statistics(body),
            _ => Ok(()),
        };
        match result {
            Ok(()) => Ok(()),
            Err(Bad::Malformed(reason)) => Err(self.malformed(at, reason)),
            Err(Bad::TooMany(e)) => Err(self.limit(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::block::{gone_reason, parse_description};
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

    /// A pcapng block of type `kind` (this host's byte order), its body padded.
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

    /// One pcapng option: code, length, value, padding.
    fn option(code: u16, value: &[u8]) -> Vec<u8> {
        let mut o = code.to_ne_bytes().to_vec();
        o.extend_from_slice(&(value.len() as u16).to_ne_bytes());
        o.extend_from_slice(value);
        o.resize(o.len().next_multiple_of(4), 0);
        o
    }

    /// What a recorder wrote: one namespace (interface 0), watched, with one
    /// datagram.
    fn one_namespace() -> Vec<u8> {
        let out = Shared::default();
        let recorder = Recorder::new(out.clone()).unwrap();
        let ns = recorder.interface(&NetnsTag::default(), 7, &[ObjectKind::Link]);
        recorder.watched(ns, at(1_000));
        recorder.datagram(ns, at(2_000), &[1, 2, 3, 4], 4);
        recorder.flush().unwrap();
        let bytes = out.0.lock().clone();
        bytes
    }

    /// A file of 100,000 namespaces of which one is used: only that one is
    /// handed on (the replay makes a namespace of every interface it is
    /// handed, so unused ones would cost as much as used ones).
    #[test]
    fn interfaces_nothing_uses_are_not_handed_on() {
        let out = Shared::default();
        let recorder = Recorder::new(out.clone()).unwrap();
        let mut last = 0;
        for i in 0..100_000u64 {
            let tag = NetnsTag {
                name: Arc::from(format!("ns{i}")),
                id: i,
            };
            last = recorder.interface(&tag, 1, &[ObjectKind::Link]);
        }
        recorder.datagram(last, at(1), &[1, 2, 3, 4], 4);
        recorder.flush().unwrap();
        let bytes = out.0.lock().clone();
        let mut records = Records::new(&bytes[..]).unwrap();
        let mut handed = Vec::new();
        while let Some(r) = records.next() {
            if let Record::Interface { id, .. } = r.unwrap() {
                handed.push(id);
            }
        }
        assert_eq!((handed.len(), handed.first()), (1, Some(&last)));
        assert_eq!(records.datagrams, 1);
    }

    /// A whole block with a malformed option (an `isb_osdrop` of 4 bytes
    /// where the format has 8) is reported as malformed, where it is, not as a
    /// file cut short; what came before it is read.
    #[test]
    fn a_malformed_option_in_a_whole_block_is_malformed_not_truncated() {
        let mut file = one_namespace();
        let offset = file.len();
        let mut isb = 0u32.to_ne_bytes().to_vec();
        isb.extend_from_slice(&[0; 8]);
        isb.extend(option(7, &1u32.to_ne_bytes()));
        isb.extend(option(0, &[]));
        file.extend(block(5, &isb));
        // A whole block after it: the file is not cut short.
        file.extend(block(5, &[0; 12]));
        let (got, error) = lines(&file);
        assert_eq!(got.len(), 3, "{got:?}");
        let error = error.expect("an error");
        assert!(!error.contains("middle of a block"), "{error}");
        assert!(error.contains(&format!("at byte {offset}")), "{error}");
    }

    /// What one block can make the reader hold is bounded: a block longer
    /// than 4 MiB, a classic pcap frame longer than 256 KiB and a namespace
    /// name longer than 4,096 bytes are malformed (before anything is
    /// allocated for them), kinds named again are kept once, and an interface
    /// nothing uses is a record of 24 bytes.
    #[test]
    fn what_a_file_can_make_the_reader_hold_is_bounded() {
        let error = |file: &[u8]| {
            let (_, error) = lines(file);
            error.expect("an error")
        };
        // A block that says it is 64 MiB long.
        let mut file = one_namespace();
        let offset = file.len();
        file.extend_from_slice(&6u32.to_ne_bytes());
        file.extend_from_slice(&(64u32 << 20).to_ne_bytes());
        file.extend_from_slice(&[0; 64]);
        let e = error(&file);
        assert!(
            e.contains(&format!("at byte {offset}")) && e.contains("4194304"),
            "{e}"
        );
        // A classic pcap frame that says it is 1 GiB long.
        let mut pcap = 0xa1b2_c3d4u32.to_ne_bytes().to_vec();
        pcap.extend_from_slice(&[2, 0, 4, 0]);
        pcap.extend_from_slice(&[0; 8]);
        pcap.extend_from_slice(&u32::MAX.to_ne_bytes());
        pcap.extend_from_slice(&253u32.to_ne_bytes());
        pcap.extend_from_slice(&[0; 8]);
        pcap.extend_from_slice(&(1u32 << 30).to_ne_bytes());
        pcap.extend_from_slice(&(1u32 << 30).to_ne_bytes());
        let e = error(&pcap);
        assert!(e.contains("at byte 24") && e.contains("262144"), "{e}");
        // A namespace named with 5,000 bytes; one whose kinds are named over
        // and over.
        let idb = |name: &str, kinds: &str| {
            let mut b = 253u16.to_ne_bytes().to_vec();
            b.extend_from_slice(&[0; 6]);
            b.extend(option(2, name.as_bytes()));
            let description = format!("netns_cookie=1 portid=2 objects={kinds}");
            b.extend(option(3, description.as_bytes()));
            b.extend(option(0, &[]));
            block(1, &b)
        };
        let mut file = one_namespace();
        let offset = file.len();
        file.extend(idb(&"n".repeat(5000), "link"));
        let e = error(&file);
        assert!(
            e.contains(&format!("at byte {offset}")) && e.contains("4096"),
            "{e}"
        );
        let mut file = one_namespace();
        file.extend(idb("again", &"link,route,".repeat(1000)));
        let mut watched = 1u32.to_ne_bytes().to_vec();
        watched.extend_from_slice(&[0; 8]);
        watched.extend(option(2, &[0; 8]));
        watched.extend(option(0, &[]));
        file.extend(block(5, &watched));
        let (got, error) = lines(&file);
        assert_eq!(error, None);
        assert!(
            got.iter()
                .any(|l| l.contains("\"again\"") && l.contains("kinds: [Link, Route] ")),
            "{got:#?}"
        );
        assert!(std::mem::size_of::<Interface>() <= 24);
    }

    /// A statistics block whose `isb_osdrop` grew by 64 at once is one
    /// overrun, as one `ENOBUFS` is live (nlwatch's own recordings grow it by
    /// one per block).
    #[test]
    fn one_statistics_block_is_at_most_one_overrun() {
        let mut file = one_namespace();
        let mut isb = 0u32.to_ne_bytes().to_vec();
        isb.extend_from_slice(&[0; 8]);
        isb.extend(option(7, &64u64.to_ne_bytes()));
        isb.extend(option(0, &[]));
        file.extend(block(5, &isb));
        let (got, error) = lines(&file);
        assert_eq!(error, None);
        let overruns = got.iter().filter(|l| l.starts_with("Overrun")).count();
        assert_eq!(overruns, 1, "{got:#?}");
    }

    /// What the recorder writes is what the reader reads back, in order, to
    /// the nanosecond; each interface is handed on before the first record
    /// that names it.
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
