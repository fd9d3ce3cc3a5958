//! `nlwatch`: print the networking changes of one or many network namespaces, in
//! the spirit of `ip monitor`, as text or as JSON lines.
//!
//! The program is a consumer of the library like any other: a printing sink on
//! the reader thread (`print::Printer`), a control subscription that tells the
//! main thread when the printer stopped, and the library's `output` module for
//! every line it writes.
//!
//! - `args`: the command line;
//! - `print`: the lines, and the printing sink;
//! - `metrics`: `--metrics` (the HTTP endpoint) and `--metrics-file`;
//! - this file: watching (signals, the monitor, waiting), `snapshot`, `record`
//!   and `replay`.

mod args;
mod metrics;
mod print;
mod wait;

use args::{Args, Cli, Command, RecordArgs, ReplayArgs};
use clap::CommandFactory;
use clap::Parser;
use crossbeam_channel::select;
use nix::sys::signal::{SigSet, Signal};
use nlwatch::output::text_escaped;
use nlwatch::{
    recording::{Recorder, Replay},
    Action, Event, Filter, Item, Monitor, ObjectKind, Overflow, NETNS_RUN_DIR,
};
use print::{print_event, NameCache, Printer, OUT_BUFFER};
use std::io::{self, Read, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

fn build(args: &Args) -> Result<Monitor, String> {
    build_recording(args, None)
}

fn build_recording(args: &Args, recorder: Option<Recorder>) -> Result<Monitor, String> {
    // Links are read whatever is printed: they name the interfaces of the rest
    // (`master`, `link`, `viaIf`).
    let mut objects = args.objects();
    if !objects.contains(&ObjectKind::Link) {
        objects.push(ObjectKind::Link);
    }
    let builder = match recorder {
        Some(recorder) => Monitor::builder().record(recorder),
        None => Monitor::builder(),
    };
    builder
        .objects(objects)
        .rcvbuf(args.watching.reading.rcvbuf)
        .batch_window(std::time::Duration::from_secs_f64(
            args.watching.reading.batch_window / 1000.0,
        ))
        // Existing objects are always listed, so that the names of existing
        // interfaces are known (a port's bridge, a group's port); they are
        // printed only with --dump.
        .list_existing(true)
        .build()
        .map_err(|e| e.to_string())
}

/// Queue length of the CLI's own control subscription.
const CONTROL_QUEUE: usize = 64;

/// SIGINT and SIGTERM, taken synchronously by a thread of their own: a message
/// on the channel returned. Blocked before any other thread starts, so that
/// every thread inherits the mask.
fn signals() -> Result<crossbeam_channel::Receiver<()>, String> {
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
    Ok(sig_rx)
}

/// `nlwatch [OPTIONS] [OBJECT ...]`: prints changes (and records them with
/// `--record FILE`) until a signal, a closed stdout or a write error.
fn watch(args: Args) -> Result<(), String> {
    let record = args.record.clone();
    run(args, record.as_deref(), true)
}

/// `nlwatch record FILE [OPTIONS] [OBJECT ...]`: records until a signal or a
/// write error, printing nothing.
fn record(args: RecordArgs) -> Result<(), String> {
    run(args.watch(), Some(&args.file), false)
}

/// Watches as `args` say: prints when `print`, records to `record` (`-` is
/// stdout) when given, until a signal, a closed stdout or a write error. A
/// recording says on stderr what it holds.
fn run(args: Args, record: Option<&Path>, print: bool) -> Result<(), String> {
    let sig_rx = signals()?;
    // Bound before anything is watched: a taken port is an error at once.
    let listener = args
        .watching
        .reading
        .metrics
        .map(metrics::bind)
        .transpose()?;
    let recorder = match record {
        Some(path) => match recorder(path, &args, &sig_rx)? {
            Some(recorder) => Some(recorder),
            None => {
                eprintln!(
                    "nlwatch: stopped before {} could be opened (a FIFO nobody reads?)",
                    text_escaped(&path.display().to_string())
                );
                return Ok(());
            }
        },
        None => None,
    };
    let monitor = build_recording(&args, recorder.clone())?;
    let registry = metrics::registry(&monitor);
    if let Some(listener) = listener {
        metrics::serve(listener, registry.clone())?;
    }
    let mut metrics_file = match &args.watching.reading.metrics_file {
        Some(path) => Some(metrics::MetricsFile::new(path, registry.clone())?),
        None => None,
    };
    // Told when the printer stops (a closed stdout) or fails (another write
    // error). Nothing of the namespaces reaches it, so its short queue cannot
    // fill while this thread is still adding them (a bounded queue allocates its
    // slots up front: the default 65,536 would be 3 MiB).
    let control = monitor.subscribe_with_queue(
        Filter::new().no_namespace(),
        CONTROL_QUEUE,
        Overflow::DropOldest,
    );
    // The printer runs on the reader thread: no queue and no thread switch per
    // event.
    let printer = print.then(|| {
        monitor.add_sink(
            Filter::new(),
            Box::new(Printer {
                out: Vec::with_capacity(OUT_BUFFER),
                stdout: io::stdout(),
                args: args.clone(),
                names: NameCache::default(),
            }),
        )
    });
    for target in args.targets(false)? {
        monitor.add_namespace(target).map_err(|e| e.to_string())?;
    }
    if args.watching.namespaces.all_netns {
        monitor
            .watch_dir(NETNS_RUN_DIR)
            .map_err(|e| e.to_string())?;
    }
    // A recorder's write error never stops the watching by itself: it stops
    // this command, found at the next look.
    let look = if recorder.is_some() {
        crossbeam_channel::tick(Duration::from_millis(200))
    } else {
        crossbeam_channel::never()
    };
    let rewrite = if metrics_file.is_some() {
        crossbeam_channel::tick(metrics::FILE_PERIOD)
    } else {
        crossbeam_channel::never()
    };
    let result = loop {
        // The escape hatch: this program waits on its own signal channel too.
        select! {
            recv(rewrite) -> _ => {
                if let Some(file) = metrics_file.as_mut() {
                    file.rewrite();
                }
            },
            recv(control.as_crossbeam_receiver()) -> item => match item {
                Ok(Item::SinkStopped { sink, error }) if Some(sink) == printer => match error {
                    None => break Ok(()),
                    Some(error) => break Err(error.to_string()),
                },
                Ok(_) => {}
                Err(_) => break Ok(()),
            },
            recv(sig_rx) -> _ => break Ok(()),
            recv(look) -> _ => {
                if recorder.as_ref().is_some_and(|r| r.stats().error.is_some()) {
                    break Ok(());
                }
            }
        }
    };
    shut_down(monitor);
    // At exit, with what the last reads counted.
    if let Some(file) = metrics_file.as_mut() {
        file.rewrite();
    }
    match recorder {
        Some(recorder) => result.and(recorded(&recorder)),
        None => result,
    }
}

/// How long the end of a run waits for the output to take what is left.
const LAST_WRITE: Duration = Duration::from_secs(2);

/// Joins the reader; the printer gets a last flush and is dropped (a recorder
/// writes what is left). A reader stuck writing to a stdout nobody reads (a
/// paused pager) would never return: give the shutdown a moment, then leave
/// anyway (the kernel closes the sockets).
fn shut_down(monitor: Monitor) {
    within_last_write(move || monitor.shutdown());
}

/// Runs `work` on a thread of its own and waits for it at most
/// [`LAST_WRITE`]: whether it ended in time. Work that blocks on an output
/// nobody reads is left behind (the process ends anyway).
fn within_last_write(work: impl FnOnce() + Send + 'static) -> bool {
    let (done_tx, done_rx) = crossbeam_channel::bounded::<()>(1);
    std::thread::spawn(move || {
        work();
        let _ = done_tx.send(());
    });
    done_rx.recv_timeout(LAST_WRITE).is_ok()
}

/// What `nlwatch record` (and `--record`) writes in its file's section
/// comment, after its command line, when its namespaces were named: a replay
/// then prints lines that name them, as the live command did.
const NAMED: &str = "namespaces: named";

/// A recorder writing to `path` (`-`: stdout), its file saying how it was made;
/// `None` when a signal came first (opening a FIFO waits for its reader).
fn recorder(
    path: &Path,
    args: &Args,
    sig_rx: &crossbeam_channel::Receiver<()>,
) -> Result<Option<Recorder>, String> {
    let out: Box<dyn Write + Send> = if path.as_os_str() == "-" {
        Box::new(io::stdout())
    } else {
        // open() of a FIFO blocks, uninterruptibly for this program (its
        // signals are taken by a thread): it is made on a thread of its own,
        // which is left behind if a signal comes first.
        let (tx, rx) = crossbeam_channel::bounded(1);
        let owned = path.to_path_buf();
        std::thread::Builder::new()
            .name("nlwatch-open".into())
            .spawn(move || {
                let _ = tx.send(create_output(&owned));
            })
            .map_err(|e| format!("cannot start a thread: {e}"))?;
        let file = select! {
            recv(rx) -> opened => opened.map_err(|e| e.to_string())?,
            recv(sig_rx) -> _ => return Ok(None),
        };
        Box::new(file.map_err(|e| format!("cannot create {}: {e}", path.display()))?)
    };
    // `args_os`: an argument that is not UTF-8 (`--dev $'ev\xffil'`) is the
    // user's right, and `args` would panic on it.
    let mut comment: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    comment[0] = "nlwatch".into();
    let mut comment = comment.join(" ");
    if args.multi() {
        comment.push('\n');
        comment.push_str(NAMED);
    }
    Recorder::with_comment(out, &comment)
        .map(Some)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Opens a recording's output as a file that did not exist (created with mode
/// 0644), or an existing FIFO or character device (a pipe to tshark,
/// `/dev/null`). A symbolic link is never followed and an existing file never
/// overwritten: run as root in a directory others can write, the name could
/// otherwise be made to point at any file.
fn create_output(path: &Path) -> io::Result<std::fs::File> {
    use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
    let open = |create: bool| {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(create)
            .mode(0o644)
            .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_CLOEXEC)
            .open(path)
    };
    match open(true) {
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            let link = std::fs::symlink_metadata(path)?.file_type();
            if link.is_fifo() || link.is_char_device() {
                // Checked again on what was opened: the name may have changed.
                let file = open(false)?;
                let kind = file.metadata()?.file_type();
                if kind.is_fifo() || kind.is_char_device() {
                    return Ok(file);
                }
            }
            Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "it exists (a recording is a new file, a FIFO or a device: \
                 nlwatch never overwrites a file or follows a link)",
            ))
        }
        other => other,
    }
}

