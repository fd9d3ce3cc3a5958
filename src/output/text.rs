//! Text lines in the style of `ip monitor`: `[kind] action`, then what the
//! object's kind writes of itself.
//!
//! This module never decides what an object contains; it only writes it.

use crate::object::fields::{float_as_integer, FieldName, Fields, IfNames, Nested};
use crate::object::{text_escaped, Action, HwAddr, Name, Object};
use std::fmt;
use std::net::IpAddr;
use std::time::SystemTime;

/// Writes an object as one `ip monitor`-style line (without the trailing newline),
/// naming interfaces with `names` where it can and as `if<N>` where it cannot.
/// With `details` (`nlwatch -d`), a link's line goes on with what `ip -d link`
/// adds (` promiscuity 0 allmulti 0 min_mtu 68 ...`, its `linkinfo` flattened
/// to ` info_kind veth ...`), named as its JSON keys; the other kinds' lines
/// are the same either way.
///
/// ```text
/// [link] new 7: veth0 <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 state UP link/ether 02:00:00:00:00:01 kind veth
/// [addr] new 7: veth0 inet 10.0.0.1/24 brd 10.0.0.255 scope global veth0:a
/// [route] new 10.1.0.0/24 via 10.0.0.2 dev veth0 table 100 proto static metric 50
/// [neigh] new 10.0.0.2 dev veth0 lladdr 02:00:00:00:00:02 PERMANENT
/// ```
///
/// ```
/// use nlwatch::{Action, Object, objects::Neighbour};
/// let mut n = Neighbour::default();
/// (n.family, n.ifindex, n.dst, n.state) = (2, 3, "10.0.0.2".parse().ok(), 0x80);
/// let mut line = String::new();
/// nlwatch::output::write_text(&mut line, &Object::Neighbour(n), Action::New, &|_| None, false)?;
/// assert_eq!(line, "[neigh] new 10.0.0.2 dev if3 PERMANENT");
/// # Ok::<(), std::fmt::Error>(())
/// ```
pub fn write_text(
    out: &mut impl fmt::Write,
    obj: &Object,
    action: Action,
    names: &dyn IfNames,
    details: bool,
) -> fmt::Result {
    write!(out, "[{}] ", obj.kind().as_str())?;
    write_bare_text(out, obj, action, names, details)
}

/// [`write_text`] without the `[kind]` label that starts its line (what
/// `nlwatch --no-label` prints).
///
/// ```
/// use nlwatch::{Action, Object, objects::Neighbour};
/// let mut n = Neighbour::default();
/// (n.family, n.ifindex, n.dst, n.state) = (2, 3, "10.0.0.2".parse().ok(), 0x80);
/// let mut line = String::new();
/// nlwatch::output::write_bare_text(&mut line, &Object::Neighbour(n), Action::Del, &|_| None, false)?;
/// assert_eq!(line, "del 10.0.0.2 dev if3 PERMANENT");
/// # Ok::<(), std::fmt::Error>(())
/// ```
pub fn write_bare_text(
    out: &mut impl fmt::Write,
    obj: &Object,
    action: Action,
    names: &dyn IfNames,
    details: bool,
) -> fmt::Result {
    out.write_str(action.as_str())?;
    obj.write_text(out, names)?;
    if details {
        let mut f = TextFields {
            out: out as &mut dyn fmt::Write,
            result: Ok(()),
        };
        obj.text_details(&mut f);
        f.result?;
    }
    Ok(())
}

/// [`Fields`] as ` key value` pairs on a text line: lists joined by commas,
/// nested objects flattened into the line (their keys say what they are),
/// every string escaped as names are. The first error is kept.
struct TextFields<'a> {
    out: &'a mut dyn fmt::Write,
    result: fmt::Result,
}

