//! What the privileged benchmarks share: running themselves inside
//! `scripts/sandbox.sh` (fresh network, mount and PID namespaces, private
//! /run), so that nothing they do reaches this machine's network, and feeding
//! `ip -batch`.

#![allow(dead_code)] // each bench uses part of it

use std::io::Write;
use std::process::{Command, Stdio};

/// Unless already inside the sandbox, runs this benchmark again inside it with
/// `args` and exits with its status.
pub fn enter_sandbox(args: &[String]) {
    if std::env::var("NLWATCH_IN_SANDBOX").is_ok() {
        return;
    }
    let wrapper = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/sandbox.sh");
    let status = Command::new(wrapper)
        .arg(std::env::current_exe().unwrap())
        .args(args)
        .status()
        .expect("run the sandbox");
    std::process::exit(status.code().unwrap_or(1));
}

/// Runs `ip -batch -` on `lines` and panics if it fails.
pub fn ip_batch(lines: impl IntoIterator<Item = String>) {
    run_batch(&[], lines)
}

/// Runs `ip -n NETNS -batch -` on `lines` and panics if it fails.
pub fn ip_batch_in(netns: &str, lines: impl IntoIterator<Item = String>) {
    run_batch(&["-n", netns], lines)
}

fn run_batch(options: &[&str], lines: impl IntoIterator<Item = String>) {
    let mut batch = Command::new("ip")
        .args(options)
        .args(["-batch", "-"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    {
        let mut stdin = std::io::BufWriter::new(batch.stdin.take().unwrap());
        for line in lines {
            writeln!(stdin, "{line}").unwrap();
        }
    }
    assert!(batch.wait().unwrap().success(), "ip -batch failed");
}

/// A field of `/proc/self/status`, in KiB.
pub fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}
