//! `Monitor::wait_until` and `nlwatch wait` against the kernel: each condition
//! already true and becoming true, a timeout, duplicate address detection that
//! fails (two namespaces with the same IPv6 address on a veth pair), a
//! namespace deleted while waiting, and the CLI's exit statuses.

use crate::monitor::HANG_GUARD;
use crate::sandbox::{ifindex, ip};
use crate::sandboxed_test;
use nlwatch::{
    waiting::{AddrState, Condition, Dev, LinkState, NeverReason, Presence, WaitError},
    Monitor, Netns, NetnsTag, Object, ObjectKind,
};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_nlwatch");

/// Waits for `condition` on another thread while `change` is made (after the
/// waiter has had time to subscribe: either way the answer is the same, and
/// the wait must see it).
fn becomes(
    monitor: &Monitor,
    tag: &NetnsTag,
    condition: Condition,
    change: impl FnOnce(),
) -> Result<Option<Object>, WaitError> {
    std::thread::scope(|s| {
        let waiter = s.spawn(|| monitor.wait_until(tag, &condition, Some(HANG_GUARD)));
        std::thread::sleep(Duration::from_millis(100));
        change();
        waiter.join().unwrap()
    })
}

fn link(result: Result<Option<Object>, WaitError>) -> nlwatch::objects::Link {
    match result {
        Ok(Some(Object::Link(l))) => l,
        other => panic!("not a link: {other:?}"),
    }
}

const IFF_UP: u32 = 0x1;
const IFF_RUNNING: u32 = 0x40;
const IFA_F_TENTATIVE: u32 = 0x40;

