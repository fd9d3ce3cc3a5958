//! A subscriber's bounded queue and what happens when it is full ([`Overflow`]):
//! the publisher's end of one subscription.
//!
//! Sending to a queue that has room and no loss to report takes no lock; a
//! per-subscriber lock is taken only to report a loss before the next item or to
//! evict the oldest item, so that two publishers cannot interleave those steps.
//! This module must never block a publisher except for a subscriber that asked for
//! [`Overflow::Block`].

use super::filter::Filter;
use super::item::Item;
#[cfg(doc)]
use super::{Bus, Subscription};
use crossbeam_channel::{Receiver, SendTimeoutError, Sender, TrySendError};
use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// What to do when a subscriber's queue is full.
///
/// ```
/// use nlwatch::{Bus, Filter, Item, NetnsTag, Overflow};
/// // Items told apart by the id they carry.
/// let item = |id| Item::Overrun {
///     netns: NetnsTag { name: "".into(), id },
///     timestamp: std::time::SystemTime::UNIX_EPOCH,
/// };
/// let bus = Bus::new();
/// let sub = bus.subscribe(Filter::new(), 2, Overflow::DropOldest);
/// for id in 1..=5 {
///     bus.publish(item(id));
/// }
/// // The two newest were kept; three were dropped.
/// assert_eq!(sub.try_recv(), Ok(item(4)));
/// assert_eq!(sub.try_recv(), Ok(item(5)));
/// assert_eq!(sub.dropped(), 3);
/// // The loss is reported before the next item.
/// bus.publish(item(6));
/// assert_eq!(sub.try_recv(), Ok(Item::Lagged { missed: 3 }));
/// assert_eq!(sub.try_recv(), Ok(item(6)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Overflow {
    /// Remove the oldest queued item to make room for the new one: a subscriber
    /// that falls behind sees the most recent state. The default.
    ///
    /// Every removed item is counted in [`Subscription::dropped`] and reported as
    /// [`Item::Lagged`] as soon as the queue has room for the report, ahead of the
    /// next item delivered to this subscriber, and at the latest when the bus
    /// closes (in place of the oldest item, then). The lost items are older than the ones that were
    /// queued when the report was made, so the report follows the survivors: read
    /// it as "before the items you just received, `missed` were lost". The queue
    /// needs room for one report and one item, so its capacity is at least 2.
    #[default]
    DropOldest,
    /// Drop the new item and keep the queue as it is: a subscriber that falls
    /// behind sees an unbroken prefix, then a gap. Every dropped item is counted in
    /// [`Subscription::dropped`] and reported as [`Item::Lagged`] exactly where the
    /// gap is, as soon as the queue has room for it, ahead of the next item
    /// delivered to this subscriber.
    DropNewest,
    /// Make the publisher wait until the queue has room: nothing is ever dropped
    /// while the bus is open.
    ///
    /// **A blocked subscriber stalls the reader thread that publishes to it, and
    /// thereby every other subscriber of every namespace that thread reads**, and
    /// while the reader stalls the kernel keeps queueing on its sockets until they
    /// overrun (`ENOBUFS`, reported as [`Item::Overrun`]). Use it only for a
    /// consumer that is known to keep up, or when losing nothing matters more than
    /// everyone else's latency. No method of the [`Monitor`](crate::Monitor)
    /// waits for such a subscriber (the readers publish what they read only
    /// once they have let go of their namespaces, and announcements are made by
    /// the readers), so a consumer may call the monitor from its receive loop.
    /// The wait gives up, and later publishes no longer
    /// wait, once the monitor starts shutting down or [`Bus::close`] is called; an
    /// item given up on is counted in [`Subscription::dropped`].
    Block,
}

/// How long a blocked publisher waits before it checks again whether it should
/// stop waiting: bounds how long `Bus::stop_waiting` takes to free it.
const BLOCK_SLICE: Duration = Duration::from_millis(50);

