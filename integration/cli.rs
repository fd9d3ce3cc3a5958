//! The `nlwatch` binary, run as a user would, inside the sandbox.

use crate::sandbox::{ifindex, ip};
use crate::sandboxed_test;
use nix::sys::signal::Signal;
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_nlwatch");
const HANG_GUARD: Duration = Duration::from_secs(20);

/// Number of NETLINK_ROUTE sockets in this namespace that joined a multicast group
/// (`/proc/net/netlink` is per namespace).
fn group_members() -> usize {
    let table = std::fs::read_to_string("/proc/net/netlink").unwrap();
    table
        .lines()
        .skip(1)
        .filter(|l| {
            let cols: Vec<_> = l.split_whitespace().collect();
            cols.get(1) == Some(&"0") && cols.get(3).is_some_and(|g| *g != "00000000")
        })
        .count()
}

/// Waits until at least `n` rtnetlink sockets of this namespace listen to a group.
pub(crate) fn wait_for_group_member(n: usize) {
    for _ in 0..4000 {
        if group_members() >= n {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("fewer than {n} rtnetlink listeners appeared");
}

/// Waits until the CLI has joined its multicast groups: it is then subscribed and
/// will see every change made after. The sandbox holds no other listener.
pub(crate) fn wait_for_listener(child: &mut Child) {
    for _ in 0..4000 {
        if group_members() > 0 {
            return;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("nlwatch exited early: {status}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("nlwatch never joined a multicast group");
}

/// Lines of the child's stdout, read on a thread.
pub(crate) fn lines(child: &mut Child) -> mpsc::Receiver<String> {
    let out = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

pub(crate) fn until(rx: &mpsc::Receiver<String>, last: impl Fn(&str) -> bool) -> Vec<String> {
    let mut got = Vec::new();
    loop {
        let line = rx
            .recv_timeout(HANG_GUARD)
            .unwrap_or_else(|e| panic!("no matching line ({e}); got {got:#?}"));
        let done = last(&line);
        got.push(line);
        if done {
            return got;
        }
    }
}

pub(crate) fn terminate(mut child: Child, signal: Signal) -> std::process::ExitStatus {
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), signal).unwrap();
    child.wait().unwrap()
}

sandboxed_test! {
    fn json_lines_name_what_the_kernel_did() {
        let mut child = Command::new(BIN)
            .args(["--json", "-d"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        wait_for_listener(&mut child);
        let rx = lines(&mut child);
        ip("link add veth0 address 02:00:00:00:00:01 type veth peer name veth1");
        let v0 = ifindex("veth0");
        ip("link set veth0 up");
        ip("addr add 10.0.0.1/24 dev veth0");
        ip("addr add 2001:db8::1/64 dev veth0 nodad");
        ip("route add 10.1.0.0/24 via 10.0.0.2 table 100");
        ip("neigh add 10.0.0.2 lladdr 02:00:00:00:00:02 dev veth0 nud permanent");
        ip("link del veth0");
        let got = until(&rx, |l| l.contains(r#""action":"del""#) && l.contains(r#""ifname":"veth1""#));
        let json: Vec<serde_json::Value> = got
            .iter()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l}: {e}")))
            .collect();
        for v in &json {
            assert_eq!(v["netns"], "");
            assert!(v["ts"].as_str().unwrap().ends_with('Z'));
        }
        let find = |pred: &dyn Fn(&serde_json::Value) -> bool| {
            json.iter().position(pred).unwrap_or_else(|| panic!("missing line in {json:#?}"))
        };
        let link = find(&|v| v["object"] == "link" && v["action"] == "new" && v["ifname"] == "veth0");
        assert_eq!(json[link]["ifindex"], v0);
        assert_eq!(json[link]["linkinfo"]["info_kind"], "veth");
        assert_eq!(json[link]["address"], "02:00:00:00:00:01");
        assert_eq!(json[link]["mtu"], 1500);
        let up = find(&|v| v["object"] == "link" && v["ifname"] == "veth0"
            && v["flags"].as_array().unwrap().iter().any(|f| f == "UP"));
        let a4 = find(&|v| v["object"] == "addr" && v["local"] == "10.0.0.1");
        assert_eq!(json[a4]["action"], "new");
        assert_eq!(json[a4]["prefixlen"], 24);
        assert_eq!(json[a4]["family"], "inet");
        assert_eq!(json[a4]["ifname"], "veth0");
        assert_eq!(json[a4]["scope"], "global");
        let a6 = find(&|v| v["object"] == "addr" && v["local"] == "2001:db8::1");
        assert_eq!(json[a6]["family"], "inet6");
        assert_eq!(json[a6]["prefixlen"], 64);
        let r = find(&|v| v["object"] == "route" && v["dst"] == "10.1.0.0/24");
        assert_eq!(json[r]["gateway"], "10.0.0.2");
        assert_eq!(json[r]["table"], "100");
        assert_eq!(json[r]["dev"], "veth0");
        assert_eq!(json[r]["action"], "new");
        let n = find(&|v| v["object"] == "neigh" && v["dst"] == "10.0.0.2");
        assert_eq!(json[n]["lladdr"], "02:00:00:00:00:02");
        assert_eq!(json[n]["state"], serde_json::json!(["PERMANENT"]));
        let del = find(&|v| v["object"] == "link" && v["action"] == "del" && v["ifname"] == "veth0");
        let order = [link, up, a4, r, n, del];
        assert!(order.windows(2).all(|w| w[0] < w[1]), "out of order: {order:?} in {json:#?}");
        // The kernel announces an IPv6 address from a work queue (even with
        // `nodad`): after the link is up, perhaps after the next commands'
        // changes (seen under load; see monitor.rs).
        assert!(up < a6 && a6 < del, "IPv6 address at {a6}: {json:#?}");
        let status = terminate(child, Signal::SIGTERM);
        assert!(status.success(), "SIGTERM should end nlwatch cleanly: {status}");
    }
}

sandboxed_test! {
    fn text_lines_and_object_filter() {
        let mut child = Command::new(BIN)
            .args(["link", "addr"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        wait_for_listener(&mut child);
        let rx = lines(&mut child);
        ip("link add veth0 type veth peer name veth1");
        let v0 = ifindex("veth0");
        ip("link set veth0 up");
        ip("route add 10.9.0.0/24 dev veth0 table 7");
        ip("addr add 10.0.0.1/24 dev veth0");
        let got = until(&rx, |l| l.starts_with("[addr] new") && l.contains("10.0.0.1"));
        assert!(
            got.iter().any(|l| l.starts_with(&format!("[link] new {v0}: veth0@veth1 <BROADCAST,MULTICAST> mtu 1500 state DOWN link/ether"))
                && l.ends_with("kind veth")),
            "{got:#?}"
        );
        assert_eq!(got.last().unwrap(), &format!("[addr] new {v0}: veth0 inet 10.0.0.1/24 scope global permanent veth0"));
        // Only the objects asked for.
        assert!(got.iter().all(|l| l.starts_with("[link]") || l.starts_with("[addr]")), "{got:#?}");
        let status = terminate(child, Signal::SIGINT);
        assert!(status.success(), "SIGINT should end nlwatch cleanly: {status}");
    }
}

/// Waits (calling `each` before every look, up to `looks` times, 10 ms apart)
/// until `child`, whose stdout is closed, has exited, and checks that it ended
/// quietly: exit 0, no panic on stderr.
fn ends_quietly(child: &mut Child, looks: usize, mut each: impl FnMut(usize)) {
    let mut status = None;
    for i in 0..looks {
        each(i);
        if let Some(s) = child.try_wait().unwrap() {
            status = Some(s);
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let status = status.unwrap_or_else(|| {
        let _ = child.kill();
        panic!("nlwatch kept running with a closed stdout")
    });
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(status.success(), "exit {status}, stderr {err}");
    assert!(!err.contains("panicked"), "{err}");
}

sandboxed_test! {
    /// `nlwatch | head -1`: when the reader goes away, nlwatch ends quietly.
    fn closed_stdout_ends_without_panic() {
        let mut child = Command::new(BIN)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        wait_for_listener(&mut child);
        drop(child.stdout.take());
        // Keep changing things until nlwatch notices the closed pipe and exits.
        ends_quietly(&mut child, 200, |i| {
            ip(&format!("link add t{i} type veth peer name u{i}"))
        });
    }
}

sandboxed_test! {
    /// With many namespaces, a stdout closed while they are still being added
    /// still ends nlwatch: the printer's stop must not be pushed out of the main
    /// thread's queue by the namespaces' own items (100 namespaces, each with its
    /// arrival and its sync, before the main thread reads).
    fn closed_stdout_ends_nlwatch_watching_many_namespaces() {
        let batch: String = (0..100).map(|i| format!("netns add many{i}\n")).collect();
        let mut ipb = Command::new("ip")
            .args(["-batch", "-"])
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        std::io::Write::write_all(&mut ipb.stdin.take().unwrap(), batch.as_bytes()).unwrap();
        assert!(ipb.wait().unwrap().success());
        let mut args = vec!["--dump".to_string()];
        for i in 0..100 {
            args.extend(["--netns".to_string(), format!("many{i}")]);
        }
        let mut child = Command::new(BIN)
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Read one line, then go away, as `head -1` does.
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert!(first.contains("[ns:many"), "{first}");
        ends_quietly(&mut child, 2000, |_| {});
        for i in 0..100 {
            ip(&format!("netns del many{i}"));
        }
    }
}

#[test]
fn bad_object_name_is_a_one_line_error() {
    let out = Command::new(BIN).arg("linx").output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown object \"linx\""), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn bad_batch_window_is_a_usage_error() {
    for bad in ["-1", "1001", "soon"] {
        let out = Command::new(BIN)
            .arg(format!("--batch-window={bad}"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "--batch-window {bad}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("milliseconds from 0 to 1000"), "{err}");
        assert!(out.stdout.is_empty());
    }
}

sandboxed_test! {
    /// `--netns` and `--all-netns`: every line names its namespace, namespaces that
    /// appear under /run/netns are followed, and ones deleted are announced gone.
    fn many_namespaces_are_named_on_every_line() {
        ip("netns add red");
        let mut child = Command::new(BIN)
            .args(["--json", "--all-netns", "link", "addr"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let rx = lines(&mut child);
        // The current namespace and red are announced first.
        let first = until(&rx, |l| l.contains(r#""object":"netns""#) && l.contains(r#""netns":"red""#));
        assert!(first.iter().any(|l| l.contains(r#""object":"netns""#) && l.contains(r#""netns":"""#)), "{first:#?}");
        ip("netns add blue");
        until(&rx, |l| l.contains(r#""object":"netns""#) && l.contains(r#""netns":"blue""#));
        ip("-n red link add rb type veth peer name br netns blue");
        ip("-n blue addr add 10.7.0.2/24 dev br");
        ip("link add here0 type veth peer name here1");
        let got = until(&rx, |l| l.contains(r#""ifname":"here0""#));
        let json: Vec<serde_json::Value> = got.iter().map(|l| serde_json::from_str(l).unwrap()).collect();
        let ns_of = |pred: &dyn Fn(&serde_json::Value) -> bool| -> Vec<String> {
            json.iter().filter(|v| pred(v)).map(|v| v["netns"].as_str().unwrap().to_string()).collect()
        };
        assert_eq!(ns_of(&|v| v["object"] == "link" && v["ifname"] == "rb" && v["action"] == "new")[0], "red");
        assert_eq!(ns_of(&|v| v["object"] == "link" && v["ifname"] == "br" && v["action"] == "new")[0], "blue");
        assert_eq!(ns_of(&|v| v["object"] == "addr" && v["local"] == "10.7.0.2"), ["blue"]);
        let addr = json.iter().find(|v| v["object"] == "addr" && v["local"] == "10.7.0.2").unwrap();
        assert_eq!(addr["ifname"], "br");
        assert_eq!(ns_of(&|v| v["ifname"] == "here0")[0], "");
        assert!(json.iter().all(|v| v["netns"].is_string()));
        ip("netns del blue");
        let gone = until(&rx, |l| l.contains(r#""object":"netns""#) && l.contains(r#""action":"del""#));
        let last: serde_json::Value = serde_json::from_str(gone.last().unwrap()).unwrap();
        assert_eq!(last["netns"], "blue");
        assert_eq!(last["reason"], "vanished");
        // Deleting blue took the veth pair with it: red's end goes too.
        until(&rx, |l| l.contains(r#""action":"del""#) && l.contains(r#""ifname":"rb""#));
        assert!(terminate(child, Signal::SIGTERM).success());
    }
}

sandboxed_test! {
    fn text_lines_are_prefixed_with_their_namespace() {
        ip("netns add green");
        let mut child = Command::new(BIN)
            .args(["--netns", "green", "link"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let rx = lines(&mut child);
        until(&rx, |l| l.starts_with("[ns:green] [netns] new"));
        ip("-n green link add g0 type veth peer name g1");
        let got = until(&rx, |l| l.contains(" g0"));
        assert!(got.last().unwrap().starts_with("[ns:green] [link] new "), "{got:#?}");
        assert!(got.iter().all(|l| l.starts_with("[ns:green] ")), "{got:#?}");
        assert!(terminate(child, Signal::SIGTERM).success());
    }
}

#[test]
fn missing_namespace_is_a_one_line_error() {
    let out = Command::new(BIN)
        .args(["--netns", "no-such-namespace-here"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("\"no-such-namespace-here\" does not exist"),
        "{err}"
    );
}

sandboxed_test! {
    /// `--dump`: existing objects first, marked, then a sync line, then live lines.
    /// `nlwatch snapshot`: one line per object, the same fields, then exit.
    fn dump_and_snapshot() {
        ip("link add s0 type veth peer name s1");
        ip("addr add 10.44.0.1/24 dev s0");
        let mut child = Command::new(BIN)
            .args(["--json", "--dump", "link", "addr"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let rx = lines(&mut child);
        let first = until(&rx, |l| l.contains(r#""object":"sync""#));
        let json: Vec<serde_json::Value> = first.iter().map(|l| serde_json::from_str(l).unwrap()).collect();
        let (sync, dumped) = json.split_last().unwrap();
        assert_eq!(sync["action"], "done");
        assert_eq!(sync["netns"], "");
        assert!(dumped.iter().all(|v| v["dump"] == true), "{dumped:#?}");
        let mut names: Vec<&str> = dumped.iter().filter(|v| v["object"] == "link").map(|v| v["ifname"].as_str().unwrap()).collect();
        names.sort();
        assert_eq!(names, ["lo", "s0", "s1"]);
        let addr = dumped.iter().find(|v| v["object"] == "addr" && v["local"] == "10.44.0.1").expect("the address");
        assert_eq!(addr["ifname"], "s0");
        ip("link set s1 mtu 1400");
        let live = until(&rx, |l| l.contains(r#""mtu":1400"#));
        let v: serde_json::Value = serde_json::from_str(live.last().unwrap()).unwrap();
        assert!(v.get("dump").is_none());
        assert!(terminate(child, Signal::SIGTERM).success());

        let out = Command::new(BIN).args(["snapshot", "--json", "addr"]).output().unwrap();
        assert!(out.status.success());
        let snap: Vec<serde_json::Value> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert!(snap.iter().all(|v| v["object"] == "addr"));
        let locals: BTreeSet<&str> = snap.iter().map(|v| v["local"].as_str().unwrap()).collect();
        assert_eq!(locals, BTreeSet::from(["127.0.0.1", "::1", "10.44.0.1"]).into_iter().chain(
            // IPv6 link-local addresses of the veth ends, whatever the kernel chose.
            snap.iter().filter_map(|v| v["local"].as_str()).filter(|l| l.starts_with("fe80"))
        ).collect());
        let text = Command::new(BIN).args(["snapshot", "link"]).output().unwrap();
        let text = String::from_utf8(text.stdout).unwrap();
        assert_eq!(text.lines().count(), 3, "{text}");
        assert!(text.lines().any(|l| l.starts_with("[link] new ") && l.contains(": s0@s1 ")), "{text}");
    }
}

sandboxed_test! {
    /// Names that are not UTF-8: every JSON line stays valid JSON, two different
    /// names never print the same (a `\` is doubled, a byte that is not UTF-8 is
    /// `\xNN`), and text lines escape them the same way.
    fn names_that_are_not_utf8_print_apart_and_as_valid_json() {
        use crate::sandbox::ip_raw;
        let mut child = Command::new(BIN)
            .args(["--json", "link", "addr"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        wait_for_listener(&mut child);
        let rx = lines(&mut child);
        ip_raw(&[b"link", b"add", b"ev\xffil", b"type", b"veth", b"peer", b"name", br"ev\xffil"]);
        ip_raw(&[b"addr", b"add", b"10.8.0.1/24", b"dev", b"ev\xffil", b"label", b"ev\xffil:\xfe"]);
        ip("link add marker0 type veth peer name marker1");
        let got = until(&rx, |l| l.contains(r#""ifname":"marker1""#));
        assert!(terminate(child, Signal::SIGTERM).success());
        let json: Vec<serde_json::Value> = got
            .iter()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l}: {e}")))
            .collect();
        let links = |name: &str| json.iter().filter(|v| v["object"] == "link" && v["ifname"] == name).count();
        assert_eq!(links(r"ev\xffil"), 1, "{got:#?}");
        assert_eq!(links(r"ev\\xffil"), 1, "{got:#?}");
        let a = json.iter().find(|v| v["local"] == "10.8.0.1").expect("the address line");
        assert_eq!((&a["label"], &a["ifname"]), (&serde_json::json!(r"ev\xffil:\xfe"), &serde_json::json!(r"ev\xffil")));

        let text = Command::new(BIN).args(["snapshot", "link", "addr"]).output().unwrap();
        assert!(text.status.success());
        let text = String::from_utf8(text.stdout).expect("text lines are UTF-8");
        assert!(text.lines().any(|l| l.contains(r": ev\xffil@ev\\xffil ")), "{text}");
        assert!(text.lines().any(|l| l.contains(r": ev\\xffil@")), "{text}");
        assert!(text.lines().any(|l| l.contains(r"10.8.0.1/24") && l.ends_with(r" ev\xffil:\xfe")), "{text}");
    }
}

sandboxed_test! {
    /// Watching only `fdb`, without `--dump`: the lines name interfaces that
    /// existed before nlwatch started (the entry's bridge), and nothing but
    /// `fdb` lines is printed.
    fn lines_name_interfaces_that_existed_before_and_print_only_their_kind() {
        ip("link add br0 type bridge");
        ip("link add v0 type veth peer name v1");
        ip("link set v0 master br0");
        let mut child = Command::new(BIN)
            .args(["--json", "fdb"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        wait_for_listener(&mut child);
        let rx = lines(&mut child);
        crate::sandbox::run("bridge", &["fdb", "add", "02:00:00:00:00:aa", "dev", "v0", "master", "static"]);
        let got = until(&rx, |l| l.contains("02:00:00:00:00:aa"));
        assert!(terminate(child, Signal::SIGTERM).success());
        let json: Vec<serde_json::Value> = got.iter().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert!(json.iter().all(|v| v["object"] == "fdb"), "{got:#?}");
        let last = json.last().unwrap();
        assert_eq!((&last["ifname"], &last["master"]), (&serde_json::json!("v0"), &serde_json::json!("br0")));
    }
}
