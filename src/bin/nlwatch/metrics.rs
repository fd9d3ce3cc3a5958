//! The program's metrics: `--metrics ADDR:PORT` serves `GET /metrics` from a
//! small HTTP server of its own, `--metrics-file PATH` rewrites a
//! node_exporter textfile-collector file. Both expose the library's
//! `nlwatch::metrics` collector.
//!
//! The server is std::net and a few threads, not an HTTP framework: it answers
//! one path with one method, so all it needs is a request line and an
//! `Accept` header read under a size cap and a deadline. What it must never do
//! is let clients hold it: a connection has [`HEAD_TIME`] to send its request
//! head and [`CONNECTION_TIME`] in all to take the answer, reads at most
//! [`REQUEST_CAP`] bytes, and at most [`CONNECTIONS`] are served at once. When
//! all are taken, a new connection takes the place of the oldest one that has
//! not sent its request yet (nor has any of it waiting), which is closed; only
//! when every one is being answered is the new one told 503. So clients that
//! connect and send nothing, or garbage, or an endless header, cost a bounded
//! time and memory and cannot keep a scrape out: a scraper sends its request
//! at once, and idle connections go before it. Out of descriptors or memory,
//! the accept loop pauses (a little longer each time) rather than spin on the
//! failing accept, and takes connections again once some are freed.

use parking_lot::Mutex;
use prometheus_client::registry::Registry;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The longest a client may take to send its request head, from accept: a
/// scraper sends it at once; a client still silent this long is let go (408).
const HEAD_TIME: Duration = Duration::from_secs(2);
/// The longest a connection may take, from accept to the last byte written.
const CONNECTION_TIME: Duration = Duration::from_secs(5);
/// The largest request read (the request line and the headers).
const REQUEST_CAP: usize = 8192;
/// Connections served at once.
const CONNECTIONS: usize = 16;
/// Connections with a thread at once: the ones served, and the ones closed to
/// make room whose threads have not ended yet (they end as soon as they see
/// the close).
const THREADS: usize = 2 * CONNECTIONS;
/// The first pause after an accept failed for want of descriptors or memory;
/// it doubles while accepts keep failing, up to [`ACCEPT_PAUSE_MAX`].
const ACCEPT_PAUSE_MIN: Duration = Duration::from_millis(10);
/// The longest pause between accepts failing for want of resources: short
/// beside [`HEAD_TIME`], so a freed descriptor is soon used.
const ACCEPT_PAUSE_MAX: Duration = Duration::from_millis(100);
/// How often `--metrics-file` is rewritten.
pub(crate) const FILE_PERIOD: Duration = Duration::from_secs(10);

const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// A registry holding the monitor's collector.
pub(crate) fn registry(monitor: &nlwatch::Monitor) -> Arc<Registry> {
    let mut registry = Registry::default();
    registry.register_collector(Box::new(nlwatch::metrics::Collector::new(monitor)));
    Arc::new(registry)
}

/// The Prometheus text format (0.0.4): what node_exporter's textfile collector
/// reads, and what a scraper that does not ask for OpenMetrics gets.
fn prometheus_text(registry: &Registry) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail, nor can the collector.
    let _ = prometheus_client::encoding::prometheus_text::encode(&mut out, registry);
    out
}

fn openmetrics_text(registry: &Registry) -> String {
    let mut out = String::new();
    let _ = prometheus_client::encoding::text::encode(&mut out, registry);
    out
}

/// Binds `addr` now (so a bad address fails before watching starts).
pub(crate) fn bind(addr: SocketAddr) -> Result<TcpListener, String> {
    TcpListener::bind(addr).map_err(|e| format!("cannot listen on {addr} for --metrics: {e}"))
}

