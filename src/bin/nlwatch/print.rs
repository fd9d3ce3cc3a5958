//! The lines `nlwatch` prints: events and control items, as text in the style of
//! `ip monitor` or as JSON lines, all written with the library's `output` module;
//! and `Printer`, the sink that prints them on the reader thread.

use crate::args::Args;
use nlwatch::output::{text_escaped, write_bare_text, write_text, JsonEvent, JsonLine, Rfc3339};
use nlwatch::{
    objects::Name, Action, Event, Flow, GoneReason, Item, Object, Origin, Sink, SinkError,
};
use std::io::{self, Write};
use std::time::SystemTime;

/// Names of other interfaces (a link's master and peer), learned from link events
/// per namespace, and forgotten with the link or its namespace (a long run
/// through pod churn would otherwise keep every name it ever saw).
#[derive(Default)]
pub(crate) struct NameCache {
    /// foldhash: SipHash was the larger part of every lookup.
    known: foldhash::HashMap<(u64, u32), Name>,
}

impl NameCache {
    /// Learns a link's name from its `new`.
    fn learn(&mut self, ev: &Event) {
        if let (Object::Link(l), Action::New) = (&ev.object, ev.action) {
            if let Some(name) = &l.ifname {
                self.known.insert((ev.netns.id, l.ifindex), name.clone());
            }
        }
    }

    /// Forgets a link's name after its `del` was printed (its own line may
    /// still name it from here).
    fn unlearn(&mut self, ev: &Event) {
        if let (Object::Link(l), Action::Del) = (&ev.object, ev.action) {
            self.known.remove(&(ev.netns.id, l.ifindex));
        }
    }

    /// Forgets the names of a namespace no longer watched.
    fn forget(&mut self, netns: u64) {
        self.known.retain(|&(ns, _), _| ns != netns);
    }

    /// Learns the names of a namespace's links ahead of its objects (a
    /// snapshot prints a port before its bridge, and may not print links).
    pub(crate) fn know(&mut self, netns: u64, links: &[nlwatch::objects::Link]) {
        for l in links {
            if let Some(name) = &l.ifname {
                self.known.insert((netns, l.ifindex), name.clone());
            }
        }
    }

    fn get(&self, ev: &Event, ifindex: u32) -> Option<Name> {
        if ev.object.ifindex() == Some(ifindex) {
            if let Some(name) = &ev.ifname {
                return Some(name.clone());
            }
        }
        self.known.get(&(ev.netns.id, ifindex)).cloned()
    }
}

/// A field a control line adds after `object` and `action`.
enum Extra<'a> {
    Num(&'a str, u64),
    Str(&'a str, &'a str),
}

