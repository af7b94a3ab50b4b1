//! Every fault profile shows its deviation, next to a conforming appliance where the
//! contrast is cheap: the suite must be able to tell the two apart.

use std::time::{Duration, Instant};

use hearth_model::{StatusCode, Value};
use hearth_mqtt::{DeviceAddr, RequestError, Topics, Update};
use hearth_security::acl::{Acl, AclEntry, AclSubject, Privilege};
use hearth_security::fs::read_cert;
use hearth_security::key::KeyId;
use hearth_security::pki::Credential;
use hearth_security::revocation::RevocationList;
use hearth_sim::{BrandId, Control, DeviceKind, DeviceSpec};
use hearth_testkit::bench::{bench, bench_nowait, int, one, pair, Bench};
use hearth_testkit::fixtures::path as p;
use hearth_testkit::node::{status_is, wait_status};
use hearth_testkit::pki::pki;
use hearth_testkit::unix_now;
use hearth_testkit::watch::{event, expect, next, next_publish, raw_client, subscribe};
use hearth_wire::Body;
use rumqttc::{Packet, QoS};
use tokio::sync::broadcast;
use StatusCode::{ConstraintError, InvalidInState, Success, Unauthorized};

const T: Duration = Duration::from_secs(5);

/// A bench of `fleet` (a faulty appliance and a conforming one, as [`pair`] makes them) at
/// `speed`: the bench, the faulty appliance, the conforming one, and the controller's updates
/// from then on.
async fn contrast_at(
    fleet: Vec<DeviceSpec>,
    speed: f64,
) -> (Bench, DeviceAddr, DeviceAddr, broadcast::Receiver<Update>) {
    let b = bench(fleet, speed, |_| {}).await;
    let (faulty, good) = b.addrs();
    let updates = b.controller.updates();
    (b, faulty, good, updates)
}

/// A bench of an appliance of `kind` and `brand` with the profile `fault` and a conforming
/// one, at the usual speed: the bench, the faulty appliance and the conforming one.
async fn contrast(
    kind: DeviceKind,
    brand: BrandId,
    fault: &str,
) -> (Bench, DeviceAddr, DeviceAddr) {
    let (b, faulty, good, _) = contrast_at(pair(kind, brand, fault), 60.0).await;
    (b, faulty, good)
}

/// A bench of one appliance of `kind` and `brand` with the profile `fault`, at `speed`.
async fn alone(kind: DeviceKind, brand: BrandId, fault: &str, speed: f64) -> Bench {
    bench(vec![one(kind, brand, Some(fault))], speed, |_| {}).await
}

