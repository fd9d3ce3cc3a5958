//! Watching: one rtnetlink socket per namespace, read by a small pool of reader
//! threads, each namespace's state view kept from dumps and notifications, and
//! the [`Monitor`] that ties them together.
//!
//! In the order data flows, in three stages:
//!
//! - `read`: reading the sockets: `socket` (the rtnetlink socket: autobind,
//!   groups, receive buffer, sender check, `recvmmsg`; hands out bytes),
//!   `reader` (the reader threads; hands each message to `sync` or `infer`),
//!   `pace` (when a reader looks again: blocking, or pausing during bursts).
//! - `keep`: keeping each namespace's state: `sync` (dump rounds: initial
//!   picture, resync after lost notifications), `infer` (notifications, and
//!   what the kernel does without one), `hops` (routes' next hops as the
//!   kernel keeps them), `namespace` (a watched namespace as its reader holds
//!   it, and `Out`, the one way its events reach the bus), `state` (the state
//!   view and [`Snapshot`]) with its containers (`chunk_map`, `stored`).
//! - the front: `monitor` (the public handle) made by `builder`, over
//!   `registry` (the namespaces, the threads, what they share); `wait`
//!   ([`Condition`] and [`WaitError`], what `Monitor::wait_until` checks);
//!   `metrics` (the counters as values, [`Metrics`]); `replay` ([`Replay`], a
//!   recording played back through `read` and `keep` as a live monitor runs
//!   them, without sockets).

mod builder;
mod keep;
mod metrics;
mod monitor;
mod read;
mod registry;
mod replay;
mod wait;

pub use builder::{Builder, DEFAULT_BATCH_WINDOW, DEFAULT_CAPACITY, DEFAULT_RCVBUF};
pub use keep::state::Snapshot;
pub use metrics::{
    DurationHistogram, Metrics, NamespaceCounters, NamespaceMetrics, RESYNC_BUCKETS,
};
pub use monitor::{MetricsSource, Monitor, WatchedNamespace};
pub use registry::NamespaceHandle;
pub use replay::Replay;
pub use wait::{AddrState, Condition, Dev, LinkState, NeverReason, Presence, WaitError};

/// What `crate::fuzzing` drives (feature `fuzzing`): a namespace's entry and the
/// reader's handling of one datagram, without threads.
#[cfg(feature = "fuzzing")]
pub(crate) mod fuzz_access {
    pub(crate) use super::keep::namespace::{Namespace, Outbox, Policy};
    pub(crate) use super::keep::state::{Key, SnapshotCopy};
    pub(crate) use super::keep::sync::Entry;
    pub(crate) use super::metrics::Counters;
    pub(crate) use super::read::reader::handle_datagram;
    pub(crate) use super::read::socket::{Received, RtSocket};
}
