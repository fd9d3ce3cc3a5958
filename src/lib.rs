//! nlwatch: watch Linux networking state through rtnetlink, in many network
//! namespaces at once.
//!
//! # How data flows
//!
//! ```text
//!  namespaces (netns)   explicit (current, name, path, pid, fd) + directory discovery
//!        |
//!  sockets (watch)      one NETLINK_ROUTE socket per namespace, opened inside it
//!        |
//!  readers (watch)      a small pool of threads, epoll over many sockets;
//!        |              bytes -> zero-copy views (wire) -> typed objects (object);
//!        |              each namespace's state view kept from dumps and events;
//!        |              each datagram recorded as pcapng when asked (capture)
//!  bus                  per-subscriber filter -> bounded queue, and sinks
//!        |
//!  consumers            Subscription (pull; a Stream with `async`), Sink (push), snapshots;
//!                       output: text and JSON lines for programs that print
//! ```
//!
//! The modules, in that order: [`wire`] (bytes, depends on nothing), `object`
//! (one module per kind and the one registry of kinds; its types are in
//! [`objects`]), `netns`, `watch` ([`Monitor`] and its readers), `bus`
//! ([`Bus`], [`Filter`], [`Subscription`], [`Sink`]), `capture` (recordings
//! written and read: [`recording`]) and [`output`].
//!
//! # The front
//!
//! The crate root holds what every embedder uses: the monitor, namespaces,
//! events and the bus. The rest is grouped by what it is for: [`objects`]
//! (each kind's type and what they are made of), [`waiting`] (conditions
//! and [`Monitor::wait_until`]'s answers), [`metrics`] (counters, and their
//! Prometheus exposition with the feature `metrics`), [`recording`] (pcapng
//! recording and replay) and [`output`] (text and JSON lines).
//! Dependencies point one way: `wire` <- `object` <- `bus` <- `capture` <-
//! `watch`, `netns` <- `watch`, and `object` <- `output`.
//!
//! # The API, one example each
//!
//! **[`Monitor`]** (built by [`Builder`]): watches namespaces and publishes what
//! they report. Subscribe first, then add namespaces, so nothing slips by.
//!
//! ```no_run
//! use nlwatch::{Item, Monitor, Netns};
//! let monitor = Monitor::builder().build()?;
//! let events = monitor.subscribe();
//! monitor.add_namespace(Netns::Current)?;
//! for item in events {
//!     if let Item::Event(ev) = item {
//!         println!("{} {:?}", ev.action.as_str(), ev.object);
//!     }
//! }
//! # Ok::<(), nlwatch::Error>(())
//! ```
//!
//! **[`Netns`]**: which namespace to watch; [`Monitor::watch_dir`] follows a
//! directory of namespace files. [`NamespaceHandle`] removes one again.
//!
//! ```no_run
//! # let monitor = nlwatch::Monitor::builder().build()?;
//! use nlwatch::Netns;
//! let blue = monitor.add_namespace(Netns::Named("blue".into()))?; // /run/netns/blue
//! monitor.watch_dir("/var/run/docker/netns")?;
//! monitor.remove_namespace(&blue)?;
//! # Ok::<(), nlwatch::Error>(())
//! ```
//!
//! **[`Filter`]** and **[`Subscription`]**: what a subscriber receives, and how
//! it takes it (`recv`, `try_recv`, `recv_timeout`, iteration).
//!
//! ```no_run
//! # let monitor = nlwatch::Monitor::builder().build()?;
//! use nlwatch::{Action, Filter, ObjectKind};
//! let gone = monitor.subscribe_with(Filter::new().object(ObjectKind::Link).action(Action::Del));
//! while let Ok(item) = gone.recv_timeout(std::time::Duration::from_secs(1)) {
//!     println!("{item:?}");
//! }
//! # Ok::<(), nlwatch::Error>(())
//! ```
//!
//! **[`Item`]**: events ([`Event`], holding an [`Object`], one variant per
//! kind in [`ObjectKind::ALL`], its types in [`objects`]) and the control
//! items that travel with them.
//!
//! ```
//! use nlwatch::{Item, Object};
//! fn describe(item: &Item) -> String {
//!     match item {
//!         Item::Event(ev) => match &ev.object {
//!             Object::Link(link) => format!("link {} {}", link.ifindex, ev.action.as_str()),
//!             other => format!("{} {}", other.kind().as_str(), ev.action.as_str()),
//!         },
//!         Item::Overrun { netns, .. } => format!("lost notifications in {:?}", netns.name),
//!         Item::Lagged { missed } => format!("missed {missed}"),
//!         _ => "control".into(),
//!     }
//! }
//! # let _ = describe;
//! ```
//!
//! **[`Sink`]**: a push-model consumer on the reader thread, which may stop or
//! fail ([`Flow`], [`Item::SinkStopped`]).
//!
//! ```no_run
//! # let monitor = nlwatch::Monitor::builder().build()?;
//! use nlwatch::{Filter, Flow, Item, Sink, SinkError};
//! struct Count(u64);
//! impl Sink for Count {
//!     fn item(&mut self, item: &Item) -> Result<Flow, SinkError> {
//!         self.0 += matches!(item, Item::Event(_)) as u64;
//!         Ok(Flow::Continue)
//!     }
//! }
//! let id = monitor.add_sink(Filter::new(), Box::new(Count(0)));
//! # let _ = id;
//! # Ok::<(), nlwatch::Error>(())
//! ```
//!
//! **[`Snapshot`]**: a consistent copy of what a namespace holds.
//!
//! ```no_run
//! # let monitor = nlwatch::Monitor::builder().build()?;
//! for snap in monitor.snapshots(&nlwatch::Filter::new()) {
//!     println!("{}: {} links, {} routes", snap.netns.name, snap.links.len(), snap.routes.len());
//! }
//! # Ok::<(), nlwatch::Error>(())
//! ```
//!
//! **[`WatchedNamespace`]**: each namespace watched, with its counters
//! ([`metrics::NamespaceCounters`]: events, overruns, drops).
//!
//! ```no_run
//! # let monitor = nlwatch::Monitor::builder().build()?;
//! for ns in monitor.namespaces() {
//!     let c = &ns.counters;
//!     println!("{:?}: {} events, {} overruns", ns.netns.name, c.events_total(), c.overruns);
//! }
//! # Ok::<(), nlwatch::Error>(())
//! ```
//!
//! **[`waiting::Condition`]**: what [`Monitor::wait_until`] waits for, without a race
//! between the check and the wait.
//!
//! ```no_run
//! # let monitor = nlwatch::Monitor::builder().build()?;
//! # let ns = monitor.add_namespace(nlwatch::Netns::Current)?;
//! use nlwatch::waiting::{Condition, LinkState};
//! let up = Condition::link("eth0", LinkState::Running);
//! monitor.wait_until(ns.tag(), &up, Some(std::time::Duration::from_secs(5)))?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! **[`recording::Recorder`]** and **[`recording::Replay`]**: what the kernel sent, kept as pcapng
//! ([`Builder::record`]) and played back through the same pipeline.
//!
//! ```no_run
//! let replay = nlwatch::recording::Replay::open("netlink.pcapng")?;
//! let items = replay.subscribe();
//! std::thread::spawn(move || replay.run());
//! for item in items {
//!     println!("{item:?}");
//! }
//! # Ok::<(), nlwatch::recording::ReplayError>(())
//! ```
//!
//! **[`Bus`]**: the fan-out on its own, to test consumers or feed them from
//! elsewhere (see its example). **[`output`]**: text and JSON lines.
//! **[`wire`]**: zero-copy views over netlink bytes and the request builder.
//! **[`Error`]**: what went wrong, in which namespace, with the errno.
//!
//! # Features
//!
//! - `cli` (default): the `nlwatch` program. Library users can leave it out
//!   (`default-features = false`) and with it the argument parser.
//! - `serde`: `Serialize` for [`Event`] (the JSON line's fields) and
//!   [`output::JsonEvent`].
//! - `async`: `Subscription::into_stream`, a subscription as a
//!   `futures_core::Stream` (`SubscriptionStream`) for any async runtime,
//!   woken by the reader that queues an item. Adds only `futures-core`.
//! - `metrics`: `nlwatch::metrics::{Collector, encode}`, the Prometheus
//!   exposition of [`Monitor::metrics`] (a `prometheus-client` collector).
//!   Without it the same counters are plain values ([`metrics::Metrics`]),
//!   with no dependency.
#![warn(missing_docs, unreachable_pub, missing_debug_implementations)]

