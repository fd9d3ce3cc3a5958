//! Self-isolating test harness.
//!
//! A privileged test body never runs in the namespaces the test was started in.
//! [`sandboxed`] re-executes the test binary, filtered to that one test, through
//! `scripts/sandbox.sh`: `unshare --net --mount --propagation private --pid --fork
//! --mount-proc` (plus `--user --map-root-user` when not root) and a private tmpfs
//! on `/run`. The body runs in a fresh network namespace, a private mount namespace
//! and its own PID namespace, which all vanish with the process; every process it
//! starts dies with it. Nothing it does can reach the host's interfaces, addresses,
//! routes or `/run/netns`.
//!
//! When the sandbox cannot be made (no `unshare`, user namespaces disabled, ...),
//! the test fails under `CI=true` and otherwise prints a loud `SKIPPED` line.

use std::os::unix::fs::MetadataExt;
use std::process::{Command, Output, Stdio};

const ENV_INSIDE: &str = "NLWATCH_SANDBOX_TEST";
const ENV_PARENT_NETNS: &str = "NLWATCH_SANDBOX_PARENT_NETNS";

fn netns_inode() -> u64 {
    std::fs::metadata("/proc/self/ns/net")
        .expect("read /proc/self/ns/net")
        .ino()
}

/// How long one sandboxed test may run before it is killed and failed.
const SANDBOX_DEADLINE_SECS: &str = "300";

/// The wrapper that builds the sandbox; shared with people trying things by hand.
const WRAPPER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/sandbox.sh");

/// Whether this machine lets us build the sandbox; `Err` says why not.
fn can_isolate() -> Result<(), String> {
    let out = Command::new(WRAPPER)
        .arg("true")
        .output()
        .map_err(|e| format!("cannot run {WRAPPER}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{WRAPPER} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Runs `body` inside a fresh network + mount namespace.
///
/// `test_path` is the libtest name of the calling test (`module::name`), used to
/// re-run exactly that test inside the sandbox.
pub fn sandboxed(test_path: &str, body: impl FnOnce()) {
    if std::env::var(ENV_INSIDE).as_deref() == Ok(test_path) {
        // Inside: refuse to go on unless the namespace really is a new one.
        let parent: u64 = std::env::var(ENV_PARENT_NETNS)
            .expect("parent netns inode")
            .parse()
            .expect("parent netns inode is a number");
        assert_ne!(
            netns_inode(),
            parent,
            "sandbox is not a new network namespace; refusing to touch the host"
        );
        // The wrapper mounted a private tmpfs on /run: `ip netns add` files must not
        // land in the host's /run, even as empty files.
        assert_eq!(std::env::var("NLWATCH_IN_SANDBOX").as_deref(), Ok("1"));
        body();
        return;
    }
    if let Err(why) = can_isolate() {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("{test_path}: cannot isolate the test under CI=true: {why}");
        }
        eprintln!("SKIPPED {test_path}: cannot isolate the test ({why})");
        return;
    }
    let exe = std::env::current_exe().expect("current test binary");
    // A hung test must fail, not hold CI until its deadline: `timeout` ends the
    // sandbox (the wrapper's unshare --kill-child takes everything in it along).
    let out = Command::new("timeout")
        .args(["--kill-after=10", SANDBOX_DEADLINE_SECS, WRAPPER])
        .arg(exe)
        .args([test_path, "--exact", "--nocapture", "--test-threads=1"])
        .env(ENV_INSIDE, test_path)
        .env(ENV_PARENT_NETNS, netns_inode().to_string())
        .stdin(Stdio::null())
        .output()
        .expect("run the sandboxed test");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "sandboxed {test_path} failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        out.status
    );
    // The child must really have run the one test, not matched nothing.
    assert!(
        stdout.contains("1 passed"),
        "sandboxed {test_path} did not run:\n{stdout}\n{stderr}"
    );
}

/// Declares a test whose body runs in its own network and mount namespace.
#[macro_export]
macro_rules! sandboxed_test {
    ($(#[$meta:meta])* fn $name:ident() $body:block) => {
        $(#[$meta])*
        #[test]
        fn $name() {
            let path = concat!(module_path!(), "::", stringify!($name));
            // Strip the crate name: libtest names tests from the crate root.
            let path = path.split_once("::").map_or(path, |(_, rest)| rest);
            $crate::sandbox::sandboxed(path, || $body);
        }
    };
}

/// Runs a command inside the sandbox and panics with its output if it fails.
pub fn run(cmd: &str, args: &[&str]) -> Output {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd}: {e}"));
    assert!(
        out.status.success(),
        "{cmd} {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs `ip` with `args` (split on spaces).
pub fn ip(args: &str) {
    run("ip", &args.split_whitespace().collect::<Vec<_>>());
}

/// `ip -j` output, parsed.
pub fn ip_json(args: &str) -> serde_json::Value {
    let mut all = vec!["-j"];
    all.extend(args.split_whitespace());
    let out = run("ip", &all);
    serde_json::from_slice(&out.stdout).expect("ip -j prints JSON")
}

/// The ifindex the kernel gave `dev`.
pub fn ifindex(dev: &str) -> u32 {
    let v = ip_json(&format!("link show dev {dev}"));
    v[0]["ifindex"].as_u64().expect("ifindex") as u32
}

/// Runs `ip` with raw byte arguments (names that are not UTF-8) and panics with
/// its output if it fails.
pub fn ip_raw(args: &[&[u8]]) {
    use std::os::unix::ffi::OsStrExt;
    let out = Command::new("ip")
        .args(args.iter().map(|a| std::ffi::OsStr::from_bytes(a)))
        .output()
        .expect("run ip");
    assert!(
        out.status.success(),
        "ip {:?} failed: {}",
        args.iter()
            .map(|a| a.escape_ascii().to_string())
            .collect::<Vec<_>>(),
        String::from_utf8_lossy(&out.stderr)
    );
}
