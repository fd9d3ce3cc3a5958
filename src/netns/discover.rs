//! Directory discovery: namespaces appear and vanish as files in directories such
//! as `/run/netns` (`ip netns add/del`) or `/var/run/docker/netns`.
//!
//! One thread per monitor waits with poll on an inotify instance and an eventfd
//! (for shutdown). A file that appears is added; `ip netns add` creates the file
//! before it bind-mounts the namespace on it, so an entry that is not yet a
//! namespace is retried every 10 ms for up to 5 s. A file that vanishes is removed
//! by the name it was added by, which closes its socket unless the namespace is
//! also watched under another name. A directory that does not exist yet is waited
//! for through an inotify watch on its parent. When the kernel's inotify queue
//! overflows (`IN_Q_OVERFLOW`: events were lost), every watched directory is
//! listed again and reconciled with what discovery added: new entries are
//! added, vanished ones removed. An entry that cannot be added for any reason
//! but "not a namespace (yet)" is reported (`Namespaces::failed`).
//!
//! This module never opens sockets itself: what it finds it hands to the
//! [`Namespaces`] it was started for (the monitor), which adds and removes.

use super::NETNS_RUN_DIR;
use crate::error::Error;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::eventfd::{EfdFlags, EventFd};
use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify, WatchDescriptor};
use parking_lot::Mutex;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What discovery needs of the monitor it serves, and no more.
pub(crate) trait Namespaces {
    /// Whether the monitor is shutting down (discovery then returns).
    fn stopping(&self) -> bool;
    /// Adds the namespace file found at `path` under `name`.
    fn found(&self, path: &Path, name: String) -> Result<(), Error>;
    /// The namespace added under `name` vanished from its directory.
    fn vanished(&self, name: &str);
    /// The namespace file at `path` could not be added.
    fn failed(&self, path: &Path, error: &Error);
}

const RETRY_EVERY: Duration = Duration::from_millis(10);
const RETRY_FOR: Duration = Duration::from_secs(5);

enum Watch {
    /// Entries of this directory are namespaces.
    Dir(PathBuf),
    /// Waiting for the directory `.1` to be created in `.0`.
    Parent(PathBuf, PathBuf),
}

pub(crate) struct Discovery {
    inotify: Inotify,
    wake: EventFd,
    watches: Mutex<HashMap<WatchDescriptor, Watch>>,
    /// Entries waiting to become namespaces: path -> give-up time.
    pending: Mutex<BTreeMap<PathBuf, Instant>>,
    /// The entries added, by path: the name they were added by and the nsfs
    /// identity (device, inode) of the namespace found there, which is what a
    /// rescan reconciles with.
    added: Mutex<BTreeMap<PathBuf, Added>>,
}

/// The name a discovered namespace is tagged with: the file name under
/// `/run/netns` (as `ip netns` names it), the full path elsewhere.
/// An entry discovery added.
#[derive(Debug, Clone)]
struct Added {
    name: String,
    /// `None` when it could not be read after the namespace was added.
    identity: Option<(u64, u64)>,
}

