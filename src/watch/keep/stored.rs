//! How the state view stores each kind of object ([`Store`]): most kinds as
//! the object itself, routes as a [`RouteRecord`], a compact record that reads
//! back as exactly the [`Route`] it was made from.
//!
//! Why routes differ: they are most of what a view holds (tens of thousands in
//! one namespace), and `Route` spends 216 bytes on every route, over half of
//! them on what nearly no route has: three `Vec`s (MPLS labels twice,
//! multipath next hops, 72 bytes), a source selector, an `RTA_VIA` gateway,
//! an input interface and an MTU. A record keeps the fields nearly every
//! route has inline (88 bytes) and the rest in one boxed side record, present
//! only when one of them is.
//!
//! This module never changes a value: every field of every object stored
//! reads back as it was (the tests check each of a route's fields), and
//! "the same state" means what [`Kind::same_state`] says. It holds no index
//! and no state of its own.

// Every kind's type, by the registry's names (see `stored_forms`).
use crate::object::kinds::*;
use crate::object::LinkDetails;
use crate::object::{for_each_kind, Kind};
use std::cell::RefCell;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

/// How the state view keeps objects of a kind: what its map holds per object
/// ([`Store::Stored`]), and the way back. Reading back gives exactly the
/// object stored.
pub(crate) trait Store: Kind {
    /// What the view's map holds for one object.
    type Stored: fmt::Debug;

    /// The record kept for `self`.
    fn store(&self) -> Self::Stored;

    /// The object `stored` was made from.
    fn load(stored: &Self::Stored) -> Self;

    /// [`Store::load`], taking the record (what it owns moves, nothing is
    /// copied).
    fn unstore(stored: Self::Stored) -> Self;

    /// Whether `stored` holds the same state as `obj`, as [`Kind::same_state`]
    /// judges it.
    fn holds_same(stored: &Self::Stored, obj: &Self) -> bool;

    /// [`Kind::complete`] from a kept record.
    fn complete_from(obj: &mut Self, kept: &Self::Stored);

    /// Puts `obj` in `slot`, returning the object it held.
    fn replace(slot: &mut Self::Stored, obj: &Self) -> Self {
        Self::unstore(std::mem::replace(slot, obj.store()))
    }
}

/// Kinds kept as they are: few of them per namespace, or (links) not ours to
/// reshape here. Every kind of the registry is, but those with a record of
/// their own (routes: [`RouteRecord`]), so a new kind needs nothing here.
/// Links are kept as they are but for their details, shared ([`Kept`]).
macro_rules! stored_as_it_is {
    (Route) => {};
    (Link) => {
        stored_as_it_is!(@store Link);
    };
    ($ty:ident) => {
        impl Kept for $ty {}
        stored_as_it_is!(@store $ty);
    };
    (@store $ty:ident) => {
        impl Store for $ty {
            type Stored = $ty;

            fn store(&self) -> $ty {
                self.kept()
            }

            fn load(stored: &$ty) -> $ty {
                stored.clone()
            }

            fn unstore(stored: $ty) -> $ty {
                stored
            }

            fn holds_same(stored: &$ty, obj: &$ty) -> bool {
                stored.same_state(obj)
            }

            fn complete_from(obj: &mut $ty, kept: &$ty) {
                obj.complete(kept);
            }
        }
    };
}

/// The copy a kind kept as it is puts in the view: a clone, but for links.
trait Kept: Clone {
    fn kept(&self) -> Self {
        self.clone()
    }
}

/// A link's details are shared by links made alike: the state view keeps one
/// copy of each different [`LinkDetails`] (at 20,000 veth links, 2.1 MiB of
/// 30 at the peak were their copies). The copies are interned per thread (a
/// namespace's view is kept by one reader thread); details no kept link uses
/// any more are let go when the interner has grown to twice what was in use
/// at its last sweep.
impl Kept for Link {
    fn kept(&self) -> Link {
        let mut link = self.clone();
        if let Some(details) = &mut link.details {
            *details = intern(details);
        }
        link
    }
}

