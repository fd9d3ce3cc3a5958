//! Every kind's lines, one pattern for all: objects written as text lines and
//! JSON lines (through the JSON writer, and with the feature `serde` through
//! serde too, which must agree), compared with recorded lines.
//!
//! Each object is written plain, then with the details (`nlwatch -d`) on a
//! line of its own starting `-d ` where that differs.
//!
//! - `fixtures.txt`: every message of every fixture the kernel sent
//!   (`src/wire/fixtures/*.bin`, made by `scripts/capture-fixtures.py`),
//!   decoded and written. A new kind brings fixtures; its lines are recorded
//!   with `NLWATCH_BLESS=1 cargo test --all-features golden` (review the
//!   diff: each line is checked by hand against `ip -j -d` / `ip monitor`,
//!   which `integration/json_schema.rs` also checks on the kernel), and
//!   `every_kind_has_recorded_lines` fails until it has.
//! - `constructed.txt`: events built field by field (`constructed.rs`), so
//!   that every field and naming branch of the JSON line is written at least
//!   once, whatever the fixtures hold.
//!
//! This module only reads and compares; it writes a file only when blessing.

use crate::object::{Event, Name, NetnsTag, ObjectKind, Origin};
use crate::output::json::line_both_ways;
use crate::output::write_text;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

fn here(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(file)
}

/// Interface names the fixtures' objects are printed with (those the
/// decoder tests give them).
fn fixture_name(ifindex: u32) -> Option<Name> {
    match ifindex {
        7 => Some(Name::from("vx0")),
        8 => Some(Name::from("nh0")),
        _ => None,
    }
}

/// `got` against the recorded file; with `NLWATCH_BLESS=1`, records it.
fn compare(file: &str, got: &str) {
    let path = here(file);
    if std::env::var_os("NLWATCH_BLESS").is_some() {
        std::fs::write(&path, got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_default();
    if want != got {
        let first = want
            .lines()
            .zip(got.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(want.lines().count().min(got.lines().count()));
        panic!(
            "{file} differs at line {}:\n  recorded: {:?}\n  written:  {:?}\n\
             (NLWATCH_BLESS=1 records what is written; review the diff)",
            first + 1,
            want.lines().nth(first),
            got.lines().nth(first)
        );
    }
}

/// `ev`'s text line and JSON line, plain and then with the details where
/// they differ.
fn write_both_forms(out: &mut String, ev: &Event, names: &dyn crate::output::IfNames) {
    let text = |details| {
        let mut text = String::new();
        write_text(&mut text, &ev.object, ev.action, names, details).unwrap();
        text.trim_end().to_string()
    };
    let (plain, detailed) = (text(false), text(true));
    writeln!(out, "{plain}").unwrap();
    if detailed != plain {
        writeln!(out, "-d {detailed}").unwrap();
    }
    let (plain, detailed) = (
        line_both_ways(ev, names, false),
        line_both_ways(ev, names, true),
    );
    writeln!(out, "{plain}").unwrap();
    if detailed != plain {
        writeln!(out, "-d {detailed}").unwrap();
    }
}

/// Every fixture's objects, by fixture name (sorted): the kinds they are and
/// the recorded text.
fn fixture_lines() -> (String, BTreeSet<ObjectKind>) {
    let mut files: Vec<PathBuf> = std::fs::read_dir(here("src/wire/fixtures"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "bin"))
        .collect();
    files.sort();
    let mut out = String::new();
    let mut kinds = BTreeSet::new();
    for path in files {
        let bytes = std::fs::read(&path).unwrap();
        writeln!(out, "== {}", path.file_stem().unwrap().to_string_lossy()).unwrap();
        for decoded in crate::object::decode_tests::objects_of(&bytes) {
            // A message that decodes to no object (an error, a malformed
            // one) is recorded as such.
            let (action, object, skipped) = match decoded {
                Ok(d) => d,
                Err(e) => {
                    writeln!(out, "error: {e}").unwrap();
                    continue;
                }
            };
            if skipped > 0 {
                writeln!(out, "skipped attributes: {skipped}").unwrap();
            }
            kinds.insert(object.kind());
            let event = Event {
                netns: NetnsTag::default(),
                seq: 1,
                timestamp: SystemTime::UNIX_EPOCH,
                action,
                origin: Origin::Live,
                ifname: object.ifindex().and_then(fixture_name),
                object,
            };
            write_both_forms(&mut out, &event, &fixture_name);
        }
    }
    (out, kinds)
}

/// The kernel's messages, written as text and JSON lines, as recorded.
#[test]
fn every_fixture_writes_its_recorded_lines() {
    compare("src/output/golden/fixtures.txt", &fixture_lines().0);
}

/// No kind goes without recorded lines: a new kind's fixtures come with it.
#[test]
fn every_kind_has_recorded_lines() {
    let (_, kinds) = fixture_lines();
    let missing: Vec<_> = ObjectKind::ALL
        .iter()
        .filter(|k| !kinds.contains(k))
        .map(|k| k.as_str())
        .collect();
    assert!(missing.is_empty(), "kinds without fixtures: {missing:?}");
}

/// Every field and naming branch, against `constructed.txt`: lines
/// recorded with the serde_json code this module replaced, so neither path may
/// drift from the published format. (Written by hand since: the first line's
/// backslash, doubled when names became bytes, and the last line, names that
/// are not UTF-8.)
#[test]
fn constructed_events_write_their_recorded_lines() {
    use crate as crate_root;
    let events: Vec<Event> = include!("constructed.rs");
    let names = |i: u32| match i {
        4 => Some(Name::from("br\"0")),
        2 => Some(Name::from("peer")),
        3 => Some(Name::from("x")),
        _ => None,
    };
    let mut out = String::new();
    for ev in &events {
        write_both_forms(&mut out, ev, &names);
    }
    compare("src/output/golden/constructed.txt", &out);
}
