//! [`Monitor`]: the handle an embedder holds, over the registry of watched
//! namespaces, the reader pool, the bus and directory discovery (`registry`),
//! made by a [`Builder`] (`builder`).
//!
//! Adding a namespace opens its nsfs file on the caller's thread, recognises a
//! namespace already watched under another name (same nsfs device and inode), and
//! otherwise creates its socket on a short-lived thread inside it (`netns`),
//! starts its initial dump (`sync`) and hands the socket to its reader (picked
//! by the namespace's identity, so a namespace removed and added again stays on
//! one reader, which announces the departure before the new arrival). Removing
//! a namespace hands it back to its reader, which reads what the kernel had
//! queued on its socket (the last changes before the removal), publishes it,
//! and closes the socket within that pass: a netlink socket holds a reference
//! on its namespace, and keeping it would keep a deleted namespace alive. At
//! shutdown the thread that stops the readers does the same for every
//! namespace once they are joined.
//!
//! There is no global state: two monitors in one process share nothing.

use super::keep::state::{Snapshot, SnapshotCopy};
use super::metrics::{Metrics, NamespaceCounters};
use super::read::reader;
use super::registry::{Core, NamespaceHandle, Registered};
use super::wait::{Condition, Next, WaitError, Waiter};
use crate::bus::{Filter, GoneReason, Overflow, RecvTimeoutError, Sink, SinkId, Subscription};
use crate::error::Error;
use crate::netns::discover::Discovery;
use crate::netns::Netns;
use crate::object::{NetnsTag, Object, ObjectKind};
use parking_lot::Mutex;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// One watched namespace, as [`Monitor::namespaces`] lists it: its socket
/// and its counters.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WatchedNamespace {
    /// The namespace, tagged with the name it was first added by.
    pub netns: NetnsTag,
    /// Every name it is currently added by (it is watched while any remains).
    pub names: Vec<String>,
    /// The socket's netlink port id.
    pub portid: u32,
    /// The receive buffer the kernel applied, in bytes.
    pub rcvbuf: usize,
    /// Whether a round of dumps (initial or resync) is running or due. When it is
    /// false and the socket has been read, the state view holds everything the
    /// kernel reported.
    pub syncing: bool,
    /// What its reader counted (the same counters as
    /// [`NamespaceMetrics::counters`](crate::metrics::NamespaceMetrics::counters)).
    pub counters: NamespaceCounters,
}

/// Queue length of a waiter's subscription: a waiter that falls behind copies
/// the view again (`Item::Lagged`), so it needs no more.
const WAIT_QUEUE: usize = 1024;

/// Reads a monitor's [`Metrics`] from any thread; see
/// [`Monitor::metrics_source`].
#[derive(Clone)]
pub struct MetricsSource {
    core: Arc<Core>,
}

impl MetricsSource {
    /// What the monitor counts now (see [`Monitor::metrics`]).
    pub fn metrics(&self) -> Metrics {
        self.core.metrics()
    }
}

impl std::fmt::Debug for MetricsSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsSource").finish_non_exhaustive()
    }
}

/// Watches rtnetlink in any number of network namespaces and hands typed events
/// to subscribers.
///
/// Dropping the monitor shuts it down: every thread is joined, every socket
/// closed, and every subscription's iteration ends.
pub struct Monitor {
    pub(super) shared: Arc<Core>,
    pub(super) threads: Mutex<Vec<JoinHandle<()>>>,
}

impl std::fmt::Debug for Monitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Monitor")
            .field("namespaces", &self.namespaces())
            .finish()
    }
}

impl Monitor {
    /// A new subscription that receives every item published from now on, with the
    /// builder's queue capacity and overflow policy.
    pub fn subscribe(&self) -> Subscription {
        self.subscribe_with(Filter::new())
    }

    /// A new subscription that receives the items published from now on that
    /// `filter` accepts, with the builder's queue capacity and overflow policy.
    pub fn subscribe_with(&self, filter: Filter) -> Subscription {
        let shared = &self.shared;
        shared
            .bus
            .subscribe(filter, shared.capacity, shared.overflow)
    }

    /// Hands every item `filter` accepts to `sink` on the reader thread that
    /// publishes it, with no queue and no thread switch (see [`Sink`] for the
    /// rules a sink must keep, and how it stops or fails). Add sinks before
    /// namespaces so they see everything. The sink is dropped when it stops or
    /// fails ([`Item::SinkStopped`](crate::Item::SinkStopped) names the id returned here) or when the
    /// monitor shuts down.
    pub fn add_sink(&self, filter: Filter, sink: Box<dyn Sink>) -> SinkId {
        self.shared.bus.add_sink(filter, sink)
    }

