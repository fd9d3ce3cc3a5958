//! What a monitor's threads share ([`Core`]): the registry of watched
//! namespaces (each watched under a name by a [`NamespaceHandle`]), the
//! readers, the bus and discovery, and how namespaces are added, removed and
//! found. Readers and discovery see it only through the
//! narrow traits they define (`ReaderHost`, `Namespaces`). Locks are always
//! taken registry first, then a reader's entries.

use super::keep::namespace::{Namespace, Policy};
use super::keep::sync::Entry;
use super::metrics::Counters;
use super::metrics::{Ledger, Metrics, NamespaceMetrics};
use super::read::reader::{Reader, ReaderHost};
use super::read::socket::RtSocket;
use crate::bus::{Bus, GoneReason, Item, Overflow};
use crate::capture::{Recorder, Tap};
use crate::error::Error;
use crate::netns::discover::{Discovery, Namespaces};
use crate::netns::{self, Netns};
use crate::object::{NetnsTag, ObjectKind};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// A watched namespace, as returned by [`Monitor::add_namespace`](crate::Monitor::add_namespace); pass it to
/// [`Monitor::remove_namespace`](crate::Monitor::remove_namespace) to stop watching under that name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NamespaceHandle {
    pub(super) token: u64,
    pub(super) name: Arc<str>,
    pub(super) tag: NetnsTag,
}

impl NamespaceHandle {
    /// The tag events of this namespace carry.
    pub fn tag(&self) -> &NetnsTag {
        &self.tag
    }

    /// The name this handle added the namespace by (it may differ from the tag's
    /// name when the namespace was already watched under another one).
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// A namespace in the registry.
pub(super) struct Registered {
    pub(super) ns: Arc<Namespace>,
    /// (st_dev, st_ino) of its nsfs file.
    pub(super) key: (u64, u64),
    /// The names it was added by; watched while any remains.
    pub(super) names: Vec<Arc<str>>,
    pub(super) reader: usize,
}

#[derive(Default)]
pub(super) struct Registry {
    pub(super) by_token: HashMap<u64, Registered>,
    /// The token of each namespace by its nsfs (device, inode): one lookup to
    /// know whether a namespace is watched already.
    pub(super) by_key: HashMap<(u64, u64), u64>,
    /// The token of each namespace by its tag's id (the netns cookie), for
    /// `snapshot`.
    pub(super) by_id: HashMap<u64, u64>,
    /// The reader of each namespace retired lately, by nsfs identity and by
    /// name: a namespace added again, or another one added under the same name,
    /// goes to the same reader, whose one ordered queue announces the departure
    /// before the arrival (readers keep no order between them). Entries are
    /// taken when used; the maps are cleared past [`DEPARTED_KEPT`].
    pub(super) departed_by_key: HashMap<(u64, u64), usize>,
    pub(super) departed_by_name: HashMap<Arc<str>, usize>,
    pub(super) next_token: u64,
}

/// How many retired namespaces [`Registry`] remembers the reader of.
const DEPARTED_KEPT: usize = 4096;

impl Registry {
    /// Remembers that the namespace of `key`, known by `names`, was retired by
    /// `reader`.
    pub(super) fn departed(&mut self, key: (u64, u64), names: &[Arc<str>], reader: usize) {
        if self.departed_by_key.len() + self.departed_by_name.len() >= DEPARTED_KEPT {
            self.departed_by_key.clear();
            self.departed_by_name.clear();
        }
        self.departed_by_key.insert(key, reader);
        for name in names {
            self.departed_by_name.insert(name.clone(), reader);
        }
    }

    /// The reader for a namespace of `key` arriving under `name`: the one that
    /// retired the same namespace, or another by that name, lately; else by
    /// nsfs inode (which spreads evenly).
    pub(super) fn reader_for(&mut self, key: (u64, u64), name: &str, readers: usize) -> usize {
        let by_key = self.departed_by_key.remove(&key);
        let by_name = self.departed_by_name.remove(name);
        // The name first: an nsfs inode is reused once its namespace is
        // destroyed, so a key match may be another namespace altogether.
        by_name
            .or(by_key)
            .unwrap_or((key.1 % readers as u64) as usize)
    }

    /// When the namespace of `key` is watched, adds `name` to it and returns the
    /// handle for that name.
    pub(super) fn join(&mut self, key: (u64, u64), name: &Arc<str>) -> Option<NamespaceHandle> {
        let token = *self.by_key.get(&key)?;
        let watched = self.by_token.get_mut(&token)?;
        watched.names.push(name.clone());
        Some(NamespaceHandle {
            token,
            name: name.clone(),
            tag: watched.ns.tag.clone(),
        })
    }