/// Publish, retained on `R/crl/{issuer}`, a revocation list of `by` naming `revoked`.
async fn publish_revocation(b: &Bench, by: &Credential, revoked: KeyId) {
    let now = unix_now();
    let list = RevocationList {
        issuer: by.cert.claims().subject.clone(),
        this_update: now,
        next_update: now + 3600,
        revoked: [revoked].into_iter().collect(),
    }
    .issue(&by.cert, &by.key)
    .expect("list");
    let (client, mut rx) = raw_client(&b.url);
    let topic = b
        .topics
        .full(&Topics::revocation_rel(&by.cert.subject_kid().to_hex()));
    client
        .publish(topic, QoS::AtLeastOnce, true, list)
        .await
        .expect("publish");
    // The broker has it once it acknowledges it.
    next(&mut rx, T, |p| matches!(p, Packet::PubAck(_)).then_some(())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accept_unsigned_serves_a_request_from_an_untrusted_signer() {
    let (b, faulty, good) = contrast(DeviceKind::Fan, BrandId::Kestrel, "accept-unsigned").await;
    // A controller certified under a root the devices do not trust.
    let other = pki();
    let mut rogue = hearth_mqtt::Identity::controller(other.path()).expect("identity");
    rogue
        .trust
        .add_root(b.pki.root.cert.clone())
        .expect("trust");
    let rogue = b.controller_as(rogue, other.path()).await;
    assert!(
        rogue
            .wait_for(T, |v| v.iter().filter(|d| d.description.is_some()).count()
                >= 2)
            .await
    );
    let on = p(0, "on-off", 1);
    let results = rogue
        .write(&faulty, vec![(on, Value::Bool(true))])
        .await
        .expect("the faulty fan answers");
    assert_eq!(results[0].1, StatusCode::Success);
    assert_eq!(b.runner.devices()[0].value(&on), Ok(Value::Bool(true)));
    let refused = rogue
        .request(
            &good,
            Body::Write(vec![(on, Value::Bool(true))]),
            Duration::from_secs(1),
        )
        .await;
    assert!(
        matches!(refused, Err(RequestError::Timeout(_))),
        "{refused:?}"
    );
    assert_eq!(b.runner.devices()[1].value(&on), Ok(Value::Bool(false)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ignore_acl_serves_a_controller_outside_its_access_list() {
    let b = bench(
        pair(DeviceKind::Fan, BrandId::Lotus, "ignore-acl"),
        60.0,
        |c| {
            // Only some other key may operate the fans.
            let vendor = read_cert(&c.pki.join("vendor.cert")).expect("vendor cert");
            c.acl = Some(
                Acl::from_entries(vec![AclEntry {
                    subject: AclSubject::Key(*vendor.subject_kid()),
                    privilege: Privilege::Operate,
                }])
                .expect("acl"),
            );
        },
    )
    .await;
    let (faulty, good) = b.addrs();
    let on = p(0, "on-off", 1);
    b.assert_writes_to(&[
        (&faulty, on, Value::Bool(true), Success),
        (&good, on, Value::Bool(true), Unauthorized),
    ])
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ignore_replay_serves_a_replayed_request_again() {
    let (b, faulty, good) = contrast(DeviceKind::Fan, BrandId::Aurora, "ignore-replay").await;
    let (raw, mut rx) = raw_client(&b.url);
    for (i, addr) in [(0, &faulty), (1, &good)] {
        let topic = b.req_topic(addr);
        subscribe(&raw, &mut rx, &topic).await;
        b.controller
            .read(addr, vec![p(0, "on-off", 1)])
            .await
            .expect("read");
        let (_, captured) = next_publish(&mut rx, T, |t| t == topic).await;
        assert!(b.wait_stats(i, |s| s.requests == 1).await);
        raw.publish(topic, QoS::AtLeastOnce, false, captured)
            .await
            .expect("replay");
        if i == 0 {
            assert!(
                b.wait_stats(0, |s| s.requests == 2).await,
                "the replay was served"
            );
        } else {
            assert!(
                b.wait_stats(1, |s| s
                    .rejected
                    .keys()
                    .any(|k| k.starts_with("HRT-SEC-09")))
                    .await,
                "the replay was dropped"
            );
            assert_eq!(b.runner.devices()[1].stats().requests, 1);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counter_reuse_signs_again_from_zero_after_a_restart() {
    let (b, faulty, good) = contrast(DeviceKind::Fan, BrandId::Lotus, "counter-reuse").await;
    let mut updates = b.controller.updates();
    b.runner.devices()[1].restart().await.expect("restart");
    b.runner.devices()[0].restart().await.expect("restart");
    let replayed = expect(&mut updates, T, |u| match u {
        Update::Rejected {
            topic, requirement, ..
        } if topic.contains(&faulty.device_id) && requirement.starts_with("HRT-SEC-09") => {
            Some(requirement.clone())
        }
        _ => None,
    })
    .await;
    assert!(
        replayed.is_some(),
        "messages after the restart reuse counters"
    );
    // The faulty fan's rejection may arrive before the conforming fan's new online status.
    assert!(
        wait_status(&b.controller, &good, true, T).await,
        "the conforming fan came back"
    );
    assert!(b
        .controller
        .read(&good, vec![p(0, "on-off", 1)])
        .await
        .is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_aad_messages_fail_verification() {
    let b = bench_nowait(
        vec![one(DeviceKind::Fan, BrandId::Kestrel, Some("wrong-aad"))],
        60.0,
        |_| {},
    )
    .await;
    let addr = b.addr();
    // The receiver created before the start has seen everything.
    let requirement = expect(&mut b.take_early(), T, |u| match u {
        Update::Rejected {
            topic, requirement, ..
        } if topic.contains(&addr.device_id) => Some(requirement.clone()),
        _ => None,
    })
    .await;
    assert_eq!(requirement.as_deref(), Some("HRT-SEC-034"));
    assert!(b
        .controller
        .device(&addr)
        .and_then(|v| v.description)
        .is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_response_answers_after_the_five_seconds_allowed() {
    let b = alone(DeviceKind::Fan, BrandId::Aurora, "slow-response", 60.0).await;
    let started = Instant::now();
    let answer = b
        .controller
        .request(
            &b.addr(),
            hearth_wire::Body::Read(vec![p(0, "on-off", 1)]),
            Duration::from_secs(10),
        )
        .await
        .expect("answered, late");
    assert!(matches!(answer.body, hearth_wire::Body::ReadResponse(_)));
    assert!(
        started.elapsed() > Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stall_after_malformed_stops_answering() {
    let (b, faulty, good) =
        contrast(DeviceKind::Fan, BrandId::Kestrel, "stall-after-malformed").await;
    let (raw, _rx) = raw_client(&b.url);
    for (i, addr) in [(0, &faulty), (1, &good)] {
        raw.publish(
            b.req_topic(addr),
            QoS::AtLeastOnce,
            false,
            b"\xd2\x84garbage".to_vec(),
        )
        .await
        .expect("publish");
        assert!(
            b.wait_stats(i, |s| !s.rejected.is_empty()).await,
            "malformed input seen"
        );
    }
    let read = Body::Read(vec![p(0, "on-off", 1)]);
    let stalled = b
        .controller
        .request(&faulty, read.clone(), Duration::from_secs(1))
        .await;
    assert!(
        matches!(stalled, Err(RequestError::Timeout(_))),
        "{stalled:?}"
    );
    assert!(b
        .controller
        .request(&good, read, Duration::from_secs(3))
        .await
        .is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_missing_fields_is_rejected_by_the_controller() {
    let (b, faulty, good) = contrast(DeviceKind::Fan, BrandId::Lotus, "event-missing-fields").await;
    let mut updates = b.controller.updates();
    let fault = Control::RaiseFault {
        code: 0x0801,
        component: None,
    };
    b.control_all(&fault).await;
    let mut bad = None;
    let mut good_event = None;
    expect(&mut updates, T, |u| {
        match u {
            Update::Rejected { topic, .. } if topic.contains(&faulty.device_id) => {
                bad = Some(topic.clone())
            }
            Update::Event { addr, .. } if addr == &good => good_event = Some(()),
            Update::Event { addr, .. } if addr == &faulty => panic!("accepted a bare event"),
            _ => {}
        }
        (bad.is_some() && good_event.is_some()).then_some(())
    })
    .await
    .expect("both seen");
    assert!(bad.expect("rejected").ends_with("/event"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_will_leaves_a_dead_device_online() {
    let (b, faulty, good) = contrast(DeviceKind::Fan, BrandId::Aurora, "no-will").await;
    b.runner.devices()[0].kill().await;
    b.runner.devices()[1].kill().await;
    assert!(
        wait_status(&b.controller, &good, false, T).await,
        "the conforming fan's will says offline"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        b.controller.device(&faulty).and_then(|v| v.online),
        Some(true)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn description_not_retained_is_not_discovered_later() {
    let b = bench_nowait(
        pair(
            DeviceKind::Fan,
            BrandId::Kestrel,
            "description-not-retained",
        ),
        60.0,
        |_| {},
    )
    .await;
    let (faulty, good) = b.addrs();
    assert!(
        b.controller
            .wait_for(T, |v| status_is(v, &faulty, true)
                && status_is(v, &good, true))
            .await
    );
    let late = b.controller().await;
    assert!(
        late.wait_for(T, |v| v
            .iter()
            .any(|d| d.addr == good && d.description.is_some()))
            .await
    );
    assert!(wait_status(&late, &faulty, true, T).await);
    assert_eq!(late.device(&faulty).and_then(|v| v.description), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accept_out_of_range_applies_an_invalid_setpoint() {
    let (b, faulty, good) = contrast(
        DeviceKind::AirConditioner,
        BrandId::Aurora,
        "accept-out-of-range",
    )
    .await;
    let sp = p(0, "temperature-control", 1);
    b.assert_writes_to(&[
        (&faulty, sp, Value::Int(4000), Success),
        (&good, sp, Value::Int(4000), ConstraintError),
    ])
    .await;
    let back = b.controller.read(&faulty, vec![sp]).await;
    assert!(matches!(back, Err(RequestError::Invalid(_))), "{back:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_mandatory_capability_makes_an_invalid_description() {
    let (b, faulty, good) = contrast(
        DeviceKind::Freezer,
        BrandId::Aurora,
        "missing-mandatory-capability",
    )
    .await;
    let problems = b
        .controller
        .device(&faulty)
        .and_then(|v| v.description_problems);
    assert!(
        problems
            .as_deref()
            .is_some_and(|p| p.contains("HRT-MOD-02")),
        "{problems:?}"
    );
    assert_eq!(
        b.controller
            .device(&good)
            .and_then(|v| v.description_problems),
        None
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn range_lie_refuses_part_of_its_declared_range() {
    let (b, faulty, good) =
        contrast(DeviceKind::AirConditioner, BrandId::Aurora, "range-lie").await;
    let sp = p(0, "temperature-control", 1);
    b.assert_writes_to(&[
        (&faulty, sp, Value::Int(3000), ConstraintError),
        (&faulty, sp, Value::Int(2000), Success),
        (&good, sp, Value::Int(3000), Success),
    ])
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undeclared_mode_is_refused_by_the_controller() {
    let (b, faulty, good) = contrast(DeviceKind::Fan, BrandId::Aurora, "undeclared-mode").await;
    let mode = p(0, "mode", 1);
    let read = b.controller.read(&faulty, vec![mode]).await;
    assert!(matches!(read, Err(RequestError::Invalid(_))), "{read:?}");
    assert!(b.controller.read(&good, vec![mode]).await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_status_code_answers_failure_instead_of_invalid_in_state() {
    let (b, faulty, good) =
        contrast(DeviceKind::Dishwasher, BrandId::Aurora, "wrong-status-code").await;
    let pause = p(0, "operational-state", 2);
    b.assert_invokes_on(&[
        (&faulty, pause, StatusCode::Failure),
        (&good, pause, InvalidInState),
    ])
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_changes_reports_nothing() {
    let fleet = pair(
        DeviceKind::AirConditioner,
        BrandId::Aurora,
        "silent-changes",
    );
    let (b, faulty, good, mut updates) = contrast_at(fleet, 1500.0).await;
    let on = p(0, "on-off", 1);
    b.assert_writes_to(&[
        (&faulty, on, Value::Bool(true), Success),
        (&good, on, Value::Bool(true), Success),
    ])
    .await;
    let mut from_faulty = 0;
    let room = p(0, "temperature-measurement", 1);
    // The conforming unit's next room report; the faulty unit's change reports are counted.
    // (The full report at connection is the runtime's; changes are the appliance's.)
    let mut room_report = |u: &Update| match u {
        Update::Report {
            addr, full: false, ..
        } if addr == &faulty => {
            from_faulty += 1;
            None
        }
        Update::Report { addr, values, .. } if addr == &good => {
            values.iter().any(|(p, _)| *p == room).then_some(())
        }
        _ => None,
    };
    let seen = expect(&mut updates, T, &mut room_report).await;
    assert!(
        seen.is_some(),
        "the conforming unit reports its room temperature"
    );
    // The faulty unit's room did change all the same. Its simulation runs on its own task, so
    // it may lag the conforming unit's: read it again after each further room report of the
    // conforming unit (a message, not a time), a bounded number of times.
    let mut moved = false;
    for _ in 0..20 {
        let t = b.controller.read(&faulty, vec![room]).await.expect("read")[0]
            .value
            .clone();
        moved = t != Some(Value::Int(2900));
        if moved {
            break;
        }
        let next = expect(&mut updates, T, &mut room_report).await;
        assert!(next.is_some(), "the conforming unit keeps reporting");
    }
    assert!(moved, "the faulty unit's room temperature changes");
    assert_eq!(
        from_faulty, 0,
        "the faulty unit reports none of its changes"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_door_alarm_raises_the_alarm_without_its_event() {
    let fleet = pair(DeviceKind::Refrigerator, BrandId::Aurora, "no-door-alarm");
    let (b, faulty, good, mut updates) = contrast_at(fleet, 600.0).await;
    b.control_all(&Control::OpenDoor { component: 1 }).await;
    assert!(event(&mut updates, &good, p(1, "door", 1), T)
        .await
        .is_some());
    let alarm = p(1, "door", 3);
    let mut faulty_event = false;
    let raised = expect(&mut updates, T, |u| match u {
        Update::Event { addr, .. } if addr == &faulty => {
            faulty_event = true;
            None
        }
        Update::Report { addr, values, .. } if addr == &faulty => values
            .iter()
            .any(|(p, v)| *p == alarm && v == &Value::Bool(true))
            .then_some(()),
        _ => None,
    })
    .await;
    let raised = raised.is_some()
        || b.controller.read(&faulty, vec![alarm]).await.expect("read")[0].value
            == Some(Value::Bool(true));
    assert!(raised, "the alarm property is on");
    assert!(!faulty_event);
    assert!(event(
        &mut updates,
        &faulty,
        p(1, "door", 1),
        Duration::from_millis(300)
    )
    .await
    .is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_with_door_open_starts_anyway() {
    let (b, faulty, good) = contrast(
        DeviceKind::MicrowaveOven,
        BrandId::Aurora,
        "start-with-door-open",
    )
    .await;
    b.control_all(&Control::OpenDoor { component: 0 }).await;
    let start = p(0, "operational-state", 1);
    b.assert_invokes_on(&[(&faulty, start, Success), (&good, start, InvalidInState)])
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn energy_counter_reset_makes_the_counter_go_down() {
    let b = alone(
        DeviceKind::Fan,
        BrandId::Aurora,
        "energy-counter-reset",
        1500.0,
    )
    .await;
    let energy = p(0, "energy-measurement", 1);
    b.assert_writes(&[
        (p(0, "on-off", 1), Value::Bool(true), Success),
        (p(0, "fan-control", 1), Value::Int(5), Success),
    ])
    .await;
    let used = b.read_until(energy, T, |v| int(v) > 10).await;
    assert!(int(&used) > 10);
    b.assert_writes(&[(p(0, "on-off", 1), Value::Bool(false), Success)])
        .await;
    let after = b.read_until(energy, T, |v| int(v) < int(&used)).await;
    assert!(int(&after) < int(&used), "{after:?} < {used:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ignore_revocation_serves_a_revoked_controller() {
    let (b, faulty, good) = contrast(DeviceKind::Fan, BrandId::Lotus, "ignore-revocation").await;
    let on = p(0, "on-off", 1);
    b.assert_writes_to(&[(&good, on, Value::Bool(true), Success)])
        .await;
    // The root revokes the controller's key, retained on R/crl/{root}.
    publish_revocation(&b, &b.pki.root, *b.pki.controller.cert.subject_kid()).await;
    assert!(
        b.wait_stats(1, |s| s.revocation_lists >= 1).await,
        "the conforming fan takes the list"
    );
    assert_eq!(
        b.write_to(&faulty, on, Value::Bool(false)).await,
        Success,
        "the faulty fan still serves the revoked controller"
    );
    assert!(
        b.controller
            .write(&good, vec![(on, Value::Bool(false))])
            .await
            .is_err(),
        "the conforming fan no longer answers the revoked controller"
    );
}

/// Cut both fans' network, provoke `cycles` faults raised and cleared on each, restore the
/// network; the fault-raised events each controller receives from (faulty, conforming).
async fn events_across_a_cut(fault: &str, cycles: usize) -> (usize, usize) {
    let b = bench(pair(DeviceKind::Fan, BrandId::Lotus, fault), 60.0, |c| {
        c.cuttable_links = true;
        c.event_store = 8;
    })
    .await;
    let mut updates = b.controller.updates();
    let devices = b.runner.devices();
    for d in devices {
        d.cut_network().expect("cut");
    }
    for i in 0..2 {
        assert!(
            b.wait_stats(i, |s| !s.connected).await,
            "the fan notices the cut"
        );
    }
    let raise = Control::RaiseFault {
        code: 0x0001,
        component: None,
    };
    for _ in 0..cycles {
        b.control_all(&raise).await;
        b.control_all(&Control::ClearFault { code: 0x0001 }).await;
    }
    for d in devices {
        d.restore_network().expect("restore");
    }
    let (faulty, good) = b.addrs();
    let raised = p(0, "faults", 1);
    let (mut from_faulty, mut from_good) = (0, 0);
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline && (from_good < cycles || from_faulty < cycles) {
        let left = deadline.saturating_duration_since(Instant::now());
        let Some(addr) = expect(
            &mut updates,
            left.min(Duration::from_secs(3)),
            |u| match u {
                Update::Event { addr, event } if event.path == raised => Some(addr.clone()),
                _ => None,
            },
        )
        .await
        else {
            break;
        };
        if addr == faulty {
            from_faulty += 1;
        } else if addr == good {
            from_good += 1;
        }
    }
    (from_faulty, from_good)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forget_offline_events_loses_what_happened_during_a_cut() {
    let (faulty, good) = events_across_a_cut("forget-offline-events", 2).await;
    assert_eq!(good, 2, "the conforming fan keeps both fault-raised events");
    assert_eq!(faulty, 0, "the faulty fan drops them");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifo_event_store_drops_critical_events_first_in_first_out() {
    // 6 cycles: 12 events into a store of 8.
    let (faulty, good) = events_across_a_cut("fifo-event-store", 6).await;
    assert_eq!(
        good, 6,
        "the conforming fan gives up fault-cleared (info) events first"
    );
    assert!(
        faulty < 6,
        "the faulty fan drops the oldest events, critical ones too: {faulty}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_controller_stops_trusting_a_device_its_vendor_revoked() {
    let b = bench(
        vec![one(DeviceKind::Fan, BrandId::Lotus, None)],
        60.0,
        |_| {},
    )
    .await;
    let addr = b.addr();
    let on = p(0, "on-off", 1);
    assert!(b.controller.read(&addr, vec![on]).await.is_ok());
    // The fan's vendor CA revokes the fan's key, retained on R/crl/{vendor}.
    let brand = BrandId::Lotus.brand();
    let ca = brand.vendor_ca_prefix(b.pki.path());
    let vendor =
        hearth_security::fs::read_credential(&ca.with_extension("cert"), &ca.with_extension("key"))
            .expect("vendor CA");
    let device = read_cert(
        &b.pki
            .path()
            .join("devices")
            .join(format!("{}.cert", addr.device_id)),
    )
    .expect("device certificate");
    let mut updates = b.controller.updates();
    publish_revocation(&b, &vendor, *device.subject_kid()).await;
    // HRT-SEC-072, HRT-SEC-075: the fan's answers no longer open.
    let mut refused = false;
    for _ in 0..10 {
        if b.controller.read(&addr, vec![on]).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(refused, "the controller still trusts the revoked fan");
    let rejected = expect(&mut updates, T, |u| match u {
        Update::Rejected { requirement, .. } if requirement == "HRT-SEC-064" => Some(()),
        _ => None,
    })
    .await;
    assert!(
        rejected.is_some(),
        "the fan's answer is rejected for its chain"
    );
}