/// Writes what is left of a recording and says on stderr what it holds; a
/// write error (but a closed pipe: its reader had enough) is the command's,
/// and so is an output that did not take what was left in time (a stalled
/// pipe: the program leaves rather than wait for ever).
fn recorded(recorder: &Recorder) -> Result<(), String> {
    let flushing = recorder.clone();
    let stalled = !within_last_write(move || {
        let _ = flushing.flush();
    });
    let stats = recorder.stats();
    if let Some(error) = stats.error.filter(|e| e.kind != io::ErrorKind::BrokenPipe) {
        return Err(error.to_string());
    }
    eprintln!(
        "nlwatch: recorded {} datagrams, {} overruns, from {} namespaces ({} bytes)",
        stats.datagrams, stats.overruns, stats.namespaces, stats.bytes
    );
    if stalled {
        return Err(format!(
            "the recording's output took nothing for {} s: its last blocks were not written",
            LAST_WRITE.as_secs()
        ));
    }
    Ok(())
}

/// `nlwatch replay FILE`: prints what the recording's live run printed.
fn replay(args: ReplayArgs) -> Result<(), String> {
    let file = args.file.display().to_string();
    let input: Box<dyn Read + Send> = if args.file.as_os_str() == "-" {
        Box::new(io::stdin())
    } else {
        let opened = std::fs::File::open(Path::new(&args.file))
            .map_err(|e| format!("cannot open {file}: {e}"))?;
        Box::new(io::BufReader::with_capacity(1 << 16, opened))
    };
    let replay = Replay::from_reader(input)
        .map_err(|e| format!("{file}: {e}"))?
        // As the live command: existing objects are always listed (printed only
        // with --dump).
        .list_existing(true);
    let mut printing = args.resolve();
    printing.named = replay
        .comment()
        .is_some_and(|c| c.lines().any(|l| l == NAMED));
    replay.add_sink(
        Filter::new(),
        Box::new(Printer {
            out: Vec::with_capacity(OUT_BUFFER),
            stdout: io::stdout(),
            args: printing,
            names: NameCache::default(),
        }),
    );
    replay.run().map(|_| ()).map_err(|e| format!("{file}: {e}"))
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
        names.know(snap.netns.id, &snap.links);
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

/// Writes `bytes` to stdout; a reader that had enough (`| head`) is no error.
fn write_stdout(bytes: &[u8]) -> Result<(), String> {
    let mut stdout = io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(format!("cannot write output: {e}")),
        _ => Ok(()),
    }
}

