//! The crate's error type: what failed, in which namespace, and the OS error.

use std::fmt;
use std::io;

/// An error from setting up or running a monitor.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A system call failed.
    Io {
        /// What nlwatch was doing, e.g. "open the rtnetlink socket".
        op: &'static str,
        /// The namespace it was done for (`""` for the current one).
        netns: String,
        /// The OS error, with its errno.
        source: io::Error,
    },
    /// The caller asked for something invalid.
    InvalidArgument(String),
    /// No namespace file exists under that name or path.
    NoSuchNamespace {
        /// The name or path given.
        netns: String,
    },
    /// The file exists but is not a network namespace (not on nsfs, or another
    /// kind of namespace).
    NotANamespace {
        /// The name or path given.
        netns: String,
    },
    /// No namespace is watched under that handle or name.
    NotWatched {
        /// The name or handle given.
        netns: String,
    },
}

impl Error {
    pub(crate) fn io(op: &'static str, netns: &str, source: io::Error) -> Self {
        Error::Io {
            op,
            netns: netns.to_string(),
            source,
        }
    }

    /// The errno of the underlying OS error, if any.
    pub fn errno(&self) -> Option<i32> {
        match self {
            Error::Io { source, .. } => source.raw_os_error(),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io { op, netns, source } => {
                let ns = if netns.is_empty() {
                    "the current network namespace".to_string()
                } else {
                    format!("network namespace {netns:?}")
                };
                write!(f, "cannot {op} in {ns}: {source}")
            }
            Error::InvalidArgument(msg) => f.write_str(msg),
            Error::NoSuchNamespace { netns } => {
                write!(f, "network namespace {netns:?} does not exist")
            }
            Error::NotANamespace { netns } => {
                write!(f, "{netns:?} is not a network namespace file")
            }
            Error::NotWatched { netns } => {
                write!(f, "network namespace {netns:?} is not watched")
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}
