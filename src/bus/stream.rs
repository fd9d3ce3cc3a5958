//! A subscription as an asynchronous stream (feature `async`): the consumer's
//! waker, and how publishers wake it with no thread, no timer and no runtime.
//!
//! # Waking
//!
//! The stream reads the same bounded queue as a blocking [`Subscription`], so
//! filters, overflow policies, loss reports and the end at shutdown are the
//! queue's and cannot differ. What it adds is a waker: `poll_next` takes an item
//! if one is queued; otherwise it registers the task's waker and looks at the
//! queue once more before answering `Pending`. A publisher, after it offered an
//! item (queued it, reported a loss, or gave up on it), wakes the registered
//! waker. This is the pattern `AtomicWaker` (the `atomic-waker` crate, the one
//! in `futures`) is made for: registration and wake are ordered through its one
//! atomic, so either the publisher's wake comes after the registration and
//! wakes the task, or it comes before, and then the second look, which comes
//! after the registration, sees the item. No wake-up is lost, no lock is taken,
//! and a wake with no task waiting costs one atomic read-modify-write.
//! (A `Mutex<Option<Waker>>` does the same with two: lock and unlock. Measured
//! against it, one subscriber's stream took 142-150 ns per item instead of
//! 193-199: BENCHMARKS.md, "Async subscribers".)
//!
//! # What a subscriber that is not a stream pays
//!
//! Without the feature, nothing: none of this is compiled. With it, a publisher
//! reads one flag per offer, next to the overflow policy it reads anyway, and
//! goes no further while it is unset; only a subscription turned into a stream
//! sets it, and only its publishers touch the waker.
//!
//! The flag is set once, by [`Subscription::into_stream`], while publishers may
//! be offering to that subscription, and a publisher that read it just before
//! would not wake the stream for what it is queueing. So `into_stream` also
//! replaces the bus's subscriber index: every publisher that takes the new one
//! sees the flag (it is set before the index lock is released), and every
//! publisher still holding an older index wakes the streams in it when it lets
//! go of the last reference to that index (see `Drop for Index`), which is after
//! what it queued. The last sender of a queue goes with the bus's end of the
//! subscription, and the stream is woken right after that too, to see the end.
//!
//! This module must never block, spawn a thread, arm a timer or name a runtime.

use super::item::Item;
use super::{Filter, Overflow, Subscription};
use crossbeam_channel::TryRecvError;
use futures_core::stream::{FusedStream, Stream};
use std::fmt;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};

/// A [`Subscription`] as a [`futures_core::Stream`] of [`Item`]s (feature
/// `async`), made by [`Subscription::into_stream`].
///
/// It yields what the subscription would have received, in the same order: the
/// same filter, the same bounded queue, the same [`Overflow`] policy with the
/// same [`Item::Lagged`] reports, and it ends (`None`) when the bus closes (the
/// monitor shuts down) once the queue is drained. The publisher that queues an
/// item wakes the task waiting on the stream; nothing polls and no runtime is
/// needed: it runs on tokio, smol, async-std or a hand-written executor alike.
/// Dropping the stream unsubscribes, as dropping the subscription does.
///
/// Like other streams it yields items for as long as some are queued, without
/// returning to the executor in between; a consumer that must share its thread
/// fairly during long bursts yields now and then itself (e.g.
/// `tokio::task::yield_now`).
///
/// With [`Overflow::Block`], a full queue makes the publisher (a monitor's reader
/// thread) wait until the task takes items: the task must keep polling.
///
/// ```no_run
/// use futures_lite::StreamExt; // or futures::StreamExt, tokio_stream::StreamExt
/// use nlwatch::{Filter, Item, Monitor, Netns, ObjectKind};
///
/// #[tokio::main]
/// async fn main() -> Result<(), nlwatch::Error> {
///     let monitor = Monitor::builder().build()?;
///     let links = Filter::new().object(ObjectKind::Link);
///     let mut items = monitor.subscribe_with(links).into_stream();
///     monitor.add_namespace(Netns::Current)?;
///     while let Some(item) = items.next().await {
///         match item {
///             Item::Event(ev) => println!("{} {:?}", ev.action.as_str(), ev.object),
///             Item::Lagged { missed } => eprintln!("missed {missed} (lost {} in all)", items.dropped()),
///             _ => {}
///         }
///     }
///     Ok(())
/// }
/// ```
pub struct SubscriptionStream {
    sub: Subscription,
    /// Whether `None` was returned: polled again, it stays `None`.
    ended: bool,
    /// Run between the first look at the queue and the registration of the
    /// waker: lets a test publish right there.
    #[cfg(test)]
    between_looks: Option<Box<dyn FnMut() + Send + Sync>>,
}

