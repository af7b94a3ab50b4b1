//! A device core and a controller core driven against each other on an in-memory bus and a
//! virtual clock: discovery, requests, kept events, the unauthorized rate limit, replays and
//! certificate expiry, all without a broker, a socket or a sleep.

mod common;

use std::time::Duration;

use common::{fan_settings, Pair, Pki, FAULT_CLEARED, FAULT_RAISED, FW_CHECK, LEVEL, ON};
use hearth_model::{StatusCode, Value};
use hearth_node::{DeviceAddr, Publish, Topics, Update};
use hearth_security::acl::Privilege;
use hearth_testkit::fixtures::{fault_cleared_fields, fault_fields};
use hearth_wire::Body;

const DAY: Duration = Duration::from_secs(86_400);

fn fan() -> DeviceAddr {
    DeviceAddr::new(hearth_security::pki::TEST_VENDOR_ID, common::FAN)
}

fn rejections(updates: &[Update]) -> Vec<(&str, &'static str)> {
    updates
        .iter()
        .filter_map(|u| match u {
            Update::Rejected {
                topic, requirement, ..
            } => Some((topic.as_str(), *requirement)),
            _ => None,
        })
        .collect()
}

fn events(updates: &[Update]) -> Vec<u64> {
    updates
        .iter()
        .filter_map(|u| match u {
            Update::Event { event, .. } => Some(event.number),
            _ => None,
        })
        .collect()
}

#[test]
fn a_controller_discovers_a_device_from_its_retained_messages() {
    let mut pair = Pair::standard();
    pair.connect_device();
    assert_eq!(pair.device.stats().connects, 1);
    // The controller comes later: description and status are retained, the report is not.
    pair.connect_controller();
    let updates = pair.take_updates();
    assert_eq!(updates[0], Update::Description(fan()));
    assert!(matches!(
        updates[1],
        Update::Status {
            online: true,
            boot_id: 0x5eed,
            ..
        }
    ));
    assert_eq!(updates.len(), 2, "{updates:?}");
    let view = pair.controller.device(&fan()).expect("a view of the fan");
    assert!(view.description.is_some());
    assert_eq!(view.description_problems, None);
    assert_eq!(view.online, Some(true));
    assert_eq!(view.device_type.as_deref(), Some("fan"));
    assert_eq!(view.model.as_deref(), Some("TF-1"));
}

/// HRT-MQTT-061, HRT-SEC-072: a revocation list retained before the device connects reaches
/// it on its subscription and is applied: the controller it revokes is not served.
#[test]
fn a_retained_revocation_list_is_applied_when_the_device_connects() {
    let pki = Pki::new();
    let (controller, kid) = pki.controller_and_kid(365);
    let settings = fan_settings(&pki, Privilege::Operate);
    let mut pair = Pair::new(settings, &pki.device(365), &controller);
    let (list, root) = pki.root_list(&[kid]);
    let topic = Topics::default().full(&Topics::revocation_rel(&root.to_hex()));
    pair.broker.route(Publish {
        topic,
        payload: list,
        retain: true,
        ack: None,
    });
    pair.connect_both();
    assert_eq!(pair.device.stats().revocation_lists, 1);
    assert!(
        pair.ask(Body::Read(vec![LEVEL])).is_none(),
        "a revoked controller was served"
    );
}

#[test]
fn a_connecting_device_announces_itself_and_its_will_marks_it_offline() {
    let mut pair = Pair::standard();
    pair.connect_both();
    let updates = pair.take_updates();
    assert!(
        matches!(&updates[2], Update::Report { full: true, values, .. }
        if values.contains(&(ON, Value::Bool(false))) && values.contains(&(LEVEL, Value::Int(1))))
    );
    assert!(rejections(&updates).is_empty(), "{updates:?}");
    let desc = pair.broker.published("/desc").next().expect("description");
    assert!(desc.retain);

    pair.drop_device();
    assert_eq!(
        pair.controller.device(&fan()).and_then(|v| v.online),
        Some(false)
    );
    pair.connect_device();
    assert_eq!(
        pair.controller.device(&fan()).and_then(|v| v.online),
        Some(true)
    );
    assert_eq!(pair.device.stats().connects, 2);

    // An orderly shutdown says offline itself and disconnects.
    pair.device.shutdown(pair.now);
    pair.settle();
    assert_eq!(
        pair.controller.device(&fan()).and_then(|v| v.online),
        Some(false)
    );
}

