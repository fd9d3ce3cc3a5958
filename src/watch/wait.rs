//! Waiting until something holds in a namespace ([`Monitor::wait_until`]): a
//! link present, up or running, an address present or ready (duplicate address
//! detection done), a route present, a neighbour reachable, something gone, or
//! any predicate over the namespace's snapshot.
//!
//! Checking and waiting are one step, without a race: the waiter subscribes to
//! the namespace first, then copies its state view; the copy reflects every
//! event up to its `seq`, and every later one is in the subscription. A
//! condition that holds in the copy returns at once; otherwise each later
//! event that may make it hold is looked at: one that shows a matching object
//! in the wanted state returns it; for what is judged on the whole namespace
//! (gone, a predicate) the view is copied again, once the events queued so far
//! are read. A lost event (the waiter's queue overflowed), a resync or the end
//! of the initial dump also make the view be copied again.
//!
//! This module never reads a socket and never changes the state view.
//!
//! [`Monitor::wait_until`]: super::Monitor::wait_until

use crate::bus::Item;
use crate::object::{Action, Address, Link, NetnsTag, Object, ObjectKind, Route};
use crate::wire::consts::{
    IFA_F_DADFAILED, IFA_F_TENTATIVE, IFF_RUNNING, IFF_UP, NUD_PERMANENT, NUD_REACHABLE,
    RT_TABLE_MAIN,
};
use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use super::Snapshot;

/// An interface, by name or by index.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Dev {
    /// By name (as `ip` names it): whichever interface has it.
    Name(String),
    /// By index.
    Index(u32),
}

impl Dev {
    fn is(&self, link: &Link) -> bool {
        match self {
            Dev::Name(n) => link
                .ifname
                .as_ref()
                .is_some_and(|l| l.as_bytes() == n.as_bytes()),
            Dev::Index(i) => link.ifindex == *i,
        }
    }

    /// The index of the interface this names in `links`, if it exists.
    fn index_in(&self, links: &[Link]) -> Option<u32> {
        match self {
            Dev::Index(i) => Some(*i),
            Dev::Name(_) => links.iter().find(|l| self.is(l)).map(|l| l.ifindex),
        }
    }
}

impl fmt::Display for Dev {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Dev::Name(n) => f.write_str(n),
            Dev::Index(i) => write!(f, "index {i}"),
        }
    }
}

/// What to wait for of a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkState {
    /// It exists.
    Present,
    /// It is up (`IFF_UP`, as `ip link set DEV up` makes it).
    Up,
    /// It is up and running (`IFF_RUNNING`): it has a carrier and is
    /// operational.
    Running,
    /// It does not exist (any more).
    Gone,
}

impl LinkState {
    fn word(self) -> &'static str {
        match self {
            LinkState::Present => "present",
            LinkState::Up => "up",
            LinkState::Running => "running",
            LinkState::Gone => "gone",
        }
    }
}

/// What to wait for of an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddrState {
    /// It is assigned (perhaps still tentative).
    Present,
    /// It is assigned and usable: not tentative (IPv6 duplicate address
    /// detection is done). A failed detection (`dadfailed`) can never become
    /// ready: [`WaitError::Never`].
    Ready,
    /// It is not assigned (any more).
    Gone,
}

impl AddrState {
    fn word(self) -> &'static str {
        match self {
            AddrState::Present => "present",
            AddrState::Ready => "ready",
            AddrState::Gone => "gone",
        }
    }
}

/// Present or gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Presence {
    /// It exists.
    Present,
    /// It does not exist (any more).
    Gone,
}

impl Presence {
    fn word(self) -> &'static str {
        match self {
            Presence::Present => "present",
            Presence::Gone => "gone",
        }
    }
}

