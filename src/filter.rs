//! Subscription filters: which items a subscriber wants.
//!
//! A [`Filter`] is a conjunction of criteria, each a set of accepted values: an
//! event passes when, for every criterion that is set, it carries one of that
//! criterion's values. An unset criterion accepts anything. Interface-name criteria
//! are shell-style globs matched by the small hand-written matcher at the end of this
//! module (`*`, `?`, `[...]`), compiled once when the filter is built.
//!
//! This module owns the matching rules only. It must never queue, send or drop
//! items (that is [`crate::bus`], which also decides which subscribers a filter is
//! even asked about), and matching must never allocate.

use crate::bus::Item;
use crate::event::{Action, Event, NetnsTag, Object, ObjectKind};
use std::fmt;
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
/// | interface index | [`ifindex`](Self::ifindex) | [`Object::ifindex`] is one of them (a route without output interface has none and does not match) |
/// | interface name | [`ifname`](Self::ifname) | `Event::ifname` is known and matches one of the globs |
/// | address family | [`family`](Self::family) | the object is an address, route or neighbour whose `family` is one of them; **links never match**, they have no family |
/// | route table | [`table`](Self::table) | the object is a route whose `table` is one of them; other objects never match |
///
/// Control items are not events and are filtered differently:
///
/// - [`Item::Overrun`], [`Item::SyncDone`], [`Item::ResyncDone`],
///   [`Item::NamespaceAdded`] and [`Item::NamespaceGone`] are
///   delivered when the namespace criterion (if set) matches their `netns`; the
///   other criteria do not apply to them, so a subscriber that filters on routes in
///   namespace `a` still learns that `a` overran or went away.
/// - [`Item::Lagged`] is made by the bus for one subscriber and always reaches it.
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
    kinds: u8,
    /// Bit 0 = `Action::New`, bit 1 = `Action::Del`; 0 = any.
    actions: u8,
    ifindexes: Vec<u32>,
    ifnames: Vec<Glob>,
    families: Vec<u8>,
    tables: Vec<u32>,
}

/// Position of `kind` in per-kind tables and bit sets.
pub(crate) fn kind_index(kind: ObjectKind) -> usize {
    match kind {
        ObjectKind::Link => 0,
        ObjectKind::Address => 1,
        ObjectKind::Route => 2,
        ObjectKind::Neighbour => 3,
    }
}

fn kind_bit(kind: ObjectKind) -> u8 {
    1 << kind_index(kind)
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
    /// (see [`Object::ifindex`]: a link's own index, an address's or neighbour's
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
    /// event**. To follow IPv4 addresses together with every link change, use two
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
        !self.netns_ids.is_empty() || !self.netns_names.is_empty()
    }

    /// Whether events about objects of `kind` can match.
    pub(crate) fn accepts_kind(&self, kind: ObjectKind) -> bool {
        self.kinds == 0 || self.kinds & kind_bit(kind) != 0
    }

    /// Whether `netns` satisfies the namespace criterion.
    pub fn matches_netns(&self, netns: &NetnsTag) -> bool {
        !self.has_namespace()
            || self.netns_ids.contains(&netns.id)
            || self.netns_names.iter().any(|n| **n == *netns.name)
    }

    /// Whether `event` satisfies every criterion.
    ///
    /// ```
    /// use nlwatch::{Action, CompactStr, Event, Filter, NetnsTag, Object};
    /// use nlwatch::event::Neighbour;
    /// use std::sync::Arc;
    /// let event = Event {
    ///     netns: NetnsTag { name: Arc::from(""), id: 1 },
    ///     seq: 1,
    ///     timestamp: std::time::SystemTime::UNIX_EPOCH,
    ///     action: Action::New,
    ///     origin: Default::default(),
    ///     ifname: Some(CompactStr::new("eth0")),
    ///     object: Object::Neighbour(Neighbour { family: 2, ifindex: 2, ..Default::default() }),
    /// };
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
                    .as_deref()
                    .is_some_and(|name| self.ifnames.iter().any(|g| g.matches(name))))
            && (self.families.is_empty()
                || family(&event.object).is_some_and(|f| self.families.contains(&f)))
            && (self.tables.is_empty()
                || matches!(&event.object, Object::Route(r) if self.tables.contains(&r.table)))
    }

    /// Whether `item` would be delivered to a subscriber with this filter (see the
    /// type's documentation for control items).
    pub fn matches(&self, item: &Item) -> bool {
        match item {
            Item::Event(event) => self.matches_event(event),
            Item::Overrun { netns }
            | Item::SyncDone { netns }
            | Item::ResyncDone { netns }
            | Item::NamespaceAdded { netns }
            | Item::NamespaceGone { netns, .. } => self.matches_netns(netns),
            Item::Lagged { .. } => true,
        }
    }
}

