//! The command line: what `nlwatch` and each subcommand accept. Each command
//! takes only the options that mean something for it (the groups below,
//! flattened where they apply); `Args` is what a command runs with once its
//! options are resolved.

use clap::Parser;
use nlwatch::{Netns, ObjectKind, NETNS_RUN_DIR};
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Watch rtnetlink: links, addresses, routes, neighbours and every other kind
/// of object the kernel announces (OBJECT), printed as they change, in the
/// current network namespace or in the ones named.
#[derive(Parser, Debug)]
#[command(
    name = "nlwatch",
    version,
    about,
    args_conflicts_with_subcommands = true
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
    #[command(flatten)]
    pub(crate) watch: WatchArgs,
}

#[derive(clap::Subcommand, Debug)]
pub(crate) enum Command {
    /// Print what the namespaces hold now, one line per object, and exit.
    Snapshot(SnapshotArgs),
    /// Record every datagram the kernel sends to the watched sockets (the
    /// initial dump, notifications, resyncs) and every overrun, as pcapng that
    /// Wireshark and tshark read, until interrupted.
    Record(RecordArgs),
    /// Play a recording (nlwatch's, or tcpdump's on nlmon) back through the
    /// same pipeline and print what the live command printed.
    Replay(ReplayArgs),
    /// Wait until a condition holds, print the object that shows it, and exit:
    /// 0 when it holds, 1 on timeout, 2 on bad usage, 3 when it never can
    /// (duplicate address detection failed, the namespace was deleted).
    Wait(WaitArgs),
    /// Print a completion script for SHELL on standard output (see the README
    /// for where to install it).
    Completions(CompletionsArgs),
    /// Print the manual page (roff) on standard output, or write one page per
    /// command (nlwatch.1, nlwatch-snapshot.1, ...) into a directory.
    Manpage(ManpageArgs),
}

/// `nlwatch manpage [--dir DIR]`.
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct ManpageArgs {
    /// Write nlwatch.1 and a page per subcommand into DIR (e.g.
    /// /usr/local/share/man/man1) instead of nlwatch.1 on standard output.
    #[arg(long, value_name = "DIR")]
    pub(crate) dir: Option<PathBuf>,
}

/// `nlwatch completions SHELL`.
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_name = "SHELL")]
    pub(crate) shell: clap_complete::Shell,
}

/// `nlwatch wait [OPTIONS] CONDITION`.
#[derive(clap::Args, Debug, Clone)]
#[command(after_help = "CONDITION, spelled like ip:
  link DEV present|up|running|gone
  addr ADDR[/LEN] [dev DEV] present|ready|gone
  route PREFIX|default [table T] [dev DEV] [via GW] present|gone
  neigh ADDR dev DEV reachable")]
pub(crate) struct WaitArgs {
    /// Wait in the namespace NAME under /run/netns (default: the current one).
    #[arg(long = "netns", value_name = "NAME", conflicts_with = "netns_path")]
    pub(crate) netns: Option<String>,
    /// Wait in the namespace file PATH, e.g. /proc/PID/ns/net.
    #[arg(long = "netns-path", value_name = "PATH")]
    pub(crate) netns_path: Option<PathBuf>,
    /// Give up after SECONDS (exit 1); without it, wait as long as it takes.
    #[arg(long, value_name = "SECONDS", value_parser = parse_timeout)]
    pub(crate) timeout: Option<f64>,
    /// Print the object as a JSON line instead of text.
    #[arg(long)]
    pub(crate) json: bool,
    /// Also print the details, as `ip -d` does: a link's `linkinfo`,
    /// promiscuity, MTU bounds, queues and offload sizes; a route's main
    /// table, boot protocol, global scope and unicast type; ... (the state
    /// view keeps them either way).
    #[arg(short = 'd', long)]
    pub(crate) details: bool,
    /// The condition (see below).
    #[arg(value_name = "CONDITION", required = true, num_args = 1..)]
    pub(crate) condition: Vec<String>,
}