#[test]
fn reads_writes_and_invocations_round_trip() {
    let mut pair = Pair::standard();
    pair.connect_both();
    pair.take_updates();

    let read = pair
        .ask(Body::Read(vec![ON, LEVEL]))
        .expect("read response");
    let Body::ReadResponse(results) = read.body else {
        panic!("{read:?}")
    };
    assert_eq!(results[0].value, Some(Value::Bool(false)));
    assert_eq!(results[1].value, Some(Value::Int(1)));
    assert!(hearth_node::controller::check_read_results(
        pair.controller
            .device(&fan())
            .and_then(|v| v.description.as_ref())
            .expect("description"),
        &results
    )
    .is_ok());

    let write = pair.ask(Body::Write(vec![
        (LEVEL, Value::Int(3)),
        (LEVEL, Value::Int(13)),
    ]));
    let Some(Body::WriteResponse(statuses)) = write.map(|m| m.body) else {
        panic!("no write response")
    };
    assert_eq!(
        statuses,
        vec![
            (LEVEL, StatusCode::Success),
            (LEVEL, StatusCode::ConstraintError)
        ]
    );
    assert_eq!(
        pair.device.handler().values.get(&LEVEL),
        Some(&Value::Int(3))
    );
    // The change a write makes is reported.
    let updates = pair.take_updates();
    assert!(updates
        .iter()
        .any(|u| matches!(u, Update::Report { full: false, values, .. }
        if values == &vec![(LEVEL, Value::Int(3))])));
    // What the controller believes follows the verified report (HRT-CTL-013).
    let view = pair.controller.device(&fan()).expect("the fan's view");
    assert_eq!(view.value(&LEVEL), Some(&Value::Int(3)));
    assert_eq!(view.value(&ON), Some(&Value::Bool(false)));

    let invoke = pair.ask(Body::Invoke {
        path: FW_CHECK,
        args: Value::Null,
    });
    let Some(Body::InvokeResponse(result)) = invoke.map(|m| m.body) else {
        panic!("no invoke response")
    };
    assert_eq!(result.status, StatusCode::Success);
    assert_eq!(pair.device.handler().invoked, vec![FW_CHECK]);
    assert_eq!(pair.device.stats().requests, 3);
}

#[test]
fn events_emitted_while_disconnected_are_kept_and_sent_on_reconnect() {
    let mut pair = Pair::standard();
    pair.connect_both();
    pair.drop_device();
    pair.take_updates();

    pair.device.event(pair.now, FAULT_RAISED, fault_fields(1));
    pair.settle();
    assert!(events(&pair.updates).is_empty());
    assert_eq!(
        (pair.device.stats().events, pair.device.stats().events_acked),
        (1, 0)
    );

    pair.connect_device();
    assert_eq!(events(&pair.take_updates()), vec![0]);
    assert_eq!(pair.device.stats().events_acked, 1);

    // An event the broker never acknowledged goes out again after a reconnect; the
    // controller drops the copy by its number.
    pair.withhold_acks = true;
    pair.device
        .event(pair.now, FAULT_CLEARED, fault_cleared_fields(1, 60));
    pair.settle();
    assert_eq!(events(&pair.take_updates()), vec![1]);
    pair.drop_device();
    pair.withhold_acks = false;
    pair.connect_device();
    assert!(events(&pair.take_updates()).is_empty());
    let sent = pair.broker.published("/event").count();
    assert_eq!(sent, 3);
    assert_eq!(pair.device.stats().events_acked, 2);
}

#[test]
fn a_full_store_of_kept_events_gives_up_info_before_critical() {
    let mut pair = Pair::with(Privilege::Operate, 365, 365, |s| s.max_pending_events = 2);
    pair.connect_both();
    pair.drop_device();
    pair.take_updates();
    pair.device.event(pair.now, FAULT_RAISED, fault_fields(1)); // 0, critical
    pair.device
        .event(pair.now, FAULT_CLEARED, fault_cleared_fields(1, 60)); // 1, info
    pair.device
        .event(pair.now, FAULT_CLEARED, fault_cleared_fields(2, 60)); // 2, info: drops 1
    pair.connect_device();
    assert_eq!(events(&pair.take_updates()), vec![0, 2]);
}

