//! Device and Controller runtimes over a real broker: the embedded one, or the broker named by
//! `HEARTH_TEST_BROKER` (CI runs mosquitto).

use std::time::Duration;

use hearth_model::{Path, StatusCode, Value};
use hearth_mqtt::Update;
use hearth_security::acl::{Acl, Privilege};
use hearth_testkit::fan;
use hearth_testkit::node::{addr, invoke_one, rig, wait_status, write_one};
use hearth_testkit::watch::expect;

const LEVEL: Path = Path::new(0, 9, 1);
const ON: Path = Path::new(0, 3, 1);
const FW_CHECK: Path = Path::new(0, 19, 1);
const FW_START: Path = Path::new(0, 19, 2);

/// HRT-MQTT discovery, HRT-MSG request/response, HRT-MOD-044 constraint errors.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discover_describe_read_write_invoke() {
    let rig = rig().await;
    let (device, memory) = rig.fan("fan-rt-1", rig.acl(Privilege::Operate)).await;
    let (ctl, addr) = (&rig.ctl, addr("fan-rt-1"));

    let view = ctl.device(&addr).expect("known");
    assert_eq!(view.description, Some(fan("fan-rt-1")));
    assert_eq!(view.description_problems, None);
    assert_eq!(view.device_type.as_deref(), Some("fan"));

    let read = ctl.read(&addr, vec![LEVEL, ON]).await.expect("read");
    assert_eq!(read[0].status, StatusCode::Success);
    assert_eq!(read[0].value, Some(Value::Int(1)));

    let mut updates = ctl.updates();
    let written = ctl
        .write(&addr, vec![(LEVEL, Value::Int(7)), (ON, Value::Bool(true))])
        .await
        .expect("write");
    assert_eq!(
        written,
        vec![(LEVEL, StatusCode::Success), (ON, StatusCode::Success)]
    );
    assert_eq!(memory.get(&LEVEL), Some(Value::Int(7)));
    // The change is reported.
    let reported = expect(&mut updates, Duration::from_secs(5), |u| match u {
        Update::Report { values, .. } => values.contains(&(LEVEL, Value::Int(7))).then_some(()),
        _ => None,
    })
    .await;
    assert!(reported.is_some(), "no report of the write");

    // Out of range: constraint-error, nothing changes.
    let bad = write_one(ctl, &addr, LEVEL, Value::Int(13)).await;
    assert_eq!(bad, StatusCode::ConstraintError);
    assert_eq!(memory.get(&LEVEL), Some(Value::Int(7)));
    // Wrong type, read-only, unknown path.
    let bad = ctl
        .write(
            &addr,
            vec![
                (LEVEL, Value::Bool(true)),
                (Path::new(0, 1, 1), Value::Text("x".into())),
                (Path::new(5, 9, 1), Value::Int(1)),
            ],
        )
        .await
        .expect("write answered");
    assert_eq!(
        bad.iter().map(|r| r.1).collect::<Vec<_>>(),
        vec![
            StatusCode::InvalidType,
            StatusCode::ReadOnly,
            StatusCode::UnsupportedComponent
        ]
    );

    let invoked = invoke_one(ctl, &addr, FW_CHECK, Value::Null).await;
    assert_eq!(invoked, StatusCode::Success);
    assert_eq!(memory.invoked().len(), 1);
    // Starting a firmware update needs the manage privilege.
    let denied = invoke_one(ctl, &addr, FW_START, Value::Null).await;
    assert_eq!(denied, StatusCode::Unauthorized);
    assert_eq!(memory.invoked().len(), 1);

    assert!(device.stats().requests >= 5);
    device.shutdown().await;
    ctl.shutdown().await;
}

/// A controller outside the ACL gets `unauthorized` and changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_controller_outside_the_acl_changes_nothing() {
    let rig = rig().await;
    let empty = Acl::from_entries(vec![]).expect("acl");
    let (device, memory) = rig.fan("fan-rt-2", empty).await;
    let (ctl, addr) = (&rig.ctl, addr("fan-rt-2"));
    let answer = write_one(ctl, &addr, LEVEL, Value::Int(5)).await;
    assert_eq!(answer, StatusCode::Unauthorized);
    assert_eq!(memory.get(&LEVEL), Some(Value::Int(1)));
    assert_eq!(device.stats().rejected.get("unauthorized"), Some(&1));
    device.shutdown().await;
    ctl.shutdown().await;
}

/// Killing the device's connection makes the broker publish its will: offline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_orderly_shutdown_and_a_lost_connection_both_mark_the_device_offline() {
    let rig = rig().await;
    let (device, _memory) = rig.fan("fan-rt-3", rig.acl(Privilege::Operate)).await;
    let (ctl, addr) = (&rig.ctl, addr("fan-rt-3"));
    device.shutdown().await;
    let offline = wait_status(ctl, &addr, false, Duration::from_secs(10)).await;
    assert!(offline, "offline status not seen: {:?}", ctl.device(&addr));
    ctl.shutdown().await;
}