/// Which namespaces: the options of every command that watches.
#[derive(clap::Args, Debug, Clone, Default)]
pub(crate) struct Namespaces {
    /// Watch the namespace NAME under /run/netns (repeatable). Without any
    /// namespace option the current namespace is watched.
    #[arg(long = "netns", value_name = "NAME")]
    pub(crate) netns: Vec<String>,
    /// Watch the namespace file PATH, e.g. /var/run/docker/netns/ID or
    /// /proc/PID/ns/net (repeatable).
    #[arg(long = "netns-path", value_name = "PATH")]
    pub(crate) netns_path: Vec<PathBuf>,
    /// Watch the current namespace and every namespace under /run/netns, following
    /// additions and removals.
    #[arg(long)]
    pub(crate) all_netns: bool,
}

/// How changes are read and counted: `nlwatch` and `nlwatch record`.
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct Reading {
    /// Receive buffer to request per namespace, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = nlwatch::DEFAULT_RCVBUF)]
    pub(crate) rcvbuf: usize,
    /// During bursts (over 1,000 changes a second), let changes gather for up
    /// to MS milliseconds before reading them (0 reads each at once; slower
    /// changes are never delayed). Fewer wake-ups: much less CPU during bursts.
    #[arg(long, value_name = "MS", value_parser = parse_window,
          default_value_t = nlwatch::DEFAULT_BATCH_WINDOW.as_secs_f64() * 1000.0)]
    pub(crate) batch_window: f64,
    /// Serve metrics for Prometheus on ADDR:PORT (`GET /metrics`, OpenMetrics
    /// or Prometheus text) while watching. 127.0.0.1:PORT keeps them on this
    /// machine; anything else exposes them to the network.
    #[arg(long, value_name = "ADDR:PORT")]
    pub(crate) metrics: Option<SocketAddr>,
    /// Rewrite PATH every 10 s and at exit with the metrics in Prometheus text
    /// (for node_exporter's textfile collector; name it *.prom).
    #[arg(long, value_name = "PATH")]
    pub(crate) metrics_file: Option<PathBuf>,
}

impl Default for Reading {
    /// The options' defaults: no metrics.
    fn default() -> Self {
        Reading {
            rcvbuf: nlwatch::DEFAULT_RCVBUF,
            batch_window: nlwatch::DEFAULT_BATCH_WINDOW.as_secs_f64() * 1000.0,
            metrics: None,
            metrics_file: None,
        }
    }
}

/// What to watch and how, resolved from a command's options.
#[derive(Debug, Clone, Default)]
pub(crate) struct Watching {
    /// See [`Namespaces`].
    pub(crate) namespaces: Namespaces,
    /// See [`Reading`].
    pub(crate) reading: Reading,
}

/// Which objects' lines are printed: the filters of every command that prints.
#[derive(clap::Args, Debug, Clone, Default)]
pub(crate) struct Narrowing {
    /// Only objects of interface NAME, a glob (`veth*`, repeatable: any of
    /// them): a link itself, or an address, route, neighbour... on it. A
    /// link's deletion, and what went with it, are printed after its name is
    /// gone. Objects without an interface are left out. A name that is not
    /// UTF-8 is matched in its lossy form.
    #[arg(long, value_name = "NAME|GLOB", value_parser = clap::value_parser!(std::ffi::OsString))]
    pub(crate) dev: Vec<std::ffi::OsString>,
    /// Only IPv4 (inet) or IPv6 (inet6) addresses, routes, neighbours, rules,
    /// ...; objects without an address family (links) are kept.
    #[arg(long, value_name = "FAMILY", value_parser = parse_family)]
    pub(crate) family: Option<u8>,
    /// Only routes of table T (a number, main, local or default); objects
    /// without a table are kept.
    #[arg(long, value_name = "T", value_parser = parse_table)]
    pub(crate) table: Option<u32>,
}

/// Which events are printed, from `--dev`, `--family`, `--table` and
/// `--action`: a library filter (its globs compiled once) with `ip`'s
/// semantics for families and tables (they narrow only the objects that
/// have one).
#[derive(Debug, Clone, Default)]
pub(crate) struct Select {
    /// Every criterion given; `None` when there is none.
    pub(crate) filter: Option<nlwatch::Filter>,
    /// Whether it names interfaces (`--dev`).
    pub(crate) by_dev: bool,
}

