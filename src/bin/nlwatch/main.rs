//! `nlwatch`: print the networking changes of one or many network namespaces, in
//! the spirit of `ip monitor`, as text or as JSON lines.
//!
//! The program is a consumer of the library like any other: a printing sink on
//! the reader thread (`Printer`), a control subscription that tells the main
//! thread when the printer stopped, and the library's `output` module for every
//! line it writes.

use clap::Parser;
use crossbeam_channel::select;
use nix::sys::signal::{SigSet, Signal};
use nlwatch::output::{rfc3339, write_text, JsonEvent, JsonLine};
use nlwatch::{
    Action, CompactStr, Event, Filter, Flow, GoneReason, Item, Monitor, Netns, Object, ObjectKind,
    Origin, Sink, SinkError, NETNS_RUN_DIR,
};
use std::collections::HashMap;
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::SystemTime;

/// Watch rtnetlink: links, addresses, routes and neighbours, printed as they
/// change, in the current network namespace or in the ones named.
#[derive(Parser, Debug)]
#[command(
    name = "nlwatch",
    version,
    about,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    watch: Args,
}

#[derive(clap::Subcommand, Debug)]
enum Command {
    /// Print what the namespaces hold now, one line per object, and exit.
    Snapshot(Args),
}

#[derive(clap::Args, Debug, Clone)]
struct Args {
    /// Print one JSON object per line instead of text.
    #[arg(long)]
    json: bool,
    /// Prefix text lines with the receive time (RFC 3339, UTC, microseconds).
    #[arg(short = 't', long)]
    timestamp: bool,
    /// First print every existing object of each namespace (marked as dump), then
    /// a sync line, then the changes.
    #[arg(long)]
    dump: bool,
    /// Receive buffer to request per namespace, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = nlwatch::DEFAULT_RCVBUF)]
    rcvbuf: usize,
    /// While changes keep coming, let them gather for up to MS milliseconds
    /// before reading them (0 reads each at once; the first change after a quiet
    /// spell is never delayed). Fewer wake-ups: much less CPU during bursts.
    #[arg(long, value_name = "MS", value_parser = parse_window,
          default_value_t = nlwatch::DEFAULT_BATCH_WINDOW.as_secs_f64() * 1000.0)]
    batch_window: f64,
    /// Watch the namespace NAME under /run/netns (repeatable). Without any
    /// namespace option the current namespace is watched.
    #[arg(long = "netns", value_name = "NAME")]
    netns: Vec<String>,
    /// Watch the namespace file PATH, e.g. /var/run/docker/netns/ID or
    /// /proc/PID/ns/net (repeatable).
    #[arg(long = "netns-path", value_name = "PATH")]
    netns_path: Vec<PathBuf>,
    /// Watch the current namespace and every namespace under /run/netns, following
    /// additions and removals.
    #[arg(long)]
    all_netns: bool,
    /// Objects to watch: link, addr, route, neigh (default: all).
    #[arg(value_name = "OBJECT", value_parser = parse_object)]
    objects: Vec<ObjectKind>,
}

impl Args {
    /// More than the current namespace may be watched: lines name their namespace.
    fn multi(&self) -> bool {
        self.all_netns || !self.netns.is_empty() || !self.netns_path.is_empty()
    }

    fn objects(&self) -> Vec<ObjectKind> {
        if self.objects.is_empty() {
            ObjectKind::ALL.to_vec()
        } else {
            self.objects.clone()
        }
    }

    /// The namespaces named on the command line (for `--all-netns`, the current one
    /// and, when `list_dir`, those under /run/netns now).
    fn targets(&self, list_dir: bool) -> Result<Vec<Netns>, String> {
        let mut targets = Vec::new();
        if !self.multi() || self.all_netns {
            targets.push(Netns::Current);
        }
        if self.all_netns && list_dir {
            let mut names: Vec<String> = match std::fs::read_dir(NETNS_RUN_DIR) {
                Ok(dir) => dir
                    .flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect(),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
                Err(e) => return Err(format!("cannot list {NETNS_RUN_DIR}: {e}")),
            };
            names.sort();
            targets.extend(names.into_iter().map(Netns::Named));
        }
        targets.extend(self.netns.iter().cloned().map(Netns::Named));
        targets.extend(self.netns_path.iter().cloned().map(Netns::Path));
        Ok(targets)
    }
}