sandboxed_test! {
    /// Links, addresses, routes, neighbours and a predicate: already true
    /// (returns at once, with the object) and becoming true (returns the
    /// object as the change shows it); gone; a timeout; a namespace or a kind
    /// that is not watched.
    fn each_condition_already_true_or_becoming_true() {
        let monitor = Monitor::builder().build().unwrap();
        let ns = monitor.add_namespace(Netns::Current).unwrap();
        let tag = ns.tag().clone();
        let now = |c: Condition| monitor.wait_until(&tag, &c, Some(Duration::ZERO));

        // The first wait may find the initial dump still running: give it time
        // (a partial view shows what is there, so it returns once lo is seen).
        let lo = link(monitor.wait_until(&tag, &Condition::link("lo", LinkState::Present), Some(HANG_GUARD)));
        assert_eq!(lo.ifindex, 1);
        // Not-yet answers need the whole picture.
        let whole = Condition::predicate(|s: &nlwatch::Snapshot| s.synced);
        assert_eq!(monitor.wait_until(&tag, &whole, Some(HANG_GUARD)), Ok(None));
        assert_eq!(now(Condition::link("w0", LinkState::Present)), Err(WaitError::TimedOut));

        let w0 = link(becomes(&monitor, &tag, Condition::link("w0", LinkState::Present), || {
            ip("link add w0 type veth peer name w1")
        }));
        assert_eq!(w0.ifindex, ifindex("w0"));
        let up = link(becomes(&monitor, &tag, Condition::link("w0", LinkState::Up), || {
            ip("link set w0 up")
        }));
        assert_ne!(up.flags & IFF_UP, 0);
        // Up, but no carrier while its peer is down.
        assert_eq!(now(Condition::link("w0", LinkState::Running)), Err(WaitError::TimedOut));
        let running = link(becomes(&monitor, &tag, Condition::link("w0", LinkState::Running), || {
            ip("link set w1 up")
        }));
        assert_ne!(running.flags & IFF_RUNNING, 0);
        let by_index = Condition::Link { dev: Dev::Index(w0.ifindex), state: LinkState::Running };
        assert_eq!(link(now(by_index)).ifindex, w0.ifindex);

        let v4: std::net::IpAddr = "10.5.0.1".parse().unwrap();
        let got = becomes(&monitor, &tag, Condition::address(v4, AddrState::Ready), || {
            ip("addr add 10.5.0.1/24 dev w0")
        });
        let Ok(Some(Object::Address(a))) = got else { panic!("{got:?}") };
        assert_eq!((a.prefix_len, a.ifindex), (24, w0.ifindex));
        let exact = Condition::Address {
            addr: v4,
            prefix_len: Some(24),
            dev: Some(Dev::Name("w0".into())),
            state: AddrState::Present,
        };
        assert!(matches!(now(exact), Ok(Some(Object::Address(_)))));
        let elsewhere = Condition::Address {
            addr: v4,
            prefix_len: None,
            dev: Some(Dev::Name("w1".into())),
            state: AddrState::Present,
        };
        assert_eq!(now(elsewhere), Err(WaitError::TimedOut));

        // IPv6 with duplicate address detection: tentative, then ready.
        let v6: std::net::IpAddr = "fd00:5::1".parse().unwrap();
        let got = becomes(&monitor, &tag, Condition::address(v6, AddrState::Ready), || {
            ip("addr add fd00:5::1/64 dev w0")
        });
        let Ok(Some(Object::Address(a))) = got else { panic!("{got:?}") };
        assert_eq!(a.flags & IFA_F_TENTATIVE, 0, "{a:?}");

        let route = Condition::Route {
            dst: Some(("10.6.0.0".parse().unwrap(), 24)),
            table: Some(100),
            dev: Some(Dev::Name("w0".into())),
            gateway: Some("10.5.0.2".parse().unwrap()),
            presence: Presence::Present,
        };
        let got = becomes(&monitor, &tag, route.clone(), || {
            ip("route add 10.6.0.0/24 via 10.5.0.2 dev w0 table 100")
        });
        let Ok(Some(Object::Route(r))) = got else { panic!("{got:?}") };
        assert_eq!((r.table, r.dst_len, r.oif), (100, 24, Some(w0.ifindex)));
        // Not in the main table.
        let main = Condition::route(Some(("10.6.0.0".parse().unwrap(), 24)), Presence::Present);
        assert_eq!(now(main), Err(WaitError::TimedOut));
        let default = Condition::route(None, Presence::Present);
        let got = becomes(&monitor, &tag, default.clone(), || ip("route add default via 10.5.0.2"));
        let Ok(Some(Object::Route(r))) = got else { panic!("{got:?}") };
        assert_eq!((r.dst_len, r.gateway), (0, Some("10.5.0.2".parse().unwrap())));
        let gone = Condition::route(None, Presence::Gone);
        assert_eq!(now(gone.clone()), Err(WaitError::TimedOut));
        assert_eq!(becomes(&monitor, &tag, gone, || ip("route del default")), Ok(None));

        let neigh = Condition::neighbour_reachable("10.5.0.9".parse().unwrap(), "w0");
        let got = becomes(&monitor, &tag, neigh, || {
            ip("neigh add 10.5.0.9 lladdr 02:00:00:00:00:09 dev w0 nud reachable")
        });
        assert!(matches!(got, Ok(Some(Object::Neighbour(n))) if n.ifindex == w0.ifindex));

        let three = Condition::Predicate(Arc::new(|s: &nlwatch::Snapshot| {
            s.routes.iter().filter(|r| r.table == 100).count() >= 3
        }));
        let got = becomes(&monitor, &tag, three, || {
            ip("route add 10.7.0.0/24 via 10.5.0.2 table 100");
            ip("route add 10.8.0.0/24 via 10.5.0.2 table 100");
        });
        assert_eq!(got, Ok(None));

        // Gone: the address, then the link (with its peer).
        let addr_gone = Condition::address(v4, AddrState::Gone);
        assert_eq!(becomes(&monitor, &tag, addr_gone, || ip("addr del 10.5.0.1/24 dev w0")), Ok(None));
        let w1_gone = Condition::link("w1", LinkState::Gone);
        assert_eq!(becomes(&monitor, &tag, w1_gone, || ip("link del w0")), Ok(None));
        assert_eq!(now(Condition::link("w0", LinkState::Gone)), Ok(None));

        let nowhere = NetnsTag { name: Arc::from("nowhere"), id: 1 };
        assert_eq!(
            monitor.wait_until(&nowhere, &Condition::link("lo", LinkState::Present), None),
            Err(WaitError::NotWatched { netns: "nowhere".into() })
        );
        let links_only = Monitor::builder().objects([ObjectKind::Link]).build().unwrap();
        let h = links_only.add_namespace(Netns::Current).unwrap();
        assert_eq!(
            links_only.wait_until(h.tag(), &Condition::route(None, Presence::Present), None),
            Err(WaitError::KindNotWatched(ObjectKind::Route))
        );
    }
}

