//! Owned, typed objects: what the kernel's messages mean, one module per kind, and
//! the one registry of kinds ([`for_each_kind!`]).
//!
//! The `wire` views borrow the receive buffer; the types here own their values and
//! outlive it. [`Object::decode`] turns one rtnetlink message into a typed object
//! (IPv4 and IPv6 alike) with at most the allocations its variable-length parts
//! need: interface names, kinds and labels are stored inline ([`Name`]), so a
//! link, address or neighbour decodes without touching the heap; only alternative
//! names, multipath next hops and the members of a nexthop group allocate.
//!
//! # One place per kind
//!
//! Each kind is one module (named on its line of the registry) holding its owned
//! type and its [`Kind`] implementation: how it decodes, the messages and groups
//! that carry it, the dump that lists it, its identity in the state view, its
//! JSON fields, its text line and the fields filters look at. The registry below
//! lists the kinds once; the kind's module declaration and every per-kind
//! enum, array, mask, group list and lookup in the crate ([`ObjectKind`],
//! [`Object`], the re-exports of `nlwatch::objects`, the state view's tables,
//! keys and stored forms, `Snapshot`'s fields, the bus's per-kind index, the
//! CLI's list of kinds) is generated from it.
//!
//! This module never touches a socket, never keeps state and never publishes.

mod compact;
mod event;
pub(crate) mod fields;
pub mod names;

// Each kind's module is declared by the registry (`kind_modules`, below);
// these serve several kinds.
mod encap;
mod link_info;
mod route_metrics;

#[cfg(test)]
pub(crate) mod decode_tests;
#[cfg(test)]
pub(crate) mod family_tests;
#[cfg(test)]
mod npr_tests;
#[cfg(test)]
pub(crate) mod rule_nsid_tests;

pub use compact::{text_escaped, HwAddr, Name, MAX_ADDR_LEN};
pub use event::{Event, NetnsTag, Origin};
pub(crate) use kinds::*;
pub(crate) use route::RouteKey;
pub(crate) use rule::RuleKey;

use crate::wire::{self, Dump, NlMsg};
use fields::{Fields, IfNames};
use std::fmt;
use std::net::IpAddr;

/// The registry of object kinds: one line per kind, in the order `ip monitor`
/// lists them (which is also the order of dumps: links first, since every other
/// kind is named after its link).
///
/// `for_each_kind!(callback)` calls `callback!` with every line, as
/// `Variant(module::Type) snapshot_field "cli-name" [aliases] "doc";`: the
/// kind's module (declared from here) and its owned type. A module that
/// needs something per kind writes a callback macro that turns the lines into
/// that thing, so nothing per kind is ever listed twice.
macro_rules! for_each_kind {
    ($callback:ident) => {
        $callback! {
            Link(link::Link) links "link" [] "Network interfaces (`RTNLGRP_LINK`).";
            Address(addr::Address) addresses "addr" ["address"]
                "IPv4 and IPv6 addresses (`RTNLGRP_IPV4_IFADDR`, `RTNLGRP_IPV6_IFADDR`).";
            Nexthop(nexthop::Nexthop) nexthops "nexthop" []
                "Nexthop objects: single, blackhole, groups, FDB (`RTNLGRP_NEXTHOP`).";
            Route(route::Route) routes "route" []
                "IPv4 and IPv6 routes (`RTNLGRP_IPV4_ROUTE`, `RTNLGRP_IPV6_ROUTE`).";
            Rule(rule::Rule) rules "rule" []
                "IPv4 and IPv6 policy routing rules (`RTNLGRP_IPV4_RULE`, `RTNLGRP_IPV6_RULE`).";
            Neighbour(neigh::Neighbour) neighbours "neigh" ["neighbour", "neighbor"]
                "IP neighbour (ARP / NDP) entries (`RTNLGRP_NEIGH`).";
            Fdb(fdb::FdbEntry) fdb "fdb" []
                "Bridge forwarding database entries: `AF_BRIDGE` neighbours (`RTNLGRP_NEIGH`).";
            Netconf(netconf::Netconf) netconfs "netconf" []
                "Per-device IP settings (`RTNLGRP_IPV4_NETCONF`, `RTNLGRP_IPV6_NETCONF`).";
            Nsid(nsid::Nsid) nsids "nsid" []
                "Ids of peer network namespaces (`RTNLGRP_NSID`).";
            Mdb(mdb::Mdb) mdbs "mdb" []
                "Bridge multicast database entries and router ports (`RTNLGRP_MDB`).";
        }
    };
}
pub(crate) use for_each_kind;