pub mod wire;

mod object;

mod netns;

mod bus;

mod capture;

mod watch;

pub mod output;

pub mod metrics;

mod error;
mod sys;

#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;

#[cfg(test)]
#[allow(dead_code)]
#[path = "../integration/sandbox.rs"]
// Shared with the integration tests, where its items are `pub` for their
// modules.
#[allow(unreachable_pub)]
mod sandbox;

#[cfg(feature = "async")]
pub use bus::SubscriptionStream;
pub use bus::{
    Bus, Filter, Flow, GoneReason, Item, Overflow, RecvTimeoutError, Sink, SinkError, SinkId,
    Subscription, SubscriptionIter, TryRecvError,
};
pub use error::Error;
pub use netns::{Netns, NETNS_RUN_DIR};
pub use object::{Action, Event, NetnsTag, Object, ObjectKind, Origin};
pub use watch::{
    Builder, Monitor, NamespaceHandle, Snapshot, WatchedNamespace, DEFAULT_BATCH_WINDOW,
    DEFAULT_CAPACITY, DEFAULT_RCVBUF,
};

pub mod objects {
    //! The objects events carry and snapshots hold: one type per kind (see
    //! [`ObjectKind::ALL`](crate::ObjectKind::ALL)), and what they are made of.

    // Each kind's public types, gathered by the registry of kinds.
    pub use crate::object::kinds::*;
    pub use crate::object::{HwAddr, Name, MAX_ADDR_LEN};
}

