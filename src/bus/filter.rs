//! Subscription filters: which items a subscriber wants.
//!
//! A [`Filter`] is a conjunction of criteria, each a set of accepted values: an
//! event passes when, for every criterion that is set, it carries one of that
//! criterion's values. An unset criterion accepts anything. Interface-name criteria
//! are shell-style globs (`glob.rs`), compiled once when the filter is built. What
//! an object offers to filter on (its interface, family, table) is its kind's to
//! say (`Object::ifindex`, `Object::family`, `Object::table`).
//!
//! This module owns the matching rules only. It must never queue, send or drop
//! items (that is the bus, which also decides which subscribers a filter is even
//! asked about), and matching must never allocate.

use super::glob::Glob;
use super::item::Item;
use crate::object::{Action, Event, NetnsTag, ObjectKind};
use std::sync::Arc;

/// Which items a subscription receives.
///
/// Every builder method adds one accepted value to one criterion; calling the same
/// method again widens that criterion (any of its values matches). An item must
/// match **all** criteria that are set; a criterion never set accepts anything, so
/// `Filter::new()` (the same as `Filter::default()`) accepts every item.
///
/// | criterion | set by | an [`Event`] matches when |
/// |---|---|---|
/// | namespace | [`namespace_id`](Self::namespace_id), [`namespace_name`](Self::namespace_name), [`namespace`](Self::namespace) | its `netns.id` is one of the ids **or** its `netns.name` is one of the names |
/// | object kind | [`object`](Self::object), [`objects`](Self::objects) | `object.kind()` is one of them |
/// | action | [`action`](Self::action) | `action` is one of them |
/// | interface index | [`ifindex`](Self::ifindex) | [`Object::ifindex`](crate::Object::ifindex) is one of them (a route without output interface has none and does not match) |
/// | interface name | [`ifname`](Self::ifname) | `Event::ifname` is known and matches one of the globs |
/// | address family | [`family`](Self::family) | [`Object::family`](crate::Object::family) is one of them (addresses, routes and neighbours have one); **links never match**, they have no family (with [`ip_style`](Self::ip_style), objects without one always match) |
/// | route table | [`table`](Self::table) | [`Object::table`](crate::Object::table) is one of them (routes have one); other objects never match (with [`ip_style`](Self::ip_style), they always do) |
/// | events at all | [`events`](Self::events) | `events(false)` accepts no event: control items only |
/// | no namespace at all | [`no_namespace`](Self::no_namespace) | never: neither events nor control items of any namespace |
///
/// Control items are not events and are filtered differently:
///
/// - [`Item::Overrun`], [`Item::SyncDone`], [`Item::ResyncDone`],
///   [`Item::NamespaceAdded`] and [`Item::NamespaceGone`] are
///   delivered when the namespace criterion (if set) matches their `netns`; the
///   other criteria do not apply to them, so a subscriber that filters on routes in
///   namespace `a` still learns that `a` overran or went away.
/// - [`Item::Lagged`] is made by the bus for one subscriber and always reaches it;
///   [`Item::SinkStopped`] and [`Item::DiscoveryFailed`] reach every subscriber.
///
/// # Examples
///
/// IPv6 routes in table 100, in either of two namespaces:
///
/// ```
/// use nlwatch::{Filter, ObjectKind};
/// let filter = Filter::new()
///     .namespace_name("blue")
///     .namespace_name("green")
///     .object(ObjectKind::Route)
///     .family(10) // AF_INET6
///     .table(100);
/// # let _ = filter;
/// ```
///
/// Removals of veth interfaces and of their addresses, in one namespace known by id:
///
/// ```
/// use nlwatch::{Action, Filter, ObjectKind};
/// let filter = Filter::new()
///     .namespace_id(4026531840)
///     .objects([ObjectKind::Link, ObjectKind::Address])
///     .action(Action::Del)
///     .ifname("veth*");
/// # let _ = filter;
/// ```
///
/// Subscribing with a filter:
///
/// ```no_run
/// use nlwatch::{Filter, Monitor, Netns, ObjectKind};
/// let monitor = Monitor::builder().build()?;
/// let links = monitor.subscribe_with(Filter::new().object(ObjectKind::Link));
/// monitor.add_namespace(Netns::Current)?;
/// for item in links {
///     println!("{item:?}");
/// }
/// # Ok::<(), nlwatch::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub(crate) netns_ids: Vec<u64>,
    pub(crate) netns_names: Vec<Arc<str>>,
    /// Bit `kind_bit(k)` set for each accepted kind; 0 = any.
    kinds: KindSet,
    /// Bit 0 = `Action::New`, bit 1 = `Action::Del`; 0 = any.
    actions: u8,
    /// Set by `events(false)`: control items only.
    no_events: bool,
    /// Set by `no_namespace()`: nothing of any namespace.
    no_netns: bool,
    ifindexes: Vec<u32>,
    ifnames: Vec<Glob>,
    families: Vec<u8>,
    tables: Vec<u32>,
    /// Set by `ip_style()`: a family or table criterion passes objects that
    /// have none.
    ip_style: bool,
}

