//! `RTM_NEWNEIGH` / `RTM_DELNEIGH`: `struct ndmsg` and its `NDA_*` attributes.

use super::consts::{NDMSG_LEN, RTM_DELNEIGH, RTM_GETNEIGH, RTM_NEWNEIGH};
use super::{ne_u16, ne_u32, split_family, Attrs, NlMsg, Result};

mod field {
    //! Offsets inside `struct ndmsg`.
    pub(super) const FAMILY: usize = 0;
    pub(super) const IFINDEX: usize = 4;
    pub(super) const STATE: usize = 8;
    pub(super) const FLAGS: usize = 10;
    pub(super) const TYPE: usize = 11;
}

family_view!(
    /// View of a neighbour message: `struct ndmsg` and the attributes that follow it.
    NeighbourMessage,
    "neighbour",
    [RTM_NEWNEIGH, RTM_DELNEIGH, RTM_GETNEIGH],
    NDMSG_LEN,
    "`NDA_*`"
);

impl<'a> NeighbourMessage<'a> {
    /// `ndm_family`.
    #[inline]
    pub fn family(&self) -> u8 {
        self.header[field::FAMILY]
    }

    /// `ndm_ifindex`.
    #[inline]
    pub fn ifindex(&self) -> u32 {
        ne_u32(self.header, field::IFINDEX)
    }

    /// `ndm_state`: NUD_* state bits.
    #[inline]
    pub fn state(&self) -> u16 {
        ne_u16(self.header, field::STATE)
    }

    /// `ndm_flags`: NTF_* flags.
    #[inline]
    pub fn flags(&self) -> u8 {
        self.header[field::FLAGS]
    }

    /// `ndm_type`.
    #[inline]
    pub fn neigh_type(&self) -> u8 {
        self.header[field::TYPE]
    }
}
