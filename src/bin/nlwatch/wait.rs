//! `nlwatch wait`: conditions spelled like `ip`, parsed into the library's
//! [`Condition`], waited for with `Monitor::wait_until`, and the exit status
//! that tells a script what happened.
//!
//! A namespace named with `--netns` is also watched for deletion (`ip netns
//! del`): its file under /run/netns going away ends the wait (status 3), since
//! nlwatch's own socket would otherwise keep the namespace alive and the
//! condition waiting forever.

use crate::args::{Args, WaitArgs};
use crate::print::{print_event, NameCache};
use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};
use nlwatch::{
    waiting::{AddrState, Condition, Dev, LinkState, Presence, WaitError},
    Action, Event, Monitor, Netns, ObjectKind, NETNS_RUN_DIR,
};
use std::net::IpAddr;
use std::os::fd::AsFd;
use std::time::Duration;

/// How `nlwatch wait` ended: its exit status and what it says on stderr.
pub(crate) struct Failure {
    pub(crate) status: u8,
    pub(crate) message: String,
}

fn usage(message: String) -> Failure {
    Failure { status: 2, message }
}

/// Parses `words` (`link veth0 up`, ...) into a condition.
pub(crate) fn parse(words: &[String]) -> Result<Condition, String> {
    let w: Vec<&str> = words.iter().map(String::as_str).collect();
    let (last, rest) = w.split_last().ok_or("no condition given")?;
    let (object, args) = rest
        .split_first()
        .ok_or_else(|| format!("{last:?} is not a condition: see nlwatch wait --help"))?;
    let mut options = Options::parse(args)?;
    let condition = match *object {
        "link" => {
            let dev = options.positional()?;
            let state = match *last {
                "present" => LinkState::Present,
                "up" => LinkState::Up,
                "running" => LinkState::Running,
                "gone" => LinkState::Gone,
                other => {
                    return Err(format!(
                        "a link is present, up, running or gone, not {other:?}"
                    ))
                }
            };
            Condition::Link {
                dev: Dev::Name(dev),
                state,
            }
        }
        "addr" | "address" => {
            let (addr, prefix_len) = prefix(&options.positional()?)?;
            let state = match *last {
                "present" => AddrState::Present,
                "ready" => AddrState::Ready,
                "gone" => AddrState::Gone,
                other => {
                    return Err(format!(
                        "an address is present, ready or gone, not {other:?}"
                    ))
                }
            };
            Condition::Address {
                addr,
                prefix_len,
                dev: options.dev.take().map(Dev::Name),
                state,
            }
        }
        "route" => {
            let dst = options.positional()?;
            let dst = if dst == "default" {
                None
            } else {
                let (addr, len) = prefix(&dst)?;
                let full = if addr.is_ipv4() { 32 } else { 128 };
                Some((addr, len.unwrap_or(full)))
            };
            let presence = match *last {
                "present" => Presence::Present,
                "gone" => Presence::Gone,
                other => return Err(format!("a route is present or gone, not {other:?}")),
            };
            Condition::Route {
                dst,
                table: options.table.take(),
                dev: options.dev.take().map(Dev::Name),
                gateway: options.via.take(),
                presence,
            }
        }
        "neigh" | "neighbour" | "neighbor" => {
            let addr = options.positional()?;
            let addr: IpAddr = addr
                .parse()
                .map_err(|_| format!("{addr:?} is not an IP address"))?;
            if *last != "reachable" {
                return Err(format!(
                    "a neighbour is waited for as reachable, not {last:?}"
                ));
            }
            let dev = options.dev.take().ok_or("neigh needs dev DEV")?;
            Condition::NeighbourReachable {
                addr,
                dev: Dev::Name(dev),
            }
        }
        other => {
            return Err(format!(
                "{other:?} is not something to wait for: link, addr, route or neigh"
            ))
        }
    };
    options.done()?;
    Ok(condition)
}

