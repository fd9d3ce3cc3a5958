//! Reading the sockets: the rtnetlink socket (`socket`), the reader threads
//! that look at them (`reader`) and when they look again (`pace`). What is
//! read is handed to `keep`; nothing here keeps state.

pub(in crate::watch) mod pace;
pub(in crate::watch) mod reader;
pub(in crate::watch) mod socket;