/// Declares each kind's module and gathers their public types (the object
/// and what it is made of) in `kinds`, which the crate's front re-exports.
macro_rules! kind_modules {
    ($($variant:ident($module:ident::$ty:ident) $field:ident $name:literal [$($alias:literal),*] $doc:literal;)*) => {
        $(mod $module;)*

        /// Every kind's public types.
        pub(crate) mod kinds {
            $(pub use super::$module::*;)*
        }
    };
}
for_each_kind!(kind_modules);

/// What a kind of object is and does: implemented once per kind, in its module.
pub(crate) trait Kind: Clone + Default + PartialEq + fmt::Debug + Sized {
    /// The message types that announce it: `[RTM_NEW*, RTM_DEL*]`.
    const MESSAGES: [u16; 2];
    /// The multicast groups that carry its notifications.
    const GROUPS: &'static [u32];
    /// The request that lists every object of the kind.
    const DUMP: Dump;
    /// The message type of its dump's answers: `RTM_NEW*` for most kinds, but
    /// the kernel answers an MDB dump with `RTM_GETMDB` messages. Decoded as
    /// `new`.
    const DUMP_ANSWER: u16 = Self::MESSAGES[0];
    /// Its identity in the state view: what the kernel keys it by, as plain
    /// integers so that lookups compare machine words.
    type Key: Copy + Ord + std::hash::Hash + fmt::Debug;

    /// Decodes a message of one of [`Kind::MESSAGES`] into `into`, which is
    /// `Default`. Unknown attributes are skipped; a known attribute with a
    /// malformed payload is skipped too and counted in `skipped` (see [`walk`]);
    /// a fixed header too short, or a malformed attribute of the key, is an
    /// error.
    ///
    /// It fills an object in place rather than returning one: `Object::decode`
    /// makes the object inside its `Object` and fills it there, so that a link
    /// (248 bytes) is not returned and copied twice on the way (measured: about
    /// 100 more instructions per link).
    fn decode(msg: &NlMsg<'_>, into: &mut Self, skipped: &mut u32) -> wire::Result<()>;
    /// Whether a message of one of [`Kind::MESSAGES`] is this kind's. Two kinds
    /// may share message types, told apart by what the message says (IP
    /// neighbours and the bridge forwarding database both come as
    /// `RTM_NEWNEIGH`, by family); the first kind in the registry that claims a
    /// message decodes it.
    fn claims(_msg: &NlMsg<'_>) -> bool {
        true
    }
    /// Whether one message may carry several objects of the kind (an MDB dump
    /// answers with one message per bridge, all its groups inside): then
    /// [`Kind::decode_each`] reads them, and [`Kind::decode`] the first.
    const MANY: bool = false;
    /// Decodes every object of a message of one of [`Kind::MESSAGES`], handing
    /// each to `each` (none when the message holds none); see [`Kind::decode`]
    /// for the rules. Only kinds with [`Kind::MANY`] need it.
    fn decode_each(
        msg: &NlMsg<'_>,
        skipped: &mut u32,
        each: &mut dyn FnMut(Self),
    ) -> wire::Result<()> {
        let mut one = Self::default();
        Self::decode(msg, &mut one, skipped)?;
        each(one);
        Ok(())
    }
    /// Completes a notification that carries only what changed from the
    /// version kept in the state view (`kept`), before the view takes it: a
    /// netconf notification for one sysctl carries that setting alone.
    fn complete(&mut self, _kept: &Self) {}
    /// Whether [`Kind::complete`] does anything: only then does the view
    /// look up the kept version before it takes a notification.
    const PARTIAL: bool = false;
    /// Its identity, or `None` when the state view does not keep it.
    fn key(&self) -> Option<Self::Key>;
    /// Whether two versions describe the same state (fields that change by
    /// themselves, such as lifetimes, do not count).
    fn same_state(&self, other: &Self) -> bool;
    /// The smallest key an object that belongs to link `ifindex` (and
    /// vanishes with it) can have, for kinds whose key leads with the
    /// ifindex: the objects of a link are the keys from it up to the next
    /// link's (see [`link_keys`]). `None` for kinds found otherwise (routes
    /// through the view's index, MDB entries by [`Kind::ON_LINK`]).
    fn first_key_on_link(_ifindex: u32) -> Option<Self::Key> {
        None
    }
    /// For kinds whose objects of a link are not one range of keys (an MDB
    /// entry belongs to its bridge and to its port): whether the object of
    /// a key belongs to a link, which the view then asks of every key of the
    /// kind. `None` (the default) when [`Kind::first_key_on_link`] says it
    /// all, or the kind's objects do not go with a link: the view then walks
    /// nothing (a link deleted in a namespace of 100,000 routes must not
    /// look at each).
    const ON_LINK: Option<fn(&Self::Key, u32) -> bool> = None;
    /// The interface it belongs to, for filters and names.
    fn ifindex(&self) -> Option<u32>;
    /// Its address family, for [`Filter::family`](crate::Filter::family).
    fn family(&self) -> Option<u8> {
        None
    }
    /// Its routing table, for [`Filter::table`](crate::Filter::table).
    fn table(&self) -> Option<u32> {
        None
    }
    /// Its JSON fields, named as `ip -j` names them, in order; the details
    /// (what `ip -j -d` adds) only when [`Fields::details`] says so.
    fn fields(&self, f: &mut impl Fields);
    /// The details a text line adds after [`Kind::write_text`]'s when they
    /// are asked for: the kinds whose `ip -d` text grows by more than a word
    /// or two (a link's) list them here, the others have none.
    fn text_details(&self, _f: &mut impl Fields) {}
    /// The names of the interfaces it refers to, after its fields: `own` is the
    /// name of its own interface ([`Event::ifname`]), `names` resolves the others.
    fn name_fields(&self, own: Option<&Name>, names: &dyn IfNames, f: &mut impl Fields);
    /// Its `ip monitor`-style text, after `[kind] action`.
    fn write_text(&self, out: &mut dyn fmt::Write, names: &dyn IfNames) -> fmt::Result;
}

/// What happened to the object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// `RTM_NEW*`: the object was created or changed.
    New,
    /// `RTM_DEL*`: the object was removed.
    Del,
}