    /// A new subscription with its own queue capacity and overflow policy.
    pub fn subscribe_with_queue(
        &self,
        filter: Filter,
        capacity: usize,
        overflow: Overflow,
    ) -> Subscription {
        self.shared.bus.subscribe(filter, capacity, overflow)
    }

    /// Starts watching `netns` and returns its handle.
    ///
    /// The namespace file is opened on the calling thread, which is never moved;
    /// the socket is created on a short-lived thread that enters the namespace.
    /// A namespace already watched (under any name) is not opened twice: the new
    /// name is added to it and its handle returned. Subscribers receive
    /// [`Item::NamespaceAdded`](crate::Item::NamespaceAdded) (published by the namespace's reader, so this
    /// call never waits for a subscriber) and then every change from that point.
    ///
    /// Errors name the namespace: [`Error::NoSuchNamespace`],
    /// [`Error::NotANamespace`], or [`Error::Io`] with the errno (e.g. `EPERM`
    /// from `setns` without `CAP_SYS_ADMIN`). A failure leaves the other namespaces
    /// running.
    pub fn add_namespace(&self, netns: Netns) -> Result<NamespaceHandle, Error> {
        if self.shared.stopping() {
            return Err(Error::InvalidArgument("the monitor is shut down".into()));
        }
        self.shared.add(netns)
    }

    /// Stops watching under `handle`'s name. When it was the namespace's last
    /// name, its reader reads what the kernel had already queued on its socket
    /// (changes made before the removal), publishes it, closes the socket and
    /// then publishes [`Item::NamespaceGone`](crate::Item::NamespaceGone): within one pass of the reader, so
    /// the socket does not keep a deleted namespace alive.
    pub fn remove_namespace(&self, handle: &NamespaceHandle) -> Result<(), Error> {
        self.shared
            .remove_name(handle.token, &handle.name, GoneReason::Removed)
    }

    /// Watches `dir` (e.g. `/run/netns`, `/var/run/docker/netns`) with inotify:
    /// every namespace file in it, now or later, is added (waiting for `ip netns
    /// add`'s bind mount to be in place), and one that vanishes is removed, its
    /// socket closed. Entries of `/run/netns` are named by file name, others by
    /// path. A missing directory is watched for from its parent.
    pub fn watch_dir(&self, dir: impl AsRef<Path>) -> Result<(), Error> {
        let mut discovery = self.shared.discovery.lock();
        if discovery.is_none() {
            let d = Arc::new(Discovery::new()?);
            let (s, d2) = (self.shared.clone(), d.clone());
            let handle = std::thread::Builder::new()
                .name("nlwatch-discovery".into())
                .spawn(move || d2.run(&*s))
                .map_err(|e| Error::io("start the discovery thread", "", e))?;
            *discovery = Some((d, handle));
        }
        let (d, _) = discovery.as_ref().expect("just set");
        d.watch(dir.as_ref())
    }

    /// A consistent copy of what namespace `netns` holds now, or `None` when it is
    /// not watched. [`Snapshot::seq`] tells which of its events the copy reflects.
    ///
    /// The copy is made a bounded number of objects at a time (the changes its
    /// reader makes meanwhile are copied again at the end), so however large
    /// the namespace, its reader and the other namespaces it reads are held up
    /// for one step at a time, not for the whole copy (`cargo bench --bench
    /// snapshot` measures the wait).
    pub fn snapshot(&self, netns: &NetnsTag) -> Option<Snapshot> {
        let (token, reader, tag) = {
            let registry = self.shared.registry.lock();
            let token = *registry.by_id.get(&netns.id)?;
            let w = registry.by_token.get(&token)?;
            (token, w.reader, w.ns.tag.clone())
        };
        self.copy_namespace(token, reader, tag, &self.shared.policy.kinds)
    }

    /// Copies one namespace's view a bounded step at a time (see
    /// `SnapshotCopy`): its reader, which every namespace on it waits for, is
    /// never held up by more than one step. `None` when it stopped being watched.
    fn copy_namespace(
        &self,
        token: u64,
        reader: usize,
        tag: NetnsTag,
        kinds: &[ObjectKind],
    ) -> Option<Snapshot> {
        let mut copy = SnapshotCopy::new(kinds);
        loop {
            let mut entries = self.shared.readers[reader].entries.lock();
            let entry = entries.get_mut(&token)?;
            if let Some((seq, synced)) = entry.copy_step(&mut copy, self.shared.snapshot_step) {
                drop(entries);
                return Some(copy.into_snapshot(tag, seq, synced));
            }
            // A reader waiting for the lock gets it before the next step.
            parking_lot::MutexGuard::unlock_fair(entries);
            copy.drop_stale();
        }
    }