impl Select {
    fn new(n: &Narrowing, action: Option<nlwatch::Action>) -> Select {
        let by_dev = !n.dev.is_empty();
        if !by_dev && n.family.is_none() && n.table.is_none() && action.is_none() {
            return Select::default();
        }
        let mut filter = n
            .dev
            .iter()
            // The library matches a name that is not UTF-8 in its lossy
            // form: so is the pattern (`--dev $'ev\xffil'`).
            .fold(nlwatch::Filter::new().ip_style(), |f, d| {
                f.ifname(&d.to_string_lossy())
            });
        if let Some(family) = n.family {
            filter = filter.family(family);
        }
        if let Some(table) = n.table {
            filter = filter.table(table);
        }
        if let Some(action) = action {
            filter = filter.action(action);
        }
        Select {
            filter: Some(filter),
            by_dev,
        }
    }
}

/// `--action`: the filter of the commands that print changes.
#[derive(clap::Args, Debug, Clone, Default)]
pub(crate) struct ActionFilter {
    /// Only new (added or changed) or del (deleted) objects.
    #[arg(long, value_name = "ACTION", value_parser = parse_action)]
    pub(crate) action: Option<nlwatch::Action>,
}

/// `--label` / `--no-label`.
#[derive(clap::Args, Debug, Clone, Default)]
pub(crate) struct Labels {
    /// Start each text line with its object, `[link]`, `[addr]`, ... (the
    /// default, as `ip monitor label`).
    #[arg(long, overrides_with = "no_label")]
    pub(crate) label: bool,
    /// Text lines without the `[object]` label.
    #[arg(long, overrides_with = "label")]
    pub(crate) no_label: bool,
}

/// `--json`, `-d`, `-t` and `--dump`: how changes are printed.
#[derive(clap::Args, Debug, Clone, Default)]
pub(crate) struct Stream {
    /// Print one JSON object per line instead of text.
    #[arg(long)]
    pub(crate) json: bool,
    /// Also print the details, as `ip -d` does: a link's `linkinfo`,
    /// promiscuity, MTU bounds, queues and offload sizes; a route's main
    /// table, boot protocol, global scope and unicast type; ... (the state
    /// view keeps them either way).
    #[arg(short = 'd', long)]
    pub(crate) details: bool,
    /// Prefix text lines with the receive time (RFC 3339, UTC, microseconds).
    #[arg(short = 't', long)]
    pub(crate) timestamp: bool,
    /// First print every existing object of each namespace (marked as dump), then
    /// a sync line, then the changes.
    #[arg(long)]
    pub(crate) dump: bool,
}

/// `OBJECT ...`: the kinds of object a command is about.
#[derive(clap::Args, Debug, Clone, Default)]
pub(crate) struct Objects {
    /// Kinds of object (default: all).
    #[arg(value_name = "OBJECT", value_parser = KindParser)]
    pub(crate) kinds: Vec<ObjectKind>,
}

/// `nlwatch [OPTIONS] [OBJECT ...]`.
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct WatchArgs {
    #[command(flatten)]
    pub(crate) stream: Stream,
    #[command(flatten)]
    pub(crate) narrowing: Narrowing,
    #[command(flatten)]
    pub(crate) action: ActionFilter,
    #[command(flatten)]
    pub(crate) labels: Labels,
    #[command(flatten)]
    pub(crate) namespaces: Namespaces,
    #[command(flatten)]
    pub(crate) reading: Reading,
    #[command(flatten)]
    pub(crate) objects: Objects,
    /// Also record every datagram the kernel sends to the watched sockets, and
    /// every overrun, to the pcapng file FILE (see `nlwatch record`).
    #[arg(long, value_name = "FILE")]
    pub(crate) record: Option<PathBuf>,
}

impl WatchArgs {
    /// What `nlwatch` runs with.
    pub(crate) fn resolve(self) -> Args {
        Args {
            label: !self.labels.no_label,
            select: Select::new(&self.narrowing, self.action.action),
            watching: Watching {
                namespaces: self.namespaces,
                reading: self.reading,
            },
            record: self.record,
            ..Args::streaming(&self.stream, self.objects)
        }
    }
}

