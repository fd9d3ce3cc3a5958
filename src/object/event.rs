//! An event: one object with where, when and how it was seen (the namespace, a
//! per-namespace sequence number, the receive time, the action and the origin).
//! This is what subscribers receive, shared as `Arc<Event>`.
//!
//! This module only defines the values; it never decodes, publishes or prints.

use super::compact::Name;
use super::{Action, Object};
use std::sync::Arc;
use std::time::SystemTime;

/// Where an event's knowledge comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Origin {
    /// A notification the kernel sent as the change happened.
    #[default]
    Live,
    /// The initial dump of a namespace: the object existed when watching began.
    Dump,
    /// A re-dump after lost notifications: the difference between what nlwatch
    /// knew and what the kernel holds.
    Resync,
    /// A deletion the kernel does not announce, inferred by nlwatch: the routes,
    /// addresses and neighbours of a deleted link, the IPv4 routes the kernel
    /// flushes when a link goes down, or those that used a removed IPv4 address
    /// as their preferred source; the nexthop objects of a link deleted, down
    /// or without carrier, the groups they left empty and the IPv4 routes
    /// through them. Also the one change the kernel makes unannounced that is
    /// not a deletion: a nexthop group that lost those members (a `new`).
    Synthesized,
}

impl Origin {
    /// `"live"`, `"dump"`, `"resync"` or `"synthesized"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Live => "live",
            Origin::Dump => "dump",
            Origin::Resync => "resync",
            Origin::Synthesized => "synthesized",
        }
    }
}

/// The namespace an event came from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct NetnsTag {
    /// The name or path the namespace was added by; `""` for the namespace the
    /// program started in.
    pub name: Arc<str>,
    /// A stable id: the kernel's netns cookie (`SO_NETNS_COOKIE`), or the nsfs inode
    /// where cookies are not available.
    pub id: u64,
}

/// One change reported by the kernel, with where and when it was seen.
///
/// Built by the monitor; a consumer reads it, or makes one with [`Event::new`]
/// to test its own code (every field is public).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Event {
    /// The namespace it happened in.
    pub netns: NetnsTag,
    /// Position in this namespace's stream, from 1, without gaps for delivered events.
    pub seq: u64,
    /// When nlwatch received the message.
    pub timestamp: SystemTime,
    /// New or del.
    pub action: Action,
    /// Live notification, initial dump, resync difference, or synthesized deletion.
    pub origin: Origin,
    /// The name of the interface the object belongs to (see [`Object::ifindex`]),
    /// when the monitor knows it: a link's own name, or the name its index had
    /// when the event was received.
    pub ifname: Option<Name>,
    /// The object.
    pub object: Object,
}

impl Event {
    /// A live event of `action` on `object` in `netns`, with sequence number 0,
    /// the Unix epoch as its time and no interface name: set the public fields
    /// for anything else.
    ///
    /// ```
    /// use nlwatch::{Action, Event, NetnsTag, Object, Origin, objects::Link};
    /// let mut link = Link::default();
    /// link.ifindex = 7;
    /// let mut ev = Event::new(NetnsTag::default(), Action::New, Object::Link(link));
    /// ev.seq = 1;
    /// assert_eq!((ev.seq, ev.origin, ev.object.ifindex()), (1, Origin::Live, Some(7)));
    /// ```
    #[inline]
    pub fn new(netns: NetnsTag, action: Action, object: Object) -> Self {
        Event {
            netns,
            seq: 0,
            timestamp: SystemTime::UNIX_EPOCH,
            action,
            origin: Origin::Live,
            ifname: None,
            object,
        }
    }
}
