//! JSON lines (the README's "JSON lines" contract): an event's line ([`JsonEvent`]) and any
//! other line a program wants in the same style ([`JsonLine`]), written straight
//! into a byte buffer.
//!
//! An event's fields are described once: the framing here (`ts`, `netns`,
//! `netns_id`, `seq`, `object`, `action`, origin), then the object's own fields,
//! listed by its kind's module. With the `serde` feature the same description is
//! also `Serialize` (`serde.rs`) and gives the same text. Field names and the names
//! taken from the kernel's tables are known not to need escaping and are copied as
//! they are; numbers, addresses and the timestamp are formatted without
//! `core::fmt`. Measured on the burst benchmark, serde_json spent about 11,000
//! instructions per event (a third of it escaping constant strings byte by byte,
//! another third in `fmt` machinery for the timestamp and addresses); see
//! BENCHMARKS.md.
//!
//! This module never decides what an event contains; it only writes it.

use super::time::Rfc3339;
use crate::object::fields::{
    float_as_integer, format_ip, format_u8, k, via_family, FieldName, Fields, IfNames, Nested,
    IP_MAX,
};
use crate::object::{Action, Event, HwAddr, Name, ObjectKind, Origin, MAX_ADDR_LEN};
use std::net::IpAddr;
use std::sync::LazyLock;
use std::time::SystemTime;

/// The line of an event: `ts`, `netns`, `netns_id`, `seq`, `object`, `action`,
/// `dump`/`resync`/`synthesized` when not live, then the object's fields named as
/// `ip -j` names them, then the names of the interfaces it refers to.
/// (The JSON writer frames the line itself, the same way: see
/// [`JsonEvent::write_line`]; the golden tests hold the two equal.)
#[cfg(feature = "serde")]
pub(crate) fn event_fields(ev: &Event, names: &dyn IfNames, f: &mut impl Fields) {
    f.time(k!("ts"), ev.timestamp);
    f.str(k!("netns"), &ev.netns.name);
    f.num(k!("netns_id"), ev.netns.id);
    f.num(k!("seq"), ev.seq);
    f.word(k!("object"), ev.object.kind().as_str());
    f.word(k!("action"), ev.action.as_str());
    origin_fields(ev.origin, f);
    ev.object.fields(ev.ifname.as_ref(), names, f);
}

/// `dump`/`resync`/`synthesized` when the event is not live.
fn origin_fields(origin: Origin, f: &mut impl Fields) {
    match origin {
        Origin::Live => {}
        Origin::Dump => f.yes(k!("dump")),
        Origin::Resync => f.yes(k!("resync")),
        Origin::Synthesized => f.yes(k!("synthesized")),
    }
}

/// An event as a JSON line. Interface references are indexes (`ifindex`, `oif`,
/// `master_index`, `link_index`) plus the name of the object's own interface
/// (`ifname` for links and addresses, `dev` for routes and neighbours) when known,
/// and the names of the other interfaces it refers to (a link's `master` and
/// `link`) that `names` knows.
///
/// ```
/// # use nlwatch::Event;
/// # use nlwatch::output::JsonEvent;
/// # fn show(event: &Event) {
/// let names = |ifindex: u32| (ifindex == 4).then(|| nlwatch::objects::Name::from("br0"));
/// let mut line = Vec::new();
/// JsonEvent { event, names: &names, details: false }.write_line(&mut line);
/// # }
/// ```
pub struct JsonEvent<'a> {
    /// The event.
    pub event: &'a Event,
    /// Names of other interfaces of the event's namespace.
    pub names: &'a dyn IfNames,
    /// Also the details, as `ip -j -d` adds them to `ip -j`'s keys (`nlwatch
    /// -d`): a link's `linkinfo`, promiscuity, MTU bounds, queues and offload
    /// sizes; a route's `table`, `protocol`, `scope` and `type` where they
    /// are main, boot, global and unicast; a nexthop's scope and protocol,
    /// a rule's protocol where they are the defaults; an MDB entry's
    /// `filter_mode`, `source_list` and `protocol`.
    pub details: bool,
}

impl std::fmt::Debug for JsonEvent<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonEvent")
            .field("event", self.event)
            .finish_non_exhaustive()
    }
}