    pub(super) fn insert(&mut self, token: u64, registered: Registered) {
        self.by_key.insert(registered.key, token);
        self.by_id.insert(registered.ns.tag.id, token);
        self.by_token.insert(token, registered);
    }

    pub(super) fn remove(&mut self, token: u64) -> Option<Registered> {
        let registered = self.by_token.remove(&token)?;
        self.by_key.remove(&registered.key);
        self.by_id.remove(&registered.ns.tag.id);
        Some(registered)
    }
}

/// What the monitor's threads share.
pub(super) struct Core {
    pub(super) bus: Bus,
    pub(super) stop: AtomicBool,
    pub(super) registry: Mutex<Registry>,
    pub(super) readers: Vec<Reader>,
    pub(super) groups: Vec<u32>,
    pub(super) policy: Policy,
    pub(super) rcvbuf: Option<usize>,
    pub(super) capacity: usize,
    pub(super) overflow: Overflow,
    pub(super) batch_window: Duration,
    pub(super) recv_buffer: usize,
    pub(super) snapshot_step: usize,
    pub(super) discovery: Mutex<Option<(Arc<Discovery>, JoinHandle<()>)>>,
    pub(super) recorder: Option<Recorder>,
    /// Every namespace's counters, and the totals of those gone.
    pub(super) ledger: Mutex<Ledger>,
}

impl ReaderHost for Core {
    fn bus(&self) -> &Bus {
        &self.bus
    }

    fn recorder(&self) -> Option<&Recorder> {
        self.recorder.as_ref()
    }

    fn batch_window(&self) -> Duration {
        self.batch_window
    }

    fn recv_buffer(&self) -> usize {
        self.recv_buffer
    }

    fn stopping(&self) -> bool {
        Core::stopping(self)
    }

    fn socket_failed(&self, token: u64, errno: i32) {
        self.forget(token, GoneReason::SocketError(errno));
    }
}

impl Namespaces for Core {
    fn stopping(&self) -> bool {
        Core::stopping(self)
    }

    fn found(&self, path: &Path, name: String) -> Result<(), Error> {
        self.add_named(Netns::Path(path.to_path_buf()), name)
            .map(|_| ())
    }

    fn vanished(&self, name: &str) {
        let _ = self.remove_by_name(name, GoneReason::Vanished);
    }

    fn failed(&self, path: &Path, error: &Error) {
        self.bus.publish(Item::DiscoveryFailed {
            path: Arc::from(path),
            errno: error.errno(),
        });
    }
}

impl Core {
    /// Whether the monitor is shutting down.
    pub(super) fn stopping(&self) -> bool {
        self.stop.load(Ordering::Acquire)
    }

    /// See [`Monitor::add_namespace`].
    pub(super) fn add(&self, netns: Netns) -> Result<NamespaceHandle, Error> {
        let name = netns.display_name();
        self.add_named(netns, name)
    }

    /// Adds `netns` under `name` (discovery names `/run/netns` entries by file name).
    pub(super) fn add_named(&self, netns: Netns, name: String) -> Result<NamespaceHandle, Error> {
        let current = matches!(netns, Netns::Current);
        let file = netns::open(netns)?;
        let name: Arc<str> = Arc::from(name);
        if let Some(handle) = self.registry.lock().join(file.key, &name) {
            return Ok(handle);
        }
        // The slow part (a thread that enters the namespace, the socket's set-up)
        // without the registry's lock: other namespaces are added, removed and
        // listed meanwhile.
        let (groups, rcvbuf) = (self.groups.clone(), self.rcvbuf);
        let socket = netns::run_inside(&file, current, "open the rtnetlink socket", move || {
            RtSocket::open(&groups, rcvbuf)
        })?;
        let mut registry = self.registry.lock();
        // Added by another caller meanwhile: that one is watched, this socket
        // is closed.
        if let Some(handle) = registry.join(file.key, &name) {
            return Ok(handle);
        }
        let id = socket.netns_cookie().unwrap_or(file.key.1);
        let tag = NetnsTag {
            name: name.clone(),
            id,
        };
        let tap = self.recorder.as_ref().map(|recorder| Tap {
            interface: recorder.interface(&tag, socket.portid(), &self.policy.kinds),
            recorder: recorder.clone(),
        });
        let counters = Arc::new(Counters::default());
        self.ledger.lock().add(tag.clone(), counters.clone());
        let ns = Arc::new(Namespace {
            tag: tag.clone(),
            portid: socket.portid(),
            rcvbuf: socket.rcvbuf(),
            counters,
            tap,
        });
        let token = registry.next_token;
        registry.next_token += 1;
        // The reader that announced this namespace, or one of this name, gone
        // lately announces its arrival after that departure.
        let reader = registry.reader_for(file.key, &name, self.readers.len());
        let mut entry = Entry::new(Some(socket), ns.clone(), self.policy.clone());
        // The groups are joined: dump now, before the reader sees the socket, so
        // the answers are recognised as the dump's and no change falls in between.
        entry
            .start()
            .map_err(|e| Error::io("request the initial dump", &name, e))?;
        // The reader announces it (`NamespaceAdded`) before anything of it, on
        // its own thread: this call never waits for a subscriber, and a failed
        // registration announces nothing.
        self.readers[reader]
            .insert(token, entry)
            .map_err(|e| Error::io("register the socket with epoll", &name, e))?;
        registry.insert(
            token,
            Registered {
                ns,
                key: file.key,
                names: vec![name.clone()],
                reader,
            },
        );
        Ok(NamespaceHandle { token, name, tag })
    }

