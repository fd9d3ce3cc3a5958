//! Bus fan-out benchmark: the cost of `Bus::publish` for one event, by number of
//! subscribers and by how many of them the event matches.
//!
//! Groups (each with 1, 8 and 64 subscribers):
//!
//! - `all_match`: every subscriber has `Filter::new()`; each publish delivers to
//!   all of them.
//! - `one_match_netns`: subscriber `i` filters namespace id `i`; the events come
//!   from namespace 0, so exactly one subscriber receives them. The bus indexes
//!   namespace ids, so the other subscribers are never looked at.
//! - `one_match_ifindex`: subscriber `i` filters ifindex `i + 1`; the events are
//!   about ifindex 1. Interface indexes are not indexed: every subscriber of the
//!   namespace and kind has its filter checked, the baseline the index avoids.
//!
//! In these groups the publishing thread also drains: it publishes a batch of
//! [`BATCH`] events (timed) into queues of [`BATCH`] items, so no queue is ever
//! full and no item is dropped, then empties every queue and checks the count
//! delivered (not timed). What is timed is the publish and the delivery into the
//! queues, one event per iteration, on one thread.
//!
//! - `threaded/block_1`: one subscriber with `Overflow::Block` and a queue of 4096,
//!   drained by a consumer on another thread; an iteration is timed until the
//!   consumer has received every event published in it. This is the end-to-end
//!   rate one subscriber sustains, handoff between cores included.
//! - `threaded/raw_channel_1`: the same with a bare crossbeam `bounded(4096)`
//!   channel and blocking `send` instead of the bus: the handoff's own cost, for
//!   comparison.
//! - `threaded/stream_smol_1` and `threaded/stream_tokio_1` (feature `async`):
//!   `block_1` with the subscription turned into a stream
//!   (`Subscription::into_stream`) and read on the consumer thread by
//!   `smol::block_on` or a current-thread tokio runtime: the async subscriber's
//!   rate against the blocking one's, the publisher's wake-ups included.
//!
//! Run with `cargo bench --bench bus` (`--features async` for the streams).
//!
//! With `NLWATCH_BUS_LOOP=GROUP:SUBSCRIBERS:EVENTS` set (e.g. `all_match:64:20000`)
//! the binary instead publishes and drains that many events once, without
//! criterion, for counting instructions with callgrind
//! (`scripts/bench-bus-instructions.sh`).

use criterion::{BenchmarkId, Criterion, Throughput};
use nlwatch::{
    objects::{Link, Name},
    Action, Bus, Event, Filter, Item, NetnsTag, Object, Overflow, Subscription,
};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// Events published between two drains; also each subscriber's queue capacity.
const BATCH: u64 = 1024;
const SUBSCRIBERS: [usize; 3] = [1, 8, 64];

/// A link event as the monitor publishes it, about ifindex 1 in namespace 0.
fn link_event() -> Arc<Event> {
    let mut link = Link::default();
    link.ifindex = 1;
    link.ifname = Some(Name::new("veth0"));
    link.flags = 0x1003;
    link.link_type = 1;
    link.mtu = Some(1500);
    link.operstate = Some(6);
    link.kind = Some(Name::new("veth"));
    link.txqlen = Some(1000);
    let netns = NetnsTag {
        name: Arc::from("ns0"),
        id: 0,
    };
    let mut event = Event::new(netns, Action::New, Object::Link(link));
    event.seq = 1;
    event.timestamp = SystemTime::now();
    event.ifname = Some(Name::new("veth0"));
    Arc::new(event)
}

/// Publishes `iters` events in batches, timing only the publishing, and checks
/// after each batch that `per_event` items were delivered per event.
fn publish_and_drain(
    bus: &Bus,
    subs: &[Subscription],
    event: &Arc<Event>,
    per_event: u64,
    iters: u64,
) -> Duration {
    let mut timed = Duration::ZERO;
    let mut left = iters;
    while left > 0 {
        let n = left.min(BATCH);
        let start = Instant::now();
        for _ in 0..n {
            bus.publish(Item::Event(event.clone()));
        }
        timed += start.elapsed();
        let mut delivered = 0;
        for sub in subs {
            while let Ok(item) = sub.try_recv() {
                assert!(matches!(item, Item::Event(_)), "{item:?}");
                delivered += 1;
            }
            assert_eq!(sub.dropped(), 0);
        }
        assert_eq!(delivered, n * per_event);
        left -= n;
    }
    timed
}

type MakeFilter = fn(usize) -> Filter;

/// The single-threaded groups: name, filter of subscriber `i`, whether every
/// subscriber matches (otherwise exactly one does).
const FANOUT: [(&str, MakeFilter, bool); 3] = [
    ("all_match", |_| Filter::new(), true),
    (
        "one_match_netns",
        |i| Filter::new().namespace_id(i as u64),
        false,
    ),
    (
        "one_match_ifindex",
        |i| Filter::new().ifindex(i as u32 + 1),
        false,
    ),
];

/// A bus with `n` subscribers of one group; returns them with the number of
/// deliveries one event makes.
fn setup(make_filter: MakeFilter, all: bool, n: usize) -> (Bus, Vec<Subscription>, u64) {
    let bus = Bus::new();
    let subs: Vec<_> = (0..n)
        .map(|i| bus.subscribe(make_filter(i), BATCH as usize, Overflow::DropOldest))
        .collect();
    let per_event = if all { n as u64 } else { 1 };
    (bus, subs, per_event)
}

fn bench_fanout(c: &mut Criterion) {
    let event = link_event();
    for (group, make_filter, all) in FANOUT {
        let mut g = c.benchmark_group(group);
        g.throughput(Throughput::Elements(1));
        for n in SUBSCRIBERS {
            let (bus, subs, per_event) = setup(make_filter, all, n);
            g.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
                b.iter_custom(|iters| publish_and_drain(&bus, &subs, &event, per_event, iters));
            });
        }
        g.finish();
    }
}

