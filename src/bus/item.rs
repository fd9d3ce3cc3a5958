//! What travels on the bus: events and the control items that go with them, on
//! the same stream and in the same order.
//!
//! This module only defines the values.

use crate::object::{Event, NetnsTag};
use std::sync::Arc;
use std::time::SystemTime;

/// What a subscriber receives: events and the control items that travel with them.
/// New kinds of control item may be added, hence `#[non_exhaustive]`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Item {
    /// A change in a namespace.
    Event(Arc<Event>),
    /// The namespace's socket lost notifications (`ENOBUFS`) or received a truncated
    /// datagram: changes were missed and the subscriber's picture may be stale.
    Overrun {
        /// The namespace concerned.
        netns: NetnsTag,
        /// When the loss was found: the receive time of the read that found it.
        timestamp: SystemTime,
    },
    /// This subscriber's queue was full and `missed` items were dropped for it
    /// (see [`Overflow`](super::Overflow) for where in the stream the report appears).
    Lagged {
        /// How many items were dropped since the last `Lagged`.
        missed: u64,
    },
    /// The initial dump of a namespace is complete: the `Origin::Dump` events before
    /// this (with `list_existing`) were its whole state, and what follows is live.
    SyncDone {
        /// The namespace.
        netns: NetnsTag,
        /// The receive time of the message that completed it.
        timestamp: SystemTime,
    },
    /// The re-dump after an [`Item::Overrun`] is complete: the `Origin::Resync`
    /// events before this brought the picture back in line with the kernel.
    ResyncDone {
        /// The namespace.
        netns: NetnsTag,
        /// The receive time of the message that completed it.
        timestamp: SystemTime,
    },
    /// A namespace is now watched: every later change in it is reported.
    NamespaceAdded {
        /// The namespace.
        netns: NetnsTag,
        /// When its reader began to watch it.
        timestamp: SystemTime,
    },
    /// A [`Sink`](super::Sink) asked to stop, or failed, and was removed.
    SinkStopped {
        /// The sink, as [`Bus::add_sink`](super::Bus::add_sink) returned it.
        sink: SinkId,
        /// Why it failed (its error's text), or `None` when it asked to stop.
        /// (An `Arc<str>`, not a `String`, keeps `Item` at 48 bytes: every slot
        /// of a subscriber's bounded queue is allocated when it subscribes.)
        error: Option<Arc<str>>,
    },
    /// A namespace file that a watched directory holds could not be watched
    /// (for a reason other than not being a namespace): the other namespaces
    /// are unaffected.
    DiscoveryFailed {
        /// The namespace file.
        path: Arc<std::path::Path>,
        /// The OS error, when there was one (`EPERM` from `setns`, say).
        errno: Option<i32>,
    },
    /// A namespace is no longer watched; its socket is closed.
    NamespaceGone {
        /// The namespace.
        netns: NetnsTag,
        /// Why.
        reason: GoneReason,
        /// When it stopped being watched.
        timestamp: SystemTime,
    },
}

/// Why a namespace stopped being watched.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum GoneReason {
    /// `Monitor::remove_namespace` was called.
    Removed,
    /// Its file vanished from a watched directory (e.g. `ip netns del`).
    Vanished,
    /// Its socket failed with this OS error.
    SocketError(i32),
    /// The monitor is shutting down.
    Shutdown,
}

/// The id of a sink, as [`Bus::add_sink`](super::Bus::add_sink) and
/// [`Monitor::add_sink`](crate::Monitor::add_sink) return it and
/// [`Item::SinkStopped`] names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SinkId(pub(crate) u64);
