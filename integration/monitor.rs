//! The library against the real kernel: make changes in a fresh namespace and
//! check that the decoded events name exactly what the kernel did, in order.

use crate::sandbox::{ifindex, ip, ip_json};
use crate::sandboxed_test;
use nlwatch::{Action, Event, Item, Monitor, Netns, Object, Subscription};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

/// Generous bound on waiting for the kernel; reaching it fails the test (it is a
/// hang guard, not a timing assertion).
pub(crate) const HANG_GUARD: Duration = Duration::from_secs(20);

/// Receives events until one matches `last`; returns all of them.
pub(crate) fn collect_until(sub: &Subscription, last: impl Fn(&Event) -> bool) -> Vec<Arc<Event>> {
    let mut got = Vec::new();
    loop {
        match sub.recv_timeout(HANG_GUARD) {
            Ok(Item::Event(ev)) => {
                let done = last(&ev);
                got.push(ev);
                if done {
                    return got;
                }
            }
            // Namespace arrivals and departures are checked where they matter.
            Ok(
                Item::NamespaceAdded { .. }
                | Item::NamespaceGone { .. }
                | Item::SyncDone { .. }
                | Item::ResyncDone { .. },
            ) => {}
            Ok(other) => panic!("unexpected control item {other:?}; events so far: {got:#?}"),
            Err(e) => panic!("no matching event ({e}); got {got:#?}"),
        }
    }
}

pub(crate) fn addr(s: &str) -> IpAddr {
    s.parse().unwrap()
}

