//! The CLI's filters (`--dev`, `--family`, `--table`, `--action`), labels,
//! per-subcommand options and help, and the generated completions and manual
//! pages, run as a user would. Each filter test makes changes the filter must
//! drop among those it must keep, and ends on a kept one: every line before it
//! was printed by the same run.

use crate::cli::{lines, terminate, until, wait_for_listener, BIN};
use crate::sandbox::ip;
use crate::sandboxed_test;
use nix::sys::signal::Signal;
use serde_json::Value;
use std::process::{Command, Stdio};

/// Starts `nlwatch ARGS`, waits until it listens, runs `changes`, and returns
/// its lines up to the first for which `last` holds, as JSON.
fn watch_json(args: &[&str], changes: impl FnOnce(), last: impl Fn(&Value) -> bool) -> Vec<Value> {
    let mut child = Command::new(BIN)
        .args(args)
        .arg("--json")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_listener(&mut child);
    let rx = lines(&mut child);
    changes();
    let got = until(&rx, |l| last(&serde_json::from_str(l).unwrap()));
    let status = terminate(child, Signal::SIGTERM);
    assert!(status.success(), "{status}");
    got.iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The device a line names: `dev`, `ifname` (a link's own, an address's) or
/// `interface` (netconf).
fn device(v: &Value) -> Option<&str> {
    ["dev", "ifname", "interface"]
        .iter()
        .find_map(|k| v.get(*k))
        .and_then(Value::as_str)
}

sandboxed_test! {
    fn dev_keeps_the_links_objects_and_what_goes_with_its_deletion() {
        let got = watch_json(
            &["--dev", "veth0", "--dev", "br*"],
            || {
                ip("link add veth0 type veth peer name veth1");
                ip("link add br0 type bridge");
                ip("link set veth0 up");
                ip("link set veth1 up");
                ip("addr add 10.1.0.1/24 dev veth0");
                ip("addr add 10.2.0.1/24 dev veth1");
                ip("addr add 10.3.0.1/24 dev br0");
                ip("route add 10.9.0.0/16 via 10.1.0.2 dev veth0");
                ip("link del veth0");
            },
            |v| v["object"] == "link" && v["action"] == "del" && v["ifname"] == "veth0",
        );
        let names: Vec<_> = got.iter().map(device).collect();
        assert!(names.iter().all(|n| matches!(n, Some("veth0" | "br0"))), "{names:?}");
        let has = |f: &dyn Fn(&Value) -> bool| got.iter().any(f);
        assert!(has(&|v| v["object"] == "addr" && v["local"] == "10.1.0.1" && v["action"] == "new"));
        assert!(has(&|v| v["object"] == "addr" && v["local"] == "10.3.0.1"), "the glob br*");
        // What the kernel removed with the link, announced or not.
        assert!(has(&|v| v["object"] == "addr" && v["local"] == "10.1.0.1" && v["action"] == "del"));
        assert!(has(&|v| v["object"] == "route" && v["dst"] == "10.9.0.0/16" && v["action"] == "del"));
        assert!(!has(&|v| v["local"] == "10.2.0.1"), "veth1's address is not asked for");
    }
}

sandboxed_test! {
    fn family_keeps_one_family_and_the_objects_without_one() {
        let got = watch_json(
            &["--family", "inet6", "link", "addr"],
            || {
                ip("link add veth0 type veth peer name veth1");
                ip("addr add 10.1.0.1/24 dev veth0");
                ip("addr add 2001:db8::1/64 dev veth0 nodad");
                ip("addr del 10.1.0.1/24 dev veth0");
                ip("addr del 2001:db8::1/64 dev veth0");
            },
            |v| v["object"] == "addr" && v["action"] == "del" && v["local"] == "2001:db8::1",
        );
        let addrs: Vec<_> = got.iter().filter(|v| v["object"] == "addr").collect();
        assert_eq!(addrs.len(), 2, "{addrs:#?}");
        assert!(addrs.iter().all(|v| v["family"] == "inet6"));
        assert!(got.iter().any(|v| v["object"] == "link" && v["ifname"] == "veth0"), "links have no family: kept");
    }
}

sandboxed_test! {
    fn table_keeps_the_routes_of_one_table() {
        let got = watch_json(
            &["--table", "100", "route"],
            || {
                ip("link add veth0 type veth peer name veth1");
                ip("link set veth0 up");
                ip("route add 10.8.0.0/16 dev veth0");
                ip("route add 10.7.0.0/16 dev veth0 table 100");
                ip("route add 10.6.0.0/16 dev veth0 table 101");
                ip("route del 10.7.0.0/16 dev veth0 table 100");
            },
            |v| v["action"] == "del" && v["dst"] == "10.7.0.0/16",
        );
        assert_eq!(got.len(), 2, "{got:#?}");
        assert!(got.iter().all(|v| v["table"] == "100"));
        let main = watch_json(
            &["--table", "main", "route"],
            || ip("route add 10.5.0.0/16 dev veth0"),
            |v| v["dst"] == "10.5.0.0/16",
        );
        // Without `-d` a line leaves the main table out, as `ip -j` does.
        assert!(main.iter().all(|v| v.get("table").is_none()), "{main:#?}");
    }
}

sandboxed_test! {
    fn action_keeps_one_action() {
        let got = watch_json(
            &["--action", "del", "addr"],
            || {
                ip("link add veth0 type veth peer name veth1");
                for i in 1..=3 {
                    ip(&format!("addr add 10.1.0.{i}/24 dev veth0"));
                }
                ip("addr del 10.1.0.3/24 dev veth0");
                ip("addr del 10.1.0.2/24 dev veth0");
            },
            |v| v["local"] == "10.1.0.2",
        );
        let locals: Vec<_> = got.iter().map(|v| (v["action"].as_str(), v["local"].as_str())).collect();
        assert_eq!(locals, [(Some("del"), Some("10.1.0.3")), (Some("del"), Some("10.1.0.2"))]);
    }
}

sandboxed_test! {
    fn text_lines_carry_their_label_unless_no_label() {
        for (flag, prefix) in [(None, "[addr] new "), (Some("--label"), "[addr] new "), (Some("--no-label"), "new ")] {
            let mut child = Command::new(BIN);
            child.arg("addr").stdout(Stdio::piped());
            if let Some(flag) = flag {
                child.arg(flag);
            }
            let mut child = child.spawn().unwrap();
            wait_for_listener(&mut child);
            let rx = lines(&mut child);
            ip("link add veth0 type veth peer name veth1");
            ip("addr add 10.1.0.1/24 dev veth0");
            let got = until(&rx, |l| l.contains("10.1.0.1"));
            assert!(got.last().unwrap().starts_with(prefix), "{flag:?}: {got:#?}");
            assert!(got.last().unwrap().contains(": veth0 inet 10.1.0.1/24 scope global"), "{got:#?}");
            terminate(child, Signal::SIGTERM);
            ip("link del veth0");
        }
    }
}

sandboxed_test! {
    fn snapshot_takes_the_same_filters() {
        ip("link add veth0 type veth peer name veth1");
        ip("addr add 10.1.0.1/24 dev veth0");
        ip("addr add 2001:db8::1/64 dev veth0 nodad");
        ip("addr add 10.2.0.1/24 dev veth1");
        let out = Command::new(BIN)
            .args(["snapshot", "--json", "--dev", "veth0", "--family", "inet", "addr"])
            .output()
            .unwrap();
        assert!(out.status.success());
        let got: Vec<Value> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let locals: Vec<_> = got.iter().map(|v| v["local"].as_str().unwrap()).collect();
        assert_eq!(locals, ["10.1.0.1"]);
    }
}

/// `nlwatch ARGS`'s exit status and standard output and error.
fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN).args(args).output().unwrap();
    let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
    (
        out.status.code().unwrap_or(-1),
        text(out.stdout),
        text(out.stderr),
    )
}

