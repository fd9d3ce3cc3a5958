//! Notifications, and what the kernel does without one.
//!
//! A notification is applied to the state view and published in order. Some
//! changes take other objects with them and the kernel does not say so (or not
//! for everything): a deleted link takes its addresses, routes and neighbours; a
//! link that goes down takes the IPv4 routes whose every next hop is on it; an
//! IPv4 address that goes away takes the IPv4 routes that name it as preferred
//! source. This module infers those deletions from the view, drops them from it
//! and, unless the builder said otherwise, publishes them as
//! `Origin::Synthesized`. Likewise for the flags the kernel changes on policy
//! rules without a message (`detached` when no link has the name a rule
//! gives, `unresolved` when a `goto` has no target): the rules are published
//! again, as synthesized `new` events.
//!
//! This module never sends a dump request; it tells the dump rounds what it saw
//! (a change during a dump of its kind, or an `NLMSG_OVERRUN`, after which they
//! resync).

use super::namespace::{Counters, Out};
use super::state::Key;
use super::sync::DumpRounds;
use crate::bus::Item;
use crate::object::{Action, Object, Origin};
use crate::wire::consts::{AF_INET, IFF_UP};
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
    /// A link went down: its IPv4 routes.
    LinkDown(u32),
    /// An IPv4 address was removed: the IPv4 routes with it as preferred source.
    SourceGone(IpAddr),
}

/// Which silent removal `object`'s change implies, judged before the view is
/// updated (a link going down is told by its flags before and after).
fn silent(action: Action, object: &Object, out: &Out<'_>) -> Silent {
    match (object, action) {
        (Object::Link(l), Action::Del) if l.is_interface() => Silent::LinkGone(l.ifindex),
        (Object::Link(l), Action::New) if l.is_interface() => {
            let was_up = out
                .state
                .link_flags(l.ifindex)
                .is_some_and(|f| f & IFF_UP != 0);
            if was_up && !l.is_up() {
                Silent::LinkDown(l.ifindex)
            } else {
                Silent::Nothing
            }
        }
        (Object::Address(a), Action::Del) if a.family == AF_INET => {
            a.local.map_or(Silent::Nothing, Silent::SourceGone)
        }
        _ => Silent::Nothing,
    }
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
fn live(action: Action, object: Object, out: &mut Out<'_>, rounds: &mut DumpRounds) {
    let key = Key::of(&object);
    let silent = silent(action, &object, out);
    let rule_flags = moves_rule_flags(action, &object, out);
    if let Some(key) = key {
        // A change during a dump of its kind counts as seen (new) or is already
        // gone (del).
        rounds.note_live(&key, action);
        out.state.apply_keyed(key, action, &object);
    }
    out.publish(action, Origin::Live, object);
    if rule_flags {
        refresh_rule_flags(out);
    }
    let gone = match silent {
        Silent::Nothing => return,
        // The kernel announces some of it (before the link's own deletion) but
        // not IPv4 routes.
        Silent::LinkGone(ifindex) => out.state.dependents(ifindex),
        Silent::LinkDown(ifindex) => out.state.ipv4_routes_only_via(ifindex),
        Silent::SourceGone(local) => out.state.ipv4_routes_with_prefsrc(local),
    };
    if !gone.is_empty() {
        let announce = out.policy.synthesize;
        out.remove_all(gone, Origin::Synthesized, announce);
    }
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
