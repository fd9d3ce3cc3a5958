//! `RTM_NEWNETCONF` / `RTM_DELNETCONF`: `struct netconfmsg` (the family byte
//! alone, padded to 4) and its `NETCONFA_*` attributes.

use super::consts::{NETCONFMSG_LEN, RTM_DELNETCONF, RTM_GETNETCONF, RTM_NEWNETCONF};
use super::{split_family, Attrs, NlMsg, Result};

family_view!(
    /// View of a netconf message: `struct netconfmsg` and the attributes that follow it.
    NetconfMessage,
    "netconf",
    [RTM_NEWNETCONF, RTM_DELNETCONF, RTM_GETNETCONF],
    NETCONFMSG_LEN,
    "`NETCONFA_*`"
);

impl<'a> NetconfMessage<'a> {
    /// `ncm_family`.
    #[inline]
    pub fn family(&self) -> u8 {
        self.header[0]
    }
}