/// Serves `registry` on `listener` from a thread of its own, for the life of
/// the program.
pub(crate) fn serve(listener: TcpListener, registry: Arc<Registry>) -> Result<(), String> {
    std::thread::Builder::new()
        .name("nlwatch-metrics".into())
        .spawn(move || {
            let slots = Arc::new(Mutex::new(Slots::default()));
            let mut pause = Duration::ZERO;
            for stream in listener.incoming() {
                let stream = match stream {
                    Ok(stream) => {
                        pause = Duration::ZERO;
                        stream
                    }
                    Err(e) => {
                        // Out of descriptors or memory, the connection stays
                        // queued and the next accept fails at once: wait (a
                        // little longer each time) for a connection here to
                        // end and free one, instead of spinning on it.
                        if is_out_of_resources(&e) {
                            pause = (pause * 2).clamp(ACCEPT_PAUSE_MIN, ACCEPT_PAUSE_MAX);
                            std::thread::sleep(pause);
                        }
                        // Anything else (a connection reset before it was
                        // taken) concerns that connection only, gone now.
                        continue;
                    }
                };
                let accepted = Instant::now();
                let stream = Arc::new(stream);
                let Some(id) = admit_soon(&slots, &stream, accepted) else {
                    let _ = respond(
                        &stream,
                        accepted + Duration::from_secs(1),
                        "503 Service Unavailable",
                        None,
                        b"busy\n",
                    );
                    continue;
                };
                let (registry, done) = (registry.clone(), slots.clone());
                let spawned = std::thread::Builder::new()
                    .name("nlwatch-scrape".into())
                    .spawn(move || {
                        handle(&stream, accepted, &registry, || done.lock().answering(id));
                        // Out of the table before the stream is closed (the
                        // last reference is this thread's).
                        done.lock().close(id);
                    });
                if spawned.is_err() {
                    slots.lock().close(id);
                }
            }
        })
        .map(|_| ())
        .map_err(|e| format!("cannot start the metrics server: {e}"))
}

/// How long the accept loop waits for the threads of connections closed to
/// make room to end, when they are all that stands in the way of a new one.
const EVICTED_WAIT: Duration = Duration::from_secs(1);