/// What a subscription and its slot share.
pub(super) struct Meta {
    pub(super) filter: Filter,
    pub(super) overflow: Overflow,
    /// Total dropped over the subscriber's life.
    pub(super) dropped: AtomicU64,
    /// Set when the subscription is dropped: a blocked publisher stops waiting
    /// even if a clone of the receiver keeps the channel open.
    pub(super) unsubscribed: AtomicBool,
    /// The stream's waker, when the subscription became one.
    #[cfg(feature = "async")]
    pub(super) wake: Wake,
}

/// The bus's end of one subscription.
pub(super) struct Slot {
    pub(super) id: u64,
    /// A copy of `meta.filter`, one pointer hop closer for the publish loop.
    pub(super) filter: Filter,
    pub(super) meta: Arc<Meta>,
    pub(super) tx: Sender<Item>,
    /// A clone of the subscriber's receiver, to remove the oldest item
    /// ([`Overflow::DropOldest`] only).
    pub(super) oldest: Option<Receiver<Item>>,
    /// Items dropped and not yet reported; changed only under `lock`. While it
    /// is 0 a publisher sends without taking the lock.
    pub(super) unreported: AtomicU64,
    /// Makes "report, then send" (and "evict, then send") one step when several
    /// publishers offer to this slot at once.
    pub(super) lock: Mutex<()>,
    /// Wakes a stream once `tx` (dropped before it, being declared before it)
    /// has disconnected the queue, so that the stream sees its end.
    #[cfg(feature = "async")]
    pub(super) _wake_on_drop: WakeOnDrop,
}

impl Slot {
    pub(super) fn offer(&self, item: Item, no_wait: &AtomicBool) {
        match self.meta.overflow {
            Overflow::DropNewest => self.offer_drop_newest(item),
            Overflow::DropOldest => self.offer_drop_oldest(item),
            Overflow::Block => self.offer_block(item, no_wait),
        }
        #[cfg(feature = "async")]
        self.meta.wake.notify();
    }

    /// The common case, with no loss to report: sends without taking the lock.
    /// Gives the item back when the queue is full or a report is pending.
    fn try_fast(&self, item: Item) -> Option<Item> {
        if self.unreported.load(Ordering::Acquire) != 0 {
            return Some(item);
        }
        match self.tx.try_send(item) {
            Err(TrySendError::Full(item)) => Some(item),
            // Sent, or the subscriber is gone and being removed.
            _ => None,
        }
    }

    /// The bus is closing: a loss not reported yet is reported now, since no
    /// later offer will carry it. With [`Overflow::DropOldest`] a full queue
    /// makes room for the report by dropping its oldest item (counted in the
    /// report): a consumer that fell behind while the last items came still
    /// learns it lost some. (With `DropNewest` the report waits for room, as
    /// documented: there is no oldest item to give up.)
    pub(super) fn last_report(&self) {
        if self.unreported.load(Ordering::Acquire) == 0 {
            return;
        }
        let _guard = self.lock.lock();
        let mut unreported = self.unreported.load(Ordering::Acquire);
        if !self.report(&mut unreported) {
            if let Some(oldest) = &self.oldest {
                match oldest.try_recv() {
                    Ok(Item::Lagged { missed }) => unreported += missed,
                    Ok(_) => self.note_drops(&mut unreported, 1),
                    Err(_) => {}
                }
                self.report(&mut unreported);
            }
        }
        self.unreported.store(unreported, Ordering::Release);
        #[cfg(feature = "async")]
        self.meta.wake.notify();
    }

    fn note_drops(&self, unreported: &mut u64, n: u64) {
        *unreported += n;
        self.meta.dropped.fetch_add(n, Ordering::Relaxed);
    }

    /// Sends the pending loss report if there is room; true when nothing is left
    /// to report. A send to a subscriber that is gone fails quietly: it is being
    /// removed.
    fn report(&self, unreported: &mut u64) -> bool {
        if *unreported == 0 {
            return true;
        }
        let sent = self
            .tx
            .try_send(Item::Lagged {
                missed: *unreported,
            })
            .is_ok();
        if sent {
            *unreported = 0;
        }
        sent
    }