/// A condition on a namespace, for [`Monitor::wait_until`](super::Monitor::wait_until).
#[derive(Clone)]
#[non_exhaustive]
pub enum Condition {
    /// A link, by name or index.
    Link {
        /// Which.
        dev: Dev,
        /// In what state.
        state: LinkState,
    },
    /// An address (its local address, IPv4 or IPv6), optionally with its
    /// prefix length and device.
    Address {
        /// The address.
        addr: IpAddr,
        /// Its prefix length, if it matters.
        prefix_len: Option<u8>,
        /// Its device, if it matters.
        dev: Option<Dev>,
        /// In what state.
        state: AddrState,
    },
    /// A route: its destination, and optionally table, device and gateway.
    Route {
        /// Destination and prefix length; `None` for a default route of
        /// either family (`0.0.0.0/0` or `::/0`).
        dst: Option<(IpAddr, u8)>,
        /// Its table; `None` is the main table, as `ip route` has it.
        table: Option<u32>,
        /// Its output device (or one of its next hops'), if it matters.
        dev: Option<Dev>,
        /// Its gateway (or one of its next hops'), if it matters.
        gateway: Option<IpAddr>,
        /// Present or gone.
        presence: Presence,
    },
    /// A neighbour (ARP or NDP entry) is reachable (`REACHABLE`, or
    /// `PERMANENT`, which always is).
    NeighbourReachable {
        /// Its IP address.
        addr: IpAddr,
        /// Its device.
        dev: Dev,
    },
    /// Anything else: checked on a copy of the namespace's state view (every
    /// kind watched) after each change, so it costs a copy per change.
    Predicate(Arc<dyn Fn(&Snapshot) -> bool + Send + Sync>),
}

impl fmt::Debug for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Condition::Predicate(_) => f.write_str("Predicate(..)"),
            other => fmt::Display::fmt(other, f),
        }
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Condition::Link { dev, state } => write!(f, "link {dev} {}", state.word()),
            Condition::Address {
                addr,
                prefix_len,
                dev,
                state,
            } => {
                write!(f, "addr {addr}")?;
                if let Some(len) = prefix_len {
                    write!(f, "/{len}")?;
                }
                if let Some(dev) = dev {
                    write!(f, " dev {dev}")?;
                }
                write!(f, " {}", state.word())
            }
            Condition::Route {
                dst,
                table,
                dev,
                gateway,
                presence,
            } => {
                match dst {
                    Some((a, l)) => write!(f, "route {a}/{l}")?,
                    None => write!(f, "route default")?,
                }
                if let Some(t) = table {
                    write!(f, " table {t}")?;
                }
                if let Some(dev) = dev {
                    write!(f, " dev {dev}")?;
                }
                if let Some(gw) = gateway {
                    write!(f, " via {gw}")?;
                }
                write!(f, " {}", presence.word())
            }
            Condition::NeighbourReachable { addr, dev } => {
                write!(f, "neigh {addr} dev {dev} reachable")
            }
            Condition::Predicate(_) => f.write_str("a predicate"),
        }
    }
}

/// Why [`Monitor::wait_until`](super::Monitor::wait_until) returned without the
/// condition holding.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WaitError {
    /// It did not hold within the time given.
    TimedOut,
    /// It can never hold any more.
    Never(NeverReason),
    /// The namespace is not watched by this monitor.
    NotWatched {
        /// The namespace, as asked for.
        netns: String,
    },
    /// The condition is about a kind of object the monitor does not watch
    /// ([`Builder::objects`](super::Builder::objects)).
    KindNotWatched(ObjectKind),
    /// The monitor shut down while waiting.
    ShutDown,
}

/// Why a condition can never hold any more.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NeverReason {
    /// Duplicate address detection failed for the address (`dadfailed`): it
    /// stays unusable until removed and added again.
    DadFailed(Box<Address>),
    /// The namespace stopped being watched (deleted, removed, or its socket
    /// failed).
    NamespaceGone,
}