/// Admits `stream` (see [`Slots::admit`]), waiting up to [`EVICTED_WAIT`]
/// while only the threads of closed connections are in the way: they end as
/// soon as they are scheduled, and a busy machine (many clients closed in a
/// row) must not turn that moment into a 503 for a scraper.
fn admit_soon(slots: &Mutex<Slots>, stream: &Arc<TcpStream>, accepted: Instant) -> Option<u64> {
    loop {
        match slots.lock().admit(stream, accepted) {
            Admission::Admitted(id) => return Some(id),
            Admission::Busy => return None,
            Admission::Wait if accepted.elapsed() >= EVICTED_WAIT => return None,
            Admission::Wait => {}
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// What [`Slots::admit`] decided.
#[derive(Debug, PartialEq, Eq)]
enum Admission {
    /// Served, with this ID.
    Admitted(u64),
    /// Every connection is being answered: 503.
    Busy,
    /// Room was made, but closed connections' threads are still ending.
    Wait,
}

/// Whether a failed accept says the process or system is out of something
/// (descriptors, memory, buffers) rather than something about one connection.
fn is_out_of_resources(e: &io::Error) -> bool {
    use nix::errno::Errno;
    e.raw_os_error().is_some_and(|n| {
        matches!(
            Errno::from_raw(n),
            Errno::EMFILE | Errno::ENFILE | Errno::ENOMEM | Errno::ENOBUFS
        )
    })
}

/// The connections being served, each with its thread: what the accept loop
/// looks at to admit one more, or make room for it.
#[derive(Default)]
struct Slots {
    /// The ID of the next connection admitted.
    next: u64,
    /// At most [`THREADS`], in the order admitted.
    open: Vec<Slot>,
}

/// One connection admitted, until its thread ends.
struct Slot {
    id: u64,
    accepted: Instant,
    /// Shared with its thread: shutting it down here ends that thread's read.
    stream: Arc<TcpStream>,
    state: SlotState,
}

/// Where a connection is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SlotState {
    /// Waiting for the request head: it may be closed to make room.
    Reading,
    /// Reading is over (the head came, or never will): being answered,
    /// never closed for another.
    Answering,
    /// Closed to make room; its thread is on its way out.
    Evicted,
}

impl Slots {
    /// Admits `stream`, accepted at `accepted`, and says its ID; `Busy` when
    /// there is no room (answer 503). When all [`CONNECTIONS`] are served,
    /// room is made by closing the oldest one still waiting for its request
    /// with nothing of it received yet: a scraper's request is waiting to be
    /// read as soon as it connects, so it is not the one closed. `Wait` while
    /// there is room but [`THREADS`] threads still run (those of closed
    /// connections, on their way out).
    fn admit(&mut self, stream: &Arc<TcpStream>, accepted: Instant) -> Admission {
        let served = self
            .open
            .iter()
            .filter(|s| s.state != SlotState::Evicted)
            .count();
        if served >= CONNECTIONS {
            let oldest = self
                .open
                .iter_mut()
                .filter(|s| s.state == SlotState::Reading && !has_input(&s.stream))
                .min_by_key(|s| s.accepted);
            let Some(oldest) = oldest else {
                return Admission::Busy;
            };
            // Its thread's read returns at once, and it says nothing more.
            let _ = oldest.stream.shutdown(Shutdown::Both);
            oldest.state = SlotState::Evicted;
        }
        if self.open.len() >= THREADS {
            return Admission::Wait;
        }
        let id = self.next;
        self.next += 1;
        self.open.push(Slot {
            id,
            accepted,
            stream: stream.clone(),
            state: SlotState::Reading,
        });
        Admission::Admitted(id)
    }

    /// Connection `id` is done reading (its request head came, or cannot
    /// come): it is answered, and never closed for another from now on.
    /// `false` when it was closed already.
    fn answering(&mut self, id: u64) -> bool {
        match self.open.iter_mut().find(|s| s.id == id) {
            Some(slot) if slot.state == SlotState::Reading => {
                slot.state = SlotState::Answering;
                true
            }
            _ => false,
        }
    }

    /// Connection `id` is done: its place is free.
    fn close(&mut self, id: u64) {
        self.open.retain(|s| s.id != id);
    }
}

/// Whether `stream` has bytes received and not read yet (or its peer closed
/// it): a peek that never waits.
fn has_input(stream: &TcpStream) -> bool {
    use nix::sys::socket::{recv, MsgFlags};
    let mut byte = [0u8; 1];
    matches!(
        recv(
            stream.as_raw_fd(),
            &mut byte,
            MsgFlags::MSG_PEEK | MsgFlags::MSG_DONTWAIT
        ),
        Ok(1)
    )
}

/// What a request asked for, as far as this server cares.
#[derive(Debug, PartialEq, Eq)]
enum Request {
    /// `GET` (or `HEAD`, `head`) of `/metrics`; `openmetrics` when its
    /// `Accept` names OpenMetrics.
    Metrics {
        head: bool,
        openmetrics: bool,
    },
    NotFound,
    MethodNotAllowed,
    Malformed,
}

/// Reads `head` (a request line and headers, without the blank line).
fn parse(head: &[u8]) -> Request {
    let Ok(head) = std::str::from_utf8(head) else {
        return Request::Malformed;
    };
    let mut lines = head.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let line = lines.next().unwrap_or("");
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Request::Malformed;
    };
    let token = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphabetic());
    if !token(method) || !target.starts_with('/') || !version.starts_with("HTTP/1.") {
        return Request::Malformed;
    }
    let path = target.split_once('?').map_or(target, |(p, _)| p);
    if path != "/metrics" {
        return Request::NotFound;
    }
    let head = match method {
        "GET" => false,
        "HEAD" => true,
        _ => return Request::MethodNotAllowed,
    };
    let openmetrics = lines.any(|l| {
        l.split_once(':').is_some_and(|(name, value)| {
            name.eq_ignore_ascii_case("accept") && value.contains("application/openmetrics-text")
        })
    });
    Request::Metrics { head, openmetrics }
}

