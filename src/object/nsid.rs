//! Namespace ids: `RTM_NEWNSID` / `RTM_DELNSID`, `struct rtgenmsg` and its
//! `NETNSA_*` attributes: the number a namespace gives one of its peers (`ip
//! netns set NAME ID`, or the kernel itself when a peer is first named to it, as
//! when a veth pair spans two namespaces). The owned type, its decoding, its
//! identity in the state view (the id), its dump, its group, its JSON fields
//! (`ip -j netns list-id`'s) and its text line (`ip monitor nsid`'s).
//!
//! `ip` adds the peer's `name` when it can find it under `/run/netns` (it asks
//! the kernel for the id of every namespace there); nlwatch does not, since
//! the message names no namespace: only the id, and `current-nsid` in answers
//! to requests that name a target namespace (which nlwatch does not make).
//!
//! # What the kernel does not announce (found by `integration/nsid.rs`)
//!
//! Nothing: when a peer namespace is destroyed (its last reference gone, not
//! merely its `/run/netns` file), every namespace that had an id for it gets an
//! `RTM_DELNSID`; an id is never reassigned without one. A namespace with an
//! id for the watched one is not the watched one's business: its ids are in
//! its own dump.

use super::compact::Name;
use super::fields::{k, Fields, IfNames};
use super::{key, walk, Kind};
use crate::wire::consts::*;
use crate::wire::{self, Dump, NlMsg, NsidMessage};
use std::fmt;

/// The id a namespace gives a peer namespace, from `RTM_NEWNSID` / `RTM_DELNSID`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Nsid {
    /// `NETNSA_NSID`: the id (`None` when the message has none; negative:
    /// not assigned).
    pub nsid: Option<i32>,
    /// `NETNSA_CURRENT_NSID`: the id the peer gives the watched namespace, sent
    /// only in answers to requests naming a target namespace.
    pub current_nsid: Option<i32>,
}

impl Nsid {
    /// Decodes an nsid message (see `Link::from_view` for the error rules): the
    /// id is its identity, so a malformed one fails the message.
    #[inline]
    fn from_view(msg: &NsidMessage<'_>, n: &mut Nsid, skipped: &mut u32) -> wire::Result<()> {
        walk(msg.attrs(), skipped, |attr| {
            match attr.kind() {
                NETNSA_NSID => n.nsid = Some(key(attr.i32())?),
                NETNSA_CURRENT_NSID => n.current_nsid = Some(attr.i32()?),
                _ => {}
            }
            Ok(())
        })
    }
}

impl Kind for Nsid {
    const MESSAGES: [u16; 2] = [RTM_NEWNSID, RTM_DELNSID];
    const GROUPS: &'static [u32] = &[RTNLGRP_NSID];
    const DUMP: Dump = Dump {
        msg_type: RTM_GETNSID,
        header_len: RTGENMSG_LEN,
        family: AF_UNSPEC,
    };
    type Key = i32;

    #[inline]
    fn decode(msg: &NlMsg<'_>, into: &mut Self, skipped: &mut u32) -> wire::Result<()> {
        Nsid::from_view(&NsidMessage::new_checked(*msg)?, into, skipped)
    }

    /// The id; one that is not assigned (negative) is not kept.
    fn key(&self) -> Option<i32> {
        self.nsid.filter(|&id| id >= 0)
    }

    fn same_state(&self, other: &Self) -> bool {
        self == other
    }

    fn ifindex(&self) -> Option<u32> {
        None
    }

    /// `nsid` and `current-nsid`, each when assigned (as `ip -j` writes them).
    fn fields(&self, f: &mut impl Fields) {
        if let Some(id) = self.nsid.filter(|&id| id >= 0) {
            f.int(k!("nsid"), id.into());
        }
        if let Some(id) = self.current_nsid.filter(|&id| id >= 0) {
            f.int(k!("current-nsid"), id.into());
        }
    }

    fn name_fields(&self, _own: Option<&Name>, _names: &dyn IfNames, _f: &mut impl Fields) {}

    /// `nsid 5`, `nsid unassigned`, then `current-nsid N` when sent.
    fn write_text(&self, out: &mut dyn fmt::Write, _names: &dyn IfNames) -> fmt::Result {
        match self.nsid.filter(|&id| id >= 0) {
            Some(id) => write!(out, " nsid {id}")?,
            None => out.write_str(" nsid unassigned")?,
        }
        match self.current_nsid {
            Some(id) if id >= 0 => write!(out, " current-nsid {id}")?,
            Some(_) => out.write_str(" current-nsid unassigned")?,
            None => {}
        }
        Ok(())
    }
}
