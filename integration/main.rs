//! Privileged integration tests. Each test isolates itself in fresh network and
//! mount namespaces (see `sandbox`), so they can run on any machine without
//! touching its network.

pub mod sandbox;

mod chaos;
mod cli;
mod cli_filters;
mod fdb;
mod ip_parity;
mod json_schema;
mod kernel_model;
mod mdb;
mod metrics;
mod monitor;
mod namespaces;
mod netconf;
mod nexthop;
mod nsid;
mod record;
mod routes;
mod rule;
mod state;
#[cfg(feature = "async")]
mod stream;
mod unprivileged;
mod wait;
