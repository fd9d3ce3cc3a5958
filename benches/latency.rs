//! Latency: how long a change takes from the request that makes it to the line a
//! consumer reads, for `nlwatch --json link` and `ip -o monitor link` side by side
//! in one run, and to `Subscription::recv` for the library alone.
//!
//! Runs itself inside `scripts/sandbox.sh` (fresh network, mount and PID
//! namespaces, private /run): a namespace `lat` holds a veth pair `vA`/`vB` (vB
//! stays down, so vA never has a carrier and one change is one notification).
//! A sender thread in `lat` sets vA up and down in turn with a raw RTM_NEWLINK
//! request, at a steady interval on an absolute schedule, taking the monotonic
//! time just before `send`. The listeners are child processes whose stdout is a
//! pipe read by this process's main thread with `poll`; a line's time is when it
//! was read. The k-th change is matched to the first line after change k-1's
//! that shows vA in change k's state. The library pass makes the same changes
//! with a `Monitor` in this process (no CLI running), its consumer a thread
//! blocked in `Subscription::recv`.
//!
//! Scenarios, at both rates (one change every 50 ms, and every 5 ms) but for the
//! burst (every 5 ms):
//! - `quiet`: nothing else happens;
//! - `burst`: `ip -batch` creates N more veth pairs in `lat` meanwhile, each with
//!   an IPv4 and an IPv6 address and a route (the listeners watch links only,
//!   and see the 2 N new links), and the changes go on for as long as it runs;
//! - `netns`: the same as `quiet`, but nlwatch (CLI and library) watches M more
//!   namespaces (`--all-netns`), idle ones; `ip monitor` can watch one only and
//!   runs as in `quiet`.
//!
//! ```text
//! cargo bench --bench latency -- [--changes K] [--burst N] [--namespaces M]
//!     [--scenario quiet|burst|netns]... [--no-library] [-- NLWATCH_OPTIONS]
//! ```
//!
//! Defaults: 400 changes per rate, N = 10,000, M = 1,000, every scenario.

use nlwatch::wire::consts::{IFF_UP, IFINFOMSG_LEN, NLM_F_REQUEST, RTM_NEWLINK};
use nlwatch::wire::Request;
use nlwatch::{Filter, Item, Monitor, Netns, Object, ObjectKind};
mod common;

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use std::io::Read;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const NS: &str = "lat";

struct Options {
    changes: usize,
    burst: usize,
    namespaces: usize,
    scenarios: Vec<String>,
    library: bool,
    nlwatch_extra: Vec<String>,
}

