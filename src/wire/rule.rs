//! `RTM_NEWRULE` / `RTM_DELRULE`: `struct fib_rule_hdr` and its `FRA_*`
//! attributes (policy routing rules, IPv4 and IPv6 alike).

use super::consts::{FIB_RULE_HDR_LEN, RTM_DELRULE, RTM_GETRULE, RTM_NEWRULE};
use super::{ne_u32, split_family, Attrs, NlMsg, Result};

mod field {
    //! Offsets inside `struct fib_rule_hdr`.
    pub(super) const FAMILY: usize = 0;
    pub(super) const DST_LEN: usize = 1;
    pub(super) const SRC_LEN: usize = 2;
    pub(super) const TOS: usize = 3;
    pub(super) const TABLE: usize = 4;
    pub(super) const ACTION: usize = 7;
    pub(super) const FLAGS: usize = 8;
}

family_view!(
    /// View of a rule message: `struct fib_rule_hdr` and the attributes that follow it.
    RuleMessage,
    "rule",
    [RTM_NEWRULE, RTM_DELRULE, RTM_GETRULE],
    FIB_RULE_HDR_LEN,
    "`FRA_*`"
);

impl<'a> RuleMessage<'a> {
    /// `family`: `AF_INET` or `AF_INET6`.
    #[inline]
    pub fn family(&self) -> u8 {
        self.header[field::FAMILY]
    }

    /// `dst_len`: prefix length of the destination selector.
    #[inline]
    pub fn dst_len(&self) -> u8 {
        self.header[field::DST_LEN]
    }

    /// `src_len`: prefix length of the source selector.
    #[inline]
    pub fn src_len(&self) -> u8 {
        self.header[field::SRC_LEN]
    }

    /// `tos`: the TOS (IPv4) or traffic class (IPv6) selector.
    #[inline]
    pub fn tos(&self) -> u8 {
        self.header[field::TOS]
    }

    /// `table`: the table id truncated to 8 bits (`FRA_TABLE` has the full id).
    #[inline]
    pub fn table(&self) -> u8 {
        self.header[field::TABLE]
    }

    /// `action`: FR_ACT_*.
    #[inline]
    pub fn action(&self) -> u8 {
        self.header[field::ACTION]
    }

    /// `flags`: FIB_RULE_*.
    #[inline]
    pub fn flags(&self) -> u32 {
        ne_u32(self.header, field::FLAGS)
    }
}
