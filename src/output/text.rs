//! Text lines in the style of `ip monitor`: `[kind] action`, then what the
//! object's kind writes of itself.
//!
//! This module never decides what an object contains; it only writes it.

use crate::object::fields::IfNames;
use crate::object::{Action, Object};
use std::fmt;

/// Writes an object as one `ip monitor`-style line (without the trailing newline),
/// naming interfaces with `names` where it can and as `if<N>` where it cannot.
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
/// nlwatch::output::write_text(&mut line, &Object::Neighbour(n), Action::New, &|_| None)?;
/// assert_eq!(line, "[neigh] new 10.0.0.2 dev if3 PERMANENT");
/// # Ok::<(), std::fmt::Error>(())
/// ```
pub fn write_text(
    out: &mut impl fmt::Write,
    obj: &Object,
    action: Action,
    names: &dyn IfNames,
) -> fmt::Result {
    write!(out, "[{}] ", obj.kind().as_str())?;
    write_bare_text(out, obj, action, names)
}

/// [`write_text`] without the `[kind]` label that starts its line (what
/// `nlwatch --no-label` prints).
///
/// ```
/// use nlwatch::{Action, Object, objects::Neighbour};
/// let mut n = Neighbour::default();
/// (n.family, n.ifindex, n.dst, n.state) = (2, 3, "10.0.0.2".parse().ok(), 0x80);
/// let mut line = String::new();
/// nlwatch::output::write_bare_text(&mut line, &Object::Neighbour(n), Action::Del, &|_| None)?;
/// assert_eq!(line, "del 10.0.0.2 dev if3 PERMANENT");
/// # Ok::<(), std::fmt::Error>(())
/// ```
pub fn write_bare_text(
    out: &mut impl fmt::Write,
    obj: &Object,
    action: Action,
    names: &dyn IfNames,
) -> fmt::Result {
    out.write_str(action.as_str())?;
    obj.write_text(out, names)
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
            write_text(&mut line, &Object::Link(link), Action::New, &|_| None).unwrap();
            assert!(line.ends_with(want), "{line}");
        }
    }
}
