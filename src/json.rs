//! The JSON line of an event (design.md, "JSON lines"): its fields described once,
//! in [`event_fields`], and written two ways.
//!
//! - Through serde ([`SerdeFields`]), so `Event` and `JsonEvent` are `Serialize`
//!   for any serde format a user embeds them in.
//! - Straight into a byte buffer ([`Writer`]), which the CLI uses: field names and
//!   the names taken from the kernel's tables are known not to need escaping and
//!   are copied as they are; numbers, addresses and the timestamp are formatted
//!   without `core::fmt`. Measured on the burst benchmark, serde_json spent about
//!   11,000 instructions per event here (a third of it escaping constant strings
//!   byte by byte, another third in `fmt` machinery for the timestamp and
//!   addresses); see BENCHMARKS.md.
//!
//! Both produce the same text for every event (tested against `serde_json`), so
//! the fast path is an implementation detail, never a second format.
//!
//! This module never decides what an event contains; it only writes it.

use crate::compact::{CompactStr, HwAddr};
use crate::event::{Event, IfNames, NextHop, Object, Origin, Rfc3339};
use crate::names;
use crate::wire::consts::AF_UNSPEC;
use serde::ser::SerializeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::SystemTime;

/// A field name: plain ASCII, and the same as it is written between fields.
#[derive(Clone, Copy)]
pub(crate) struct Name {
    bare: &'static str,
    /// `,"bare":`
    json: &'static str,
}

/// The [`Name`] of a field, from a string literal.
macro_rules! k {
    ($name:literal) => {
        Name {
            bare: $name,
            json: concat!(",\"", $name, "\":"),
        }
    };
}