pub mod waiting {
    //! What [`Monitor::wait_until`](crate::Monitor::wait_until) waits for
    //! ([`Condition`]) and what it answers.

    pub use crate::watch::{
        AddrState, Condition, Dev, LinkState, NeverReason, Presence, WaitError,
    };
}

pub mod recording {
    //! Recordings: every datagram a monitor reads, written as pcapng
    //! ([`Recorder`], `Builder::record`), and played back through the
    //! readers' own code ([`Replay`]).

    pub use crate::capture::{
        Recorder, RecordingCounters, RecordingError, ReplayCounters, ReplayError,
    };
    pub use crate::watch::Replay;
}

#[cfg(test)]
mod architecture {
    //! The dependencies between the top-level modules point one way (see the
    //! crate docs and the README's "Architecture"): checked on the sources, so
    //! that a new `use` that bends them fails here rather than in a review.

    use std::collections::BTreeSet;
    use std::path::Path;

    /// What each top-level module may name with `crate::` (besides itself).
    const ALLOWED: &[(&str, &[&str])] = &[
        ("wire", &[]),
        ("object", &["wire"]),
        ("netns", &["error", "sandboxed_test"]),
        ("bus", &["object"]),
        ("output", &["object"]),
        ("capture", &["object", "bus"]),
        ("fuzzing", &["wire", "object", "bus", "watch"]),
        ("metrics", &["object", "bus", "watch"]),
        (
            "watch",
            &[
                "wire",
                "object",
                "netns",
                "bus",
                "capture",
                "error",
                "sys",
                "sandbox",
                "sandboxed_test",
            ],
        ),
    ];

    fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    /// What the code of `text` names as `crate::NAME` (or `$crate::NAME`): a
    /// top-level module, or an item re-exported at the root (which counts as a
    /// dependency on the crate's front, and is not allowed below it). Comments
    /// are not code: a doc link may point anywhere.
    fn named(text: &str) -> BTreeSet<String> {
        text.lines()
            .filter(|line| !line.trim_start().starts_with("//"))
            .flat_map(|line| {
                line.match_indices("crate::").map(move |(at, _)| {
                    line[at + "crate::".len()..]
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect()
                })
            })
            .collect()
    }