impl Action {
    /// `"new"` or `"del"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::New => "new",
            Action::Del => "del",
        }
    }
}

/// Generates [`ObjectKind`] and [`Object`] from the registry.
macro_rules! define_object {
    ($($variant:ident($module:ident::$ty:ident) $field:ident $name:literal [$($alias:literal),*] $doc:literal;)*) => {
        /// The kinds of object nlwatch reports.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum ObjectKind {
            $(#[doc = $doc] $variant,)*
        }

        impl ObjectKind {
            /// How many kinds there are.
            pub const COUNT: usize = [$(ObjectKind::$variant),*].len();

            /// Every kind, in the order `ip monitor` lists them.
            pub const ALL: [ObjectKind; ObjectKind::COUNT] = [$(ObjectKind::$variant),*];

            #[doc = concat!(
                "The name used by the CLI and in JSON's `\"object\"`: ",
                $("`", $name, "` ",)*
                "(the registry's, in its order)."
            )]
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ObjectKind::$variant => $name,)*
                }
            }

            /// The kind named `name` or one of its aliases (`address`, `neighbour`).
            fn from_name(name: &str) -> Option<ObjectKind> {
                match name {
                    $($name $(| $alias)* => Some(ObjectKind::$variant),)*
                    _ => None,
                }
            }

            /// The rtnetlink multicast groups that carry this kind.
            pub(crate) fn groups(self) -> &'static [u32] {
                match self {
                    $(ObjectKind::$variant => <$ty as Kind>::GROUPS,)*
                }
            }

            /// The request that dumps every object of this kind.
            pub(crate) fn dump(self) -> Dump {
                match self {
                    $(ObjectKind::$variant => <$ty as Kind>::DUMP,)*
                }
            }
        }

        /// A decoded kernel object.
        #[derive(Debug, Clone, PartialEq, Eq)]
        #[non_exhaustive]
        pub enum Object {
            $(#[doc = $doc] $variant($ty),)*
        }

        $(impl From<$ty> for Object {
            fn from(object: $ty) -> Object {
                Object::$variant(object)
            }
        })*

        impl Object {
            /// Decodes one netlink message into an action and an object. Messages
            /// that carry no object nlwatch reports (`NLMSG_DONE`, errors, other
            /// types) give `Ok(None)`.
            ///
            /// ```
            /// use nlwatch::wire::NlMsg;
            /// use nlwatch::{Action, Object};
            /// // RTM_NEWLINK, ifindex 7, flags UP, one attribute IFLA_IFNAME "eth7".
            /// let mut b = vec![0u8; 16 + 16 + 12];
            /// b[0] = b.len() as u8; b[4] = 16;               // nlmsg_len, RTM_NEWLINK
            /// b[16 + 4] = 7; b[16 + 8] = 1;                  // ifi_index, ifi_flags
            /// b[32..36].copy_from_slice(&[9, 0, 3, 0]);      // nla_len 9, IFLA_IFNAME
            /// b[36..41].copy_from_slice(b"eth7\0");
            /// let msg = NlMsg::new_checked(&b).unwrap();
            /// let (action, obj) = Object::decode(&msg).unwrap().unwrap();
            /// assert_eq!(action, Action::New);
            /// let Object::Link(link) = obj else { panic!() };
            /// assert_eq!((link.ifindex, link.ifname.unwrap().to_str()), (7, Some("eth7")));
            /// ```
            ///
            /// A known attribute that does not decode is skipped (see
            /// [`Object::decode_counted`] to count them); one the object's identity
            /// is made of (a route's destination, an address's local address) is
            /// an error, as is a fixed header too short.
            #[inline]
            pub fn decode(msg: &NlMsg<'_>) -> wire::Result<Option<(Action, Object)>> {
                Self::decode_counted(msg, &mut 0)
            }

            /// [`Object::decode`], adding the number of malformed attributes it
            /// skipped to `skipped`.
            ///
            /// ```
            /// use nlwatch::wire::NlMsg;
            /// use nlwatch::Object;
            /// // RTM_NEWLINK, ifindex 7, IFLA_MTU with 2 bytes instead of 4.
            /// let mut b = vec![0u8; 16 + 16 + 8];
            /// b[0] = b.len() as u8; b[4] = 16;
            /// b[16 + 4] = 7;
            /// b[32..38].copy_from_slice(&[6, 0, 4, 0, 0xdc, 0x05]);
            /// let mut skipped = 0;
            /// let (_, obj) = Object::decode_counted(&NlMsg::new_checked(&b).unwrap(), &mut skipped)
            ///     .unwrap()
            ///     .unwrap();
            /// let Object::Link(link) = obj else { panic!() };
            /// assert_eq!((link.ifindex, link.mtu, skipped), (7, None, 1));
            /// ```
            #[inline]
            pub fn decode_counted(msg: &NlMsg<'_>, skipped: &mut u32) -> wire::Result<Option<(Action, Object)>> {
                let t = msg.kind();
                let mut found = None;
                $(
                    let [new, del] = <$ty as Kind>::MESSAGES;
                    let answer = <$ty as Kind>::DUMP_ANSWER;
                    if found.is_none() && (t == new || t == del || t == answer) && <$ty as Kind>::claims(msg) {
                        let action = if t == del { Action::Del } else { Action::New };
                        found = Some((action, Object::$variant(<$ty>::default())));
                    }
                )*
                match &mut found {
                    $(Some((_, Object::$variant(into))) => <$ty as Kind>::decode(msg, into, skipped)?,)*
                    None => {}
                }
                Ok(found)
            }

            /// Decodes every object of one netlink message, handing each to
            /// `each` with its action, and adds the number of malformed
            /// attributes skipped to `skipped`. Most messages carry one object
            /// (then this is [`Object::decode_counted`]); an MDB dump answer
            /// carries every group of a bridge. Returns whether the message was
            /// of a kind nlwatch reports (it may still hold no object).
            ///
            /// ```
            /// use nlwatch::wire::NlMsg;
            /// use nlwatch::Object;
            /// // RTM_NEWMDB for bridge 2, with an empty MDBA_MDB.
            /// let mut b = vec![0u8; 16 + 8 + 4];
            /// b[0] = b.len() as u8; b[4] = 84;               // nlmsg_len, RTM_NEWMDB
            /// b[16] = 7; b[16 + 4] = 2;                      // AF_BRIDGE, ifindex 2
            /// b[24..28].copy_from_slice(&[4, 0, 1, 0]);      // MDBA_MDB, empty
            /// let mut objects = Vec::new();
            /// let known = Object::decode_each(&NlMsg::new_checked(&b).unwrap(), &mut 0, |_, o| {
            ///     objects.push(o)
            /// });
            /// assert_eq!((known, objects.len()), (Ok(true), 0));
            /// ```
            #[inline]
            pub fn decode_each(
                msg: &NlMsg<'_>,
                skipped: &mut u32,
                mut each: impl FnMut(Action, Object),
            ) -> wire::Result<bool> {
                let t = msg.kind();
                $(
                    let [new, del] = <$ty as Kind>::MESSAGES;
                    let answer = <$ty as Kind>::DUMP_ANSWER;
                    if (t == new || t == del || t == answer) && <$ty as Kind>::claims(msg) {
                        let action = if t == del { Action::Del } else { Action::New };
                        if <$ty as Kind>::MANY {
                            <$ty as Kind>::decode_each(msg, skipped, &mut |o| {
                                each(action, Object::$variant(o))
                            })?;
                        } else {
                            // Filled in place, as `decode_counted` does.
                            let mut object = Object::$variant(<$ty>::default());
                            if let Object::$variant(into) = &mut object {
                                <$ty as Kind>::decode(msg, into, skipped)?;
                            }
                            each(action, object);
                        }
                        return Ok(true);
                    }
                )*
                Ok(false)
            }

            /// The kind of this object.
            pub fn kind(&self) -> ObjectKind {
                match self {
                    $(Object::$variant(_) => ObjectKind::$variant,)*
                }
            }

            /// The interface the object belongs to: a link's own index, an
            /// address's or neighbour's interface, a route's output interface (or
            /// its first next hop's).
            pub fn ifindex(&self) -> Option<u32> {
                match self {
                    $(Object::$variant(o) => Kind::ifindex(o),)*
                }
            }

            /// The object's address family, when its kind has one (links do not).
            pub fn family(&self) -> Option<u8> {
                match self {
                    $(Object::$variant(o) => Kind::family(o),)*
                }
            }

            /// The object's routing table, when its kind has one (routes only).
            pub fn table(&self) -> Option<u32> {
                match self {
                    $(Object::$variant(o) => Kind::table(o),)*
                }
            }

            /// See [`Kind::fields`] and [`Kind::name_fields`].
            pub(crate) fn fields(&self, own: Option<&Name>, names: &dyn IfNames, f: &mut impl Fields) {
                match self {
                    $(Object::$variant(o) => {
                        o.fields(f);
                        o.name_fields(own, names, f);
                    })*
                }
            }

            /// See [`Kind::write_text`].
            pub(crate) fn write_text(&self, out: &mut dyn fmt::Write, names: &dyn IfNames) -> fmt::Result {
                match self {
                    $(Object::$variant(o) => o.write_text(out, names),)*
                }
            }

            /// See [`Kind::text_details`].
            pub(crate) fn text_details(&self, f: &mut impl Fields) {
                match self {
                    $(Object::$variant(o) => o.text_details(f),)*
                }
            }
        }
    };
}

