//! With the `serde` feature: events as `Serialize`, for any serde format an
//! embedder uses, through the same field description as the JSON lines (so
//! `serde_json` writes the very same text; a test pins both to recorded lines).
//!
//! This module never decides what an event contains; it only hands it to serde.

use super::json::{event_fields, JsonEvent};
use super::time::Rfc3339;
use crate::object::fields::{float_as_integer, k, via_family, FieldName, Fields, Nested};
use crate::object::{Event, HwAddr, Name};
use serde::ser::{SerializeMap, Serializer};
use std::net::IpAddr;
use std::time::SystemTime;

/// The JSON line's fields (see [`JsonEvent`]) with the details, without the
/// names of other interfaces.
impl serde::Serialize for Event {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        JsonEvent {
            event: self,
            names: &|_| None,
            details: true,
        }
        .serialize(s)
    }
}

/// The JSON line's fields.
impl serde::Serialize for JsonEvent<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut f = SerdeFields::new(s.serialize_map(None)?);
        f.details = self.details;
        event_fields(self.event, self.names, &mut f);
        f.end()
    }
}

/// [`Fields`] into a serde map; the first error is kept and ends the writing.
pub(crate) struct SerdeFields<M: SerializeMap> {
    map: M,
    error: Option<M::Error>,
    details: bool,
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

/// An `RTA_VIA` gateway: `{"family":"inet6","host":"2001:db8::1"}`.
struct Via(IpAddr);

impl serde::Serialize for Via {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut f = SerdeFields::new(s.serialize_map(Some(2))?);
        f.put(k!("family"), via_family(self.0));
        f.put(k!("host"), &self.0);
        f.end()
    }
}

impl<M: SerializeMap> SerdeFields<M> {
    pub(crate) fn new(map: M) -> Self {
        SerdeFields {
            map,
            error: None,
            details: true,
        }
    }

    fn put<T: serde::Serialize + ?Sized>(&mut self, key: FieldName, v: &T) {
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
    fn details(&self) -> bool {
        self.details
    }
    fn str(&mut self, key: FieldName, v: &str) {
        self.put(key, v);
    }
    fn word(&mut self, key: FieldName, v: &'static str) {
        self.put(key, v);
    }
    fn num(&mut self, key: FieldName, v: u64) {
        self.put(key, &v);
    }
    fn int(&mut self, key: FieldName, v: i64) {
        self.put(key, &v);
    }
    fn yes(&mut self, key: FieldName) {
        self.put(key, &true);
    }
    fn ip(&mut self, key: FieldName, v: Option<IpAddr>) {
        self.put(key, &v);
    }
    fn prefix(&mut self, key: FieldName, v: IpAddr, len: Option<u8>) {
        match len {
            Some(len) => self.put(key, &Shown(format_args!("{v}/{len}"))),
            None => self.put(key, &v),
        }
    }
    fn hw(&mut self, key: FieldName, v: &HwAddr) {
        self.put(key, v);
    }
    fn time(&mut self, key: FieldName, v: SystemTime) {
        self.put(key, &Shown(Rfc3339(v)));
    }
    fn words(&mut self, key: FieldName, v: &mut dyn Iterator<Item = &'static str>) {
        self.put(key, &Words(std::cell::RefCell::new(v)));
    }
    fn name(&mut self, key: FieldName, v: &Name) {
        self.put(key, v);
    }
    fn names(&mut self, key: FieldName, v: &[Name]) {
        self.put(key, v);
    }
    fn via(&mut self, key: FieldName, v: IpAddr) {
        self.put(key, &Via(v));
    }
    fn null(&mut self, key: FieldName) {
        self.put(key, &());
    }
    fn bool(&mut self, key: FieldName, v: bool) {
        self.put(key, &v);
    }
    fn float(&mut self, key: FieldName, v: f64) {
        match float_as_integer(v) {
            Some(n) => self.put(key, &n),
            None => self.put(key, &v),
        }
    }
    fn object(&mut self, key: FieldName, v: &dyn Nested) {
        self.put(key, &Object(v));
    }
    fn objects(&mut self, key: FieldName, v: &mut dyn Iterator<Item = &dyn Nested>) {
        self.put(key, &Objects(std::cell::RefCell::new(v)));
    }
}

/// A [`Nested`] value as a serde map.
struct Object<'a>(&'a dyn Nested);

impl serde::Serialize for Object<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut f = SerdeFields::new(s.serialize_map(None)?);
        self.0.fields(&mut f);
        f.end()
    }
}

struct Objects<'a, 'b>(std::cell::RefCell<&'a mut dyn Iterator<Item = &'b dyn Nested>>);

impl serde::Serialize for Objects<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut it = self.0.borrow_mut();
        s.collect_seq((&mut **it).map(Object))
    }
}