/// The JSON line of a control item: `ts`, `netns`, `object`, `action`, extras.
fn control_line(
    out: &mut Vec<u8>,
    time: SystemTime,
    object: &str,
    action: Option<&str>,
    netns: Option<&str>,
    extra: &[Extra<'_>],
) {
    let mut line = JsonLine::new(out).time("ts", time);
    if let Some(ns) = netns {
        line = line.str("netns", ns);
    }
    line = line.str("object", object);
    if let Some(a) = action {
        line = line.str("action", a);
    }
    for e in extra {
        line = match *e {
            Extra::Num(k, v) => line.num(k, v),
            Extra::Str(k, v) => line.str(k, v),
        };
    }
    line.end();
    out.push(b'\n');
}

/// Writes a control item that happened at `time`: a JSON line, or `[object]
/// text` after its namespace (and the time, with `-t`).
fn control(
    out: &mut Vec<u8>,
    args: &Args,
    time: SystemTime,
    (object, action): (&str, Option<&str>),
    netns: Option<&str>,
    extra: &[Extra<'_>],
    text: &str,
) -> io::Result<()> {
    if args.json {
        control_line(out, time, object, action, netns, extra);
        Ok(())
    } else {
        text_prefix(out, args, time, netns)?;
        writeln!(out, "[{object}] {text}")
    }
}

fn reason_str(reason: &GoneReason) -> String {
    match reason {
        GoneReason::Removed => "removed".into(),
        GoneReason::Vanished => "vanished".into(),
        GoneReason::SocketError(errno) => {
            format!("socket error: {}", io::Error::from_raw_os_error(*errno))
        }
        GoneReason::Shutdown => "shutdown".into(),
        other => format!("{other:?}").to_lowercase(),
    }
}

/// What starts a text line: the time with `-t`, `[TIME] `, and the namespace
/// when several may be watched, `[ns:NAME] ` (`[ns:] ` for the current one).
/// The name is escaped as interface names are: whoever can name a namespace
/// (`ip netns add`, a file in a watched directory, a recording's interface)
/// could otherwise end the line and forge the next one.
fn text_prefix(
    out: &mut Vec<u8>,
    args: &Args,
    time: SystemTime,
    netns: Option<&str>,
) -> io::Result<()> {
    if args.timestamp {
        write!(out, "[{}] ", Rfc3339(time))?;
    }
    match netns {
        Some(name) if args.multi() => write!(out, "[ns:{}] ", text_escaped(name)),
        _ => Ok(()),
    }
}

/// Appends the line of `ev` to `out`.
pub(crate) fn print_event(
    out: &mut Vec<u8>,
    ev: &Event,
    args: &Args,
    names: &mut NameCache,
) -> io::Result<()> {
    names.learn(ev);
    let printed = event_line(out, ev, args, names);
    names.unlearn(ev);
    printed
}

/// The line of `ev`, if it is printed, with the names `names` knows.
fn event_line(out: &mut Vec<u8>, ev: &Event, args: &Args, names: &NameCache) -> io::Result<()> {
    if !args.prints(ev.object.kind())
        || (ev.origin == Origin::Dump && !args.dump)
        || !selected(ev, args, names)
    {
        return Ok(());
    }
    if args.json {
        let lookup = |i: u32| names.get(ev, i);
        JsonEvent {
            event: ev,
            names: &lookup,
            details: args.details,
        }
        .write_line(out);
        out.push(b'\n');
        Ok(())
    } else {
        // Written straight into the output buffer: no line of its own to
        // allocate and copy.
        text_prefix(out, args, ev.timestamp, Some(&ev.netns.name))?;
        let mut line = Utf8Out(out);
        let lookup = |i: u32| names.get(ev, i);
        let write = if args.label {
            write_text
        } else {
            write_bare_text
        };
        write(&mut line, &ev.object, ev.action, &lookup, args.details).map_err(io::Error::other)?;
        if ev.origin != Origin::Live {
            out.extend_from_slice(b" (");
            out.extend_from_slice(ev.origin.as_str().as_bytes());
            out.push(b')');
        }
        out.push(b'\n');
        Ok(())
    }
}

/// Whether `ev` passes `--dev`, `--family`, `--table` and `--action` (see
/// `Select`). An interface name the event does not carry (a deletion after
/// its link's, say) is taken from the names learned, which keep a link's name
/// until its own deletion is printed.
fn selected(ev: &Event, args: &Args, names: &NameCache) -> bool {
    let Some(filter) = &args.select.filter else {
        return true;
    };
    if !args.select.by_dev || ev.ifname.is_some() {
        return filter.matches_event(ev);
    }
    match ev.object.ifindex().and_then(|i| names.get(ev, i)) {
        Some(name) => {
            let mut named = ev.clone();
            named.ifname = Some(name);
            filter.matches_event(&named)
        }
        None => false,
    }
}

/// Text appended to a byte buffer (what `write!` and `write_text` need).
struct Utf8Out<'a>(&'a mut Vec<u8>);

impl std::fmt::Write for Utf8Out<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// Appends the line of `item`, if it has one, to `out`.
fn print(out: &mut Vec<u8>, item: &Item, args: &Args, names: &mut NameCache) -> io::Result<()> {
    match item {
        Item::Event(ev) => print_event(out, ev, args, names)?,
        Item::Overrun { netns, timestamp } => control(
            out,
            args,
            *timestamp,
            ("overrun", None),
            Some(&netns.name),
            &[],
            "notifications were lost (receive buffer full)",
        )?,
        Item::SyncDone { netns, timestamp } if args.dump => control(
            out,
            args,
            *timestamp,
            ("sync", Some("done")),
            Some(&netns.name),
            &[],
            "done: live changes follow",
        )?,
        Item::ResyncDone { netns, timestamp } => control(
            out,
            args,
            *timestamp,
            ("resync", Some("done")),
            Some(&netns.name),
            &[],
            "done: the changes above repaired the loss",
        )?,
        Item::Lagged { missed } => control(
            out,
            args,
            SystemTime::now(),
            ("lagged", None),
            None,
            &[Extra::Num("missed", *missed)],
            &format!("{missed} items dropped: output too slow"),
        )?,
        Item::NamespaceAdded { netns, timestamp } if args.multi() => control(
            out,
            args,
            *timestamp,
            ("netns", Some("new")),
            Some(&netns.name),
            &[Extra::Num("netns_id", netns.id)],
            &format!("new id {}", netns.id),
        )?,
        Item::NamespaceGone { netns, .. } if !args.multi() => names.forget(netns.id),
        Item::NamespaceGone {
            netns,
            reason,
            timestamp,
        } => {
            names.forget(netns.id);
            let reason = reason_str(reason);
            control(
                out,
                args,
                *timestamp,
                ("netns", Some("del")),
                Some(&netns.name),
                &[
                    Extra::Num("netns_id", netns.id),
                    Extra::Str("reason", &reason),
                ],
                &format!("del ({reason})"),
            )?
        }
        Item::DiscoveryFailed { path, errno } => {
            let path = path.display().to_string();
            // A file name in a watched directory is anyone's to choose.
            let shown = text_escaped(&path).to_string();
            let error = match errno {
                Some(errno) => io::Error::from_raw_os_error(*errno).to_string(),
                None => "cannot be watched".to_string(),
            };
            control(
                out,
                args,
                SystemTime::now(),
                ("netns", Some("error")),
                None,
                &[Extra::Str("path", &path), Extra::Str("error", &error)],
                &format!("error {shown}: {error}"),
            )?
        }
        // Control items this version does not print.
        _ => {}
    }
    Ok(())
}

/// Output is written to stdout when this much is pending, and whenever the reader
/// has nothing more to read.
pub(crate) const OUT_BUFFER: usize = 64 * 1024;

/// Prints items as the reader publishes them. The first write error ends it:
/// a closed stdout (`nlwatch | head`) as a stop, anything else as a failure.
pub(crate) struct Printer {
    /// Lines not yet written.
    pub(crate) out: Vec<u8>,
    pub(crate) stdout: io::Stdout,
    pub(crate) args: Args,
    pub(crate) names: NameCache,
}

impl Printer {
    fn flush(&mut self) -> Result<Flow, SinkError> {
        let result = self.stdout.lock().write_all(&self.out);
        self.out.clear();
        flow(result)
    }
}

/// What a write's result means for the printer.
fn flow(result: io::Result<()>) -> Result<Flow, SinkError> {
    match result {
        Ok(()) => Ok(Flow::Continue),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(Flow::Stop),
        Err(e) => Err(format!("cannot write output: {e}").into()),
    }
}

impl Sink for Printer {
    fn item(&mut self, item: &Item) -> Result<Flow, SinkError> {
        if let Err(e) = print(&mut self.out, item, &self.args, &mut self.names) {
            return flow(Err(e));
        }
        if self.out.len() >= OUT_BUFFER {
            return self.flush();
        }
        Ok(Flow::Continue)
    }

    fn idle(&mut self) -> Result<Flow, SinkError> {
        if self.out.is_empty() {
            return Ok(Flow::Continue);
        }
        self.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nlwatch::{objects::Link, NetnsTag};
    use std::sync::Arc;

    fn link(ns: &NetnsTag, action: Action, ifindex: u32, name: &str) -> Item {
        let mut l = Link::default();
        (l.ifindex, l.ifname) = (ifindex, Some(Name::from(name)));
        Item::Event(Arc::new(Event::new(ns.clone(), action, Object::Link(l))))
    }

    /// The cache holds the names of links that exist in namespaces still
    /// watched, and no others: a deleted link's name, and the names of a
    /// namespace that went away, are forgotten (the latter were kept for
    /// ever before).
    #[test]
    fn names_are_forgotten_with_their_link_and_namespace() {
        let args = Args {
            json: true,
            ..Args::new(Default::default())
        };
        let (a, b) = (
            NetnsTag {
                name: "a".into(),
                id: 1,
            },
            NetnsTag {
                name: "b".into(),
                id: 2,
            },
        );
        let mut names = NameCache::default();
        let mut out = Vec::new();
        for item in [
            link(&a, Action::New, 2, "a2"),
            link(&a, Action::New, 3, "a3"),
            link(&b, Action::New, 2, "b2"),
        ] {
            print(&mut out, &item, &args, &mut names).unwrap();
        }
        assert_eq!(names.known.len(), 3);
        print(&mut out, &link(&a, Action::Del, 3, "a3"), &args, &mut names).unwrap();
        assert_eq!(names.known.get(&(1, 3)), None);
        let gone = Item::NamespaceGone {
            netns: a.clone(),
            reason: GoneReason::Vanished,
            timestamp: SystemTime::UNIX_EPOCH,
        };
        print(&mut out, &gone, &args, &mut names).unwrap();
        let left: Vec<_> = names.known.keys().copied().collect();
        assert_eq!(left, [(2, 2)]);
    }

    /// A namespace's name and a watched file's path are anyone's to choose: in
    /// text they are escaped as interface names are, so each item is one line
    /// and no name can forge a line of its own (a name with a newline and a
    /// fake `[ns:] [link] del` printed two lines before).
    #[test]
    fn namespace_names_and_paths_cannot_forge_text_lines() {
        let mut args = Args::new(Default::default());
        args.named = true;
        let evil = NetnsTag {
            name: "evil\n[ns:] [link] del 1: lo FORGED".into(),
            id: 7,
        };
        let mut names = NameCache::default();
        let mut out = Vec::new();
        for item in [
            link(&evil, Action::New, 2, "v0"),
            Item::NamespaceAdded {
                netns: evil.clone(),
                timestamp: SystemTime::UNIX_EPOCH,
            },
            Item::DiscoveryFailed {
                path: std::path::Path::new("/run/netns/x\n[ns:] [link] del 1: lo").into(),
                errno: Some(13),
            },
        ] {
            print(&mut out, &item, &args, &mut names).unwrap();
        }
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        let prefix = r"[ns:evil\x0a[ns:]\x20[link]\x20del\x201:\x20lo\x20FORGED] ";
        assert!(lines[0].starts_with(prefix), "{}", lines[0]);
        assert_eq!(&lines[0][prefix.len()..], "[link] new 2: v0 <>");
        assert_eq!(lines[1], format!("{prefix}[netns] new id 7"));
        assert!(
            lines[2]
                .starts_with(r"[netns] error /run/netns/x\x0a[ns:]\x20[link]\x20del\x201:\x20lo: "),
            "{}",
            lines[2]
        );
    }
}
