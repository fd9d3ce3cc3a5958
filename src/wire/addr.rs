//! `RTM_NEWADDR` / `RTM_DELADDR`: `struct ifaddrmsg` and its `IFA_*` attributes.

use super::consts::{IFADDRMSG_LEN, RTM_DELADDR, RTM_GETADDR, RTM_NEWADDR};
use super::{ne_u32, split_family, Attrs, NlMsg, Result};

mod field {
    //! Offsets inside `struct ifaddrmsg`.
    pub(super) const FAMILY: usize = 0;
    pub(super) const PREFIXLEN: usize = 1;
    pub(super) const FLAGS: usize = 2;
    pub(super) const SCOPE: usize = 3;
    pub(super) const INDEX: usize = 4;
}

family_view!(
    /// View of an address message: `struct ifaddrmsg` and the attributes that follow it.
    AddressMessage,
    "address",
    [RTM_NEWADDR, RTM_DELADDR, RTM_GETADDR],
    IFADDRMSG_LEN,
    "`IFA_*`"
);

impl<'a> AddressMessage<'a> {
    /// `ifa_family`.
    #[inline]
    pub fn family(&self) -> u8 {
        self.header[field::FAMILY]
    }

    /// `ifa_prefixlen`.
    #[inline]
    pub fn prefix_len(&self) -> u8 {
        self.header[field::PREFIXLEN]
    }

    /// `ifa_flags`: the low 8 bits of the IFA_F_* flags (`IFA_FLAGS` has all 32).
    #[inline]
    pub fn flags(&self) -> u8 {
        self.header[field::FLAGS]
    }

    /// `ifa_scope`.
    #[inline]
    pub fn scope(&self) -> u8 {
        self.header[field::SCOPE]
    }

    /// `ifa_index`.
    #[inline]
    pub fn index(&self) -> u32 {
        ne_u32(self.header, field::INDEX)
    }
}
