//! `nlwatch --metrics` and `--metrics-file`, run as a user would: the HTTP
//! scrape (by curl) and the textfile both pass `promtool check metrics`, and
//! their counters say what the test did (veth pairs made and deleted, a forced
//! overrun and its resync); the endpoint answers 404, 405, 400, 431 and 408 as
//! it should and keeps serving while clients connect and send nothing, garbage
//! or an endless header, and while idle clients hold connections or its file
//! descriptors run out (without spinning); it binds only where it is told; the
//! textfile's temporary is never a symlink someone planted.
//!
//! The port is fixed: each test runs in a network namespace of its own.

use crate::record::{burst, recorded_datagrams, Live, Scratch};
use crate::sandbox::{ip, ip_json};
use crate::sandboxed_test;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_nlwatch");
const ADDR: &str = "127.0.0.1:9155";
const URL: &str = "http://127.0.0.1:9155/metrics";
use crate::monitor::HANG_GUARD;

/// Whether promtool is installed (`.ci/run` installs it: Debian's
/// `prometheus`). Without it, the tests say so and fail.
fn promtool_check(text: &str, what: &str) {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("promtool (Debian package prometheus) is needed: .ci/run installs it");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool rejects the {what}: {}{}\n{text}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `curl ARGS`: (HTTP status, headers, body).
fn curl(args: &[&str]) -> (u32, String, String) {
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "20", "-D", "-", "-o", "-"])
        .args(args)
        .output()
        .expect("curl is needed: .ci/run installs it");
    assert!(
        out.status.success(),
        "curl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").expect("a response");
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, head.to_string(), body.to_string())
}

/// A scrape by curl, checked by promtool.
fn scrape() -> String {
    let (status, head, body) = curl(&[URL]);
    assert_eq!(status, 200, "{head}");
    assert!(
        head.contains("Content-Type: text/plain; version=0.0.4; charset=utf-8"),
        "{head}"
    );
    promtool_check(&body, "scrape");
    body
}

/// The value of the series `name` whose labels include `labels` (the only
/// one: several is a test bug).
fn value(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    let found: Vec<f64> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (series, v) = l.rsplit_once(' ')?;
            let (n, rest) = series.split_once('{').unwrap_or((series, "}"));
            if n != name {
                return None;
            }
            let set = rest.strip_suffix('}')?;
            labels
                .iter()
                .all(|(k, want)| set.split(',').any(|kv| kv == format!("{k}=\"{want}\"")))
                .then(|| v.parse().unwrap())
        })
        .collect();
    assert_eq!(found.len(), 1, "{name} {labels:?} in\n{text}");
    found[0]
}