fn family(object: &Object) -> Option<u8> {
    match object {
        Object::Link(_) => None,
        Object::Address(a) => Some(a.family),
        Object::Route(r) => Some(r.family),
        Object::Neighbour(n) => Some(n.family),
    }
}

/// A compiled glob. Every token but `Star` matches exactly one character, so the
/// matcher needs to remember only the last `*` to backtrack to: on a mismatch it
/// lets that star swallow one more character and retries. That is the classic
/// linear-space wildcard algorithm, O(pattern × name) in the worst case, with no
/// recursion and no allocation.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Glob {
    pattern: Box<str>,
    tokens: Box<[Token]>,
}

#[derive(Clone, PartialEq, Eq)]
enum Token {
    Literal(char),
    AnyOne,
    Star,
    Class {
        negated: bool,
        /// Inclusive ranges; a single character `c` is `(c, c)`.
        ranges: Box<[(char, char)]>,
    },
}

impl Token {
    fn matches(&self, c: char) -> bool {
        match self {
            Token::Literal(l) => *l == c,
            Token::AnyOne => true,
            Token::Star => false,
            Token::Class { negated, ranges } => {
                ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != *negated
            }
        }
    }
}

impl fmt::Debug for Glob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.pattern, f)
    }
}

impl Glob {
    pub(crate) fn new(pattern: &str) -> Self {
        let chars: Vec<char> = pattern.chars().collect();
        let mut tokens = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            i += 1;
            match c {
                '*' => {
                    // `**` is `*`; keeping one star keeps the backtracking simple.
                    if tokens.last() != Some(&Token::Star) {
                        tokens.push(Token::Star);
                    }
                }
                '?' => tokens.push(Token::AnyOne),
                '\\' => match chars.get(i) {
                    Some(&next) => {
                        tokens.push(Token::Literal(next));
                        i += 1;
                    }
                    None => tokens.push(Token::Literal('\\')),
                },
                '[' => match parse_class(&chars[i..]) {
                    Some((token, used)) => {
                        tokens.push(token);
                        i += used;
                    }
                    None => tokens.push(Token::Literal('[')),
                },
                c => tokens.push(Token::Literal(c)),
            }
        }
        Glob {
            pattern: pattern.into(),
            tokens: tokens.into(),
        }
    }

    pub(crate) fn matches(&self, name: &str) -> bool {
        let tokens = &self.tokens;
        let (mut p, mut t) = (0, 0);
        // Where to resume after the last star: (token after it, name position).
        let mut resume: Option<(usize, usize)> = None;
        loop {
            let next = name[t..].chars().next();
            match tokens.get(p) {
                Some(Token::Star) => {
                    p += 1;
                    resume = Some((p, t));
                    continue;
                }
                Some(token) => {
                    if let Some(c) = next.filter(|&c| token.matches(c)) {
                        p += 1;
                        t += c.len_utf8();
                        continue;
                    }
                }
                None if next.is_none() => return true,
                None => {}
            }
            // Mismatch: let the last star take one more character, if any is left.
            match resume {
                Some((after_star, from)) => match name[from..].chars().next() {
                    Some(c) => {
                        let from = from + c.len_utf8();
                        resume = Some((after_star, from));
                        p = after_star;
                        t = from;
                    }
                    None => return false,
                },
                None => return false,
            }
        }
    }
}