/// Receives the fields of an event, in order.
pub(crate) trait Fields {
    /// A string from the kernel or the caller: may need escaping.
    fn str(&mut self, key: Name, v: &str);
    /// A name from nlwatch's own tables (`names`): plain ASCII, never escaped.
    fn word(&mut self, key: Name, v: &'static str);
    /// An unsigned number.
    fn num(&mut self, key: Name, v: u64);
    /// A signed number.
    fn int(&mut self, key: Name, v: i64);
    /// `true`.
    fn yes(&mut self, key: Name);
    /// An IP address, as a string.
    fn ip(&mut self, key: Name, v: Option<IpAddr>);
    /// `"ADDR/LEN"`, or `"ADDR"` alone when `len` is `None`.
    fn prefix(&mut self, key: Name, v: IpAddr, len: Option<u8>);
    /// A link-layer address, as a string.
    fn hw(&mut self, key: Name, v: &HwAddr);
    /// An RFC 3339 time, as a string.
    fn time(&mut self, key: Name, v: SystemTime);
    /// A list of names from nlwatch's tables.
    fn words(&mut self, key: Name, v: &mut dyn Iterator<Item = &'static str>);
    /// A list of strings from the kernel.
    fn strs(&mut self, key: Name, v: &[CompactStr]);
    /// The next hops of a multipath route: a list of objects of [`hop_fields`].
    fn hops(&mut self, key: Name, v: &[NextHop]);
}

/// The fields of one next hop, in the order of the JSON line.
fn hop_fields(h: &NextHop, f: &mut impl Fields) {
    // Absent gateways are `null` here (a hop's shape does not change).
    f.ip(k!("gateway"), h.gateway);
    f.num(k!("oif"), h.ifindex.into());
    f.num(k!("weight"), h.weight.into());
    f.words(k!("flags"), &mut names::nexthop_flags(h.flags));
}

fn opt_num(f: &mut impl Fields, key: Name, v: Option<impl Into<u64>>) {
    if let Some(v) = v {
        f.num(key, v.into());
    }
}

fn opt_ip(f: &mut impl Fields, key: Name, v: Option<IpAddr>) {
    if v.is_some() {
        f.ip(key, v);
    }
}

fn opt_str(f: &mut impl Fields, key: Name, v: &Option<CompactStr>) {
    if let Some(v) = v {
        f.str(key, v);
    }
}

/// A name from a table, or the number when the table has none.
fn word_or_num(f: &mut impl Fields, key: Name, name: Option<&'static str>, n: u8) {
    match name {
        Some(name) => f.word(key, name),
        None => f.num(key, n.into()),
    }
}

/// The JSON line of design.md: `ts`, `netns`, `netns_id`, `seq`, `object`, `action`,
/// `dump`/`resync`/`synthesized` when not live, then the object's fields named as
/// `ip -j` names them, then the names of the interfaces it refers to.
pub(crate) fn event_fields(ev: &Event, names: &dyn IfNames, f: &mut impl Fields) {
    f.time(k!("ts"), ev.timestamp);
    f.str(k!("netns"), &ev.netns.name);
    f.num(k!("netns_id"), ev.netns.id);
    f.num(k!("seq"), ev.seq);
    f.word(k!("object"), ev.object.kind().as_str());
    f.word(k!("action"), ev.action.as_str());
    match ev.origin {
        Origin::Live => {}
        Origin::Dump => f.yes(k!("dump")),
        Origin::Resync => f.yes(k!("resync")),
        Origin::Synthesized => f.yes(k!("synthesized")),
    }
    object_fields(&ev.object, f);
    match &ev.object {
        Object::Link(l) => {
            if let Some(name) = l.master.and_then(|i| names.name(i)) {
                f.str(k!("master"), &name);
            }
            if l.link_netnsid.is_none() {
                if let Some(name) = l.link.and_then(|i| names.name(i)) {
                    f.str(k!("link"), &name);
                }
            }
        }
        Object::Address(_) => opt_str(f, k!("ifname"), &ev.ifname),
        Object::Route(_) | Object::Neighbour(_) => opt_str(f, k!("dev"), &ev.ifname),
    }
}

fn object_fields(obj: &Object, f: &mut impl Fields) {
    match obj {
        Object::Link(l) => {
            f.num(k!("ifindex"), l.ifindex.into());
            opt_str(f, k!("ifname"), &l.ifname);
            if l.family != AF_UNSPEC {
                f.word(k!("family"), names::family(l.family));
            }
            f.words(k!("flags"), &mut names::link_flags(l.flags));
            f.words(k!("change"), &mut names::link_flag_bits(l.change));
            opt_num(f, k!("mtu"), l.mtu);
            if let Some(s) = l.operstate {
                f.word(k!("operstate"), names::operstate(s));
            }
            f.num(k!("link_type_id"), l.link_type.into());
            if let Some(a) = &l.address {
                f.hw(k!("address"), a);
            }
            if let Some(a) = &l.broadcast {
                f.hw(k!("broadcast"), a);
            }
            opt_num(f, k!("master_index"), l.master);
            opt_num(f, k!("link_index"), l.link);
            if let Some(id) = l.link_netnsid {
                f.int(k!("link_netnsid"), id.into());
            }
            opt_str(f, k!("kind"), &l.kind);
            opt_str(f, k!("slave_kind"), &l.slave_kind);
            opt_num(f, k!("txqlen"), l.txqlen);
            if !l.alt_names.is_empty() {
                f.strs(k!("altnames"), &l.alt_names);
            }
        }
        Object::Address(a) => {
            f.num(k!("ifindex"), a.ifindex.into());
            f.word(k!("family"), names::family(a.family));
            opt_ip(f, k!("local"), a.primary());
            opt_ip(f, k!("address"), a.peer());
            f.num(k!("prefixlen"), a.prefix_len.into());
            opt_ip(f, k!("broadcast"), a.broadcast);
            word_or_num(f, k!("scope"), names::scope(a.scope), a.scope);
            opt_str(f, k!("label"), &a.label);
            f.words(k!("flags"), &mut names::addr_flags(a.flags));
            opt_num(f, k!("valid_life_time"), a.valid_lft);
            opt_num(f, k!("preferred_life_time"), a.preferred_lft);
        }
        Object::Route(r) => {
            f.word(k!("family"), names::family(r.family));
            match r.dst_parts() {
                (None, None) => f.word(k!("dst"), "default"),
                (None, Some(_)) => f.str(k!("dst"), &r.dst_string()),
                (Some(dst), len) => f.prefix(k!("dst"), dst, len),
            }
            if let Some(src) = r.src {
                f.prefix(k!("src"), src, Some(r.src_len));
            }
            opt_ip(f, k!("gateway"), r.gateway);
            opt_num(f, k!("oif"), r.oif);
            opt_num(f, k!("iif"), r.iif);
            match names::table(r.table) {
                Some(name) => f.word(k!("table"), name),
                None => f.str(k!("table"), itoa::Buffer::new().format(r.table)),
            }
            word_or_num(f, k!("protocol"), names::protocol(r.protocol), r.protocol);
            match names::scope(r.scope) {
                Some("global") => f.word(k!("scope"), "universe"),
                name => word_or_num(f, k!("scope"), name, r.scope),
            }
            word_or_num(f, k!("type"), names::route_type(r.route_type), r.route_type);
            opt_num(f, k!("metric"), r.priority);
            opt_ip(f, k!("prefsrc"), r.prefsrc);
            opt_num(f, k!("mtu"), r.mtu);
            opt_num(f, k!("nhid"), r.nh_id);
            f.words(k!("flags"), &mut names::nexthop_flags(r.flags as u8));
            if !r.nexthops.is_empty() {
                f.hops(k!("nexthops"), &r.nexthops);
            }
        }
        Object::Neighbour(n) => {
            f.num(k!("ifindex"), n.ifindex.into());
            f.word(k!("family"), names::family(n.family));
            opt_ip(f, k!("dst"), n.dst);
            if let Some(a) = &n.lladdr {
                f.hw(k!("lladdr"), a);
            }
            f.words(k!("state"), &mut names::nud_states(n.state));
            f.words(k!("flags"), &mut names::neigh_flags(n.flags));
            opt_num(f, k!("master_index"), n.master);
        }
    }
}

// ---- through serde ----

/// [`Fields`] into a serde map; the first error is kept and ends the writing.
pub(crate) struct SerdeFields<M: SerializeMap> {
    map: M,
    error: Option<M::Error>,
}

/// `Display` values as serde strings.
struct Shown<T>(T);

impl<T: std::fmt::Display> serde::Serialize for Shown<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

struct Words<'a>(std::cell::RefCell<&'a mut dyn Iterator<Item = &'static str>>);

impl serde::Serialize for Words<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(&mut **self.0.borrow_mut())
    }
}