/// The words between a condition's object and its state.
#[derive(Default)]
struct Options {
    positional: Vec<String>,
    dev: Option<String>,
    table: Option<u32>,
    via: Option<IpAddr>,
}

impl Options {
    fn parse(args: &[&str]) -> Result<Options, String> {
        let mut o = Options::default();
        let mut it = args.iter();
        while let Some(word) = it.next() {
            let mut value = |what: &str| {
                it.next()
                    .map(|v| v.to_string())
                    .ok_or(format!("{word} needs {what}"))
            };
            match *word {
                "dev" => o.dev = Some(value("a device name")?),
                "table" => o.table = Some(table(&value("a table")?)?),
                "via" => {
                    let gw = value("a gateway")?;
                    o.via = Some(
                        gw.parse()
                            .map_err(|_| format!("{gw:?} is not an IP address"))?,
                    );
                }
                other => o.positional.push(other.to_string()),
            }
        }
        Ok(o)
    }

    /// The one positional word (the device, address or prefix).
    fn positional(&mut self) -> Result<String, String> {
        if self.positional.is_empty() {
            return Err("the condition names nothing to wait for".into());
        }
        Ok(self.positional.remove(0))
    }

    /// Everything was used.
    fn done(self) -> Result<(), String> {
        if let Some(extra) = self.positional.first() {
            return Err(format!("unexpected {extra:?} in the condition"));
        }
        if self.dev.is_some() || self.table.is_some() || self.via.is_some() {
            return Err("dev, table and via do not apply to this condition".into());
        }
        Ok(())
    }
}

/// `ADDR` or `ADDR/LEN`.
fn prefix(s: &str) -> Result<(IpAddr, Option<u8>), String> {
    let (addr, len) = match s.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (s, None),
    };
    let addr: IpAddr = addr
        .parse()
        .map_err(|_| format!("{addr:?} is not an IP address"))?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let len = match len {
        Some(l) => Some(
            l.parse::<u8>()
                .ok()
                .filter(|l| *l <= max)
                .ok_or(format!("{l:?} is not a prefix length for {addr}"))?,
        ),
        None => None,
    };
    Ok((addr, len))
}

/// A routing table by number or by `ip`'s names.
fn table(s: &str) -> Result<u32, String> {
    match s {
        "main" => Ok(254),
        "local" => Ok(255),
        "default" => Ok(253),
        n => n.parse().map_err(|_| format!("{n:?} is not a table")),
    }
}

