//! Scale: one Monitor watching many namespaces (default 1,000).
//!
//! Runs itself inside `scripts/sandbox.sh` (fresh network, mount and PID
//! namespaces, private /run), creates N namespaces with `ip -batch`, adds them all
//! to one monitor and reports: time until every socket is open, threads, peak RSS,
//! the round trip of one change at a time in each namespace (lo's MTU set to
//! 20000 + i: request sent to its event received, p50/p99), and whether a change
//! made in every namespace at once is delivered, tagged with the right namespace.
//!
//!   cargo bench --bench scale [-- N]

use nlwatch::wire::consts::{IFINFOMSG_LEN, IFLA_MTU, NLM_F_ACK, NLM_F_REQUEST, RTM_NEWLINK};
use nlwatch::wire::Request;
use nlwatch::{Item, Monitor, Netns, Object};
mod common;

use common::status_kib;
use std::collections::HashSet;
use std::time::{Duration, Instant};

fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").unwrap().count()
}

/// RTM_NEWLINK for ifindex 1 (lo) with IFLA_MTU = mtu.
fn set_lo_mtu(mtu: u32) -> Request {
    let mut ifinfomsg = [0u8; IFINFOMSG_LEN];
    ifinfomsg[4..8].copy_from_slice(&1i32.to_ne_bytes()); // ifi_index
    Request::new(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, 0)
        .family_header(&ifinfomsg)
        .attr(IFLA_MTU, &mtu.to_ne_bytes())
}

/// Sends `request` to the kernel on a fresh NETLINK_ROUTE socket of the calling
/// thread's namespace.
fn send_to_kernel(request: &Request) {
    use nix::sys::socket::{
        sendto, socket, AddressFamily, MsgFlags, NetlinkAddr, SockFlag, SockProtocol, SockType,
    };
    use std::os::fd::AsRawFd;
    let fd = socket(
        AddressFamily::Netlink,
        SockType::Raw,
        SockFlag::SOCK_CLOEXEC,
        SockProtocol::NetlinkRoute,
    )
    .unwrap();
    let kernel = NetlinkAddr::new(0, 0);
    sendto(
        fd.as_raw_fd(),
        request.as_bytes(),
        &kernel,
        MsgFlags::empty(),
    )
    .unwrap();
}

/// Moves the calling thread into namespace `ns{i}`.
fn enter(i: usize) {
    let f = std::fs::File::open(format!("/run/netns/ns{i}")).unwrap();
    nix::sched::setns(f, nix::sched::CloneFlags::CLONE_NEWNET).unwrap();
}

/// The lo MTUs the first pass sets start here (`FIRST_MTU + i` in `ns{i}`), the
/// second pass's at `FIRST_MTU + N`; lo takes at most 65,535.
const FIRST_MTU: u32 = 20_000;