struct Hop<'a>(&'a NextHop);

impl serde::Serialize for Hop<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut f = SerdeFields::new(s.serialize_map(None)?);
        hop_fields(self.0, &mut f);
        f.end()
    }
}

impl<M: SerializeMap> SerdeFields<M> {
    pub(crate) fn new(map: M) -> Self {
        SerdeFields { map, error: None }
    }

    fn put<T: serde::Serialize + ?Sized>(&mut self, key: Name, v: &T) {
        if self.error.is_none() {
            if let Err(e) = self.map.serialize_entry(key.bare, v) {
                self.error = Some(e);
            }
        }
    }

    /// Ends the map, or returns the first error.
    pub(crate) fn end(self) -> Result<M::Ok, M::Error> {
        match self.error {
            Some(e) => Err(e),
            None => self.map.end(),
        }
    }
}

impl<M: SerializeMap> Fields for SerdeFields<M> {
    fn str(&mut self, key: Name, v: &str) {
        self.put(key, v);
    }
    fn word(&mut self, key: Name, v: &'static str) {
        self.put(key, v);
    }
    fn num(&mut self, key: Name, v: u64) {
        self.put(key, &v);
    }
    fn int(&mut self, key: Name, v: i64) {
        self.put(key, &v);
    }
    fn yes(&mut self, key: Name) {
        self.put(key, &true);
    }
    fn ip(&mut self, key: Name, v: Option<IpAddr>) {
        self.put(key, &v);
    }
    fn prefix(&mut self, key: Name, v: IpAddr, len: Option<u8>) {
        match len {
            Some(len) => self.put(key, &Shown(format_args!("{v}/{len}"))),
            None => self.put(key, &v),
        }
    }
    fn hw(&mut self, key: Name, v: &HwAddr) {
        self.put(key, v);
    }
    fn time(&mut self, key: Name, v: SystemTime) {
        self.put(key, &Shown(Rfc3339(v)));
    }
    fn words(&mut self, key: Name, v: &mut dyn Iterator<Item = &'static str>) {
        self.put(key, &Words(std::cell::RefCell::new(v)));
    }
    fn strs(&mut self, key: Name, v: &[CompactStr]) {
        self.put(key, v);
    }
    fn hops(&mut self, key: Name, v: &[NextHop]) {
        let hops: Vec<Hop<'_>> = v.iter().map(Hop).collect();
        self.put(key, &hops);
    }
}

