//! `RTM_NEWROUTE` / `RTM_DELROUTE`: `struct rtmsg`, its `RTA_*` attributes, and the
//! `struct rtnexthop` list inside `RTA_MULTIPATH`.

use super::consts::{RTMSG_LEN, RTM_DELROUTE, RTM_GETROUTE, RTM_NEWROUTE, RTNEXTHOP_LEN};
use super::{align, check_len, ne_u16, ne_u32, split_family, Attrs, Error, NlMsg, Result};

mod field {
    //! Offsets inside `struct rtmsg`.
    pub(super) const FAMILY: usize = 0;
    pub(super) const DST_LEN: usize = 1;
    pub(super) const SRC_LEN: usize = 2;
    pub(super) const TOS: usize = 3;
    pub(super) const TABLE: usize = 4;
    pub(super) const PROTOCOL: usize = 5;
    pub(super) const SCOPE: usize = 6;
    pub(super) const TYPE: usize = 7;
    pub(super) const FLAGS: usize = 8;
}

mod hop_field {
    //! Offsets inside `struct rtnexthop`.
    pub(super) const LEN: usize = 0;
    pub(super) const FLAGS: usize = 2;
    pub(super) const HOPS: usize = 3;
    pub(super) const IFINDEX: usize = 4;
}

family_view!(
    /// View of a route message: `struct rtmsg` and the attributes that follow it.
    RouteMessage,
    "route",
    [RTM_NEWROUTE, RTM_DELROUTE, RTM_GETROUTE],
    RTMSG_LEN,
    "`RTA_*`"
);

impl<'a> RouteMessage<'a> {
    /// `rtm_family`.
    #[inline]
    pub fn family(&self) -> u8 {
        self.header[field::FAMILY]
    }

    /// `rtm_dst_len`: prefix length of the destination.
    #[inline]
    pub fn dst_len(&self) -> u8 {
        self.header[field::DST_LEN]
    }

    /// `rtm_src_len`: prefix length of the source selector.
    #[inline]
    pub fn src_len(&self) -> u8 {
        self.header[field::SRC_LEN]
    }

    /// `rtm_tos`.
    #[inline]
    pub fn tos(&self) -> u8 {
        self.header[field::TOS]
    }

    /// `rtm_table`: the table id truncated to 8 bits (`RTA_TABLE` has the full id).
    #[inline]
    pub fn table(&self) -> u8 {
        self.header[field::TABLE]
    }

    /// `rtm_protocol`: RTPROT_*.
    #[inline]
    pub fn protocol(&self) -> u8 {
        self.header[field::PROTOCOL]
    }

    /// `rtm_scope`: RT_SCOPE_*.
    #[inline]
    pub fn scope(&self) -> u8 {
        self.header[field::SCOPE]
    }

    /// `rtm_type`: RTN_*.
    #[inline]
    pub fn route_type(&self) -> u8 {
        self.header[field::TYPE]
    }

    /// `rtm_flags`: RTM_F_* flags.
    #[inline]
    pub fn flags(&self) -> u32 {
        ne_u32(self.header, field::FLAGS)
    }
}

/// One `struct rtnexthop` of an `RTA_MULTIPATH` attribute, with its own attributes
/// (`RTA_GATEWAY`, ...) bounded by `rtnh_len`.
#[derive(Debug, Clone, Copy)]
pub struct MultipathHop<'a> {
    header: &'a [u8],
    attrs: &'a [u8],
}

impl<'a> MultipathHop<'a> {
    /// `rtnh_flags`: RTNH_F_* flags.
    #[inline]
    pub fn flags(&self) -> u8 {
        self.header[hop_field::FLAGS]
    }

    /// `rtnh_hops`: the weight minus one.
    #[inline]
    pub fn hops(&self) -> u8 {
        self.header[hop_field::HOPS]
    }

    /// `rtnh_ifindex`.
    #[inline]
    pub fn ifindex(&self) -> u32 {
        ne_u32(self.header, hop_field::IFINDEX)
    }

    /// The next hop's own `RTA_*` attributes.
    #[inline]
    pub fn attrs(&self) -> Attrs<'a> {
        Attrs::new(self.attrs)
    }
}

/// Iterator over the `struct rtnexthop` entries of an `RTA_MULTIPATH` payload.
#[derive(Debug, Clone)]
pub struct MultipathHops<'a> {
    rest: &'a [u8],
}

impl<'a> MultipathHops<'a> {
    /// Walks an `RTA_MULTIPATH` payload.
    #[inline]
    pub fn new(payload: &'a [u8]) -> Self {
        MultipathHops { rest: payload }
    }
}

impl<'a> Iterator for MultipathHops<'a> {
    type Item = Result<MultipathHop<'a>>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let checked = check_len("rtnexthop", self.rest, RTNEXTHOP_LEN).and_then(|()| {
            let len = ne_u16(self.rest, hop_field::LEN) as usize;
            if len < RTNEXTHOP_LEN {
                return Err(Error::BadLength {
                    what: "rtnexthop",
                    len,
                });
            }
            check_len("rtnexthop", self.rest, len)?;
            Ok(len)
        });
        match checked {
            Ok(len) => {
                let hop = MultipathHop {
                    header: &self.rest[..RTNEXTHOP_LEN],
                    attrs: &self.rest[RTNEXTHOP_LEN..len],
                };
                self.rest = &self.rest[align(len).min(self.rest.len())..];
                Some(Ok(hop))
            }
            Err(e) => {
                self.rest = &[];
                Some(Err(e))
            }
        }
    }
}

impl std::iter::FusedIterator for MultipathHops<'_> {}