/// A batch window in milliseconds, 0 to 1000.
fn parse_window(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(ms) if (0.0..=1000.0).contains(&ms) => Ok(ms),
        _ => Err(format!(
            "{s:?} is not a number of milliseconds from 0 to 1000"
        )),
    }
}

fn parse_object(s: &str) -> Result<ObjectKind, String> {
    s.parse()
}

/// Names of other interfaces (a link's master and peer), learned from link events
/// per namespace.
#[derive(Default)]
struct NameCache {
    known: HashMap<(u64, u32), CompactStr>,
}

impl NameCache {
    fn learn(&mut self, ev: &Event) {
        if let Object::Link(l) = &ev.object {
            if let Some(name) = &l.ifname {
                self.known.insert((ev.netns.id, l.ifindex), name.clone());
            }
        }
    }

    fn get(&self, ev: &Event, ifindex: u32) -> Option<String> {
        if ev.object.ifindex() == Some(ifindex) {
            if let Some(name) = &ev.ifname {
                return Some(name.to_string());
            }
        }
        self.known
            .get(&(ev.netns.id, ifindex))
            .map(|n| n.to_string())
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
    object: &str,
    action: Option<&str>,
    netns: Option<&str>,
    extra: &[Extra<'_>],
) {
    let mut line = JsonLine::new(out).time("ts", SystemTime::now());
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

/// Writes a control item: a JSON line, or `[object] text` after its namespace.
fn control(
    out: &mut Vec<u8>,
    args: &Args,
    (object, action): (&str, Option<&str>),
    netns: Option<&str>,
    extra: &[Extra<'_>],
    text: &str,
) -> io::Result<()> {
    if args.json {
        control_line(out, object, action, netns, extra);
        Ok(())
    } else {
        let prefix = netns.map(|n| ns_prefix(args, n)).unwrap_or_default();
        writeln!(out, "{prefix}[{object}] {text}")
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

/// The text prefix naming a namespace: `[ns:NAME] `, `[ns:] ` for the current one.
fn ns_prefix(args: &Args, name: &str) -> String {
    if args.multi() {
        format!("[ns:{name}] ")
    } else {
        String::new()
    }
}

/// Appends the line of `ev` to `out`.
fn print_event(
    out: &mut Vec<u8>,
    ev: &Event,
    args: &Args,
    names: &mut NameCache,
) -> io::Result<()> {
    names.learn(ev);
    if args.json {
        let lookup = |i: u32| names.get(ev, i);
        JsonEvent {
            event: ev,
            names: &lookup,
        }
        .write_line(out);
        out.push(b'\n');
        Ok(())
    } else {
        let mut line = String::with_capacity(128);
        if args.timestamp {
            line.push_str(&format!("[{}] ", rfc3339(ev.timestamp)));
        }
        line.push_str(&ns_prefix(args, &ev.netns.name));
        let lookup = |i: u32| names.get(ev, i);
        write_text(&mut line, &ev.object, ev.action, &lookup).map_err(io::Error::other)?;
        if ev.origin != Origin::Live {
            line.push_str(&format!(" ({})", ev.origin.as_str()));
        }
        line.push('\n');
        out.write_all(line.as_bytes())
    }
}

/// Appends the line of `item`, if it has one, to `out`.
fn print(out: &mut Vec<u8>, item: &Item, args: &Args, names: &mut NameCache) -> io::Result<()> {
    match item {
        Item::Event(ev) => {
            print_event(out, ev, args, names)?;
            if ev.action == Action::Del {
                if let Object::Link(l) = &ev.object {
                    names.known.remove(&(ev.netns.id, l.ifindex));
                }
            }
        }
        Item::Overrun { netns } => control(
            out,
            args,
            ("overrun", None),
            Some(&netns.name),
            &[],
            "notifications were lost (receive buffer full)",
        )?,
        Item::SyncDone { netns } if args.dump => control(
            out,
            args,
            ("sync", Some("done")),
            Some(&netns.name),
            &[],
            "done: live changes follow",
        )?,
        Item::ResyncDone { netns } => control(
            out,
            args,
            ("resync", Some("done")),
            Some(&netns.name),
            &[],
            "done: the changes above repaired the loss",
        )?,
        Item::Lagged { missed } => control(
            out,
            args,
            ("lagged", None),
            None,
            &[Extra::Num("missed", *missed)],
            &format!("{missed} items dropped: output too slow"),
        )?,
        Item::NamespaceAdded { netns } if args.multi() => control(
            out,
            args,
            ("netns", Some("new")),
            Some(&netns.name),
            &[Extra::Num("netns_id", netns.id)],
            &format!("new id {}", netns.id),
        )?,
        Item::NamespaceGone { netns, reason } if args.multi() => {
            let reason = reason_str(reason);
            control(
                out,
                args,
                ("netns", Some("del")),
                Some(&netns.name),
                &[
                    Extra::Num("netns_id", netns.id),
                    Extra::Str("reason", &reason),
                ],
                &format!("del ({reason})"),
            )?
        }
        // Control items this version does not print.
        _ => {}
    }
    Ok(())
}

fn build(args: &Args) -> Result<Monitor, String> {
    Monitor::builder()
        .objects(args.objects())
        .rcvbuf(args.rcvbuf)
        .batch_window(std::time::Duration::from_secs_f64(
            args.batch_window / 1000.0,
        ))
        .list_existing(args.dump)
        .build()
        .map_err(|e| e.to_string())
}

fn watch(args: Args) -> Result<(), String> {
    // Block SIGINT and SIGTERM before any thread starts so that every thread inherits
    // the mask and one thread can take them synchronously with sigwait.
    let mut sigs = SigSet::empty();
    sigs.add(Signal::SIGINT);
    sigs.add(Signal::SIGTERM);
    sigs.thread_block()
        .map_err(|e| format!("cannot block signals: {e}"))?;
    let (sig_tx, sig_rx) = crossbeam_channel::bounded::<()>(1);
    std::thread::Builder::new()
        .name("nlwatch-signals".into())
        .spawn(move || {
            if sigs.wait().is_ok() {
                let _ = sig_tx.send(());
            }
        })
        .map_err(|e| format!("cannot start the signal thread: {e}"))?;

    let monitor = build(&args)?;
    // Told when the printer stops (a closed stdout) or fails (another write
    // error); events never reach it.
    let control = monitor.subscribe_with(Filter::new().events(false));
    // The printer runs on the reader thread: no queue and no thread switch per
    // event.
    let printer = monitor.add_sink(
        Filter::new(),
        Box::new(Printer {
            out: Vec::with_capacity(OUT_BUFFER),
            stdout: io::stdout(),
            args: args.clone(),
            names: NameCache::default(),
        }),
    );
    for target in args.targets(false)? {
        monitor.add_namespace(target).map_err(|e| e.to_string())?;
    }
    if args.all_netns {
        monitor
            .watch_dir(NETNS_RUN_DIR)
            .map_err(|e| e.to_string())?;
    }
    let printer_stopped = |item: &Item| match item {
        Item::SinkStopped { sink, error } if *sink == printer => Some(error.clone()),
        _ => None,
    };
    let result = loop {
        // The escape hatch: this program waits on its own signal channel too.
        select! {
            recv(control.as_crossbeam_receiver()) -> item => match item {
                Ok(item) => match printer_stopped(&item) {
                    Some(None) => break Ok(()),
                    Some(Some(error)) => break Err(error),
                    None => {}
                },
                Err(_) => break Ok(()),
            },
            recv(sig_rx) -> _ => break Ok(()),
        }
    };
    // Joins the reader; the printer gets a last flush and is dropped. A reader
    // stuck writing to a stdout nobody reads (a paused pager) would never return:
    // give the shutdown a moment, then leave anyway (the kernel closes the sockets).
    let (done_tx, done_rx) = crossbeam_channel::bounded::<()>(1);
    std::thread::spawn(move || {
        monitor.shutdown();
        let _ = done_tx.send(());
    });
    let _ = done_rx.recv_timeout(std::time::Duration::from_secs(2));
    result
}

/// Output is written to stdout when this much is pending, and whenever the reader
/// has nothing more to read.
const OUT_BUFFER: usize = 64 * 1024;

/// Prints items as the reader publishes them. The first write error ends it:
/// a closed stdout (`nlwatch | head`) as a stop, anything else as a failure.
struct Printer {
    /// Lines not yet written.
    out: Vec<u8>,
    stdout: io::Stdout,
    args: Args,
    names: NameCache,
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
        let printed = print(&mut self.out, item, &self.args, &mut self.names);
        if printed.is_err() || self.out.len() >= OUT_BUFFER {
            flow(printed)?;
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

/// `nlwatch snapshot`: waits for each namespace's initial dump, prints its state
/// view one object per line (the fields of events, action `new`), and exits.
fn snapshot(args: Args) -> Result<(), String> {
    // Every kind is read (links name the rest); only the ones asked for are printed.
    let monitor = build(&Args {
        dump: false,
        objects: ObjectKind::ALL.to_vec(),
        ..args.clone()
    })?;
    let wanted = args.objects();
    let sub = monitor.subscribe();
    let mut pending = 0usize;
    for target in args.targets(true)? {
        let before = monitor.namespaces().len();
        monitor.add_namespace(target).map_err(|e| e.to_string())?;
        // The same namespace named twice is watched (and synced) once.
        pending += monitor.namespaces().len() - before;
    }
    while pending > 0 {
        match sub.recv_timeout(std::time::Duration::from_secs(30)) {
            Ok(Item::SyncDone { .. }) => pending -= 1,
            Ok(_) => {}
            Err(e) => return Err(format!("the namespaces' dumps did not complete: {e}")),
        }
    }
    let mut stdout = io::stdout().lock();
    let mut out = Vec::with_capacity(OUT_BUFFER);
    let mut names = NameCache::default();
    let now = SystemTime::now();
    let mut result = Ok(());
    'all: for snap in monitor.snapshots(&Filter::new()) {
        for object in snap.objects().filter(|o| wanted.contains(&o.kind())) {
            let ifname = object.ifindex().and_then(|i| {
                snap.links
                    .iter()
                    .find(|l| l.ifindex == i)
                    .and_then(|l| l.ifname.clone())
            });
            let mut ev = Event::new(snap.netns.clone(), Action::New, object);
            ev.seq = snap.seq;
            ev.timestamp = now;
            ev.ifname = ifname;
            let printed = print_event(&mut out, &ev, &args, &mut names);
            if let Err(e) = printed.and_then(|()| {
                if out.len() >= OUT_BUFFER {
                    stdout.write_all(&out)?;
                    out.clear();
                }
                Ok(())
            }) {
                result = Err(e);
                break 'all;
            }
        }
    }
    match result.and_then(|()| stdout.write_all(&out).and_then(|()| stdout.flush())) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        Err(e) => return Err(format!("cannot write output: {e}")),
    }
    drop(stdout);
    monitor.shutdown();
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Snapshot(args)) => snapshot(args),
        None => watch(cli.watch),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("nlwatch: {msg}");
            ExitCode::FAILURE
        }
    }
}