type Check = (&'static str, Box<dyn Fn(&Event) -> bool>);

/// Asserts that the checks match events in this order (other events may sit in
/// between: the kernel also reports IPv6 link-local addresses, multicast routes...).
/// Returns the matched events.
fn assert_in_order(events: &[Arc<Event>], checks: &[Check]) -> Vec<Arc<Event>> {
    let mut matched = Vec::new();
    let mut it = events.iter();
    for (what, check) in checks {
        match it.by_ref().find(|ev| check(ev)) {
            Some(ev) => matched.push(ev.clone()),
            None => panic!(
                "expected, in order, {what}; not found after {:?}\nall events: {events:#?}",
                matched.last().map(|e: &Arc<Event>| e.seq)
            ),
        }
    }
    matched
}

fn count(events: &[Arc<Event>], pred: impl Fn(&Event) -> bool) -> usize {
    events.iter().filter(|e| pred(e)).count()
}

sandboxed_test! {
    /// veth pair lifecycle: create, up, IPv4 and IPv6 addresses and routes, a
    /// neighbour, deletions, link down, pair deleted.
    fn veth_lifecycle_is_reported_exactly_and_in_order() {
        let monitor = Monitor::builder().build().expect("monitor");
        let sub = monitor.subscribe();
        let handle = monitor.add_namespace(Netns::Current).expect("watch this namespace");
        match sub.recv_timeout(HANG_GUARD) {
            Ok(Item::NamespaceAdded { netns, .. }) => assert_eq!(&netns, handle.tag()),
            other => panic!("expected NamespaceAdded first, got {other:?}"),
        }

        ip("link add veth0 address 02:00:00:00:00:01 type veth peer name veth1 address 02:00:00:00:00:02");
        let (v0, v1) = (ifindex("veth0"), ifindex("veth1"));
        ip("link set veth0 up");
        ip("link set veth1 up");
        ip("addr add 10.0.0.1/24 broadcast 10.0.0.255 dev veth0");
        ip("addr add 2001:db8::1/64 dev veth0 nodad");
        ip("route add 10.1.0.0/24 via 10.0.0.2 dev veth0 table 100 proto static metric 50");
        ip("-6 route add 2001:db8:1::/64 via 2001:db8::2 dev veth0 metric 1024");
        ip("neigh add 10.0.0.2 lladdr 02:00:00:00:00:02 dev veth0 nud permanent");
        // What the kernel says it holds, to compare the events with.
        let routes = ip_json("route show table 100");
        assert_eq!(routes[0]["dst"], "10.1.0.0/24");
        assert_eq!(routes[0]["gateway"], "10.0.0.2");
        ip("route del 10.1.0.0/24 table 100");
        ip("-6 route del 2001:db8:1::/64");
        ip("addr del 2001:db8::1/64 dev veth0");
        ip("addr del 10.0.0.1/24 dev veth0");
        ip("link set veth0 down");
        ip("link del veth0");

        // Deleting veth0 takes its peer with it; veth1's RTM_DELLINK comes last.
        let events = collect_until(&sub, |ev| {
            ev.action == Action::Del
                && matches!(&ev.object, Object::Link(l) if l.ifindex == v1)
        });

        // Every event is tagged with the namespace and numbered without gaps.
        for (i, ev) in events.iter().enumerate() {
            assert_eq!(&*ev.netns.name, "");
            assert_eq!(ev.seq, i as u64 + 1);
        }
        let ns = monitor.namespaces();
        assert_eq!(ns.len(), 1);
        assert_eq!(ev_id(&events), ns[0].netns.id);
        assert_eq!(ns[0].counters.decode_errors, 0);
        assert_eq!(ns[0].counters.foreign_dropped, 0);

        let is_link = |idx: u32, action: Action, f: fn(&nlwatch::objects::Link) -> bool| {
            move |ev: &Event| {
                ev.action == action && matches!(&ev.object, Object::Link(l) if l.ifindex == idx && f(l))
            }
        };
        let checks: Vec<Check> = vec![
            ("new link veth0, kind veth, MAC, peer veth1", Box::new(is_link(v0, Action::New, |l| {
                l.ifname.as_ref().and_then(|n| n.to_str()) == Some("veth0")
                    && l.kind.as_ref().and_then(|n| n.to_str()) == Some("veth")
                    && l.address.map(|a| a.to_string()).as_deref() == Some("02:00:00:00:00:01")
                    && l.mtu == Some(1500)
                    && l.flags & 1 == 0
            }))),
            ("veth0 up", Box::new(is_link(v0, Action::New, |l| l.flags & 1 == 1))),
            ("new addr 10.0.0.1/24", Box::new(move |ev: &Event| ev.action == Action::New && matches!(&ev.object,
                Object::Address(a) if a.ifindex == v0 && a.family == 2 && a.prefix_len == 24
                    && a.local == Some(addr("10.0.0.1")) && a.broadcast == Some(addr("10.0.0.255"))
                    && a.label.as_ref().and_then(|n| n.to_str()) == Some("veth0")))),
            ("new route 10.1.0.0/24 via 10.0.0.2 table 100", Box::new(move |ev: &Event| ev.action == Action::New && matches!(&ev.object,
                Object::Route(r) if r.dst == Some(addr("10.1.0.0")) && r.dst_len == 24
                    && r.gateway == Some(addr("10.0.0.2")) && r.table == 100 && r.oif == Some(v0)
                    && r.protocol == 4 && r.priority == Some(50)))),
            ("new route 2001:db8:1::/64 via 2001:db8::2 table main", Box::new(move |ev: &Event| ev.action == Action::New && matches!(&ev.object,
                Object::Route(r) if r.dst == Some(addr("2001:db8:1::")) && r.dst_len == 64
                    && r.gateway == Some(addr("2001:db8::2")) && r.table == 254 && r.oif == Some(v0)
                    && r.priority == Some(1024)))),
            ("new neigh 10.0.0.2 lladdr 02:00:00:00:00:02 PERMANENT", Box::new(move |ev: &Event| ev.action == Action::New && matches!(&ev.object,
                Object::Neighbour(n) if n.ifindex == v0 && n.dst == Some(addr("10.0.0.2"))
                    && n.lladdr.map(|a| a.to_string()).as_deref() == Some("02:00:00:00:00:02")
                    && n.state == 0x80))),
            ("del route 10.1.0.0/24 table 100", Box::new(move |ev: &Event| ev.action == Action::Del && matches!(&ev.object,
                Object::Route(r) if r.dst == Some(addr("10.1.0.0")) && r.table == 100))),
            ("del route 2001:db8:1::/64", Box::new(move |ev: &Event| ev.action == Action::Del && matches!(&ev.object,
                Object::Route(r) if r.dst == Some(addr("2001:db8:1::")) && r.dst_len == 64))),
            ("del addr 2001:db8::1/64", Box::new(move |ev: &Event| ev.action == Action::Del && matches!(&ev.object,
                Object::Address(a) if a.primary() == Some(addr("2001:db8::1"))))),
            ("del addr 10.0.0.1/24", Box::new(move |ev: &Event| ev.action == Action::Del && matches!(&ev.object,
                Object::Address(a) if a.local == Some(addr("10.0.0.1")) && a.prefix_len == 24))),
            ("veth0 down", Box::new(is_link(v0, Action::New, |l| l.flags & 1 == 0))),
            ("del link veth0", Box::new(is_link(v0, Action::Del, |l| {
                l.ifname.as_ref().and_then(|n| n.to_str()) == Some("veth0") && l.kind.as_ref().and_then(|n| n.to_str()) == Some("veth")
            }))),
        ];
        assert_in_order(&events, &checks);
        // The kernel announces an IPv6 address from a work queue (DAD, even with
        // `nodad`): after `ip addr add` has returned, and so possibly after the
        // changes of the next commands (seen here under load). Only its own
        // order is certain: added, then deleted.
        let v6 = |action: Action| {
            events.iter().position(|ev| ev.action == action && matches!(&ev.object,
                Object::Address(a) if a.ifindex == v0 && a.family == 10 && a.prefix_len == 64
                    && a.primary() == Some(addr("2001:db8::1"))))
        };
        let (added, deleted) = (v6(Action::New), v6(Action::Del));
        assert!(added.is_some() && added < deleted, "2001:db8::1 added then deleted: {events:#?}");

        // Exactly one announcement of each configured object, no duplicates.
        assert_eq!(count(&events, |ev| ev.action == Action::New && matches!(&ev.object,
            Object::Address(a) if a.local == Some(addr("10.0.0.1")))), 1);
        assert_eq!(count(&events, |ev| matches!(&ev.object,
            Object::Route(r) if r.table == 100)), 2);
        assert_eq!(count(&events, |ev| ev.action == Action::Del && matches!(&ev.object,
            Object::Link(_))), 2, "both ends of the pair are deleted");
        // veth1 was announced too, with veth0 as its peer once both exist.
        assert!(events.iter().any(|ev| matches!(&ev.object,
            Object::Link(l) if l.ifindex == v1 && l.link == Some(v0))));
        monitor.shutdown();
        // After shutdown the subscription drains and ends, the namespace announced gone.
        let rest: Vec<Item> = sub.into_iter().collect();
        assert!(matches!(
            rest.last(),
            Some(Item::NamespaceGone { netns, reason: nlwatch::GoneReason::Shutdown, .. }) if netns == handle.tag()
        ));
        assert!(rest[..rest.len() - 1].iter().all(|i| matches!(i, Item::Event(_))));
    }
}

fn ev_id(events: &[Arc<Event>]) -> u64 {
    events[0].netns.id
}

sandboxed_test! {
    /// `subscribe_with` delivers only what the filter names: here the events of one
    /// interface, by name, while an unfiltered subscriber sees the rest too.
    fn filtered_subscription_sees_only_its_interface() {
        use nlwatch::{Filter, ObjectKind};
        let monitor = Monitor::builder().build().expect("monitor");
        let all = monitor.subscribe();
        let flt0 = monitor.subscribe_with(Filter::new().object(ObjectKind::Link).ifname("flt0"));
        assert_eq!(flt0.subscribed_filter(), &Filter::new().object(ObjectKind::Link).ifname("flt0"));
        monitor.add_namespace(Netns::Current).expect("watch this namespace");

        ip("link add flt0 type veth peer name flt1");
        ip("addr add 10.9.0.1/24 dev flt0");
        ip("link del flt0");
        // flt1's RTM_DELLINK is the last event of the sequence.
        let is_flt1_del = |ev: &Event| {
            ev.action == Action::Del
                && matches!(&ev.object, Object::Link(l) if l.ifname.as_ref().and_then(|n| n.to_str()) == Some("flt1"))
        };
        let everything = collect_until(&all, is_flt1_del);
        let flt0_del = |ev: &Event| {
            ev.action == Action::Del
                && matches!(&ev.object, Object::Link(l) if l.ifname.as_ref().and_then(|n| n.to_str()) == Some("flt0"))
        };
        let mine = collect_until(&flt0, flt0_del);
        // Exactly the link events of flt0 that the unfiltered subscriber saw, in order.
        let expected: Vec<u64> = everything
            .iter()
            .filter(|ev| {
                matches!(&ev.object, Object::Link(_)) && ev.ifname.as_ref().and_then(|n| n.to_str()) == Some("flt0")
            })
            .map(|ev| ev.seq)
            .collect();
        assert_eq!(mine.iter().map(|ev| ev.seq).collect::<Vec<_>>(), expected);
        assert!(expected.len() >= 2, "at least flt0's new and del: {everything:#?}");
        monitor.shutdown();
        let rest: Vec<Item> = flt0.into_iter().collect();
        assert!(
            rest.iter().all(|i| !matches!(i, Item::Event(_))),
            "no event after flt0's removal: {rest:#?}"
        );
    }
}

sandboxed_test! {
    /// A subscriber with `Overflow::Block` that never reads stalls the reader, but
    /// shutting the monitor down still returns: the bus stops waiting before the
    /// reader is joined, and the blocked publish gives up.
    fn block_subscriber_that_never_reads_does_not_hang_shutdown() {
        use nlwatch::{Filter, ObjectKind, Overflow};
        let monitor = Monitor::builder()
            .objects([ObjectKind::Link])
            .subscriber_capacity(2)
            .overflow(Overflow::Block)
            .build()
            .expect("monitor");
        let stuck = monitor.subscribe();
        // Subscribed after `stuck`, so offered each event after it: receiving the
        // first event here means `stuck` is full and the reader moves on to block.
        let probe = monitor.subscribe_with(Filter::new().object(ObjectKind::Link));
        assert_eq!(stuck.overflow(), Overflow::Block);
        monitor.add_namespace(Netns::Current).expect("watch this namespace");
        // The announcement and the end of the initial dump fill `stuck`'s two
        // places; `probe` gets them too.
        assert!(matches!(probe.recv_timeout(HANG_GUARD), Ok(Item::NamespaceAdded { .. })));
        assert!(matches!(probe.recv_timeout(HANG_GUARD), Ok(Item::SyncDone { .. })));
        // Two RTM_NEWLINK at least (both ends), then two RTM_DELLINK.
        ip("link add blk0 type veth peer name blk1");
        ip("link del blk0");
        // The reader counts an event just before publishing it: once it has, it is
        // blocked on `stuck`.
        let t = std::time::Instant::now();
        while monitor.namespaces()[0].counters.events_total() == 0 {
            assert!(t.elapsed() < HANG_GUARD, "the reader never saw an event");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }

        let (done_tx, done) = crossbeam_channel::bounded(1);
        std::thread::spawn(move || {
            monitor.shutdown();
            let _ = done_tx.send(());
        });
        done.recv_timeout(HANG_GUARD).expect("shutdown returned");
        // The two items that fitted are still there; then the subscription ends.
        let rest: Vec<Item> = stuck.into_iter().collect();
        assert_eq!(rest.len(), 2, "{rest:#?}");
        assert!(matches!(rest[0], Item::NamespaceAdded { .. }));
        assert!(matches!(rest[1], Item::SyncDone { .. }));
    }
}

sandboxed_test! {
    /// The batch window changes when events are read, never what is read: a
    /// monitor reading each message at once and one letting a burst gather for
    /// 300 ms report the same events in the same order.
    fn batching_changes_nothing_in_what_is_reported() {
        let watch = |window: Duration| {
            let monitor = Monitor::builder().batch_window(window).build().expect("monitor");
            let sub = monitor.subscribe();
            monitor.add_namespace(Netns::Current).expect("watch this namespace");
            loop {
                match sub.recv_timeout(HANG_GUARD) {
                    Ok(Item::SyncDone { .. }) => break,
                    Ok(_) => {}
                    Err(e) => panic!("no SyncDone: {e}"),
                }
            }
            (monitor, sub)
        };
        let (_at_once, sub_at_once) = watch(Duration::ZERO);
        let (_batched, sub_batched) = watch(Duration::from_millis(300));
        for i in 0..20 {
            ip(&format!("link add bw{i} type veth peer name bwp{i}"));
            ip(&format!("link set bw{i} up"));
            ip(&format!("addr add 10.9.{i}.1/24 dev bw{i}"));
            ip(&format!("addr add fd09:{i}::1/64 dev bw{i} nodad"));
        }
        ip("link add bwend type veth peer name bwendp");
        let last = ifindex("bwendp");
        let is_last = |ev: &Event| {
            ev.action == Action::New && matches!(&ev.object, Object::Link(l) if l.ifindex == last)
        };
        let what = |events: Vec<Arc<Event>>| -> Vec<(Action, nlwatch::Origin, Object)> {
            events
                .iter()
                .map(|ev| (ev.action, ev.origin, ev.object.clone()))
                .collect()
        };
        let at_once = what(collect_until(&sub_at_once, is_last));
        let batched = what(collect_until(&sub_batched, is_last));
        // 20 pairs: at least 2 links, 2 addresses and their routes each.
        assert!(at_once.len() > 20 * 6, "{} events", at_once.len());
        assert_eq!(at_once.len(), batched.len());
        for (i, (a, b)) in at_once.iter().zip(&batched).enumerate() {
            assert_eq!(a, b, "event {i} differs");
        }
    }
}

sandboxed_test! {
    /// A name is any bytes but NUL, `/`, `:` and white space: a link whose name is
    /// not UTF-8 (and its address's label) is reported live and kept in the
    /// snapshot with its exact bytes, and never confused with a name that only
    /// looks like its escaped form.
    fn names_that_are_not_utf8_do_not_hide_their_link() {
        use crate::sandbox::ip_raw;
        let odd: &[u8] = b"ev\xffil";
        let lookalike: &[u8] = br"ev\xffil";
        let monitor = Monitor::builder().build().expect("monitor");
        let sub = monitor.subscribe();
        let handle = monitor.add_namespace(Netns::Current).expect("watch this namespace");
        ip_raw(&[b"link", b"add", odd, b"type", b"veth", b"peer", b"name", lookalike]);
        ip_raw(&[b"addr", b"add", b"10.8.0.1/24", b"dev", odd, b"label", b"ev\xffil:\xfe"]);
        ip("link add marker0 type veth peer name marker1");
        let events = collect_until(&sub, |ev| {
            matches!(&ev.object, Object::Link(l) if l.ifname.as_ref().is_some_and(|n| n == "marker1"))
        });
        fn link_named(name: &'static [u8]) -> impl Fn(&Event) -> bool {
            move |ev: &Event| {
                matches!(&ev.object, Object::Link(l)
                    if ev.action == Action::New && l.ifname.as_ref().is_some_and(|n| n.as_bytes() == name))
            }
        }
        assert_eq!(count(&events, link_named(odd)), 1, "{events:#?}");
        assert_eq!(count(&events, link_named(lookalike)), 1, "{events:#?}");
        let label = events.iter().find_map(|ev| match &ev.object {
            Object::Address(a) if a.local == Some(addr("10.8.0.1")) => Some((a.label.clone(), ev.ifname.clone())),
            _ => None,
        });
        let (label, dev) = label.expect("the address event");
        assert_eq!(label.unwrap().as_bytes(), b"ev\xffil:\xfe");
        assert_eq!(dev.unwrap().as_bytes(), odd);

        let snap = monitor.snapshot(handle.tag()).expect("snapshot");
        let names: Vec<&[u8]> = snap.links.iter().filter_map(|l| l.ifname.as_ref()).map(|n| n.as_bytes()).collect();
        assert!(names.contains(&odd) && names.contains(&lookalike), "{names:?}");
        let stats = &monitor.namespaces()[0];
        assert_eq!((stats.counters.decode_errors, stats.counters.attributes_skipped), (0, 0));
        monitor.shutdown();
    }
}

sandboxed_test! {
    /// A monitor asked for addresses only publishes addresses (the links its
    /// initial dump reads to name them are not announced), and still follows
    /// the links: an address added after a rename is named by the new name.
    fn only_the_kinds_asked_for_are_published_and_links_are_still_followed() {
        use nlwatch::ObjectKind;
        ip("link add ren0 type veth peer name ren1");
        let monitor = Monitor::builder()
            .objects([ObjectKind::Address])
            .list_existing(true)
            .build()
            .unwrap();
        let sub = monitor.subscribe();
        monitor.add_namespace(Netns::Current).unwrap();
        ip("link set ren0 name renamed0");
        ip("addr add 10.7.0.1/24 dev renamed0");
        let events = collect_until(&sub, |ev| {
            matches!(&ev.object, Object::Address(a) if a.local == Some(addr("10.7.0.1")))
        });
        let kinds: Vec<ObjectKind> = events.iter().map(|e| e.object.kind()).collect();
        assert!(kinds.iter().all(|k| *k == ObjectKind::Address), "{events:#?}");
        let last = events.last().unwrap();
        assert_eq!(last.ifname.as_ref().unwrap(), "renamed0");
        monitor.shutdown();
    }
}