impl fmt::Display for WaitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WaitError::TimedOut => f.write_str("the condition did not hold in time"),
            WaitError::Never(NeverReason::DadFailed(a)) => write!(
                f,
                "duplicate address detection failed for {}: it will never be ready",
                a.local
                    .or(a.address)
                    .map_or("the address".to_string(), |a| a.to_string())
            ),
            WaitError::Never(NeverReason::NamespaceGone) => {
                f.write_str("the namespace is gone: the condition can never hold")
            }
            WaitError::NotWatched { netns } => {
                write!(f, "the namespace {netns:?} is not watched")
            }
            WaitError::ShutDown => f.write_str("the monitor shut down while waiting"),
            WaitError::KindNotWatched(k) => {
                write!(f, "{} objects are not watched by this monitor", k.as_str())
            }
        }
    }
}

impl std::error::Error for WaitError {}

/// What a look at the namespace found.
pub(crate) enum Verdict {
    /// It holds, shown by this object (none for what holds by absence, or a
    /// predicate).
    Holds(Option<Box<Object>>),
    /// Not yet.
    Not,
    /// Never.
    Never(NeverReason),
}

impl Condition {
    /// A link by name in `state`.
    pub fn link(name: impl Into<String>, state: LinkState) -> Condition {
        Condition::Link {
            dev: Dev::Name(name.into()),
            state,
        }
    }

    /// An address (on any device, any prefix length) in `state`.
    pub fn address(addr: IpAddr, state: AddrState) -> Condition {
        Condition::Address {
            addr,
            prefix_len: None,
            dev: None,
            state,
        }
    }

    /// A route to `dst` (`None`: a default route) in the main table, through
    /// any device and gateway.
    pub fn route(dst: Option<(IpAddr, u8)>, presence: Presence) -> Condition {
        Condition::Route {
            dst,
            table: None,
            dev: None,
            gateway: None,
            presence,
        }
    }

    /// A neighbour reachable on a device.
    pub fn neighbour_reachable(addr: IpAddr, dev: impl Into<String>) -> Condition {
        Condition::NeighbourReachable {
            addr,
            dev: Dev::Name(dev.into()),
        }
    }

    /// Anything a snapshot can tell.
    pub fn predicate(f: impl Fn(&Snapshot) -> bool + Send + Sync + 'static) -> Condition {
        Condition::Predicate(Arc::new(f))
    }

    /// The kinds a snapshot for this condition needs (links name devices).
    pub(crate) fn kinds(&self) -> Option<Vec<ObjectKind>> {
        Some(match self {
            Condition::Link { .. } => vec![ObjectKind::Link],
            Condition::Address { .. } => vec![ObjectKind::Link, ObjectKind::Address],
            Condition::Route { .. } => vec![ObjectKind::Link, ObjectKind::Route],
            Condition::NeighbourReachable { .. } => vec![ObjectKind::Link, ObjectKind::Neighbour],
            Condition::Predicate(_) => return None,
        })
    }

    /// Whether it holds by the presence of an object (an event showing one in
    /// the wanted state settles it); otherwise it is judged on a whole copy.
    pub(crate) fn by_presence(&self) -> bool {
        match self {
            Condition::Link { state, .. } => *state != LinkState::Gone,
            Condition::Address { state, .. } => *state != AddrState::Gone,
            Condition::Route { presence, .. } => *presence == Presence::Present,
            Condition::NeighbourReachable { .. } => true,
            Condition::Predicate(_) => false,
        }
    }

    /// Whether an event of this kind may change the verdict.
    pub(crate) fn concerns(&self, kind: ObjectKind) -> bool {
        match self.kinds() {
            // Links matter to the others only by their names.
            Some(kinds) => {
                kinds.last() == Some(&kind) || (kind == ObjectKind::Link && !self.by_presence())
            }
            None => true,
        }
    }

    /// The verdict on a copy of the namespace.
    pub(crate) fn check(&self, snap: &Snapshot) -> Verdict {
        match self {
            Condition::Predicate(p) => {
                if p(snap) {
                    Verdict::Holds(None)
                } else {
                    Verdict::Not
                }
            }
            _ if self.by_presence() => {
                let mut found = Verdict::Not;
                for object in snap.objects() {
                    match self.shown_by(&object, &snap.links, None) {
                        Verdict::Holds(o) => return Verdict::Holds(o),
                        Verdict::Never(r) => found = Verdict::Never(r),
                        Verdict::Not => {}
                    }
                }
                found
            }
            // Gone: no object matches.
            _ => {
                if snap.objects().any(|o| self.matches(&o, &snap.links, None)) {
                    Verdict::Not
                } else {
                    Verdict::Holds(None)
                }
            }
        }
    }