fn options() -> Options {
    let mut o = Options {
        changes: 400,
        burst: 10_000,
        namespaces: 1_000,
        scenarios: Vec::new(),
        library: true,
        nlwatch_extra: Vec::new(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut num = |what: &str| -> usize {
            args.next()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{what} takes a number"))
        };
        match a.as_str() {
            "--changes" => o.changes = num("--changes"),
            "--burst" => o.burst = num("--burst"),
            "--namespaces" => o.namespaces = num("--namespaces"),
            "--scenario" => o.scenarios.push(args.next().expect("--scenario NAME")),
            "--no-library" => o.library = false,
            "--" => o.nlwatch_extra.extend(args.by_ref()),
            // cargo bench passes `--bench`.
            _ => {}
        }
    }
    if o.scenarios.is_empty() {
        o.scenarios = ["quiet", "burst", "netns"].map(String::from).to_vec();
    }
    o
}

/// RTM_NEWLINK setting `ifindex` up or down (IFF_UP only), no ack asked.
fn set_up(ifindex: i32, up: bool) -> Request {
    let mut ifinfomsg = [0u8; IFINFOMSG_LEN];
    ifinfomsg[4..8].copy_from_slice(&ifindex.to_ne_bytes()); // ifi_index
    let flags = if up { IFF_UP } else { 0 };
    ifinfomsg[8..12].copy_from_slice(&flags.to_ne_bytes()); // ifi_flags
    ifinfomsg[12..16].copy_from_slice(&IFF_UP.to_ne_bytes()); // ifi_change
    Request::new(RTM_NEWLINK, NLM_F_REQUEST, 0).family_header(&ifinfomsg)
}

fn netlink_socket() -> OwnedFd {
    use nix::sys::socket::{socket, AddressFamily, SockFlag, SockProtocol, SockType};
    socket(
        AddressFamily::Netlink,
        SockType::Raw,
        SockFlag::SOCK_CLOEXEC,
        SockProtocol::NetlinkRoute,
    )
    .unwrap()
}

fn ifindex(ns: &str, name: &str) -> i32 {
    let out = Command::new("ip")
        .args(["-n", ns, "-o", "link", "show", name])
        .output()
        .unwrap();
    let s = String::from_utf8_lossy(&out.stdout);
    s.split(':').next().unwrap().trim().parse().unwrap()
}

/// Makes `count` changes of vA in `lat`, one every `interval`, vA's state
/// alternating starting from up (vA is down before). Returns each change's send
/// time. Stops early (with what it sent) once `until` says so, if given.
fn send_changes(
    count: usize,
    interval: Duration,
    until: Option<&dyn Fn() -> bool>,
) -> Vec<(Instant, bool)> {
    let f = std::fs::File::open(format!("/run/netns/{NS}")).unwrap();
    nix::sched::setns(f, nix::sched::CloneFlags::CLONE_NEWNET).unwrap();
    let fd = netlink_socket();
    let va = ifindex(NS, "vA");
    let kernel = nix::sys::socket::NetlinkAddr::new(0, 0);
    let requests = [set_up(va, false), set_up(va, true)];
    let mut sent = Vec::with_capacity(count.min(1 << 16));
    let start = Instant::now() + interval;
    for k in 0..count {
        if until.is_some_and(|stop| stop()) {
            break;
        }
        let at = start + interval * k as u32;
        if let Some(d) = at.checked_duration_since(Instant::now()) {
            std::thread::sleep(d);
        }
        let up = k % 2 == 0;
        let t = Instant::now();
        nix::sys::socket::sendto(
            fd.as_raw_fd(),
            requests[up as usize].as_bytes(),
            &kernel,
            nix::sys::socket::MsgFlags::empty(),
        )
        .unwrap();
        sent.push((t, up));
    }
    // vA ends down, as the next round expects.
    if sent.last().is_some_and(|(_, up)| *up) {
        nix::sys::socket::sendto(
            fd.as_raw_fd(),
            requests[0].as_bytes(),
            &kernel,
            nix::sys::socket::MsgFlags::empty(),
        )
        .unwrap();
        std::thread::sleep(Duration::from_millis(50));
    }
    sent
}

/// A listener's lines about vA: (time read, vA up).
type Seen = Vec<(Instant, bool)>;

/// vA's state in an `nlwatch --json` line, if the line is about vA.
fn nlwatch_line(line: &str) -> Option<bool> {
    if !line.contains("\"object\":\"link\"") || !line.contains("\"ifname\":\"vA\"") {
        return None;
    }
    let flags = line.split("\"flags\":[").nth(1)?.split(']').next()?;
    Some(flags.split(',').any(|f| f == "\"UP\""))
}

/// vA's state in an `ip -o monitor link` line, if the line is about vA.
fn ip_line(line: &str) -> Option<bool> {
    let rest = line.split_once(": vA@")?.1;
    let flags = rest.split_once('<')?.1.split_once('>')?.0;
    if line.starts_with("Deleted") {
        return None;
    }
    Some(flags.split(',').any(|f| f == "UP"))
}

/// Latency of each change: the first line after the previous match that shows
/// the change's state, read after the change was sent. Unmatched changes are
/// counted apart.
fn match_lines(sent: &[(Instant, bool)], seen: &Seen) -> (Vec<Duration>, usize) {
    let mut out = Vec::with_capacity(sent.len());
    let mut i = 0;
    let mut missed = 0;
    for &(t, up) in sent {
        let found = seen[i..]
            .iter()
            .position(|&(at, state)| state == up && at >= t);
        match found {
            Some(p) => {
                out.push(seen[i + p].0 - t);
                i += p + 1;
            }
            None => missed += 1,
        }
    }
    (out, missed)
}

struct Summary {
    n: usize,
    missed: usize,
    p50: f64,
    p99: f64,
    max: f64,
}

fn summary(mut lat: Vec<Duration>, missed: usize) -> Summary {
    lat.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let pick = |q: f64| -> f64 {
        if lat.is_empty() {
            return f64::NAN;
        }
        let idx = ((lat.len() as f64 * q).ceil() as usize).clamp(1, lat.len()) - 1;
        ms(lat[idx])
    };
    Summary {
        n: lat.len(),
        missed,
        p50: pick(0.50),
        p99: pick(0.99),
        max: lat.last().map(|d| ms(*d)).unwrap_or(f64::NAN),
    }
}

/// Reads the children's stdout as lines until `done` is set and every child
/// has gone quiet for 300 ms after it; each child's lines about vA, timed.
fn read_lines(
    children: &mut [Child],
    parse: &[fn(&str) -> Option<bool>],
    done: &dyn Fn() -> bool,
) -> Vec<Seen> {
    let mut pipes: Vec<_> = children
        .iter_mut()
        .map(|c| c.stdout.take().unwrap())
        .collect();
    let mut bufs: Vec<Vec<u8>> = vec![Vec::new(); pipes.len()];
    let mut seen: Vec<Seen> = vec![Vec::new(); pipes.len()];
    let mut chunk = vec![0u8; 1 << 16];
    let mut quiet_since: Option<Instant> = None;
    loop {
        let mut fds: Vec<PollFd> = pipes
            .iter()
            .map(|p| PollFd::new(p.as_fd(), PollFlags::POLLIN))
            .collect();
        let n = poll(&mut fds, PollTimeout::from(50u16)).unwrap_or(0);
        let now = Instant::now();
        let ready: Vec<bool> = fds
            .iter()
            .map(|f| f.revents().is_some_and(|r| !r.is_empty()))
            .collect();
        drop(fds);
        if n == 0 {
            if done() {
                let since = *quiet_since.get_or_insert(now);
                if now - since > Duration::from_millis(300) {
                    return seen;
                }
            }
            continue;
        }
        quiet_since = None;
        for (i, r) in ready.into_iter().enumerate() {
            if !r {
                continue;
            }
            let got = pipes[i].read(&mut chunk).unwrap_or(0);
            if got == 0 {
                continue;
            }
            bufs[i].extend_from_slice(&chunk[..got]);
            while let Some(end) = bufs[i].iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = bufs[i].drain(..=end).collect();
                if let Some(up) = parse[i](&String::from_utf8_lossy(&line)) {
                    seen[i].push((now, up));
                }
            }
        }
    }
}

