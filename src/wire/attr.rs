//! Attribute (`struct nlattr` / `struct rtattr`) iteration.
//!
//! An attribute is a 4-byte header (`u16 len`, `u16 type`) followed by `len - 4`
//! payload bytes, padded to 4. The top two bits of the type are flags
//! (`NLA_F_NESTED`, `NLA_F_NET_BYTEORDER`); [`Attr::kind`] masks them off.

use super::consts::{
    AF_INET, AF_INET6, MPLS_LABEL_LEN, NLA_F_NESTED, NLA_F_NET_BYTEORDER, NLA_HDRLEN,
    RTNL_FAMILY_IP6MR, RTNL_FAMILY_IPMR,
};
use super::{align, ne_u16, Error, Result};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

const NLA_TYPE_MASK: u16 = !(NLA_F_NESTED | NLA_F_NET_BYTEORDER);

/// One attribute: its type and its payload, bounded by its own length.
#[derive(Debug, Clone, Copy)]
pub struct Attr<'a> {
    raw_kind: u16,
    payload: &'a [u8],
}

impl<'a> Attr<'a> {
    /// The attribute type, without the nested / byte-order flag bits.
    #[inline]
    pub fn kind(&self) -> u16 {
        self.raw_kind & NLA_TYPE_MASK
    }

    /// Whether the sender marked this attribute as nested (`NLA_F_NESTED`).
    /// rtnetlink often nests without setting the flag; use [`Attr::nested`] regardless.
    #[inline]
    pub fn is_nested_flag(&self) -> bool {
        self.raw_kind & NLA_F_NESTED != 0
    }

    /// The payload bytes, without padding.
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        self.payload
    }

    /// Walks the payload as a list of attributes.
    #[inline]
    pub fn nested(&self) -> Attrs<'a> {
        Attrs::new(self.payload)
    }

    #[inline]
    fn exact<const N: usize>(&self) -> Result<[u8; N]> {
        self.payload.try_into().map_err(|_| Error::BadAttribute {
            kind: self.kind(),
            len: self.payload.len(),
        })
    }

    /// The payload as a `u8`.
    #[inline]
    pub fn u8(&self) -> Result<u8> {
        Ok(self.exact::<1>()?[0])
    }

    /// The payload as a native-endian `u16`.
    #[inline]
    pub fn u16(&self) -> Result<u16> {
        Ok(u16::from_ne_bytes(self.exact()?))
    }

    /// The payload as a native-endian `u32`.
    #[inline]
    pub fn u32(&self) -> Result<u32> {
        Ok(u32::from_ne_bytes(self.exact()?))
    }

    /// The payload as a native-endian `i32`.
    #[inline]
    pub fn i32(&self) -> Result<i32> {
        Ok(i32::from_ne_bytes(self.exact()?))
    }

    /// The payload as a native-endian `u64`.
    #[inline]
    pub fn u64(&self) -> Result<u64> {
        Ok(u64::from_ne_bytes(self.exact()?))
    }

    /// The payload as a C string: the bytes up to the first NUL (or all of them).
    /// Bytes that are not UTF-8 give [`Error::BadAttribute`].
    #[inline]
    pub fn str(&self) -> Result<&'a str> {
        let end = self
            .payload
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(self.payload.len());
        std::str::from_utf8(&self.payload[..end]).map_err(|_| Error::BadAttribute {
            kind: self.kind(),
            len: self.payload.len(),
        })
    }

    /// The payload as an address of `family`, the family of the message (or of the
    /// `struct rtvia`) it came in: IPv4 (4 bytes) for `AF_INET` and
    /// `RTNL_FAMILY_IPMR`, IPv6 (16 bytes) for `AF_INET6` and `RTNL_FAMILY_IP6MR`.
    /// A length that does not fit the family, or a family whose addresses are not
    /// IP addresses (`AF_MPLS`: see [`Attr::mpls_entries`]), gives
    /// [`Error::BadAttribute`].
    #[inline]
    pub fn ip_of(&self, family: u8) -> Result<IpAddr> {
        match family {
            AF_INET | RTNL_FAMILY_IPMR => Ok(IpAddr::V4(Ipv4Addr::from(self.exact::<4>()?))),
            AF_INET6 | RTNL_FAMILY_IP6MR => Ok(IpAddr::V6(Ipv6Addr::from(self.exact::<16>()?))),
            _ => Err(Error::BadAttribute {
                kind: self.kind(),
                len: self.payload.len(),
            }),
        }
    }

    /// The payload as an `AF_MPLS` address: a label stack, one big-endian 32-bit
    /// entry (`struct mpls_label`: label << 12 | traffic class << 9 | bottom of
    /// stack << 8 | TTL) per label. An empty payload, or one that is not a whole
    /// number of entries, gives [`Error::BadAttribute`].
    #[inline]
    pub fn mpls_entries(&self) -> Result<impl ExactSizeIterator<Item = u32> + 'a> {
        let p = self.payload;
        if p.is_empty() || p.len() % MPLS_LABEL_LEN != 0 {
            return Err(Error::BadAttribute {
                kind: self.kind(),
                len: p.len(),
            });
        }
        Ok(p.chunks_exact(MPLS_LABEL_LEN)
            .map(|e| u32::from_be_bytes([e[0], e[1], e[2], e[3]])))
    }

    /// The payload as an IPv4 (4 bytes) or IPv6 (16 bytes) address, told apart by
    /// length alone. Decoding an rtnetlink message should use [`Attr::ip_of`] with
    /// the message's family instead: other families have 4- and 16-byte addresses
    /// too (an `AF_MPLS` label is 4 bytes).
    #[inline]
    pub fn ip(&self) -> Result<IpAddr> {
        match self.payload.len() {
            4 => Ok(IpAddr::V4(Ipv4Addr::from(self.exact::<4>()?))),
            16 => Ok(IpAddr::V6(Ipv6Addr::from(self.exact::<16>()?))),
            len => Err(Error::BadAttribute {
                kind: self.kind(),
                len,
            }),
        }
    }
}