    /// Drops the name `name` of namespace `token`; when no name remains, closes
    /// its socket and announces it gone.
    pub(super) fn remove_name(
        &self,
        token: u64,
        name: &str,
        reason: GoneReason,
    ) -> Result<(), Error> {
        let mut registry = self.registry.lock();
        let watched = registry
            .by_token
            .get_mut(&token)
            .ok_or_else(|| Error::NotWatched {
                netns: name.to_string(),
            })?;
        let at = watched
            .names
            .iter()
            .position(|n| &**n == name)
            .ok_or_else(|| Error::NotWatched {
                netns: name.to_string(),
            })?;
        let removed = watched.names.remove(at);
        if watched.names.is_empty() {
            let watched = registry.remove(token).expect("just found");
            registry.departed(
                watched.key,
                &[removed, watched.ns.tag.name.clone()],
                watched.reader,
            );
            // Its reader reads what the socket holds, closes it and announces it.
            self.readers[watched.reader].retire(token, reason);
        }
        Ok(())
    }

    /// Removes namespace `name` (any namespace added by that name).
    pub(super) fn remove_by_name(&self, name: &str, reason: GoneReason) -> Result<(), Error> {
        let token = self
            .registry
            .lock()
            .by_token
            .iter()
            .find(|(_, w)| w.names.iter().any(|n| &**n == name))
            .map(|(&t, _)| t)
            .ok_or_else(|| Error::NotWatched {
                netns: name.to_string(),
            })?;
        self.remove_name(token, name, reason)
    }

    /// Forgets namespace `token` whatever its names (its socket failed).
    pub(super) fn forget(&self, token: u64, reason: GoneReason) {
        let watched = self.registry.lock().remove(token);
        if let Some(watched) = watched {
            self.readers[watched.reader].remove(token, &self.bus);
            let timestamp = std::time::SystemTime::now();
            if let Some(tap) = &watched.ns.tap {
                tap.gone(timestamp, &reason);
            }
            self.bus.publish(Item::NamespaceGone {
                netns: watched.ns.tag.clone(),
                reason,
                timestamp,
            });
        }
    }
}

impl Core {
    /// See [`Monitor::metrics`].
    pub(super) fn metrics(&self) -> Metrics {
        // Registry first, then the ledger (a namespace is added to the ledger
        // under the registry's lock).
        let namespaces_watched = self.registry.lock().by_token.len();
        let (live, total) = self.ledger.lock().read();
        let mut objects: HashMap<u64, ([u64; ObjectKind::COUNT], bool)> = HashMap::new();
        for r in &self.readers {
            for entry in r.entries.lock().values() {
                let mut by_kind = [0; ObjectKind::COUNT];
                for kind in ObjectKind::ALL {
                    by_kind[kind.index()] = entry.state.len_of(kind) as u64;
                }
                let syncing = entry.ns.counters.syncing.load(Ordering::Acquire);
                objects.insert(entry.ns.tag.id, (by_kind, syncing));
            }
        }
        let namespaces = live
            .into_iter()
            .map(|(netns, counters)| {
                let (objects, syncing) = objects.get(&netns.id).copied().unwrap_or_default();
                NamespaceMetrics {
                    netns,
                    counters,
                    objects,
                    syncing,
                }
            })
            .collect();
        Metrics {
            namespaces,
            total,
            namespaces_watched,
            readers: self.readers.len(),
            subscribers: self.bus.subscribers(),
        }
    }
}
