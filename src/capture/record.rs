//! [`Recorder`]: writes what the kernel sent to the watched sockets as pcapng,
//! as it arrives (the layout is in the module above).
//!
//! The readers hand it each datagram as they receive it, before decoding, and
//! each overrun; the monitor hands it each namespace as it is added, watched and
//! gone. Blocks gather in memory and are written whole by a reader between two
//! looks at its sockets (`Recorder::idle`, which a reader calls before every
//! wait, many times a second while datagrams keep coming) and when the monitor
//! shuts down: never while a reader holds its namespaces, so an output that
//! blocks (a full pipe) stalls the readers but never `Monitor::snapshot` and
//! the other calls. Only past 4 MiB gathered does a reader write at once. A
//! recorder killed at any moment leaves a file that reads up to the last block
//! written.
//!
//! Two locks: the gathered blocks and the counters under one, the output under
//! the other. The output's is always taken first (so blocks are written in the
//! order they were formatted), the blocks' only for a swap or a count. A write that blocks (a pipe nobody reads) holds
//! only the output: [`Recorder::stats`] and the formatting of new blocks go on,
//! so a program can still learn what was recorded and leave.
//!
//! It never decodes what it writes. Its first write error stops it (what comes
//! later is dropped, counted nowhere else) and is kept for
//! [`Recorder::stats`]: a full disk never stops the watching.

use super::{cooked_header, isb_time, nanos, COOKED_LEN, LINKTYPE_NETLINK};
use crate::bus::GoneReason;
use crate::object::{NetnsTag, ObjectKind};
use parking_lot::Mutex;
use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketBlock;
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};
use pcap_file::pcapng::blocks::interface_statistics::{
    InterfaceStatisticsBlock, InterfaceStatisticsOption,
};
use pcap_file::pcapng::blocks::section_header::{SectionHeaderBlock, SectionHeaderOption};
use pcap_file::pcapng::PcapNgWriter;
use pcap_file::DataLink;
use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// Blocks gathered past this many bytes are written at once, even under a
/// reader's lock (a look at a thousand busy sockets); below it they wait for
/// `idle`.
const WRITE_AT: usize = 4 << 20;

/// What a [`Recorder`] has written so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecordingCounters {
    /// Namespaces described (one pcapng interface each).
    pub namespaces: u64,
    /// Datagrams recorded (one frame each): every datagram the kernel sent to a
    /// watched socket, notifications and dump answers.
    pub datagrams: u64,
    /// Overruns recorded.
    pub overruns: u64,
    /// Bytes written to the output.
    pub bytes: u64,
    /// Why recording stopped, if it did: the first write error.
    pub error: Option<RecordingError>,
}

/// The write error that stopped a [`Recorder`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordingError {
    /// Its kind (`BrokenPipe` when a pipe's reader went away).
    pub kind: io::ErrorKind,
    /// What failed, as a sentence.
    pub message: String,
}

impl std::fmt::Display for RecordingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RecordingError {}

/// Records what the kernel sends to a monitor's sockets as a pcapng file that
/// Wireshark reads and [`Replay`](crate::recording::Replay) plays back. Give it to
/// [`Builder::record`](crate::Builder::record); keep a clone to read its
/// [`stats`](Recorder::stats) or to [`flush`](Recorder::flush) it.
///
/// ```no_run
/// use nlwatch::{Monitor, Netns, recording::Recorder};
/// let recorder = Recorder::new(std::fs::File::create("netlink.pcapng")?)?;
/// let monitor = Monitor::builder().record(recorder.clone()).build()?;
/// monitor.add_namespace(Netns::Current)?;
/// // ... later
/// monitor.shutdown(); // writes what is left
/// println!("{} datagrams recorded", recorder.stats().datagrams);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Recorder {
    inner: Arc<Shared>,
}

struct Shared {
    state: Mutex<Inner>,
    output: Mutex<Output>,
}

/// The output, and the buffer the gathered blocks are swapped into to be
/// written (so that they are written without the blocks' lock held).
struct Output {
    out: Box<dyn Write + Send>,
    writing: Vec<u8>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("stats", &self.stats())
            .finish()
    }
}

struct Inner {
    /// Blocks not written yet (the writer only formats them into memory).
    blocks: PcapNgWriter<Vec<u8>>,
    /// One frame (cooked header, then the datagram), reused.
    frame: Vec<u8>,
    /// Overruns so far per interface, for `isb_osdrop`.
    overruns: Vec<u64>,
    stats: RecordingCounters,
}

