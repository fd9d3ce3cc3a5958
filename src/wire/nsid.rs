//! `RTM_NEWNSID` / `RTM_DELNSID`: `struct rtgenmsg` and its `NETNSA_*` attributes
//! (the ids a namespace gives its peer namespaces).

use super::consts::{RTGENMSG_LEN, RTM_DELNSID, RTM_GETNSID, RTM_NEWNSID};
use super::{split_family, Attrs, NlMsg, Result};

family_view!(
    /// View of a namespace id message: `struct rtgenmsg` (one byte, padded to four)
    /// and the attributes that follow it.
    NsidMessage,
    "nsid",
    [RTM_NEWNSID, RTM_DELNSID, RTM_GETNSID],
    RTGENMSG_LEN,
    "`NETNSA_*`"
);

impl<'a> NsidMessage<'a> {
    /// `rtgen_family` (`AF_UNSPEC` in what the kernel sends).
    #[inline]
    pub fn family(&self) -> u8 {
        self.header[0]
    }
}