#[test]
fn unauthorized_answers_are_rate_limited_by_the_clock() {
    let mut pair = Pair::with(Privilege::View, 365, 365, |_| {});
    pair.connect_both();
    let write = || Body::Write(vec![(LEVEL, Value::Int(2))]);

    // Reading is allowed; writing is not, and the answer says so.
    assert!(pair.ask(Body::Read(vec![ON])).is_some());
    let answer = pair.ask(write()).expect("an unauthorized answer");
    assert_eq!(
        answer.body,
        Body::WriteResponse(vec![(LEVEL, StatusCode::Unauthorized)])
    );
    // Within the interval the device stays silent.
    pair.advance(Duration::from_millis(500));
    assert_eq!(pair.ask(write()), None);
    assert_eq!(pair.device.stats().rejected.get("unauthorized"), Some(&2));
    // Once the interval has passed on the clock, it answers again.
    pair.advance(Duration::from_millis(500));
    assert!(pair.ask(write()).is_some());
    assert_eq!(pair.device.handler().writes, 0);
    assert_eq!(
        pair.device.handler().values.get(&LEVEL),
        Some(&Value::Int(1))
    );
}

/// HRT-MQTT-046: a request whose sender is no controller id has no response topic; it is
/// dropped before anything acts on it, not served and left unanswered.
#[test]
fn a_request_from_no_controller_id_changes_nothing() {
    let pki = Pki::new();
    let settings = fan_settings(&pki, Privilege::Operate);
    let controller = pki.controller_named("gw/1", 365);
    let mut pair = Pair::new(settings, &pki.device(365), &controller);
    pair.connect_both();
    assert_eq!(pair.ask(Body::Write(vec![(LEVEL, Value::Int(3))])), None);
    assert_eq!(pair.device.handler().writes, 0);
    assert_eq!(pair.device.stats().rejected.get("HRT-MQTT-046"), Some(&1));
}

#[test]
fn a_replayed_request_is_refused() {
    let mut pair = Pair::standard();
    pair.connect_both();
    assert!(pair
        .ask(Body::Write(vec![(LEVEL, Value::Int(4))]))
        .is_some());
    let request = pair.requests().pop().expect("the request");
    let responses = pair.broker.published("/resp").count();

    pair.deliver_to_device(&request.topic, &request.payload);
    assert_eq!(pair.device.stats().rejected.get("HRT-SEC-097"), Some(&1));
    assert_eq!(pair.device.handler().writes, 1);
    let after = pair.broker.published("/resp").count();
    assert_eq!(after, responses, "a replay is not answered");
}

#[test]
fn a_controller_is_served_until_its_certificate_expires_by_the_clock() {
    let mut pair = Pair::with(Privilege::Operate, 365, 1, |_| {});
    pair.connect_both();
    assert!(pair.ask(Body::Read(vec![ON])).is_some());
    pair.advance(DAY - Duration::from_secs(1));
    assert!(pair.ask(Body::Read(vec![ON])).is_some(), "still valid");

    pair.advance(Duration::from_secs(2));
    assert_eq!(pair.ask(Body::Read(vec![ON])), None, "expired");
    assert_eq!(pair.device.stats().rejected.get("HRT-SEC-064"), Some(&1));
    assert_eq!(pair.device.stats().requests, 2);
}

