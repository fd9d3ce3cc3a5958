//! Prometheus exposition of a monitor's [`Metrics`] (feature `metrics`): a
//! [`prometheus_client`] collector ([`Collector`]) to register in any
//! registry, and [`encode`] for one snapshot.
//!
//! This module owns the metric names, help texts and labels, nothing else: the
//! counting is `watch`'s (plain atomics, readable without this feature through
//! [`Monitor::metrics`](crate::Monitor::metrics)), and serving them over HTTP
//! or to a file is the program's. It must never do I/O.
//!
//! Per namespace, with labels `netns` (the name it was first added by; `""`
//! for the namespace the program started in) and `netns_id` (its stable id,
//! the netns cookie): `nlwatch_netns_*`. The same counters in total, over every
//! namespace the monitor ever watched (those gone included, so they never go
//! down): `nlwatch_*`. See the README's "Metrics" for the list and a sample.
//!
//! ```
//! # fn main() -> Result<(), nlwatch::Error> {
//! use prometheus_client::registry::Registry;
//! let monitor = nlwatch::Monitor::builder().build()?;
//! let mut registry = Registry::default();
//! registry.register_collector(Box::new(nlwatch::metrics::Collector::new(&monitor)));
//! let mut text = String::new();
//! prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
//! assert!(text.contains("# TYPE nlwatch_reader_threads gauge"));
//! # Ok(()) }
//! ```