/// `NLWATCH_BUS_LOOP` mode: see the module documentation.
fn fanout_loop(spec: &str) {
    let mut parts = spec.split(':');
    let group = parts.next().unwrap_or_default();
    let n: usize = parts.next().and_then(|n| n.parse().ok()).unwrap_or(1);
    let events: u64 = parts.next().and_then(|n| n.parse().ok()).unwrap_or(10_000);
    let (_, make_filter, all) = FANOUT
        .into_iter()
        .find(|(name, ..)| *name == group)
        .unwrap_or_else(|| panic!("unknown group {group:?}"));
    let (bus, subs, per_event) = setup(make_filter, all, n);
    publish_and_drain(&bus, &subs, &link_event(), per_event, events);
}

/// Times publishing `iters` events with `send` until a consumer thread has
/// counted them all; `received` is that consumer's count.
fn timed_handoff(
    iters: u64,
    published: &mut u64,
    received: &AtomicU64,
    mut send: impl FnMut(),
) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        send();
    }
    *published += iters;
    while received.load(Ordering::Acquire) < *published {
        std::hint::spin_loop();
    }
    start.elapsed()
}

/// A consumer thread that counts the events it receives from `items` until the
/// sender side closes, then hands `items` back; returns the counter it updates.
fn counting_consumer<I: Iterator<Item = Item> + Send + 'static>(
    mut items: I,
) -> (Arc<AtomicU64>, std::thread::JoinHandle<I>) {
    let received = Arc::new(AtomicU64::new(0));
    let counter = received.clone();
    let handle = std::thread::spawn(move || {
        for item in items.by_ref() {
            if let Item::Event(_) = item {
                counter.fetch_add(1, Ordering::Release);
            }
        }
        items
    });
    (received, handle)
}

/// `counting_consumer` for a stream: the consumer thread reads `stream` in
/// `block_on` (a runtime's) until it ends, then hands it back.
#[cfg(feature = "async")]
fn counting_stream_consumer(
    mut stream: nlwatch::SubscriptionStream,
    block_on: fn(std::pin::Pin<Box<dyn std::future::Future<Output = ()> + '_>>),
) -> (
    Arc<AtomicU64>,
    std::thread::JoinHandle<nlwatch::SubscriptionStream>,
) {
    use futures_core::Stream;
    let received = Arc::new(AtomicU64::new(0));
    let counter = received.clone();
    let handle = std::thread::spawn(move || {
        block_on(Box::pin(async {
            while let Some(item) =
                std::future::poll_fn(|cx| std::pin::Pin::new(&mut stream).poll_next(cx)).await
            {
                if let Item::Event(_) = item {
                    counter.fetch_add(1, Ordering::Release);
                }
            }
        }));
        stream
    });
    (received, handle)
}

fn bench_threaded(c: &mut Criterion) {
    let event = link_event();
    let mut g = c.benchmark_group("threaded");
    g.throughput(Throughput::Elements(1));

    let bus = Bus::new();
    let sub = bus.subscribe(Filter::new(), 4096, Overflow::Block);
    let (received, consumer) = counting_consumer(sub);
    let mut published = 0u64;
    g.bench_function("block_1", |b| {
        b.iter_custom(|iters| {
            timed_handoff(iters, &mut published, &received, || {
                bus.publish(Item::Event(event.clone()))
            })
        });
    });
    bus.close();
    let sub = consumer.join().expect("consumer");
    assert_eq!(received.load(Ordering::Acquire), published);
    assert_eq!(sub.dropped(), 0);

    let (tx, rx) = crossbeam_channel::bounded::<Item>(4096);
    let (received, consumer) = counting_consumer(rx.into_iter());
    let mut published = 0u64;
    g.bench_function("raw_channel_1", |b| {
        b.iter_custom(|iters| {
            timed_handoff(iters, &mut published, &received, || {
                tx.send(Item::Event(event.clone())).expect("consumer alive")
            })
        });
    });
    drop(tx);
    consumer.join().expect("consumer");
    assert_eq!(received.load(Ordering::Acquire), published);

    #[cfg(feature = "async")]
    {
        type BlockOn = fn(std::pin::Pin<Box<dyn std::future::Future<Output = ()> + '_>>);
        let runtimes: [(&str, BlockOn); 2] = [
            ("stream_smol_1", |f| smol::block_on(f)),
            ("stream_tokio_1", |f| {
                tokio::runtime::Builder::new_current_thread()
                    .build()
                    .expect("tokio runtime")
                    .block_on(f)
            }),
        ];
        for (name, block_on) in runtimes {
            let bus = Bus::new();
            let stream = bus
                .subscribe(Filter::new(), 4096, Overflow::Block)
                .into_stream();
            let (received, consumer) = counting_stream_consumer(stream, block_on);
            let mut published = 0u64;
            g.bench_function(name, |b| {
                b.iter_custom(|iters| {
                    timed_handoff(iters, &mut published, &received, || {
                        bus.publish(Item::Event(event.clone()))
                    })
                });
            });
            bus.close();
            let stream = consumer.join().expect("consumer");
            assert_eq!(received.load(Ordering::Acquire), published);
            assert_eq!(stream.dropped(), 0);
        }
    }
    g.finish();
}

fn main() {
    if let Ok(spec) = std::env::var("NLWATCH_BUS_LOOP") {
        return fanout_loop(&spec);
    }
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_millis(2500))
        .configure_from_args();
    bench_fanout(&mut c);
    bench_threaded(&mut c);
    c.final_summary();
}
