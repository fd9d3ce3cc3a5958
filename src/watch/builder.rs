//! [`Builder`]: how a [`Monitor`] is made (`Monitor::builder`), with its
//! defaults, and the start of its reader threads. It never watches anything itself.

use super::keep::namespace::Policy;
use super::metrics::Ledger;
use super::monitor::Monitor;
use super::read::reader::{self, Reader};
use super::read::socket::DEFAULT_BUFFER;
use super::registry::{Core, Registry};
use crate::bus::{Bus, Overflow};
use crate::capture::Recorder;
use crate::error::Error;
use crate::object::ObjectKind;
use parking_lot::Mutex;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

/// How to build a [`Monitor`].
///
/// ```no_run
/// use nlwatch::{Monitor, Netns, ObjectKind};
/// let monitor = Monitor::builder()
///     .objects([ObjectKind::Link, ObjectKind::Address])
///     .rcvbuf(4 << 20)
///     .readers(2)
///     .build()?;
/// let events = monitor.subscribe();
/// monitor.add_namespace(Netns::Current)?;
/// monitor.add_namespace(Netns::Named("blue".into()))?;
/// for item in events {
///     println!("{item:?}");
/// }
/// # Ok::<(), nlwatch::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Builder {
    objects: Vec<ObjectKind>,
    rcvbuf: Option<usize>,
    capacity: usize,
    overflow: Overflow,
    readers: usize,
    list_existing: bool,
    synthesize: bool,
    batch_window: Duration,
    /// Receive slot size to start with (tests shrink it to provoke truncations).
    recv_buffer: usize,
    snapshot_step: usize,
    recorder: Option<Recorder>,
}

/// How long a reader lets notifications gather by default while they keep coming
/// (see [`Builder::batch_window`]).
pub const DEFAULT_BATCH_WINDOW: Duration = Duration::from_millis(10);

/// Receive buffer requested by default: 4 MiB, enough for bursts of tens of
/// thousands of notifications (the kernel's default is about 208 KiB).
pub const DEFAULT_RCVBUF: usize = 4 << 20;
/// Queue length of a subscriber by default.
pub const DEFAULT_CAPACITY: usize = 65_536;

/// Objects a snapshot copies per hold of its namespace's reader lock (see
/// `SnapshotCopy`): small enough that the reader, and every namespace it reads,
/// waits well under a millisecond for one step (see BENCHMARKS.md).
const SNAPSHOT_STEP: usize = 1024;

impl Monitor {
    /// A builder with the defaults: every object kind, a 4 MiB receive buffer, one
    /// reader thread.
    pub fn builder() -> Builder {
        Builder::default()
    }
}

impl Default for Builder {
    fn default() -> Self {
        Builder {
            objects: ObjectKind::ALL.to_vec(),
            rcvbuf: Some(DEFAULT_RCVBUF),
            capacity: DEFAULT_CAPACITY,
            overflow: Overflow::default(),
            readers: 1,
            list_existing: false,
            synthesize: true,
            batch_window: DEFAULT_BATCH_WINDOW,
            recv_buffer: DEFAULT_BUFFER,
            snapshot_step: SNAPSHOT_STEP,
            recorder: None,
        }
    }
}

impl Builder {
    /// The kinds of object to watch (default: all).
    pub fn objects(mut self, kinds: impl IntoIterator<Item = ObjectKind>) -> Self {
        self.objects = kinds.into_iter().collect();
        self.objects.sort();
        self.objects.dedup();
        self
    }

    /// Receive buffer to request per socket, in bytes (default [`DEFAULT_RCVBUF`]);
    /// `None` keeps the kernel's default. Without `CAP_NET_ADMIN` the kernel caps
    /// it at `net.core.rmem_max`; [`WatchedNamespace::rcvbuf`](crate::WatchedNamespace::rcvbuf) tells what applied.
    pub fn rcvbuf(mut self, bytes: impl Into<Option<usize>>) -> Self {
        self.rcvbuf = bytes.into();
        self
    }

    /// Queue length of each subscriber (default [`DEFAULT_CAPACITY`]). What happens
    /// when a queue is full is the [`overflow`](Self::overflow) policy.
    pub fn subscriber_capacity(mut self, items: usize) -> Self {
        self.capacity = items.max(1);
        self
    }

    /// What to do when a subscriber's queue is full (default
    /// [`Overflow::DropOldest`]); losses are reported as [`Item::Lagged`](crate::Item::Lagged).
    /// **[`Overflow::Block`] makes the reader thread wait for the slowest
    /// subscriber, stalling every other subscriber of its namespaces and letting
    /// the kernel's socket buffers overrun**; see [`Overflow`].
    pub fn overflow(mut self, policy: Overflow) -> Self {
        self.overflow = policy;
        self
    }

    /// Number of reader threads (default 1, at least 1). Each namespace is read by
    /// one of them for its whole life, so its events keep the kernel's order; one
    /// reader serves thousands of quiet namespaces.
    pub fn readers(mut self, threads: usize) -> Self {
        self.readers = threads.max(1);
        self
    }

    /// Deliver each namespace's current objects (of every kind watched) as
    /// `new` events of [`Origin::Dump`](crate::Origin::Dump) when it is added,
    /// followed by [`Item::SyncDone`](crate::Item::SyncDone), then its live events (default: off; the
    /// dump is made either way to fill the state view, and `SyncDone` is sent
    /// either way).
    pub fn list_existing(mut self, yes: bool) -> Self {
        self.list_existing = yes;
        self
    }

