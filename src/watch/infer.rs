//! Notifications, and what the kernel does without one.
//!
//! A notification is applied to the state view and published in order. Some
//! changes take other objects with them and the kernel does not say so (or not
//! for everything): a deleted link takes its addresses, routes and neighbours; a
//! link that goes down takes the IPv4 routes whose every next hop is on it; an
//! IPv4 address that goes away takes the IPv4 routes that name it as preferred
//! source. A link deleted, going down or losing its carrier takes the nexthop
//! objects on it, empties or shrinks the groups they were in, and takes the
//! IPv4 routes through what went; a nexthop deleted on purpose takes its IPv4
//! routes (see `object::nexthop` for what the kernel was found to announce).
//! This module infers those deletions from the view, drops them from it
//! and, unless the builder said otherwise, publishes them as
//! `Origin::Synthesized`: deletions, and the one change that is not a
//! deletion, a group that lost members (a synthesized `new`).
//!
//! This module never sends a dump request; it tells the dump rounds what it saw
//! (a change during a dump of its kind, or an `NLMSG_OVERRUN`, after which they
//! resync).

use super::namespace::{Counters, Out};
use super::state::Key;
use super::sync::DumpRounds;
use crate::bus::Item;
use crate::object::{Action, Object, ObjectKind, Origin};
use crate::wire::consts::{AF_INET, IFF_LOWER_UP, IFF_RUNNING, IFF_UP};
use crate::wire::{Message, NlMsg};
use std::net::IpAddr;

/// A message that is not a dump answer: an object's notification, an overrun
/// report, or something skipped.
pub(crate) fn notification(msg: &NlMsg<'_>, out: &mut Out<'_>, rounds: &mut DumpRounds) {
    match out.ns.counters.decode(msg) {
        Ok(Some((action, object))) => live(action, object, out, rounds),
        Ok(None) => {
            if matches!(msg.parse(), Ok(Message::Overrun)) {
                Counters::count(&out.ns.counters.overruns);
                rounds.want_resync();
                out.control(|netns| Item::Overrun { netns });
            }
        }
        Err(_) => {} // counted
    }
}

/// What the kernel removes silently along with one change.
enum Silent {
    Nothing,
    /// A link was deleted: everything that used it.
    LinkGone(u32),
    /// A link went down: its IPv4 routes, its nexthops.
    LinkDown(u32),
    /// A link that is up lost its carrier: its nexthops.
    CarrierLost(u32),
    /// An IPv4 address was removed: the IPv4 routes with it as preferred source.
    SourceGone(IpAddr),
    /// A nexthop object was deleted: the IPv4 routes through it.
    NexthopGone(u32),
}

/// Whether link flags show a carrier: the kernel flushes a link's nexthops
/// when it has neither `IFF_RUNNING` nor `IFF_LOWER_UP` (`nh_netdev_event`).
fn carrier(flags: u32) -> bool {
    flags & (IFF_RUNNING | IFF_LOWER_UP) != 0
}

/// Which silent removal `object`'s change implies, judged before the view is
/// updated (a link going down is told by its flags before and after).
fn silent(action: Action, object: &Object, out: &Out<'_>) -> Silent {
    match (object, action) {
        (Object::Link(l), Action::Del) if l.is_interface() => Silent::LinkGone(l.ifindex),
        (Object::Link(l), Action::New) if l.is_interface() => {
            let was = out.state.link_flags(l.ifindex);
            let was_up = was.is_some_and(|f| f & IFF_UP != 0);
            if was_up && !l.is_up() {
                Silent::LinkDown(l.ifindex)
            } else if was_up && was.is_some_and(carrier) && !carrier(l.flags) {
                Silent::CarrierLost(l.ifindex)
            } else {
                Silent::Nothing
            }
        }
        (Object::Nexthop(n), Action::Del) => Silent::NexthopGone(n.id),
        (Object::Address(a), Action::Del) if a.family == AF_INET => {
            a.local.map_or(Silent::Nothing, Silent::SourceGone)
        }
        _ => Silent::Nothing,
    }
}

/// A notification: keep the view, publish, and infer what the kernel will not say.
fn live(action: Action, object: Object, out: &mut Out<'_>, rounds: &mut DumpRounds) {
    let key = Key::of(&object);
    let silent = silent(action, &object, out);
    if let Some(key) = key {
        // A change during a dump of its kind counts as seen (new) or is already
        // gone (del).
        rounds.note_live(&key, action);
        out.state.apply_keyed(key, action, &object);
    }
    out.publish(action, Origin::Live, object);
    let (gone, nexthops) = match silent {
        Silent::Nothing => return,
        // The kernel announces some of it (before the link's own deletion) but
        // not IPv4 routes, nor nexthops.
        Silent::LinkGone(ifindex) => (
            out.state.dependents(ifindex),
            Some(out.state.nexthops_flushed_with(ifindex)),
        ),
        Silent::LinkDown(ifindex) => (
            out.state.ipv4_routes_only_via(ifindex),
            Some(out.state.nexthops_flushed_with(ifindex)),
        ),
        Silent::CarrierLost(ifindex) => {
            (Vec::new(), Some(out.state.nexthops_flushed_with(ifindex)))
        }
        Silent::SourceGone(local) => (out.state.ipv4_routes_with_prefsrc(local), None),
        Silent::NexthopGone(id) => (out.state.ipv4_routes_using(id), None),
    };
    let announce = out.policy.synthesize;
    let Some((nh_gone, shrunk)) = nexthops else {
        out.remove_all(gone, Origin::Synthesized, announce);
        return;
    };
    // In registry order: what comes before nexthops (addresses), the nexthops
    // and the groups they shrank, then routes and the rest.
    let (before, mut after): (Vec<Key>, Vec<Key>) = gone
        .into_iter()
        .partition(|k| k.kind() < ObjectKind::Nexthop);
    let (nh, routes): (Vec<Key>, Vec<Key>) = nh_gone
        .into_iter()
        .partition(|k| k.kind() == ObjectKind::Nexthop);
    out.remove_all(before, Origin::Synthesized, announce);
    out.remove_all(nh, Origin::Synthesized, announce);
    for group in shrunk {
        let object = Object::Nexthop(group);
        if let Some(key) = Key::of(&object) {
            out.state.apply_keyed(key, Action::New, &object);
        }
        if announce {
            out.publish(Action::New, Origin::Synthesized, object);
        }
    }
    let at = after.partition_point(|k| k.kind() <= ObjectKind::Route);
    after.splice(at..at, routes);
    out.remove_all(after, Origin::Synthesized, announce);
}