/// The listeners print nothing about vA before its first change: give them
/// time to open, subscribe and (nlwatch) dump.
fn wait_listening() {
    std::thread::sleep(Duration::from_millis(800));
}

/// A scenario's run: `nlwatch --json link` and `ip -o monitor link` side by
/// side, then (optionally) the library alone.
fn run(o: &Options, scenario: &str, interval: Duration) {
    let all = scenario == "netns";
    let burst = scenario == "burst";
    let count = if burst { usize::MAX } else { o.changes };

    // CLI pass.
    let mut nlwatch_cmd = Command::new(env!("CARGO_BIN_EXE_nlwatch"));
    nlwatch_cmd.arg("--json");
    if all {
        nlwatch_cmd.arg("--all-netns");
    } else {
        nlwatch_cmd.args(["--netns", NS]);
    }
    nlwatch_cmd.args(&o.nlwatch_extra).arg("link");
    let nlwatch = nlwatch_cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let ip = Command::new("ip")
        .args(["-n", NS, "-o", "monitor", "link"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut children = vec![nlwatch, ip];
    wait_listening();
    let batch = burst.then(|| start_burst(o.burst, "c"));
    let finished = Arc::new(Mutex::new(false));
    let sender = {
        let finished = finished.clone();
        let batch_done = batch.as_ref().map(|b| b.1.clone());
        std::thread::spawn(move || {
            let stop = move || batch_done.as_ref().is_some_and(|d| *d.lock().unwrap());
            let sent = send_changes(count, interval, Some(&stop));
            *finished.lock().unwrap() = true;
            sent
        })
    };
    let seen = read_lines(&mut children, &[nlwatch_line, ip_line], &|| {
        *finished.lock().unwrap()
    });
    let sent = sender.join().unwrap();
    if let Some((handle, _)) = batch {
        handle.join().unwrap();
    }
    for c in &mut children {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(c.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        );
        let _ = c.wait();
    }
    let label = format!("{scenario:5} one every {:>2} ms", interval.as_millis());
    for (name, s) in ["nlwatch --json", "ip -o monitor"].iter().zip(&seen) {
        let (lat, missed) = match_lines(&sent, s);
        report(&label, name, summary(lat, missed));
    }
    if burst {
        delete_burst("c");
    }

    // Library pass: no CLI running.
    if !o.library {
        return;
    }
    let monitor = Monitor::builder().build().unwrap();
    let sub = monitor.subscribe_with(Filter::new().object(ObjectKind::Link));
    if all {
        monitor.add_namespace(Netns::Named(NS.into())).unwrap();
        for i in 0..o.namespaces {
            monitor
                .add_namespace(Netns::Named(format!("idle{i}")))
                .unwrap();
        }
    } else {
        monitor.add_namespace(Netns::Named(NS.into())).unwrap();
    }
    wait_listening();
    let finished = Arc::new(Mutex::new(false));
    let consumer = {
        let finished = finished.clone();
        std::thread::spawn(move || {
            let mut seen: Seen = Vec::new();
            let mut quiet_since: Option<Instant> = None;
            loop {
                match sub.recv_timeout(Duration::from_millis(50)) {
                    Ok(Item::Event(ev)) => {
                        let now = Instant::now();
                        quiet_since = None;
                        if let Object::Link(l) = &ev.object {
                            if l.ifname.as_ref().is_some_and(|n| *n == "vA") {
                                seen.push((now, l.is_up()));
                            }
                        }
                    }
                    Ok(_) => {}
                    Err(_) => {
                        if *finished.lock().unwrap() {
                            let since = *quiet_since.get_or_insert(Instant::now());
                            if since.elapsed() > Duration::from_millis(300) {
                                return seen;
                            }
                        }
                    }
                }
            }
        })
    };
    let batch = burst.then(|| start_burst(o.burst, "l"));
    let batch_done = batch.as_ref().map(|b| b.1.clone());
    let stop = move || batch_done.as_ref().is_some_and(|d| *d.lock().unwrap());
    let sent = std::thread::scope(|s| {
        s.spawn(|| send_changes(count, interval, Some(&stop)))
            .join()
            .unwrap()
    });
    *finished.lock().unwrap() = true;
    let seen = consumer.join().unwrap();
    if let Some((handle, _)) = batch {
        handle.join().unwrap();
    }
    monitor.shutdown();
    let (lat, missed) = match_lines(&sent, &seen);
    report(&label, "library (recv)", summary(lat, missed));
    if burst {
        delete_burst("l");
    }
}

fn report(label: &str, who: &str, s: Summary) {
    println!(
        "{label}  {who:15} changes {:5} missed {:3}  p50 {:7.3} ms  p99 {:7.3} ms  max {:7.3} ms",
        s.n, s.missed, s.p50, s.p99, s.max
    );
}

/// Starts `ip -batch` creating `n` veth pairs named `{tag}A{i}`/`{tag}B{i}` in
/// `lat`, each with two addresses and a route; the flag is set when it is done.
fn start_burst(n: usize, tag: &str) -> (std::thread::JoinHandle<()>, Arc<Mutex<bool>>) {
    let done = Arc::new(Mutex::new(false));
    let tag = tag.to_string();
    let flag = done.clone();
    let handle = std::thread::spawn(move || {
        let t = Instant::now();
        common::ip_batch_in(
            NS,
            (0..n).flat_map(|i| {
                let (a, b, c) = (10 + i / 65536 % 200, i / 256 % 256, i % 256);
                let x = (i / 256) % 256;
                [
                    format!("link add {tag}A{i} group 1 type veth peer name {tag}B{i}"),
                    format!("link set {tag}A{i} up"),
                    format!("addr add {a}.{b}.{c}.1/32 dev {tag}A{i}"),
                    format!("addr add fd00::{i:x}:1/128 dev {tag}A{i} nodad"),
                    format!("route add 172.16.{x}.{c}/32 dev {tag}A{i}"),
                ]
            }),
        );
        eprintln!("burst of {n} pairs made in {:?}", t.elapsed());
        *flag.lock().unwrap() = true;
    });
    (handle, done)
}

fn delete_burst(_tag: &str) {
    let t = Instant::now();
    common::ip_batch_in(NS, ["link del group 1".to_string()]);
    eprintln!("burst deleted in {:?}", t.elapsed());
}

fn main() {
    let o = options();
    let args: Vec<String> = std::env::args().skip(1).collect();
    common::enter_sandbox(&args);
    let _ = std::fs::write("/proc/sys/net/ipv6/conf/default/addr_gen_mode", "1");
    common::ip_batch([format!("netns add {NS}")]);
    common::ip_batch_in(NS, ["link add vA type veth peer name vB".to_string()]);
    let _ = Command::new("ip")
        .args(["netns", "exec", NS, "sysctl", "-qw"])
        .arg("net.ipv6.conf.default.addr_gen_mode=1")
        .status();
    if o.scenarios.iter().any(|s| s == "netns") {
        common::ip_batch((0..o.namespaces).map(|i| format!("netns add idle{i}")));
    }
    println!(
        "latency from the request's send to the consumer; {} changes per rate (burst: as long as {} pairs take)",
        o.changes, o.burst
    );
    for scenario in &o.scenarios {
        // A burst of 10,000 pairs takes minutes to make and delete: at the
        // steady rate only, the one whose latency the batching decides.
        let rates: &[u64] = if scenario == "burst" { &[5] } else { &[50, 5] };
        for &ms in rates {
            run(&o, scenario, Duration::from_millis(ms));
        }
    }
}