    #[test]
    fn dependencies_point_one_way() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut checked = 0;
        for (module, allowed) in ALLOWED {
            let mut files = Vec::new();
            let single = src.join(format!("{module}.rs"));
            if single.is_file() {
                files.push(single);
            } else {
                sources(&src.join(module), &mut files);
            }
            assert!(!files.is_empty(), "no sources under src/{module}");
            for file in files {
                let text = std::fs::read_to_string(&file).unwrap();
                for name in named(&text) {
                    assert!(
                        name == *module || allowed.contains(&name.as_str()),
                        "{} names crate::{name}, which src/{module} must not depend on",
                        file.display()
                    );
                }
                checked += 1;
            }
        }
        assert!(checked >= 30, "only {checked} files checked");
    }

    /// The sibling modules a file's code (its tests left out) names:
    /// `super::NAME` and `crate::FOLDER::NAME`, where FOLDER is the file's own
    /// folder as a module path (`watch::keep`).
    fn siblings_named(text: &str, folder: &str, siblings: &BTreeSet<String>) -> BTreeSet<String> {
        let code = text
            .split("#[cfg(test)]\nmod tests")
            .next()
            .unwrap()
            .split("#[cfg(test)]\npub(super) mod tests")
            .next()
            .unwrap();
        let mut found = BTreeSet::new();
        let word = |s: &str| -> String {
            s.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect()
        };
        let absolute = format!("crate::{folder}::");
        for line in code.lines() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            for prefix in ["super::", absolute.as_str()] {
                for (at, _) in line.match_indices(prefix) {
                    let rest = &line[at + prefix.len()..];
                    // `use super::{a, b::C}`: every name at the group's top.
                    let names: Vec<String> = match rest.strip_prefix('{') {
                        Some(group) => group.split(',').map(|n| word(n.trim())).collect(),
                        None => vec![word(rest)],
                    };
                    found.extend(names.into_iter().filter(|n| siblings.contains(n)));
                }
            }
        }
        found
    }

    /// No two files of one folder name each other (a cycle a small move
    /// removes: the docs of each say which way data flows).
    #[test]
    fn no_two_modules_of_a_folder_name_each_other() {
        let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
        let mut folders = 0;
        while let Some(dir) = dirs.pop() {
            let mut modules = std::collections::BTreeMap::new();
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                let name = path.file_stem().unwrap().to_string_lossy().into_owned();
                if path.is_dir() {
                    dirs.push(path.clone());
                    if path.join("mod.rs").is_file() {
                        modules.insert(name, path.join("mod.rs"));
                    }
                } else if path.extension().is_some_and(|e| e == "rs")
                    && name != "mod"
                    && name != "lib"
                    && name != "main"
                    && !name.ends_with("_tests")
                {
                    modules.insert(name, path);
                }
            }
            let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
            let folder = dir
                .strip_prefix(&src)
                .unwrap()
                .to_string_lossy()
                .replace('/', "::");
            let names: BTreeSet<String> = modules.keys().cloned().collect();
            let mut edges = BTreeSet::new();
            for (module, file) in &modules {
                // A folder's mod.rs is named from inside it by `super::`: its
                // own `super::` is the folder above.
                if file.ends_with("mod.rs") {
                    continue;
                }
                let text = std::fs::read_to_string(file).unwrap();
                for other in siblings_named(&text, &folder, &names) {
                    if other != *module {
                        edges.insert((module.clone(), other));
                    }
                }
            }
            for (a, b) in &edges {
                assert!(
                    !edges.contains(&(b.clone(), a.clone())) || a > b,
                    "src/{folder}: {a} and {b} name each other",
                );
            }
            folders += 1;
        }
        assert!(folders >= 10, "only {folders} folders checked");
    }

    #[test]
    fn the_cycle_check_sees_a_sibling_named() {
        let siblings: BTreeSet<String> = ["sync", "state"].map(String::from).into();
        assert_eq!(
            siblings_named(
                "use super::{sync::Entry, x};\nlet a = crate::watch::keep::state::Key;\n// super::other",
                "watch::keep",
                &siblings
            ),
            siblings
        );
    }

    #[test]
    fn the_check_sees_a_bent_dependency() {
        assert_eq!(
            named("use crate::watch::Monitor; $crate::object::k!"),
            ["object", "watch"].map(String::from).into()
        );
    }
}
