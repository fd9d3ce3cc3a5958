//! `RTM_NEWNEXTHOP` / `RTM_DELNEXTHOP`: `struct nhmsg`, its `NHA_*` attributes,
//! and the `struct nexthop_grp` entries of `NHA_GROUP`.

use super::consts::{NEXTHOP_GRP_LEN, NHMSG_LEN, RTM_DELNEXTHOP, RTM_GETNEXTHOP, RTM_NEWNEXTHOP};
use super::{ne_u32, split_family, Attrs, Error, NlMsg, Result};

mod field {
    //! Offsets inside `struct nhmsg`.
    pub(super) const FAMILY: usize = 0;
    pub(super) const SCOPE: usize = 1;
    pub(super) const PROTOCOL: usize = 2;
    pub(super) const FLAGS: usize = 4;
}

mod grp_field {
    //! Offsets inside `struct nexthop_grp`.
    pub(super) const ID: usize = 0;
    pub(super) const WEIGHT: usize = 4;
    pub(super) const WEIGHT_HIGH: usize = 5;
}

family_view!(
    /// View of a nexthop message: `struct nhmsg` and the attributes that follow it.
    NexthopMessage,
    "nexthop",
    [RTM_NEWNEXTHOP, RTM_DELNEXTHOP, RTM_GETNEXTHOP],
    NHMSG_LEN,
    "`NHA_*`"
);

impl<'a> NexthopMessage<'a> {
    /// `nh_family`: the family of the gateway (`AF_UNSPEC` for groups).
    #[inline]
    pub fn family(&self) -> u8 {
        self.header[field::FAMILY]
    }

    /// `nh_scope`: RT_SCOPE_*.
    #[inline]
    pub fn scope(&self) -> u8 {
        self.header[field::SCOPE]
    }

    /// `nh_protocol`: RTPROT_*.
    #[inline]
    pub fn protocol(&self) -> u8 {
        self.header[field::PROTOCOL]
    }

    /// `nh_flags`: RTNH_F_* flags.
    #[inline]
    pub fn flags(&self) -> u32 {
        ne_u32(self.header, field::FLAGS)
    }
}

/// One `struct nexthop_grp` of an `NHA_GROUP` payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NexthopGroupEntry {
    /// `id`: the member nexthop.
    pub id: u32,
    /// `weight`: the low byte of the weight minus one.
    pub weight: u8,
    /// `weight_high` (formerly `resvd1`): the high byte of the weight minus
    /// one, when the answer's `NHA_OP_FLAGS` has
    /// `NHA_OP_FLAG_RESP_GRP_RESVD_0`.
    pub weight_high: u8,
}

/// The entries of an `NHA_GROUP` payload: a whole, non-empty number of
/// `struct nexthop_grp`, else [`Error::BadAttribute`] (`kind` is the
/// attribute's).
#[inline]
pub fn nexthop_group(
    kind: u16,
    payload: &[u8],
) -> Result<impl ExactSizeIterator<Item = NexthopGroupEntry> + '_> {
    if payload.is_empty() || payload.len() % NEXTHOP_GRP_LEN != 0 {
        return Err(Error::BadAttribute {
            kind,
            len: payload.len(),
        });
    }
    Ok(payload
        .chunks_exact(NEXTHOP_GRP_LEN)
        .map(|e| NexthopGroupEntry {
            id: ne_u32(e, grp_field::ID),
            weight: e[grp_field::WEIGHT],
            weight_high: e[grp_field::WEIGHT_HIGH],
        }))
}
