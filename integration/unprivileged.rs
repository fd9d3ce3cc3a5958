//! The sandbox's non-root path: as an unprivileged user, the harness builds its
//! namespaces with `unshare --user --map-root-user`. When the suite runs as root,
//! this test re-runs the library tests as `nobody` so that path is exercised too.

use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Output};

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { nix::libc::geteuid() == 0 }
}

/// Runs this test binary as `nobody` with `args` (and `env`), from a copy in a
/// directory `nobody` can read (the build directory may not be). `None` when
/// `setpriv` is missing, which fails under `CI=true`.
fn as_nobody(args: &[&str], env: &[(&str, &str)]) -> Option<Output> {
    let ci = std::env::var("CI").as_deref() == Ok("true");
    if Command::new("setpriv").arg("--version").output().is_err() {
        assert!(!ci, "setpriv (util-linux) is needed under CI=true");
        eprintln!("SKIPPED: setpriv not found; nothing ran as nobody");
        return None;
    }
    let dir = std::env::temp_dir().join(format!(
        "nlwatch-nobody-{}-{}",
        std::process::id(),
        args.join("_").replace([':', '/'], "_")
    ));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let exe = dir.join("integration-tests");
    std::fs::copy(std::env::current_exe().unwrap(), &exe).unwrap();
    std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(&exe)
        .args(args)
        .envs(env.iter().copied())
        .current_dir(&dir)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    Some(out)
}

#[test]
fn library_tests_pass_as_an_unprivileged_user() {
    if !is_root() {
        // Every sandboxed test of this run already took the user-namespace path.
        return;
    }
    let Some(out) = as_nobody(&["monitor::", "--test-threads=1", "--nocapture"], &[]) else {
        return;
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "as nobody: {}\n{stdout}\n{stderr}",
        out.status
    );
    let passed: usize = stdout
        .split("test result: ok. ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(
        passed > 0 && stdout.contains(" 0 failed"),
        "as nobody the library tests did not run and pass:\n{stdout}\n{stderr}"
    );
    if stderr.contains("SKIPPED") {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "user namespaces unavailable under CI=true: {stderr}"
        );
        eprintln!("SKIPPED as nobody: {stderr}");
    }
}

/// The unprivileged half of [`permission_errors_name_the_namespace`].
fn check_permission_errors() {
    assert!(!is_root(), "this half runs as nobody");
    let monitor = nlwatch::Monitor::builder().build().unwrap();
    monitor
        .add_namespace(nlwatch::Netns::Current)
        .expect("watching one's own namespace needs no privilege");
    // init's namespace: its /proc entry is not ours to open.
    let err = monitor
        .add_namespace(nlwatch::Netns::Pid(1))
        .expect_err("nobody cannot enter init's namespace");
    let errno = err.errno();
    assert!(
        errno == Some(nix::libc::EACCES) || errno == Some(nix::libc::EPERM),
        "{err:?}"
    );
    assert!(err.to_string().contains("\"pid:1\""), "{err}");
    assert_eq!(
        monitor.namespaces().len(),
        1,
        "the current one keeps running"
    );
}

/// As an unprivileged user outside any sandbox: the current namespace can be
/// watched (listening to rtnetlink needs no privilege), and a namespace the user
/// may not enter gives an error that names it and carries the errno. Nothing is
/// changed: the test only opens files and sockets.
#[test]
fn permission_errors_name_the_namespace() {
    if !is_root() {
        return check_permission_errors();
    }
    let Some(out) = as_nobody(
        &[
            "unprivileged::permission_errors_name_the_namespace",
            "--exact",
            "--nocapture",
        ],
        &[],
    ) else {
        return;
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "as nobody: {}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}