/// `nlwatch snapshot [OPTIONS] [OBJECT ...]`.
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct SnapshotArgs {
    /// Print one JSON object per line instead of text.
    #[arg(long)]
    pub(crate) json: bool,
    /// Also print the details, as `ip -d` does: a link's `linkinfo`,
    /// promiscuity, MTU bounds, queues and offload sizes; a route's main
    /// table, boot protocol, global scope and unicast type; ... (the state
    /// view keeps them either way).
    #[arg(short = 'd', long)]
    pub(crate) details: bool,
    #[command(flatten)]
    pub(crate) narrowing: Narrowing,
    #[command(flatten)]
    pub(crate) labels: Labels,
    #[command(flatten)]
    pub(crate) namespaces: Namespaces,
    #[command(flatten)]
    pub(crate) objects: Objects,
}

impl SnapshotArgs {
    /// What `nlwatch snapshot` runs with.
    pub(crate) fn resolve(self) -> Args {
        Args {
            json: self.json,
            details: self.details,
            label: !self.labels.no_label,
            select: Select::new(&self.narrowing, None),
            watching: Watching {
                namespaces: self.namespaces,
                reading: Reading::default(),
            },
            ..Args::new(self.objects)
        }
    }
}

/// `nlwatch record FILE [OPTIONS] [OBJECT ...]`.
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct RecordArgs {
    /// The pcapng file to write; `-` writes to standard output
    /// (`nlwatch record - | tshark -r -`).
    #[arg(value_name = "FILE")]
    pub(crate) file: PathBuf,
    #[command(flatten)]
    pub(crate) namespaces: Namespaces,
    #[command(flatten)]
    pub(crate) reading: Reading,
    #[command(flatten)]
    pub(crate) objects: Objects,
}

impl RecordArgs {
    /// The watching options, as `nlwatch` itself takes them.
    pub(crate) fn watch(&self) -> Args {
        Args {
            watching: Watching {
                namespaces: self.namespaces.clone(),
                reading: self.reading.clone(),
            },
            ..Args::new(self.objects.clone())
        }
    }
}

/// `nlwatch replay FILE [OPTIONS] [OBJECT ...]`.
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct ReplayArgs {
    /// The recording: pcapng or pcap; `-` reads standard input.
    #[arg(value_name = "FILE")]
    pub(crate) file: PathBuf,
    #[command(flatten)]
    pub(crate) stream: Stream,
    #[command(flatten)]
    pub(crate) narrowing: Narrowing,
    #[command(flatten)]
    pub(crate) action: ActionFilter,
    #[command(flatten)]
    pub(crate) labels: Labels,
    #[command(flatten)]
    pub(crate) objects: Objects,
}

impl ReplayArgs {
    /// How `nlwatch replay` prints.
    pub(crate) fn resolve(&self) -> Args {
        Args {
            label: !self.labels.no_label,
            select: Select::new(&self.narrowing, self.action.action),
            ..Args::streaming(&self.stream, self.objects.clone())
        }
    }
}

/// What a command that watches or prints runs with, from its options.
#[derive(Debug, Clone)]
pub(crate) struct Args {
    /// JSON lines instead of text.
    pub(crate) json: bool,
    /// Lines carry the details (`-d`).
    pub(crate) details: bool,
    /// Text lines start with the time.
    pub(crate) timestamp: bool,
    /// The initial dump is printed.
    pub(crate) dump: bool,
    /// Text lines start with `[object]`.
    pub(crate) label: bool,
    /// `--dev`, `--family`, `--table`, `--action`.
    pub(crate) select: Select,
    /// Namespaces, reading, metrics.
    pub(crate) watching: Watching,
    /// The kinds asked for (none: all).
    pub(crate) objects: Vec<ObjectKind>,
    /// `--record FILE`.
    pub(crate) record: Option<PathBuf>,
    /// Lines name their namespace whatever the options say (a replay of a
    /// recording made with namespace options).
    pub(crate) named: bool,
}