impl JsonEvent<'_> {
    /// Appends the JSON line (without the newline) to `out`. (`object` and
    /// `action` are copied as one piece, made once per pair.)
    pub fn write_line(&self, out: &mut Vec<u8>) {
        let ev = self.event;
        let mut w = Writer::new(out, self.details);
        w.time(k!("ts"), ev.timestamp);
        w.str(k!("netns"), &ev.netns.name);
        w.num(k!("netns_id"), ev.netns.id);
        w.num(k!("seq"), ev.seq);
        w.out
            .extend_from_slice(object_and_action(ev.object.kind(), ev.action).as_bytes());
        origin_fields(ev.origin, &mut w);
        ev.object.fields(ev.ifname.as_ref(), self.names, &mut w);
        w.end();
    }
}

/// `,"object":"KIND","action":"ACTION"`, made once per pair: two words
/// written as one copy (a tenth of the framing's instructions).
fn object_and_action(kind: ObjectKind, action: Action) -> &'static str {
    static PAIRS: LazyLock<Vec<String>> = LazyLock::new(|| {
        ObjectKind::ALL
            .iter()
            .flat_map(|k| {
                [Action::New, Action::Del].map(|a| {
                    format!(
                        ",\"object\":\"{}\",\"action\":\"{}\"",
                        k.as_str(),
                        a.as_str()
                    )
                })
            })
            .collect()
    });
    let i = kind.index() * 2 + usize::from(action == Action::Del);
    PAIRS.get(i).map_or("", String::as_str)
}

/// Any other line in the style of the event lines (a program's own control lines,
/// say): fields in the order written, strings escaped as JSON requires.
///
/// ```
/// use nlwatch::output::JsonLine;
/// let mut out = Vec::new();
/// JsonLine::new(&mut out).str("object", "lagged").num("missed", 3).end();
/// assert_eq!(out, br#"{"object":"lagged","missed":3}"#);
/// ```
pub struct JsonLine<'a> {
    writer: Writer<'a>,
}

impl std::fmt::Debug for JsonLine<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonLine").finish_non_exhaustive()
    }
}

impl<'a> JsonLine<'a> {
    /// Opens a line at the end of `out`.
    pub fn new(out: &'a mut Vec<u8>) -> Self {
        JsonLine {
            writer: Writer::new(out, false),
        }
    }

    /// A string field.
    pub fn str(mut self, key: &str, value: &str) -> Self {
        self.writer.any_key(key);
        escaped(self.writer.out, value);
        self
    }

    /// A number field.
    pub fn num(mut self, key: &str, value: u64) -> Self {
        self.writer.any_key(key);
        self.writer
            .out
            .extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
        self
    }

    /// A time field, RFC 3339 in UTC with microseconds.
    pub fn time(mut self, key: &str, value: SystemTime) -> Self {
        self.writer.any_key(key);
        self.writer.quoted(&Rfc3339(value).to_bytes());
        self
    }

    /// Closes the line (without a newline).
    pub fn end(self) {
        self.writer.end();
    }
}

/// [`Fields`] written as one JSON object into a byte buffer.
pub(crate) struct Writer<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
    details: bool,
}

impl<'a> Writer<'a> {
    /// Opens an object at the end of `out`, with the details or without.
    pub(crate) fn new(out: &'a mut Vec<u8>, details: bool) -> Self {
        // Most lines fit: one capacity check instead of many growths.
        out.reserve(1024);
        out.push(b'{');
        Writer {
            out,
            first: true,
            details,
        }
    }

    /// Closes the object.
    pub(crate) fn end(self) {
        self.out.push(b'}');
    }

    // The methods below are inlined into each kind's `fields` (generic over the
    // writer): a key is then a copy of a constant length, which the compiler
    // makes a few moves instead of a `memcpy` call (measured on a burst's
    // replay: a `memcpy` call per key and per value was a tenth of the JSON
    // line's instructions).
    #[inline]
    fn key(&mut self, key: FieldName) {
        let json = key.json.as_bytes();
        if self.first {
            self.first = false;
            self.out.extend_from_slice(&json[1..]);
        } else {
            self.out.extend_from_slice(json);
        }
    }

    /// A key that may need escaping.
    fn any_key(&mut self, key: &str) {
        if self.first {
            self.first = false;
        } else {
            self.out.push(b',');
        }
        escaped(self.out, key);
        self.out.push(b':');
    }

    #[inline]
    fn quoted(&mut self, bytes: &[u8]) {
        self.out.push(b'"');
        self.out.extend_from_slice(bytes);
        self.out.push(b'"');
    }

    /// A number, its digits made on the stack.
    #[inline]
    fn digits(&mut self, v: impl itoa::Integer) {
        self.out
            .extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
    }
}