/// Where the request's head ends (the blank line), if it came.
fn head_end(buf: &[u8]) -> Option<usize> {
    let crlf = buf.windows(4).position(|w| w == b"\r\n\r\n");
    let lf = buf.windows(2).position(|w| w == b"\n\n");
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Answers one connection accepted at `accepted`: its request head within
/// [`HEAD_TIME`] and [`REQUEST_CAP`], the answer within [`CONNECTION_TIME`].
/// `answering` is told when reading is over, and says whether to answer (the
/// connection may have been closed to make room meanwhile).
fn handle(
    stream: &TcpStream,
    accepted: Instant,
    registry: &Registry,
    answering: impl FnOnce() -> bool,
) {
    let mut buf = Vec::with_capacity(1024);
    let head = read_head(stream, accepted + HEAD_TIME, &mut buf);
    // Closed before a whole request (by the client, or here to make room):
    // nothing to answer.
    if head == Head::Gone || !answering() {
        return;
    }
    let by = accepted + CONNECTION_TIME;
    let end = match head {
        Head::Complete(end) => end,
        Head::TooLarge => {
            let body = b"request too large\n";
            let _ = respond(
                stream,
                by,
                "431 Request Header Fields Too Large",
                None,
                body,
            );
            return;
        }
        Head::TooSlow | Head::Gone => {
            let _ = respond(stream, by, "408 Request Timeout", None, b"too slow\n");
            return;
        }
    };
    let _ = match parse(&buf[..end]) {
        Request::Metrics { head, openmetrics } => {
            let (body, kind) = if openmetrics {
                (openmetrics_text(registry), OPENMETRICS)
            } else {
                (prometheus_text(registry), PROMETHEUS_TEXT)
            };
            if head {
                // The length the GET would have, without the body.
                respond_head(stream, by, "200 OK", kind, body.len())
            } else {
                respond(stream, by, "200 OK", Some(kind), body.as_bytes())
            }
        }
        Request::NotFound => respond(stream, by, "404 Not Found", None, b"try /metrics\n"),
        Request::MethodNotAllowed => respond(
            stream,
            by,
            "405 Method Not Allowed\r\nAllow: GET, HEAD",
            None,
            b"GET /metrics\n",
        ),
        Request::Malformed => respond(stream, by, "400 Bad Request", None, b"bad request\n"),
    };
}

/// How reading a request head ended.
#[derive(Debug, PartialEq, Eq)]
enum Head {
    /// The head is `buf[..end]`.
    Complete(usize),
    /// [`REQUEST_CAP`] bytes without the blank line that ends a head.
    TooLarge,
    /// Not all of it by the deadline.
    TooSlow,
    /// Closed (or failed) before the head was whole.
    Gone,
}

/// Reads a request head into `buf` by `deadline`, at most [`REQUEST_CAP`]
/// bytes of it.
fn read_head(stream: &TcpStream, deadline: Instant, buf: &mut Vec<u8>) -> Head {
    let mut chunk = [0u8; 1024];
    let mut reader = stream;
    loop {
        if let Some(end) = head_end(buf) {
            return Head::Complete(end);
        }
        if buf.len() >= REQUEST_CAP {
            return Head::TooLarge;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            return Head::TooSlow;
        }
        let room = chunk.len().min(REQUEST_CAP - buf.len());
        match reader.read(&mut chunk[..room]) {
            Ok(0) => return Head::Gone,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Head::TooSlow
            }
            Err(_) => return Head::Gone,
        }
    }
}

/// Writes a whole response by `deadline` and closes (one request per
/// connection).
fn respond(
    stream: &TcpStream,
    deadline: Instant,
    status: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> io::Result<()> {
    let content_type = content_type.unwrap_or("text/plain; charset=utf-8");
    respond_head(stream, deadline, status, content_type, body.len())?;
    write_by(stream, body, deadline)?;
    let _ = stream.shutdown(Shutdown::Write);
    Ok(())
}

/// Writes the status line and headers of a response of `len` bytes by
/// `deadline`.
fn respond_head(
    stream: &TcpStream,
    deadline: Instant,
    status: &str,
    content_type: &str,
    len: usize,
) -> io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n"
    );
    write_by(stream, head.as_bytes(), deadline)
}

/// Writes all of `bytes` by `deadline`: a client that reads slowly cannot
/// stretch a large answer past it one small write at a time.
fn write_by(stream: &TcpStream, mut bytes: &[u8], deadline: Instant) -> io::Result<()> {
    let mut writer = stream;
    while !bytes.is_empty() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::ErrorKind::TimedOut.into());
        }
        stream.set_write_timeout(Some(left))?;
        match writer.write(bytes) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => bytes = &bytes[n..],
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// `--metrics-file`: rewrites `path` atomically (a file beside it, then
/// rename), so node_exporter never reads half a file.
pub(crate) struct MetricsFile {
    path: PathBuf,
    registry: Arc<Registry>,
    /// Whether the last write failed (said once on stderr, not every period).
    failing: bool,
}