impl Subscription {
    /// This subscription as a [`futures_core::Stream`] of [`Item`]s, for async
    /// code (feature `async`).
    ///
    /// What was queued before the call is yielded first; nothing is lost or
    /// repeated in the change.
    ///
    /// ```
    /// use futures_lite::StreamExt;
    /// use nlwatch::{Bus, Filter, Item, NetnsTag, Overflow};
    /// let bus = Bus::new();
    /// let stream = bus.subscribe(Filter::new(), 16, Overflow::DropOldest).into_stream();
    /// let overrun = Item::Overrun { netns: NetnsTag::default(), timestamp: std::time::SystemTime::UNIX_EPOCH };
    /// let publisher = std::thread::spawn({
    ///     let overrun = overrun.clone();
    ///     move || {
    ///         bus.publish(overrun);
    ///         bus.close();
    ///     }
    /// });
    /// let items: Vec<Item> = smol::block_on(stream.collect());
    /// assert_eq!(items, [overrun]);
    /// publisher.join().unwrap();
    /// ```
    pub fn into_stream(self) -> SubscriptionStream {
        self.meta.wake.streaming.store(true, Ordering::Release);
        if let Some(bus) = self.bus.upgrade() {
            // A new index, so that publishers that may have read the flag unset
            // wake the stream when they let go of the old one (module docs).
            let registry = bus.registry.lock();
            let old = bus.rebuild(&registry.0);
            drop(registry);
            drop(old);
        }
        SubscriptionStream {
            sub: self,
            ended: false,
            #[cfg(test)]
            between_looks: None,
        }
    }
}

impl SubscriptionStream {
    /// How many items were dropped for this subscriber (see
    /// [`Subscription::dropped`]).
    pub fn dropped(&self) -> u64 {
        self.sub.dropped()
    }

    /// How many items are queued.
    pub fn len(&self) -> usize {
        self.sub.len()
    }

    /// Whether no item is queued.
    pub fn is_empty(&self) -> bool {
        self.sub.is_empty()
    }

    /// The filter the subscription was made with.
    pub fn subscribed_filter(&self) -> &Filter {
        self.sub.subscribed_filter()
    }

    /// The overflow policy the subscription was made with.
    pub fn overflow(&self) -> Overflow {
        self.sub.overflow()
    }

    /// One look at the queue: an item, the end, or nothing yet.
    fn take(&mut self) -> Option<Poll<Option<Item>>> {
        match self.sub.rx.try_recv() {
            Ok(item) => Some(Poll::Ready(Some(item))),
            Err(TryRecvError::Disconnected) => {
                self.ended = true;
                Some(Poll::Ready(None))
            }
            Err(TryRecvError::Empty) => None,
        }
    }
}

impl Stream for SubscriptionStream {
    type Item = Item;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Item>> {
        let this = self.get_mut();
        if this.ended {
            return Poll::Ready(None);
        }
        if let Some(ready) = this.take() {
            return ready;
        }
        #[cfg(test)]
        if let Some(hook) = &mut this.between_looks {
            hook();
        }
        this.sub.meta.wake.register(cx.waker());
        // Again: an item queued between the first look and the registration
        // woke nobody (module docs).
        this.take().unwrap_or(Poll::Pending)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        if self.ended {
            (0, Some(0))
        } else {
            (self.sub.len(), None)
        }
    }
}

impl FusedStream for SubscriptionStream {
    fn is_terminated(&self) -> bool {
        self.ended
    }
}