/// The long options a help text lists.
fn options(help: &str) -> Vec<String> {
    help.split_whitespace()
        .filter(|w| w.starts_with("--"))
        .map(|w| w.trim_end_matches(',').to_string())
        .collect()
}

#[test]
fn each_subcommand_lists_only_its_own_options() {
    let cases: [(&[&str], &[&str], &[&str]); 4] = [
        (
            &[],
            &[
                "--json",
                "--timestamp",
                "--dump",
                "--dev",
                "--family",
                "--table",
                "--action",
                "--no-label",
                "--netns",
                "--batch-window",
                "--record",
                "--metrics",
            ],
            &[],
        ),
        (
            &["snapshot"],
            &[
                "--json",
                "--dev",
                "--family",
                "--table",
                "--no-label",
                "--netns",
                "--all-netns",
            ],
            &[
                "--batch-window",
                "--rcvbuf",
                "--dump",
                "--timestamp",
                "--record",
                "--metrics",
                "--action",
            ],
        ),
        (
            &["record"],
            &["--netns", "--rcvbuf", "--batch-window", "--metrics"],
            &[
                "--json",
                "--dev",
                "--family",
                "--dump",
                "--no-label",
                "--record",
            ],
        ),
        (
            &["replay"],
            &[
                "--json",
                "--timestamp",
                "--dump",
                "--dev",
                "--family",
                "--table",
                "--action",
                "--no-label",
            ],
            &[
                "--netns",
                "--all-netns",
                "--rcvbuf",
                "--batch-window",
                "--metrics",
                "--record",
            ],
        ),
    ];
    for (sub, has, lacks) in cases {
        let mut args = sub.to_vec();
        args.push("--help");
        let (code, help, _) = run(&args);
        assert_eq!(code, 0);
        let opts = options(&help);
        for o in has {
            assert!(
                opts.iter().any(|x| x == o),
                "{sub:?} --help lacks {o}:\n{help}"
            );
        }
        for o in lacks {
            assert!(
                !opts.iter().any(|x| x == o),
                "{sub:?} --help lists {o}:\n{help}"
            );
        }
    }
}