/// The next lo MTU change within `base..base + n` that `sub` receives, as
/// (MTU - base, namespace name); other items are skipped. `None` after 30 s
/// without one.
fn delivered(
    sub: &nlwatch::Subscription,
    base: u32,
    n: usize,
) -> Option<(usize, std::sync::Arc<str>)> {
    loop {
        match sub.recv_timeout(Duration::from_secs(30)) {
            Ok(Item::Event(ev)) => {
                if let Object::Link(l) = &ev.object {
                    if let Some(mtu) = l.mtu.filter(|m| (base..base + n as u32).contains(m)) {
                        return Some(((mtu - base) as usize, ev.netns.name.clone()));
                    }
                }
            }
            Ok(_) => {}
            Err(_) => return None,
        }
    }
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1000);
    assert!(
        FIRST_MTU as usize + 2 * n <= 65_535,
        "at most {} namespaces: two passes of lo MTUs from {FIRST_MTU} must stay within 65,535",
        (65_535 - FIRST_MTU as usize) / 2
    );
    common::enter_sandbox(&[n.to_string()]);

    let t = Instant::now();
    common::ip_batch((0..n).map(|i| format!("netns add ns{i}")));
    eprintln!("created {n} namespaces in {:?}", t.elapsed());

    let rss_before = status_kib("VmRSS:");
    let monitor = Monitor::builder().build().unwrap();
    let sub = monitor.subscribe();
    let t = Instant::now();
    let mut lap = Instant::now();
    for i in 0..n {
        monitor
            .add_namespace(Netns::Named(format!("ns{i}")))
            .unwrap();
        if (i + 1) % (n / 10).max(1) == 0 {
            eprintln!(
                "  {} open, the last {} in {:?}",
                i + 1,
                (n / 10).max(1),
                lap.elapsed()
            );
            lap = Instant::now();
        }
    }
    let open_time = t.elapsed();
    let threads_watching = threads();

    // Round trips: one change at a time in each namespace (lo's MTU set to
    // FIRST_MTU + i), from a thread that enters them in turn, sends the request
    // and waits for its event before the next.
    let (sub, round_trips, wrong_one) = std::thread::spawn(move || {
        let mut times = Vec::with_capacity(n);
        let mut wrong = 0;
        for i in 0..n {
            enter(i);
            let t = Instant::now();
            send_to_kernel(&set_lo_mtu(FIRST_MTU + i as u32));
            loop {
                match delivered(&sub, FIRST_MTU, n) {
                    Some((j, name)) if j == i && *name == *format!("ns{i}") => break,
                    Some(_) => wrong += 1,
                    None => panic!("the change in ns{i} did not arrive"),
                }
            }
            times.push(t.elapsed());
        }
        (sub, times, wrong)
    })
    .join()
    .unwrap();

    // Then one change in every namespace at once (MTU FIRST_MTU + N + i), all sent
    // before any is read.
    let t = Instant::now();
    std::thread::spawn(move || {
        for i in 0..n {
            enter(i);
            send_to_kernel(&set_lo_mtu(FIRST_MTU + (n + i) as u32));
        }
    })
    .join()
    .unwrap();
    let mut seen = HashSet::new();
    let mut wrong_all = 0;
    while seen.len() < n {
        match delivered(&sub, FIRST_MTU + n as u32, n) {
            Some((i, name)) if *name == *format!("ns{i}") => {
                seen.insert(i);
            }
            Some(_) => wrong_all += 1,
            None => panic!("only {} of {n} changes arrived", seen.len()),
        }
    }
    let deliver_time = t.elapsed();
    let peak = status_kib("VmHWM:");
    let rss = status_kib("VmRSS:");
    let mut sorted = round_trips.clone();
    sorted.sort();
    let ms = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1e3;
    println!("namespaces watched        {n}");
    println!("all sockets open in       {:.3} s", open_time.as_secs_f64());
    println!("threads while watching    {threads_watching} (main + readers; openers exit)");
    println!(
        "RSS before monitor        {:.1} MiB",
        rss_before as f64 / 1024.0
    );
    println!("RSS watching              {:.1} MiB", rss as f64 / 1024.0);
    println!("peak RSS (VmHWM)          {:.1} MiB", peak as f64 / 1024.0);
    println!(
        "one change at a time      {} of {n} delivered, wrongly tagged {wrong_one}; \
         round trip p50 {:.3} / p99 {:.3} / max {:.3} ms",
        round_trips.len(),
        ms(0.5),
        ms(0.99),
        ms(1.0)
    );
    println!(
        "all at once               {} of {n} delivered, wrongly tagged {wrong_all}, in {:.3} s",
        seen.len(),
        deliver_time.as_secs_f64()
    );
    let stats = monitor.namespaces();
    let foreign: u64 = stats
        .iter()
        .map(|s| s.counters.foreign_dropped + s.counters.decode_errors)
        .sum();
    println!("foreign drops + decode errors {foreign}");
    monitor.shutdown();
}