/// The shared copy of `details` (see [`Kept for Link`](Link)).
fn intern(details: &Arc<LinkDetails>) -> Arc<LinkDetails> {
    /// The details in use, and how many there were at the last sweep.
    struct Interner {
        set: foldhash::HashSet<Arc<LinkDetails>>,
        live: usize,
    }
    thread_local! {
        static INTERNER: RefCell<Interner> = RefCell::new(Interner {
            set: Default::default(),
            live: 0,
        });
    }
    INTERNER.with(|cell| {
        let mut interner = cell.borrow_mut();
        if let Some(shared) = interner.set.get(details) {
            return shared.clone();
        }
        if interner.set.len() >= 2 * interner.live + 64 {
            // Only the interner holds them: no kept link uses them.
            interner.set.retain(|d| Arc::strong_count(d) > 1);
            interner.live = interner.set.len();
        }
        interner.set.insert(details.clone());
        details.clone()
    })
}

macro_rules! stored_forms {
    ($($variant:ident($module:ident::$ty:ident) $field:ident $name:literal [$($alias:literal),*] $doc:literal;)*) => {
        $(stored_as_it_is!($ty);)*
    };
}
for_each_kind!(stored_forms);

/// Bits of [`RouteHead::has`]: which optional fields are present, and which
/// addresses are IPv6 (an IPv4 address takes the first 4 of its 16 bytes).
mod has {
    pub(in crate::watch) const DST: u16 = 1 << 0;
    pub(in crate::watch) const DST_V6: u16 = 1 << 1;
    pub(in crate::watch) const GATEWAY: u16 = 1 << 2;
    pub(in crate::watch) const GATEWAY_V6: u16 = 1 << 3;
    pub(in crate::watch) const PREFSRC: u16 = 1 << 4;
    pub(in crate::watch) const PREFSRC_V6: u16 = 1 << 5;
    pub(in crate::watch) const PRIORITY: u16 = 1 << 6;
    pub(in crate::watch) const OIF: u16 = 1 << 7;
    pub(in crate::watch) const NH_ID: u16 = 1 << 8;
    pub(in crate::watch) const PREF: u16 = 1 << 9;
}

/// An optional address as 16 bytes and two bits of [`RouteHead::has`]
/// (`Option<IpAddr>` is 17 bytes, aligned to 1 inside a struct but
/// rounding its neighbours up).
fn put_ip(ip: Option<IpAddr>, present: u16, v6: u16, has: &mut u16) -> [u8; 16] {
    match ip {
        None => [0; 16],
        Some(IpAddr::V4(a)) => {
            *has |= present;
            let mut b = [0; 16];
            b[..4].copy_from_slice(&a.octets());
            b
        }
        Some(IpAddr::V6(a)) => {
            *has |= present | v6;
            a.octets()
        }
    }
}

/// The address [`put_ip`] stored.
fn get_ip(b: &[u8; 16], has: u16, present: u16, v6: u16) -> Option<IpAddr> {
    if has & present == 0 {
        None
    } else if has & v6 != 0 {
        Some(IpAddr::V6(Ipv6Addr::from(*b)))
    } else {
        Some(IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3])))
    }
}

/// An optional number as itself (0 when absent) and a bit of
/// [`RouteHead::has`].
fn put_num<T: Copy + Default>(n: Option<T>, bit: u16, has: &mut u16) -> T {
    match n {
        Some(n) => {
            *has |= bit;
            n
        }
        None => T::default(),
    }
}

/// The number [`put_num`] stored.
fn get_num<T: Copy>(n: T, has: u16, bit: u16) -> Option<T> {
    (has & bit != 0).then_some(n)
}