for_each_kind!(define_object);

impl std::str::FromStr for ObjectKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        ObjectKind::from_name(s).ok_or_else(|| {
            format!(
                "unknown object {s:?}: expected {}",
                ObjectKind::list(" or ")
            )
        })
    }
}

impl ObjectKind {
    /// Where this kind stands in per-kind tables: 0 to [`ObjectKind::COUNT`] - 1.
    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// Every kind's name, joined by `, ` and `last` before the last one:
    /// `link, addr, ... or mdb`.
    pub(crate) fn list(last: &str) -> String {
        let names: Vec<&str> = ObjectKind::ALL.iter().map(|k| k.as_str()).collect();
        match names.split_last() {
            Some((tail, [])) => tail.to_string(),
            Some((tail, rest)) => format!("{}{last}{tail}", rest.join(", ")),
            None => String::new(),
        }
    }
}

/// What the netconf and MDB kinds print, for the output tests: (object, a
/// part of its JSON line, a part of its text line).
#[cfg(test)]
pub(crate) fn netconf_mdb_printed() -> Vec<(Object, &'static str, &'static str)> {
    let mut all = netconf::tests::printed();
    all.extend(mdb::tests::printed());
    all
}

/// A range of keys, as `BTreeMap::range` takes it.
pub(crate) type KeyRange<K> = (std::ops::Bound<K>, std::ops::Bound<K>);

