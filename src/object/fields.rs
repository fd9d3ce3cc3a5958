//! How an object describes itself to a printer: its fields, named as `ip -j`
//! names them, each with a typed value ([`Fields`]), and the names of the
//! interfaces it refers to ([`IfNames`]).
//!
//! Each kind lists its fields once, in its own module; `output` turns the list into
//! JSON (straight into bytes, or through serde). This module knows no output
//! format: it must never write a byte of JSON or text itself.

use super::compact::{HwAddr, Name};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::SystemTime;

/// A field name: plain ASCII, with the text that introduces it between fields
/// precomputed (`,"name":`), so a writer copies it instead of escaping it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FieldName {
    /// The name alone (serde takes it as the map key).
    #[cfg_attr(not(feature = "serde"), allow(dead_code))]
    pub(crate) bare: &'static str,
    /// `,"bare":`
    pub(crate) json: &'static str,
}

/// The [`FieldName`] of a field, from a string literal.
macro_rules! k {
    ($name:literal) => {
        $crate::object::fields::FieldName {
            bare: $name,
            json: concat!(",\"", $name, "\":"),
        }
    };
}
pub(crate) use k;

/// Receives the fields of an event, in order.
pub(crate) trait Fields {
    /// Whether the receiver wants the details: the keys `ip -j -d` writes
    /// and `ip -j` leaves out (a link's queues and offload sizes, a route's
    /// `"table":"main"`, ...). A kind asks before writing them; the state view
    /// keeps them either way.
    fn details(&self) -> bool;
    /// A string of nlwatch's or the caller's: may need JSON escaping.
    fn str(&mut self, key: FieldName, v: &str);
    /// A name from the kernel: raw bytes, written in [`Name::json_escaped`]'s form.
    fn name(&mut self, key: FieldName, v: &Name);
    /// A name from nlwatch's own tables (`names`): plain ASCII, never escaped.
    fn word(&mut self, key: FieldName, v: &'static str);
    /// An unsigned number.
    fn num(&mut self, key: FieldName, v: u64);
    /// A signed number.
    fn int(&mut self, key: FieldName, v: i64);
    /// `true`.
    fn yes(&mut self, key: FieldName);
    /// An IP address, as a string (`null` when absent).
    fn ip(&mut self, key: FieldName, v: Option<IpAddr>);
    /// `"ADDR/LEN"`, or `"ADDR"` alone when `len` is `None`.
    fn prefix(&mut self, key: FieldName, v: IpAddr, len: Option<u8>);
    /// A link-layer address, as a string.
    fn hw(&mut self, key: FieldName, v: &HwAddr);
    /// An RFC 3339 time, as a string.
    fn time(&mut self, key: FieldName, v: SystemTime);
    /// A list of names from nlwatch's tables.
    fn words(&mut self, key: FieldName, v: &mut dyn Iterator<Item = &'static str>);
    /// A list of names from the kernel.
    fn names(&mut self, key: FieldName, v: &[Name]);
    /// An `RTA_VIA` gateway, as `ip -j` writes it:
    /// `{"family":"inet6","host":"2001:db8::1"}`.
    fn via(&mut self, key: FieldName, v: IpAddr);
    /// `null`: how `ip -j` writes a flag that is set (`"blackhole":null`).
    fn null(&mut self, key: FieldName);
    /// `true` or `false`.
    fn bool(&mut self, key: FieldName, v: bool);
    /// A number that may have a fraction (seconds, as `ip -j` prints timers):
    /// written as an integer when it has none (see [`float_as_integer`]),
    /// else in its shortest form (`0.5`).
    fn float(&mut self, key: FieldName, v: f64);
    /// An object with fields of its own (`"resilient_args":{...}`).
    fn object(&mut self, key: FieldName, v: &dyn Nested);
    /// A list of objects (`"group":[{"id":1},{"id":2,"weight":5}]`).
    fn objects(&mut self, key: FieldName, v: &mut dyn Iterator<Item = &dyn Nested>);
}

/// A value with fields of its own, written as an object inside the line.
pub(crate) trait Nested {
    /// Its fields, in order.
    fn fields(&self, f: &mut dyn Fields);
}

/// `v` as an integer when it is a whole number a `u64` holds: how both the
/// JSON writer and serde write [`Fields::float`] (`ip -j` prints `120`, not
/// `120.0`). Every double from 2^53 up is whole, and converts exactly: the
/// two writers would otherwise write those differently (found by fuzzing: a
/// resilient group's `unbalanced_time` of 9.22337e16 seconds).
pub(crate) fn float_as_integer(v: f64) -> Option<u64> {
    (v.fract() == 0.0 && (0.0..18_446_744_073_709_551_616.0).contains(&v)).then_some(v as u64)
}

/// A number, when present.
pub(crate) fn opt_num(f: &mut impl Fields, key: FieldName, v: Option<impl Into<u64>>) {
    if let Some(v) = v {
        f.num(key, v.into());
    }
}

/// An address, when present.
pub(crate) fn opt_ip(f: &mut impl Fields, key: FieldName, v: Option<IpAddr>) {
    if v.is_some() {
        f.ip(key, v);
    }
}

/// A name, when present.
pub(crate) fn opt_name(f: &mut impl Fields, key: FieldName, v: &Option<Name>) {
    if let Some(v) = v {
        f.name(key, v);
    }
}

/// A name from a table, or the number when the table has none.
pub(crate) fn word_or_num(f: &mut impl Fields, key: FieldName, name: Option<&'static str>, n: u8) {
    match name {
        Some(name) => f.word(key, name),
        None => f.num(key, n.into()),
    }
}

/// A number as C's `%#llx` writes it (iproute2's `print_0xhex`): `0x10`,
/// and `0` for zero.
pub(crate) fn hex(v: u64) -> String {
    if v == 0 {
        "0".to_string()
    } else {
        format!("{v:#x}")
    }
}

/// A device group as iproute2 names it without a groups file
/// (`rtnl_group_n2a`): `default` for 0, else the number.
pub(crate) fn group_name(group: i64) -> String {
    if group == 0 {
        "default".to_string()
    } else {
        group.to_string()
    }
}

/// [`group_name`] as a field, without allocating (every link line has one).
pub(crate) fn group_field(f: &mut impl Fields, key: FieldName, group: i64) {
    if group == 0 {
        f.word(key, "default");
    } else {
        f.str(key, itoa::Buffer::new().format(group));
    }
}

/// How text lines name interface `ifindex`: its name, escaped as [`Name`]'s
/// `Display` writes it, or `if<N>` when no name is known. A `Display`, not a
/// `String`: a text line names one or two interfaces, and allocating each
/// name was a sixteenth of a text replay's instructions.
pub(crate) fn dev_name(names: &dyn IfNames, ifindex: u32) -> DevName {
    DevName {
        name: names.name(ifindex),
        ifindex,
    }
}

/// See [`dev_name`].
pub(crate) struct DevName {
    name: Option<Name>,
    ifindex: u32,
}

impl std::fmt::Display for DevName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.name {
            Some(name) => name.fmt(f),
            None => write!(f, "if{}", self.ifindex),
        }
    }
}

