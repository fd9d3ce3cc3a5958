//! Keeping each namespace's state: dump rounds (`sync`), notifications and
//! what the kernel does without one (`infer`, `hops`), a watched namespace as
//! its reader holds it (`namespace`), and the state view (`state`, with its
//! containers `chunk_map` and `stored`). Nothing here reads a socket.

pub(in crate::watch) mod chunk_map;
pub(in crate::watch) mod hops;
pub(in crate::watch) mod infer;
pub(in crate::watch) mod namespace;
pub(in crate::watch) mod state;
pub(in crate::watch) mod stored;
pub(in crate::watch) mod sync;
