//! Replay without printing: how fast [`Replay`] plays a recording through
//! decoding and the state view when nothing formats the events, so that the
//! CLI's `nlwatch replay FILE --json >/dev/null` (scripts/bench-replay.sh) can
//! be split into the pipeline and the printer.
//!
//!   cargo bench --bench replay -- FILE [MESSAGES] [RUNS]
//!
//! FILE: a recording (`nlwatch record`, e.g. the one `scripts/bench-burst.sh
//! --record --keep DIR` keeps); MESSAGES: the netlink messages it holds
//! (`scripts/pcapng-count.py FILE`, `messages`), to report messages per
//! second; RUNS: runs per mode (default 3, median reported). Two modes, each
//! `Replay::open(FILE).list_existing(true)` as the CLI's replay:
//!
//! - `no subscriber`: the events are made and published to nobody (decoding,
//!   state view, deletions inferred, the bus with no one on it);
//! - `counting sink`: one [`Sink`] that counts the items (as the CLI's
//!   printer is called, without formatting anything).
//!
//! Wall time on the monotonic clock; CPU time of the thread that runs the
//! replay (the main thread: `Replay::run` runs on its caller) from
//! `/proc/thread-self/schedstat`. Needs no privileges, touches no network.

use nlwatch::{recording::Replay, Filter, Flow, Item, Sink, SinkError};
use std::time::Instant;

struct Counting(u64);

impl Sink for Counting {
    fn item(&mut self, item: &Item) -> Result<Flow, SinkError> {
        if matches!(item, Item::Event(_)) {
            self.0 += 1;
        }
        Ok(Flow::Continue)
    }
}

/// Nanoseconds this thread has run.
fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[(v.len() - 1) / 2]
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let Some(file) = args.first() else {
        eprintln!("usage: cargo bench --bench replay -- FILE [MESSAGES] [RUNS]");
        std::process::exit(2);
    };
    let messages: Option<u64> = args.get(1).and_then(|a| a.parse().ok());
    let runs: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(3);
    println!("replay of {file}, {runs} runs per mode, median");
    println!();
    println!(
        "| mode | datagrams | events | wall (runs) | CPU | messages/s (wall) | messages/s (CPU) |"
    );
    println!("|---|---:|---:|---|---:|---:|---:|");
    for mode in ["no subscriber", "counting sink"] {
        let (mut walls, mut cpus) = (Vec::new(), Vec::new());
        let mut stats = None;
        for _ in 0..runs {
            let replay = Replay::open(file)
                .unwrap_or_else(|e| panic!("{file}: {e}"))
                .list_existing(true);
            if mode == "counting sink" {
                replay.add_sink(Filter::new(), Box::new(Counting(0)));
            }
            let (t0, c0) = (Instant::now(), thread_cpu_ns());
            let s = replay.run().unwrap_or_else(|e| panic!("{file}: {e}"));
            walls.push(t0.elapsed().as_secs_f64());
            cpus.push((thread_cpu_ns() - c0) as f64 / 1e9);
            stats = Some(s);
        }
        let stats = stats.expect("at least one run");
        let list = walls
            .iter()
            .map(|w| format!("{w:.3}"))
            .collect::<Vec<_>>()
            .join(", ");
        let (wall, cpu) = (median(&mut walls), median(&mut cpus));
        let rate = |t: f64| messages.map_or("-".to_string(), |m| format!("{:.0}", m as f64 / t));
        println!(
            "| {mode} | {} | {} | {wall:.3} s ({list}) | {cpu:.3} s | {} | {} |",
            stats.datagrams,
            stats.events,
            rate(wall),
            rate(cpu)
        );
    }
}
