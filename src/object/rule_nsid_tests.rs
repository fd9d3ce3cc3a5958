//! Decoder tests of the `rule` and `nsid` kinds on messages captured from the
//! kernel (steps 13 and 14 of `scripts/capture-fixtures.py`), and the identity
//! the state view gives a rule. [`printed`] lists the same objects with the
//! lines they print (`ip -j rule show`'s and `ip -j netns list-id`'s fields),
//! which `output`'s tests check.

use super::{Action, Kind, Name, Nsid, Object, Rule};
use crate::wire::consts::*;
use crate::wire::NlMsg;

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!("../wire/fixtures/", $name, ".bin")).as_slice()
    };
}

fn decode(bytes: &[u8]) -> (Action, Object) {
    let msg = NlMsg::new_checked(bytes).expect("valid header");
    Object::decode(&msg).expect("decodes").expect("an object")
}

fn rule(bytes: &[u8]) -> (Action, Rule) {
    match decode(bytes) {
        (action, Object::Rule(r)) => (action, r),
        other => panic!("not a rule: {other:?}"),
    }
}

#[test]
fn an_ipv6_rule_with_fwmark_and_iif() {
    let (action, r) = rule(fixture!("rule_new_v6_fwmark_iif"));
    assert_eq!(action, Action::New);
    assert_eq!(
        (r.family, r.priority, r.table, r.action),
        (AF_INET6, 100, 100, 1)
    );
    assert_eq!((r.fwmark, r.fwmask), (Some(0x10), Some(0xff)));
    assert_eq!(r.iif.as_ref().and_then(|n| n.to_str()), Some("lo"));
    assert_eq!(
        (r.oif.as_ref(), r.src, r.dst, r.flags),
        (None, None, None, 0)
    );
    // `ip -j -6 rule show` printed {"priority":100,"src":"all","fwmark":"0x10",
    // "fwmask":"0xff","iif":"lo","table":"100"}.
}

#[test]
fn an_ipv4_rule_with_every_common_selector() {
    let (action, r) = rule(fixture!("rule_new_v4"));
    assert_eq!(action, Action::New);
    assert!(r.is_inverted());
    assert_eq!(r.src, Some("10.0.0.0".parse().unwrap()));
    assert_eq!(r.dst, Some("192.168.1.0".parse().unwrap()));
    assert_eq!((r.src_len, r.dst_len, r.tos), (8, 24, 0x10));
    assert_eq!(r.oif.as_ref().and_then(|n| n.to_str()), Some("lo"));
    assert_eq!(r.uid_range, Some((100, 200)));
    assert_eq!(
        (r.ip_proto, r.sport, r.dport),
        (Some(6), Some((1000, 2000)), Some((80, 80)))
    );
    assert_eq!(
        (r.table, r.suppress_prefixlen, r.protocol),
        (200, Some(0), Some(4))
    );
    // As `ip -j rule show` (iproute2 6.1) printed it, after "family", and with
    // the dport mask this kernel sends (printed by iproute2 since 6.15).
}

#[test]
fn goto_and_blackhole_rules() {
    let (_, r) = rule(fixture!("rule_new_goto"));
    assert_eq!((r.action, r.goto, r.table), (FR_ACT_GOTO, Some(400), 0));
    assert_eq!(r.flags, FIB_RULE_UNRESOLVED);
    let (_, r) = rule(fixture!("rule_new_blackhole"));
    assert_eq!(
        (r.action, r.fwmark, r.fwmask),
        (FR_ACT_BLACKHOLE, Some(5), Some(u32::MAX))
    );
}

#[test]
fn a_deleted_rule_has_the_key_of_the_rule_added() {
    for (new, del) in [
        (fixture!("rule_new_v4"), fixture!("rule_del_v4")),
        (fixture!("rule_new_v6_fwmark_iif"), fixture!("rule_del_v6")),
    ] {
        let (a, added) = rule(new);
        let (d, deleted) = rule(del);
        assert_eq!((a, d), (Action::New, Action::Del));
        assert_eq!(added, deleted);
        assert_eq!(added.key(), deleted.key());
    }
}