/// A set of object kinds, one bit each.
type KindSet = u32;
const _: () = assert!(ObjectKind::COUNT <= KindSet::BITS as usize);

fn kind_bit(kind: ObjectKind) -> KindSet {
    1 << kind.index()
}

fn action_bit(action: Action) -> u8 {
    match action {
        Action::New => 1,
        Action::Del => 2,
    }
}

fn push_unique<T: PartialEq>(set: &mut Vec<T>, value: T) {
    if !set.contains(&value) {
        set.push(value);
    }
}

impl Filter {
    /// A filter that accepts every item.
    ///
    /// ```
    /// assert_eq!(nlwatch::Filter::new(), nlwatch::Filter::default());
    /// ```
    pub fn new() -> Self {
        Filter::default()
    }

    /// Accepts the namespace with this stable id ([`NetnsTag::id`]).
    ///
    /// ```
    /// let f = nlwatch::Filter::new().namespace_id(7).namespace_id(9);
    /// assert_eq!(f.namespace_ids(), &[7, 9]);
    /// ```
    pub fn namespace_id(mut self, id: u64) -> Self {
        push_unique(&mut self.netns_ids, id);
        self
    }

    /// Accepts namespaces added under this name or path ([`NetnsTag::name`]; `""`
    /// is the namespace the program started in). Names are compared exactly.
    ///
    /// ```
    /// let f = nlwatch::Filter::new().namespace_name("blue");
    /// assert_eq!(&*f.namespace_names()[0], "blue");
    /// ```
    pub fn namespace_name(mut self, name: impl Into<Arc<str>>) -> Self {
        push_unique(&mut self.netns_names, name.into());
        self
    }

    /// Accepts the namespace `tag` names, by its stable id: the tag returned by
    /// `Monitor::add_namespace`.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let tag = nlwatch::NetnsTag { name: Arc::from("blue"), id: 42 };
    /// assert_eq!(nlwatch::Filter::new().namespace(&tag).namespace_ids(), &[42]);
    /// ```
    pub fn namespace(self, tag: &NetnsTag) -> Self {
        self.namespace_id(tag.id)
    }

    /// Accepts events about objects of this kind.
    ///
    /// ```
    /// use nlwatch::{Filter, ObjectKind};
    /// let f = Filter::new().object(ObjectKind::Route);
    /// assert_eq!(f.object_kinds(), vec![ObjectKind::Route]);
    /// ```
    pub fn object(mut self, kind: ObjectKind) -> Self {
        self.kinds |= kind_bit(kind);
        self
    }

    /// Accepts events about objects of any of these kinds.
    ///
    /// ```
    /// use nlwatch::{Filter, ObjectKind};
    /// let f = Filter::new().objects([ObjectKind::Neighbour, ObjectKind::Link]);
    /// assert_eq!(f.object_kinds(), vec![ObjectKind::Link, ObjectKind::Neighbour]);
    /// ```
    pub fn objects(self, kinds: impl IntoIterator<Item = ObjectKind>) -> Self {
        kinds.into_iter().fold(self, Filter::object)
    }

    /// Accepts events with this action (`New` or `Del`).
    ///
    /// ```
    /// use nlwatch::{Action, Filter};
    /// let f = Filter::new().action(Action::Del);
    /// # let _ = f;
    /// ```
    pub fn action(mut self, action: Action) -> Self {
        self.actions |= action_bit(action);
        self
    }

    /// Accepts events whose object belongs to interface `ifindex`
    /// (see [`Object::ifindex`](crate::Object::ifindex): a link's own index, an address's or neighbour's
    /// interface, a route's output interface or its first next hop's).
    ///
    /// ```
    /// let f = nlwatch::Filter::new().ifindex(3).ifindex(4);
    /// # let _ = f;
    /// ```
    pub fn ifindex(mut self, ifindex: u32) -> Self {
        push_unique(&mut self.ifindexes, ifindex);
        self
    }

