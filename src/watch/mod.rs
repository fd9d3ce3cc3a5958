//! Watching: one rtnetlink socket per namespace, read by a small pool of reader
//! threads, each namespace's state view kept from dumps and notifications, and
//! the [`Monitor`] that ties them together.
//!
//! In the order data flows:
//!
//! - `socket`: the rtnetlink socket (autobind, groups, receive buffer, sender
//!   check, `recvmmsg`); hands out bytes.
//! - `reader`: the reader threads; hands each message to `sync` or `infer`.
//! - `pace`: when a reader looks again (blocking, or pausing during bursts).
//! - `sync`: dump rounds (initial picture, resync after lost notifications).
//! - `infer`: notifications, and the deletions the kernel makes silently.
//! - `namespace`: a watched namespace as its reader holds it, and `Out`, the one
//!   way its events reach the bus.
//! - `state`: the state view and [`Snapshot`].
//! - `monitor`: the registry of namespaces, the threads, the public handle.
//! - `wait`: [`Condition`] and [`WaitError`], what `Monitor::wait_until`
//!   checks on a copy of the state view and on each later event.
//! - `metrics`: the counters as values ([`Metrics`]) and the totals of
//!   namespaces gone.
//! - `replay`: [`Replay`], a recording played back through `reader`, `sync`,
//!   `infer` and `namespace` as a live monitor runs them, without sockets.

mod builder;
mod chunk_map;
mod hops;
mod infer;
mod metrics;
mod monitor;
mod namespace;
mod pace;
mod reader;
mod registry;
mod replay;
mod socket;
mod state;
mod stored;
mod sync;
mod wait;

pub use builder::{Builder, DEFAULT_BATCH_WINDOW, DEFAULT_CAPACITY, DEFAULT_RCVBUF};
pub use metrics::{
    DurationHistogram, Metrics, NamespaceCounters, NamespaceMetrics, RESYNC_BUCKETS,
};
pub use monitor::{MetricsSource, Monitor, NamespaceHandle, NamespaceStats};
pub use replay::Replay;
pub use state::Snapshot;
pub use wait::{AddrState, Condition, Dev, LinkState, NeverReason, Presence, WaitError};

/// What `crate::fuzzing` drives (feature `fuzzing`): a namespace's entry and the
/// reader's handling of one datagram, without threads.
#[cfg(feature = "fuzzing")]
pub(crate) mod fuzz_access {
    pub(crate) use super::namespace::{Counters, Entry, Namespace, Outbox, Policy};
    pub(crate) use super::reader::handle_datagram;
    pub(crate) use super::socket::{Received, RtSocket};
    pub(crate) use super::state::{Key, SnapshotCopy};
}