#[test]
fn an_option_of_another_command_is_a_usage_error() {
    for args in [
        &["snapshot", "--batch-window", "5"][..],
        &["snapshot", "--dump"],
        &["snapshot", "--action", "del"],
        &["snapshot", "--record", "x.pcapng"],
        &["replay", "x.pcapng", "--netns", "a"],
        &["record", "x.pcapng", "--json"],
        &["--family", "mpls"],
        &["--action", "change"],
        &["--table", "main2"],
    ] {
        let (code, out, err) = run(args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(err.contains("error:"), "{args:?}: {err}");
        assert!(out.is_empty());
    }
}

#[test]
fn completions_and_manual_pages_come_from_the_parser() {
    let (code, bash, _) = run(&["completions", "bash"]);
    assert_eq!(code, 0);
    assert!(
        bash.contains("_nlwatch()") && bash.contains("--dev") && bash.contains("snapshot"),
        "{bash}"
    );
    for (shell, marker) in [
        ("zsh", "#compdef nlwatch"),
        ("fish", "complete -c nlwatch"),
        ("elvish", "nlwatch"),
        ("powershell", "nlwatch"),
    ] {
        let (code, out, _) = run(&["completions", shell]);
        assert_eq!(code, 0, "{shell}");
        assert!(
            out.contains(marker) && out.contains("no-label"),
            "{shell}: {out}"
        );
    }
    assert_eq!(run(&["completions", "tcsh"]).0, 2);
    let (code, page, _) = run(&["manpage"]);
    assert_eq!(code, 0);
    assert!(
        page.contains(".TH nlwatch 1") && page.contains("\\-\\-dev"),
        "{page}"
    );
    let dir = std::env::temp_dir().join(format!("nlwatch-man-{}", std::process::id()));
    let (code, _, err) = run(&["manpage", "--dir", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let mut pages: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    pages.sort();
    assert_eq!(
        pages,
        [
            "nlwatch-completions.1",
            "nlwatch-manpage.1",
            "nlwatch-record.1",
            "nlwatch-replay.1",
            "nlwatch-snapshot.1",
            "nlwatch-wait.1",
            "nlwatch.1"
        ]
    );
    let snapshot = std::fs::read_to_string(dir.join("nlwatch-snapshot.1")).unwrap();
    assert!(snapshot.contains(".TH nlwatch-snapshot 1") && snapshot.contains("\\-\\-family"));
    assert!(!snapshot.contains("batch\\-window"));
    std::fs::remove_dir_all(&dir).unwrap();
}

sandboxed_test! {
    /// A name that is not UTF-8 is a fine `--dev` (matched in its lossy form,
    /// as the library matches names), also with `--record`, whose file notes
    /// the command line: that used to panic in `std::env::args`.
    fn dev_takes_a_name_that_is_not_utf8_also_when_recording() {
        use std::os::unix::ffi::OsStrExt;
        let name = std::ffi::OsStr::from_bytes(b"ev\xffil");
        let file = std::env::temp_dir().join(format!("nlwatch-dev-{}.pcapng", std::process::id()));
        let mut child = Command::new(BIN)
            .arg("--dev")
            .arg(name)
            .arg("--record")
            .arg(&file)
            .arg("addr")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        wait_for_listener(&mut child);
        let rx = lines(&mut child);
        crate::sandbox::ip_raw(&[b"link", b"add", b"ev\xffil", b"type", b"veth", b"peer", b"name", b"other"]);
        ip("addr add 10.4.0.2/24 dev other");
        crate::sandbox::ip_raw(&[b"addr", b"add", b"10.4.0.1/24", b"dev", b"ev\xffil"]);
        let got = until(&rx, |l| l.contains("10.4.0.1"));
        assert!(got.iter().all(|l| !l.contains("10.4.0.2")), "{got:#?}");
        assert!(got.last().unwrap().starts_with("[addr] new") && got.last().unwrap().contains("ev\\xffil"), "{got:#?}");
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), Signal::SIGTERM).unwrap();
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(err.contains("recorded"), "{err}");
        std::fs::remove_file(&file).unwrap();
    }
}