impl fmt::Debug for SubscriptionStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SubscriptionStream")
            .field("subscription", &self.sub)
            .field("ended", &self.ended)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    //! The stream against the bus alone, no kernel: each wake-up by hand with a
    //! counting waker, then whole scenarios under tokio and under smol.

    use super::super::tests::{label, labels, links, publish_on_thread, tag};
    use super::*;
    use crate::bus::Bus;
    use crate::object::{Action, Object};
    use std::future::Future;
    use std::sync::atomic::AtomicUsize;
    use std::sync::Arc;
    use std::task::Waker;
    use std::time::Duration;

    /// A hang guard, not a timing assertion: a lost wake-up shows as a hang.
    const HANG_GUARD: Duration = Duration::from_secs(60);

    /// A waker that counts its wake-ups.
    #[derive(Default)]
    struct Counting(AtomicUsize);

    impl std::task::Wake for Counting {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// Polls `stream` once with `waker`.
    fn poll(stream: &mut SubscriptionStream, waker: &Arc<Counting>) -> Poll<Option<String>> {
        let waker = Waker::from(waker.clone());
        Pin::new(stream)
            .poll_next(&mut Context::from_waker(&waker))
            .map(|item| item.map(label))
    }

    fn woken(waker: &Arc<Counting>) -> usize {
        waker.0.load(Ordering::SeqCst)
    }

    #[test]
    fn a_waiting_stream_is_woken_by_the_publisher_of_an_item_it_accepts() {
        let bus = Arc::new(Bus::new());
        let mut stream = bus
            .subscribe(Filter::new().namespace_id(1), 8, Overflow::DropOldest)
            .into_stream();
        let waker = Arc::new(Counting::default());
        assert_eq!(poll(&mut stream, &waker), Poll::Pending);
        // An item of another namespace is not offered to it and wakes nothing.
        bus.publish(Item::Overrun {
            netns: tag("b", 2),
            timestamp: std::time::SystemTime::UNIX_EPOCH,
        });
        assert_eq!(woken(&waker), 0);
        publish_on_thread(&bus, 1, 1).join().unwrap();
        assert_eq!(woken(&waker), 1);
        assert_eq!(poll(&mut stream, &waker), Poll::Ready(Some("1".into())));
        assert_eq!(poll(&mut stream, &waker), Poll::Pending);
        // Each wait is woken once: the publisher took the waker it woke.
        publish_on_thread(&bus, 2, 3).join().unwrap();
        assert_eq!(woken(&waker), 2);
        assert_eq!(poll(&mut stream, &waker), Poll::Ready(Some("2".into())));
        assert_eq!(poll(&mut stream, &waker), Poll::Ready(Some("3".into())));
        assert_eq!(stream.dropped(), 0);
    }

    #[test]
    fn a_loss_report_alone_wakes_the_stream() {
        let bus = Arc::new(Bus::new());
        let mut stream = bus
            .subscribe(Filter::new(), 1, Overflow::DropNewest)
            .into_stream();
        let waker = Arc::new(Counting::default());
        links(1, 2).for_each(|i| bus.publish(i));
        assert_eq!(poll(&mut stream, &waker), Poll::Ready(Some("1".into())));
        assert_eq!(poll(&mut stream, &waker), Poll::Pending);
        // The report of 2 takes the one place; 3 is dropped in turn.
        publish_on_thread(&bus, 3, 3).join().unwrap();
        assert_eq!(woken(&waker), 1);
        assert_eq!(
            poll(&mut stream, &waker),
            Poll::Ready(Some("lagged:1".into()))
        );
        assert_eq!(poll(&mut stream, &waker), Poll::Pending);
        assert_eq!(stream.dropped(), 2);
    }

    #[test]
    fn close_wakes_a_waiting_stream_which_ends_after_what_was_queued() {
        let bus = Arc::new(Bus::new());
        let mut stream = bus
            .subscribe(Filter::new(), 8, Overflow::DropOldest)
            .into_stream();
        let waker = Arc::new(Counting::default());
        assert_eq!(poll(&mut stream, &waker), Poll::Pending);
        std::thread::spawn({
            let bus = bus.clone();
            move || bus.close()
        })
        .join()
        .unwrap();
        assert_eq!(woken(&waker), 1);
        assert!(!stream.is_terminated());
        assert_eq!(poll(&mut stream, &waker), Poll::Ready(None));
        assert!(stream.is_terminated());
        assert_eq!(poll(&mut stream, &waker), Poll::Ready(None));

        // What was queued before the close comes first.
        let bus = Bus::new();
        let mut stream = bus
            .subscribe(Filter::new(), 8, Overflow::DropOldest)
            .into_stream();
        links(1, 2).for_each(|i| bus.publish(i));
        bus.close();
        assert_eq!(poll(&mut stream, &waker), Poll::Ready(Some("1".into())));
        assert_eq!(poll(&mut stream, &waker), Poll::Ready(Some("2".into())));
        assert_eq!(poll(&mut stream, &waker), Poll::Ready(None));
    }

    #[test]
    fn the_stream_of_a_subscription_made_after_close_has_ended() {
        let bus = Bus::new();
        bus.close();
        let mut stream = bus
            .subscribe(Filter::new(), 8, Overflow::Block)
            .into_stream();
        let waker = Arc::new(Counting::default());
        assert_eq!(poll(&mut stream, &waker), Poll::Ready(None));
    }

    #[test]
    fn what_was_queued_before_into_stream_is_yielded_first() {
        let bus = Bus::new();
        let sub = bus.subscribe(Filter::new(), 8, Overflow::DropOldest);
        links(1, 2).for_each(|i| bus.publish(i));
        let mut stream = sub.into_stream();
        links(3, 3).for_each(|i| bus.publish(i));
        let waker = Arc::new(Counting::default());
        let got: Vec<_> = (0..4).map(|_| poll(&mut stream, &waker)).collect();
        let ready = |s: &str| Poll::Ready(Some(s.to_string()));
        assert_eq!(got, [ready("1"), ready("2"), ready("3"), Poll::Pending]);
    }

    /// A publisher that took the subscriber index before the subscription
    /// became a stream may not have seen that it is one: it queues without
    /// waking, and the stream is woken when that publisher lets go of the index.
    #[test]
    fn a_publisher_that_missed_into_stream_wakes_the_stream_when_it_lets_go() {
        let bus = Bus::new();
        let sub = bus.subscribe(Filter::new(), 8, Overflow::DropOldest);
        let in_flight = bus.shared.index.read().clone();
        let mut stream = sub.into_stream();
        let waker = Arc::new(Counting::default());
        assert_eq!(poll(&mut stream, &waker), Poll::Pending);
        // What such a publisher does: the queue's send, without the wake.
        let item = links(1, 1).next().unwrap();
        assert!(in_flight.all[0].tx.try_send(item).is_ok());
        assert_eq!(woken(&waker), 0);
        drop(in_flight);
        assert_eq!(woken(&waker), 1);
        assert_eq!(poll(&mut stream, &waker), Poll::Ready(Some("1".into())));
    }

    /// An item queued after the stream found the queue empty and before it
    /// registered its waker wakes nobody (the publisher found no waker): the
    /// stream's second look takes it.
    #[test]
    fn an_item_queued_just_before_the_waker_is_registered_is_not_missed() {
        let bus = Arc::new(Bus::new());
        let mut stream = bus
            .subscribe(Filter::new(), 8, Overflow::DropOldest)
            .into_stream();
        let mut seqs = links(1, 1);
        stream.between_looks = Some(Box::new({
            let bus = bus.clone();
            move || seqs.by_ref().for_each(|i| bus.publish(i))
        }));
        let waker = Arc::new(Counting::default());
        assert_eq!(poll(&mut stream, &waker), Poll::Ready(Some("1".into())));
        assert_eq!(woken(&waker), 0);
        assert_eq!(poll(&mut stream, &waker), Poll::Pending);
    }

    /// A waker runs the executor's code, which may call the bus: it is never
    /// woken under the bus's locks (here it would deadlock on them).
    #[test]
    fn a_waker_may_call_the_bus() {
        struct CallsBus(Arc<Bus>, AtomicUsize);
        impl std::task::Wake for CallsBus {
            fn wake(self: Arc<Self>) {
                self.1
                    .store(self.0.subscriber_count() + 1, Ordering::SeqCst);
            }
        }
        let (done_tx, done) = crossbeam_channel::bounded(1);
        std::thread::spawn(move || {
            let bus = Arc::new(Bus::new());
            let mut stream = bus
                .subscribe(Filter::new(), 8, Overflow::DropOldest)
                .into_stream();
            let calls = Arc::new(CallsBus(bus.clone(), AtomicUsize::new(0)));
            let waker = Waker::from(calls.clone());
            let mut poll = || Pin::new(&mut stream).poll_next(&mut Context::from_waker(&waker));
            assert_eq!(poll(), Poll::Pending);
            // Each change of the subscribers replaces the index, and the old
            // one wakes the streams in it: a subscription ...
            let other = bus.subscribe(Filter::new(), 8, Overflow::DropOldest);
            assert_eq!(calls.1.swap(0, Ordering::SeqCst), 2 + 1);
            assert_eq!(poll(), Poll::Pending);
            // ... one becoming a stream ...
            let other = other.into_stream();
            assert_eq!(calls.1.swap(0, Ordering::SeqCst), 2 + 1);
            assert_eq!(poll(), Poll::Pending);
            // ... one going, and the close.
            drop(other);
            assert_eq!(calls.1.swap(0, Ordering::SeqCst), 1 + 1);
            assert_eq!(poll(), Poll::Pending);
            bus.close();
            assert_eq!(calls.1.load(Ordering::SeqCst), 1);
            assert_eq!(poll(), Poll::Ready(None));
            let _ = done_tx.send(());
        });
        done.recv_timeout(HANG_GUARD).expect("no deadlock");
    }

    #[test]
    fn a_stream_can_move_between_threads_and_be_shared() {
        fn send_and_sync<T: Send + Sync + Unpin>() {}
        send_and_sync::<SubscriptionStream>();
    }

    #[test]
    fn dropping_the_stream_unsubscribes() {
        let bus = Bus::new();
        let stream = bus
            .subscribe(Filter::new(), 8, Overflow::DropOldest)
            .into_stream();
        assert_eq!(bus.subscriber_count(), 1);
        drop(stream);
        assert_eq!(bus.subscriber_count(), 0);
    }

    /// Runs the future `scenario` makes under tokio (multi-threaded, the stream
    /// read in a spawned task) and then under smol, each behind the hang guard.
    fn under_tokio_and_smol<F, Fut>(scenario: F)
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let scenario = Arc::new(scenario);
        for runtime in ["tokio", "smol"] {
            let (done_tx, done) = crossbeam_channel::bounded(1);
            let scenario = scenario.clone();
            let thread = std::thread::spawn(move || {
                match runtime {
                    "tokio" => tokio::runtime::Builder::new_multi_thread()
                        .worker_threads(2)
                        .build()
                        .unwrap()
                        .block_on(async { tokio::spawn(scenario()).await.unwrap() }),
                    _ => smol::block_on(scenario()),
                }
                let _ = done_tx.send(());
            });
            match done.recv_timeout(HANG_GUARD) {
                Ok(()) => thread.join().unwrap(),
                // The scenario panicked: show its message.
                Err(crossbeam_channel::RecvTimeoutError::Disconnected) => {
                    if let Err(panic) = thread.join() {
                        std::panic::resume_unwind(panic)
                    }
                }
                Err(crossbeam_channel::RecvTimeoutError::Timeout) => {
                    panic!("{runtime}: the scenario hung (a lost wake-up?)")
                }
            }
        }
    }

    /// The next item of `stream`, by hand (no combinator crate needed).
    async fn next(stream: &mut SubscriptionStream) -> Option<Item> {
        std::future::poll_fn(|cx| Pin::new(&mut *stream).poll_next(cx)).await
    }

    /// The same losses, reported the same way at the same places, to a stream
    /// and to a blocking subscription of the same bus.
    #[test]
    fn a_stream_lags_exactly_as_a_blocking_subscription() {
        for overflow in [Overflow::DropOldest, Overflow::DropNewest] {
            under_tokio_and_smol(move || async move {
                let bus = Arc::new(Bus::new());
                let blocking = bus.subscribe(Filter::new(), 4, overflow);
                let mut stream = bus.subscribe(Filter::new(), 4, overflow).into_stream();
                let (mut from_blocking, mut from_stream) = (Vec::new(), Vec::new());
                publish_on_thread(&bus, 1, 10).join().unwrap();
                for _ in 0..2 {
                    from_stream.push(label(next(&mut stream).await.unwrap()));
                    from_blocking.push(label(blocking.recv().unwrap()));
                }
                publish_on_thread(&bus, 11, 20).join().unwrap();
                bus.close();
                while let Some(item) = next(&mut stream).await {
                    from_stream.push(label(item));
                }
                from_blocking.extend(blocking.map(label));
                assert_eq!(from_stream, from_blocking, "{overflow:?}");
                // DropOldest: 1-6 lost, then 7 and 8 taken; 11 brings the
                // report, and 12-20 push out 9, 10, the report (its 6 carried
                // over), 11, 12, 13, 14, 15 and 16; no later item reports
                // them, so the close does, in 17's place.
                // DropNewest: 1-4 kept, 5-10 lost; 11 brings the report and
                // fills the queue; 12-20 lost, with nothing after to report them.
                let (want, dropped) = match overflow {
                    Overflow::DropOldest => ("7 8 18 19 20 lagged:15", 6 + 8 + 1),
                    _ => ("1 2 3 4 lagged:6 11", 6 + 9),
                };
                assert_eq!(from_stream, labels(want), "{overflow:?}");
                assert_eq!(stream.dropped(), dropped, "{overflow:?}");
            });
        }
    }

    /// The seq of an event, or what else the item was.
    fn seq(item: &Item) -> Result<u64, String> {
        match item {
            Item::Event(e) => Ok(e.seq),
            other => Err(format!("{other:?}")),
        }
    }

    /// With `Overflow::Block` the publisher waits for the async consumer: it
    /// never gets more than the queue's capacity ahead, and nothing is lost.
    #[test]
    fn a_block_publisher_waits_for_the_async_consumer_and_loses_nothing() {
        const N: u64 = 5_000;
        const CAPACITY: u64 = 4;
        under_tokio_and_smol(|| async {
            let bus = Arc::new(Bus::new());
            let mut stream = bus
                .subscribe(Filter::new(), CAPACITY as usize, Overflow::Block)
                .into_stream();
            let published = Arc::new(std::sync::atomic::AtomicU64::new(0));
            let publisher = std::thread::spawn({
                let (bus, published) = (bus.clone(), published.clone());
                move || {
                    for item in links(1, N) {
                        bus.publish(item);
                        published.fetch_add(1, Ordering::SeqCst);
                    }
                    bus.close();
                }
            });
            let mut received = 0;
            while let Some(item) = next(&mut stream).await {
                received += 1;
                assert_eq!(seq(&item), Ok(received));
                // A publish returns once its item is queued: at most CAPACITY
                // beyond what was taken.
                let ahead = published.load(Ordering::SeqCst);
                assert!(
                    ahead <= received + CAPACITY,
                    "{ahead} published, {received} taken"
                );
            }
            publisher.join().unwrap();
            assert_eq!(received, N);
            assert_eq!(stream.dropped(), 0);
        });
    }

    /// A consumer that falls behind (it starts after a burst and then yields to
    /// the executor after every item) loses items, and every loss is counted
    /// and reported: with `DropNewest`, each gap between two events it receives
    /// is exactly the sum of the reports between them.
    #[test]
    fn a_slow_async_consumer_lags_and_every_loss_is_counted() {
        const N: u64 = 20_000;
        const BURST: u64 = 1_000;
        for overflow in [Overflow::DropOldest, Overflow::DropNewest] {
            under_tokio_and_smol(move || async move {
                let bus = Arc::new(Bus::new());
                let mut stream = bus.subscribe(Filter::new(), 16, overflow).into_stream();
                // Nobody reads during the first burst: it must lag.
                links(1, BURST).for_each(|i| bus.publish(i));
                let publisher = publish_on_thread(&bus, BURST + 1, N);
                let closer = std::thread::spawn({
                    let bus = bus.clone();
                    move || {
                        publisher.join().unwrap();
                        bus.close();
                    }
                });
                let (mut events, mut reported) = (Vec::new(), 0);
                // For DropNewest: the reports since the last event.
                let mut since_last = 0;
                while let Some(item) = next(&mut stream).await {
                    match item {
                        Item::Lagged { missed } => {
                            reported += missed;
                            since_last += missed;
                        }
                        other => {
                            let seq = seq(&other).unwrap();
                            if overflow == Overflow::DropNewest {
                                let previous = events.last().copied().unwrap_or(0);
                                assert_eq!(seq - previous - 1, since_last, "gap before {seq}");
                            }
                            events.push(seq);
                            since_last = 0;
                        }
                    }
                    smol::future::yield_now().await;
                }
                closer.join().unwrap();
                let dropped = stream.dropped();
                assert!(dropped >= BURST - 16, "{overflow:?}: {dropped}");
                assert_eq!(events.len() as u64 + dropped, N, "{overflow:?}");
                assert!(events.windows(2).all(|w| w[0] < w[1]), "{overflow:?}");
                // The first burst's loss came before some later item.
                assert!(reported >= BURST - 16, "{overflow:?}: {reported} reported");
                assert!(reported <= dropped, "{overflow:?}: {reported} > {dropped}");
                if overflow == Overflow::DropNewest {
                    assert_eq!(events[..16], (1..=16).collect::<Vec<_>>());
                    // What was lost after the last event is reported after it, or
                    // not at all (nothing came later to carry the report).
                    let last = events.last().copied().unwrap();
                    assert_eq!(N - last, since_last + (dropped - reported));
                }
            });
        }
    }

    /// Dropping the stream in the middle of a burst unsubscribes it at once:
    /// the publisher waiting for it (`Overflow::Block`) goes on, and the others
    /// receive the whole burst.
    #[test]
    fn dropping_the_stream_mid_burst_frees_a_block_publisher() {
        const N: u64 = 10_000;
        under_tokio_and_smol(|| async {
            let bus = Arc::new(Bus::new());
            let witness = bus.subscribe(Filter::new(), N as usize, Overflow::DropNewest);
            let mut stream = bus
                .subscribe(Filter::new(), 4, Overflow::Block)
                .into_stream();
            assert_eq!(bus.subscriber_count(), 2);
            let publisher = publish_on_thread(&bus, 1, N);
            for want in 1..=100 {
                assert_eq!(seq(&next(&mut stream).await.unwrap()), Ok(want));
            }
            drop(stream);
            assert_eq!(bus.subscriber_count(), 1);
            publisher.join().unwrap();
            let seqs: Vec<u64> = witness.try_iter().map(|i| seq(&i).unwrap()).collect();
            assert_eq!(seqs, (1..=N).collect::<Vec<_>>());
        });
    }

    /// Two publishers on their own threads, a queue of 2 that makes the
    /// consumer wait again and again, tokio's worker threads: every item
    /// arrives, each publisher's in order. A lost wake-up hangs (the guard
    /// fails the test).
    #[test]
    fn two_publishers_and_a_waiting_stream_lose_no_wake_up() {
        const PER_THREAD: u64 = 20_000;
        under_tokio_and_smol(|| async {
            let bus = Arc::new(Bus::new());
            let mut stream = bus
                .subscribe(Filter::new(), 2, Overflow::Block)
                .into_stream();
            let publishers: Vec<_> = (1..=2)
                .map(|id| {
                    let bus = bus.clone();
                    std::thread::spawn(move || {
                        let netns = tag("", id);
                        for seq in 1..=PER_THREAD {
                            let object = Object::Link(Default::default());
                            bus.publish(super::super::tests::event(
                                &netns,
                                seq,
                                Action::New,
                                None,
                                object,
                            ));
                        }
                    })
                })
                .collect();
            let closer = std::thread::spawn({
                let bus = bus.clone();
                move || {
                    publishers.into_iter().for_each(|p| p.join().unwrap());
                    bus.close();
                }
            });
            let mut last = [0u64; 2];
            while let Some(item) = next(&mut stream).await {
                let Item::Event(e) = item else {
                    panic!("unexpected {item:?}")
                };
                let last = &mut last[e.netns.id as usize - 1];
                assert_eq!(e.seq, *last + 1);
                *last = e.seq;
            }
            closer.join().unwrap();
            assert_eq!(last, [PER_THREAD; 2]);
            assert_eq!(stream.dropped(), 0);
        });
    }
}