    /// Accepts events whose interface name ([`Event::ifname`]) matches the glob
    /// `pattern`. An event whose interface name is not known does not match.
    ///
    /// The glob is matched against the whole name, character by character:
    ///
    /// - `*` matches any run of characters, including none;
    /// - `?` matches exactly one character;
    /// - `[abc]`, `[a-z0-9]` match one character of the class, `[!...]` or
    ///   `[^...]` one character not in it; a `]` right after the opening `[` (or
    ///   `[!`) and a `-` first or last are literal members;
    /// - `\` makes the next character literal, inside a class too;
    /// - a `[` without a closing `]` is a literal `[`, as in POSIX `fnmatch`, so no
    ///   pattern is invalid.
    ///
    /// ```
    /// let f = nlwatch::Filter::new().ifname("veth[0-9]*").ifname("br-?");
    /// # let _ = f;
    /// ```
    pub fn ifname(mut self, pattern: &str) -> Self {
        push_unique(&mut self.ifnames, Glob::new(pattern));
        self
    }

    /// Accepts addresses, routes and neighbours of this address family:
    /// `AF_INET` (2) or `AF_INET6` (10); any other value (such as `AF_BRIDGE`, 7,
    /// for bridge FDB neighbours) is compared the same way.
    ///
    /// Links have no address family, so **a family filter never matches a link
    /// event** (unless [`ip_style`](Self::ip_style)). To follow IPv4 addresses together with every link change, use two
    /// subscriptions (or none of the family criterion and check
    /// `Address::family` yourself).
    ///
    /// ```
    /// use nlwatch::{Filter, ObjectKind};
    /// let ipv4_addresses = Filter::new().object(ObjectKind::Address).family(2);
    /// # let _ = ipv4_addresses;
    /// ```
    pub fn family(mut self, family: u8) -> Self {
        push_unique(&mut self.families, family);
        self
    }

    /// Accepts routes in this table (`254` is `main`, `255` `local`). Only routes
    /// have a table: **a table filter never matches links, addresses or
    /// neighbours**.
    ///
    /// ```
    /// let main_table = nlwatch::Filter::new().table(254);
    /// # let _ = main_table;
    /// ```
    pub fn table(mut self, table: u32) -> Self {
        push_unique(&mut self.tables, table);
        self
    }

    /// Family and table criteria as `ip monitor`'s: they narrow only the
    /// objects that have a family or a table (`ip -4 monitor` still shows
    /// links; a table criterion passes every object but the routes and rules
    /// of other tables). Without it, an object without a family or a table
    /// never matches such a criterion.
    ///
    /// ```
    /// use nlwatch::{Action, Event, Filter, NetnsTag, Object, objects::Link};
    /// let link = Event::new(NetnsTag::default(), Action::New, Object::Link(Link::default()));
    /// assert!(!Filter::new().table(254).matches_event(&link));
    /// assert!(Filter::new().table(254).ip_style().matches_event(&link));
    /// ```
    pub fn ip_style(mut self) -> Self {
        self.ip_style = true;
        self
    }

    /// With `false`, accepts no event at all, only control items (namespaces added
    /// and gone, overruns, sync and resync done, sink stops, this subscriber's
    /// losses): for a consumer that supervises rather than follows changes. The
    /// bus then never offers it an event, so it costs publishing nothing.
    ///
    /// ```
    /// use nlwatch::{Filter, Item, NetnsTag};
    /// let control = Filter::new().events(false);
    /// let now = std::time::SystemTime::now();
    /// let overrun = Item::Overrun { netns: NetnsTag::default(), timestamp: now };
    /// assert!(control.matches(&overrun));
    /// ```
    pub fn events(mut self, wanted: bool) -> Self {
        self.no_events = !wanted;
        self
    }

    /// Accepts nothing of any namespace, neither events nor control items: only
    /// what concerns the subscriber or the bus itself ([`Item::Lagged`],
    /// [`Item::SinkStopped`]). For a supervisor that must learn that a sink
    /// stopped, with a queue that namespaces' items can never fill.
    ///
    /// ```
    /// use nlwatch::{Filter, Item, NetnsTag};
    /// let bus_only = Filter::new().no_namespace();
    /// let now = std::time::SystemTime::now();
    /// let added = Item::NamespaceAdded { netns: NetnsTag::default(), timestamp: now };
    /// assert!(!bus_only.matches(&added));
    /// assert!(bus_only.matches(&Item::Lagged { missed: 1 }));
    /// ```
    pub fn no_namespace(mut self) -> Self {
        self.no_netns = true;
        self
    }