sandboxed_test! {
    /// Two namespaces with the same IPv6 address on the two ends of a veth
    /// pair, duplicate address detection on in one: it fails there, and the
    /// address can never be ready; `nlwatch wait` says so with status 3.
    fn failed_duplicate_address_detection_can_never_be_ready() {
        ip("netns add da");
        ip("netns add db");
        ip("-n da link add x0 type veth peer name x1 netns db");
        ip("-n da link set x0 up");
        ip("-n db link set x1 up");
        ip("-n db addr add fd01::1/64 dev x1 nodad");
        let monitor = Monitor::builder().build().unwrap();
        let da = monitor.add_namespace(Netns::Named("da".into())).unwrap();
        let ready = Condition::address("fd01::1".parse().unwrap(), AddrState::Ready);
        let got = becomes(&monitor, da.tag(), ready, || ip("-n da addr add fd01::1/64 dev x0"));
        assert!(
            matches!(&got, Err(WaitError::Never(NeverReason::DadFailed(a))) if a.prefix_len == 64),
            "{got:?}"
        );
        let out = Command::new(BIN)
            .args(["wait", "--netns", "da", "--timeout", "20", "addr", "fd01::1/64", "dev", "x0", "ready"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{err}");
        assert!(err.contains("duplicate address detection failed"), "{err}");
        ip("netns del da");
        ip("netns del db");
    }
}

sandboxed_test! {
    /// A namespace deleted while a condition is awaited in it: found by the
    /// monitor's directory watch, the wait ends as never; `nlwatch wait
    /// --netns` ends with status 3.
    fn a_namespace_deleted_while_waiting_ends_the_wait() {
        ip("netns add doomed");
        let monitor = Monitor::builder().build().unwrap();
        monitor.watch_dir(nlwatch::NETNS_RUN_DIR).unwrap();
        let tag = loop {
            let found = monitor.namespaces().into_iter().find(|n| &*n.netns.name == "doomed");
            if let Some(n) = found {
                break n.netns;
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let got = becomes(&monitor, &tag, Condition::link("never", LinkState::Present), || {
            ip("netns del doomed")
        });
        assert_eq!(got, Err(WaitError::Never(NeverReason::NamespaceGone)));

        ip("netns add doomed2");
        let child = Command::new(BIN)
            .args(["wait", "--netns", "doomed2", "link", "never", "present"])
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(300));
        ip("netns del doomed2");
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{err}");
        assert!(err.contains("namespace is gone"), "{err}");
    }
}

sandboxed_test! {
    /// `nlwatch wait`: 0 and the object's line (JSON with --json) when it
    /// holds, at once or later; 1 on timeout; 2 on bad usage; 3 for a
    /// namespace that does not exist.
    fn the_wait_command_exits_as_documented() {
        let wait = |args: &[&str]| Command::new(BIN).arg("wait").args(args).output().unwrap();
        let out = wait(&["--json", "link", "lo", "present"]);
        assert_eq!(out.status.code(), Some(0));
        let line: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!((line["object"].as_str(), line["ifname"].as_str()), (Some("link"), Some("lo")));

        let child = Command::new(BIN)
            .args(["wait", "route", "10.9.0.0/16", "dev", "v0", "present"])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(300));
        ip("link add v0 type veth peer name v1");
        ip("link set v0 up");
        ip("route add 10.9.0.0/16 dev v0");
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.starts_with("[route] new 10.9.0.0/16 dev v0"), "{text}");

        let out = wait(&["--timeout", "0.2", "link", "nope", "up"]);
        assert_eq!(out.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&out.stderr).contains("timed out"));
        for bad in [
            &["link", "lo"][..],
            &["link", "lo", "sideways"],
            &["addr", "10.0.0.300", "present"],
            &["route", "default", "table", "x", "present"],
            &["neigh", "10.0.0.1", "reachable"],
            &["--timeout", "soon", "link", "lo", "up"],
        ] {
            let out = wait(bad);
            assert_eq!(out.status.code(), Some(2), "{bad:?}: {}", String::from_utf8_lossy(&out.stderr));
        }
        let out = wait(&["--netns", "absent", "link", "lo", "present"]);
        assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));

        // The answer could not be written: a failure with one line saying why,
        // not a success a script would trust (it exited 0, silent, before).
        let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
        let out = Command::new(BIN)
            .args(["wait", "link", "lo", "present"])
            .stdout(full)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with("nlwatch: cannot write output: "), "{err}");
    }
}

