//! Privileged integration tests. Each test isolates itself in fresh network and
//! mount namespaces (see `sandbox`), so they can run on any machine without
//! touching its network.

pub mod sandbox;

mod cli;
mod monitor;
mod namespaces;
mod nsid;
mod rule;
mod state;
mod unprivileged;
