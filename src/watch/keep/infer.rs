//! Notifications, and what the kernel does without one.
//!
//! A notification is applied to the state view and published in order. Some
//! changes take other objects with them and the kernel does not say so (or not
//! for everything): a deleted link takes its addresses, routes and neighbours; a
//! link that goes up or down or gains or loses its carrier moves the state of
//! the next hops on it, and takes the IPv4 routes whose every next hop is down
//! (`hops`); an IPv4 address that goes away takes the IPv4 routes that name it
//! as preferred source (looked at once the socket is quiet, since the kernel
//! announces some of them: `settle_deferred`); a deleted bridge takes the multicast groups it joined itself (its
//! ports' groups are announced). (A deleted device's netconf is announced: see
//! the `netconf` and `mdb` modules for what was found, by test.) A link
//! deleted, going down or losing its carrier takes the nexthop objects on it,
//! empties or shrinks the groups they were in, and takes the IPv4 routes
//! through what went; a nexthop deleted on purpose takes its IPv4 routes (see
//! `object::nexthop` for what the kernel was found to announce). This module
//! infers those deletions from the view, drops them from it and, unless the
//! builder said otherwise, publishes them as `Origin::Synthesized`: deletions,
//! and the changes that are not deletions: a group that lost members, a
//! bridge port's local FDB entries pointed elsewhere, and the flags the kernel
//! changes on policy rules without a message (`detached` when no link has the
//! name a rule gives, `unresolved` when a `goto` has no target), all as
//! synthesized `new` events.
//!
//! This module never sends a dump request; it tells the dump rounds what it saw
//! (a change during a dump of its kind, or an `NLMSG_OVERRUN`, after which they
//! resync).

use super::hops;
use super::namespace::Out;
use super::state::Key;
use crate::bus::Item;
use crate::object::{Action, Object, ObjectKind, Origin};
use crate::watch::metrics::Counters;
use crate::wire::consts::{AF_INET, IFF_LOWER_UP, IFF_RUNNING, IFF_UP, NLM_F_REPLACE};
use crate::wire::{Message, NlMsg};
use std::net::IpAddr;

/// What this module tells the dump rounds (`sync::DumpRounds`): a change seen
/// during a dump of its kind, and a loss that only a resync repairs. A trait,
/// so that this module does not depend on the rounds that call it.
pub(crate) trait Rounds {
    /// A notification during a dump of its kind: the object exists (`new`)
    /// or is already gone (`del`), whatever the dump says about it.
    fn note_live(&mut self, key: &Key, action: Action);
    /// Asks for a full resync once the current round is over.
    fn want_resync(&mut self);
}

