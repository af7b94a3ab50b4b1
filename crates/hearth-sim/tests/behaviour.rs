//! Each device type's behaviour over a broker, driven through the Controller API as a
//! gateway would, at a high speed factor. Every value the controller accepts has been
//! checked against the device's own description.

use std::collections::BTreeSet;
use std::time::Duration;

use hearth_model::{Path, StatusCode, Value};
use hearth_mqtt::Update;
use hearth_sim::{BrandId, Control, DeviceKind, Fleet};
use hearth_testkit::bench::{bench, int, one, Bench};
use hearth_testkit::fixtures::{implemented, path as p};
use hearth_testkit::watch::{event, expect, reported};
use StatusCode::{ConstraintError, InvalidInState, Success};

const T: Duration = Duration::from_secs(6);

/// A bench of one conforming appliance of `kind` and `brand` at `speed`.
async fn single(kind: DeviceKind, brand: BrandId, speed: f64) -> Bench {
    bench(vec![one(kind, brand, None)], speed, |_| {}).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_fleet_is_discovered_with_valid_descriptions_and_values() {
    let fleet = Fleet::standard().with_suffix(&format!("-{}", hearth_testkit::unique("run")));
    assert!(fleet.devices.len() >= 12);
    assert_eq!(fleet.kinds().len(), 9);
    assert!(fleet.brands().len() >= 3);
    let b = bench(fleet.devices.clone(), 60.0, |_| {}).await;
    let mut updates = b.controller.updates();
    let views = b.controller.devices();
    let mut vendors = BTreeSet::new();
    for d in b.runner.devices() {
        let view = views
            .iter()
            .find(|v| &v.addr == d.addr())
            .expect("discovered");
        assert_eq!(view.description_problems, None, "{}", d.id());
        assert_eq!(view.device_type.as_deref(), Some(d.spec().kind.name()));
        vendors.insert(d.addr().vendor_id);
        // Every observable property reads back valid against the description.
        let description = b.runner.device(d.id()).expect("device").description();
        let paths: Vec<Path> = implemented(&description).iter().map(|p| p.path).collect();
        let results = b
            .controller
            .read(d.addr(), paths.clone())
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", d.id()));
        assert_eq!(results.len(), paths.len());
        for r in results {
            assert_eq!(r.status, StatusCode::Success, "{} {}", d.id(), r.path);
        }
    }
    assert_eq!(vendors.len(), 3);
    // Nothing any appliance sent was rejected.
    let rejected = expect(&mut updates, Duration::from_millis(500), |u| match u {
        Update::Rejected { topic, reason, .. } => Some(format!("{topic}: {reason}")),
        _ => None,
    })
    .await;
    assert_eq!(rejected, None);
    b.runner.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_air_conditioner_cools_the_room_to_its_setpoint() {
    let b = single(DeviceKind::AirConditioner, BrandId::Aurora, 1500.0).await;
    let addr = b.addr();
    let mut updates = b.controller.updates();
    let energy = int(&b.read(p(0, "energy-measurement", 1)).await);
    let setpoint = p(0, "temperature-control", 1);
    b.assert_writes(&[
        (setpoint, Value::Int(2200), Success),
        (p(0, "on-off", 1), Value::Bool(true), Success),
        // Off the 0.5 °C grid.
        (setpoint, Value::Int(2225), ConstraintError),
    ])
    .await;
    let t = reported(
        &mut updates,
        &addr,
        p(0, "temperature-measurement", 1),
        T,
        |v| (int(v) - 2200).abs() <= 50,
    )
    .await;
    assert!(t.is_some(), "the room reached the setpoint");
    assert!(int(&b.read(p(0, "energy-measurement", 1)).await) > energy);
    assert!(
        int(&b.read(p(1, "temperature-measurement", 1)).await) > 2200,
        "outdoor stays warm"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refrigerator_raises_the_door_alarm() {
    let b = single(DeviceKind::Refrigerator, BrandId::Aurora, 600.0).await;
    let addr = b.addr();
    b.assert_writes(&[
        (p(1, "door", 4), Value::Int(60), Success),
        (p(1, "door", 4), Value::Int(90), ConstraintError),
    ])
    .await;
    let mut updates = b.controller.updates();
    b.control(&Control::OpenDoor { component: 1 }).await;
    assert!(reported(&mut updates, &addr, p(1, "door", 1), T, |v| v
        == &Value::Bool(true))
    .await
    .is_some());
    let alarm = event(&mut updates, &addr, p(1, "door", 1), T)
        .await
        .expect("door alarm");
    assert!(int(alarm.field(1).expect("open-time")) >= 60);
    b.control(&Control::CloseDoor { component: 1 }).await;
    assert!(event(&mut updates, &addr, p(1, "door", 2), T)
        .await
        .is_some());
    assert_eq!(b.read(p(1, "door", 3)).await, Value::Bool(false));
    let fridge = int(&b.read(p(1, "temperature-measurement", 1)).await);
    assert!((0..=1500).contains(&fridge), "{fridge}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_freezer_follows_its_setpoint_down() {
    let b = single(DeviceKind::Freezer, BrandId::Kestrel, 1500.0).await;
    let addr = b.addr();
    let mut updates = b.controller.updates();
    b.assert_writes(&[
        (p(1, "temperature-control", 1), Value::Int(-2400), Success),
        (
            p(1, "temperature-control", 1),
            Value::Int(-900),
            ConstraintError,
        ),
    ])
    .await;
    let t = reported(
        &mut updates,
        &addr,
        p(1, "temperature-measurement", 1),
        T,
        |v| int(v) <= -2300,
    )
    .await;
    assert!(t.is_some(), "the compartment cooled down");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rice_cooker_cooks_through_its_phases() {
    let b = single(DeviceKind::RiceCooker, BrandId::Lotus, 1500.0).await;
    let addr = b.addr();
    let mut updates = b.controller.updates();
    let (start, pause, resume) = (
        p(0, "operational-state", 1),
        p(0, "operational-state", 2),
        p(0, "operational-state", 3),
    );
    b.assert_invokes(&[
        (resume, InvalidInState),
        (start, Success),
        (start, InvalidInState),
    ])
    .await;
    b.assert_writes(&[(p(0, "mode", 1), Value::Int(0x0402), InvalidInState)])
        .await;
    b.assert_invokes(&[(pause, Success)]).await;
    assert_eq!(b.read(p(0, "operational-state", 1)).await, Value::Int(2));
    b.assert_invokes(&[(resume, Success)]).await;
    let mut phases = BTreeSet::new();
    let done = expect(&mut updates, Duration::from_secs(8), |u| match u {
        Update::Report {
            addr: a, values, ..
        } if a == &addr => {
            for (path, v) in values {
                if *path == p(0, "operational-state", 2) {
                    if let Value::Int(code) = v {
                        phases.insert(*code);
                    }
                }
            }
            None
        }
        Update::Event { addr: a, event }
            if a == &addr && event.path == p(0, "operational-state", 1) =>
        {
            Some(event.fields.clone())
        }
        _ => None,
    })
    .await
    .expect("operation-completed");
    assert_eq!(done.field(1), Some(&Value::Bool(false)));
    assert!(phases.len() >= 3, "{phases:?}");
    assert_eq!(b.read(p(0, "operational-state", 1)).await, Value::Int(5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_microwave_refuses_to_start_with_the_door_open_and_counts_down() {
    let b = single(DeviceKind::MicrowaveOven, BrandId::Aurora, 120.0).await;
    let addr = b.addr();
    let start = p(0, "operational-state", 1);
    b.assert_writes(&[(p(0, "microwave-control", 1), Value::Int(240), Success)])
        .await;
    b.control(&Control::OpenDoor { component: 0 }).await;
    b.assert_invokes(&[(start, InvalidInState)]).await;
    assert_eq!(b.read(p(0, "operational-state", 1)).await, Value::Int(0));
    b.control(&Control::CloseDoor { component: 0 }).await;
    let mut updates = b.controller.updates();
    b.assert_invokes(&[(start, Success)]).await;
    let first = int(&b.read(p(0, "operational-state", 3)).await);
    let later = reported(
        &mut updates,
        &addr,
        p(0, "operational-state", 3),
        T,
        |v| matches!(v, Value::Int(r) if *r < first),
    )
    .await;
    assert!(
        later.is_some(),
        "the remaining time counts down from {first}"
    );
    assert!(event(&mut updates, &addr, p(0, "operational-state", 1), T)
        .await
        .is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_water_heater_heats_to_its_setpoint_and_recovers() {
    let b = single(DeviceKind::WaterHeater, BrandId::Aurora, 3000.0).await;
    let addr = b.addr();
    let mut updates = b.controller.updates();
    b.assert_writes(&[(p(0, "temperature-control", 1), Value::Int(5000), Success)])
        .await;
    let t = b
        .read_until(p(0, "temperature-measurement", 1), T, |v| int(v) >= 4800)
        .await;
    assert!((4800..=5100).contains(&int(&t)), "{t:?}");
    let idle = b
        .read_until(p(0, "water-heater-control", 1), T, |v| {
            v == &Value::Bool(false)
        })
        .await;
    assert_eq!(idle, Value::Bool(false), "heating stops at the setpoint");
    let water = int(&b.read(p(0, "water-consumption", 1)).await);
    b.control(&Control::DrawWater { decilitres: 400 }).await;
    assert!(reported(
        &mut updates,
        &addr,
        p(0, "water-heater-control", 1),
        T,
        |v| v == &Value::Bool(true)
    )
    .await
    .is_some());
    assert!(int(&b.read(p(0, "water-consumption", 1)).await) >= water + 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dishwasher_pauses_when_the_door_opens() {
    let b = single(DeviceKind::Dishwasher, BrandId::Aurora, 1500.0).await;
    let addr = b.addr();
    let mut updates = b.controller.updates();
    let (start, resume) = (p(0, "operational-state", 1), p(0, "operational-state", 3));
    b.assert_writes(&[
        (p(0, "mode", 1), Value::Int(0x0705), Success),
        // Not declared.
        (p(0, "mode", 1), Value::Int(0x0708), ConstraintError),
    ])
    .await;
    b.assert_invokes(&[(start, Success)]).await;
    b.control(&Control::OpenDoor { component: 0 }).await;
    assert!(
        reported(&mut updates, &addr, p(0, "operational-state", 1), T, |v| v
            == &Value::Int(2))
        .await
        .is_some()
    );
    b.assert_invokes(&[(resume, InvalidInState)]).await;
    b.control(&Control::CloseDoor { component: 0 }).await;
    b.assert_invokes(&[(resume, Success)]).await;
    let done = event(&mut updates, &addr, p(0, "operational-state", 1), T)
        .await
        .expect("completed");
    assert!(done.field(5).map(int) > Some(0), "water used: {done:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fan_changes_level_oscillates_and_switches_off_by_timer() {
    let b = single(DeviceKind::Fan, BrandId::Lotus, 600.0).await;
    b.assert_writes(&[
        (p(0, "on-off", 1), Value::Bool(true), Success),
        (p(0, "fan-control", 1), Value::Int(7), Success),
        (p(0, "fan-control", 1), Value::Int(13), ConstraintError),
        (p(0, "airflow", 2), Value::Bool(true), Success),
        (p(0, "airflow", 5), Value::Int(90), Success),
        (p(0, "airflow", 5), Value::Int(100), ConstraintError),
    ])
    .await;
    assert_eq!(b.read(p(0, "fan-control", 1)).await, Value::Int(7));
    assert!(int(&b.read(p(0, "power-measurement", 1)).await) > 0);
    b.assert_writes(&[(p(0, "timer", 1), Value::Int(900), Success)])
        .await;
    // (The full report sent at connection also says off: poll instead of waiting for it.)
    let off = b
        .read_until(p(0, "on-off", 1), T, |v| v == &Value::Bool(false))
        .await;
    assert_eq!(off, Value::Bool(false), "the off timer ran out");
    assert_eq!(b.read(p(0, "power-measurement", 1)).await, Value::Int(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_washing_machine_washes_and_refuses_what_does_not_fit_its_state() {
    let b = single(DeviceKind::WashingMachine, BrandId::Aurora, 2000.0).await;
    let addr = b.addr();
    let mut updates = b.controller.updates();
    let start = p(0, "operational-state", 1);
    let stop = p(0, "operational-state", 4);
    b.control(&Control::LoadLaundry { grams: 4000 }).await;
    b.assert_writes(&[(p(0, "mode", 1), Value::Int(0x0907), Success)])
        .await;
    b.assert_invokes(&[(stop, InvalidInState)]).await;
    let water = int(&b.read(p(0, "water-consumption", 1)).await);
    b.assert_invokes(&[(start, Success)]).await;
    assert_eq!(b.read(p(0, "door", 2)).await, Value::Bool(true), "locked");
    b.assert_writes(&[
        (p(0, "mode", 1), Value::Int(0x0901), InvalidInState),
        (p(0, "laundry-controls", 1), Value::Int(800), InvalidInState),
    ])
    .await;
    assert!(b
        .device()
        .control(&Control::OpenDoor { component: 0 })
        .await
        .is_err());
    b.assert_invokes(&[(stop, Success)]).await;
    let stopped = event(&mut updates, &addr, p(0, "operational-state", 1), T)
        .await
        .expect("stopped");
    assert_eq!(stopped.field(1), Some(&Value::Bool(true)));
    b.assert_invokes(&[(start, Success)]).await;
    let done = event(&mut updates, &addr, p(0, "operational-state", 1), T)
        .await
        .expect("completed");
    assert_eq!(done.field(1), Some(&Value::Bool(false)));
    assert!(
        int(&b.read(p(0, "water-consumption", 1)).await) > water,
        "water counted"
    );
    assert_eq!(
        b.read(p(0, "door", 2)).await,
        Value::Bool(false),
        "unlocked"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_from_the_control_surface_show_in_the_list_and_as_events() {
    let b = single(DeviceKind::WashingMachine, BrandId::Kestrel, 600.0).await;
    let addr = b.addr();
    let mut updates = b.controller.updates();
    b.assert_invokes(&[(p(0, "operational-state", 1), Success)])
        .await;
    b.raise_fault(0x0902).await;
    let raised = event(&mut updates, &addr, p(0, "faults", 1), T)
        .await
        .expect("fault-raised");
    assert_eq!(raised.field(1), Some(&Value::Int(0x0902)));
    assert_eq!(
        raised.field(2),
        Some(&Value::Int(902)),
        "Kestrel's own code"
    );
    let Value::List(active) = b.read(p(0, "faults", 1)).await else {
        panic!("a list")
    };
    assert_eq!(active.len(), 1);
    b.raise_fault(0x0905).await;
    let error = event(&mut updates, &addr, p(0, "operational-state", 2), T)
        .await
        .expect("operation-error");
    assert_eq!(error.field(1), Some(&Value::Int(0x0905)));
    assert_eq!(b.read(p(0, "operational-state", 1)).await, Value::Int(3));
    for code in [0x0902, 0x0905] {
        b.control(&Control::ClearFault { code }).await;
    }
    assert!(event(&mut updates, &addr, p(0, "faults", 2), T)
        .await
        .is_some());
    assert_eq!(b.read(p(0, "faults", 1)).await, Value::List(vec![]));
    assert_eq!(b.read(p(0, "operational-state", 1)).await, Value::Int(0));
}