impl MetricsFile {
    /// Writes `path` a first time: an error there stops the program before
    /// it watches.
    pub(crate) fn new(path: &Path, registry: Arc<Registry>) -> Result<MetricsFile, String> {
        let file = MetricsFile {
            path: path.to_path_buf(),
            registry,
            failing: false,
        };
        file.write()
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        Ok(file)
    }

    fn write(&self) -> io::Result<()> {
        let (tmp, mut f) = create_temporary(&self.path)?;
        let written = (|| {
            f.write_all(prometheus_text(&self.registry).as_bytes())?;
            f.sync_all()?;
            std::fs::rename(&tmp, &self.path)
        })();
        if written.is_err() {
            // Ours: made by `create_temporary`, so removing it removes
            // nothing of anyone else's.
            let _ = std::fs::remove_file(&tmp);
        }
        written
    }

    /// Rewrites the file; a failure is said on stderr once until a write
    /// succeeds again (it never stops the watching).
    pub(crate) fn rewrite(&mut self) {
        match self.write() {
            Ok(()) => self.failing = false,
            Err(e) => {
                if !self.failing {
                    eprintln!("nlwatch: cannot write {}: {e}", self.path.display());
                }
                self.failing = true;
            }
        }
    }
}

/// How many names [`create_temporary`] tries before it gives up: a name taken
/// by chance is one in 2^64; several in a row means someone is taking them.
const TEMPORARY_TRIES: usize = 16;

/// Creates a new file beside `path` to be renamed over it: `PATH.RANDOM.tmp`
/// (not `*.prom`, which the textfile collector would read half written). The
/// name is unpredictable, and the file is created only if nothing is at that
/// name, so whoever else can write the directory (a shared textfile directory,
/// `/tmp`) can neither guess it nor plant a symlink there that a process
/// running as root would write through.
fn create_temporary(path: &Path) -> io::Result<(PathBuf, std::fs::File)> {
    let mut last = None;
    for _ in 0..TEMPORARY_TRIES {
        let mut name = path.as_os_str().to_os_string();
        name.push(format!(".{:016x}.tmp", random_u64()));
        let name = PathBuf::from(name);
        match create_exclusive(&name) {
            Ok(f) => return Ok((name, f)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::from(io::ErrorKind::AlreadyExists)))
}

/// Creates `name`, which must not exist: `O_CREAT|O_EXCL` fails on anything
/// there, a symlink (even a dangling one) included, and `O_NOFOLLOW` says so
/// again; `O_CLOEXEC` (std's default) keeps it from a child. Mode 0644 (less
/// the umask): the collector runs as another user and must read it.
fn create_exclusive(name: &Path) -> io::Result<std::fs::File> {
    use nix::fcntl::OFlag;
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o644)
        .custom_flags((OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC).bits())
        .open(name)
}

