//! What a monitor counts: [`Metrics`] (from [`Monitor::metrics`], or from any
//! thread through a [`MetricsSource`]), per namespace ([`NamespaceMetrics`],
//! [`NamespaceCounters`]) and per subscriber ([`SubscriberCounters`]), and,
//! with the feature `metrics`, their Prometheus exposition (`Collector`,
//! `encode`).
//!
//! This module is the front of the counting only: the counters live where
//! they are counted (the readers' plain atomics in `watch`, the subscribers'
//! in `bus`), and it never counts anything itself.
//!
//! [`Monitor::metrics`]: crate::Monitor::metrics

pub use crate::bus::SubscriberCounters;
pub use crate::watch::{
    DurationHistogram, Metrics, MetricsSource, NamespaceCounters, NamespaceMetrics, RESYNC_BUCKETS,
};

#[cfg(feature = "metrics")]
mod prometheus;
#[cfg(feature = "metrics")]
pub use prometheus::{encode, Collector};
