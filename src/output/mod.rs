//! Presentation: objects and events as `ip monitor`-style text lines and as JSON
//! lines with `ip -j`'s field names, the names of the kernel's codes, and time
//! formatting. Public, for programs that print what they receive, but apart from
//! the core: nothing in the monitor depends on it.
//!
//! Each kind of object lists its own fields and writes its own text (in its module
//! of `object`); this module frames and writes them. It depends on the objects
//! only, never on the monitor, the bus or the sockets.

#[cfg(test)]
mod golden;
mod json;
#[cfg(feature = "serde")]
mod serde;
mod text;
mod time;

pub use crate::object::fields::IfNames;
pub use crate::object::names;
pub use crate::object::text_escaped;
pub use json::{JsonEvent, JsonLine};
pub use text::{write_bare_text, write_text};
pub use time::{rfc3339, Rfc3339};