/// 64 bits no other user can predict: std's `RandomState` takes its keys from
/// the system's random source (once per thread, then a different key per
/// call), and SipHash under a secret key is unpredictable without it. Enough
/// for a file name without a crate for it.
fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    std::hash::RandomState::new().build_hasher().finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_parse_to_what_they_ask() {
        let get = |head: &str| parse(head.as_bytes());
        assert_eq!(
            get("GET /metrics HTTP/1.1\r\nHost: x"),
            Request::Metrics {
                head: false,
                openmetrics: false
            }
        );
        assert_eq!(
            get("GET /metrics?x=1 HTTP/1.0\r\naccept: application/openmetrics-text;version=1.0.0,*/*"),
            Request::Metrics {
                head: false,
                openmetrics: true
            }
        );
        assert_eq!(
            get("HEAD /metrics HTTP/1.1"),
            Request::Metrics {
                head: true,
                openmetrics: false
            }
        );
        assert_eq!(get("GET / HTTP/1.1"), Request::NotFound);
        assert_eq!(get("POST /metrics HTTP/1.1"), Request::MethodNotAllowed);
        assert_eq!(get("DELETE /other HTTP/1.1"), Request::NotFound);
        for bad in [
            "",
            "GET",
            "GET /metrics",
            "GET /metrics HTTP/1.1 x",
            "G\u{1}T /metrics HTTP/1.1",
            "GET metrics HTTP/1.1",
            "GET /metrics SPDY/3",
        ] {
            assert_eq!(get(bad), Request::Malformed, "{bad:?}");
        }
        assert_eq!(parse(b"GET /metrics HTTP/1.1\r\n\xff"), Request::Malformed);
        assert_eq!(head_end(b"GET / HTTP/1.1\r\nA: b\r\n\r\n"), Some(20));
        assert_eq!(head_end(b"GET / HTTP/1.1\n\n"), Some(14));
        assert_eq!(head_end(b"GET / HTTP/1.1\r\n"), None);
    }

    /// The table of connections: past [`CONNECTIONS`], a new one takes the
    /// place of the oldest still waiting with nothing received (its client
    /// sees the close), not of one whose request has arrived nor of one being
    /// answered; with none of those, no room. Loopback only.
    #[test]
    fn a_new_connection_takes_the_place_of_the_oldest_idle_one() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let pair = || {
            let client = TcpStream::connect(addr).unwrap();
            let (server, _) = listener.accept().unwrap();
            (client, Arc::new(server))
        };
        let mut slots = Slots::default();
        let start = Instant::now();
        let mut clients = Vec::new();
        let mut ids = Vec::new();
        for i in 0..CONNECTIONS {
            let (client, server) = pair();
            let at = start + Duration::from_millis(i as u64);
            let Admission::Admitted(id) = slots.admit(&server, at) else {
                panic!("room for {CONNECTIONS}");
            };
            ids.push(id);
            clients.push(client);
        }
        // The oldest is answered; the next has its request waiting.
        assert!(slots.answering(ids[0]));
        clients[1]
            .write_all(b"GET /metrics HTTP/1.1\r\n\r\n")
            .unwrap();
        while !has_input(&slots.open[1].stream) {
            std::thread::yield_now();
        }
        let (_new, server) = pair();
        let late = start + Duration::from_secs(1);
        assert!(matches!(slots.admit(&server, late), Admission::Admitted(_)));
        let states: Vec<_> = slots.open.iter().map(|s| s.state).collect();
        assert_eq!(
            states[..3],
            [SlotState::Answering, SlotState::Reading, SlotState::Evicted]
        );
        assert!(
            !slots.answering(ids[2]),
            "closed to make room: not answered"
        );
        clients[2]
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        assert_eq!(
            clients[2].read(&mut [0u8; 8]).unwrap(),
            0,
            "its client sees the close"
        );
        // Its thread ended: its place is free (the count of threads too).
        slots.close(ids[2]);
        assert_eq!(slots.open.len(), CONNECTIONS);

        // Every one answered or with its request waiting: no room.
        for slot in &mut slots.open {
            if slot.state == SlotState::Reading && !has_input(&slot.stream) {
                slot.state = SlotState::Answering;
            }
        }
        let (_refused, server) = pair();
        assert_eq!(slots.admit(&server, late), Admission::Busy);
        assert_eq!(slots.open.len(), CONNECTIONS);
    }

    /// Connections closed to make room whose threads have not ended yet
    /// hold the thread budget for a moment: a new one waits for them
    /// (`Wait`, which the accept loop retries) rather than being refused.
    #[test]
    fn closed_connections_still_ending_make_a_new_one_wait_not_fail() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let mut clients = Vec::new();
        let mut pair = || {
            clients.push(TcpStream::connect(addr).unwrap());
            Arc::new(listener.accept().unwrap().0)
        };
        let mut slots = Slots::default();
        let start = Instant::now();
        // Each admission past CONNECTIONS closes the oldest idle one, whose
        // thread (in this test) never ends.
        for i in 0..THREADS {
            let at = start + Duration::from_millis(i as u64);
            assert!(matches!(slots.admit(&pair(), at), Admission::Admitted(_)));
        }
        let late = start + Duration::from_secs(1);
        let next = pair();
        assert_eq!(slots.admit(&next, late), Admission::Wait);
        let evicted = slots
            .open
            .iter()
            .find(|s| s.state == SlotState::Evicted)
            .map(|s| s.id)
            .unwrap();
        slots.close(evicted);
        assert!(matches!(slots.admit(&next, late), Admission::Admitted(_)));
    }
}

