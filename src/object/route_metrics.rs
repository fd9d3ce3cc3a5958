//! A route's metrics (`RTA_METRICS`, `RTAX_*`): kept as the kernel sent them,
//! written as `ip route` writes them (JSON `"metrics":[{...}]`, text `mtu lock
//! 1300 ...`). It decodes and writes; nothing else.

use super::compact::Name;
use super::fields::{hex, k, FieldName, Fields, Nested};
use super::name;
use super::nexthop::g;
use crate::wire;
use crate::wire::consts::*;
use std::fmt;

/// `RTA_METRICS`: a route's metrics (`RTAX_*`), as the kernel sent them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RouteMetrics {
    /// `RTAX_LOCK`: bit `1 << RTAX_X` locks metric `RTAX_X` (the kernel does
    /// not learn it, from path MTU discovery say).
    pub lock: u32,
    /// The numeric metrics, `(RTAX_*, value)`, in the kernel's order: all
    /// but `RTAX_LOCK` and `RTAX_CC_ALGO`.
    pub values: Vec<(u16, u32)>,
    /// `RTAX_CC_ALGO`: the congestion control algorithm's name.
    pub congctl: Option<Name>,
}

/// The metrics `ip route` names, by `RTAX_*` (iproute2's `mx_names`), with
/// their JSON keys.
const METRICS: [(u16, &str, FieldName); 16] = [
    (RTAX_MTU, "mtu", k!("mtu")),
    (3, "window", k!("window")),
    (RTAX_RTT, "rtt", k!("rtt")),
    (RTAX_RTTVAR, "rttvar", k!("rttvar")),
    (6, "ssthresh", k!("ssthresh")),
    (7, "cwnd", k!("cwnd")),
    (8, "advmss", k!("advmss")),
    (9, "reordering", k!("reordering")),
    (RTAX_HOPLIMIT, "hoplimit", k!("hoplimit")),
    (11, "initcwnd", k!("initcwnd")),
    (RTAX_FEATURES, "features", k!("features")),
    (RTAX_RTO_MIN, "rto_min", k!("rto_min")),
    (14, "initrwnd", k!("initrwnd")),
    (15, "quickack", k!("quickack")),
    (RTAX_CC_ALGO, "congctl", k!("congestion")),
    (
        RTAX_FASTOPEN_NO_COOKIE,
        "fastopen_no_cookie",
        k!("fastopen_no_cookie"),
    ),
];

/// What `ip route` prints of one metric (`print_rta_metrics`).
pub(super) enum Metric<'a> {
    /// A number as it is.
    Num(u32),
    /// A time in milliseconds (`rtt`, `rttvar` scaled down from the
    /// kernel's units, `rto_min`).
    Millis(u32),
    /// `RTAX_FEATURES`.
    Features(u32),
    /// The congestion control algorithm.
    Name(&'a Name),
}

impl RouteMetrics {
    /// Decodes `RTA_METRICS`.
    pub(super) fn decode(attr: &wire::Attr<'_>) -> wire::Result<RouteMetrics> {
        let mut m = RouteMetrics::default();
        for a in attr.nested() {
            let a = a?;
            match a.kind() {
                RTAX_LOCK => m.lock = a.u32()?,
                RTAX_CC_ALGO => m.congctl = Some(name(&a)),
                kind => m.values.push((kind, a.u32()?)),
            }
        }
        Ok(m)
    }

    /// The value of metric `rtax` (an `RTAX_*`), when the kernel sent it.
    pub fn get(&self, rtax: u16) -> Option<u32> {
        self.values
            .iter()
            .rev()
            .find(|(k, _)| *k == rtax)
            .map(|&(_, v)| v)
    }

    /// The metrics `ip route` prints, in its order: each with its name, its
    /// JSON key, whether it is locked, and its value. A locked metric
    /// without a value is 0, as `ip` prints it; a hop limit of -1 (the
    /// default) is not printed.
    pub(super) fn shown(
        &self,
    ) -> impl Iterator<Item = (&'static str, FieldName, bool, Metric<'_>)> + '_ {
        METRICS.iter().filter_map(move |&(rtax, text, key)| {
            let locked = self.lock & (1u32 << rtax) != 0;
            if rtax == RTAX_CC_ALGO {
                return self
                    .congctl
                    .as_ref()
                    .map(|n| (text, key, locked, Metric::Name(n)));
            }
            let v = match self.get(rtax) {
                Some(v) => v,
                None if locked => 0,
                None => return None,
            };
            let shown = match rtax {
                RTAX_HOPLIMIT if v == u32::MAX => return None,
                // The kernel keeps them scaled (`<< 3`, `<< 2`).
                RTAX_RTT => Metric::Millis(v / 8),
                RTAX_RTTVAR => Metric::Millis(v / 4),
                RTAX_RTO_MIN => Metric::Millis(v),
                RTAX_FEATURES => Metric::Features(v),
                _ => Metric::Num(v),
            };
            Some((text, key, locked, shown))
        })
    }
}

/// As `ip -j route` writes them, inside `"metrics":[...]`: no lock (`ip -j`
/// writes none).
impl Nested for RouteMetrics {
    fn fields(&self, f: &mut dyn Fields) {
        for (_, key, _, value) in self.shown() {
            match value {
                Metric::Num(v) | Metric::Millis(v) => f.num(key, v.into()),
                Metric::Name(n) => f.name(key, n),
                Metric::Features(v) => {
                    if v & RTAX_FEATURE_ECN != 0 {
                        f.null(k!("ecn"));
                    }
                    if v & RTAX_FEATURE_TCP_USEC_TS != 0 {
                        f.null(k!("tcp_usec_ts"));
                    }
                    if v & !(RTAX_FEATURE_ECN | RTAX_FEATURE_TCP_USEC_TS) != 0 {
                        f.str(key, &hex(v.into()));
                    }
                }
            }
        }
    }
}

impl fmt::Display for RouteMetrics {
    /// As `ip route` prints them: `mtu lock 1300 rtt 100ms features ecn`.
    fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (text, _, locked, value)) in self.shown().enumerate() {
            if i > 0 {
                out.write_str(" ")?;
            }
            out.write_str(text)?;
            if locked {
                out.write_str(" lock")?;
            }
            match value {
                Metric::Num(v) => write!(out, " {v}")?,
                Metric::Millis(v) if v >= 1000 => {
                    // `%gs`: six significant digits.
                    let secs = f64::from(v) / 1e3;
                    let secs: f64 = format!("{secs:.5e}").parse().unwrap_or(secs);
                    write!(out, " {}s", g(secs))?;
                }
                Metric::Millis(v) => write!(out, " {v}ms")?,
                Metric::Name(n) => write!(out, " {n}")?,
                Metric::Features(v) => {
                    if v & RTAX_FEATURE_ECN != 0 {
                        out.write_str(" ecn")?;
                    }
                    if v & RTAX_FEATURE_TCP_USEC_TS != 0 {
                        out.write_str(" tcp_usec_ts")?;
                    }
                    if v & !(RTAX_FEATURE_ECN | RTAX_FEATURE_TCP_USEC_TS) != 0 {
                        write!(out, " {}", hex(v.into()))?;
                    }
                }
            }
        }
        Ok(())
    }
}