    /// The verdict an object shows by itself (for conditions by presence):
    /// `ifname` is its interface's name when the caller knows it (an event's),
    /// else it is looked up in `links`.
    pub(crate) fn shown_by(
        &self,
        object: &Object,
        links: &[Link],
        ifname: Option<&[u8]>,
    ) -> Verdict {
        if !self.matches(object, links, ifname) {
            return Verdict::Not;
        }
        let holds = match (self, object) {
            (Condition::Link { state, .. }, Object::Link(l)) => match state {
                LinkState::Present => true,
                LinkState::Up => l.flags & IFF_UP != 0,
                LinkState::Running => l.flags & IFF_UP != 0 && l.flags & IFF_RUNNING != 0,
                LinkState::Gone => false,
            },
            (Condition::Address { state, .. }, Object::Address(a)) => match state {
                AddrState::Present => true,
                AddrState::Ready if a.flags & IFA_F_DADFAILED != 0 => {
                    return Verdict::Never(NeverReason::DadFailed(Box::new(a.clone())))
                }
                AddrState::Ready => a.flags & IFA_F_TENTATIVE == 0,
                AddrState::Gone => false,
            },
            (Condition::Route { .. }, Object::Route(_)) => true,
            (Condition::NeighbourReachable { .. }, Object::Neighbour(n)) => {
                n.state & (NUD_REACHABLE | NUD_PERMANENT) != 0
            }
            _ => false,
        };
        if holds {
            Verdict::Holds(Some(Box::new(object.clone())))
        } else {
            Verdict::Not
        }
    }

    /// Whether `object` is the one the condition is about (in any state).
    fn matches(&self, object: &Object, links: &[Link], ifname: Option<&[u8]>) -> bool {
        // The object's device: by the name the caller gives, else by index.
        let on = |dev: &Dev, ifindex: u32| match (dev, ifname) {
            (Dev::Name(n), Some(name)) => name == n.as_bytes(),
            _ => dev.index_in(links) == Some(ifindex),
        };
        match (self, object) {
            (Condition::Link { dev, .. }, Object::Link(l)) => l.family == 0 && dev.is(l),
            (
                Condition::Address {
                    addr,
                    prefix_len,
                    dev,
                    ..
                },
                Object::Address(a),
            ) => {
                a.local.or(a.address) == Some(*addr)
                    && prefix_len.map_or(true, |p| p == a.prefix_len)
                    && dev.as_ref().map_or(true, |d| on(d, a.ifindex))
            }
            (
                Condition::Route {
                    dst,
                    table,
                    dev,
                    gateway,
                    ..
                },
                Object::Route(r),
            ) => route_matches(r, *dst, *table, dev.as_ref(), *gateway, &on),
            (Condition::NeighbourReachable { addr, dev }, Object::Neighbour(n)) => {
                n.dst == Some(*addr) && on(dev, n.ifindex)
            }
            _ => false,
        }
    }
}

/// Whether route `r` is the one asked for.
fn route_matches(
    r: &Route,
    dst: Option<(IpAddr, u8)>,
    table: Option<u32>,
    dev: Option<&Dev>,
    gateway: Option<IpAddr>,
    on: &dyn Fn(&Dev, u32) -> bool,
) -> bool {
    let dst_ok = match dst {
        Some((a, len)) => r.dst == Some(a) && r.dst_len == len,
        None => r.dst_len == 0 && r.dst.map_or(true, |d| d.is_unspecified()),
    };
    let table_ok = r.table == table.unwrap_or(u32::from(RT_TABLE_MAIN));
    let dev_ok = dev.map_or(true, |d| {
        r.oif.is_some_and(|o| on(d, o)) || r.nexthops.iter().any(|h| on(d, h.ifindex))
    });
    let gateway_ok = gateway.map_or(true, |g| {
        r.gateway == Some(g) || r.via == Some(g) || r.nexthops.iter().any(|h| h.gateway == Some(g))
    });
    dst_ok && table_ok && dev_ok && gateway_ok
}