#[cfg(test)]
mod file_tests {
    use super::*;
    use prometheus_client::metrics::counter::Counter;
    use std::os::unix::fs::symlink;

    /// A directory of its own under the system's temporary one, removed at
    /// the end.
    struct Dir(PathBuf);

    impl Dir {
        fn new(name: &str) -> Dir {
            let mut hasher = std::hash::BuildHasher::build_hasher(&std::hash::RandomState::new());
            std::hash::Hasher::write_u32(&mut hasher, std::process::id());
            let tag = std::hash::Hasher::finish(&hasher);
            let dir = std::env::temp_dir().join(format!("nlwatch-unit-{name}-{tag:016x}"));
            std::fs::create_dir(&dir).unwrap();
            Dir(dir)
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn registry() -> Arc<Registry> {
        let mut registry = Registry::default();
        let counter: Counter = Counter::default();
        counter.inc();
        registry.register("nlwatch_unit", "A counter", counter);
        Arc::new(registry)
    }

    /// Someone who can write the directory plants a symlink where the
    /// temporary file of this process would be (the name the file once took:
    /// the path, the process ID, `.tmp`); the write goes to a file of its
    /// own, and what the link points at is untouched.
    #[test]
    fn a_planted_symlink_at_the_temporary_name_is_not_followed() {
        let dir = Dir::new("planted");
        let victim = dir.0.join("victim");
        std::fs::write(&victim, "precious\n").unwrap();
        let path = dir.0.join("nlwatch.prom");
        let planted = dir
            .0
            .join(format!("nlwatch.prom.{}.tmp", std::process::id()));
        symlink(&victim, &planted).unwrap();
        let mut file = MetricsFile::new(&path, registry()).unwrap();
        file.rewrite();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
        let meta = std::fs::symlink_metadata(&path).unwrap();
        assert!(meta.file_type().is_file(), "{meta:?}");
        assert!(std::fs::read_to_string(&path)
            .unwrap()
            .contains("nlwatch_unit_total 1"));
        // The planted link is not ours to remove; nothing else is left.
        assert!(std::fs::symlink_metadata(&planted)
            .unwrap()
            .file_type()
            .is_symlink());
        let mut left: Vec<_> = std::fs::read_dir(&dir.0)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        let planted = planted.file_name().unwrap().to_str().unwrap();
        assert_eq!(left, ["nlwatch.prom", planted, "victim"]);
    }
    /// The create function itself, given a name something is already at (a
    /// symlink to a file, a dangling symlink, a file): an error, and neither
    /// the link's target nor the file is written or created.
    #[test]
    fn the_temporary_is_created_only_where_nothing_is() {
        let dir = Dir::new("exclusive");
        let victim = dir.0.join("victim");
        std::fs::write(&victim, "precious\n").unwrap();
        let link = dir.0.join("link");
        symlink(&victim, &link).unwrap();
        let err = create_exclusive(&link).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists, "{err}");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
        let absent = dir.0.join("absent");
        let dangling = dir.0.join("dangling");
        symlink(&absent, &dangling).unwrap();
        assert!(create_exclusive(&dangling).is_err());
        assert!(!absent.exists(), "a dangling link's target is not created");
        assert!(create_exclusive(&victim).is_err());
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");

        // A fresh name: made with mode 0644 (less the umask), and the names
        // drawn differ from one call to the next.
        let (name, _) = create_temporary(&dir.0.join("m.prom")).unwrap();
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(&name).unwrap().permissions(),
        );
        assert_eq!(mode & 0o7133, 0, "{mode:o}");
        let (other, _) = create_temporary(&dir.0.join("m.prom")).unwrap();
        assert_ne!(name, other);
        let shape = name.file_name().unwrap().to_str().unwrap();
        assert!(
            shape.starts_with("m.prom.") && shape.ends_with(".tmp"),
            "{shape}"
        );
    }
}