/// The family of an `RTA_VIA` address (IPv4 or IPv6 only are kept), as `ip`
/// names it.
pub(crate) fn via_family(v: IpAddr) -> &'static str {
    super::names::family(match v {
        IpAddr::V4(_) => crate::wire::consts::AF_INET,
        IpAddr::V6(_) => crate::wire::consts::AF_INET6,
    })
}

/// A resolver of interface names for display: `ifindex -> name`. Any
/// `Fn(u32) -> Option<Name>` is one.
///
/// ```
/// use nlwatch::output::IfNames;
/// use nlwatch::objects::Name;
/// let names = |ifindex: u32| (ifindex == 1).then(|| Name::from("lo"));
/// assert_eq!(names.name(1).unwrap(), "lo");
/// assert_eq!(names.name(2), None);
/// ```
pub trait IfNames {
    /// The name of `ifindex`, if known.
    fn name(&self, ifindex: u32) -> Option<Name>;
}

impl<F: Fn(u32) -> Option<Name>> IfNames for F {
    fn name(&self, ifindex: u32) -> Option<Name> {
        self(ifindex)
    }
}

/// ` word` in lower case (a name from nlwatch's tables: ASCII, short), made
/// on the stack: an address's flags were a `String` each.
pub(crate) fn write_lower(out: &mut dyn std::fmt::Write, word: &str) -> std::fmt::Result {
    let mut buf = [b' '; 33];
    match buf.get_mut(1..=word.len()) {
        Some(to) => {
            to.copy_from_slice(word.as_bytes());
            to.make_ascii_lowercase();
            // Lower-casing ASCII keeps UTF-8 valid.
            out.write_str(std::str::from_utf8(&buf[..=word.len()]).map_err(|_| std::fmt::Error)?)
        }
        None => write!(out, " {}", word.to_ascii_lowercase()),
    }
}

/// Lower-case hex digits.
const HEX: &[u8; 16] = b"0123456789abcdef";

/// Longest text of an IP address: an IPv4-mapped IPv6 address in full.
pub(crate) const IP_MAX: usize = 45;

/// Writes `ip` as `Display` shows it into `buf`, returning the length.
pub(crate) fn format_ip(ip: IpAddr, buf: &mut [u8]) -> usize {
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
        n += format_u8(octet, &mut buf[n..]);
    }
    n
}

/// Writes `v` in decimal into `buf`, returning the length.
pub(crate) fn format_u8(v: u8, buf: &mut [u8]) -> usize {
    let mut n = 0;
    if v >= 100 {
        buf[n] = b'0' + v / 100;
        n += 1;
    }
    if v >= 10 {
        buf[n] = b'0' + v / 10 % 10;
        n += 1;
    }
    buf[n] = b'0' + v % 10;
    n + 1
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

/// An IP address as `Display` writes it, formatted without `core::fmt`'s
/// machinery (which was a twelfth of a text replay's instructions): for text
/// lines.
pub(crate) struct IpText(pub(crate) IpAddr);

impl std::fmt::Display for IpText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut buf = [0u8; IP_MAX];
        let n = format_ip(self.0, &mut buf);
        // ASCII digits, hex and separators only.
        f.write_str(std::str::from_utf8(&buf[..n]).map_err(|_| std::fmt::Error)?)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn whole_floats_are_integers_up_to_u64() {
        use super::float_as_integer;
        assert_eq!(float_as_integer(120.0), Some(120));
        assert_eq!(float_as_integer(0.5), None);
        assert_eq!(float_as_integer(9.22337e16), Some(92_233_700_000_000_000));
        assert_eq!(float_as_integer(1.8e19), Some(18_000_000_000_000_000_000));
        assert_eq!(float_as_integer(2e19), None);
        assert_eq!(float_as_integer(-1.0), None);
    }
}