/// What a [`RouteRecord`] holds inline: the fields nearly every route has
/// (IPv4 and IPv6 routes from the kernel's dumps and notifications: IPv6
/// routes carry `RTA_PREF`, routes made by routing daemons `RTA_NH_ID`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct RouteHead {
    dst: [u8; 16],
    gateway: [u8; 16],
    prefsrc: [u8; 16],
    table: u32,
    flags: u32,
    priority: u32,
    oif: u32,
    nh_id: u32,
    family: u8,
    dst_len: u8,
    src_len: u8,
    protocol: u8,
    scope: u8,
    route_type: u8,
    tos: u8,
    pref: u8,
    /// Which optional fields are present (see [`has`]).
    has: u16,
}

impl RouteHead {
    /// The inline part of `r`.
    fn of(r: &Route) -> RouteHead {
        // Every field named, so that a field added to `Route` fails to build
        // here until it is stored.
        let Route {
            family,
            dst,
            dst_labels: _,
            newdst: _,
            dst_len,
            src: _,
            src_len,
            gateway,
            via: _,
            prefsrc,
            oif,
            iif: _,
            table,
            protocol,
            scope,
            route_type,
            tos,
            flags,
            priority,
            metrics: _,
            encap: _,
            pref,
            nh_id,
            nexthops: _,
        } = r;
        let mut h = 0;
        RouteHead {
            dst: put_ip(*dst, has::DST, has::DST_V6, &mut h),
            gateway: put_ip(*gateway, has::GATEWAY, has::GATEWAY_V6, &mut h),
            prefsrc: put_ip(*prefsrc, has::PREFSRC, has::PREFSRC_V6, &mut h),
            table: *table,
            flags: *flags,
            priority: put_num(*priority, has::PRIORITY, &mut h),
            oif: put_num(*oif, has::OIF, &mut h),
            nh_id: put_num(*nh_id, has::NH_ID, &mut h),
            family: *family,
            dst_len: *dst_len,
            src_len: *src_len,
            protocol: *protocol,
            scope: *scope,
            route_type: *route_type,
            tos: *tos,
            pref: put_num(*pref, has::PREF, &mut h),
            has: h,
        }
    }
}

/// What nearly no route has, boxed beside its [`RouteHead`] when it has any
/// of it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct RouteRest {
    src: Option<IpAddr>,
    via: Option<IpAddr>,
    iif: Option<u32>,
    metrics: Option<Box<RouteMetrics>>,
    encap: Option<Box<NexthopEncap>>,
    dst_labels: Vec<MplsLabel>,
    newdst: Vec<MplsLabel>,
    nexthops: Vec<RouteHop>,
}

impl RouteRest {
    /// Whether `r` has any of what a [`RouteRest`] holds.
    fn needed(r: &Route) -> bool {
        r.src.is_some()
            || r.via.is_some()
            || r.iif.is_some()
            || r.metrics.is_some()
            || r.encap.is_some()
            || !r.dst_labels.is_empty()
            || !r.newdst.is_empty()
            || !r.nexthops.is_empty()
    }

    /// `r`'s rest, or `None` when it has none (so that a record's rest is
    /// present exactly when it is needed).
    fn of(r: &Route) -> Option<Box<RouteRest>> {
        RouteRest::needed(r).then(|| {
            Box::new(RouteRest {
                src: r.src,
                via: r.via,
                iif: r.iif,
                metrics: r.metrics.clone(),
                encap: r.encap.clone(),
                dst_labels: r.dst_labels.clone(),
                newdst: r.newdst.clone(),
                nexthops: r.nexthops.clone(),
            })
        })
    }

    /// Whether `rest` (a record's) is `r`'s rest, without making one.
    fn matches(rest: Option<&RouteRest>, r: &Route) -> bool {
        match rest {
            None => !RouteRest::needed(r),
            Some(x) => {
                x.src == r.src
                    && x.via == r.via
                    && x.iif == r.iif
                    && x.metrics == r.metrics
                    && x.encap == r.encap
                    && x.dst_labels == r.dst_labels
                    && x.newdst == r.newdst
                    && x.nexthops == r.nexthops
            }
        }
    }
}