/// Iterator over a run of attributes.
///
/// Yields `Err` once, for the first attribute whose length is impossible, and then
/// stops. A zero-length tail or trailing padding shorter than a header ends the walk.
#[derive(Debug, Clone)]
pub struct Attrs<'a> {
    rest: &'a [u8],
}

impl<'a> Attrs<'a> {
    /// Walks `bytes` as attributes.
    #[inline]
    pub fn new(bytes: &'a [u8]) -> Self {
        Attrs { rest: bytes }
    }
}

impl<'a> Iterator for Attrs<'a> {
    type Item = Result<Attr<'a>>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.len() < NLA_HDRLEN {
            // Less than a header left: padding, or nothing.
            self.rest = &[];
            return None;
        }
        let len = ne_u16(self.rest, 0) as usize;
        let raw_kind = ne_u16(self.rest, 2);
        if len < NLA_HDRLEN || len > self.rest.len() {
            let have = self.rest.len();
            self.rest = &[];
            return Some(Err(if len < NLA_HDRLEN {
                Error::BadLength {
                    what: "nlattr",
                    len,
                }
            } else {
                Error::Truncated {
                    what: "nlattr",
                    need: len,
                    have,
                }
            }));
        }
        let payload = &self.rest[NLA_HDRLEN..len];
        let step = align(len).min(self.rest.len());
        self.rest = &self.rest[step..];
        Some(Ok(Attr { raw_kind, payload }))
    }
}

impl std::iter::FusedIterator for Attrs<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    fn attr(kind: u16, payload: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&((payload.len() + 4) as u16).to_ne_bytes());
        v.extend_from_slice(&kind.to_ne_bytes());
        v.extend_from_slice(payload);
        while v.len() % 4 != 0 {
            v.push(0);
        }
        v
    }

    #[test]
    fn walks_padded_attributes_and_masks_flags() {
        let mut b = attr(3, b"veth0\0");
        b.extend(attr(4 | NLA_F_NESTED, &attr(1, b"veth\0")));
        let got: Vec<_> = Attrs::new(&b).collect::<Result<_>>().unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].kind(), 3);
        assert_eq!(got[0].str().unwrap(), "veth0");
        assert_eq!(got[1].kind(), 4);
        assert!(got[1].is_nested_flag());
        let inner: Vec<_> = got[1].nested().collect::<Result<_>>().unwrap();
        assert_eq!(inner[0].str().unwrap(), "veth");
    }

    #[test]
    fn bad_lengths_are_errors_then_stop() {
        // Claims 200 bytes, has 8.
        let b = [200u8, 0, 1, 0, 0, 0, 0, 0];
        let mut it = Attrs::new(&b);
        assert!(matches!(
            it.next(),
            Some(Err(Error::Truncated {
                need: 200,
                have: 8,
                ..
            }))
        ));
        assert!(it.next().is_none());
        // Claims 2 bytes: shorter than its own header.
        let b = [2u8, 0, 1, 0, 0, 0, 0, 0];
        let mut it = Attrs::new(&b);
        assert!(matches!(
            it.next(),
            Some(Err(Error::BadLength { len: 2, .. }))
        ));
        assert!(it.next().is_none());
    }

    #[test]
    fn typed_payload_checks_size() {
        let b = attr(4, &[1, 2, 3]);
        let a = Attrs::new(&b).next().unwrap().unwrap();
        assert!(matches!(
            a.u32(),
            Err(Error::BadAttribute { kind: 4, len: 3 })
        ));
        assert!(a.ip().is_err());
        let b = attr(1, &[10, 0, 0, 1]);
        let a = Attrs::new(&b).next().unwrap().unwrap();
        assert_eq!(a.ip().unwrap(), "10.0.0.1".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn addresses_decode_by_family_not_length() {
        let b = attr(1, &[10, 0, 0, 1]);
        let a = Attrs::new(&b).next().unwrap().unwrap();
        let v4: IpAddr = "10.0.0.1".parse().unwrap();
        assert_eq!(a.ip_of(AF_INET).unwrap(), v4);
        assert_eq!(a.ip_of(RTNL_FAMILY_IPMR).unwrap(), v4);
        assert!(a.ip_of(AF_INET6).is_err());
        assert!(a.ip_of(RTNL_FAMILY_IP6MR).is_err());
        // AF_MPLS (28): 4 bytes, but a label, not an IPv4 address.
        assert!(a.ip_of(28).is_err());
        assert_eq!(a.mpls_entries().unwrap().collect::<Vec<_>>(), [0x0a00_0001]);
        let b = attr(
            1,
            &[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
        );
        let a = Attrs::new(&b).next().unwrap().unwrap();
        let v6: IpAddr = "2001:db8::1".parse().unwrap();
        assert_eq!(a.ip_of(AF_INET6).unwrap(), v6);
        assert_eq!(a.ip_of(RTNL_FAMILY_IP6MR).unwrap(), v6);
        assert!(a.ip_of(AF_INET).is_err());
        assert_eq!(a.mpls_entries().unwrap().len(), 4);
        let b = attr(1, &[0, 0x12, 0xc1]);
        let a = Attrs::new(&b).next().unwrap().unwrap();
        assert!(a.mpls_entries().is_err());
        let b = attr(1, &[]);
        let a = Attrs::new(&b).next().unwrap().unwrap();
        assert!(a.mpls_entries().is_err());
    }
}
