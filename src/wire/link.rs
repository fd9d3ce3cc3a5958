//! `RTM_NEWLINK` / `RTM_DELLINK`: `struct ifinfomsg` and its `IFLA_*` attributes.

use super::consts::{IFINFOMSG_LEN, RTM_DELLINK, RTM_GETLINK, RTM_NEWLINK};
use super::{ne_u16, ne_u32, split_family, Attrs, NlMsg, Result};

mod field {
    //! Offsets inside `struct ifinfomsg`.
    pub(super) const FAMILY: usize = 0;
    pub(super) const TYPE: usize = 2;
    pub(super) const INDEX: usize = 4;
    pub(super) const FLAGS: usize = 8;
    pub(super) const CHANGE: usize = 12;
}

family_view!(
    /// View of a link message: `struct ifinfomsg` and the attributes that follow it.
    LinkMessage,
    "link",
    [RTM_NEWLINK, RTM_DELLINK, RTM_GETLINK],
    IFINFOMSG_LEN,
    "`IFLA_*`"
);

impl<'a> LinkMessage<'a> {
    /// `ifi_family`.
    #[inline]
    pub fn family(&self) -> u8 {
        self.header[field::FAMILY]
    }

    /// `ifi_type`: the ARPHRD_* hardware type.
    #[inline]
    pub fn link_type(&self) -> u16 {
        ne_u16(self.header, field::TYPE)
    }

    /// `ifi_index`.
    #[inline]
    pub fn index(&self) -> u32 {
        ne_u32(self.header, field::INDEX)
    }

    /// `ifi_flags`: IFF_* flags.
    #[inline]
    pub fn flags(&self) -> u32 {
        ne_u32(self.header, field::FLAGS)
    }

    /// `ifi_change`: the mask of flags that changed.
    #[inline]
    pub fn change(&self) -> u32 {
        ne_u32(self.header, field::CHANGE)
    }
}
