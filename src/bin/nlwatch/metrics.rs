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
        let mut tmp = self.path.clone().into_os_string();
        // Not `*.prom`: the textfile collector skips it.
        tmp.push(format!(".{}.tmp", std::process::id()));
        let tmp = PathBuf::from(tmp);
        let written = (|| {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(prometheus_text(&self.registry).as_bytes())?;
            f.sync_all()?;
            std::fs::rename(&tmp, &self.path)
        })();
        if written.is_err() {
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
