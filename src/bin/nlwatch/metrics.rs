//! The program's metrics: `--metrics ADDR:PORT` serves `GET /metrics` from a
//! small HTTP server of its own, `--metrics-file PATH` rewrites a
//! node_exporter textfile-collector file. Both expose the library's
//! `nlwatch::metrics` collector.
//!
//! The server is std::net and a few threads, not an HTTP framework: it answers
//! one path with one method, so all it needs is a request line and an
//! `Accept` header read under a size cap and a deadline. What it must never do
//! is let a client hold it: every connection has [`CONNECTION_TIME`] in all to
//! send its request and take the answer, reads at most [`REQUEST_CAP`] bytes,
//! and at most [`CONNECTIONS`] are served at once (more are told 503 and
//! closed), so a client that connects and sends nothing, or sends garbage or an
//! endless header, costs a bounded time and memory and never stops a scrape
//! for long.

use prometheus_client::registry::Registry;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The longest a connection may take, from accept to the last byte written.
const CONNECTION_TIME: Duration = Duration::from_secs(5);
/// The largest request read (the request line and the headers).
const REQUEST_CAP: usize = 8192;
/// Connections served at once.
const CONNECTIONS: usize = 4;
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
            let busy = Arc::new(AtomicUsize::new(0));
            for stream in listener.incoming() {
                // A failed accept (a connection reset before it was taken, too
                // many open files) concerns that connection only.
                let Ok(mut stream) = stream else { continue };
                if busy.fetch_add(1, Ordering::AcqRel) >= CONNECTIONS {
                    busy.fetch_sub(1, Ordering::AcqRel);
                    let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
                    let _ = respond(&mut stream, "503 Service Unavailable", None, b"busy\n");
                    continue;
                }
                let (registry, done) = (registry.clone(), busy.clone());
                let spawned = std::thread::Builder::new()
                    .name("nlwatch-scrape".into())
                    .spawn(move || {
                        handle(stream, &registry);
                        done.fetch_sub(1, Ordering::AcqRel);
                    });
                if spawned.is_err() {
                    busy.fetch_sub(1, Ordering::AcqRel);
                }
            }
        })
        .map(|_| ())
        .map_err(|e| format!("cannot start the metrics server: {e}"))
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

/// Answers one connection, within [`CONNECTION_TIME`] and [`REQUEST_CAP`].
fn handle(mut stream: TcpStream, registry: &Registry) {
    let deadline = Instant::now() + CONNECTION_TIME;
    let _ = stream.set_write_timeout(Some(CONNECTION_TIME));
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    let end = loop {
        if let Some(end) = head_end(&buf) {
            break end;
        }
        if buf.len() >= REQUEST_CAP {
            let _ = respond(
                &mut stream,
                "431 Request Header Fields Too Large",
                None,
                b"request too large\n",
            );
            return;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            let _ = respond(&mut stream, "408 Request Timeout", None, b"too slow\n");
            return;
        }
        let room = chunk.len().min(REQUEST_CAP - buf.len());
        match stream.read(&mut chunk[..room]) {
            // Closed before a whole request: nothing to answer.
            Ok(0) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                let _ = respond(&mut stream, "408 Request Timeout", None, b"too slow\n");
                return;
            }
            Err(_) => return,
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
                respond_head(&mut stream, "200 OK", kind, body.len())
            } else {
                respond(&mut stream, "200 OK", Some(kind), body.as_bytes())
            }
        }
        Request::NotFound => respond(&mut stream, "404 Not Found", None, b"try /metrics\n"),
        Request::MethodNotAllowed => respond(
            &mut stream,
            "405 Method Not Allowed\r\nAllow: GET, HEAD",
            None,
            b"GET /metrics\n",
        ),
        Request::Malformed => respond(&mut stream, "400 Bad Request", None, b"bad request\n"),
    };
}

/// Writes a whole response and closes (one request per connection).
fn respond(
    stream: &mut TcpStream,
    status: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> io::Result<()> {
    let content_type = content_type.unwrap_or("text/plain; charset=utf-8");
    respond_head(stream, status, content_type, body.len())?;
    stream.write_all(body)?;
    stream.flush()?;
    let _ = stream.shutdown(std::net::Shutdown::Write);
    Ok(())
}

/// Writes the status line and headers of a response of `len` bytes.
fn respond_head(
    stream: &mut TcpStream,
    status: &str,
    content_type: &str,
    len: usize,
) -> io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes())?;
    stream.flush()
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