impl Recorder {
    /// A recorder writing to `out`; the section header is written (and `out`
    /// flushed) at once, so that an output that cannot be written fails here.
    pub fn new(out: impl Write + Send + 'static) -> io::Result<Recorder> {
        Recorder::with_comment(out, "")
    }

    /// A recorder whose file says `comment` in its section header (`nlwatch
    /// record` writes its command line there); see [`Recorder::new`].
    pub fn with_comment(out: impl Write + Send + 'static, comment: &str) -> io::Result<Recorder> {
        let mut options = vec![SectionHeaderOption::UserApplication(Cow::Owned(format!(
            "nlwatch {}",
            env!("CARGO_PKG_VERSION")
        )))];
        if !comment.is_empty() {
            options.push(SectionHeaderOption::Comment(Cow::Owned(
                comment.to_string(),
            )));
        }
        let section = SectionHeaderBlock {
            // The datagrams are in this host's byte order: so is the file.
            endianness: if cfg!(target_endian = "little") {
                pcap_file::Endianness::Little
            } else {
                pcap_file::Endianness::Big
            },
            options,
            ..SectionHeaderBlock::default()
        };
        let blocks = PcapNgWriter::with_section_header(Vec::with_capacity(64 * 1024), section)
            .map_err(pcap_io)?;
        let recorder = Recorder {
            inner: Arc::new(Shared {
                state: Mutex::new(Inner {
                    blocks,
                    frame: Vec::with_capacity(4096),
                    overruns: Vec::new(),
                    stats: RecordingCounters::default(),
                }),
                output: Mutex::new(Output {
                    out: Box::new(out),
                    writing: Vec::new(),
                }),
            }),
        };
        recorder.write_out();
        let error = recorder.inner.state.lock().stats.error.take();
        match error {
            Some(e) => Err(io::Error::new(e.kind, e.message)),
            None => Ok(recorder),
        }
    }

    /// What was recorded so far, and the error that stopped recording, if any.
    /// Never waits for the output: a write that blocks does not block this.
    pub fn stats(&self) -> RecordingCounters {
        self.inner.state.lock().stats.clone()
    }

    /// Writes what gathered and flushes the output. `Err` when recording has
    /// stopped on a write error (that error, again). Blocks while the output
    /// does (a full pipe), as a write does.
    pub fn flush(&self) -> io::Result<()> {
        self.write_out();
        match &self.inner.state.lock().stats.error {
            Some(e) => Err(io::Error::new(e.kind, e.message.clone())),
            None => Ok(()),
        }
    }

    /// Writes the gathered blocks (whole, in the order they were formatted:
    /// the output's lock is taken before they are taken) and flushes the
    /// output.
    fn write_out(&self) {
        let mut output = self.inner.output.lock();
        let output = &mut *output;
        {
            let mut state = self.inner.state.lock();
            let state = &mut *state;
            let pending = state.blocks.get_mut();
            if state.stats.error.is_some() {
                pending.clear();
                return;
            }
            std::mem::swap(pending, &mut output.writing);
        }
        let result = output
            .out
            .write_all(&output.writing)
            .and_then(|()| output.out.flush());
        let mut state = self.inner.state.lock();
        match result {
            Ok(()) => state.stats.bytes += output.writing.len() as u64,
            Err(e) => {
                state.stats.error = Some(RecordingError {
                    kind: e.kind(),
                    message: format!("cannot write the recording: {e}"),
                })
            }
        }
        output.writing.clear();
    }

    /// Formats one block into memory; writes out when enough gathered.
    fn block(
        &self,
        write: impl FnOnce(&mut PcapNgWriter<Vec<u8>>) -> pcap_file::PcapResult<usize>,
    ) {
        if self.inner.state.lock().block(write) {
            self.write_out();
        }
    }

    /// Describes a namespace (an Interface Description Block); returns its
    /// interface id in the file.
    pub(crate) fn interface(&self, tag: &NetnsTag, portid: u32, kinds: &[ObjectKind]) -> u32 {
        let mut description = format!("netns_cookie={} portid={portid} objects=", tag.id);
        for (i, kind) in kinds.iter().enumerate() {
            if i > 0 {
                description.push(',');
            }
            let _ = write!(description, "{}", kind.as_str());
        }
        let idb = InterfaceDescriptionBlock {
            linktype: DataLink::from(u32::from(LINKTYPE_NETLINK)),
            snaplen: 0,
            options: vec![
                InterfaceDescriptionOption::IfName(Cow::Owned(tag.name.to_string())),
                InterfaceDescriptionOption::IfDescription(Cow::Owned(description)),
                InterfaceDescriptionOption::IfTsResol(9),
            ],
        };
        let (id, full) = {
            let mut inner = self.inner.state.lock();
            let id = u32::try_from(inner.overruns.len()).unwrap_or(u32::MAX);
            inner.overruns.push(0);
            inner.stats.namespaces += 1;
            (id, inner.block(|w| w.write_pcapng_block(idb)))
        };
        if full {
            self.write_out();
        }
        id
    }