/// A route as the state view stores it: 88 bytes inline against `Route`'s
/// 216, and a side record for what nearly no route has (see the module docs).
/// [`Store::load`] gives back the `Route` it was made from, field for field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RouteRecord {
    head: RouteHead,
    /// Present exactly when the route has any of [`RouteRest`]'s fields.
    rest: Option<Box<RouteRest>>,
}

impl RouteRecord {
    /// `rtm_family`.
    pub(crate) fn family(&self) -> u8 {
        self.head.family
    }

    /// `rtm_type`.
    pub(crate) fn route_type(&self) -> u8 {
        self.head.route_type
    }

    /// The table id.
    pub(crate) fn table(&self) -> u32 {
        self.head.table
    }

    /// `RTA_OIF`.
    pub(crate) fn oif(&self) -> Option<u32> {
        get_num(self.head.oif, self.head.has, has::OIF)
    }

    /// `RTA_NH_ID`.
    pub(crate) fn nh_id(&self) -> Option<u32> {
        get_num(self.head.nh_id, self.head.has, has::NH_ID)
    }

    /// The `RTA_MULTIPATH` next hops (empty for a single-path route).
    pub(crate) fn nexthops(&self) -> &[RouteHop] {
        self.rest.as_deref().map_or(&[], |r| &r.nexthops)
    }

    /// The route, with the side record's parts given by `rest`.
    fn route(&self, rest: RouteRest) -> Route {
        let h = &self.head;
        let RouteRest {
            src,
            via,
            iif,
            metrics,
            encap,
            dst_labels,
            newdst,
            nexthops,
        } = rest;
        Route {
            family: h.family,
            dst: get_ip(&h.dst, h.has, has::DST, has::DST_V6),
            dst_labels,
            newdst,
            dst_len: h.dst_len,
            src,
            src_len: h.src_len,
            gateway: get_ip(&h.gateway, h.has, has::GATEWAY, has::GATEWAY_V6),
            via,
            prefsrc: get_ip(&h.prefsrc, h.has, has::PREFSRC, has::PREFSRC_V6),
            oif: self.oif(),
            iif,
            table: h.table,
            protocol: h.protocol,
            scope: h.scope,
            route_type: h.route_type,
            tos: h.tos,
            flags: h.flags,
            priority: get_num(h.priority, h.has, has::PRIORITY),
            metrics,
            encap,
            pref: get_num(h.pref, h.has, has::PREF),
            nh_id: self.nh_id(),
            nexthops,
        }
    }
}

impl Store for Route {
    type Stored = RouteRecord;

    fn store(&self) -> RouteRecord {
        RouteRecord {
            head: RouteHead::of(self),
            rest: RouteRest::of(self),
        }
    }

    fn load(stored: &RouteRecord) -> Route {
        stored.route(stored.rest.as_deref().cloned().unwrap_or_default())
    }

    fn unstore(mut stored: RouteRecord) -> Route {
        let rest = stored.rest.take().map(|r| *r).unwrap_or_default();
        stored.route(rest)
    }

    /// Field for field, as `Route`'s `same_state` (its `==`) compares, and
    /// without making a `Route`.
    fn holds_same(stored: &RouteRecord, obj: &Route) -> bool {
        stored.head == RouteHead::of(obj) && RouteRest::matches(stored.rest.as_deref(), obj)
    }

    /// Nothing: a route notification carries the whole route (`Route` keeps
    /// [`Kind::complete`]'s default, which the test
    /// `a_route_needs_no_completing` holds to), and rebuilding the kept
    /// route only to complete from it would cost every replaced route a
    /// `Route` and its vectors.
    fn complete_from(_obj: &mut Route, _kept: &RouteRecord) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::consts::{AF_INET, AF_INET6, AF_MPLS};

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    /// Links whose details are alike share one copy in the view, links whose
    /// details differ do not, and a link reads back with its own details.
    #[test]
    fn alike_links_share_their_details() {
        let with_mtu = |ifindex: u32, max_mtu: u32| {
            let mut d = LinkDetails::default();
            d.set(Detail::MaxMtu, max_mtu);
            Link {
                ifindex,
                details: Some(Arc::new(d)),
                ..Link::default()
            }
        };
        let (a, b, c) = (
            with_mtu(1, 1500).store(),
            with_mtu(2, 1500).store(),
            with_mtu(3, 9000).store(),
        );
        let details = |l: &Link| l.details.clone().unwrap();
        assert!(Arc::ptr_eq(&details(&a), &details(&b)));
        assert!(!Arc::ptr_eq(&details(&a), &details(&c)));
        assert_eq!(Link::load(&c), with_mtu(3, 9000));
        assert_eq!(details(&c).get(Detail::MaxMtu), Some(9000));
    }

