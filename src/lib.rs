//! nlwatch: watch Linux networking state through rtnetlink.
//!
//! - [`wire`]: zero-copy, allocation-free views over netlink bytes.
//! - [`event`]: the owned, typed events subscribers receive.
//! - [`socket`]: the rtnetlink socket (autobind, groups, receive buffer, sender check).
//! - [`Monitor`]: opens the socket, runs the reader thread, fans events out to
//!   [`Subscription`]s.
//! - [`Bus`], [`Filter`], [`Overflow`]: how items reach subscribers: each with a
//!   filter, a bounded queue and a policy for when that queue is full.
//!
//! ```no_run
//! use nlwatch::{Item, Monitor, Netns};
//! let monitor = Monitor::builder().build()?;
//! let events = monitor.subscribe();
//! monitor.add_namespace(Netns::Current)?;
//! for item in events {
//!     if let Item::Event(ev) = item {
//!         println!("{} {:?}", ev.action.as_str(), ev.object);
//!     }
//! }
//! # Ok::<(), nlwatch::Error>(())
//! ```
#![warn(missing_docs)]

mod bus;
mod compact;
#[cfg(test)]
mod decode_tests;
mod discover;
mod error;
pub mod event;
mod filter;
mod json;
mod monitor;
pub mod names;
mod netns;
mod reader;
pub mod socket;
mod state;
mod sys;
pub mod wire;

pub use bus::{Bus, GoneReason, Item, Overflow, Sink, Subscription};
pub use compact::{CompactStr, HwAddr, MAX_ADDR_LEN};
pub use error::Error;
pub use event::{Action, Event, NetnsTag, Object, ObjectKind, Origin};
pub use filter::Filter;
pub use monitor::{
    Builder, Monitor, NamespaceHandle, NamespaceStats, DEFAULT_BATCH_WINDOW, DEFAULT_CAPACITY,
    DEFAULT_RCVBUF,
};
pub use netns::{Netns, NETNS_RUN_DIR};
pub use state::Snapshot;
