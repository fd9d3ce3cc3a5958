//! `RTM_NEWNETCONF` / `RTM_DELNETCONF`: `struct netconfmsg` (the family byte
//! alone, padded to 4) and its `NETCONFA_*` attributes.

use super::consts::{NETCONFMSG_LEN, RTM_DELNETCONF, RTM_GETNETCONF, RTM_NEWNETCONF};
use super::{split_family, Attrs, NlMsg, Result};

/// View of a netconf message: `struct netconfmsg` and the attributes that follow it.
#[derive(Debug, Clone, Copy)]
pub struct NetconfMessage<'a> {
    msg: NlMsg<'a>,
    header: &'a [u8],
    attrs: &'a [u8],
}

impl<'a> NetconfMessage<'a> {
    /// Checks the type (`RTM_NEWNETCONF`, `RTM_DELNETCONF` or `RTM_GETNETCONF`)
    /// and that the payload holds the family byte.
    #[inline]
    pub fn new_checked(msg: NlMsg<'a>) -> Result<Self> {
        let (header, attrs) = split_family(
            &msg,
            "netconf",
            &[RTM_NEWNETCONF, RTM_DELNETCONF, RTM_GETNETCONF],
            NETCONFMSG_LEN,
        )?;
        Ok(NetconfMessage { msg, header, attrs })
    }

    /// The message this view was made from.
    #[inline]
    pub fn message(&self) -> NlMsg<'a> {
        self.msg
    }

    /// `ncm_family`.
    #[inline]
    pub fn family(&self) -> u8 {
        self.header[0]
    }

    /// The `NETCONFA_*` attributes.
    #[inline]
    pub fn attrs(&self) -> Attrs<'a> {
        Attrs::new(self.attrs)
    }
}