// ---- straight to bytes ----

/// [`Fields`] written as one JSON object into a byte buffer.
pub(crate) struct Writer<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> Writer<'a> {
    /// Opens an object at the end of `out`.
    pub(crate) fn new(out: &'a mut Vec<u8>) -> Self {
        // Most lines fit: one capacity check instead of many growths.
        out.reserve(1024);
        out.push(b'{');
        Writer { out, first: true }
    }

    /// Closes the object.
    pub(crate) fn end(self) {
        self.out.push(b'}');
    }

    fn key(&mut self, key: Name) {
        let json = key.json.as_bytes();
        if self.first {
            self.first = false;
            self.out.extend_from_slice(&json[1..]);
        } else {
            self.out.extend_from_slice(json);
        }
    }

    fn quoted(&mut self, bytes: &[u8]) {
        self.out.push(b'"');
        self.out.extend_from_slice(bytes);
        self.out.push(b'"');
    }
}

impl Fields for Writer<'_> {
    fn str(&mut self, key: Name, v: &str) {
        self.key(key);
        escaped(self.out, v);
    }
    fn word(&mut self, key: Name, v: &'static str) {
        self.key(key);
        self.quoted(v.as_bytes());
    }
    fn num(&mut self, key: Name, v: u64) {
        self.key(key);
        self.out
            .extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
    }
    fn int(&mut self, key: Name, v: i64) {
        self.key(key);
        self.out
            .extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
    }
    fn yes(&mut self, key: Name) {
        self.key(key);
        self.out.extend_from_slice(b"true");
    }
    fn ip(&mut self, key: Name, v: Option<IpAddr>) {
        self.key(key);
        match v {
            Some(v) => {
                let mut buf = [0u8; IP_MAX];
                let n = format_ip(v, &mut buf);
                self.quoted(&buf[..n]);
            }
            None => self.out.extend_from_slice(b"null"),
        }
    }
    fn prefix(&mut self, key: Name, v: IpAddr, len: Option<u8>) {
        self.key(key);
        let mut buf = [0u8; IP_MAX + 4];
        let mut n = format_ip(v, &mut buf);
        if let Some(len) = len {
            buf[n] = b'/';
            n += 1;
            let mut digits = itoa::Buffer::new();
            let digits = digits.format(len).as_bytes();
            buf[n..n + digits.len()].copy_from_slice(digits);
            n += digits.len();
        }
        self.quoted(&buf[..n]);
    }
    fn hw(&mut self, key: Name, v: &HwAddr) {
        self.key(key);
        self.out.push(b'"');
        for (i, b) in v.as_bytes().iter().enumerate() {
            if i > 0 {
                self.out.push(b':');
            }
            self.out.push(HEX[usize::from(b >> 4)]);
            self.out.push(HEX[usize::from(b & 15)]);
        }
        self.out.push(b'"');
    }
    fn time(&mut self, key: Name, v: SystemTime) {
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
    fn words(&mut self, key: Name, v: &mut dyn Iterator<Item = &'static str>) {
        self.key(key);
        self.out.push(b'[');
        for (i, w) in v.enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            self.quoted(w.as_bytes());
        }
        self.out.push(b']');
    }
    fn strs(&mut self, key: Name, v: &[CompactStr]) {
        self.key(key);
        self.out.push(b'[');
        for (i, s) in v.iter().enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            escaped(self.out, s);
        }
        self.out.push(b']');
    }
    fn hops(&mut self, key: Name, v: &[NextHop]) {
        self.key(key);
        self.out.push(b'[');
        for (i, h) in v.iter().enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            let mut w = Writer::new(self.out);
            hop_fields(h, &mut w);
            w.end();
        }
        self.out.push(b']');
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// `s` as a JSON string, escaped as serde_json escapes it: `"` and `\`, and the
/// control characters (`\b \t \n \f \r` by name, the rest as `\u00XX`).
fn escaped(out: &mut Vec<u8>, s: &str) {
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

/// Longest text of an IP address: an IPv4-mapped IPv6 address in full.
const IP_MAX: usize = 45;

/// Writes `ip` as `Display` shows it into `buf`, returning the length.
fn format_ip(ip: IpAddr, buf: &mut [u8]) -> usize {
    match ip {
        IpAddr::V4(v4) => format_v4(v4, buf),
        IpAddr::V6(v6) => format_v6(v6, buf),
    }
}

fn format_v4(ip: Ipv4Addr, buf: &mut [u8]) -> usize {
    let mut n = 0;
    for (i, octet) in ip.octets().into_iter().enumerate() {
        if i > 0 {
            buf[n] = b'.';
            n += 1;
        }
        if octet >= 100 {
            buf[n] = b'0' + octet / 100;
            n += 1;
        }
        if octet >= 10 {
            buf[n] = b'0' + octet / 10 % 10;
            n += 1;
        }
        buf[n] = b'0' + octet % 10;
        n += 1;
    }
    n
}

/// RFC 5952 text, as `std` writes it: lower-case hex without leading zeros, the
/// longest run of two or more zero groups (the first, on a tie) as `::`, and
/// IPv4-mapped addresses as `::ffff:a.b.c.d`.
fn format_v6(ip: Ipv6Addr, buf: &mut [u8]) -> usize {
    let segs = ip.segments();
    if let Some(v4) = ip.to_ipv4_mapped() {
        buf[..7].copy_from_slice(b"::ffff:");
        return 7 + format_v4(v4, &mut buf[7..]);
    }
    // The longest run of zero groups.
    let (mut best_at, mut best_len) = (0, 0);
    let mut i = 0;
    while i < 8 {
        if segs[i] == 0 {
            let start = i;
            while i < 8 && segs[i] == 0 {
                i += 1;
            }
            if i - start > best_len {
                (best_at, best_len) = (start, i - start);
            }
        } else {
            i += 1;
        }
    }
    let mut n = 0;
    let put_group = |buf: &mut [u8], n: &mut usize, g: u16| {
        let mut started = false;
        for shift in [12, 8, 4, 0] {
            let d = (g >> shift) & 15;
            if d != 0 || started || shift == 0 {
                buf[*n] = HEX[usize::from(d)];
                *n += 1;
                started = true;
            }
        }
    };
    if best_len >= 2 {
        for (j, &g) in segs[..best_at].iter().enumerate() {
            if j > 0 {
                buf[n] = b':';
                n += 1;
            }
            put_group(buf, &mut n, g);
        }
        buf[n..n + 2].copy_from_slice(b"::");
        n += 2;
        for (j, &g) in segs[best_at + best_len..].iter().enumerate() {
            if j > 0 {
                buf[n] = b':';
                n += 1;
            }
            put_group(buf, &mut n, g);
        }
    } else {
        for (j, &g) in segs.iter().enumerate() {
            if j > 0 {
                buf[n] = b':';
                n += 1;
            }
            put_group(buf, &mut n, g);
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

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

    /// Every field and naming branch, against `json_golden/lines.txt`: lines
    /// recorded with the serde_json code this module replaced, so neither path may
    /// drift from the published format.
    #[test]
    fn both_paths_write_the_recorded_lines() {
        use crate as crate_root;
        let events: Vec<Event> = include!("json_golden/events.rs");
        let golden: Vec<&str> = include_str!("json_golden/lines.txt").lines().collect();
        assert_eq!(events.len(), golden.len());
        let names = |i: u32| match i {
            4 => Some("br\"0".to_string()),
            2 => Some("peer".to_string()),
            3 => Some("x".to_string()),
            _ => None,
        };
        for (ev, want) in events.iter().zip(golden) {
            let line = crate::event::JsonEvent {
                event: ev,
                names: &names,
            };
            assert_eq!(serde_json::to_string(&line).unwrap(), want);
            let mut fast = Vec::new();
            line.write_line(&mut fast);
            assert_eq!(String::from_utf8(fast).unwrap(), want);
        }
    }

    #[test]
    fn times_past_year_9999_are_written_as_its_last_second() {
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(400_000_000_000);
        assert_eq!(Rfc3339(t).to_string(), "9999-12-31T23:59:59.999999Z");
        let before = SystemTime::UNIX_EPOCH - std::time::Duration::from_secs(1);
        assert_eq!(Rfc3339(before).to_string(), "1970-01-01T00:00:00.000000Z");
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
}
