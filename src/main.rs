//! `nlwatch`: print the networking changes of the current network namespace, in
//! the spirit of `ip monitor`, as text or as JSON lines.

use clap::Parser;
use crossbeam_channel::select;
use nix::sys::signal::{SigSet, Signal};
use nlwatch::event::{rfc3339, write_text};
use nlwatch::{Action, Event, Item, Monitor, Netns, Object, ObjectKind};
use std::collections::HashMap;
use std::io::{self, Write};
use std::process::ExitCode;
use std::time::SystemTime;

/// Watch rtnetlink: links, addresses, routes and neighbours of the current network
/// namespace, printed as they change.
#[derive(Parser, Debug)]
#[command(name = "nlwatch", version, about)]
struct Args {
    /// Print one JSON object per line instead of text.
    #[arg(long)]
    json: bool,
    /// Prefix text lines with the receive time (RFC 3339, UTC, microseconds).
    #[arg(short = 't', long)]
    timestamp: bool,
    /// Receive buffer to request, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = nlwatch::DEFAULT_RCVBUF)]
    rcvbuf: usize,
    /// Objects to watch: link, addr, route, neigh (default: all).
    #[arg(value_name = "OBJECT", value_parser = parse_object)]
    objects: Vec<ObjectKind>,
}

fn parse_object(s: &str) -> Result<ObjectKind, String> {
    s.parse()
}

/// Interface names for display: learned from link events, else asked of the kernel
/// (valid because the CLI watches the namespace it runs in).
#[derive(Default)]
struct IfNames {
    known: HashMap<u32, String>,
}

impl IfNames {
    fn learn(&mut self, ev: &Event) {
        if let Object::Link(l) = &ev.object {
            if let Some(name) = &l.ifname {
                self.known.insert(l.ifindex, name.to_string());
            }
        }
    }

    fn get(&self, ifindex: u32) -> Option<String> {
        self.known.get(&ifindex).cloned().or_else(|| {
            nix::net::if_::if_indextoname(ifindex)
                .ok()?
                .into_string()
                .ok()
        })
    }
}

fn json_line(ev: &Event, names: &IfNames) -> serde_json::Result<serde_json::Value> {
    let mut v = serde_json::to_value(ev)?;
    if let Some(m) = v.as_object_mut() {
        let mut put = |key: &str, idx: Option<u32>| {
            if let Some(name) = idx.and_then(|i| names.get(i)) {
                m.insert(key.to_string(), name.into());
            }
        };
        match &ev.object {
            Object::Link(l) => {
                put("master", l.master);
                if l.link_netnsid.is_none() {
                    put("link", l.link);
                }
            }
            Object::Address(a) => put("ifname", Some(a.ifindex)),
            Object::Route(r) => put("dev", r.oif),
            Object::Neighbour(n) => put("dev", Some(n.ifindex)),
        }
    }
    Ok(v)
}

fn control_line(object: &str, netns: Option<&str>, extra: Option<(&str, u64)>) -> String {
    let mut m = serde_json::Map::new();
    m.insert("ts".into(), rfc3339(SystemTime::now()).into());
    if let Some(ns) = netns {
        m.insert("netns".into(), ns.into());
    }
    m.insert("object".into(), object.into());
    if let Some((k, v)) = extra {
        m.insert(k.into(), v.into());
    }
    serde_json::Value::Object(m).to_string()
}

fn print(out: &mut impl Write, item: &Item, args: &Args, names: &mut IfNames) -> io::Result<()> {
    match item {
        Item::Event(ev) => {
            if ev.action == Action::New {
                names.learn(ev);
            }
            if args.json {
                let v = json_line(ev, names).map_err(io::Error::other)?;
                serde_json::to_writer(&mut *out, &v).map_err(io::Error::other)?;
                out.write_all(b"\n")?;
            } else {
                let mut line = String::with_capacity(128);
                if args.timestamp {
                    line.push_str(&format!("[{}] ", rfc3339(ev.timestamp)));
                }
                let lookup = |i: u32| names.get(i);
                write_text(&mut line, &ev.object, ev.action, &lookup).map_err(io::Error::other)?;
                line.push('\n');
                out.write_all(line.as_bytes())?;
            }
            // Remember names of deleted links too: later route/neigh deletions refer to them.
            names.learn(ev);
        }
        Item::Overrun { netns } => {
            if args.json {
                writeln!(out, "{}", control_line("overrun", Some(&netns.name), None))?;
            } else {
                writeln!(
                    out,
                    "[overrun] notifications were lost (receive buffer full)"
                )?;
            }
        }
        Item::Lagged { missed } => {
            if args.json {
                writeln!(
                    out,
                    "{}",
                    control_line("lagged", None, Some(("missed", *missed)))
                )?;
            } else {
                writeln!(out, "[lagged] {missed} items dropped: output too slow")?;
            }
        }
        // Control items this version does not know yet are not printed.
        _ => {}
    }
    Ok(())
}

fn run(args: Args) -> Result<(), String> {
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

    let objects = if args.objects.is_empty() {
        ObjectKind::ALL.to_vec()
    } else {
        args.objects.clone()
    };
    let monitor = Monitor::builder()
        .objects(objects)
        .rcvbuf(args.rcvbuf)
        .build()
        .map_err(|e| e.to_string())?;
    let sub = monitor.subscribe();
    monitor
        .add_namespace(Netns::Current)
        .map_err(|e| e.to_string())?;
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(64 * 1024, stdout.lock());
    let mut names = IfNames::default();
    loop {
        select! {
            recv(sub.receiver()) -> item => {
                let Ok(item) = item else { break };
                let res = print(&mut out, &item, &args, &mut names).and_then(|()| {
                    // Flush when nothing else is waiting: one write per burst.
                    if sub.receiver().is_empty() { out.flush() } else { Ok(()) }
                });
                match res {
                    Ok(()) => {}
                    Err(e) if e.kind() == io::ErrorKind::BrokenPipe => break,
                    Err(e) => return Err(format!("cannot write output: {e}")),
                }
            }
            recv(sig_rx) -> _ => break,
        }
    }
    // Output may already be closed; nothing left to report then.
    let _ = out.flush();
    drop(out);
    monitor.shutdown();
    Ok(())
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("nlwatch: {msg}");
            ExitCode::FAILURE
        }
    }
}