impl Args {
    /// The defaults, for the kinds in `objects`: text lines with their label,
    /// no time, no dump, every change, the current namespace.
    pub(crate) fn new(objects: Objects) -> Args {
        Args {
            json: false,
            details: false,
            timestamp: false,
            dump: false,
            label: true,
            select: Select::default(),
            watching: Watching::default(),
            objects: objects.kinds,
            record: None,
            named: false,
        }
    }

    /// The defaults, printed as `stream` says (`--json`, `-d`, `-t`, `--dump`).
    pub(crate) fn streaming(stream: &Stream, objects: Objects) -> Args {
        Args {
            json: stream.json,
            details: stream.details,
            timestamp: stream.timestamp,
            dump: stream.dump,
            ..Args::new(objects)
        }
    }

    /// More than the current namespace may be watched: lines name their namespace.
    pub(crate) fn multi(&self) -> bool {
        let w = &self.watching.namespaces;
        self.named || w.all_netns || !w.netns.is_empty() || !w.netns_path.is_empty()
    }

    pub(crate) fn objects(&self) -> Vec<ObjectKind> {
        if self.objects.is_empty() {
            ObjectKind::ALL.to_vec()
        } else {
            self.objects.clone()
        }
    }

    /// Whether lines of `kind` are printed.
    pub(crate) fn prints(&self, kind: ObjectKind) -> bool {
        self.objects.is_empty() || self.objects.contains(&kind)
    }

    /// The namespaces named on the command line (for `--all-netns`, the current one
    /// and, when `list_dir`, those under /run/netns now).
    pub(crate) fn targets(&self, list_dir: bool) -> Result<Vec<Netns>, String> {
        let mut targets = Vec::new();
        let w = &self.watching.namespaces;
        if !self.multi() || w.all_netns {
            targets.push(Netns::Current);
        }
        if w.all_netns && list_dir {
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
        targets.extend(w.netns.iter().cloned().map(Netns::Named));
        targets.extend(w.netns_path.iter().cloned().map(Netns::Path));
        Ok(targets)
    }
}

/// A timeout in seconds: a number, 0 or more.
fn parse_timeout(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(secs) if secs.is_finite() && (0.0..=1e9).contains(&secs) => Ok(secs),
        _ => Err(format!("{s:?} is not a number of seconds")),
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

/// Parses an OBJECT and lists the kinds for `--help`, completions and manual
/// pages, from the library's list of kinds (so no list of them is written
/// here to go stale).
#[derive(Clone, Copy, Debug)]
struct KindParser;

impl clap::builder::TypedValueParser for KindParser {
    type Value = ObjectKind;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<ObjectKind, clap::Error> {
        let parsed = value
            .to_str()
            .ok_or_else(|| format!("{value:?} is not an object"))
            .and_then(|s| s.parse::<ObjectKind>());
        parsed.map_err(|e| {
            clap::Error::raw(clap::error::ErrorKind::InvalidValue, format!("{e}\n")).with_cmd(cmd)
        })
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            ObjectKind::ALL
                .iter()
                .map(|k| clap::builder::PossibleValue::new(k.as_str())),
        ))
    }
}

/// `inet` or `inet6` (also `4`, `6`, `ipv4`, `ipv6`), as `AF_INET` / `AF_INET6`.
fn parse_family(s: &str) -> Result<u8, String> {
    match s {
        "inet" | "ipv4" | "4" => Ok(2),
        "inet6" | "ipv6" | "6" => Ok(10),
        _ => Err(format!("{s:?} is not a family: inet or inet6")),
    }
}

/// A routing table: its number, or `main`, `local`, `default` (as `ip` names
/// them).
fn parse_table(s: &str) -> Result<u32, String> {
    match s {
        "main" => Ok(254),
        "local" => Ok(255),
        "default" => Ok(253),
        _ => s
            .parse()
            .map_err(|_| format!("{s:?} is not a table: a number, main, local or default")),
    }
}

/// `new` or `del`.
fn parse_action(s: &str) -> Result<nlwatch::Action, String> {
    match s {
        "new" => Ok(nlwatch::Action::New),
        "del" => Ok(nlwatch::Action::Del),
        _ => Err(format!("{s:?} is not an action: new or del")),
    }
}