/// The (device, inode) of what `path` is now: for a namespace file bind-mounted
/// there, the namespace's nsfs identity.
fn identity(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

fn name_for(path: &Path) -> String {
    let dir = path.parent().unwrap_or(Path::new(""));
    if dir == Path::new(NETNS_RUN_DIR) || dir == Path::new("/var/run/netns") {
        path.file_name().map(readable).unwrap_or_default()
    } else {
        readable(path.as_os_str())
    }
}

/// A file name as text: as it is when it is UTF-8; otherwise each byte that is
/// not part of valid UTF-8 written `\xNN` and each `\` doubled, as names are in
/// events (see `Name`), so that two such files never get one tag name.
fn readable(name: &std::ffi::OsStr) -> String {
    use std::os::unix::ffi::OsStrExt;
    if let Some(text) = name.to_str() {
        return text.to_string();
    }
    let mut out = String::new();
    for chunk in name.as_bytes().utf8_chunks() {
        out.push_str(&chunk.valid().replace('\\', "\\\\"));
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

const DIR_EVENTS: AddWatchFlags = AddWatchFlags::IN_CREATE
    .union(AddWatchFlags::IN_MOVED_TO)
    .union(AddWatchFlags::IN_DELETE)
    .union(AddWatchFlags::IN_MOVED_FROM)
    .union(AddWatchFlags::IN_DELETE_SELF)
    .union(AddWatchFlags::IN_ONLYDIR);

impl Discovery {
    pub(crate) fn new() -> Result<Self, Error> {
        Ok(Discovery {
            inotify: Inotify::init(InitFlags::IN_CLOEXEC | InitFlags::IN_NONBLOCK)
                .map_err(|e| Error::io("create an inotify instance", "", e.into()))?,
            wake: EventFd::from_flags(EfdFlags::EFD_CLOEXEC | EfdFlags::EFD_NONBLOCK)
                .map_err(|e| Error::io("create an eventfd", "", e.into()))?,
            watches: Mutex::new(HashMap::new()),
            pending: Mutex::new(BTreeMap::new()),
            added: Mutex::new(BTreeMap::new()),
        })
    }

    pub(crate) fn wake(&self) {
        let _ = self.wake.write(1);
    }

    /// Starts watching `dir` and queues its current entries.
    pub(crate) fn watch(&self, dir: &Path) -> Result<(), Error> {
        let name = dir.display().to_string();
        match self.inotify.add_watch(dir, DIR_EVENTS) {
            Ok(wd) => {
                self.watches
                    .lock()
                    .insert(wd, Watch::Dir(dir.to_path_buf()));
                // Entries present before the watch: listed after it, so none is missed.
                let entries = std::fs::read_dir(dir)
                    .map_err(|e| Error::io("list the directory", &name, e))?;
                let mut pending = self.pending.lock();
                for entry in entries.flatten() {
                    pending.insert(entry.path(), Instant::now() + RETRY_FOR);
                }
            }
            Err(nix::errno::Errno::ENOENT) => {
                let parent = dir
                    .parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .ok_or_else(|| Error::InvalidArgument(format!("cannot watch {name:?}")))?;
                let wd = self
                    .inotify
                    .add_watch(
                        parent,
                        AddWatchFlags::IN_CREATE
                            | AddWatchFlags::IN_MOVED_TO
                            | AddWatchFlags::IN_ONLYDIR,
                    )
                    .map_err(|e| Error::io("watch the parent directory", &name, e.into()))?;
                self.watches
                    .lock()
                    .insert(wd, Watch::Parent(parent.to_path_buf(), dir.to_path_buf()));
                // The directory may have appeared between the two calls.
                if dir.is_dir() {
                    return self.watch(dir);
                }
            }
            Err(e) => return Err(Error::io("watch the directory", &name, e.into())),
        }
        self.wake();
        Ok(())
    }

    pub(crate) fn run(&self, shared: &dyn Namespaces) {
        loop {
            if shared.stopping() {
                return;
            }
            let timeout = if self.pending.lock().is_empty() {
                PollTimeout::NONE
            } else {
                PollTimeout::from(RETRY_EVERY.as_millis() as u16)
            };
            let mut fds = [
                PollFd::new(self.inotify.as_fd(), PollFlags::POLLIN),
                PollFd::new(self.wake.as_fd(), PollFlags::POLLIN),
            ];
            match poll(&mut fds, timeout) {
                Ok(_) | Err(nix::errno::Errno::EINTR) => {}
                Err(_) => return,
            }
            if shared.stopping() {
                return;
            }
            let _ = self.wake.read();
            self.read_events(shared);
            self.retry_pending(shared);
        }
    }

    fn read_events(&self, shared: &dyn Namespaces) {
        let Ok(events) = self.inotify.read_events() else {
            return;
        };
        let mut overflowed = false;
        let mut lost = Vec::new();
        for ev in events {
            if ev.mask.contains(AddWatchFlags::IN_Q_OVERFLOW) {
                overflowed = true;
                continue;
            }
            let watch = {
                let watches = self.watches.lock();
                match watches.get(&ev.wd) {
                    Some(Watch::Dir(d)) => Some((true, d.clone(), None)),
                    Some(Watch::Parent(p, d)) => Some((false, p.clone(), Some(d.clone()))),
                    None => None,
                }
            };
            let Some((is_dir, base, target)) = watch else {
                continue;
            };
            if ev.mask.contains(AddWatchFlags::IN_IGNORED)
                || ev.mask.contains(AddWatchFlags::IN_DELETE_SELF)
            {
                // The directory itself went (removed, renamed, its file
                // system unmounted): the kernel dropped the watch. It is
                // watched again below, or awaited through its parent, since
                // the directory may come back: iproute2 makes /run/netns
                // again on the next `ip netns add`.
                if let Some(Watch::Dir(dir)) = self.watches.lock().remove(&ev.wd) {
                    lost.push(dir);
                }
                continue;
            }
            let Some(file) = ev.name else { continue };
            let path = base.join(&file);
            if !is_dir {
                if Some(&path) == target.as_ref() {
                    let _ = self.inotify.rm_watch(ev.wd);
                    self.watches.lock().remove(&ev.wd);
                    let _ = self.watch(&path);
                }
                continue;
            }
            if ev
                .mask
                .intersects(AddWatchFlags::IN_CREATE | AddWatchFlags::IN_MOVED_TO)
            {
                self.pending.lock().insert(path, Instant::now() + RETRY_FOR);
            } else if ev
                .mask
                .intersects(AddWatchFlags::IN_DELETE | AddWatchFlags::IN_MOVED_FROM)
            {
                self.pending.lock().remove(&path);
                // Only what discovery added: a namespace added by hand under
                // the same name stays.
                if let Some(added) = self.added.lock().remove(&path) {
                    shared.vanished(&added.name);
                }
            }
        }
        for dir in lost {
            self.rewatch(&dir, shared);
        }
        if overflowed {
            self.rescan(shared);
        }
    }

    /// Watches `dir` again after its watch was dropped: what discovery added
    /// from it and is no longer there (or is another namespace now) is gone,
    /// and what is there now is found, as after an overflow.
    fn rewatch(&self, dir: &Path, shared: &dyn Namespaces) {
        let present: BTreeSet<PathBuf> = std::fs::read_dir(dir)
            .map(|entries| entries.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        self.vanish_gone(dir, &present, shared);
        if let Err(e) = self.watch(dir) {
            shared.failed(dir, &e);
        }
    }

    /// Reports gone what discovery added from `dir` that is not among
    /// `present`, or is another namespace under the same name now (told apart
    /// by its nsfs identity).
    fn vanish_gone(&self, dir: &Path, present: &BTreeSet<PathBuf>, shared: &dyn Namespaces) {
        let gone: Vec<(PathBuf, String)> = self
            .added
            .lock()
            .iter()
            .filter(|(p, a)| {
                p.parent() == Some(dir) && (!present.contains(*p) || identity(p) != a.identity)
            })
            .map(|(p, a)| (p.clone(), a.name.clone()))
            .collect();
        for (path, name) in gone {
            self.added.lock().remove(&path);
            shared.vanished(&name);
        }
    }

    /// Events were lost: lists every watched directory again, adds what is new
    /// and removes what discovery added and is gone, or is now another namespace
    /// under the same name (deleted and added again meanwhile: told apart by
    /// its nsfs identity). A directory waited for through its parent that has
    /// appeared meanwhile is watched.
    fn rescan(&self, shared: &dyn Namespaces) {
        let (dirs, awaited): (Vec<PathBuf>, Vec<(WatchDescriptor, PathBuf)>) = {
            let watches = self.watches.lock();
            let dirs = watches
                .values()
                .filter_map(|w| match w {
                    Watch::Dir(d) => Some(d.clone()),
                    Watch::Parent(..) => None,
                })
                .collect();
            let awaited = watches
                .iter()
                .filter_map(|(wd, w)| match w {
                    Watch::Parent(_, d) if d.is_dir() => Some((*wd, d.clone())),
                    _ => None,
                })
                .collect();
            (dirs, awaited)
        };
        for (wd, dir) in awaited {
            let _ = self.inotify.rm_watch(wd);
            self.watches.lock().remove(&wd);
            // Its entries are queued by the new watch.
            let _ = self.watch(&dir);
        }
        for dir in dirs {
            // A directory that cannot be listed is left as it was (not taken
            // for empty).
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            let present: BTreeSet<PathBuf> = entries.flatten().map(|e| e.path()).collect();
            self.vanish_gone(&dir, &present, shared);
            let added = self.added.lock();
            let mut pending = self.pending.lock();
            for path in present.into_iter().filter(|p| !added.contains_key(p)) {
                pending.entry(path).or_insert(Instant::now() + RETRY_FOR);
            }
        }
    }

    fn retry_pending(&self, shared: &dyn Namespaces) {
        let due: Vec<(PathBuf, Instant)> = std::mem::take(&mut *self.pending.lock())
            .into_iter()
            .collect();
        let now = Instant::now();
        for (path, give_up) in due {
            let name = name_for(&path);
            match shared.found(&path, name.clone()) {
                Ok(()) => {
                    let identity = identity(&path);
                    self.added.lock().insert(path, Added { name, identity });
                }
                // Gone again before it could be added: nothing to report.
                Err(Error::NoSuchNamespace { .. }) => {}
                // Not bind-mounted yet (or never will be): retry until give_up.
                Err(Error::NotANamespace { .. }) if now < give_up => {
                    self.pending.lock().insert(path, give_up);
                }
                // A plain file in the directory: not ours to report.
                Err(Error::NotANamespace { .. }) => {}
                Err(e) => shared.failed(&path, &e),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    /// Records what discovery reports, adding every file it is handed.
    #[derive(Default)]
    struct Record(Mutex<Vec<String>>);

    impl Namespaces for Record {
        fn stopping(&self) -> bool {
            false
        }
        fn found(&self, path: &Path, name: String) -> Result<(), Error> {
            self.0
                .lock()
                .push(format!("found {} {name}", path.display()));
            Ok(())
        }
        fn vanished(&self, name: &str) {
            self.0.lock().push(format!("vanished {name}"));
        }
        fn failed(&self, path: &Path, _: &Error) {
            self.0.lock().push(format!("failed {}", path.display()));
        }
    }

    fn ip(args: &str) {
        let out = Command::new("ip")
            .args(args.split_whitespace())
            .output()
            .unwrap();
        assert!(out.status.success(), "ip {args}: {out:?}");
    }

    #[test]
    fn file_names_that_are_not_utf8_get_distinct_readable_tags() {
        use std::os::unix::ffi::OsStrExt;
        let tag =
            |b: &[u8]| name_for(&Path::new("/run/netns").join(std::ffi::OsStr::from_bytes(b)));
        assert_eq!(tag(b"plain"), "plain");
        assert_eq!(tag(b"ns\xff"), r"ns\xff");
        assert_eq!(tag(b"ns\xfe"), r"ns\xfe");
        assert_eq!(tag(b"a\\b\xff"), r"a\\b\xff");
        assert_eq!(name_for(Path::new("/srv/ns/a")), "/srv/ns/a");
    }

    crate::sandboxed_test! {
        /// After an inotify overflow (discovery not reading while more events
        /// come than the kernel queues), the rescan finds what changed: a
        /// namespace deleted, one added, one deleted and added again under the
        /// same name (a new namespace: told apart by its nsfs identity), and a
        /// directory waited for that was created meanwhile.
        fn a_rescan_after_an_overflow_finds_every_change() {
            ip("netns add keep");
            ip("netns add doomed");
            let d = Discovery::new().unwrap();
            let seen = Record::default();
            d.watch(Path::new("/run/netns")).unwrap();
            d.watch(Path::new("/run/later")).unwrap();
            d.retry_pending(&seen);
            let mut first = std::mem::take(&mut *seen.0.lock());
            first.sort();
            assert_eq!(first, ["found /run/netns/doomed doomed", "found /run/netns/keep keep"]);

            // More events than the queue holds, while discovery does not read.
            let max: usize = std::fs::read_to_string("/proc/sys/fs/inotify/max_queued_events")
                .unwrap()
                .trim()
                .parse()
                .unwrap();
            for i in 0..max {
                let path = format!("/run/netns/junk{i}");
                std::fs::File::create(&path).unwrap();
                std::fs::remove_file(&path).unwrap();
            }
            ip("netns del doomed");
            ip("netns del keep");
            ip("netns add keep");
            ip("netns add late");
            std::fs::create_dir("/run/later").unwrap();
            std::fs::File::create("/run/later/x").unwrap();
            // Everything queued, the overflow last.
            for _ in 0..(max / 50) {
                d.read_events(&seen);
            }
            d.retry_pending(&seen);
            let got = seen.0.lock().clone();
            let (mut vanished, mut found): (Vec<&String>, Vec<&String>) =
                got.iter().partition(|l| l.starts_with("vanished"));
            vanished.sort();
            found.sort();
            assert_eq!(vanished, ["vanished doomed", "vanished keep"], "{got:#?}");
            assert_eq!(
                found,
                [
                    "found /run/later/x /run/later/x",
                    "found /run/netns/keep keep",
                    "found /run/netns/late late"
                ],
                "{got:#?}"
            );
        }
    }

    crate::sandboxed_test! {
        /// The watched directory deleted and made again (`umount /run/netns;
        /// rmdir /run/netns`, then `ip netns add` makes it anew) is followed
        /// again: read as it happens (awaited through its parent meanwhile)
        /// and read only once it is all over. It was never watched again.
        fn a_directory_removed_and_made_again_is_watched_again() {
            let d = Discovery::new().unwrap();
            let seen = Record::default();
            let dir = Path::new("/run/netns");
            ip("netns add r0");
            d.watch(dir).unwrap();
            d.retry_pending(&seen);
            let remove = || {
                ip("netns del r0");
                let _ = nix::mount::umount(dir);
                std::fs::remove_dir(dir).unwrap();
            };
            // Step by step: the directory is gone when discovery reads.
            remove();
            d.read_events(&seen);
            d.retry_pending(&seen);
            ip("netns add r1");
            d.read_events(&seen);
            d.retry_pending(&seen);
            // All at once: it is already back when discovery reads.
            ip("netns del r1");
            d.read_events(&seen);
            let _ = nix::mount::umount(dir);
            std::fs::remove_dir(dir).unwrap();
            ip("netns add r2");
            d.read_events(&seen);
            d.retry_pending(&seen);
            assert_eq!(
                *seen.0.lock(),
                [
                    "found /run/netns/r0 r0",
                    "vanished r0",
                    "found /run/netns/r1 r1",
                    "vanished r1",
                    "found /run/netns/r2 r2",
                ]
            );
        }
    }
}
