//! A subscriber's end of the bus: blocking, non-blocking and timed receives,
//! iteration, and the loss count, behind types of this crate (the channel that
//! carries the items is an implementation detail, reachable only through an
//! escape hatch named as such).
//!
//! This module never publishes.

use super::item::Item;
use super::queue::Meta;
use super::{BusInner, Filter, Overflow};
use crossbeam_channel::Receiver;
use std::fmt;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::Duration;

/// Why [`Subscription::try_recv`] gave no item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TryRecvError {
    /// Nothing is queued now.
    Empty,
    /// The bus is closed (the monitor shut down) and the queue is drained.
    Closed,
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TryRecvError::Empty => "no item is queued",
            TryRecvError::Closed => "the bus is closed and the queue is drained",
        })
    }
}

impl std::error::Error for TryRecvError {}

/// Why [`Subscription::recv_timeout`] gave no item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecvTimeoutError {
    /// No item came in time.
    Timeout,
    /// The bus is closed (the monitor shut down) and the queue is drained.
    Closed,
}

impl fmt::Display for RecvTimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RecvTimeoutError::Timeout => "timed out waiting for an item",
            RecvTimeoutError::Closed => "the bus is closed and the queue is drained",
        })
    }
}

impl std::error::Error for RecvTimeoutError {}

/// A subscriber's end of the bus.
///
/// Iterate it (or `&subscription`) to block for items; the iteration ends when
/// the monitor shuts down (the bus closes). [`recv`](Self::recv),
/// [`try_recv`](Self::try_recv), [`recv_timeout`](Self::recv_timeout) and
/// [`try_iter`](Self::try_iter) take one item or what is queued. Dropping the
/// subscription unsubscribes it at once.
///
/// To wait on a subscription and other events at once, give the subscription its
/// own thread, use the escape hatch [`as_crossbeam_receiver`](Self::as_crossbeam_receiver),
/// or, in async code, make it a stream with `into_stream` (feature `async`).
pub struct Subscription {
    pub(super) rx: Receiver<Item>,
    pub(super) meta: Arc<Meta>,
    pub(super) bus: Weak<BusInner>,
    pub(super) id: u64,
}

impl fmt::Debug for Subscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscription")
            .field("filter", &self.meta.filter)
            .field("overflow", &self.meta.overflow)
            .field("queued", &self.rx.len())
            .field("dropped", &self.dropped())
            .finish()
    }
}

impl Subscription {
    /// Blocks for the next item; `None` once the monitor has shut down and the
    /// queue is drained.
    pub fn recv(&self) -> Option<Item> {
        self.rx.recv().ok()
    }

    /// The next item if one is queued.
    pub fn try_recv(&self) -> Result<Item, TryRecvError> {
        self.rx.try_recv().map_err(|e| match e {
            crossbeam_channel::TryRecvError::Empty => TryRecvError::Empty,
            crossbeam_channel::TryRecvError::Disconnected => TryRecvError::Closed,
        })
    }

    /// Waits up to `timeout` for the next item.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<Item, RecvTimeoutError> {
        self.rx.recv_timeout(timeout).map_err(|e| match e {
            crossbeam_channel::RecvTimeoutError::Timeout => RecvTimeoutError::Timeout,
            crossbeam_channel::RecvTimeoutError::Disconnected => RecvTimeoutError::Closed,
        })
    }

    /// The items queued now, without waiting.
    pub fn try_iter(&self) -> impl Iterator<Item = Item> + '_ {
        self.rx.try_iter()
    }

    /// How many items are queued.
    pub fn len(&self) -> usize {
        self.rx.len()
    }

    /// Whether no item is queued.
    pub fn is_empty(&self) -> bool {
        self.rx.is_empty()
    }

    /// **Escape hatch**: the crossbeam-channel 0.5 receiver that carries the
    /// items, for `crossbeam_channel::select!` over this subscription and other
    /// channels.
    ///
    /// It ties your code to crossbeam-channel's major version, which this crate
    /// may change in any release (a bump of that dependency would then break your
    /// build, not your program). Receive from it exactly as from the subscription
    /// (the same queue, the same loss reports); a clone of it does not keep the
    /// subscription alive.
    pub fn as_crossbeam_receiver(&self) -> &Receiver<Item> {
        &self.rx
    }

    /// How many items were dropped for this subscriber because its queue was full
    /// (or, with [`Overflow::Block`], because the bus stopped waiting).
    pub fn dropped(&self) -> u64 {
        self.meta.dropped.load(Ordering::Relaxed)
    }

    /// The filter this subscription was made with. (Not `filter()`: `Subscription`
    /// is an [`Iterator`], whose `filter` method syntax would pick first.)
    ///
    /// ```
    /// use nlwatch::{Bus, Filter, ObjectKind, Overflow};
    /// let bus = Bus::new();
    /// let routes = Filter::new().object(ObjectKind::Route);
    /// let sub = bus.subscribe(routes.clone(), 16, Overflow::DropOldest);
    /// assert_eq!(sub.subscribed_filter(), &routes);
    /// ```
    pub fn subscribed_filter(&self) -> &Filter {
        &self.meta.filter
    }

    /// The overflow policy this subscription was made with.
    pub fn overflow(&self) -> Overflow {
        self.meta.overflow
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.meta.unsubscribed.store(true, Ordering::Release);
        if let Some(bus) = self.bus.upgrade() {
            bus.unsubscribe(self.id);
        }
    }
}

impl Iterator for Subscription {
    type Item = Item;
    fn next(&mut self) -> Option<Item> {
        self.recv()
    }
}

/// Blocks for each item in turn until the bus closes.
#[derive(Debug)]
pub struct SubscriptionIter<'a> {
    rx: crossbeam_channel::Iter<'a, Item>,
}

impl Iterator for SubscriptionIter<'_> {
    type Item = Item;
    fn next(&mut self) -> Option<Item> {
        self.rx.next()
    }
}

impl<'a> IntoIterator for &'a Subscription {
    type Item = Item;
    type IntoIter = SubscriptionIter<'a>;
    fn into_iter(self) -> SubscriptionIter<'a> {
        SubscriptionIter { rx: self.rx.iter() }
    }
}