    fn offer_drop_newest(&self, item: Item) {
        let Some(item) = self.try_fast(item) else {
            return;
        };
        let _guard = self.lock.lock();
        let mut unreported = self.unreported.load(Ordering::Acquire);
        if !self.report(&mut unreported) {
            // No room for the report, so none for the item either.
            self.note_drops(&mut unreported, 1);
        } else if let Err(TrySendError::Full(_)) = self.tx.try_send(item) {
            self.note_drops(&mut unreported, 1);
        }
        self.unreported.store(unreported, Ordering::Release);
    }

    fn offer_drop_oldest(&self, item: Item) {
        let Some(item) = self.try_fast(item) else {
            return;
        };
        let _guard = self.lock.lock();
        let mut unreported = self.unreported.load(Ordering::Acquire);
        // Without room the report waits for a later offer: this policy always
        // queues the new item.
        self.report(&mut unreported);
        if let Err(TrySendError::Full(item)) = self.tx.try_send(item) {
            if let Some(oldest) = &self.oldest {
                match oldest.try_recv() {
                    // A report removed from the queue is not a lost item, but what
                    // it reported is lost again: carry its count over.
                    Ok(Item::Lagged { missed }) => unreported += missed,
                    Ok(_) => self.note_drops(&mut unreported, 1),
                    // The subscriber emptied the queue meanwhile.
                    Err(_) => {}
                }
            }
            // There is room now, unless another publisher's lock-free send took it
            // meanwhile: then the new item is the one dropped, and counted.
            if let Err(TrySendError::Full(_)) = self.tx.try_send(item) {
                self.note_drops(&mut unreported, 1);
            }
        }
        self.unreported.store(unreported, Ordering::Release);
    }

    fn offer_block(&self, item: Item, no_wait: &AtomicBool) {
        // `send_timeout` reads the clock; most sends find room without it.
        let mut item = match self.tx.try_send(item) {
            Err(TrySendError::Full(item)) => item,
            _ => return,
        };
        loop {
            if no_wait.load(Ordering::Acquire) || self.meta.unsubscribed.load(Ordering::Acquire) {
                self.meta.dropped.fetch_add(1, Ordering::Relaxed);
                return;
            }
            match self.tx.send_timeout(item, BLOCK_SLICE) {
                Ok(()) | Err(SendTimeoutError::Disconnected(_)) => return,
                Err(SendTimeoutError::Timeout(back)) => item = back,
            }
        }
    }
}

/// The waker of a subscription that is a stream, and whether it is one.
#[cfg(feature = "async")]
#[derive(Default)]
pub(super) struct Wake {
    /// Set once by `into_stream`, never unset: until then publishers skip the
    /// waker.
    pub(super) streaming: AtomicBool,
    /// The waker of the task that last found the queue empty, until a
    /// publisher wakes it.
    waker: atomic_waker::AtomicWaker,
}

#[cfg(feature = "async")]
impl Wake {
    /// Called by a publisher after each offer to this subscription, and when a
    /// reason to look again arises (the queue's last sender is gone, an old
    /// index is let go of).
    #[inline]
    pub(super) fn notify(&self) {
        // Relaxed: once set, the flag is seen by every publisher that took the
        // subscriber index after it was set (the index lock orders them), and
        // those that took an older one are covered when they drop it.
        if self.streaming.load(Ordering::Relaxed) {
            self.wake();
        }
    }

    #[cold]
    fn wake(&self) {
        self.waker.wake();
    }

    pub(super) fn register(&self, waker: &std::task::Waker) {
        self.waker.register(waker);
    }
}

/// Wakes the stream when dropped: the last field of the bus's end of a
/// subscription, so that its queue's sender, dropped before it, has
/// disconnected the queue by then and the stream sees the end.
#[cfg(feature = "async")]
pub(super) struct WakeOnDrop(pub(super) std::sync::Arc<Meta>);

#[cfg(feature = "async")]
impl Drop for WakeOnDrop {
    fn drop(&mut self) {
        self.0.wake.notify();
    }
}