/// What a waiter needs next. (Made once per item; its size does not matter.)
#[allow(clippy::large_enum_variant)]
pub(crate) enum Next {
    /// It is over.
    Done(Result<Option<Object>, WaitError>),
    /// A new copy of the namespace ([`Waiter::copied`]).
    Copy,
    /// The next item of its subscription ([`Waiter::item`]).
    Wait,
}

/// The steps of one wait, whatever receives its items (a blocking
/// subscription, or a stream): check a copy, then look at each later item.
pub(crate) struct Waiter<'c> {
    condition: &'c Condition,
    netns: String,
    kinds: Vec<ObjectKind>,
    /// The copy last checked (`None` before the first).
    snap: Option<Snapshot>,
}

impl<'c> Waiter<'c> {
    pub(crate) fn new(condition: &'c Condition, netns: &NetnsTag, kinds: Vec<ObjectKind>) -> Self {
        Waiter {
            condition,
            netns: netns.name.to_string(),
            kinds,
            snap: None,
        }
    }

    /// The kinds each copy must hold.
    pub(crate) fn kinds(&self) -> &[ObjectKind] {
        &self.kinds
    }

    /// A copy was taken (`None`: the namespace is not watched).
    pub(crate) fn copied(&mut self, snap: Option<Snapshot>) -> Next {
        let Some(snap) = snap else {
            return Next::Done(Err(if self.snap.is_none() {
                WaitError::NotWatched {
                    netns: self.netns.clone(),
                }
            } else {
                WaitError::Never(NeverReason::NamespaceGone)
            }));
        };
        // A partial picture (the initial dump still running) shows what is
        // there, not what is not.
        let verdict = if snap.synced || self.condition.by_presence() {
            self.condition.check(&snap)
        } else {
            Verdict::Not
        };
        self.snap = Some(snap);
        Self::settled(verdict).unwrap_or(Next::Wait)
    }

    /// The next item of the namespace.
    pub(crate) fn item(&mut self, item: Item) -> Next {
        let (seq, links) = match &self.snap {
            Some(s) => (s.seq, &s.links[..]),
            None => return Next::Copy,
        };
        match item {
            // In the copy already, or of a kind that changes nothing.
            Item::Event(e) if e.seq <= seq || !self.condition.concerns(e.object.kind()) => {
                Next::Wait
            }
            Item::Event(e) if self.condition.by_presence() && e.action == Action::New => {
                let name = e.ifname.as_ref().map(|n| n.as_bytes());
                Self::settled(self.condition.shown_by(&e.object, links, name)).unwrap_or(Next::Wait)
            }
            // A deletion changes nothing for what holds by presence.
            Item::Event(_) if self.condition.by_presence() => Next::Wait,
            // Judged on the whole namespace: copy it again (the events queued
            // meanwhile that the copy holds are skipped by their seq).
            Item::Event(_) => Next::Copy,
            // Events were lost, or the picture was completed or repaired.
            Item::Lagged { .. } | Item::SyncDone { .. } | Item::ResyncDone { .. } => Next::Copy,
            Item::NamespaceGone { .. } => {
                Next::Done(Err(WaitError::Never(NeverReason::NamespaceGone)))
            }
            _ => Next::Wait,
        }
    }

    fn settled(verdict: Verdict) -> Option<Next> {
        match verdict {
            Verdict::Holds(object) => Some(Next::Done(Ok(object.map(|o| *o)))),
            Verdict::Never(why) => Some(Next::Done(Err(WaitError::Never(why)))),
            Verdict::Not => None,
        }
    }
}