    /// A route with every field set to something other than its default.
    fn full() -> Route {
        let label = MplsLabel {
            label: 300,
            tc: 5,
            bos: true,
            ttl: 64,
        };
        Route {
            family: AF_INET6,
            dst: ip("2001:db8:1::"),
            dst_labels: vec![label],
            newdst: vec![
                MplsLabel {
                    bos: false,
                    ..label
                },
                label,
            ],
            dst_len: 48,
            src: ip("2001:db8:2::"),
            src_len: 56,
            gateway: ip("fe80::1"),
            via: ip("192.0.2.9"),
            prefsrc: ip("2001:db8::7"),
            oif: Some(3),
            iif: Some(4),
            table: 1000,
            protocol: 186,
            scope: 253,
            route_type: 7,
            tos: 0x10,
            flags: 0x8000_0201,
            priority: Some(1024),
            metrics: Some(Box::new(RouteMetrics {
                lock: 1 << 2,
                values: vec![(2, 1400), (8, 1300)],
                congctl: Some("cubic".into()),
            })),
            encap: Some(Box::new(NexthopEncap {
                encap_type: 2,
                id: Some(7),
                dst: ip("192.0.2.1"),
                ..NexthopEncap::default()
            })),
            pref: Some(3),
            nh_id: Some(77),
            nexthops: vec![
                RouteHop {
                    ifindex: 5,
                    gateway: ip("10.0.0.1"),
                    via: ip("2001:db8::9"),
                    newdst: vec![label],
                    weight: 3,
                    flags: 4,
                    encap: Some(Box::new(NexthopEncap {
                        encap_type: 1,
                        labels: vec![label],
                        ..NexthopEncap::default()
                    })),
                    own_metrics: None,
                },
                RouteHop {
                    ifindex: 6,
                    ..RouteHop::default()
                },
            ],
        }
    }