    /// Copies of every watched namespace that `filter`'s namespace criterion
    /// accepts, holding the object kinds it accepts: what a subscriber that
    /// lagged needs to rebuild its picture.
    pub fn snapshots(&self, filter: &Filter) -> Vec<Snapshot> {
        let wanted = filter.object_kinds();
        let kinds: Vec<ObjectKind> = self
            .shared
            .policy
            .kinds
            .iter()
            .copied()
            .filter(|k| wanted.is_empty() || wanted.contains(k))
            .collect();
        let registry = self.shared.registry.lock();
        let mut tokens: Vec<(&u64, &Registered)> = registry
            .by_token
            .iter()
            .filter(|(_, w)| filter.matches_netns(&w.ns.tag))
            .collect();
        tokens.sort_by_key(|(t, _)| **t);
        let tokens: Vec<(u64, usize, NetnsTag)> = tokens
            .into_iter()
            .map(|(token, w)| (*token, w.reader, w.ns.tag.clone()))
            .collect();
        drop(registry);
        tokens
            .into_iter()
            .filter_map(|(token, reader, tag)| self.copy_namespace(token, reader, tag, &kinds))
            .collect()
    }

    /// Waits until `condition` holds in namespace `netns`, at most `timeout`
    /// (`None`: as long as it takes), and returns the object that shows it (the
    /// link, address, route or neighbour; `None` for what holds by absence, or
    /// a predicate). A condition that already holds returns at once.
    ///
    /// Checking and waiting are one step: no change can slip between them (see
    /// [`Condition`] for what is looked at). Works for a namespace added by any
    /// means (by name, path or discovery); `netns` is its tag, as events and
    /// [`NamespaceHandle::tag`] give it.
    ///
    /// Errors: [`WaitError::TimedOut`]; [`WaitError::Never`] when it can never
    /// hold (duplicate address detection failed for the address awaited, the
    /// namespace went away); [`WaitError::NotWatched`]; [`WaitError::ShutDown`].
    ///
    /// ```no_run
    /// use nlwatch::{Monitor, Netns, waiting::{AddrState, Condition}};
    /// use std::time::Duration;
    /// let monitor = Monitor::builder().build()?;
    /// let ns = monitor.add_namespace(Netns::Named("blue".into()))?;
    /// let ready = Condition::address("2001:db8::1".parse()?, AddrState::Ready);
    /// let addr = monitor.wait_until(ns.tag(), &ready, Some(Duration::from_secs(10)))?;
    /// println!("usable: {addr:?}");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn wait_until(
        &self,
        netns: &NetnsTag,
        condition: &Condition,
        timeout: Option<Duration>,
    ) -> Result<Option<Object>, WaitError> {
        let deadline = timeout.map(|t| Instant::now() + t);
        let (mut waiter, sub) = self.waiter(netns, condition)?;
        let mut next = waiter.copied(self.copy_of(netns, waiter.kinds()));
        loop {
            next = match next {
                Next::Done(result) => return result,
                Next::Copy => waiter.copied(self.copy_of(netns, waiter.kinds())),
                Next::Wait => {
                    let item = match deadline {
                        None => sub.recv().ok_or(WaitError::ShutDown)?,
                        Some(at) => {
                            let left = at.saturating_duration_since(Instant::now());
                            sub.recv_timeout(left).map_err(|e| match e {
                                RecvTimeoutError::Timeout => WaitError::TimedOut,
                                RecvTimeoutError::Closed => WaitError::ShutDown,
                            })?
                        }
                    };
                    waiter.item(item)
                }
            };
        }
    }

    /// [`wait_until`](Monitor::wait_until) for async code (feature `async`):
    /// the same conditions, answers and errors, woken by the reader that
    /// publishes the namespace's changes, on any runtime. It has no timeout of
    /// its own: wrap it in the runtime's (`tokio::time::timeout`, say). The
    /// copies of the state view it takes are short, bounded steps, as
    /// [`snapshot`](Monitor::snapshot)'s.
    ///
    /// ```no_run
    /// # async fn run(monitor: &nlwatch::Monitor, ns: &nlwatch::NamespaceHandle) {
    /// use nlwatch::waiting::{Condition, LinkState};
    /// let up = Condition::link("eth0", LinkState::Up);
    /// let link = monitor.wait_until_async(ns.tag(), &up).await;
    /// # }
    /// ```
    #[cfg(feature = "async")]
    pub async fn wait_until_async(
        &self,
        netns: &NetnsTag,
        condition: &Condition,
    ) -> Result<Option<Object>, WaitError> {
        use futures_core::Stream;
        let (mut waiter, sub) = self.waiter(netns, condition)?;
        let mut items = sub.into_stream();
        let mut next = waiter.copied(self.copy_of(netns, waiter.kinds()));
        loop {
            next = match next {
                Next::Done(result) => return result,
                Next::Copy => waiter.copied(self.copy_of(netns, waiter.kinds())),
                Next::Wait => {
                    let item =
                        std::future::poll_fn(|cx| std::pin::Pin::new(&mut items).poll_next(cx));
                    match item.await {
                        Some(item) => waiter.item(item),
                        None => return Err(WaitError::ShutDown),
                    }
                }
            };
        }
    }

    /// A waiter for `condition` in `netns`, and its subscription to the
    /// namespace: made before the first copy, so that every change after that
    /// copy is queued in it.
    pub(crate) fn waiter<'c>(
        &self,
        netns: &NetnsTag,
        condition: &'c Condition,
    ) -> Result<(Waiter<'c>, Subscription), WaitError> {
        let kinds: Vec<ObjectKind> = match condition.kinds() {
            Some(kinds) => kinds,
            None => self.shared.policy.kinds.clone(),
        };
        if let Some(k) = kinds
            .iter()
            .find(|k| **k != ObjectKind::Link && !self.shared.policy.kinds.contains(k))
        {
            return Err(WaitError::KindNotWatched(*k));
        }
        let sub = self.shared.bus.subscribe(
            Filter::new().namespace_id(netns.id),
            WAIT_QUEUE,
            Overflow::DropOldest,
        );
        Ok((Waiter::new(condition, netns, kinds), sub))
    }

    /// A copy of `kinds` of namespace `netns`, if it is watched.
    fn copy_of(&self, netns: &NetnsTag, kinds: &[ObjectKind]) -> Option<Snapshot> {
        let (token, reader, tag) = {
            let registry = self.shared.registry.lock();
            let token = *registry.by_id.get(&netns.id)?;
            let w = registry.by_token.get(&token)?;
            (token, w.reader, w.ns.tag.clone())
        };
        self.copy_namespace(token, reader, tag, kinds)
    }

    /// The longest any reader thread has waited, since the monitor was built,
    /// for the lock that guards its namespaces before reading a socket: how
    /// long a [`snapshot`](Monitor::snapshot) step, or another method call, held
    /// up every namespace on that reader. Snapshots copy a bounded number of
    /// objects per hold, so this stays short however large a namespace is.
    /// For the snapshot benchmark (hidden feature `bench`): not part of the
    /// library's interface.
    #[cfg(feature = "bench")]
    #[doc(hidden)]
    pub fn longest_reader_wait(&self) -> Duration {
        let ns = self
            .shared
            .readers
            .iter()
            .map(|r| r.longest_wait_ns.load(Ordering::Relaxed))
            .max()
            .unwrap_or(0);
        Duration::from_nanos(ns)
    }

    /// The watched namespaces with their counters.
    pub fn namespaces(&self) -> Vec<WatchedNamespace> {
        let registry = self.shared.registry.lock();
        let mut all: Vec<_> = registry
            .by_token
            .iter()
            .map(|(&token, w)| {
                let c = &w.ns.counters;
                (
                    token,
                    WatchedNamespace {
                        netns: w.ns.tag.clone(),
                        names: w.names.iter().map(|n| n.to_string()).collect(),
                        portid: w.ns.portid,
                        rcvbuf: w.ns.rcvbuf,
                        syncing: c.syncing.load(Ordering::Acquire),
                        counters: c.values(),
                    },
                )
            })
            .collect();
        all.sort_by_key(|(token, _)| *token);
        all.into_iter().map(|(_, s)| s).collect()
    }

    /// What this monitor counts now: per namespace and in total, its
    /// subscribers, its threads. See [`Metrics`]; the `metrics` feature encodes
    /// it for Prometheus (`nlwatch::metrics`).
    ///
    /// Reading the counters costs the readers nothing; counting the objects
    /// of each state view takes each reader's lock once, briefly (one length
    /// per kind and namespace).
    pub fn metrics(&self) -> Metrics {
        self.shared.metrics()
    }

    /// A handle that reads this monitor's [`metrics`](Monitor::metrics) from
    /// any thread (a scrape handler), also after the monitor is shut down (the
    /// counters then say what it counted in all). It keeps the monitor's
    /// memory, but no thread or socket, alive while it exists.
    pub fn metrics_source(&self) -> MetricsSource {
        MetricsSource {
            core: self.shared.clone(),
        }
    }

    /// Stops every thread and joins it, closes every socket and ends every
    /// subscription. Items already queued can still be received.
    pub fn shutdown(self) {
        // Drop does the work.
    }

    fn stop(&self) {
        self.shared.stop.store(true, Ordering::Release);
        // Frees a reader waiting on an `Overflow::Block` subscriber, so it can be
        // joined; items still published go to the others as usual.
        self.shared.bus.stop_waiting();
        if let Some((d, handle)) = self.shared.discovery.lock().take() {
            d.wake();
            let _ = handle.join();
        }
        for r in &self.shared.readers {
            r.wake();
        }
        for handle in self.threads.lock().drain(..) {
            // A panic in a reader is a bug; it has already been printed.
            let _ = handle.join();
        }
        // The readers have stopped: this thread reads what each socket still
        // holds, closes it and announces the namespace gone; first those whose
        // removal was asked for, then the rest, in the order they were added
        // (the same run prints the same lines).
        let core = &*self.shared;
        let mut batch = reader::recv_batch(core);
        for r in &core.readers {
            r.apply_changes(&core.bus, &mut batch);
        }
        let mut left: Vec<(u64, usize)> = {
            let mut registry = core.registry.lock();
            registry.by_key.clear();
            registry.by_id.clear();
            registry
                .by_token
                .drain()
                .map(|(token, w)| (token, w.reader))
                .collect()
        };
        left.sort_unstable();
        for (token, r) in left {
            core.readers[r].retire_now(token, GoneReason::Shutdown, &core.bus, &mut batch);
        }
        if let Some(recorder) = &core.recorder {
            // A write error is kept in its stats.
            let _ = recorder.flush();
        }
        core.bus.close();
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bus::Item;
    use crate::object::{Action, Object, Origin};
    use crate::sandbox::{ip, ip_json};

    crate::sandboxed_test! {
        /// A datagram of the initial dump that the receive buffer truncates loses
        /// the objects it held: the dump is redone, not concluded with them
        /// missing (which announced them as resync deletions, then an overrun and
        /// a resync that added them back). Receive slots start at 512 bytes here,
        /// so the link dump's first datagram (several KiB) is truncated.
        fn a_dump_that_loses_a_truncated_part_is_redone_not_taken_for_deletions() {
            for i in 0..20 {
                ip(&format!("link add tr{i} type veth peer name trp{i}"));
            }
            let monitor = Monitor::builder()
                .list_existing(true)
                .recv_buffer(512)
                .build()
                .unwrap();
            let sub = monitor.subscribe();
            monitor.add_namespace(Netns::Current).unwrap();
            let mut items = Vec::new();
            loop {
                match sub.recv_timeout(Duration::from_secs(20)) {
                    Ok(Item::SyncDone { .. }) => break,
                    Ok(item) => items.push(item),
                    Err(e) => panic!("no SyncDone ({e}); got {items:#?}"),
                }
            }
            let stats = &monitor.namespaces()[0];
            assert!(stats.counters.truncated >= 1, "nothing was truncated: {stats:?}");
            assert!(
                !items.iter().any(|i| matches!(i, Item::Overrun { .. })),
                "a lost dump part is not lost notifications: {items:#?}"
            );
            let dels: Vec<&Item> = items
                .iter()
                .filter(|i| matches!(i, Item::Event(e) if e.action == Action::Del))
                .collect();
            assert!(dels.is_empty(), "false deletions: {dels:#?}");
            // Every link once, as the kernel has them.
            let mut dumped: Vec<String> = items
                .iter()
                .filter_map(|i| match i {
                    Item::Event(e) if e.origin == Origin::Dump => match &e.object {
                        Object::Link(l) => l.ifname.as_ref().and_then(|n| n.to_str()).map(str::to_string),
                        _ => None,
                    },
                    _ => None,
                })
                .collect();
            dumped.sort();
            let mut want: Vec<String> = ip_json("link show")
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l["ifname"].as_str().unwrap().to_string())
                .collect();
            want.sort();
            assert_eq!(dumped, want);
            assert_eq!((stats.counters.overruns, stats.counters.resyncs), (0, 0), "{stats:?}");
        }
    }
}
