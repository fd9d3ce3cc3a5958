//! Scale: one Monitor watching many namespaces (default 1,000).
//!
//! Runs itself inside `scripts/sandbox.sh` (fresh network, mount and PID
//! namespaces, private /run), creates N namespaces with `ip -batch`, adds them all
//! to one monitor and reports: time until every socket is open, threads, peak RSS,
//! and whether a change made in each namespace (lo's MTU set to 20000 + i) is
//! delivered once, tagged with the right namespace.
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

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1000);
    common::enter_sandbox(&[n.to_string()]);

    let t = Instant::now();
    common::ip_batch((0..n).map(|i| format!("netns add ns{i}")));
    eprintln!("created {n} namespaces in {:?}", t.elapsed());

    let rss_before = status_kib("VmRSS:");
    let monitor = Monitor::builder().build().unwrap();
    let sub = monitor.subscribe();
    let t = Instant::now();
    for i in 0..n {
        monitor
            .add_namespace(Netns::Named(format!("ns{i}")))
            .unwrap();
    }
    let open_time = t.elapsed();
    let threads_watching = threads();

    // One change in each namespace, made from a thread that enters them in turn.
    let t = Instant::now();
    std::thread::spawn(move || {
        for i in 0..n {
            let f = std::fs::File::open(format!("/run/netns/ns{i}")).unwrap();
            nix::sched::setns(f, nix::sched::CloneFlags::CLONE_NEWNET).unwrap();
            send_to_kernel(&set_lo_mtu(20_000 + i as u32));
        }
    })
    .join()
    .unwrap();
    let mut seen = HashSet::new();
    let mut wrong = 0;
    while seen.len() < n {
        match sub.recv_timeout(Duration::from_secs(30)) {
            Ok(Item::Event(ev)) => {
                if let Object::Link(l) = &ev.object {
                    if let Some(mtu) = l.mtu.filter(|m| *m >= 20_000) {
                        let i = (mtu - 20_000) as usize;
                        if *ev.netns.name == *format!("ns{i}") {
                            seen.insert(i);
                        } else {
                            wrong += 1;
                        }
                    }
                }
            }
            Ok(_) => {}
            Err(e) => panic!("only {} of {n} changes arrived: {e}", seen.len()),
        }
    }
    let deliver_time = t.elapsed();
    let peak = status_kib("VmHWM:");
    let rss = status_kib("VmRSS:");
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
        "changes delivered         {} of {n}, wrongly tagged {wrong}",
        seen.len()
    );
    println!(
        "change round trip         {:.3} s for all",
        deliver_time.as_secs_f64()
    );
    let stats = monitor.namespaces();
    let foreign: u64 = stats
        .iter()
        .map(|s| s.foreign_dropped + s.decode_errors)
        .sum();
    println!("foreign drops + decode errors {foreign}");
    monitor.shutdown();
}
