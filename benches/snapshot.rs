//! Snapshot stall: how long a snapshot of a namespace holding 100,000 routes
//! holds up its reader (and so every namespace that reader watches) while a
//! burst of changes runs in the same namespace.
//!
//! Runs itself inside `scripts/sandbox.sh`. Side by side in one run: snapshots
//! copied in bounded steps (the default) and copied in one hold of the reader's
//! lock (what nlwatch did before, `snapshot_step(usize::MAX)`). Reports the
//! longest the reader waited for its lock (`Monitor::longest_reader_wait`), and
//! each snapshot's duration and size; checks every snapshot holds the 100,000
//! routes that do not change.
//!
//!   cargo bench --features bench --bench snapshot [-- ROUTES]
//!
//! The reader's wait includes any time the snapshotting thread is preempted
//! while it holds the lock: on a loaded machine, run it as
//! `chrt -f 10 target/release/deps/snapshot-*` (or with the machine idle) to
//! see the design's stall rather than the scheduler's.

mod common;

use nlwatch::{Monitor, Netns, ObjectKind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// `/32` routes on `s0`: `first` octet, then `n` addresses counted from 0.
fn routes(cmd: &str, first: u8, n: usize) -> impl Iterator<Item = String> + '_ {
    (0..n).map(move |i| {
        format!(
            "route {cmd} {first}.{}.{}.{}/32 dev s0",
            (i >> 16) & 255,
            (i >> 8) & 255,
            i & 255
        )
    })
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(100_000);
    common::enter_sandbox(&[n.to_string()]);
    common::ip_batch(
        [
            "link add s0 type veth peer name s1",
            "link set s0 up",
            "link set s1 up",
        ]
        .map(String::from),
    );
    let t = Instant::now();
    common::ip_batch(routes("add", 20, n));
    eprintln!("{n} routes made in {:.1} s", t.elapsed().as_secs_f64());
    const BURST: usize = 20_000;
    println!("routes held {n}; burst: {BURST} routes added then deleted, in the same namespace");
    println!(
        "{:<22} {:>10} {:>10} {:>10} {:>10} {:>12}",
        "snapshots copied", "count", "min ms", "median ms", "max ms", "reader wait"
    );
    for (label, step) in [
        ("in steps (default)", None),
        ("in one hold (before)", Some(usize::MAX)),
    ] {
        let mut builder = Monitor::builder()
            .readers(1)
            .objects([ObjectKind::Link, ObjectKind::Route]);
        if let Some(step) = step {
            builder = builder.snapshot_step(step);
        }
        let monitor = builder.build().unwrap();
        let handle = monitor.add_namespace(Netns::Current).unwrap();
        // Wait until the initial dump is in the view.
        loop {
            let s = monitor.snapshot(handle.tag()).unwrap();
            if s.synced && s.routes.len() >= n {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let before = monitor.longest_reader_wait();
        let done = Arc::new(AtomicBool::new(false));
        let burst = {
            let done = done.clone();
            std::thread::spawn(move || {
                common::ip_batch(routes("add", 30, BURST));
                common::ip_batch(routes("del", 30, BURST));
                done.store(true, Ordering::SeqCst);
            })
        };
        let mut took = Vec::new();
        while !done.load(Ordering::SeqCst) {
            let t = Instant::now();
            let s = monitor.snapshot(handle.tag()).unwrap();
            took.push(t.elapsed());
            let held = s
                .routes
                .iter()
                .filter(|r| matches!(r.dst, Some(std::net::IpAddr::V4(a)) if a.octets()[0] == 20))
                .count();
            assert_eq!(held, n, "a snapshot lost routes that never changed");
            // A consumer taking snapshots now and then, not back to back.
            std::thread::sleep(Duration::from_millis(10));
        }
        burst.join().unwrap();
        took.sort();
        let wait = monitor.longest_reader_wait();
        println!(
            "{label:<22} {:>10} {:>10.2} {:>10.2} {:>10.2} {:>9.3} ms",
            took.len(),
            ms(took[0]),
            ms(took[took.len() / 2]),
            ms(*took.last().unwrap()),
            ms(wait)
        );
        eprintln!("  (reader wait before the burst: {:.3} ms)", ms(before));
        let stats = &monitor.namespaces()[0];
        eprintln!(
            "  overruns {}, resyncs {}, decode errors {}",
            stats.counters.overruns, stats.counters.resyncs, stats.counters.decode_errors
        );
        monitor.shutdown();
    }
}