#[test]
fn the_key_tells_apart_what_the_kernel_does_and_ignores_its_own_flags() {
    let (_, r) = rule(fixture!("rule_new_v4"));
    let key = r.key().unwrap();
    // The flags the kernel sets by itself do not move the rule.
    let mut detached = r.clone();
    detached.flags |= FIB_RULE_OIF_DETACHED;
    assert_eq!(detached.key(), Some(key));
    assert!(!detached.same_state(&r));
    // Every selector does.
    let mut changed = Vec::new();
    let mut each = |f: &dyn Fn(&mut Rule)| {
        let mut other = r.clone();
        f(&mut other);
        changed.push(other.key().unwrap());
    };
    each(&|o| o.flags &= !FIB_RULE_INVERT);
    each(&|o| o.priority += 1);
    each(&|o| o.table += 1);
    each(&|o| o.src_len -= 1);
    each(&|o| o.tos = 0);
    each(&|o| o.oif = Some(Name::from("lo2")));
    each(&|o| o.iif = Some(Name::from("lo")));
    each(&|o| o.fwmark = Some(1));
    each(&|o| o.uid_range = Some((100, 201)));
    each(&|o| o.dport = Some((81, 81)));
    each(&|o| o.protocol = Some(3));
    each(&|o| o.family = AF_INET6);
    for k in &changed {
        assert_ne!(*k, key);
    }
    let mut unique = changed.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), changed.len());
}

#[test]
fn flags_the_kernel_changes_silently_are_recomputed() {
    let (_, r) = rule(fixture!("rule_new_v6_fwmark_iif"));
    let none = |_: &Name| false;
    let lo = |n: &Name| n.to_str() == Some("lo");
    let any = |_: u8, _: u32| true;
    assert_eq!(r.current_flags(none, any), FIB_RULE_IIF_DETACHED);
    assert_eq!(r.current_flags(lo, any), 0);
    let (_, g) = rule(fixture!("rule_new_goto"));
    assert!(g.has_silent_flags());
    assert_eq!(g.current_flags(none, |f, p| f == AF_INET && p == 400), 0);
    assert_eq!(g.current_flags(none, |_, _| false), FIB_RULE_UNRESOLVED);
    let (_, b) = rule(fixture!("rule_new_blackhole"));
    assert!(!b.has_silent_flags());
}

#[test]
fn malformed_rule_attributes() {
    let good = fixture!("rule_new_v6_fwmark_iif");
    // Find FRA_PRIORITY and FRA_IIFNAME and break them.
    let attrs_at = 16 + FIB_RULE_HDR_LEN;
    let find = |kind: u16| {
        let mut at = attrs_at;
        while at + 4 <= good.len() {
            let len = u16::from_ne_bytes([good[at], good[at + 1]]) as usize;
            if u16::from_ne_bytes([good[at + 2], good[at + 3]]) == kind {
                return at;
            }
            at += (len + 3) & !3;
        }
        panic!("no attribute {kind}")
    };
    // A priority that is not 4 bytes (the type changed to something the
    // decoder reads as u32 of another length): part of the key, so an error.
    let mut bad = good.to_vec();
    let at = find(FRA_PRIORITY);
    bad[at..at + 2].copy_from_slice(&6u16.to_ne_bytes());
    assert!(Object::decode(&NlMsg::new_checked(&bad).unwrap()).is_err());
    // An unknown attribute type is skipped without a count.
    let mut unknown = good.to_vec();
    unknown[at + 2..at + 4].copy_from_slice(&999u16.to_ne_bytes());
    let mut skipped = 0;
    let (_, Object::Rule(r)) =
        Object::decode_counted(&NlMsg::new_checked(&unknown).unwrap(), &mut skipped)
            .unwrap()
            .unwrap()
    else {
        panic!()
    };
    assert_eq!((r.priority, skipped), (0, 0));
    // A header too short is an error.
    let mut short = good[..16 + 8].to_vec();
    short[0..4].copy_from_slice(&24u32.to_ne_bytes());
    assert!(Object::decode(&NlMsg::new_checked(&short).unwrap()).is_err());
}

#[test]
fn namespace_ids() {
    let (action, Object::Nsid(n)) = decode(fixture!("nsid_new")) else {
        panic!("not an nsid")
    };
    assert_eq!(
        (action, n.nsid, n.current_nsid),
        (Action::New, Some(5), None)
    );
    assert_eq!(n.key(), Some(5));
    let (action, Object::Nsid(d)) = decode(fixture!("nsid_del")) else {
        panic!("not an nsid")
    };
    assert_eq!((action, d), (Action::Del, n));
    // An id that is not assigned is not kept; current-nsid is printed when set.
    let unassigned = Nsid {
        nsid: Some(-1),
        current_nsid: Some(3),
    };
    assert_eq!(unassigned.key(), None);
    // A malformed id fails the message (it is the key).
    let mut bad = fixture!("nsid_new").to_vec();
    bad[16 + 4 + 2..16 + 4 + 4].copy_from_slice(&999u16.to_ne_bytes());
    let (_, Object::Nsid(n)) = decode(&bad) else {
        panic!()
    };
    assert_eq!(n.nsid, None, "an unknown attribute is skipped");
    let mut bad = fixture!("nsid_new").to_vec();
    bad[16 + 4..16 + 6].copy_from_slice(&6u16.to_ne_bytes());
    assert!(Object::decode(&NlMsg::new_checked(&bad).unwrap()).is_err());
}