/// `nlwatch manpage`: nlwatch.1 on stdout, or with `dir` every command's page
/// there (`nlwatch-snapshot.1`, ...), from the parser's own definitions.
fn manpage(dir: Option<&Path>) -> Result<(), String> {
    let cmd = Cli::command();
    let Some(dir) = dir else {
        let mut out = Vec::new();
        clap_mangen::Man::new(cmd)
            .render(&mut out)
            .map_err(|e| format!("cannot render the manual page: {e}"))?;
        return write_stdout(&out);
    };
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let mut pages = vec![("nlwatch".to_string(), cmd.clone())];
    for sub in cmd.get_subcommands() {
        let name = format!("nlwatch-{}", sub.get_name());
        // Named as its file is, as git's pages are (`man nlwatch-snapshot`).
        let sub = sub.clone().name(name.clone());
        pages.push((name, sub));
    }
    for (name, page) in pages {
        let path = dir.join(format!("{name}.1"));
        let mut out = Vec::new();
        clap_mangen::Man::new(page)
            .render(&mut out)
            .and_then(|()| std::fs::write(&path, &out))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Snapshot(args)) => snapshot(args.resolve()),
        Some(Command::Completions(args)) => {
            let mut cmd = Cli::command();
            let mut out = Vec::new();
            clap_complete::generate(args.shell, &mut cmd, "nlwatch", &mut out);
            write_stdout(&out)
        }
        Some(Command::Manpage(args)) => manpage(args.dir.as_deref()),
        Some(Command::Record(args)) => record(args),
        Some(Command::Replay(args)) => replay(args),
        Some(Command::Wait(args)) => {
            return match wait::run(args) {
                Ok(()) => ExitCode::SUCCESS,
                Err(failure) => {
                    eprintln!("nlwatch: {}", failure.message);
                    ExitCode::from(failure.status)
                }
            };
        }
        None => watch(cli.watch.resolve()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("nlwatch: {msg}");
            ExitCode::FAILURE
        }
    }
}