impl TextFields<'_> {
    fn pair(&mut self, key: FieldName, v: &dyn fmt::Display) {
        if self.result.is_ok() {
            self.result = write!(self.out, " {} {v}", key.bare);
        }
    }

    fn list<T: fmt::Display>(&mut self, key: FieldName, items: impl Iterator<Item = T>) {
        let mut first = true;
        for item in items {
            if self.result.is_err() {
                return;
            }
            self.result = if first {
                write!(self.out, " {} {item}", key.bare)
            } else {
                write!(self.out, ",{item}")
            };
            first = false;
        }
    }
}

impl Fields for TextFields<'_> {
    fn details(&self) -> bool {
        true
    }
    fn str(&mut self, key: FieldName, v: &str) {
        self.pair(key, &text_escaped(v));
    }
    fn name(&mut self, key: FieldName, v: &Name) {
        self.pair(key, v);
    }
    fn word(&mut self, key: FieldName, v: &'static str) {
        self.pair(key, &v);
    }
    fn num(&mut self, key: FieldName, v: u64) {
        self.pair(key, &v);
    }
    fn int(&mut self, key: FieldName, v: i64) {
        self.pair(key, &v);
    }
    fn yes(&mut self, key: FieldName) {
        self.pair(key, &"true");
    }
    fn ip(&mut self, key: FieldName, v: Option<IpAddr>) {
        match v {
            Some(ip) => self.pair(key, &ip),
            None => self.pair(key, &"none"),
        }
    }
    fn prefix(&mut self, key: FieldName, v: IpAddr, len: Option<u8>) {
        match len {
            Some(len) => self.pair(key, &format_args!("{v}/{len}")),
            None => self.pair(key, &v),
        }
    }
    fn hw(&mut self, key: FieldName, v: &HwAddr) {
        self.pair(key, v);
    }
    fn time(&mut self, key: FieldName, v: SystemTime) {
        self.pair(key, &super::Rfc3339(v));
    }
    fn words(&mut self, key: FieldName, v: &mut dyn Iterator<Item = &'static str>) {
        self.list(key, v);
    }
    fn names(&mut self, key: FieldName, v: &[Name]) {
        self.list(key, v.iter());
    }
    fn via(&mut self, key: FieldName, v: IpAddr) {
        self.pair(key, &v);
    }
    fn null(&mut self, key: FieldName) {
        if self.result.is_ok() {
            self.result = write!(self.out, " {}", key.bare);
        }
    }
    fn bool(&mut self, key: FieldName, v: bool) {
        self.pair(key, &v);
    }
    fn float(&mut self, key: FieldName, v: f64) {
        match float_as_integer(v) {
            Some(n) => self.pair(key, &n),
            None => self.pair(key, &v),
        }
    }
    fn object(&mut self, _key: FieldName, v: &dyn Nested) {
        v.fields(self);
    }
    fn objects(&mut self, _key: FieldName, v: &mut dyn Iterator<Item = &dyn Nested>) {
        for o in v {
            o.fields(self);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::write_text;
    use crate::object::{Action, HwAddr, Link, Object};

    /// The hardware type is named as `ip` names it: `link/loopback` for `lo`,
    /// `link/none` for a tunnel without one, `link/[N]` for a type `ip` has no
    /// name for.
    #[test]
    fn link_lines_name_the_hardware_type_as_ip_does() {
        for (link_type, want) in [
            (772u16, "link/loopback 00:00:00:00:00:00"),
            (1, "link/ether 00:00:00:00:00:00"),
            (65534, "link/none 00:00:00:00:00:00"),
            (9999, "link/[9999] 00:00:00:00:00:00"),
        ] {
            let link = Link {
                ifindex: 1,
                link_type,
                address: HwAddr::new(&[0; 6]),
                ..Link::default()
            };
            let mut line = String::new();
            write_text(
                &mut line,
                &Object::Link(link),
                Action::New,
                &|_| None,
                false,
            )
            .unwrap();
            assert!(line.ends_with(want), "{line}");
        }
    }
}
