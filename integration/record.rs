//! `nlwatch --record`, `nlwatch record` and `nlwatch replay`, run as a user
//! would: a scripted scenario recorded while the live command prints it, read
//! by tshark, and replayed to the same lines; a forced overrun replayed to the
//! same overrun and resync lines; recordings cut short; files that are not
//! recordings; a replay without privileges.

use crate::sandbox::{ip, run};
use crate::sandboxed_test;
use nix::sys::signal::Signal;
use std::collections::BTreeSet;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_nlwatch");
const HANG_GUARD: Duration = Duration::from_secs(30);

/// A directory of this test's own under /tmp (the sandbox shares /tmp with the
/// host and with other runs), readable by anyone, removed when dropped.
pub(crate) struct Scratch(PathBuf);

impl Scratch {
    pub(crate) fn new(name: &str) -> Scratch {
        // Unique across concurrent runs: inside a sandbox every test is
        // process 1 of its own PID namespace, and /tmp is shared.
        let dir = loop {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos();
            let dir = std::env::temp_dir().join(format!("nlwatch-{name}-{nanos}"));
            match std::fs::create_dir(&dir) {
                Ok(()) => break dir,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => panic!("cannot create {}: {e}", dir.display()),
            }
        };
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        Scratch(dir)
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A burst in namespace `ns`: 150 veth pairs, each with an address, in one
/// `ip -batch` (against a small receive buffer, it overruns).
pub(crate) fn burst(scratch: &Scratch, ns: &str) {
    let batch = scratch.path("batch");
    let lines: String = (0..150)
        .map(|i| {
            format!(
                "link add a{i} type veth peer name b{i}\naddr add 10.2.0.{}/32 dev a{i}\n",
                i + 1
            )
        })
        .collect();
    std::fs::write(&batch, lines).unwrap();
    run("ip", &["-n", ns, "-batch", batch.to_str().unwrap()]);
}

/// The live command, printing to a pipe read on a thread (all of it, until it
/// exits).
pub(crate) struct Live {
    child: Child,
    lines: std::sync::mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Live {
    pub(crate) fn start(args: &[&str]) -> Live {
        let mut child = Command::new(BIN)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let out = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Live {
            child,
            lines: rx,
            seen: Vec::new(),
        }
    }

    /// Reads lines until one satisfies `last`.
    pub(crate) fn until(&mut self, last: impl Fn(&str) -> bool) {
        loop {
            let line = self
                .lines
                .recv_timeout(HANG_GUARD)
                .unwrap_or_else(|e| panic!("no matching line ({e}); got {:#?}", self.seen));
            let done = last(&line);
            self.seen.push(line);
            if done {
                return;
            }
        }
    }

    /// Stops it with SIGINT; returns every line it printed and its stderr.
    pub(crate) fn stop(mut self) -> (String, String) {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        nix::sys::signal::kill(pid, Signal::SIGINT).unwrap();
        while let Ok(line) = self.lines.recv_timeout(HANG_GUARD) {
            self.seen.push(line);
        }
        let mut err = String::new();
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        let status = self.child.wait().unwrap();
        assert!(status.success(), "nlwatch ended with {status}: {err}");
        let mut out = self.seen.join("\n");
        out.push('\n');
        (out, err)
    }
}

/// The datagram count `nlwatch: recorded N datagrams, ...` reports on stderr.
pub(crate) fn recorded_datagrams(stderr: &str) -> usize {
    let line = stderr
        .lines()
        .find(|l| l.starts_with("nlwatch: recorded "))
        .unwrap_or_else(|| panic!("no recording summary in {stderr:?}"));
    line["nlwatch: recorded ".len()..]
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("bad summary {line:?}"))
}

/// `nlwatch replay ARGS`, with its output.
fn replay(args: &[&str]) -> Output {
    Command::new(BIN).arg("replay").args(args).output().unwrap()
}

/// tshark's fields of every frame of `file`, one line per frame.
fn tshark_fields(file: &Path, fields: &[&str]) -> Vec<Vec<String>> {
    let mut args = vec![
        "-r",
        file.to_str().unwrap(),
        "-T",
        "fields",
        "-E",
        "separator=/t",
    ];
    for f in fields {
        args.extend(["-e", f]);
    }
    let out = run("tshark", &args);
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

/// Whether tshark is there; under `CI=true` it must be (`.ci/run` installs it).
fn have_tshark() -> bool {
    let found = Command::new("tshark").arg("--version").output().is_ok();
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "tshark (Debian package tshark) is needed under CI=true"
        );
        eprintln!("SKIPPED: tshark not found; the recording was not read by it");
    }
    found
}

/// Writes a sysctl of this namespace.
fn sysctl(path: &str, value: &str) {
    std::fs::write(format!("/proc/sys/{path}"), value)
        .unwrap_or_else(|e| panic!("cannot write {path}: {e}"));
}

/// Whether this process is root of the machine's own user namespace (then
/// `nobody` exists here; in a user namespace of our own it is not mapped).
fn machine_root() -> bool {
    std::fs::read_to_string("/proc/self/uid_map")
        .is_ok_and(|m| m.split_whitespace().collect::<Vec<_>>() == ["0", "0", "4294967295"])
}

sandboxed_test! {
    /// Links, addresses v4/v6, routes, neighbours, rules, nexthops, a bridge's
    /// FDB and MDB, netconf and nsid, recorded by the command that prints them:
    /// tshark reads every frame of the file as netlink-route (but for datagrams
    /// that only end a dump: netlink's own `NLMSG_DONE`), one frame per
    /// datagram recorded, with the links' names and indexes the lines name; the
    /// replay prints the same bytes, also as `nobody`.
    fn a_recorded_scenario_reads_in_tshark_and_replays_as_printed_live() {
        let scratch = Scratch::new("record");
        let file = scratch.path("scenario.pcapng");
        let mut live = Live::start(&["--json", "--dump", "--record", file.to_str().unwrap()]);
        live.until(|l| l.contains(r#""object":"sync""#));
        ip("link add va type veth peer name vb");
        ip("link set va up");
        ip("link set vb up");
        ip("addr add 10.1.0.1/24 dev va");
        ip("addr add fd00::1/64 dev va nodad");
        ip("route add 10.9.0.0/16 via 10.1.0.2");
        ip("route add fd01::/64 via fd00::2");
        ip("neigh add 10.1.0.2 lladdr 02:00:00:00:00:02 dev va nud permanent");
        ip("rule add from 10.7.0.0/16 table 100");
        ip("nexthop add id 5 via 10.1.0.3 dev va");
        sysctl("net/ipv4/conf/va/forwarding", "1");
        ip("netns add other");
        ip("netns set other 7");
        ip("link add br0 type bridge mcast_snooping 1");
        ip("link set vb master br0");
        ip("link set br0 up");
        run("bridge", &["fdb", "add", "02:00:00:00:00:09", "dev", "vb", "master", "static"]);
        run("bridge", &["mdb", "add", "dev", "br0", "port", "vb", "grp", "239.1.1.1", "permanent"]);
        ip("link del va");
        ip("link add mk type veth peer name mk1");
        live.until(|l| l.contains(r#""ifname":"mk1""#));
        let (printed, stderr) = live.stop();
        ip("netns del other");
        let datagrams = recorded_datagrams(&stderr);
        for kind in ["link", "addr", "route", "neigh", "rule", "nexthop", "netconf", "nsid", "fdb", "mdb"] {
            assert!(
                printed.contains(&format!(r#""object":"{kind}""#)),
                "no {kind} line in {printed}"
            );
        }

        // Replayed: the same bytes.
        let out = replay(&["--json", "--dump", file.to_str().unwrap()]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(String::from_utf8(out.stdout).unwrap(), printed);
        if machine_root() {
            let out = Command::new("setpriv")
                .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
                .args([BIN, "replay", "--json", "--dump", file.to_str().unwrap()])
                .output()
                .unwrap();
            assert!(out.status.success(), "as nobody: {}", String::from_utf8_lossy(&out.stderr));
            assert_eq!(String::from_utf8(out.stdout).unwrap(), printed, "as nobody");
        } else {
            eprintln!("not the machine's root: the replay as nobody is left out");
        }

        if !have_tshark() {
            return;
        }
        let out = Command::new("tshark").arg("-r").arg(&file).output().unwrap();
        let complaints: Vec<_> = String::from_utf8_lossy(&out.stderr)
            .lines()
            .filter(|l| !l.contains("Running as user"))
            .map(str::to_string)
            .collect();
        assert!(out.status.success() && complaints.is_empty(), "tshark: {complaints:?}");
        let frames = tshark_fields(&file, &["frame.protocols", "netlink.hdr_type"]);
        assert_eq!(frames.len(), datagrams, "one frame per datagram");
        for (i, f) in frames.iter().enumerate() {
            assert!(f[0].starts_with("netlink"), "frame {}: {f:?}", i + 1);
            // Netlink's own messages (NLMSG_DONE ending a dump, NLMSG_ERROR)
            // are the generic dissector's; every other is netlink-route's.
            let own = f[1].split(',').all(|t| t == "0x0003" || t == "0x0002");
            assert!(f[0].contains("netlink-route") || own, "frame {}: {f:?}", i + 1);
        }
        let mut seen_by_tshark = BTreeSet::new();
        for f in tshark_fields(&file, &["netlink-route.ifla_ifname", "netlink-route.ifi_index"]) {
            if f[0].is_empty() {
                continue;
            }
            let names: Vec<&str> = f[0].split(',').collect();
            let indexes: Vec<&str> = f[1].split(',').collect();
            assert_eq!(names.len(), indexes.len(), "{f:?}");
            for (n, i) in names.iter().zip(indexes) {
                seen_by_tshark.insert((n.to_string(), i.parse::<u64>().unwrap()));
            }
        }
        let mut printed_links = BTreeSet::new();
        for line in printed.lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            if v["object"] == "link" {
                printed_links.insert((
                    v["ifname"].as_str().unwrap().to_string(),
                    v["ifindex"].as_u64().unwrap(),
                ));
            }
        }
        assert_eq!(seen_by_tshark, printed_links);
        assert!(printed_links.len() >= 6, "{printed_links:?}");
    }
}

sandboxed_test! {
    /// A 4 KiB receive buffer, a reader that looks only every 200 ms and a
    /// burst: the kernel drops notifications, and the replay prints the same
    /// overrun lines and the same resync as the live command, byte for byte.
    /// `nlwatch record` writes the same kind of file without printing.
    fn a_forced_overrun_replays_to_the_same_overrun_and_resync_lines() {
        let scratch = Scratch::new("overrun");
        let file = scratch.path("overrun.pcapng");
        ip("netns add burst");
        let mut live = Live::start(&[
            "--json", "--dump", "--rcvbuf", "4096", "--batch-window", "200",
            "--netns", "burst", "--record", file.to_str().unwrap(),
        ]);
        live.until(|l| l.contains(r#""object":"sync""#));
        burst(&scratch, "burst");
        live.until(|l| l.contains(r#""object":"resync""#));
        run("ip", &["-n", "burst", "link", "add", "mk", "type", "veth", "peer", "name", "mk1"]);
        live.until(|l| l.contains(r#""ifname":"mk1""#));
        let (printed, stderr) = live.stop();
        ip("netns del burst");
        let overruns = printed.matches(r#""object":"overrun""#).count();
        assert!(overruns >= 1, "{stderr}");
        assert!(printed.contains(r#""object":"resync","action":"done""#));
        assert!(printed.contains(r#""object":"netns","action":"del""#), "{printed}");
        let summary = stderr.lines().find(|l| l.starts_with("nlwatch: recorded")).unwrap();
        assert!(summary.contains(&format!(" {overruns} overruns")), "{summary}");

        let out = replay(&["--json", "--dump", file.to_str().unwrap()]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let replayed = String::from_utf8(out.stdout).unwrap();
        assert_eq!(replayed, printed);

        // Cut at a hundred places: the lines of the whole blocks before the
        // cut, then one line on stderr and exit status 1; never a panic.
        let bytes = std::fs::read(&file).unwrap();
        let cut_file = scratch.path("cut.pcapng");
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..100 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let cut = 200 + (seed % (bytes.len() as u64 - 200)) as usize;
            std::fs::write(&cut_file, &bytes[..cut]).unwrap();
            let out = replay(&["--json", "--dump", cut_file.to_str().unwrap()]);
            let err = String::from_utf8_lossy(&out.stderr);
            let lines = String::from_utf8(out.stdout).unwrap();
            assert!(replayed.starts_with(&lines), "cut at {cut}: not a prefix");
            assert!(!err.contains("panicked"), "cut at {cut}: {err}");
            if out.status.success() {
                // At a block boundary: a whole, shorter recording.
                assert!(err.is_empty(), "cut at {cut}: {err}");
            } else {
                assert_eq!(out.status.code(), Some(1), "cut at {cut}: {err}");
                assert_eq!(err.lines().count(), 1, "cut at {cut}: {err}");
                assert!(err.contains("ends in the middle of a block"), "cut at {cut}: {err}");
            }
        }

        // `nlwatch record` prints nothing and writes a file that replays.
        ip("netns add quiet");
        let recorded = scratch.path("quiet.pcapng");
        let rec = Live::start(&["record", recorded.to_str().unwrap(), "--netns", "quiet", "link"]);
        // Ready once its socket listens in that namespace.
        let listening = || {
            let out = run("ip", &["netns", "exec", "quiet", "cat", "/proc/net/netlink"]);
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .skip(1)
                .any(|l| l.split_whitespace().nth(3).is_some_and(|g| g != "00000000"))
        };
        for _ in 0..2000 {
            if listening() {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        run("ip", &["-n", "quiet", "link", "add", "q0", "type", "veth", "peer", "name", "q1"]);
        // The recorder writes whole blocks whenever its reader is idle: the
        // file, read while it grows, soon holds the change.
        let mut text = String::new();
        for _ in 0..2000 {
            let out = replay(&[recorded.to_str().unwrap()]);
            text = String::from_utf8(out.stdout).unwrap();
            if out.status.success() && text.contains("q1") {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(text.contains("q1"), "{text}");
        let (printed, stderr) = rec.stop();
        ip("netns del quiet");
        assert_eq!(printed.trim(), "", "nlwatch record prints nothing");
        let datagrams = recorded_datagrams(&stderr);
        assert!(datagrams >= 3, "{stderr}");
        let out = replay(&["--json", "--dump", recorded.to_str().unwrap()]);
        assert!(out.status.success());
        let lines = String::from_utf8(out.stdout).unwrap();
        let objects: BTreeSet<String> = lines
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["object"].to_string())
            .collect();
        // Only links were recorded (and the namespace and sync lines).
        assert_eq!(
            objects,
            [r#""link""#, r#""netns""#, r#""sync""#].map(String::from).into()
        );
    }
}

/// A file that is not a recording: one line on stderr, exit status 1.
#[test]
fn what_is_not_a_recording_is_a_one_line_error() {
    let scratch = Scratch::new("notpcap");
    let text = scratch.path("notes.txt");
    std::fs::write(&text, "not a capture at all\n").unwrap();
    let empty = scratch.path("empty");
    std::fs::write(&empty, "").unwrap();
    let missing = scratch.path("missing.pcapng");
    for (path, says) in [
        (&text, "not a pcap or pcapng file"),
        (&empty, "not a pcap or pcapng file"),
        (&missing, "cannot open"),
    ] {
        let out = replay(&[path.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{path:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with("nlwatch: ") && err.contains(says), "{err}");
        assert!(out.stdout.is_empty());
    }
}

/// Sends SIGTERM to `child` and waits for it to end, at most `HANG_GUARD`
/// (then kills it and fails): its exit status and stderr.
fn terminate(mut child: Child) -> (Option<i32>, String) {
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    nix::sys::signal::kill(pid, Signal::SIGTERM).unwrap();
    let deadline = std::time::Instant::now() + HANG_GUARD;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("nlwatch did not end on SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (status.code(), err)
}

fn mkfifo(path: &Path) {
    nix::unistd::mkfifo(path, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
}

sandboxed_test! {
    /// `nlwatch record -` into a pipe nobody reads, through a burst, then
    /// SIGTERM: it ends (status 1: its last blocks could not be written), and
    /// says what it recorded. It hung before: the main thread waited for the
    /// recorder, whose lock the reader held while blocked on the full pipe.
    fn record_to_a_stalled_pipe_ends_on_sigterm() {
        ip("link set lo up");
        ip("netns add stall");
        let scratch = Scratch::new("stall");
        let fifo = scratch.path("f");
        mkfifo(&fifo);
        // Held open for reading and writing, never read: the pipe fills and
        // stays full.
        let held = std::fs::OpenOptions::new().read(true).write(true).open(&fifo).unwrap();
        let out = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
        let child = Command::new(BIN)
            .args(["record", "-", "--netns", "stall"])
            .stdout(out)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        burst(&scratch, "stall");
        // The pipe is full: a thread of nlwatch waits in its write.
        let blocked = || {
            std::fs::read_dir(format!("/proc/{}/task", child.id()))
                .unwrap()
                .filter_map(|t| std::fs::read_to_string(t.unwrap().path().join("wchan")).ok())
                .any(|w| w.contains("pipe_write"))
        };
        let mut waited = 0;
        while !blocked() && waited < 600 {
            std::thread::sleep(Duration::from_millis(50));
            waited += 1;
        }
        assert!(blocked(), "nlwatch never blocked writing the pipe");
        let (code, err) = terminate(child);
        assert_eq!(code, Some(1), "{err}");
        assert!(recorded_datagrams(&err) > 0, "{err}");
        assert!(err.contains("its last blocks were not written"), "{err}");
        drop(held);
        ip("netns del stall");
    }
}

sandboxed_test! {
    /// `nlwatch record FIFO` waits for a reader, but a signal ends the wait
    /// (exit 0, saying why nothing was recorded); it blocked in open() before,
    /// and only SIGKILL ended it.
    fn record_to_a_fifo_without_reader_ends_on_sigterm() {
        let scratch = Scratch::new("fifo");
        let fifo = scratch.path("p");
        mkfifo(&fifo);
        let child = Command::new(BIN)
            .args(["record", fifo.to_str().unwrap()])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(300));
        let (code, err) = terminate(child);
        assert_eq!(code, Some(0), "{err}");
        assert!(err.contains("stopped before") && err.contains("could be opened"), "{err}");

        // With a reader, the FIFO is the output: the recording flows through it.
        let child = Command::new(BIN)
            .args(["record", fifo.to_str().unwrap(), "link"])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut reader = std::fs::File::open(&fifo).unwrap();
        let mut magic = [0u8; 4];
        reader.read_exact(&mut magic).unwrap();
        assert_eq!(magic, [0x0a, 0x0d, 0x0d, 0x0a], "a pcapng section header");
        let (code, err) = terminate(child);
        assert_eq!(code, Some(0), "{err}");
    }
}

sandboxed_test! {
    /// A recording is created, never written through a link or over a file:
    /// run as root in a directory others can write, its name could point at
    /// any file. Both are one-line errors, and what they named is untouched.
    fn record_never_follows_a_link_or_overwrites_a_file() {
        let scratch = Scratch::new("nofollow");
        let victim = scratch.path("victim");
        std::fs::write(&victim, "precious\n").unwrap();
        let link = scratch.path("rec.pcapng");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        for target in [&link, &victim] {
            let out = Command::new(BIN)
                .args(["record", target.to_str().unwrap(), "link"])
                .output()
                .unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{err}");
            assert_eq!(err.lines().count(), 1, "{err}");
            assert!(err.starts_with("nlwatch: cannot create "), "{err}");
        }
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
        // A new file is made with mode 0644 (less what the umask takes).
        let new = scratch.path("new.pcapng");
        let child = Command::new(BIN)
            .args(["record", new.to_str().unwrap(), "link"])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        while std::fs::metadata(&new).map_or(0, |m| m.len()) == 0 {
            std::thread::sleep(Duration::from_millis(20));
        }
        let (code, err) = terminate(child);
        assert_eq!(code, Some(0), "{err}");
        let mode = std::fs::metadata(&new).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode & !0o644, 0, "{mode:o}");
    }
}

/// `tcpdump -s 64 -i nlmon0` writes classic pcap whose frames are cut to 64
/// bytes (original length more than included): the replay reads it, and a
/// cut notification is a lost one, as a live truncated datagram is (an
/// overrun line), not a malformed file.
#[test]
fn a_capture_cut_by_its_snap_length_replays() {
    let scratch = Scratch::new("snaplen");
    let file = scratch.path("nlmon.pcap");
    let fixture = format!(
        "{}/src/wire/fixtures/link_new_veth.bin",
        env!("CARGO_MANIFEST_DIR")
    );
    let link = std::fs::read(fixture).unwrap();
    // nlmon's cooked header: outgoing, ARPHRD_NETLINK, NETLINK_ROUTE.
    let mut frame = vec![0, 4, 0x03, 0x38];
    frame.extend_from_slice(&[0; 12]);
    frame.extend_from_slice(&link);
    let mut pcap = 0xa1b2_c3d4u32.to_ne_bytes().to_vec();
    pcap.extend_from_slice(&[2, 0, 4, 0]);
    pcap.extend_from_slice(&[0; 8]);
    pcap.extend_from_slice(&64u32.to_ne_bytes());
    pcap.extend_from_slice(&253u32.to_ne_bytes());
    pcap.extend_from_slice(&1_700_000_000u32.to_ne_bytes());
    pcap.extend_from_slice(&0u32.to_ne_bytes());
    pcap.extend_from_slice(&64u32.to_ne_bytes());
    pcap.extend_from_slice(&(frame.len() as u32).to_ne_bytes());
    pcap.extend_from_slice(&frame[..64]);
    std::fs::write(&file, pcap).unwrap();
    let out = replay(&["--json", file.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let printed = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        printed.matches(r#""object":"overrun""#).count(),
        1,
        "{printed}"
    );
}
