//! `RTM_NEWNSID` / `RTM_DELNSID`: `struct rtgenmsg` and its `NETNSA_*` attributes
//! (the ids a namespace gives its peer namespaces).

use super::consts::{RTGENMSG_LEN, RTM_DELNSID, RTM_GETNSID, RTM_NEWNSID};
use super::{split_family, Attrs, NlMsg, Result};

/// View of a namespace id message: `struct rtgenmsg` (one byte, padded to four)
/// and the attributes that follow it.
#[derive(Debug, Clone, Copy)]
pub struct NsidMessage<'a> {
    msg: NlMsg<'a>,
    header: &'a [u8],
    attrs: &'a [u8],
}

impl<'a> NsidMessage<'a> {
    /// Checks the type (`RTM_NEWNSID`, `RTM_DELNSID` or `RTM_GETNSID`) and that the
    /// payload holds a `rtgenmsg`.
    #[inline]
    pub fn new_checked(msg: NlMsg<'a>) -> Result<Self> {
        let (header, attrs) = split_family(
            &msg,
            "nsid",
            &[RTM_NEWNSID, RTM_DELNSID, RTM_GETNSID],
            RTGENMSG_LEN,
        )?;
        Ok(NsidMessage { msg, header, attrs })
    }

    /// The message this view was made from.
    #[inline]
    pub fn message(&self) -> NlMsg<'a> {
        self.msg
    }

    /// `rtgen_family` (`AF_UNSPEC` in what the kernel sends).
    #[inline]
    pub fn family(&self) -> u8 {
        self.header[0]
    }

    /// The `NETNSA_*` attributes.
    #[inline]
    pub fn attrs(&self) -> Attrs<'a> {
        Attrs::new(self.attrs)
    }
}