    /// Namespace `interface` is watched from `time` on.
    pub(crate) fn watched(&self, interface: u32, time: SystemTime) {
        self.statistics(
            interface,
            time,
            InterfaceStatisticsOption::IsbStartTime(isb_time(nanos(time))),
            "nlwatch: namespace watched".into(),
        );
    }

    /// The kernel reported lost notifications (`ENOBUFS`) on `interface`'s
    /// socket at `time`.
    pub(crate) fn overrun(&self, interface: u32, time: SystemTime) {
        let drops = {
            let mut inner = self.inner.state.lock();
            inner.stats.overruns += 1;
            match inner.overruns.get_mut(interface as usize) {
                Some(n) => {
                    *n += 1;
                    *n
                }
                None => return,
            }
        };
        self.statistics(
            interface,
            time,
            InterfaceStatisticsOption::IsbOsDrop(drops),
            "nlwatch: overrun (ENOBUFS): notifications were lost".into(),
        );
    }

    /// At `time`, `interface`'s socket was found empty while a dump whose end
    /// a truncated datagram lost was waiting for it: the dump is over.
    pub(crate) fn dump_ended(&self, interface: u32, time: SystemTime) {
        let isb = InterfaceStatisticsBlock {
            interface_id: interface,
            timestamp: isb_time(nanos(time)),
            options: vec![InterfaceStatisticsOption::Comment(Cow::Borrowed(
                DUMP_ENDED,
            ))],
        };
        self.block(|w| w.write_pcapng_block(isb));
    }

    /// Namespace `interface` stopped being watched at `time`, for `reason`.
    pub(crate) fn gone(&self, interface: u32, time: SystemTime, reason: &GoneReason) {
        self.statistics(
            interface,
            time,
            InterfaceStatisticsOption::IsbEndTime(isb_time(nanos(time))),
            format!("nlwatch: namespace gone: {}", reason_text(reason)),
        );
    }

    /// One Interface Statistics Block.
    fn statistics(
        &self,
        interface: u32,
        time: SystemTime,
        option: InterfaceStatisticsOption<'static>,
        comment: String,
    ) {
        let isb = InterfaceStatisticsBlock {
            interface_id: interface,
            timestamp: isb_time(nanos(time)),
            options: vec![
                option,
                InterfaceStatisticsOption::Comment(Cow::Owned(comment)),
            ],
        };
        self.block(|w| w.write_pcapng_block(isb));
    }

    /// One datagram received on `interface`'s socket at `time`: `bytes` as
    /// received, `original_len` its length (more when it was truncated).
    pub(crate) fn datagram(
        &self,
        interface: u32,
        time: SystemTime,
        bytes: &[u8],
        original_len: usize,
    ) {
        let mut inner = self.inner.state.lock();
        if inner.stats.error.is_some() {
            return;
        }
        let mut frame = std::mem::take(&mut inner.frame);
        frame.clear();
        frame.extend_from_slice(&cooked_header());
        frame.extend_from_slice(bytes);
        let epb = EnhancedPacketBlock {
            interface_id: interface,
            timestamp: Duration::from_nanos(nanos(time)),
            original_len: u32::try_from(COOKED_LEN + original_len).unwrap_or(u32::MAX),
            data: Cow::Borrowed(&frame),
            options: Vec::new(),
        };
        inner.stats.datagrams += 1;
        let full = inner.block(|w| w.write_pcapng_block(epb));
        inner.frame = frame;
        drop(inner);
        if full {
            self.write_out();
        }
    }

    /// A reader has nothing more to read for now: write what gathered.
    pub(crate) fn idle(&self) {
        if !self.inner.state.lock().blocks.get_ref().is_empty() {
            self.write_out();
        }
    }
}

impl Inner {
    /// Formats one block into memory; whether enough gathered to be written
    /// at once (by the caller, once it has let this lock go).
    fn block(
        &mut self,
        write: impl FnOnce(&mut PcapNgWriter<Vec<u8>>) -> pcap_file::PcapResult<usize>,
    ) -> bool {
        if self.stats.error.is_some() {
            return false;
        }
        if let Err(e) = write(&mut self.blocks) {
            // Formatting into memory fails only on a bad interface id, which
            // the readers never give: keep the file as it is.
            self.stats.error = Some(RecordingError {
                kind: io::ErrorKind::Other,
                message: format!("cannot format a block: {e}"),
            });
            return false;
        }
        self.blocks.get_ref().len() >= WRITE_AT
    }
}