/// `nlwatch wait`: waits and prints; the exit status says how it ended.
pub(crate) fn run(args: WaitArgs) -> Result<(), Failure> {
    let condition = parse(&args.condition).map_err(usage)?;
    let kinds: Vec<ObjectKind> = match &condition {
        Condition::Link { .. } => vec![ObjectKind::Link],
        Condition::Address { .. } => vec![ObjectKind::Link, ObjectKind::Address],
        Condition::Route { .. } => vec![ObjectKind::Link, ObjectKind::Route],
        _ => vec![ObjectKind::Link, ObjectKind::Neighbour],
    };
    let monitor = Monitor::builder()
        .objects(kinds)
        .build()
        .map_err(|e| Failure {
            status: 1,
            message: e.to_string(),
        })?;
    let target = match (&args.netns, &args.netns_path) {
        (Some(name), _) => Netns::Named(name.clone()),
        (None, Some(path)) => Netns::Path(path.clone()),
        (None, None) => Netns::Current,
    };
    let never = |message: String| Failure { status: 3, message };
    let handle = match monitor.add_namespace(target) {
        Ok(h) => h,
        Err(
            e @ (nlwatch::Error::NoSuchNamespace { .. } | nlwatch::Error::NotANamespace { .. }),
        ) => return Err(never(e.to_string())),
        Err(e) => {
            return Err(Failure {
                status: 1,
                message: e.to_string(),
            })
        }
    };
    let timeout = args.timeout.map(Duration::from_secs_f64);
    // Ends the wait when the namespace's file goes: a deleted namespace is
    // removed, and the wait learns it is gone.
    let deletion = args.netns.as_deref().and_then(|n| Deletion::new(n).ok());
    let result = std::thread::scope(|scope| {
        let Some(watch) = &deletion else {
            return monitor.wait_until(handle.tag(), &condition, timeout);
        };
        let (monitor, handle) = (&monitor, &handle);
        scope.spawn(move || {
            if watch.wait() {
                let _ = monitor.remove_namespace(handle);
            }
        });
        let result = monitor.wait_until(handle.tag(), &condition, timeout);
        watch.stop();
        result
    });
    let printing = Args {
        json: args.json,
        details: args.details,
        dump: true,
        ..Args::new(Default::default())
    };
    match result {
        Ok(object) => {
            if let Some(object) = object {
                let mut ev = Event::new(handle.tag().clone(), Action::New, object);
                // When it was found to hold.
                ev.timestamp = std::time::SystemTime::now();
                let mut names = NameCache::default();
                if let Some(snap) = monitor.snapshot(handle.tag()) {
                    ev.seq = snap.seq;
                    names.know(snap.netns.id, &snap.links);
                    ev.ifname = ev.object.ifindex().and_then(|i| {
                        snap.links
                            .iter()
                            .find(|l| l.ifindex == i)
                            .and_then(|l| l.ifname.clone())
                    });
                }
                let mut out = Vec::new();
                let _ = print_event(&mut out, &ev, &printing, &mut names);
                // The line is the answer a script reads: a failed write is a
                // failure (exit 1), as for the other commands, not a success.
                if let Err(message) = crate::write_stdout(&out) {
                    monitor.shutdown();
                    return Err(Failure { status: 1, message });
                }
            }
            monitor.shutdown();
            Ok(())
        }
        Err(WaitError::TimedOut) => Err(Failure {
            status: 1,
            message: format!("timed out waiting for {condition}"),
        }),
        Err(e @ WaitError::Never(_)) => Err(never(e.to_string())),
        Err(e) => Err(Failure {
            status: 1,
            message: e.to_string(),
        }),
    }
}

/// A watch for the deletion of `/run/netns/NAME`.
struct Deletion {
    inotify: Inotify,
    name: String,
    stop: nix::sys::eventfd::EventFd,
}

impl Deletion {
    fn new(name: &str) -> nix::Result<Deletion> {
        let inotify = Inotify::init(InitFlags::IN_CLOEXEC | InitFlags::IN_NONBLOCK)?;
        inotify.add_watch(
            NETNS_RUN_DIR,
            AddWatchFlags::IN_DELETE | AddWatchFlags::IN_MOVED_FROM,
        )?;
        let stop = nix::sys::eventfd::EventFd::from_flags(
            nix::sys::eventfd::EfdFlags::EFD_CLOEXEC | nix::sys::eventfd::EfdFlags::EFD_NONBLOCK,
        )?;
        Ok(Deletion {
            inotify,
            name: name.to_string(),
            stop,
        })
    }

    /// Blocks until the file is deleted (`true`) or `stop` is called (`false`).
    fn wait(&self) -> bool {
        use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
        loop {
            let mut fds = [
                PollFd::new(self.inotify.as_fd(), PollFlags::POLLIN),
                PollFd::new(self.stop.as_fd(), PollFlags::POLLIN),
            ];
            match poll(&mut fds, PollTimeout::NONE) {
                Ok(_) => {}
                Err(nix::errno::Errno::EINTR) => continue,
                Err(_) => return false,
            }
            if fds[1].any().unwrap_or(false) {
                return false;
            }
            if let Ok(events) = self.inotify.read_events() {
                if events
                    .iter()
                    .any(|e| e.name.as_deref().is_some_and(|n| n == self.name.as_str()))
                {
                    return true;
                }
            }
        }
    }

    fn stop(&self) {
        let _ = self.stop.write(1);
    }
}
