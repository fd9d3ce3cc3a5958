//! Subscriptions as async streams (feature `async`) against the real kernel:
//! the same scenario under tokio and under smol, woken by a monitor's reader
//! thread.

use crate::monitor::HANG_GUARD;
use crate::sandbox::ip;
use crate::sandboxed_test;
use nlwatch::{
    Action, Filter, GoneReason, Item, Monitor, Netns, Object, ObjectKind, Overflow,
    SubscriptionStream,
};
use std::future::Future;
use std::pin::Pin;

/// veth pairs made in the burst.
const PAIRS: usize = 40;

/// The next item of `stream`, with no combinator crate.
async fn next(stream: &mut SubscriptionStream) -> Option<Item> {
    use futures_core::Stream;
    std::future::poll_fn(|cx| Pin::new(&mut *stream).poll_next(cx)).await
}

/// The name of the link a new-link event announces.
fn new_link(item: &Item) -> Option<String> {
    match item {
        Item::Event(ev) if ev.action == Action::New => match &ev.object {
            Object::Link(l) => l.ifname.as_ref()?.to_str().map(str::to_string),
            _ => None,
        },
        _ => None,
    }
}

/// One monitor, three streams: `live` takes everything as it comes; `slow`
/// (8 places, `DropNewest`) is not read during a burst of veth pairs and must
/// lag, exactly as a blocking subscription does; `quitter` (4 places,
/// `Overflow::Block`, so it holds the reader back) is dropped in the middle of
/// the burst, which must free the reader. Link names start with `prefix`.
async fn scenario(prefix: &'static str) {
    let monitor = Monitor::builder()
        .objects([ObjectKind::Link])
        .build()
        .expect("monitor");
    let links = Filter::new().object(ObjectKind::Link);
    let mut live = monitor.subscribe_with(links.clone()).into_stream();
    let mut slow = monitor
        .subscribe_with_queue(links, 8, Overflow::DropNewest)
        .into_stream();
    let mut quitter = monitor
        .subscribe_with_queue(Filter::new(), 4, Overflow::Block)
        .into_stream();
    let handle = monitor.add_namespace(Netns::Current).expect("watch");
    let mut seen = Vec::new();
    while !matches!(seen.last(), Some(Item::SyncDone { .. })) {
        seen.push(next(&mut live).await.expect("NamespaceAdded, SyncDone"));
    }
    assert!(matches!(&seen[0], Item::NamespaceAdded { netns, .. } if netns == handle.tag()));

    let burst = std::thread::spawn(move || {
        for i in 0..PAIRS {
            ip(&format!(
                "link add {prefix}s{i} type veth peer name {prefix}t{i}"
            ));
        }
    });
    for _ in 0..5 {
        next(&mut quitter).await.expect("an item for the quitter");
    }
    // Its queue holds 4: the reader could not pass it again without this.
    drop(quitter);

    let want: Vec<String> = (0..PAIRS).map(|i| format!("{prefix}s{i}")).collect();
    let mut made = Vec::new();
    while made.len() < PAIRS {
        let item = next(&mut live).await.expect("the burst");
        assert!(!matches!(item, Item::Lagged { .. }), "live lagged");
        if let Some(name) = new_link(&item).filter(|n| n.starts_with(&format!("{prefix}s"))) {
            made.push(name);
        }
        seen.push(item);
    }
    assert_eq!(made, want, "every pair, in the order made");
    burst.join().expect("burst");
    assert_eq!(live.dropped(), 0);

    // The slow stream kept the unbroken prefix of what `live` saw, lost a run
    // of it, and says how many before its next item: then the rest, as `live`.
    let mut kept = Vec::new();
    for _ in 0..8 {
        kept.push(next(&mut slow).await.expect("kept"));
    }
    assert_eq!(kept, seen[..8]);
    ip(&format!(
        "link add {prefix}late0 type veth peer name {prefix}late1"
    ));
    let late = |item: &Item| new_link(item).as_deref() == Some(&format!("{prefix}late0"));
    while !seen.last().is_some_and(late) {
        seen.push(next(&mut live).await.expect("the late pair"));
    }
    let (mut after, mut missed) = (Vec::new(), Vec::new());
    while !after.last().is_some_and(late) {
        match next(&mut slow).await.expect("the late pair") {
            Item::Lagged { missed: n } if after.is_empty() => missed.push(n),
            item => after.push(item),
        }
    }
    // The reports come right at the gap, before the next item: DropNewest
    // drops only while the queue is full, and it had room again once the 8
    // were taken. (Usually one report; two when an item came while the 8 were
    // being taken: its report took the place freed and the item was dropped.)
    assert!(!missed.is_empty(), "no report before the next item");
    let missed: u64 = missed.iter().sum();
    let gap = missed as usize;
    assert_eq!(slow.dropped(), missed);
    // Every new link of the burst after the first few came while nobody read.
    assert!(gap >= PAIRS - 8, "{gap} lost");
    assert_eq!(after, seen[8 + gap..], "after the gap, what live saw");
    assert_eq!(live.dropped(), 0);

    // Shutting down ends both streams (briefly blocking this task: the test
    // has nothing else to run).
    monitor.shutdown();
    let mut rest = Vec::new();
    while let Some(item) = next(&mut live).await {
        rest.push(item);
    }
    assert!(
        matches!(rest.last(), Some(Item::NamespaceGone { netns, reason: GoneReason::Shutdown, .. }) if netns == handle.tag()),
        "{rest:#?}"
    );
    while next(&mut slow).await.is_some() {}
    assert!(next(&mut live).await.is_none() && next(&mut slow).await.is_none());
}

/// Runs `make()` on a runtime on its own thread, failing after the hang guard.
fn run_guarded<Fut: Future<Output = ()> + Send + 'static>(
    runtime: &'static str,
    make: impl FnOnce() -> Fut + Send + 'static,
) {
    let (done_tx, done) = crossbeam_channel::bounded(1);
    let thread = std::thread::spawn(move || {
        match runtime {
            "tokio" => tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .build()
                .expect("tokio runtime")
                .block_on(async { tokio::spawn(make()).await.expect("scenario") }),
            _ => smol::block_on(make()),
        }
        let _ = done_tx.send(());
    });
    match done.recv_timeout(HANG_GUARD * 3) {
        Ok(()) => thread.join().expect("scenario"),
        Err(crossbeam_channel::RecvTimeoutError::Disconnected) => {
            if let Err(panic) = thread.join() {
                std::panic::resume_unwind(panic)
            }
        }
        Err(crossbeam_channel::RecvTimeoutError::Timeout) => panic!("{runtime}: the scenario hung"),
    }
}

sandboxed_test! {
    fn streams_under_tokio_lag_end_and_unsubscribe_as_subscriptions_do() {
        run_guarded("tokio", || scenario("tk"));
    }
}

sandboxed_test! {
    fn streams_under_smol_lag_end_and_unsubscribe_as_subscriptions_do() {
        run_guarded("smol", || scenario("sm"));
    }
}