/// The comment of the Interface Statistics Block that says a dump whose end
/// was lost is over (the socket was found empty).
pub(crate) const DUMP_ENDED: &str = "nlwatch: socket empty, the dump that lost its end is over";

/// The reason a namespace went, as its Interface Statistics Block's comment
/// says it (and `read` reads it back).
pub(crate) fn reason_text(reason: &GoneReason) -> String {
    match reason {
        GoneReason::Removed => "removed".into(),
        GoneReason::Vanished => "vanished".into(),
        GoneReason::SocketError(errno) => format!("socket error {errno}"),
        GoneReason::Shutdown => "shutdown".into(),
    }
}

/// A pcap-file error on a write into memory or to the output, as `io::Error`.
fn pcap_io(e: pcap_file::PcapError) -> io::Error {
    match e {
        pcap_file::PcapError::IoError(e) => e,
        other => io::Error::other(other.to_string()),
    }
}

/// What a reader records for one namespace: the recorder and the namespace's
/// interface in the file.
#[derive(Debug, Clone)]
pub(crate) struct Tap {
    pub(crate) recorder: Recorder,
    pub(crate) interface: u32,
}

impl Tap {
    /// See [`Recorder::watched`].
    pub(crate) fn watched(&self, time: SystemTime) {
        self.recorder.watched(self.interface, time);
    }

    /// See [`Recorder::datagram`].
    pub(crate) fn datagram(&self, time: SystemTime, bytes: &[u8], original_len: usize) {
        self.recorder
            .datagram(self.interface, time, bytes, original_len);
    }

    /// See [`Recorder::overrun`].
    pub(crate) fn overrun(&self, time: SystemTime) {
        self.recorder.overrun(self.interface, time);
    }

    /// See [`Recorder::dump_ended`].
    pub(crate) fn dump_ended(&self, time: SystemTime) {
        self.recorder.dump_ended(self.interface, time);
    }

    /// See [`Recorder::gone`].
    pub(crate) fn gone(&self, time: SystemTime, reason: &GoneReason) {
        self.recorder.gone(self.interface, time, reason);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossbeam_channel::{bounded, Receiver};

    /// An output that blocks every write until told to go on (a pipe whose
    /// reader stalled).
    struct Stalled {
        entered: crossbeam_channel::Sender<()>,
        go: Receiver<()>,
    }

    impl Write for Stalled {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let _ = self.entered.try_send(());
            let _ = self.go.recv();
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// A write that blocks holds the output only: the counters can still be
    /// read and blocks still be formatted, so a program asked to stop can
    /// learn what was recorded and leave. (`stats` waited for the stalled
    /// write before, and `nlwatch record -` ignored SIGTERM.)
    #[test]
    fn a_stalled_output_blocks_neither_stats_nor_formatting() {
        let (go_tx, go_rx) = bounded::<()>(0);
        let (entered_tx, entered_rx) = bounded::<()>(16);
        // The section header is written at once: let it through.
        let opening = std::thread::spawn({
            let go = go_tx.clone();
            move || go.send(()).unwrap()
        });
        let recorder = Recorder::new(Stalled {
            entered: entered_tx,
            go: go_rx,
        })
        .unwrap();
        opening.join().unwrap();
        entered_rx.recv().unwrap();
        let interface = recorder.interface(&NetnsTag::default(), 1, &[ObjectKind::Link]);
        let writer = std::thread::spawn({
            let recorder = recorder.clone();
            move || recorder.idle()
        });
        // The writer is inside the output's write, and stays there.
        entered_rx.recv().unwrap();
        let (done_tx, done_rx) = bounded(1);
        let reader = std::thread::spawn({
            let recorder = recorder.clone();
            move || {
                recorder.datagram(interface, SystemTime::UNIX_EPOCH, &[1, 2, 3, 4], 4);
                let _ = done_tx.send(recorder.stats());
            }
        });
        let stats = done_rx.recv_timeout(Duration::from_secs(10));
        // Let the writer go whatever happened, so the test ends.
        drop(go_tx);
        writer.join().unwrap();
        reader.join().unwrap();
        let stats = stats.expect("stats and datagram waited for the stalled write");
        assert_eq!((stats.namespaces, stats.datagrams), (1, 1));
    }
}