/// A message that is not a dump answer: an object's notification, an overrun
/// report, or something skipped.
pub(crate) fn notification(msg: &NlMsg<'_>, out: &mut Out<'_>, rounds: &mut impl Rounds) {
    // Most messages carry one object; an MDB message may carry several.
    let mut skipped = 0;
    let replace = msg.flags() & NLM_F_REPLACE != 0;
    let decoded = Object::decode_each(msg, &mut skipped, |action, object| {
        // A kind not asked for can share a group with one that is (the bridge
        // FDB and IP neighbours both come on RTNLGRP_NEIGH). Links are always
        // kept: they name the rest (published only when asked for).
        let kind = object.kind();
        if kind == ObjectKind::Link || out.policy.kinds.contains(&kind) {
            live(action, object, replace, out, rounds)
        }
    });
    match out.ns.counters.counted(decoded, skipped) {
        Ok(true) => {}
        Ok(false) => {
            if matches!(msg.parse(), Ok(Message::Overrun)) {
                Counters::count(&out.ns.counters.overruns);
                rounds.want_resync();
                let timestamp = out.now;
                out.control(|netns| Item::Overrun { netns, timestamp });
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
    /// A link went down: its nexthops (its routes follow in `follow_link`).
    LinkDown(u32),
    /// A link that is up lost its carrier: its nexthops.
    CarrierLost(u32),
    /// An IPv4 address was removed: the IPv4 routes with it as preferred
    /// source when no link holds it any more, and the link's IPv4 routes when
    /// it was the link's last IPv4 address (the kernel then disables IPv4 on
    /// the link: `fib_disable_ip`).
    AddressGone {
        source: Option<IpAddr>,
        last_of: Option<u32>,
    },
    /// A nexthop object was deleted: the IPv4 routes through it.
    NexthopGone(u32),
}

/// Whether link flags show a carrier: the kernel flushes a link's nexthops
/// when it has neither `IFF_RUNNING` nor `IFF_LOWER_UP` (`nh_netdev_event`).
fn carrier(flags: u32) -> bool {
    flags & (IFF_RUNNING | IFF_LOWER_UP) != 0
}

/// The bridge port `object`'s change takes out of its bridge, judged before
/// the view is updated: `(port, bridge)`.
fn port_left(action: Action, object: &Object, out: &Out<'_>) -> Option<(u32, u32)> {
    let Object::Link(l) = object else { return None };
    if !l.is_interface() {
        return None;
    }
    let bridge = out.state.link_master(l.ifindex)?;
    let stays = action == Action::New && l.master == Some(bridge);
    (!stays).then_some((l.ifindex, bridge))
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
        // Judged from the view, so only for an address the view holds.
        (Object::Address(a), Action::Del)
            if a.family == AF_INET && Key::of(object).is_some_and(|k| out.state.has(&k)) =>
        {
            // Only when its last link loses it (the kernel's fib_del_ifaddr):
            // the same address on another link keeps them.
            let source = a
                .local
                .filter(|&local| out.state.ipv4_address_links(local) <= 1);
            let last_of = (out.state.ipv4_addresses_on(a.ifindex) <= 1).then_some(a.ifindex);
            Silent::AddressGone { source, last_of }
        }
        _ => Silent::Nothing,
    }
}

/// The link whose change moves the state of the next hops on it (see
/// `hops`): one deleted (`true`), or one that went up or down or gained or
/// lost its carrier. Judged before the view is updated.
fn link_moved(action: Action, object: &Object, out: &Out<'_>) -> Option<(u32, bool)> {
    let Object::Link(l) = object else { return None };
    if !l.is_interface() {
        return None;
    }
    if action == Action::Del {
        return Some((l.ifindex, true));
    }
    let was = out.state.link_flags(l.ifindex)?;
    let state = IFF_UP | IFF_RUNNING | IFF_LOWER_UP;
    (was & state != l.flags & state).then_some((l.ifindex, false))
}

/// Whether a change may move the flags the kernel sets on rules without a
/// word: a link appearing, going or renamed (a rule names its interfaces by
/// name: `detached`), or a rule coming or going (a `goto` to its priority:
/// `unresolved`). Judged before the view is updated.
fn moves_rule_flags(action: Action, object: &Object, out: &Out<'_>) -> bool {
    match (object, action) {
        (Object::Link(l), Action::Del) => l.is_interface(),
        (Object::Link(l), Action::New) => l.is_interface() && out.state.name(l.ifindex) != l.ifname,
        (Object::Rule(_), _) => true,
        _ => false,
    }
}

/// A notification: keep the view, publish, and infer what the kernel will not say.
/// `replace`: the kernel's notification says `NLM_F_REPLACE`. A partial
/// notification (netconf) is first completed from the kept object, so that the
/// view and the event published hold the whole object.
fn live(
    action: Action,
    mut object: Object,
    replace: bool,
    out: &mut Out<'_>,
    rounds: &mut impl Rounds,
) {
    let key = Key::of(&object);
    if let Some(key) = key {
        let told = action == Action::Del && out.state.deletion_inferred(&key);
        out.state.announced(&key);
        if told {
            // Inferred before the kernel said it: told once already.
            rounds.note_live(&key, action);
            return;
        }
    }
    let silent = silent(action, &object, out);
    let rule_flags = moves_rule_flags(action, &object, out);
    let left = port_left(action, &object, out);
    let moved = link_moved(action, &object, out);
    // IPv6 siblings: an announced hop joins the kept ones; a deleted one
    // leaves the others, published after the deletion.
    let mut siblings_left = None;
    if let (Object::Route(r), Some(Key::Route(rk))) = (&object, key) {
        if rk.is_ipv6_siblings() {
            if let Some(Object::Route(kept)) = out.state.get(&Key::Route(rk)) {
                match action {
                    Action::New if !replace => {
                        object = Object::Route(hops::siblings_added(&kept, r));
                    }
                    Action::Del => siblings_left = hops::siblings_left(&kept, r),
                    _ => {}
                }
            }
        }
    }
    // `ip route replace` replaces one route of its prefix (table, TOS and
    // metric) in place, and the kernel announces only the new one: IPv4 the
    // first of them; IPv6 the first of the same kind (siblings or not:
    // `fib6_add_rt2node`), else the first of any. When the new one was not
    // there and one candidate was, that one went; when several were, which
    // one is not said: the view is repaired by a resync.
    let replaced = match key {
        Some(Key::Route(rk)) if replace && action == Action::New => {
            let others = out.state.route_aliases(&rk);
            let same: Vec<_> = others
                .iter()
                .filter(|k| k.is_ipv4() || k.is_ipv6_siblings() == rk.is_ipv6_siblings())
                .copied()
                .collect();
            if out.state.has(&Key::Route(rk)) {
                if !same.is_empty() {
                    // The kernel replaced the first of its routes of that
                    // kind, which may not be this one: ask the kernel.
                    rounds.want_resync();
                }
                Vec::new()
            } else if same.is_empty() {
                others
            } else {
                same
            }
        }
        _ => Vec::new(),
    };
    if let Some(key) = key {
        if action == Action::New {
            // What a partial notification leaves out keeps its kept value, in
            // the view and in the event published.
            out.state.complete(&key, &mut object);
        }
        // A change during a dump of its kind counts as seen (new) or is already
        // gone (del).
        rounds.note_live(&key, action);
        out.state.apply_keyed(key, action, &object);
    }
    out.publish(action, Origin::Live, object);
    if let Some(left) = siblings_left {
        let left = Object::Route(left);
        if let Some(key) = key {
            out.state.apply_keyed(key, Action::New, &left);
        }
        if out.policy.synthesize {
            out.publish(Action::New, Origin::Synthesized, left);
        }
    }
    if rule_flags {
        refresh_rule_flags(out);
    }
    if let Some((port, bridge)) = left {
        // Its local FDB entries now point elsewhere, unannounced.
        for moved in out.state.fdb_repoint_local(port, bridge) {
            if out.policy.synthesize {
                out.publish(Action::New, Origin::Synthesized, moved);
            }
        }
    }
    match replaced.len() {
        0 => {}
        1 => {
            let announce = out.policy.synthesize;
            let gone = replaced.into_iter().map(Key::Route).collect();
            out.remove_all(gone, Origin::Synthesized, announce);
        }
        _ => rounds.want_resync(),
    }
    silent_removals(silent, out);
    if let Some((ifindex, deleted)) = moved {
        follow_link(ifindex, deleted, out);
    }
}

/// The next hops on link `ifindex` after its change (see `hops`): routes
/// flushed, routes whose hops changed, applied and announced.
fn follow_link(ifindex: u32, deleted: bool, out: &mut Out<'_>) {
    let (gone, changed) = hops::after_link_change(out.state, ifindex, deleted);
    let announce = out.policy.synthesize;
    out.remove_all(gone, Origin::Synthesized, announce);
    for (key, object) in changed {
        out.state.apply_keyed(key, Action::New, &object);
        if announce {
            out.publish(Action::New, Origin::Synthesized, object);
        }
    }
}

/// Removes (and announces) what `silent` says the kernel removed unannounced.
fn silent_removals(silent: Silent, out: &mut Out<'_>) {
    let (gone, nexthops) = match silent {
        Silent::Nothing => return,
        // The kernel announces some of it (before the link's own deletion) but
        // not IPv4 routes, nor nexthops.
        Silent::LinkGone(ifindex) => (
            out.state.dependents(ifindex),
            Some(out.state.nexthops_flushed_with(ifindex)),
        ),
        // Its routes follow it in `follow_link`.
        Silent::LinkDown(ifindex) => (Vec::new(), Some(out.state.nexthops_flushed_with(ifindex))),
        Silent::CarrierLost(ifindex) => {
            (Vec::new(), Some(out.state.nexthops_flushed_with(ifindex)))
        }
        Silent::AddressGone { source, last_of } => {
            // Some of these the kernel announces, after the address (its
            // prefix, local and broadcast routes; on newer kernels the routes
            // it was the preferred source of): looked at once the socket is
            // quiet, when what was announced has been read.
            let mut gone = source.map_or_else(Vec::new, |l| out.state.ipv4_routes_with_prefsrc(l));
            if let Some(ifindex) = last_of {
                gone.extend(out.state.ipv4_routes_only_via(ifindex));
            }
            out.state.defer(gone);
            return;
        }
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

/// The socket is quiet: of the routes an address's removal may have taken
/// along, those the kernel did not announce and the view still holds were
/// flushed silently: removed, and announced as synthesized deletions.
pub(crate) fn settle_deferred(out: &mut Out<'_>) {
    let gone = out.state.take_deferred();
    let announce = out.policy.synthesize;
    out.remove_all(gone, Origin::Synthesized, announce);
}

/// Corrects the flags of the rules the kernel changed silently (see
/// `object::rule`), publishing each as a synthesized `new`.
fn refresh_rule_flags(out: &mut Out<'_>) {
    for (key, rule) in out.state.stale_rule_flags() {
        out.state.apply_keyed(key, Action::New, &rule);
        if out.policy.synthesize {
            out.publish(Action::New, Origin::Synthesized, rule);
        }
    }
}