impl Fields for Writer<'_> {
    #[inline]
    fn details(&self) -> bool {
        self.details
    }
    #[inline]
    fn str(&mut self, key: FieldName, v: &str) {
        self.key(key);
        escaped(self.out, v);
    }
    #[inline]
    fn word(&mut self, key: FieldName, v: &'static str) {
        self.key(key);
        self.quoted(v.as_bytes());
    }
    #[inline]
    fn num(&mut self, key: FieldName, v: u64) {
        self.key(key);
        self.digits(v);
    }
    #[inline]
    fn int(&mut self, key: FieldName, v: i64) {
        self.key(key);
        self.digits(v);
    }
    #[inline]
    fn yes(&mut self, key: FieldName) {
        self.key(key);
        self.out.extend_from_slice(b"true");
    }
    #[inline]
    fn ip(&mut self, key: FieldName, v: Option<IpAddr>) {
        self.key(key);
        match v {
            Some(v) => quoted_ip(self.out, v, None),
            None => self.out.extend_from_slice(b"null"),
        }
    }
    #[inline]
    fn prefix(&mut self, key: FieldName, v: IpAddr, len: Option<u8>) {
        self.key(key);
        quoted_ip(self.out, v, len);
    }
    #[inline]
    fn hw(&mut self, key: FieldName, v: &HwAddr) {
        self.key(key);
        hw(self.out, v);
    }
    fn time(&mut self, key: FieldName, v: SystemTime) {
        self.key(key);
        // Events read together share their time: format it once.
        thread_local! {
            static LAST: std::cell::Cell<(SystemTime, [u8; 27])> =
                std::cell::Cell::new((SystemTime::UNIX_EPOCH, Rfc3339(SystemTime::UNIX_EPOCH).to_bytes()));
        }
        let text = LAST.with(|last| {
            let (t, text) = last.get();
            if t == v {
                text
            } else {
                let text = Rfc3339(v).to_bytes();
                last.set((v, text));
                text
            }
        });
        self.quoted(&text);
    }
    #[inline]
    fn words(&mut self, key: FieldName, v: &mut dyn Iterator<Item = &'static str>) {
        self.key(key);
        words(self.out, v);
    }
    #[inline]
    fn name(&mut self, key: FieldName, v: &Name) {
        self.key(key);
        name(self.out, v);
    }
    fn names(&mut self, key: FieldName, v: &[Name]) {
        self.key(key);
        self.out.push(b'[');
        for (i, s) in v.iter().enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            name(self.out, s);
        }
        self.out.push(b']');
    }
    fn via(&mut self, key: FieldName, v: IpAddr) {
        self.key(key);
        let mut w = Writer::new(self.out, self.details);
        w.word(k!("family"), via_family(v));
        w.ip(k!("host"), Some(v));
        w.end();
    }
    #[inline]
    fn null(&mut self, key: FieldName) {
        self.key(key);
        self.out.extend_from_slice(b"null");
    }
    #[inline]
    fn bool(&mut self, key: FieldName, v: bool) {
        self.key(key);
        self.out
            .extend_from_slice(if v { b"true" as &[u8] } else { b"false" });
    }
    fn float(&mut self, key: FieldName, v: f64) {
        self.key(key);
        match float_as_integer(v) {
            Some(n) => self.digits(n),
            // Shortest form, as serde_json's writes the values nlwatch has
            // (hundredths of a second; no exponent below 1e16). JSON has no
            // NaN: never made here, written as null all the same.
            None if v.is_finite() => self.out.extend_from_slice(v.to_string().as_bytes()),
            None => self.out.extend_from_slice(b"null"),
        }
    }
    fn object(&mut self, key: FieldName, v: &dyn Nested) {
        self.key(key);
        let mut w = Writer::new(self.out, self.details);
        v.fields(&mut w);
        w.end();
    }
    fn objects(&mut self, key: FieldName, v: &mut dyn Iterator<Item = &dyn Nested>) {
        self.key(key);
        self.out.push(b'[');
        for (i, o) in v.enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            let mut w = Writer::new(self.out, self.details);
            o.fields(&mut w);
            w.end();
        }
        self.out.push(b']');
    }
}

/// `"ADDR"` or `"ADDR/LEN"`, made on the stack and copied once.
fn quoted_ip(out: &mut Vec<u8>, v: IpAddr, len: Option<u8>) {
    let mut buf = [0u8; IP_MAX + 6];
    buf[0] = b'"';
    let mut n = 1 + format_ip(v, &mut buf[1..]);
    if let Some(len) = len {
        buf[n] = b'/';
        n += 1;
        n += format_u8(len, &mut buf[n..]);
    }
    buf[n] = b'"';
    out.extend_from_slice(&buf[..n + 1]);
}

