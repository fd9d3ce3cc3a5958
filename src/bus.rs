//! The event bus: fans items out to subscribers through bounded queues.
//!
//! Publishing never blocks: each subscriber has its own bounded crossbeam queue,
//! and when it is full the new item is dropped and counted for that subscriber
//! only. Before the next item that fits, the subscriber receives
//! [`Item::Lagged`] with the number it missed, so a loss is never silent. Events
//! are shared as `Arc<Event>`: one allocation however many subscribers there are.
//!
//! This module must never decode or touch a socket.

use crate::event::{Event, NetnsTag};
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, TryRecvError, TrySendError};
use parking_lot::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// What a subscriber receives: events and the control items that travel with them.
/// More control items will be added (initial dump done, resync, namespace added and
/// gone), hence `#[non_exhaustive]`.
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
    },
    /// This subscriber's queue was full and `missed` items were dropped for it.
    Lagged {
        /// How many items were dropped since the last `Lagged`.
        missed: u64,
    },
    /// A namespace is now watched: every later change in it is reported.
    NamespaceAdded {
        /// The namespace.
        netns: NetnsTag,
    },
    /// A namespace is no longer watched; its socket is closed.
    NamespaceGone {
        /// The namespace.
        netns: NetnsTag,
        /// Why.
        reason: GoneReason,
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

struct Slot {
    tx: Sender<Item>,
    /// Items dropped for this subscriber and not yet reported.
    missed: u64,
    /// Total dropped over the subscriber's life.
    dropped: Arc<AtomicU64>,
}

impl Slot {
    /// Sends `item`, first reporting any pending loss. Returns false when the
    /// subscriber is gone.
    fn offer(&mut self, item: Item) -> bool {
        if self.missed > 0 {
            match self.tx.try_send(Item::Lagged {
                missed: self.missed,
            }) {
                Ok(()) => self.missed = 0,
                Err(TrySendError::Full(_)) => {
                    self.note_drop();
                    return true;
                }
                Err(TrySendError::Disconnected(_)) => return false,
            }
        }
        match self.tx.try_send(item) {
            Ok(()) => true,
            Err(TrySendError::Full(_)) => {
                self.note_drop();
                true
            }
            Err(TrySendError::Disconnected(_)) => false,
        }
    }

    fn note_drop(&mut self) {
        self.missed += 1;
        self.dropped.fetch_add(1, Ordering::Relaxed);
    }
}

/// The set of subscribers.
#[derive(Default)]
pub(crate) struct Bus {
    slots: Mutex<Vec<Slot>>,
}

impl Bus {
    pub(crate) fn subscribe(&self, capacity: usize) -> Subscription {
        let (tx, rx) = crossbeam_channel::bounded(capacity.max(1));
        let dropped = Arc::new(AtomicU64::new(0));
        self.slots.lock().push(Slot {
            tx,
            missed: 0,
            dropped: dropped.clone(),
        });
        Subscription { rx, dropped }
    }

    /// Offers `item` to every subscriber; forgets subscribers that went away.
    pub(crate) fn publish(&self, item: Item) {
        let mut slots = self.slots.lock();
        slots.retain_mut(|slot| slot.offer(item.clone()));
    }

    /// Ends every subscription: their iterators finish once drained.
    pub(crate) fn close(&self) {
        self.slots.lock().clear();
    }
}

/// A subscriber's end of the bus.
///
/// Iterate it to block for items; the iteration ends when the monitor shuts down.
/// [`Subscription::receiver`] gives the crossbeam `Receiver` for `select!`.
#[derive(Debug)]
pub struct Subscription {
    rx: Receiver<Item>,
    dropped: Arc<AtomicU64>,
}

impl Subscription {
    /// Blocks for the next item; `None` once the monitor has shut down and the
    /// queue is drained.
    pub fn recv(&self) -> Option<Item> {
        self.rx.recv().ok()
    }

    /// The next item if one is queued.
    pub fn try_recv(&self) -> Result<Item, TryRecvError> {
        self.rx.try_recv()
    }

    /// Waits up to `timeout` for the next item.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<Item, RecvTimeoutError> {
        self.rx.recv_timeout(timeout)
    }

    /// The underlying receiver, for `crossbeam_channel::select!`.
    pub fn receiver(&self) -> &Receiver<Item> {
        &self.rx
    }

    /// How many items were dropped for this subscriber because its queue was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

impl Iterator for Subscription {
    type Item = Item;
    fn next(&mut self) -> Option<Item> {
        self.recv()
    }
}

impl<'a> IntoIterator for &'a Subscription {
    type Item = Item;
    type IntoIter = crossbeam_channel::Iter<'a, Item>;
    fn into_iter(self) -> Self::IntoIter {
        self.rx.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_queue_drops_newest_and_reports_lag_once_room_frees() {
        let bus = Bus::default();
        let fast = bus.subscribe(16);
        let slow = bus.subscribe(2);
        for i in 0..5 {
            bus.publish(Item::Lagged { missed: 100 + i });
        }
        // The fast subscriber saw all five, in order.
        let got: Vec<_> = std::iter::from_fn(|| fast.try_recv().ok()).collect();
        assert_eq!(got.len(), 5);
        assert_eq!(got[4], Item::Lagged { missed: 104 });
        // The slow one kept the first two and lost three.
        assert_eq!(slow.dropped(), 3);
        assert_eq!(slow.try_recv().unwrap(), Item::Lagged { missed: 100 });
        assert_eq!(slow.try_recv().unwrap(), Item::Lagged { missed: 101 });
        assert!(slow.try_recv().is_err());
        bus.publish(Item::Lagged { missed: 7 });
        // The loss report comes before the new item.
        assert_eq!(slow.try_recv().unwrap(), Item::Lagged { missed: 3 });
        assert_eq!(slow.try_recv().unwrap(), Item::Lagged { missed: 7 });
    }

    #[test]
    fn dropped_subscriber_is_forgotten_and_close_ends_iteration() {
        let bus = Bus::default();
        let a = bus.subscribe(4);
        drop(bus.subscribe(4));
        bus.publish(Item::Lagged { missed: 1 });
        assert_eq!(bus.slots.lock().len(), 1);
        bus.close();
        let rest: Vec<_> = a.collect();
        assert_eq!(rest, vec![Item::Lagged { missed: 1 }]);
    }
}
