//! How an object describes itself to a printer: its fields, named as `ip -j`
//! names them, each with a typed value ([`Fields`]), and the names of the
//! interfaces it refers to ([`IfNames`]).
//!
//! Each kind lists its fields once, in its own module; `output` turns the list into
//! JSON (straight into bytes, or through serde). This module knows no output
//! format: it must never write a byte of JSON or text itself.

use super::compact::{CompactStr, HwAddr};
use super::route::NextHop;
use std::net::IpAddr;
use std::time::SystemTime;

/// A field name: plain ASCII, with the text that introduces it between fields
/// precomputed (`,"name":`), so a writer copies it instead of escaping it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Name {
    /// The name alone (serde takes it as the map key).
    #[cfg_attr(not(feature = "serde"), allow(dead_code))]
    pub(crate) bare: &'static str,
    /// `,"bare":`
    pub(crate) json: &'static str,
}

/// The [`Name`] of a field, from a string literal.
macro_rules! k {
    ($name:literal) => {
        $crate::object::fields::Name {
            bare: $name,
            json: concat!(",\"", $name, "\":"),
        }
    };
}
pub(crate) use k;

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
    /// An IP address, as a string (`null` when absent).
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
    /// The next hops of a multipath route: a list of objects of
    /// [`NextHop::fields`](super::route::NextHop).
    fn hops(&mut self, key: Name, v: &[NextHop]);
}

/// A number, when present.
pub(crate) fn opt_num(f: &mut impl Fields, key: Name, v: Option<impl Into<u64>>) {
    if let Some(v) = v {
        f.num(key, v.into());
    }
}

/// An address, when present.
pub(crate) fn opt_ip(f: &mut impl Fields, key: Name, v: Option<IpAddr>) {
    if v.is_some() {
        f.ip(key, v);
    }
}

/// A string, when present.
pub(crate) fn opt_str(f: &mut impl Fields, key: Name, v: &Option<CompactStr>) {
    if let Some(v) = v {
        f.str(key, v);
    }
}

/// A name from a table, or the number when the table has none.
pub(crate) fn word_or_num(f: &mut impl Fields, key: Name, name: Option<&'static str>, n: u8) {
    match name {
        Some(name) => f.word(key, name),
        None => f.num(key, n.into()),
    }
}

/// A resolver of interface names for display: `ifindex -> name`. Any
/// `Fn(u32) -> Option<String>` is one.
///
/// ```
/// use nlwatch::output::IfNames;
/// let names = |ifindex: u32| (ifindex == 1).then(|| "lo".to_string());
/// assert_eq!(names.name(1).as_deref(), Some("lo"));
/// assert_eq!(names.name(2), None);
/// ```
pub trait IfNames {
    /// The name of `ifindex`, if known.
    fn name(&self, ifindex: u32) -> Option<String>;
}

impl<F: Fn(u32) -> Option<String>> IfNames for F {
    fn name(&self, ifindex: u32) -> Option<String> {
        self(ifindex)
    }
}