    /// Publish the deletions the kernel does not announce (the routes and
    /// neighbours of a deleted link, IPv4 routes flushed when a link goes down or
    /// an address is removed) as `del` events of
    /// [`Origin::Synthesized`](crate::Origin::Synthesized) (default: on). The state
    /// view drops them either way.
    pub fn synthesize_deletions(mut self, yes: bool) -> Self {
        self.synthesize = yes;
        self
    }

    /// During a burst, let notifications gather for up to `window` before
    /// reading them, instead of waking the reader for each one (default:
    /// [`DEFAULT_BATCH_WINDOW`], 10 ms; `Duration::ZERO` turns it off; at most 1 s).
    ///
    /// A reader with nothing to read blocks until the kernel sends something,
    /// and while notifications come slower than 1,000 per second (over spans of
    /// at least 1 ms) it keeps doing so: each change is read as it comes. Once
    /// they come faster, it pauses before each next look for about the time 256
    /// of them take to arrive at the measured rate, at most `window`, and goes
    /// back to blocking as soon as the rate falls (it looks again at once, whatever
    /// the rate, when a look left more than it reads in one go). So a steady
    /// moderate rate of changes is delivered without delay, and during a burst
    /// each change waits at most `window` while the reader wakes once per batch
    /// instead of once per message: each wake-up costs far more CPU than
    /// decoding a message (see BENCHMARKS.md, "Burst" and "Latency").
    /// `Monitor::shutdown` may wait one window.
    ///
    /// Notifications pile up in the socket meanwhile: keep `window` times the
    /// kernel's notification rate (at most about 100,000 per second, each taking
    /// about 1 KiB of the receive buffer) well inside [`Builder::rcvbuf`].
    pub fn batch_window(mut self, window: Duration) -> Self {
        self.batch_window = window.min(Duration::from_secs(1));
        self
    }

    /// The size the readers' receive slots start with (default 32 KiB; they grow
    /// after a truncation): small sizes make the kernel's datagrams truncate.
    #[cfg(test)]
    pub(crate) fn recv_buffer(mut self, bytes: usize) -> Self {
        self.recv_buffer = bytes;
        self
    }

    /// Record every datagram the kernel sends to the watched sockets (the
    /// notifications and the dump answers), every overrun, and each namespace's
    /// arrival and departure, as pcapng (default: off). See [`Recorder`] for the
    /// file, and [`Replay`](crate::recording::Replay) to play it back. The readers hand it
    /// each datagram as they receive it, and write what gathered in whole blocks
    /// between two looks at their sockets and when the monitor shuts down.
    pub fn record(mut self, recorder: Recorder) -> Self {
        self.recorder = Some(recorder);
        self
    }

    /// Objects a snapshot copies per hold of a reader's lock (default 1024;
    /// `usize::MAX` copies a namespace in one hold). For benchmarks comparing
    /// the two; not part of the stable API.
    #[doc(hidden)]
    pub fn snapshot_step(mut self, objects: usize) -> Self {
        self.snapshot_step = objects.max(1);
        self
    }

    /// Starts the reader threads. No namespace is watched yet: subscribe first,
    /// then add namespaces with [`Monitor::add_namespace`] or [`Monitor::watch_dir`],
    /// so that no event can slip out between a socket opening and a subscription.
    pub fn build(self) -> Result<Monitor, Error> {
        if self.objects.is_empty() {
            return Err(Error::InvalidArgument(format!(
                "no object kinds to watch: name at least one of {}",
                ObjectKind::list(", ")
            )));
        }
        // Links are always followed (see `Out::publish`), and each group joined once.
        let mut groups: Vec<u32> = std::iter::once(&ObjectKind::Link)
            .chain(&self.objects)
            .flat_map(|k| k.groups().iter().copied())
            .collect();
        groups.sort_unstable();
        groups.dedup();
        let readers = (0..self.readers)
            .map(|_| Reader::new().map_err(|e| Error::io("create a reader's epoll", "", e)))
            .collect::<Result<Vec<_>, _>>()?;
        let shared = Arc::new(Core {
            bus: Bus::new(),
            stop: AtomicBool::new(false),
            registry: Mutex::new(Registry::default()),
            readers,
            groups,
            policy: Policy {
                kinds: self.objects.clone(),
                list_existing: self.list_existing,
                synthesize: self.synthesize,
            },
            rcvbuf: self.rcvbuf,
            capacity: self.capacity,
            overflow: self.overflow,
            batch_window: self.batch_window,
            recv_buffer: self.recv_buffer,
            snapshot_step: self.snapshot_step,
            discovery: Mutex::new(None),
            recorder: self.recorder,
            ledger: Mutex::new(Ledger::default()),
        });
        let mut threads = Vec::with_capacity(self.readers);
        for index in 0..self.readers {
            let s = shared.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("nlwatch-reader-{index}"))
                .spawn(move || reader::run(&s.readers[index], &*s));
            match spawned {
                Ok(handle) => threads.push(handle),
                Err(e) => {
                    // Stop the readers already started before reporting.
                    let monitor = Monitor {
                        shared,
                        threads: Mutex::new(threads),
                    };
                    drop(monitor);
                    return Err(Error::io("start a reader thread", "", e));
                }
            }
        }
        Ok(Monitor {
            shared,
            threads: Mutex::new(threads),
        })
    }
}
