//! The bodies of the fuzz targets, one function per target (`fuzz_targets/`
//! holds one line each that calls it; `slowest` calls them to time a corpus).
//!
//! Every body calls every accessor of what it reaches and panics when a
//! property that must hold does not; a panic, an abort or a hang is a finding.

use nlwatch::output::{write_text, JsonEvent, JsonLine};
use nlwatch::wire::consts::{
    RTM_DELADDR, RTM_DELLINK, RTM_DELNEIGH, RTM_DELROUTE, RTM_GETADDR, RTM_GETLINK, RTM_GETNEIGH,
    RTM_GETROUTE, RTM_NEWADDR, RTM_NEWLINK, RTM_NEWNEIGH, RTM_NEWROUTE,
};
use nlwatch::wire::{
    align, AddressMessage, Attrs, Header, LinkMessage, Message, Messages, MultipathHops,
    NeighbourMessage, NlMsg, RouteMessage,
};
use nlwatch::{objects::Name, Action, Event, NetnsTag, Object, Origin};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// Nesting followed by [`walk`] at most (each level is bounded by its parent's
/// bytes, so the work stays linear in the input for each level).
const DEPTH: u32 = 3;

/// The header iterator: every message of a datagram, every header accessor,
/// and what `parse` makes of it.
pub fn wire_messages(data: &[u8]) {
    let peeked = Header::peek(data);
    assert_eq!(peeked.is_some(), data.len() >= 16);
    let mut msgs = Messages::new(data);
    let mut consumed = 0usize;
    for m in msgs.by_ref() {
        match m {
            Ok(msg) => {
                let len = msg.len();
                assert!(
                    len >= 16 && consumed + len <= data.len(),
                    "{len} at {consumed}"
                );
                assert_eq!(msg.as_bytes(), &data[consumed..consumed + len]);
                assert_eq!(msg.payload().len(), len - 16);
                assert!(!msg.is_empty());
                let _ = (msg.kind(), msg.flags(), msg.seq(), msg.portid());
                let _ = (msg.is_multi(), msg.is_dump_interrupted());
                parsed(&msg);
                consumed = (consumed + align(len)).min(data.len());
            }
            Err(e) => {
                let _ = e.to_string();
            }
        }
    }
    assert!(msgs.next().is_none(), "the iterator is fused");
}