use super::{
    DurationHistogram, Metrics, MetricsSource, NamespaceCounters, NamespaceMetrics, RESYNC_BUCKETS,
};
use crate::bus::Overflow;
use crate::object::{Action, ObjectKind};
use crate::watch::Monitor;
use prometheus_client::encoding::{DescriptorEncoder, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Unit;
use std::fmt;

/// A [`prometheus_client::collector::Collector`] that reads a monitor's
/// metrics at each scrape (see [`Monitor::metrics_source`]).
#[derive(Debug, Clone)]
pub struct Collector {
    source: MetricsSource,
}

impl Collector {
    /// A collector of `monitor`'s metrics.
    pub fn new(monitor: &Monitor) -> Collector {
        Collector {
            source: monitor.metrics_source(),
        }
    }

    /// A collector reading from `source`.
    pub fn from_source(source: MetricsSource) -> Collector {
        Collector { source }
    }
}

impl prometheus_client::collector::Collector for Collector {
    fn encode(&self, encoder: DescriptorEncoder) -> fmt::Result {
        encode(&self.source.metrics(), encoder)
    }
}

/// The labels of one namespace's series.
type Labels = Vec<(&'static str, String)>;

fn ns_labels(ns: &NamespaceMetrics) -> Labels {
    vec![
        ("netns", ns.netns.name.to_string()),
        ("netns_id", ns.netns.id.to_string()),
    ]
}

/// One counter of [`NamespaceCounters`]: its name (without `_total`), help and
/// how to read it.
struct Plain {
    name: &'static str,
    help: &'static str,
    get: fn(&NamespaceCounters) -> u64,
}

const PLAIN: &[Plain] = &[
    Plain {
        name: "datagrams",
        help: "Datagrams received on the namespace's socket, forged ones too",
        get: |c| c.datagrams,
    },
    Plain {
        name: "messages",
        help: "Netlink messages received from the kernel",
        get: |c| c.messages,
    },
    Plain {
        name: "decode_errors",
        help: "Malformed messages skipped",
        get: |c| c.decode_errors,
    },
    Plain {
        name: "attributes_skipped",
        help: "Malformed attributes skipped in objects still published",
        get: |c| c.attributes_skipped,
    },
    Plain {
        name: "forged_dropped",
        help: "Datagrams dropped because their sender was not the kernel",
        get: |c| c.foreign_dropped,
    },
    Plain {
        name: "overruns",
        help: "Times the kernel reported lost notifications (ENOBUFS)",
        get: |c| c.overruns,
    },
    Plain {
        name: "truncated",
        help: "Datagrams larger than the receive buffer",
        get: |c| c.truncated,
    },
    Plain {
        name: "resyncs",
        help: "Full re-dumps made to repair lost notifications",
        get: |c| c.resyncs,
    },
    Plain {
        name: "dumps_interrupted",
        help: "Dumps the kernel marked inconsistent (NLM_F_DUMP_INTR), redone",
        get: |c| c.dumps_interrupted,
    },
    Plain {
        name: "synthesized_deletions",
        help: "Deletions the kernel did not announce, inferred and published",
        get: |c| c.synthesized_deletions,
    },
];

/// Encodes `metrics` (families in a fixed order, series in the order of
/// `metrics`).
pub fn encode(metrics: &Metrics, mut encoder: DescriptorEncoder) -> fmt::Result {
    gauge(
        &mut encoder,
        "nlwatch_namespaces_watched",
        "Network namespaces watched",
        metrics.namespaces_watched as u64,
    )?;
    gauge(
        &mut encoder,
        "nlwatch_reader_threads",
        "Reader threads",
        metrics.readers as u64,
    )?;
    for p in PLAIN {
        let name = format!("nlwatch_netns_{}", p.name);
        let help = format!("{} (per namespace)", p.help);
        let mut family = encoder.encode_descriptor(&name, &help, None, MetricType::Counter)?;
        for ns in &metrics.namespaces {
            counter(&mut family, &ns_labels(ns), (p.get)(&ns.counters))?;
        }
        let name = format!("nlwatch_{}", p.name);
        let help = format!("{} (every namespace watched)", p.help);
        let mut family = encoder.encode_descriptor(&name, &help, None, MetricType::Counter)?;
        family.encode_counter::<NoLabelSet, _, u64>(&(p.get)(&metrics.total), None)?;
    }

    let mut family = encoder.encode_descriptor(
        "nlwatch_netns_events",
        "Events published, by object kind and action (per namespace)",
        None,
        MetricType::Counter,
    )?;
    for ns in &metrics.namespaces {
        events(&mut family, ns_labels(ns), &ns.counters)?;
    }
    let mut family = encoder.encode_descriptor(
        "nlwatch_events",
        "Events published, by object kind and action (every namespace watched)",
        None,
        MetricType::Counter,
    )?;
    events(&mut family, Vec::new(), &metrics.total)?;

    let mut family = encoder.encode_descriptor(
        "nlwatch_netns_resync_duration",
        "How long each resync took, from the loss to its end (per namespace)",
        Some(&Unit::Seconds),
        MetricType::Histogram,
    )?;
    for ns in &metrics.namespaces {
        histogram(
            &mut family.encode_family(&ns_labels(ns))?,
            &ns.counters.resync_seconds,
        )?;
    }
    let mut family = encoder.encode_descriptor(
        "nlwatch_resync_duration",
        "How long each resync took, from the loss to its end (every namespace watched)",
        Some(&Unit::Seconds),
        MetricType::Histogram,
    )?;
    histogram(&mut family, &metrics.total.resync_seconds)?;

    let mut family = encoder.encode_descriptor(
        "nlwatch_netns_objects",
        "Objects held in the namespace's state view, by kind",
        None,
        MetricType::Gauge,
    )?;
    for ns in &metrics.namespaces {
        for kind in ObjectKind::ALL {
            let mut labels = ns_labels(ns);
            labels.push(("kind", kind.as_str().to_string()));
            family
                .encode_family(&labels)?
                .encode_gauge(&ns.objects[kind.index()])?;
        }
    }
    let mut family = encoder.encode_descriptor(
        "nlwatch_netns_syncing",
        "1 while a round of dumps (initial or resync) is running or due",
        None,
        MetricType::Gauge,
    )?;
    for ns in &metrics.namespaces {
        family
            .encode_family(&ns_labels(ns))?
            .encode_gauge(&u64::from(ns.syncing))?;
    }

    let sub_labels = |s: &super::SubscriberCounters| {
        let overflow = match s.overflow {
            Overflow::DropOldest => "drop_oldest",
            Overflow::DropNewest => "drop_newest",
            Overflow::Block => "block",
        };
        vec![
            ("subscriber", s.id.to_string()),
            ("overflow", overflow.to_string()),
        ]
    };
    let mut family = encoder.encode_descriptor(
        "nlwatch_subscriber_queued_items",
        "Items in a subscriber's queue, not yet received",
        None,
        MetricType::Gauge,
    )?;
    for s in &metrics.subscribers {
        family
            .encode_family(&sub_labels(s))?
            .encode_gauge(&(s.queued as u64))?;
    }
    let mut family = encoder.encode_descriptor(
        "nlwatch_subscriber_capacity_items",
        "How many items a subscriber's queue holds",
        None,
        MetricType::Gauge,
    )?;
    for s in &metrics.subscribers {
        family
            .encode_family(&sub_labels(s))?
            .encode_gauge(&(s.capacity as u64))?;
    }
    let mut family = encoder.encode_descriptor(
        "nlwatch_subscriber_dropped",
        "Items a subscriber lost (reported to it as lagged)",
        None,
        MetricType::Counter,
    )?;
    for s in &metrics.subscribers {
        counter(&mut family, &sub_labels(s), s.dropped)?;
    }
    Ok(())
}

fn gauge(encoder: &mut DescriptorEncoder, name: &str, help: &str, v: u64) -> fmt::Result {
    encoder
        .encode_descriptor(name, help, None, MetricType::Gauge)?
        .encode_gauge(&v)
}

fn counter(family: &mut MetricEncoder, labels: &Labels, v: u64) -> fmt::Result {
    family
        .encode_family(labels)?
        .encode_counter::<NoLabelSet, _, u64>(&v, None)
}

/// One series per kind and action, after `labels`.
fn events(family: &mut MetricEncoder, labels: Labels, c: &NamespaceCounters) -> fmt::Result {
    for kind in ObjectKind::ALL {
        for action in [Action::New, Action::Del] {
            let mut l = labels.clone();
            l.push(("kind", kind.as_str().to_string()));
            l.push(("action", action.as_str().to_string()));
            counter(family, &l, c.events(kind, action))?;
        }
    }
    Ok(())
}

fn histogram(family: &mut MetricEncoder, h: &DurationHistogram) -> fmt::Result {
    // prometheus-client makes the buckets cumulative itself.
    let buckets: Vec<(f64, u64)> = RESYNC_BUCKETS
        .iter()
        .copied()
        .chain([f64::INFINITY])
        .zip(h.counts)
        .collect();
    family.encode_histogram::<NoLabelSet>(h.sum_seconds(), h.count(), &buckets, None)
}