/// A link-layer address as a string (`"02:00:00:00:00:01"`), made on the
/// stack and copied once (a push per character was 250 instructions for a
/// MAC address).
fn hw(out: &mut Vec<u8>, v: &HwAddr) {
    let mut buf = [0u8; 3 * MAX_ADDR_LEN + 2];
    buf[0] = b'"';
    let mut n = 1;
    for (i, &b) in v.as_bytes().iter().enumerate() {
        if i > 0 {
            buf[n] = b':';
            n += 1;
        }
        buf[n] = HEX[usize::from(b >> 4)];
        buf[n + 1] = HEX[usize::from(b & 15)];
        n += 2;
    }
    buf[n] = b'"';
    out.extend_from_slice(&buf[..n + 1]);
}

/// A list of names from nlwatch's tables: `["UP","LOWER_UP"]`.
fn words(out: &mut Vec<u8>, v: &mut dyn Iterator<Item = &'static str>) {
    out.push(b'[');
    if let Some(w) = v.next() {
        out.push(b'"');
        out.extend_from_slice(w.as_bytes());
        for w in v {
            out.extend_from_slice(b"\",\"");
            out.extend_from_slice(w.as_bytes());
        }
        out.push(b'"');
    }
    out.push(b']');
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// `s` as a JSON string, escaped as serde_json escapes it: `"` and `\`, and the
/// control characters (`\b \t \n \f \r` by name, the rest as `\u00XX`).
pub(crate) fn escaped(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b >= 0x20 && b != b'"' && b != b'\\' {
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x09 => out.extend_from_slice(b"\\t"),
            0x0a => out.extend_from_slice(b"\\n"),
            0x0c => out.extend_from_slice(b"\\f"),
            0x0d => out.extend_from_slice(b"\\r"),
            _ => out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 15)],
            ]),
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// A name from the kernel as a JSON string, in [`Name::json_escaped`]'s form:
/// always valid JSON, and two different names never write the same string.
fn name(out: &mut Vec<u8>, v: &Name) {
    let bytes = v.as_bytes();
    // Printable ASCII without `"` or `\` (every name the kernel makes, and
    // nearly every one users give) is written as it is: one look at each byte
    // instead of three (a `\` search, a UTF-8 check and the escaping).
    if bytes
        .iter()
        .all(|&b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\')
    {
        out.push(b'"');
        out.extend_from_slice(bytes);
        out.push(b'"');
    } else if let Some(plain) = v.to_str().filter(|_| v.is_plain()) {
        // Valid UTF-8 without a `\\`: the bytes are the string.
        escaped(out, plain);
    } else {
        escaped(out, &v.json_escaped().to_string());
    }
}

/// The JSON line of `event`, written by the JSON writer; with feature `serde`,
/// checked to be exactly what serde writes too. For the tests of every kind's
/// lines.
#[cfg(test)]
pub(crate) fn line_both_ways(event: &Event, names: &dyn IfNames, details: bool) -> String {
    let line = JsonEvent {
        event,
        names,
        details,
    };
    let mut out = Vec::new();
    line.write_line(&mut out);
    let out = String::from_utf8(out).expect("JSON lines are UTF-8");
    #[cfg(feature = "serde")]
    assert_eq!(
        serde_json::to_string(&line).unwrap(),
        out,
        "serde and the JSON writer differ"
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn text(ip: IpAddr) -> String {
        let mut buf = [0u8; IP_MAX];
        let n = format_ip(ip, &mut buf);
        String::from_utf8(buf[..n].to_vec()).unwrap()
    }

    #[test]
    fn addresses_are_written_as_std_displays_them() {
        let fixed = [
            "0.0.0.0",
            "255.255.255.255",
            "10.0.100.9",
            "::",
            "::1",
            "1::",
            "fd00::1:0:0:1",
            "1:0:0:2:0:0:0:3",
            "1:0:2:0:3:0:4:0",
            "2001:db8::ff00:42:8329",
            "::ffff:192.0.2.1",
            "::192.0.2.1",
            "fe80::1:2:3:4",
            "1:2:3:4:5:6:7:8",
        ];
        for s in fixed {
            let ip: IpAddr = s.parse().unwrap();
            assert_eq!(text(ip), ip.to_string(), "{s}");
        }
        // Random addresses, biased towards zero groups so runs of every length and
        // position occur.
        let mut x = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..200_000 {
            let r = next();
            let mut segs = [0u16; 8];
            for (i, s) in segs.iter_mut().enumerate() {
                if (r >> (i * 2)) & 3 != 0 {
                    *s = (next() >> (r as usize % 48)) as u16;
                }
            }
            let v6 = IpAddr::V6(Ipv6Addr::from(segs));
            assert_eq!(text(v6), v6.to_string());
            let v4 = IpAddr::V4(Ipv4Addr::from((r >> 32) as u32 >> (r % 24)));
            assert_eq!(text(v4), v4.to_string());
        }
    }

    /// Routes of every family print their addresses as `ip -j` does: `AF_MPLS`
    /// label stacks as `300/400`, the multicast routing families' as IPv4 and
    /// IPv6 (the routes are decoded in
    /// `object::family_tests`), the same through serde; and netconf and MDB
    /// entries with `ip -j netconf` / `bridge -j mdb`'s names.
    #[test]
    fn routes_print_their_addresses_by_family() {
        use crate::object::{Action, NetnsTag, Origin};
        let printed = crate::object::family_tests::printed()
            .into_iter()
            .chain(crate::object::netconf_mdb_printed());
        for (object, json, text) in printed {
            let names = |i: u32| Some(Name::from(format!("dummy{i}").as_str()));
            let mut line = String::new();
            crate::output::write_text(&mut line, &object, Action::New, &names, false).unwrap();
            assert!(line.contains(text), "{line}");
            let event = Event {
                netns: NetnsTag {
                    name: "".into(),
                    id: 1,
                },
                seq: 1,
                timestamp: SystemTime::UNIX_EPOCH,
                action: Action::New,
                origin: Origin::Dump,
                ifname: None,
                object,
            };
            let out = super::line_both_ways(&event, &names, true);
            assert!(out.contains(json), "{out}");
        }
    }

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let mut all = String::new();
        for c in (0u8..0x80)
            .map(char::from)
            .chain(['é', '€', '\u{7f}', '😀'])
        {
            all.push(c);
        }
        for s in ["", "veth0", "a\"b\\c", "tab\there", &all] {
            let mut out = Vec::new();
            escaped(&mut out, s);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                serde_json::to_string(s).unwrap()
            );
        }
    }

    /// A link's alias, any bytes a user gave it, is written escaped as
    /// names are (`\xNN`): valid JSON whatever it holds, through the writer
    /// and serde alike.
    #[test]
    fn a_link_alias_is_escaped_as_names_are() {
        let object = crate::object::decode_tests::link_with_alias();
        let event = Event::new(Default::default(), crate::object::Action::New, object);
        let line = super::line_both_ways(&event, &|_| None, true);
        assert!(line.ends_with(r#","ifalias":"ev\\xffil"}"#), "{line}");
    }

    /// A resilient group's timers with a fraction, and past %g's six digits,
    /// as `ip` prints them (the fixtures hold whole seconds; their lines are
    /// in `golden/fixtures.txt`).
    #[test]
    fn nexthop_timers_are_written_as_ip_writes_them() {
        use crate::object::decode_tests::decoded as decode;
        use crate::object::{Action, Event, Name, NetnsTag, Object, Origin};
        use crate::output::write_text;
        let names = |i: u32| (i == 8).then(|| Name::from("nh0"));
        // Timers with a fraction, and past %g's six digits, as ip prints them.
        let (_, Object::Nexthop(mut r)) = decode("nexthop_new_resilient") else {
            panic!()
        };
        let res = r.resilient.as_mut().unwrap();
        (res.idle_timer, res.unbalanced_timer, res.unbalanced_time) = (50, 12_345, 123_456_789);
        let object = Object::Nexthop(r);
        let mut line = String::new();
        write_text(&mut line, &object, Action::New, &names, false).unwrap();
        assert!(
            line.contains("idle_timer 0.5 unbalanced_timer 123.45 unbalanced_time 1.23457e+06"),
            "{line}"
        );
        let event = Event {
            netns: NetnsTag::default(),
            seq: 1,
            timestamp: std::time::SystemTime::UNIX_EPOCH,
            action: Action::New,
            origin: Origin::Live,
            ifname: None,
            object,
        };
        let out = super::line_both_ways(&event, &names, true);
        assert!(
            out.contains(
                r#""idle_timer":0.5,"unbalanced_timer":123.45,"unbalanced_time":1234570}"#
            ),
            "{out}"
        );
    }
}