/// What `NlMsg::parse` gives, every view walked.
fn parsed(msg: &NlMsg<'_>) {
    match msg.parse() {
        Ok(Message::Error(e)) => {
            let _ = (e.code(), e.is_ack(), e.request_kind(), e.request_seq());
            assert_eq!(e.errno().is_none(), e.is_ack());
            // The kernel sends 0 or a negative errno; a positive code is not
            // netlink (its `errno` is then negative, see RELIABILITY.md).
            assert!(e.code() >= 0 || e.errno().is_some_and(|n| n > 0));
            assert_eq!(e.message().len(), msg.len());
        }
        Ok(Message::Link(v)) => link(&v),
        Ok(Message::Address(v)) => addr(&v),
        Ok(Message::Route(v)) => route(&v),
        Ok(Message::Neighbour(v)) => neigh(&v),
        Ok(other) => {
            let _ = format!("{other:?}");
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
}

/// `data` as one message of one of `types` (chosen by the input), its
/// `nlmsg_len` made the input's length: the fuzzer spends its time on the
/// payload (the header walk has its own target).
fn as_message(data: &[u8], types: &[u16]) -> Vec<u8> {
    let mut buf = data.to_vec();
    if buf.len() >= 16 {
        let len = buf.len() as u32;
        buf[0..4].copy_from_slice(&len.to_ne_bytes());
        if !types.is_empty() {
            let t = types[usize::from(buf[4]) % types.len()];
            buf[4..6].copy_from_slice(&t.to_ne_bytes());
        }
    }
    buf
}

/// Every accessor of every attribute, nested ones followed to [`DEPTH`].
fn walk(attrs: Attrs<'_>, depth: u32) {
    let mut attrs = attrs;
    for a in attrs.by_ref() {
        let Ok(a) = a else { continue };
        let n = a.payload().len();
        let _ = (a.kind(), a.is_nested_flag());
        assert_eq!(a.u8().is_ok(), n == 1);
        assert_eq!(a.u16().is_ok(), n == 2);
        assert_eq!(a.u32().is_ok(), n == 4);
        assert_eq!(a.i32().is_ok(), n == 4);
        assert_eq!(a.u64().is_ok(), n == 8);
        assert_eq!(a.ip().is_ok(), n == 4 || n == 16);
        if let Ok(s) = a.str() {
            assert!(s.len() <= n && !s.contains('\0'));
        }
        if depth < DEPTH {
            walk(a.nested(), depth + 1);
        }
    }
    assert!(attrs.next().is_none(), "the attribute walk is fused");
}

fn link(v: &LinkMessage<'_>) {
    let _ = (v.family(), v.link_type(), v.index(), v.flags(), v.change());
    assert!(v.message().len() >= 16 + 16);
    walk(v.attrs(), 0);
}

fn addr(v: &AddressMessage<'_>) {
    let _ = (v.family(), v.prefix_len(), v.flags(), v.scope(), v.index());
    assert!(v.message().len() >= 16 + 8);
    walk(v.attrs(), 0);
}

fn route(v: &RouteMessage<'_>) {
    let _ = (v.family(), v.dst_len(), v.src_len(), v.tos(), v.table());
    let _ = (v.protocol(), v.scope(), v.route_type(), v.flags());
    assert!(v.message().len() >= 16 + 12);
    walk(v.attrs(), 0);
    // Every attribute as an `RTA_MULTIPATH` payload, not only type 9.
    for a in v.attrs().flatten() {
        let mut hops = MultipathHops::new(a.payload());
        for hop in hops.by_ref().flatten() {
            let _ = (hop.flags(), hop.hops(), hop.ifindex());
            walk(hop.attrs(), 1);
        }
        assert!(hops.next().is_none(), "the next-hop walk is fused");
    }
}

fn neigh(v: &NeighbourMessage<'_>) {
    let _ = (
        v.family(),
        v.ifindex(),
        v.state(),
        v.flags(),
        v.neigh_type(),
    );
    assert!(v.message().len() >= 16 + 12);
    walk(v.attrs(), 0);
}

/// The link view (`RTM_NEWLINK`, `RTM_DELLINK`, `RTM_GETLINK`).
pub fn wire_link(data: &[u8]) {
    let buf = as_message(data, &[RTM_NEWLINK, RTM_DELLINK, RTM_GETLINK]);
    if let Ok(msg) = NlMsg::new_checked(&buf) {
        match LinkMessage::new_checked(msg) {
            Ok(v) => link(&v),
            Err(e) => drop(e.to_string()),
        }
    }
}

/// The address view.
pub fn wire_addr(data: &[u8]) {
    let buf = as_message(data, &[RTM_NEWADDR, RTM_DELADDR, RTM_GETADDR]);
    if let Ok(msg) = NlMsg::new_checked(&buf) {
        match AddressMessage::new_checked(msg) {
            Ok(v) => addr(&v),
            Err(e) => drop(e.to_string()),
        }
    }
}

/// The route view and its next hops.
pub fn wire_route(data: &[u8]) {
    let buf = as_message(data, &[RTM_NEWROUTE, RTM_DELROUTE, RTM_GETROUTE]);
    if let Ok(msg) = NlMsg::new_checked(&buf) {
        match RouteMessage::new_checked(msg) {
            Ok(v) => route(&v),
            Err(e) => drop(e.to_string()),
        }
    }
}

/// The neighbour view.
pub fn wire_neigh(data: &[u8]) {
    let buf = as_message(data, &[RTM_NEWNEIGH, RTM_DELNEIGH, RTM_GETNEIGH]);
    if let Ok(msg) = NlMsg::new_checked(&buf) {
        match NeighbourMessage::new_checked(msg) {
            Ok(v) => neigh(&v),
            Err(e) => drop(e.to_string()),
        }
    }
}

/// The owned conversion, `Object::decode`, of one message (its type the
/// input's, its length the input's).
fn decoded(data: &[u8]) -> Option<(Action, Object)> {
    let buf = as_message(data, &[]);
    let msg = NlMsg::new_checked(&buf).ok()?;
    match Object::decode(&msg) {
        Ok(found) => found,
        Err(e) => {
            let _ = e.to_string();
            None
        }
    }
}

/// The owned conversion and the owned object's accessors.
pub fn object_decode(data: &[u8]) {
    let Some((action, object)) = decoded(data) else {
        return;
    };
    let _ = (action.as_str(), object.kind().as_str());
    let _ = (object.ifindex(), object.family(), object.table());
    let copy = object.clone();
    assert_eq!(copy, object);
    let _ = format!("{object:?}");
}

/// Names for other interfaces, with what JSON and text must escape or carry.
fn names(ifindex: u32) -> Option<Name> {
    match ifindex % 5 {
        0 => None,
        1 => Some(Name::new(format!("if{ifindex}"))),
        2 => Some(Name::new(format!("q\"b\\s/\u{1}\u{7f}\u{2028}{ifindex}"))),
        3 => Some(Name::new(b"not\xffutf8")),
        _ => Some(Name::new("")),
    }
}

/// The event the output targets write, with fields taken from the input.
fn event(data: &[u8]) -> Option<Event> {
    let (action, object) = decoded(data)?;
    let word = |at: usize| {
        let mut b = [0u8; 8];
        for (i, x) in b.iter_mut().enumerate() {
            *x = data.get(at + i).copied().unwrap_or(0);
        }
        u64::from_ne_bytes(b)
    };
    let (w0, w1) = (word(data.len().saturating_sub(8)), word(8));
    let tail = &data[data.len().saturating_sub(12)..];
    let name = String::from_utf8_lossy(tail);
    let mut ev = Event::new(
        NetnsTag {
            name: Arc::from(&*name),
            id: w1,
        },
        action,
        object,
    );
    ev.seq = w0;
    ev.origin = [
        Origin::Live,
        Origin::Dump,
        Origin::Resync,
        Origin::Synthesized,
    ][usize::from(tail.first().copied().unwrap_or(0)) % 4];
    // Any time a `SystemTime` can hold around the epoch, before it included.
    let d = Duration::new(w0 >> 1, (w1 % 1_000_000_000) as u32);
    ev.timestamp = if w0 & 1 == 0 {
        SystemTime::UNIX_EPOCH.checked_add(d)
    } else {
        SystemTime::UNIX_EPOCH.checked_sub(d)
    }
    .unwrap_or(SystemTime::UNIX_EPOCH);
    // Interface names are bytes: not always UTF-8.
    ev.ifname = (w1 & 1 == 0).then(|| Name::new(tail));
    Some(ev)
}

/// The JSON writers: an event's line is one JSON object, the same text serde
/// writes; any string a `JsonLine` carries comes back as it was.
pub fn output_json(data: &[u8]) {
    if let Some(event) = event(data) {
        let mut line = Vec::new();
        let json = JsonEvent {
            event: &event,
            names: &names,
        };
        json.write_line(&mut line);
        let text = std::str::from_utf8(&line).expect("UTF-8");
        let value: serde_json::Value =
            serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
        assert!(value.is_object(), "{text}");
        assert!(!text.contains('\n'), "{text}");
        let via_serde = serde_json::to_string(&json).expect("serde");
        assert_eq!(via_serde, text, "serde and the JSON line differ");
        assert_eq!(value["netns"], *event.netns.name, "{text}");
    }
    let s = String::from_utf8_lossy(&data[..data.len().min(64)]);
    let mut line = Vec::new();
    let n = data.len() as u64;
    JsonLine::new(&mut line)
        .str("s", &s)
        .num("n", n)
        .time("t", SystemTime::UNIX_EPOCH + Duration::from_secs(n))
        .end();
    let value: serde_json::Value = serde_json::from_slice(&line).expect("a JSON line");
    assert_eq!(value["s"], *s);
    assert_eq!(value["n"], n);
}

/// Not a fuzz target: the library's part of [`output_json`] alone (the
/// decoding, the event and its line, without the checks that parse the line
/// again), for `slowest`.
pub fn output_json_write(data: &[u8]) {
    if let Some(event) = event(data) {
        let mut line = Vec::new();
        JsonEvent {
            event: &event,
            names: &names,
        }
        .write_line(&mut line);
        std::hint::black_box(&line);
    }
}

/// The text writer: one line that starts with the kind and the action.
pub fn output_text(data: &[u8]) {
    let Some((action, object)) = decoded(data) else {
        return;
    };
    let mut line = String::new();
    write_text(&mut line, &object, action, &names).expect("writing to a String");
    let head = format!("[{}] {}", object.kind().as_str(), action.as_str());
    assert!(line.starts_with(&head), "{line}");
}

/// The readers' dump/sync state machine (`nlwatch::fuzzing::dump_sync`).
pub fn dump_sync(data: &[u8]) {
    nlwatch::fuzzing::dump_sync(data);
}

/// A target's body.
pub type Body = fn(&[u8]);

/// The targets by name, for `slowest` (and `output_json_write`).
pub const TARGETS: &[(&str, Body)] = &[
    ("wire_messages", wire_messages),
    ("wire_link", wire_link),
    ("wire_addr", wire_addr),
    ("wire_route", wire_route),
    ("wire_neigh", wire_neigh),
    ("object_decode", object_decode),
    ("output_json", output_json),
    ("output_json_write", output_json_write),
    ("output_text", output_text),
    ("dump_sync", dump_sync),
    ("replay", replay),
];

/// A recording read and replayed (pcapng, pcap, or anything): the replay ends,
/// with its figures or an error, and never panics; each namespace's events
/// are numbered upwards from 1, and it says how many datagrams it replayed.
pub fn replay(data: &[u8]) {
    let Ok(replay) = nlwatch::recording::Replay::from_reader(std::io::Cursor::new(data.to_vec()))
    else {
        return;
    };
    let items = replay.subscribe_with_queue(
        nlwatch::Filter::new(),
        1 << 12,
        nlwatch::Overflow::DropNewest,
    );
    let result = replay.run();
    let mut last: std::collections::HashMap<(String, u64), u64> = Default::default();
    let mut events = 0u64;
    for item in items {
        if let nlwatch::Item::Event(ev) = item {
            events += 1;
            let key = (ev.netns.name.to_string(), ev.netns.id);
            let before = last.insert(key, ev.seq).unwrap_or(0);
            assert!(
                ev.seq > before || ev.seq == 1,
                "seq {} after {before}",
                ev.seq
            );
        }
    }
    match result {
        Ok(stats) => assert!(stats.events >= events, "{stats:?}, {events} delivered"),
        Err(e) => {
            let _ = e.to_string();
        }
    }
}