/// Parses a class after its `[`; returns the token and the characters used
/// including the closing `]`, or `None` if there is no closing `]`.
fn parse_class(chars: &[char]) -> Option<(Token, usize)> {
    let mut i = 0;
    let negated = matches!(chars.first(), Some('!' | '^'));
    if negated {
        i += 1;
    }
    let mut members: Vec<char> = Vec::new();
    // Whether members[k] came from an escape or a leading `]` (never a range dash).
    let mut literal: Vec<bool> = Vec::new();
    let first = i;
    loop {
        let c = *chars.get(i)?;
        i += 1;
        match c {
            ']' if i - 1 > first => break,
            '\\' => {
                let e = *chars.get(i)?;
                i += 1;
                members.push(e);
                literal.push(true);
            }
            c => {
                members.push(c);
                literal.push(c == ']');
            }
        }
    }
    let mut ranges = Vec::new();
    let mut k = 0;
    while k < members.len() {
        let lo = members[k];
        let dash = members.get(k + 1) == Some(&'-') && !literal.get(k + 1).copied().unwrap_or(true);
        match members.get(k + 2) {
            Some(&hi) if dash => {
                ranges.push((lo, hi));
                k += 3;
            }
            _ => {
                ranges.push((lo, lo));
                k += 1;
            }
        }
    }
    Some((
        Token::Class {
            negated,
            ranges: ranges.into(),
        },
        i,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glob(p: &str, name: &str) -> bool {
        Glob::new(p).matches(name)
    }

    #[test]
    fn glob_literals_question_marks_and_stars() {
        let cases = [
            ("eth0", "eth0", true),
            ("eth0", "eth1", false),
            ("eth0", "eth00", false),
            ("eth0", "eth", false),
            ("", "", true),
            ("", "x", false),
            ("eth?", "eth0", true),
            ("eth?", "eth", false),
            ("eth?", "eth10", false),
            ("*", "", true),
            ("*", "anything", true),
            ("veth*", "veth", true),
            ("veth*", "veth0abc", true),
            ("veth*", "xveth0", false),
            ("*0", "veth0", true),
            ("*0", "veth01", false),
            ("*eth*", "veth0", true),
            ("*eth*", "vet0", false),
            ("a*b*c", "aXbYc", true),
            ("a*b*c", "abcbc", true),
            ("a*b*c", "acb", false),
            ("a**b", "ab", true),
            ("*a*a*a", "aaaa", true),
            ("*a*a*a*", "aa", false),
            ("br-?*", "br-", false),
            ("br-?*", "br-1234", true),
            ("??", "é1", true), // one character, two bytes
            ("é*", "é", true),
        ];
        for (p, name, want) in cases {
            assert_eq!(glob(p, name), want, "pattern {p:?} on {name:?}");
        }
    }

    #[test]
    fn glob_classes_ranges_negation_and_escapes() {
        let cases = [
            ("eth[0-3]", "eth2", true),
            ("eth[0-3]", "eth4", false),
            ("eth[0-3]", "eth", false),
            ("[ab]x", "bx", true),
            ("[ab]x", "cx", false),
            ("[a-cx-z]", "y", true),
            ("[a-cx-z]", "d", false),
            ("eth[!0-3]", "eth4", true),
            ("eth[!0-3]", "eth2", false),
            ("eth[^0-3]", "ethx", true),
            ("[]]", "]", true),
            ("[]a]", "a", true),
            ("[!]]", "]", false),
            ("[!]]", "x", true),
            ("[-a]", "-", true),
            ("[a-]", "-", true),
            ("[a-]", "b", false),
            ("[a\\-z]", "-", true),
            ("[a\\-z]", "m", false),
            ("[\\]]", "]", true),
            ("\\*", "*", true),
            ("\\*", "x", false),
            ("a\\?", "a?", true),
            ("a\\?", "ab", false),
            ("x\\", "x\\", true),
            // No closing bracket: the `[` is literal.
            ("eth[0", "eth[0", true),
            ("eth[0", "eth0", false),
            ("[", "[", true),
            ("[!", "[!", true),
            ("*[0-9][0-9]", "veth42", true),
            ("*[0-9][0-9]", "veth4x", false),
        ];
        for (p, name, want) in cases {
            assert_eq!(glob(p, name), want, "pattern {p:?} on {name:?}");
        }
    }

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
