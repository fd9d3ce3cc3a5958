//! The JSON and text lines of policy rules and namespace ids, exactly, through
//! both JSON paths (the objects and lines are listed with their decoder tests,
//! in `object::rule_nsid_tests`).

use super::write_text;
use crate::object::{Action, Event, NetnsTag, Origin};
use std::time::SystemTime;

#[test]
fn rules_and_nsids_print_as_ip_prints_them() {
    for (object, json, text) in crate::object::rule_nsid_tests::printed() {
        let mut line = String::new();
        write_text(&mut line, &object, Action::New, &|_| None).unwrap();
        assert_eq!(line, text);
        let event = Event {
            netns: NetnsTag {
                name: "".into(),
                id: 1,
            },
            seq: 1,
            timestamp: SystemTime::UNIX_EPOCH,
            action: Action::New,
            origin: Origin::Live,
            ifname: None,
            object,
        };
        let names = |_: u32| None;
        let out = super::json::line_both_ways(&event, &names);
        let at = out.find("\"object\"").expect("an object field");
        assert_eq!(format!("{{{}", &out[at..]), json);
    }
}
