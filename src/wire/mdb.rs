//! `RTM_NEWMDB` / `RTM_DELMDB`: `struct br_port_msg`, its `MDBA_*` attributes and
//! the `struct br_mdb_entry` that starts each `MDBA_MDB_ENTRY_INFO`.
//!
//! One message may hold many entries (a dump answers with one message per
//! bridge, every group of it inside); the view only bounds the walk, the
//! caller walks `MDBA_MDB` / `MDBA_MDB_ENTRY` / `MDBA_MDB_ENTRY_INFO` and reads
//! each info with [`MdbEntry::new_checked`].

use super::consts::{BR_MDB_ENTRY_LEN, BR_PORT_MSG_LEN, RTM_DELMDB, RTM_GETMDB, RTM_NEWMDB};
use super::{align, check_len, ne_u16, ne_u32, split_family, Attrs, NlMsg, Result};

mod field {
    //! Offsets inside `struct br_port_msg` and `struct br_mdb_entry`.
    pub(super) const FAMILY: usize = 0;
    pub(super) const IFINDEX: usize = 4;
    pub(super) const E_IFINDEX: usize = 0;
    pub(super) const E_STATE: usize = 4;
    pub(super) const E_FLAGS: usize = 5;
    pub(super) const E_VID: usize = 6;
    pub(super) const E_ADDR: std::ops::Range<usize> = 8..24;
    pub(super) const E_PROTO: usize = 24;
}

family_view!(
    /// View of an MDB message: `struct br_port_msg` and the attributes that follow it.
    MdbMessage,
    "mdb",
    [RTM_NEWMDB, RTM_DELMDB, RTM_GETMDB],
    BR_PORT_MSG_LEN,
    "`MDBA_*`"
);

impl<'a> MdbMessage<'a> {
    /// `family` (`AF_BRIDGE`).
    #[inline]
    pub fn family(&self) -> u8 {
        self.header[field::FAMILY]
    }

    /// `ifindex`: the bridge's.
    #[inline]
    pub fn ifindex(&self) -> u32 {
        ne_u32(self.header, field::IFINDEX)
    }
}

/// The payload of one `MDBA_MDB_ENTRY_INFO`: a `struct br_mdb_entry` and the
/// `MDBA_MDB_EATTR_*` attributes after it.
#[derive(Debug, Clone, Copy)]
pub struct MdbEntry<'a> {
    entry: &'a [u8],
    attrs: &'a [u8],
}

impl<'a> MdbEntry<'a> {
    /// Checks that `payload` holds a whole `br_mdb_entry`.
    #[inline]
    pub fn new_checked(payload: &'a [u8]) -> Result<Self> {
        check_len("br_mdb_entry", payload, BR_MDB_ENTRY_LEN)?;
        let at = align(BR_MDB_ENTRY_LEN).min(payload.len());
        Ok(MdbEntry {
            entry: &payload[..BR_MDB_ENTRY_LEN],
            attrs: &payload[at..],
        })
    }

    /// `ifindex`: the port's (the bridge's own for a group the host joined).
    #[inline]
    pub fn ifindex(&self) -> u32 {
        ne_u32(self.entry, field::E_IFINDEX)
    }

    /// `state`: `MDB_TEMPORARY` (0) or `MDB_PERMANENT` (1).
    #[inline]
    pub fn state(&self) -> u8 {
        self.entry[field::E_STATE]
    }

    /// `flags`: `MDB_FLAGS_*`.
    #[inline]
    pub fn flags(&self) -> u8 {
        self.entry[field::E_FLAGS]
    }

    /// `vid`: the VLAN, 0 for none.
    #[inline]
    pub fn vid(&self) -> u16 {
        ne_u16(self.entry, field::E_VID)
    }

    /// `addr.u`: the group's 16 bytes, of which `addr.proto` says how many count
    /// (4 for IPv4, 16 for IPv6, 6 for a layer-2 group).
    #[inline]
    pub fn addr(&self) -> [u8; 16] {
        let mut a = [0u8; 16];
        a.copy_from_slice(&self.entry[field::E_ADDR]);
        a
    }

    /// `addr.proto`, in host order: `ETH_P_IP`, `ETH_P_IPV6`, or 0 for a layer-2
    /// group.
    #[inline]
    pub fn proto(&self) -> u16 {
        u16::from_be_bytes([self.entry[field::E_PROTO], self.entry[field::E_PROTO + 1]])
    }

    /// The `MDBA_MDB_EATTR_*` attributes.
    #[inline]
    pub fn attrs(&self) -> Attrs<'a> {
        Attrs::new(self.attrs)
    }
}