#[test]
fn a_device_is_believed_until_its_certificate_expires_by_the_clock() {
    let mut pair = Pair::with(Privilege::Operate, 1, 365, |_| {});
    pair.connect_both();
    pair.take_updates();
    pair.advance(DAY - Duration::from_secs(1));
    pair.device.report(pair.now, vec![(ON, Value::Bool(true))]);
    pair.settle();
    assert!(matches!(
        pair.take_updates().as_slice(),
        [Update::Report { full: false, .. }]
    ));

    pair.advance(Duration::from_secs(2));
    pair.device.report(pair.now, vec![(ON, Value::Bool(false))]);
    pair.settle();
    let updates = pair.take_updates();
    assert_eq!(rejections(&updates).len(), 1, "{updates:?}");
    assert!(rejections(&updates)[0].0.ends_with("/report"));
    // Announcing itself again with its chain does not help: the chain has expired.
    pair.drop_device();
    pair.connect_device();
    let updates = pair.take_updates();
    assert!(!updates
        .iter()
        .any(|u| matches!(u, Update::Status { .. } | Update::Report { .. })));
    assert!(rejections(&updates)
        .iter()
        .any(|(t, r)| t.ends_with("/status") && *r == "HRT-SEC-064"));
}

#[test]
fn a_response_to_nothing_outstanding_is_rejected_with_its_requirement() {
    let mut pair = Pair::standard();
    pair.connect_both();
    let id = pair.request(Body::Read(vec![ON]));
    assert!(pair.responses.contains_key(&id));
    assert!(!pair.controller.is_pending(id));
    // The response to a request nobody waits for any more answers nothing outstanding.
    let id = {
        let addr = pair.device.addr().clone();
        let id = pair
            .controller
            .request(pair.now, addr, Body::Read(vec![ON]))
            .expect("seal");
        pair.controller.forget_request(id);
        id
    };
    pair.settle();
    assert!(!pair.responses.contains_key(&id));
    let updates = pair.take_updates();
    assert!(
        rejections(&updates).contains(&("hearth/1/c/gw-1/resp", "HRT-MSG-084")),
        "{updates:?}"
    );
}

/// The `slow-response` deviation is a timer of the core: the response is sealed at once and
/// released when the clock reaches its due time.
#[cfg(feature = "fault-injection")]
#[test]
fn a_delayed_response_waits_for_the_clock() {
    let mut pair = Pair::with(Privilege::Operate, 365, 365, |s| {
        s.faults.response_delay = Some(Duration::from_secs(6))
    });
    pair.connect_both();
    let id = pair.request(Body::Read(vec![ON]));
    assert!(!pair.responses.contains_key(&id));
    assert_eq!(
        pair.device.poll_timeout(),
        Some(pair.now + Duration::from_secs(6))
    );
    pair.advance(Duration::from_secs(5));
    assert!(!pair.responses.contains_key(&id));
    pair.advance(Duration::from_secs(1));
    assert!(pair.responses.contains_key(&id));
    assert_eq!(pair.device.poll_timeout(), None);
}

#[test]
fn transmits_of_a_lost_connection_are_dropped_and_kept_events_follow_the_next_full_report() {
    use hearth_node::Transmit;
    let mut pair = Pair::standard();
    pair.connect_both();
    // The shell has not carried these out when the connection goes.
    pair.device.event(pair.now, FAULT_RAISED, fault_fields(1));
    pair.device.report(pair.now, vec![(LEVEL, Value::Int(3))]);
    pair.device.handle_connection_lost().expect("counter");
    assert_eq!(pair.device.poll_transmit(), None);
    // Emitted while disconnected: kept as well.
    pair.device
        .event(pair.now, FAULT_CLEARED, fault_cleared_fields(1, 60));

    pair.device.handle_connected(pair.now);
    let mut out = Vec::new();
    while let Some(t) = pair.device.poll_transmit() {
        out.push(t);
    }
    let topics: Vec<&str> = out
        .iter()
        .map(|t| match t {
            Transmit::Publish(p) => p.topic.rsplit('/').next().unwrap_or(""),
            Transmit::Subscribe(_) => "subscribe",
            Transmit::Disconnect => "disconnect",
        })
        .collect();
    assert_eq!(
        topics,
        [
            "subscribe",
            "subscribe",
            "desc",
            "status",
            "report",
            "event",
            "event"
        ]
    );
    let tokens: Vec<_> = out
        .iter()
        .filter_map(|t| match t {
            Transmit::Publish(p) => p.ack,
            _ => None,
        })
        .collect();
    assert_eq!(tokens.len(), 2, "both events carry their ack tokens");
    assert!(tokens[0] < tokens[1], "in the order of their numbers");
}