    /// Routes that differ from `full()` in one field each, and a few more:
    /// each optional field absent and present as zero, IPv4 and IPv6
    /// addresses in either family's route, MPLS.
    fn variants() -> Vec<Route> {
        let f = full();
        let plain4 = Route {
            family: AF_INET,
            dst: ip("10.1.0.0"),
            dst_len: 24,
            table: 254,
            oif: Some(2),
            prefsrc: ip("10.1.0.1"),
            ..Route::default()
        };
        vec![
            Route::default(),
            plain4.clone(),
            Route {
                dst: ip("0.0.0.0"),
                dst_len: 0,
                ..plain4.clone()
            },
            Route {
                dst: None,
                dst_len: 0,
                ..plain4.clone()
            },
            Route {
                dst: ip("::"),
                ..plain4.clone()
            },
            Route {
                priority: Some(0),
                oif: Some(0),
                nh_id: Some(0),
                pref: Some(0),
                metrics: Some(Box::default()),
                encap: Some(Box::default()),
                iif: Some(0),
                ..plain4.clone()
            },
            Route {
                gateway: ip("0.0.0.0"),
                prefsrc: ip("::"),
                ..plain4.clone()
            },
            Route {
                family: AF_MPLS,
                dst_labels: f.dst_labels.clone(),
                ..Route::default()
            },
            Route {
                family: AF_INET,
                ..f.clone()
            },
            Route {
                dst: None,
                ..f.clone()
            },
            Route {
                dst: ip("10.0.0.0"),
                ..f.clone()
            },
            Route {
                dst_labels: vec![],
                ..f.clone()
            },
            Route {
                newdst: vec![],
                ..f.clone()
            },
            Route {
                dst_len: 0,
                ..f.clone()
            },
            Route {
                src: None,
                ..f.clone()
            },
            Route {
                src: ip("10.0.0.2"),
                ..f.clone()
            },
            Route {
                src_len: 0,
                ..f.clone()
            },
            Route {
                gateway: None,
                ..f.clone()
            },
            Route {
                gateway: ip("10.0.0.3"),
                ..f.clone()
            },
            Route {
                via: None,
                ..f.clone()
            },
            Route {
                prefsrc: None,
                ..f.clone()
            },
            Route {
                prefsrc: ip("10.0.0.4"),
                ..f.clone()
            },
            Route {
                oif: None,
                ..f.clone()
            },
            Route {
                iif: None,
                ..f.clone()
            },
            Route {
                table: 254,
                ..f.clone()
            },
            Route {
                protocol: 2,
                ..f.clone()
            },
            Route {
                scope: 0,
                ..f.clone()
            },
            Route {
                route_type: 1,
                ..f.clone()
            },
            Route {
                tos: 0,
                ..f.clone()
            },
            Route {
                flags: 0,
                ..f.clone()
            },
            Route {
                priority: None,
                ..f.clone()
            },
            Route {
                metrics: None,
                encap: None,
                ..f.clone()
            },
            Route {
                pref: None,
                ..f.clone()
            },
            Route {
                nh_id: None,
                ..f.clone()
            },
            Route {
                nexthops: vec![],
                ..f.clone()
            },
            Route {
                nexthops: f.nexthops[..1].to_vec(),
                ..f.clone()
            },
            f,
        ]
    }

    /// The record is at most 96 bytes (`Route` is 216), and its map entry
    /// with the key at most 152.
    #[test]
    fn a_route_record_is_small() {
        assert!(std::mem::size_of::<RouteRecord>() <= 96);
        assert!(
            std::mem::size_of::<(<Route as Kind>::Key, RouteRecord)>() <= 152,
            "{}",
            std::mem::size_of::<(<Route as Kind>::Key, RouteRecord)>()
        );
    }

    /// Every field of every route reads back as stored, by reference and by
    /// value; only routes with something of the rest carry a side record.
    #[test]
    fn a_route_needs_no_completing() {
        // `Store::complete_from` skips routes; were `Route` ever to complete
        // from its kept version, that would have to change with it.
        for kept in variants() {
            let mut r = Route::default();
            r.complete(&kept);
            assert_eq!(r, Route::default());
        }
    }

    #[test]
    fn every_field_of_a_route_round_trips() {
        for r in variants() {
            let s = r.store();
            assert_eq!(Route::load(&s), r);
            assert_eq!(s.rest.is_some(), RouteRest::needed(&r), "{r:?}");
            assert_eq!(Route::unstore(s.clone()), r);
            assert_eq!(s.family(), r.family);
            assert_eq!(s.route_type(), r.route_type);
            assert_eq!(s.table(), r.table);
            assert_eq!(s.oif(), r.oif);
            assert_eq!(s.nh_id(), r.nh_id);
            assert_eq!(s.nexthops(), &r.nexthops[..]);
        }
        // The plain IPv4 route of a link's address takes no side record.
        assert!(variants()[1].store().rest.is_none());
    }

    /// A record holds the same state as a route exactly when the route it was
    /// made from equals it (`Route`'s `same_state`); replacing gives the old
    /// route back.
    #[test]
    fn holds_same_is_route_equality() {
        let all = variants();
        for a in &all {
            let s = a.store();
            for b in &all {
                assert_eq!(Route::holds_same(&s, b), a == b, "{a:?} / {b:?}");
                assert_eq!(Route::holds_same(&s, b), a.same_state(b));
            }
        }
        let mut slot = all[1].store();
        assert_eq!(Route::replace(&mut slot, &all[2]), all[1]);
        assert_eq!(Route::load(&slot), all[2]);
    }
}
