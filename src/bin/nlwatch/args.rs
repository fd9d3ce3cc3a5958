//! The command line: what `nlwatch` and `nlwatch snapshot` accept.

use clap::Parser;
use nlwatch::{Netns, ObjectKind, NETNS_RUN_DIR};
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Watch rtnetlink: links, addresses, routes and neighbours, printed as they
/// change, in the current network namespace or in the ones named.
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
    pub(crate) watch: Args,
}

#[derive(clap::Subcommand, Debug)]
pub(crate) enum Command {
    /// Print what the namespaces hold now, one line per object, and exit.
    Snapshot(Args),
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
    /// The condition (see below).
    #[arg(value_name = "CONDITION", required = true, num_args = 1..)]
    pub(crate) condition: Vec<String>,
}

/// What to watch and how: the options `nlwatch` and `nlwatch record` share.
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct Watching {
    /// Receive buffer to request per namespace, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = nlwatch::DEFAULT_RCVBUF)]
    pub(crate) rcvbuf: usize,
    /// During bursts (over 1,000 changes a second), let changes gather for up
    /// to MS milliseconds before reading them (0 reads each at once; slower
    /// changes are never delayed). Fewer wake-ups: much less CPU during bursts.
    #[arg(long, value_name = "MS", value_parser = parse_window,
          default_value_t = nlwatch::DEFAULT_BATCH_WINDOW.as_secs_f64() * 1000.0)]
    pub(crate) batch_window: f64,
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

impl Default for Watching {
    /// The options' defaults: the current namespace, no metrics.
    fn default() -> Self {
        Watching {
            rcvbuf: nlwatch::DEFAULT_RCVBUF,
            batch_window: nlwatch::DEFAULT_BATCH_WINDOW.as_secs_f64() * 1000.0,
            netns: Vec::new(),
            netns_path: Vec::new(),
            all_netns: false,
            metrics: None,
            metrics_file: None,
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
    pub(crate) watching: Watching,
    /// Objects to record: link, addr, nexthop, route, rule, neigh, fdb, netconf, nsid, mdb (default: all).
    #[arg(value_name = "OBJECT", value_parser = parse_object)]
    pub(crate) objects: Vec<ObjectKind>,
}

impl RecordArgs {
    /// The watching options, as `nlwatch` itself takes them.
    pub(crate) fn watch(&self) -> Args {
        Args {
            watching: self.watching.clone(),
            ..Args::printing(false, false, false, self.objects.clone())
        }
    }
}

/// `nlwatch replay FILE [--json] [-t] [--dump] [OBJECT ...]`.
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct ReplayArgs {
    /// The recording: pcapng or pcap; `-` reads standard input.
    #[arg(value_name = "FILE")]
    pub(crate) file: PathBuf,
    /// Print one JSON object per line instead of text.
    #[arg(long)]
    pub(crate) json: bool,
    /// Prefix text lines with the receive time (RFC 3339, UTC, microseconds).
    #[arg(short = 't', long)]
    pub(crate) timestamp: bool,
    /// First print every object of each namespace's initial dump (marked as
    /// dump), then a sync line, then the changes.
    #[arg(long)]
    pub(crate) dump: bool,
    /// Objects to print: link, addr, nexthop, route, rule, neigh, fdb, netconf, nsid, mdb (default: all).
    #[arg(value_name = "OBJECT", value_parser = parse_object)]
    pub(crate) objects: Vec<ObjectKind>,
}

#[derive(clap::Args, Debug, Clone)]
pub(crate) struct Args {
    /// Print one JSON object per line instead of text.
    #[arg(long)]
    pub(crate) json: bool,
    /// Prefix text lines with the receive time (RFC 3339, UTC, microseconds).
    #[arg(short = 't', long)]
    pub(crate) timestamp: bool,
    /// First print every existing object of each namespace (marked as dump), then
    /// a sync line, then the changes.
    #[arg(long)]
    pub(crate) dump: bool,
    #[command(flatten)]
    pub(crate) watching: Watching,
    /// Objects to watch: link, addr, nexthop, route, rule, neigh, fdb, netconf, nsid, mdb (default: all).
    #[arg(value_name = "OBJECT", value_parser = parse_object)]
    pub(crate) objects: Vec<ObjectKind>,
    /// Also record every datagram the kernel sends to the watched sockets, and
    /// every overrun, to the pcapng file FILE (see `nlwatch record`).
    #[arg(long, value_name = "FILE")]
    pub(crate) record: Option<PathBuf>,
    /// Lines name their namespace whatever the options say (a replay of a
    /// recording made with namespace options).
    #[arg(skip)]
    pub(crate) named: bool,
}

impl Args {
    /// The options of a command that only prints (a replay): these, and the
    /// defaults.
    pub(crate) fn printing(
        json: bool,
        timestamp: bool,
        dump: bool,
        objects: Vec<ObjectKind>,
    ) -> Args {
        Args {
            json,
            timestamp,
            dump,
            watching: Watching::default(),
            objects,
            record: None,
            named: false,
        }
    }

    /// More than the current namespace may be watched: lines name their namespace.
    pub(crate) fn multi(&self) -> bool {
        let w = &self.watching;
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
        if !self.multi() || self.watching.all_netns {
            targets.push(Netns::Current);
        }
        if self.watching.all_netns && list_dir {
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
        targets.extend(self.watching.netns.iter().cloned().map(Netns::Named));
        targets.extend(self.watching.netns_path.iter().cloned().map(Netns::Path));
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

fn parse_object(s: &str) -> Result<ObjectKind, String> {
    s.parse()
}