/// Waits until the nlwatch serving on [`ADDR`] answers.
fn wait_for_server() {
    let start = Instant::now();
    while TcpStream::connect(ADDR).is_err() {
        assert!(
            start.elapsed() < HANG_GUARD,
            "nlwatch does not listen on {ADDR}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Scrapes until `done` says the figures are final.
fn scrape_until(done: impl Fn(&str) -> bool) -> String {
    let start = Instant::now();
    loop {
        let text = scrape();
        if done(&text) {
            return text;
        }
        assert!(start.elapsed() < HANG_GUARD, "never reached:\n{text}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn lines_with(printed: &str, parts: &[&str]) -> usize {
    printed
        .lines()
        .filter(|l| parts.iter().all(|p| l.contains(p)))
        .count()
}

sandboxed_test! {
    /// N veth pairs made then deleted in a watched namespace, printed as
    /// JSON: the link events counted by kind and action are those printed
    /// (2N new, 2N del, and the dump's lo), the view holds 2N + 1 links
    /// meanwhile, nothing is malformed or forged; the scrape and the textfile
    /// written at exit both pass promtool, and the file keeps the totals.
    fn metrics_count_the_link_events_of_n_veth_pairs() {
        const N: usize = 6;
        ip("link set lo up");
        ip("netns add m");
        let scratch = Scratch::new("metrics-veth");
        let file = scratch.path("nlwatch.prom");
        let mut live = Live::start(&[
            "--json", "--dump", "--netns", "m", "--metrics", ADDR,
            "--metrics-file", file.to_str().unwrap(), "link",
        ]);
        live.until(|l| l.contains(r#""object":"sync""#));
        wait_for_server();
        // Written once before watching began.
        promtool_check(&std::fs::read_to_string(&file).unwrap(), "first textfile");
        for i in 0..N {
            ip(&format!("-n m link add v{i} type veth peer name w{i}"));
        }
        let last = format!("\"ifname\":\"w{}\"", N - 1);
        live.until(|l| l.contains(&last));
        let links = ip_json("-n m link show").as_array().unwrap().len();
        assert_eq!(links, 2 * N + 1);
        let m = [("netns", "m")];
        let text = scrape_until(|t| {
            value(t, "nlwatch_netns_objects", &[("netns", "m"), ("kind", "link")]) == links as f64
        });
        assert_eq!(value(&text, "nlwatch_namespaces_watched", &[]), 1.0);
        assert_eq!(value(&text, "nlwatch_reader_threads", &[]), 1.0);
        assert_eq!(value(&text, "nlwatch_netns_objects", &[("netns", "m"), ("kind", "route")]), 0.0);
        for i in 0..N {
            ip(&format!("-n m link del v{i}"));
        }
        let gone = format!("\"ifname\":\"w{}\"", N - 1);
        live.until(|l| l.contains(r#""action":"del""#) && l.contains(&gone));
        let text = scrape_until(|t| {
            value(t, "nlwatch_netns_objects", &[("netns", "m"), ("kind", "link")]) == 1.0
        });
        let (printed, _) = live.stop();
        let new = lines_with(&printed, &[r#""object":"link""#, r#""action":"new""#]);
        let del = lines_with(&printed, &[r#""object":"link""#, r#""action":"del""#]);
        let ev = |action: &str| {
            value(&text, "nlwatch_netns_events_total", &[("netns", "m"), ("kind", "link"), ("action", action)])
        };
        // Everything printed was counted, and only that: the dump's lo, then
        // each end of each pair made and deleted (a pair may be announced
        // again as its peer comes up: those lines are printed and counted too).
        assert_eq!(ev("new"), new as f64, "{printed}");
        assert_eq!(ev("del"), del as f64, "{printed}");
        assert!(new > 2 * N, "{printed}");
        assert_eq!(del, 2 * N, "{printed}");
        assert_eq!(value(&text, "nlwatch_netns_events_total", &[("netns", "m"), ("kind", "addr"), ("action", "new")]), 0.0);
        assert_eq!(value(&text, "nlwatch_events_total", &[("kind", "link"), ("action", "del")]), del as f64);
        let datagrams = value(&text, "nlwatch_netns_datagrams_total", &m);
        let messages = value(&text, "nlwatch_netns_messages_total", &m);
        // At least one message per event, one datagram for each notification.
        assert!(messages >= (new + del) as f64 && datagrams >= (2 * N) as f64, "{text}");
        assert!(messages >= datagrams, "{text}");
        for zero in ["decode_errors", "forged_dropped", "overruns", "resyncs", "synthesized_deletions"] {
            assert_eq!(value(&text, &format!("nlwatch_netns_{zero}_total"), &m), 0.0, "{zero}");
        }
        assert_eq!(value(&text, "nlwatch_netns_resync_duration_seconds_count", &m), 0.0);

        // At exit, the file holds the totals (the namespace is gone from it).
        let at_exit = std::fs::read_to_string(&file).unwrap();
        promtool_check(&at_exit, "textfile written at exit");
        assert_eq!(value(&at_exit, "nlwatch_namespaces_watched", &[]), 0.0);
        assert_eq!(value(&at_exit, "nlwatch_events_total", &[("kind", "link"), ("action", "new")]), new as f64);
        assert_eq!(value(&at_exit, "nlwatch_events_total", &[("kind", "link"), ("action", "del")]), del as f64);
        assert!(value(&at_exit, "nlwatch_datagrams_total", &[]) >= datagrams);
        assert!(!at_exit.contains("nlwatch_netns_datagrams_total{"), "{at_exit}");
        let left: Vec<_> = std::fs::read_dir(scratch.path("")).unwrap().flatten().map(|e| e.file_name()).collect();
        assert_eq!(left, ["nlwatch.prom"], "the temporary file is renamed, never left");
        ip("netns del m");
    }
}

sandboxed_test! {
    /// `nlwatch record` with a 4 KiB receive buffer and a burst: the overrun
    /// counter says as many overruns as the recording holds, and its datagram
    /// counter as many datagrams; every repair is in the duration histogram
    /// once it is done. The HTTP scrape during the run and the textfile written at
    /// exit both pass promtool.
    fn a_forced_overrun_is_counted_with_its_resync_duration() {
        ip("link set lo up");
        ip("netns add burst");
        let scratch = Scratch::new("metrics-overrun");
        let (file, prom) = (scratch.path("o.pcapng"), scratch.path("o.prom"));
        let live = Live::start(&[
            "record", file.to_str().unwrap(), "--rcvbuf", "4096", "--batch-window", "200",
            "--netns", "burst", "--metrics", ADDR, "--metrics-file", prom.to_str().unwrap(),
        ]);
        wait_for_server();
        let b = [("netns", "burst")];
        scrape_until(|t| value(t, "nlwatch_netns_syncing", &b) == 0.0);
        burst(&scratch, "burst");
        let text = scrape_until(|t| {
            value(t, "nlwatch_netns_resyncs_total", &b) >= 1.0
                && value(t, "nlwatch_netns_syncing", &b) == 0.0
                && value(t, "nlwatch_netns_resync_duration_seconds_count", &b) >= 1.0
        });
        let overruns = value(&text, "nlwatch_netns_overruns_total", &b);
        let resyncs = value(&text, "nlwatch_netns_resyncs_total", &b);
        assert!(overruns >= 1.0, "{text}");
        // Each repair ended (nothing is syncing) and was timed; a round that
        // had to be started again is one repair.
        let timed = value(&text, "nlwatch_netns_resync_duration_seconds_count", &b);
        assert!(timed >= 1.0 && timed <= resyncs, "{text}");
        assert!(value(&text, "nlwatch_netns_resync_duration_seconds_sum", &b) > 0.0, "{text}");
        assert_eq!(
            value(&text, "nlwatch_netns_resync_duration_seconds_bucket", &[("netns", "burst"), ("le", "+Inf")]),
            timed
        );
        // The view caught up with the kernel: 300 links and lo.
        assert_eq!(value(&text, "nlwatch_netns_objects", &[("netns", "burst"), ("kind", "link")]), 301.0);
        assert_eq!(value(&text, "nlwatch_netns_objects", &[("netns", "burst"), ("kind", "addr")]), 150.0);
        let (_, stderr) = live.stop();
        ip("netns del burst");

        let at_exit = std::fs::read_to_string(&prom).unwrap();
        promtool_check(&at_exit, "textfile written at exit");
        let summary = stderr.lines().find(|l| l.starts_with("nlwatch: recorded")).unwrap();
        let total_overruns = value(&at_exit, "nlwatch_overruns_total", &[]);
        assert!(summary.contains(&format!(" {total_overruns} overruns")), "{summary} vs {at_exit}");
        assert_eq!(value(&at_exit, "nlwatch_datagrams_total", &[]), recorded_datagrams(&stderr) as f64, "{summary}");
        // Counters only grow; a loss between the scrape and the stop (the
        // kernel's late IPv6 events against a 4 KiB buffer) adds a repair.
        let resyncs_at_exit = value(&at_exit, "nlwatch_resyncs_total", &[]);
        let timed_at_exit = value(&at_exit, "nlwatch_resync_duration_seconds_count", &[]);
        assert!(resyncs_at_exit >= resyncs, "{resyncs_at_exit} < {resyncs}");
        assert!(timed_at_exit >= timed && timed_at_exit <= resyncs_at_exit, "{at_exit}");
    }
}

/// Sends `bytes` (as much as the server takes) and reads the answer's status
/// line, or `None` when the server closed without one.
fn exchange(bytes: &[u8]) -> Option<String> {
    let mut s = TcpStream::connect(ADDR).unwrap();
    s.set_read_timeout(Some(HANG_GUARD)).unwrap();
    s.set_write_timeout(Some(HANG_GUARD)).unwrap();
    // The server may answer and close before taking all of it.
    let _ = s.write_all(bytes);
    let _ = s.shutdown(Shutdown::Write);
    status_line(&mut s)
}

fn status_line(s: &mut TcpStream) -> Option<String> {
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer).into_owned();
    answer.lines().next().map(str::to_string)
}

sandboxed_test! {
    /// The endpoint: 200 for GET and HEAD of /metrics (OpenMetrics when asked
    /// for), 404 elsewhere, 405 for other methods, 400 for garbage, 431 for a
    /// header past the cap, 408 for a client that sends nothing; while such
    /// clients hang on, scrapes are answered; past sixteen at once the oldest
    /// silent one is closed to make room, and all are served again once they
    /// are gone. It listens only on
    /// the address given, and a taken address is an error at once.
    fn the_endpoint_answers_and_outlasts_bad_clients() {
        ip("link set lo up");
        ip("addr add 10.9.9.9/32 dev lo");
        let live = Live::start(&["--metrics", ADDR, "link"]);
        wait_for_server();
        scrape();
        let (status, head, body) = curl(&["-H", "Accept: application/openmetrics-text; version=1.0.0", URL]);
        assert_eq!(status, 200);
        assert!(head.contains("Content-Type: application/openmetrics-text; version=1.0.0; charset=utf-8"), "{head}");
        assert!(body.ends_with("# EOF\n"), "{body}");
        assert!(body.contains("nlwatch_netns_datagrams_total{netns=\"\",netns_id="), "{body}");
        assert_eq!(curl(&["-I", URL]).0, 200);
        assert_eq!(curl(&["http://127.0.0.1:9155/"]).0, 404);
        assert_eq!(curl(&["http://127.0.0.1:9155/metricsx"]).0, 404);
        let (status, head, _) = curl(&["-X", "POST", URL]);
        assert_eq!(status, 405);
        assert!(head.contains("Allow: GET, HEAD"), "{head}");
        assert_eq!(curl(&["-X", "DELETE", URL]).0, 405);
        // Only where it was told.
        assert!(TcpStream::connect("10.9.9.9:9155").is_err());

        // Garbage, a binary request line, an endless header.
        assert_eq!(exchange(b"\x00\x01\x02garbage\r\n\r\n").as_deref(), Some("HTTP/1.1 400 Bad Request"));
        assert_eq!(exchange(b"GET /metrics\r\n\r\n").as_deref(), Some("HTTP/1.1 400 Bad Request"));
        let mut huge = b"GET /metrics HTTP/1.1\r\n".to_vec();
        huge.extend(std::iter::repeat(b'a').take(1 << 20));
        assert_eq!(exchange(&huge).as_deref(), Some("HTTP/1.1 431 Request Header Fields Too Large"));
        assert_eq!(exchange(b"GET /metrics HTTP/1.1\r\n\r\n").as_deref(), Some("HTTP/1.1 200 OK"));

        // Clients that connect and send nothing: scrapes still answered
        // meanwhile, and each silent one is let go.
        let mut silent = TcpStream::connect(ADDR).unwrap();
        let mut half = TcpStream::connect(ADDR).unwrap();
        half.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n").unwrap();
        scrape();
        for s in [&mut silent, &mut half] {
            s.set_read_timeout(Some(HANG_GUARD)).unwrap();
            assert_eq!(status_line(s).as_deref(), Some("HTTP/1.1 408 Request Timeout"));
        }
        // Sixteen at once at most: of twenty silent clients, the oldest are
        // closed without an answer to make room for the newest, the others
        // let go with 408; none is told 503 (that is for when all sixteen are
        // being answered). At least four are closed; up to two more when the
        // two silent clients above still held their places, their threads
        // ending as their 408 was read.
        let mut hogs: Vec<TcpStream> = (0..20).map(|_| TcpStream::connect(ADDR).unwrap()).collect();
        let answers: Vec<String> = hogs
            .iter_mut()
            .map(|s| {
                s.set_read_timeout(Some(HANG_GUARD)).unwrap();
                status_line(s).unwrap_or_default()
            })
            .collect();
        let closed = answers.iter().take_while(|a| a.is_empty()).count();
        assert!((4..=6).contains(&closed), "{answers:?}");
        assert!(answers[closed..].iter().all(|a| a == "HTTP/1.1 408 Request Timeout"), "{answers:?}");
        // All gone: served again (each connection ends its thread after
        // answering: allow it the moment to count itself out).
        let start = Instant::now();
        while exchange(b"GET /metrics HTTP/1.1\r\n\r\n").as_deref() != Some("HTTP/1.1 200 OK") {
            assert!(start.elapsed() < HANG_GUARD, "not served again");
            std::thread::sleep(Duration::from_millis(20));
        }
        scrape();

        // The address is taken: a second nlwatch says so and exits.
        let out = Command::new(BIN).args(["--metrics", ADDR]).output().unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("cannot listen on 127.0.0.1:9155 for --metrics"), "{err}");
        let _ = live.stop();
    }
}

/// A scrape by hand (no curl: its status and body whatever they are): the
/// status line, or `None` when the server closed without one, and the body.
fn raw_scrape() -> (Option<String>, String) {
    let mut s = TcpStream::connect(ADDR).unwrap();
    s.set_read_timeout(Some(HANG_GUARD)).unwrap();
    s.set_write_timeout(Some(HANG_GUARD)).unwrap();
    let _ = s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer.lines().next().map(str::to_string);
    let body = answer
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_string();
    (status, body)
}

/// Clients that connect and send nothing, each connecting again a moment
/// after the server lets it go, until stopped.
struct Idlers {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Idlers {
    /// `n` of them, each connected once when this returns.
    fn start(n: usize) -> Idlers {
        use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
        use std::sync::Arc;
        let stop = Arc::new(AtomicBool::new(false));
        let connected = Arc::new(AtomicUsize::new(0));
        let threads = (0..n)
            .map(|_| {
                let (stop, connected) = (stop.clone(), connected.clone());
                std::thread::spawn(move || {
                    let mut first = true;
                    // Bounded: a few hundred reconnections at most in a test.
                    for _ in 0..2000 {
                        if stop.load(Ordering::Relaxed) {
                            return;
                        }
                        if let Ok(mut s) = TcpStream::connect(ADDR) {
                            if std::mem::take(&mut first) {
                                connected.fetch_add(1, Ordering::Relaxed);
                            }
                            s.set_read_timeout(Some(Duration::from_millis(100)))
                                .unwrap();
                            let mut buf = [0u8; 512];
                            // Until the server closes it (an answer, then EOF).
                            while !stop.load(Ordering::Relaxed) {
                                match s.read(&mut buf) {
                                    Ok(0) => break,
                                    Ok(_) => {}
                                    Err(e)
                                        if matches!(
                                            e.kind(),
                                            std::io::ErrorKind::WouldBlock
                                                | std::io::ErrorKind::TimedOut
                                        ) => {}
                                    Err(_) => break,
                                }
                            }
                        }
                        std::thread::sleep(Duration::from_millis(20));
                    }
                })
            })
            .collect();
        let start = Instant::now();
        while connected.load(Ordering::Relaxed) < n {
            assert!(start.elapsed() < HANG_GUARD, "idle clients cannot connect");
            std::thread::sleep(Duration::from_millis(10));
        }
        Idlers { stop, threads }
    }

    fn stop(self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for t in self.threads {
            t.join().unwrap();
        }
    }
}

sandboxed_test! {
    /// Clients that connect, send nothing and connect again as soon as they
    /// are let go do not keep a scrape out: with 8 of them holding
    /// connections, then 40 (more than the server serves at once), every
    /// scrape is answered 200 with the metrics.
    fn scrapes_get_through_while_idle_clients_hold_connections() {
        ip("link set lo up");
        let live = Live::start(&["--metrics", ADDR, "link"]);
        wait_for_server();
        for idle in [8, 40] {
            let idlers = Idlers::start(idle);
            // Let the server take them all before the scrapes come.
            std::thread::sleep(Duration::from_millis(200));
            let answers: Vec<_> = (0..5)
                .map(|_| {
                    let answer = raw_scrape();
                    std::thread::sleep(Duration::from_millis(100));
                    answer
                })
                .collect();
            idlers.stop();
            let served = answers
                .iter()
                .filter(|(status, body)| {
                    status.as_deref() == Some("HTTP/1.1 200 OK")
                        && body.contains("nlwatch_namespaces_watched 1")
                })
                .count();
            let statuses: Vec<_> = answers.iter().map(|(s, _)| s.clone()).collect();
            assert_eq!(served, 5, "with {idle} idle clients: {statuses:?}");
        }
        let _ = live.stop();
    }
}

/// CPU time `pid` has used so far (user and system), in seconds: its clock
/// ticks from /proc/PID/stat.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // The fields after the command name, which is in parentheses and may
    // hold spaces: utime and stime are the 14th and 15th of the whole line.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    let out = Command::new("getconf").arg("CLK_TCK").output().unwrap();
    let per_second: u64 = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(100);
    ticks as f64 / per_second as f64
}

sandboxed_test! {
    /// Out of file descriptors (a limit of 10, idle clients holding what is
    /// left and more waiting), the server does not spin on the failing
    /// accept: it uses well under a quarter of one CPU over two seconds of
    /// it (CPU ticks counted, not wall time); and once the clients leave, a
    /// scrape is answered.
    fn the_endpoint_backs_off_when_out_of_file_descriptors() {
        ip("link set lo up");
        let mut child = Command::new("prlimit")
            .args(["--nofile=10:10", BIN, "--json", "--dump", "--metrics", ADDR, "link"])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("prlimit (util-linux) is needed");
        let pid = child.id();
        // Not a connection before it has started: what it opens to start
        // (the namespace, the sockets of the dump) would be short of
        // descriptors if a connection held one, and it would exit.
        let (tx, synced) = std::sync::mpsc::channel();
        let out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if line.contains(r#""object":"sync""#) {
                    let _ = tx.send(());
                }
            }
        });
        synced.recv_timeout(HANG_GUARD).expect("nlwatch never synced");
        let serving = || {
            let start = Instant::now();
            loop {
                let (status, body) = raw_scrape();
                if status.as_deref() == Some("HTTP/1.1 200 OK") && body.contains("nlwatch_namespaces_watched 1") {
                    return;
                }
                assert!(child_alive(pid), "nlwatch ended");
                assert!(start.elapsed() < HANG_GUARD, "no scrape answered: {status:?}");
                std::thread::sleep(Duration::from_millis(50));
            }
        };
        wait_for_server();
        // prlimit runs nlwatch in its own place (exec): the PID is nlwatch's.
        assert_eq!(std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap().trim(), "nlwatch");
        serving();
        let idlers = Idlers::start(8);
        std::thread::sleep(Duration::from_millis(200));
        let before = cpu_seconds(pid);
        std::thread::sleep(Duration::from_secs(2));
        let used = cpu_seconds(pid) - before;
        idlers.stop();
        assert!(used < 0.5, "{used} s of CPU in 2 s with its descriptors used up");
        serving();
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid as i32), nix::sys::signal::Signal::SIGINT).unwrap();
        assert!(child.wait().unwrap().success());
    }
}

/// Whether process `pid` is still running (not gone, nor a zombie).
fn child_alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        !stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
    })
}

sandboxed_test! {
    /// Another user who can write the textfile directory plants a symlink
    /// where nlwatch's temporary file once was named (`PATH.PID.tmp`, the PID
    /// known in advance: here the shell's, which `exec` keeps) pointing at a
    /// file of root's: nlwatch, root here, writes its metrics through a file
    /// of its own, and the link's target keeps what it held.
    fn a_planted_symlink_at_the_metrics_file_temporary_is_not_followed() {
        let scratch = Scratch::new("metrics-symlink");
        let (file, victim) = (scratch.path("nlwatch.prom"), scratch.path("victim"));
        std::fs::write(&victim, "root's own\n").unwrap();
        let mut child = Command::new("sh")
            .args(["-c", r#"ln -s "$1" "$2.$$.tmp" && exec "$0" --metrics-file "$2" link"#, BIN])
            .args([&victim, &file])
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Written once before watching starts.
        let start = Instant::now();
        while !file.exists() {
            assert!(child.try_wait().unwrap().is_none(), "nlwatch ended");
            assert!(start.elapsed() < HANG_GUARD, "{} is never written", file.display());
            std::thread::sleep(Duration::from_millis(20));
        }
        let pid = nix::unistd::Pid::from_raw(child.id() as i32);
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).unwrap();
        assert!(child.wait().unwrap().success());
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "root's own\n");
        assert!(std::fs::symlink_metadata(&file).unwrap().file_type().is_file());
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.contains("nlwatch_namespaces_watched "), "{text}");
        let planted = scratch.path(&format!("nlwatch.prom.{}.tmp", child.id()));
        assert!(std::fs::symlink_metadata(&planted).unwrap().file_type().is_symlink());
    }
}

#[test]
fn metrics_options_are_refused_where_nothing_is_watched() {
    let out = Command::new(BIN)
        .args(["snapshot", "--metrics", ADDR])
        .output()
        .unwrap();
    // A usage error: `snapshot` has no such option.
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unexpected argument '--metrics'"));
    let out = Command::new(BIN)
        .args(["--metrics", "localhost"])
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "an address without a port is refused"
    );
}

sandboxed_test! {
    /// The library's `Monitor::metrics`: a link deleted with its address and
    /// routes counts the deletions nlwatch inferred as the synthesized events
    /// a subscriber received; a subscriber that never reads shows its full
    /// queue and what it lost, as `Subscription::dropped` says; once the
    /// namespace is removed its series are gone and the totals stay.
    fn the_library_counts_synthesized_deletions_and_subscriber_losses() {
        use nlwatch::{Action, Filter, Item, Monitor, Netns, ObjectKind, Origin, Overflow};
        ip("netns add lib");
        let monitor = Monitor::builder().build().unwrap();
        let sub = monitor.subscribe();
        let idle = monitor.subscribe_with_queue(Filter::new(), 2, Overflow::DropNewest);
        let handle = monitor.add_namespace(Netns::Named("lib".into())).unwrap();
        let mut items = Vec::new();
        let wait = |until: &dyn Fn(&Item) -> bool, items: &mut Vec<Item>| loop {
            let item = sub.recv_timeout(HANG_GUARD).expect("hang guard");
            let done = until(&item);
            items.push(item);
            if done {
                return;
            }
        };
        wait(&|i| matches!(i, Item::SyncDone { .. }), &mut items);
        for cmd in [
            "-n lib link add v0 type veth peer name w0",
            "-n lib link set v0 up",
            "-n lib link set w0 up",
            "-n lib addr add 10.3.0.1/24 dev v0",
            "-n lib route add 10.4.0.0/24 via 10.3.0.2",
            "-n lib link del v0",
        ] {
            ip(cmd);
        }
        // The link's own deletion is the last thing the kernel says.
        wait(
            &|i| matches!(i, Item::Event(e) if e.action == Action::Del
                && matches!(&e.object, nlwatch::Object::Link(l) if l.ifname.as_ref().is_some_and(|n| n.to_str() == Some("v0")))),
            &mut items,
        );
        // The counters are taken before an event is queued: the subscriber
        // may trail them, never lead. Read on to what they counted.
        let m = monitor.metrics();
        let counted = m.namespaces[0].counters.events_total();
        while (items.iter().filter(|i| matches!(i, Item::Event(_))).count() as u64) < counted {
            items.push(sub.recv_timeout(HANG_GUARD).expect("hang guard"));
        }
        let synthesized = items
            .iter()
            .filter(|i| matches!(i, Item::Event(e) if e.origin == Origin::Synthesized && e.action == Action::Del))
            .count();
        assert!(synthesized >= 1, "the route through v0 is deleted silently: {items:#?}");
        let events = |kind, action| {
            items
                .iter()
                .filter(|i| matches!(i, Item::Event(e) if e.object.kind() == kind && e.action == action))
                .count() as u64
        };
        // What the subscriber received is what was counted.
        assert_eq!((m.namespaces_watched, m.readers, m.namespaces.len()), (1, 1, 1));
        let ns = &m.namespaces[0];
        assert_eq!(ns.netns, *handle.tag());
        assert_eq!(ns.counters.synthesized_deletions, synthesized as u64);
        for kind in [ObjectKind::Link, ObjectKind::Address, ObjectKind::Route] {
            for action in [Action::New, Action::Del] {
                assert_eq!(ns.counters.events(kind, action), events(kind, action), "{kind:?} {action:?}");
            }
        }
        let published = items.iter().filter(|i| matches!(i, Item::Event(_))).count() as u64;
        assert_eq!(ns.counters.events_total(), published);
        assert_eq!(ns.counters.decode_errors + ns.counters.foreign_dropped + ns.counters.overruns, 0);
        assert!(ns.counters.messages >= ns.counters.datagrams && ns.counters.datagrams > 0);
        // The view: lo, w0 gone with its peer; its routes and addresses too.
        assert_eq!(ns.held(ObjectKind::Link), 1, "{ns:?}");
        let subs: Vec<_> = m.subscribers.iter().map(|s| (s.queued, s.capacity, s.dropped)).collect();
        // Subscriptions in order: `sub` (read), `idle` (never read: full, and
        // every item past the first two lost).
        // Every item `sub` received was offered to `idle` too (and maybe a
        // few `sub` has not received yet); `idle` counts on.
        let (queued, capacity, dropped) = subs[1];
        assert_eq!((queued, capacity), (2, 2));
        assert!(dropped >= items.len() as u64 - 2 && dropped <= idle.dropped(), "{dropped} of {}", items.len());
        assert_eq!(subs[0].2, 0);

        let before = m.total.clone();
        monitor.remove_namespace(&handle).unwrap();
        wait(&|i| matches!(i, Item::NamespaceGone { .. }), &mut items);
        let m = monitor.metrics();
        assert!(m.namespaces.is_empty(), "{m:?}");
        assert_eq!(m.namespaces_watched, 0);
        assert!(m.total.datagrams >= before.datagrams && m.total.events == before.events, "{m:?}");
        assert_eq!(m.total.synthesized_deletions, synthesized as u64);
        ip("netns del lib");
    }
}