/// The range of keys of the objects of link `ifindex`, for kinds whose key
/// leads with it: from its first key to the next link's first key.
pub(crate) fn link_keys<K: Kind>(ifindex: u32) -> Option<KeyRange<K::Key>> {
    use std::ops::Bound;
    let first = K::first_key_on_link(ifindex)?;
    let end = ifindex
        .checked_add(1)
        .and_then(K::first_key_on_link)
        .map_or(Bound::Unbounded, Bound::Excluded);
    Some((Bound::Included(first), end))
}

/// A link-layer address attribute.
fn hwaddr(a: &wire::Attr<'_>) -> wire::Result<HwAddr> {
    HwAddr::new(a.payload()).ok_or(wire::Error::BadAttribute {
        kind: a.kind(),
        len: a.payload().len(),
    })
}

/// Why an attribute was not taken (see [`walk`]).
pub(crate) enum AttrError {
    /// Malformed, but not part of the object's identity: skipped and counted.
    Skip,
    /// Part of the object's identity (its state-view key): without it the
    /// object would be filed under another key, so the message is an error.
    Fatal(wire::Error),
}

/// A malformed attribute is skipped unless marked with [`key`].
impl From<wire::Error> for AttrError {
    fn from(_: wire::Error) -> Self {
        AttrError::Skip
    }
}