    /// The namespace ids accepted, in the order given; empty when only names (or
    /// nothing) restrict the namespace.
    pub fn namespace_ids(&self) -> &[u64] {
        &self.netns_ids
    }

    /// The namespace names accepted, in the order given.
    pub fn namespace_names(&self) -> &[Arc<str>] {
        &self.netns_names
    }

    /// The object kinds accepted, in [`ObjectKind::ALL`] order; empty = any.
    pub fn object_kinds(&self) -> Vec<ObjectKind> {
        ObjectKind::ALL
            .into_iter()
            .filter(|&k| self.kinds & kind_bit(k) != 0)
            .collect()
    }

    /// Whether the namespace criterion is set.
    pub(crate) fn has_namespace(&self) -> bool {
        !self.netns_ids.is_empty() || !self.netns_names.is_empty() || self.no_netns
    }

    /// Whether events about objects of `kind` can match.
    pub(crate) fn accepts_kind(&self, kind: ObjectKind) -> bool {
        !self.no_events && (self.kinds == 0 || self.kinds & kind_bit(kind) != 0)
    }

    /// Whether `netns` satisfies the namespace criterion.
    pub fn matches_netns(&self, netns: &NetnsTag) -> bool {
        if self.no_netns {
            return false;
        }
        !self.has_namespace()
            || self.netns_ids.contains(&netns.id)
            || self.netns_names.iter().any(|n| **n == *netns.name)
    }

    /// Whether `event` satisfies every criterion.
    ///
    /// ```
    /// use nlwatch::{Action, Event, Filter, NetnsTag, Object, objects::{Name, Neighbour}};
    /// use std::sync::Arc;
    /// let mut neighbour = Neighbour::default();
    /// (neighbour.family, neighbour.ifindex) = (2, 2);
    /// let mut event = Event::new(
    ///     NetnsTag { name: Arc::from(""), id: 1 },
    ///     Action::New,
    ///     Object::Neighbour(neighbour),
    /// );
    /// event.ifname = Some(Name::new("eth0"));
    /// assert!(Filter::new().ifname("eth*").family(2).matches_event(&event));
    /// assert!(!Filter::new().ifname("eth*").family(10).matches_event(&event));
    /// ```
    pub fn matches_event(&self, event: &Event) -> bool {
        self.matches_netns(&event.netns)
            && self.accepts_kind(event.object.kind())
            && (self.actions == 0 || self.actions & action_bit(event.action) != 0)
            && (self.ifindexes.is_empty()
                || event
                    .object
                    .ifindex()
                    .is_some_and(|i| self.ifindexes.contains(&i)))
            && (self.ifnames.is_empty()
                || event
                    .ifname
                    .as_ref()
                    // A name that is not UTF-8 is matched in its lossy form:
                    // `*` and `?` match what is not text as they match the rest.
                    .map(|name| name.to_string_lossy())
                    .is_some_and(|name| self.ifnames.iter().any(|g| g.matches(&name))))
            && (self.families.is_empty()
                || (event.object.family()).map_or(self.ip_style, |f| self.families.contains(&f)))
            && (self.tables.is_empty()
                || (event.object.table()).map_or(self.ip_style, |t| self.tables.contains(&t)))
    }

    /// Whether `item` would be delivered to a subscriber with this filter (see the
    /// type's documentation for control items).
    pub fn matches(&self, item: &Item) -> bool {
        match item {
            Item::Event(event) => self.matches_event(event),
            Item::Overrun { netns, .. }
            | Item::SyncDone { netns, .. }
            | Item::ResyncDone { netns, .. }
            | Item::NamespaceAdded { netns, .. }
            | Item::NamespaceGone { netns, .. } => self.matches_netns(netns),
            Item::Lagged { .. } | Item::SinkStopped { .. } | Item::DiscoveryFailed { .. } => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_deduplicates_and_reports_its_values() {
        let f = Filter::new()
            .namespace_id(3)
            .namespace_id(3)
            .namespace_name("a")
            .namespace_name(String::from("a"))
            .objects([ObjectKind::Route, ObjectKind::Link, ObjectKind::Route])
            .ifname("x*")
            .ifname("x*");
        assert_eq!(f.namespace_ids(), &[3]);
        assert_eq!(f.namespace_names().len(), 1);
        assert_eq!(f.object_kinds(), vec![ObjectKind::Link, ObjectKind::Route]);
        assert_eq!(f.ifnames.len(), 1);
        assert_eq!(format!("{:?}", f.ifnames), r#"["x*"]"#);
        assert!(Filter::new().object_kinds().is_empty());
    }
}
