//! Push-model consumers: a [`Sink`] runs on the thread that publishes (a monitor's
//! reader) and says after each call whether to go on, stop, or that it failed.
//!
//! This module defines the contract; the bus keeps the sinks and acts on what
//! they answer.

use super::item::Item;

/// What a sink wants after a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Flow {
    /// Keep calling this sink.
    Continue,
    /// Remove this sink: it is dropped at once, never called again, and every
    /// subscriber receives [`Item::SinkStopped`] with no error.
    Stop,
}

/// Why a sink failed: any error, reported by its text as [`Item::SinkStopped`].
pub type SinkError = Box<dyn std::error::Error + Send + Sync>;

/// A push-model consumer of the bus, in the spirit of ripgrep's `Sink`: it runs
/// on the thread that publishes (a monitor's reader), so it sees items with no
/// queue, no copy and no thread switch in between: what a printer or recorder
/// that must keep up with bursts wants.
///
/// Every method answers:
///
/// - `Ok(Flow::Continue)`: go on;
/// - `Ok(Flow::Stop)`: the sink is done (a reader of its output went away, a
///   limit was reached): it is removed and dropped at once, and every subscriber
///   receives [`Item::SinkStopped`] with `error: None`;
/// - `Err(e)`: the sink failed (it cannot write, say): the same, with
///   `error: Some(e.to_string().into())`. A failing sink never stops the monitor, the
///   other sinks or the subscribers.
///
/// Its methods must return quickly: while one runs, the reader reads nothing, as
/// with [`Overflow::Block`](super::Overflow::Block) (a sink that stalls lets the
/// kernel's socket buffers overrun, which nlwatch then repairs by resync). They
/// must not call back into the [`Monitor`](crate::Monitor) or the bus (adding or
/// removing namespaces, subscribing, publishing).
///
/// ```
/// use nlwatch::{Bus, Filter, Flow, Item, NetnsTag, Sink, SinkError};
/// /// Counts overruns, and stops after the third.
/// struct Overruns(u32);
/// impl Sink for Overruns {
///     fn item(&mut self, item: &Item) -> Result<Flow, SinkError> {
///         if let Item::Overrun { .. } = item {
///             self.0 += 1;
///         }
///         Ok(if self.0 == 3 { Flow::Stop } else { Flow::Continue })
///     }
/// }
/// let bus = Bus::new();
/// let control = bus.subscribe(Filter::new().events(false), 16, Default::default());
/// let id = bus.add_sink(Filter::new(), Box::new(Overruns(0)));
/// for _ in 0..5 {
///     let timestamp = std::time::SystemTime::now();
///     bus.publish(Item::Overrun { netns: NetnsTag::default(), timestamp });
/// }
/// let stopped: Vec<Item> = control.try_iter().filter(|i| matches!(i, Item::SinkStopped { .. })).collect();
/// assert_eq!(stopped, [Item::SinkStopped { sink: id, error: None }]);
/// ```
pub trait Sink: Send {
    /// One item the sink's filter accepts, in order for its namespace.
    fn item(&mut self, item: &Item) -> Result<Flow, SinkError>;

    /// A monitor's reader has handled everything it could read and is about to
    /// wait: the moment to flush what the sink buffers. Called again when the
    /// bus closes, just before the sink is dropped (what it answers then is not
    /// acted on); on a standalone [`Bus`](super::Bus), only then.
    fn idle(&mut self) -> Result<Flow, SinkError> {
        Ok(Flow::Continue)
    }
}
