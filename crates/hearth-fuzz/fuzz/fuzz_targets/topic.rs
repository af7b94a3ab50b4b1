//! Topic parsing: every topic a runtime receives on is parsed before anything else
//! (`hearth_mqtt::topic`). A parsed topic written back from its parts parses to the same
//! address; the command-line form of a device address round-trips by value.
#![no_main]

use hearth_mqtt::topic::{Addressed, DeviceAddr, Topics};
use libfuzzer_sys::fuzz_target;

fn exercise(rel: &str) {
    match Topics::parse(rel) {
        Some(Addressed::Device(addr, channel)) => {
            let again = Topics::device_rel(&addr, channel);
            assert_eq!(
                again, rel,
                "a device topic written back from its parts differs"
            );
        }
        Some(Addressed::Responses(controller)) => {
            let again = Topics::responses_rel(&controller);
            assert_eq!(
                again, rel,
                "a response topic written back from its parts differs"
            );
        }
        None => {}
    }
    if let Some(kid) = Topics::parse_revocation(rel) {
        let again = Topics::revocation_rel(&kid.to_hex());
        assert_eq!(Topics::parse_revocation(&again), Some(kid));
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    exercise(text);
    let topics = Topics::default();
    if let Some(rel) = topics.relative(text) {
        exercise(rel);
    }
    if let Ok(addr) = text.parse::<DeviceAddr>() {
        let again = addr.to_string().parse::<DeviceAddr>();
        assert_eq!(
            again.as_ref(),
            Ok(&addr),
            "a device address does not round-trip"
        );
    }
});