/// Marks the decoding of an attribute the object's key is made of.
fn key<T>(r: wire::Result<T>) -> Result<T, AttrError> {
    r.map_err(AttrError::Fatal)
}

/// Walks a message's attributes, handing each to `each`. One whose payload does
/// not decode is skipped and counted in `skipped`, and the rest are still read:
/// a malformed attribute never hides its object (a name that is not what a
/// decoder expected must not hide an interface from the monitor). Only an
/// attribute of the object's identity ([`key`]) fails the message. A broken walk
/// (a length past the end of the message) fails it too: past that point nothing
/// is known, and an object missing what it had would replace it in the state
/// view. (Inside an attribute, a broken nested walk only skips that attribute.)
fn walk<'a>(
    attrs: wire::Attrs<'a>,
    skipped: &mut u32,
    mut each: impl FnMut(wire::Attr<'a>) -> Result<(), AttrError>,
) -> wire::Result<()> {
    for attr in attrs {
        match each(attr?) {
            Ok(()) => {}
            Err(AttrError::Skip) => *skipped += 1,
            Err(AttrError::Fatal(e)) => return Err(e),
        }
    }
    Ok(())
}

/// A name attribute (`NLA_STRING`), up to its first NUL, kept as raw bytes (the
/// kernel does not check names are UTF-8) and inline when short. Never fails.
fn name(a: &wire::Attr<'_>) -> Name {
    let p = a.payload();
    Name::new(&p[..p.iter().position(|&b| b == 0).unwrap_or(p.len())])
}

/// An address as a number: IPv4 in the low 32 bits, absent as 0 (see
/// [`IpBits`]).
fn ip_bits(ip: Option<IpAddr>) -> u128 {
    match ip {
        None => 0,
        Some(IpAddr::V4(v4)) => u32::from(v4).into(),
        Some(IpAddr::V6(v6)) => v6.into(),
    }
}

/// An address as it is kept in keys: the number [`ip_bits`] makes (absent as
/// 0), as two words, high first, so that it compares as that number. Keys hold
/// no family-less addresses (the family is part of every key), and the only
/// absent address the kernel sends is a default route's destination, which is
/// the zero address anyway.
///
/// Two `u64`s rather than a `u128`: a `u128` aligns its key to 16 bytes, which
/// made a route key 64 bytes for 56 of data and an address key 32 for 22
/// (measured: the state view holds a key per object and route keys again in
/// its indexes).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct IpBits([u64; 2]);

impl IpBits {
    /// The absent (or zero) address.
    pub(crate) const ZERO: IpBits = IpBits([0; 2]);

    pub(crate) fn of(ip: Option<IpAddr>) -> IpBits {
        let n = ip_bits(ip);
        IpBits([(n >> 64) as u64, n as u64])
    }
}
