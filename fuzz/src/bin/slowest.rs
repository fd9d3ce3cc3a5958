//! Replays a corpus through a target's body and times each input:
//! `slowest TARGET DIR [RUNS [TOP]]`. Each input runs once to warm up, then
//! RUNS times (default 21); its time is the median of those runs. Prints the
//! number of inputs, the slowest median, the slowest single run and the TOP
//! (default 5) slowest inputs. Build it without sanitizers or coverage (`cargo build --release
//! --bin slowest`): it measures the code, not the instrumentation.

use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(name), Some(dir)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: slowest TARGET CORPUS_DIR [RUNS [TOP]]");
        std::process::exit(2);
    };
    let runs: usize = args.get(3).map_or(21, |r| r.parse().expect("RUNS"));
    let top: usize = args.get(4).map_or(5, |r| r.parse().expect("TOP"));
    let Some(&(_, body)) = nlwatch_fuzz::TARGETS.iter().find(|(n, _)| n == name) else {
        eprintln!("no target {name}");
        std::process::exit(2);
    };
    let mut times: Vec<(Duration, Duration, String)> = Vec::new();
    for entry in std::fs::read_dir(dir).expect("corpus directory") {
        let path = entry.expect("corpus entry").path();
        let data = std::fs::read(&path).expect("corpus file");
        body(&data);
        let mut each: Vec<Duration> = (0..runs)
            .map(|_| {
                let t = Instant::now();
                body(std::hint::black_box(&data));
                t.elapsed()
            })
            .collect();
        each.sort();
        let max = *each.last().unwrap_or(&Duration::ZERO);
        times.push((each[each.len() / 2], max, path.display().to_string()));
    }
    times.sort();
    let slowest_run = times.iter().map(|t| t.1).max().unwrap_or_default();
    println!(
        "{name}: {} inputs, slowest median {:.1} us, slowest single run {:.1} us ({runs} runs each)",
        times.len(),
        times.last().map_or(0.0, |t| t.0.as_secs_f64() * 1e6),
        slowest_run.as_secs_f64() * 1e6,
    );
    for (median, max, path) in times.iter().rev().take(top) {
        println!(
            "  {:.1} us median, {:.1} us max: {path}",
            median.as_secs_f64() * 1e6,
            max.as_secs_f64() * 1e6
        );
    }
}