/// The async twin, on one runtime (`block_on`): already true, becoming true
/// (the change made from another thread while the future waits), and a
/// namespace deleted while it waits.
#[cfg(feature = "async")]
fn async_waits(
    block_on: impl Fn(std::pin::Pin<Box<dyn std::future::Future<Output = ()> + '_>>),
    prefix: &str,
) {
    let monitor = Monitor::builder().build().unwrap();
    monitor.watch_dir(nlwatch::NETNS_RUN_DIR).unwrap();
    let ns = monitor.add_namespace(Netns::Current).unwrap();
    let (tag, dev) = (ns.tag().clone(), format!("{prefix}0"));
    block_on(Box::pin(async {
        let lo = monitor
            .wait_until_async(&tag, &Condition::link("lo", LinkState::Present))
            .await;
        assert!(matches!(lo, Ok(Some(Object::Link(l))) if l.ifindex == 1));
        let maker = std::thread::spawn({
            let dev = dev.clone();
            move || {
                std::thread::sleep(Duration::from_millis(100));
                ip(&format!("link add {dev} type veth peer name {dev}p"));
            }
        });
        let got = monitor
            .wait_until_async(&tag, &Condition::link(dev.as_str(), LinkState::Present))
            .await;
        maker.join().unwrap();
        assert!(matches!(got, Ok(Some(Object::Link(l))) if l.ifindex == ifindex(&dev)));
    }));
    let doomed = format!("{prefix}-doomed");
    ip(&format!("netns add {doomed}"));
    let tag = loop {
        let found = monitor
            .namespaces()
            .into_iter()
            .find(|n| *n.netns.name == *doomed);
        if let Some(n) = found {
            break n.netns;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    block_on(Box::pin(async {
        let killer = std::thread::spawn({
            let doomed = doomed.clone();
            move || {
                std::thread::sleep(Duration::from_millis(100));
                ip(&format!("netns del {doomed}"));
            }
        });
        let got = monitor
            .wait_until_async(&tag, &Condition::link("never", LinkState::Present))
            .await;
        killer.join().unwrap();
        assert_eq!(got, Err(WaitError::Never(NeverReason::NamespaceGone)));
    }));
}

#[cfg(feature = "async")]
sandboxed_test! {
    /// `wait_until_async` under tokio and under smol.
    fn the_async_twin_waits_under_tokio_and_smol() {
        let tokio = tokio::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
        async_waits(|f| tokio.block_on(f), "tk");
        async_waits(|f| smol::block_on(f), "sm");
    }
}
