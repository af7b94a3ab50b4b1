//! Each device type's behaviour over a broker, driven through the Controller API as a
//! gateway would, at a high speed factor. Every value the controller accepts has been
//! checked against the device's own description.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::{bench, event, expect, int, one, reported};
use hearth_model::{Catalog, Path, StatusCode, Value};
use hearth_mqtt::Update;
use hearth_sim::{BrandId, Control, DeviceKind, Fleet};

const T: Duration = Duration::from_secs(6);

fn p(component: u16, capability: &str, member: u16) -> Path {
    let cap = Catalog::standard()
        .capability_named(capability)
        .expect("capability");
    Path::new(component, cap.id, member)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_fleet_is_discovered_with_valid_descriptions_and_values() {
    let fleet = Fleet::standard().with_suffix(&format!("-{}", common::unique()));
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
        let paths: Vec<Path> = b
            .runner
            .device(d.id())
            .expect("device")
            .description()
            .components
            .iter()
            .flat_map(|c| {
                c.capabilities.iter().flat_map(move |i| {
                    let cap = Catalog::standard().capability(i.capability).expect("cap");
                    cap.properties
                        .iter()
                        .filter(move |pr| !pr.optional || i.properties.contains(&pr.id))
                        .map(move |pr| Path::new(c.id, cap.id, pr.id))
                })
            })
            .collect();
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
    let b = bench(
        vec![one(DeviceKind::AirConditioner, BrandId::Aurora, None)],
        1500.0,
        |_| {},
    )
    .await;
    let addr = b.addr();
    let mut updates = b.controller.updates();
    let energy = int(&b.read(p(0, "energy-measurement", 1)).await);
    assert_eq!(
        b.write(p(0, "temperature-control", 1), Value::Int(2200))
            .await,
        StatusCode::Success
    );
    assert_eq!(
        b.write(p(0, "on-off", 1), Value::Bool(true)).await,
        StatusCode::Success
    );
    assert_eq!(
        b.write(p(0, "temperature-control", 1), Value::Int(2225))
            .await,
        StatusCode::ConstraintError,
        "off the 0.5 °C grid"
    );
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
    let b = bench(
        vec![one(DeviceKind::Refrigerator, BrandId::Aurora, None)],
        600.0,
        |_| {},
    )
    .await;
    let addr = b.addr();
    assert_eq!(
        b.write(p(1, "door", 4), Value::Int(60)).await,
        StatusCode::Success
    );
    assert_eq!(
        b.write(p(1, "door", 4), Value::Int(90)).await,
        StatusCode::ConstraintError
    );
    let mut updates = b.controller.updates();
    b.device()
        .control(&Control::OpenDoor { component: 1 })
        .await
        .expect("open");
    assert!(reported(&mut updates, &addr, p(1, "door", 1), T, |v| v
        == &Value::Bool(true))
    .await
    .is_some());
    let alarm = event(&mut updates, &addr, p(1, "door", 1), T)
        .await
        .expect("door alarm");
    assert!(int(alarm.field(1).expect("open-time")) >= 60);
    b.device()
        .control(&Control::CloseDoor { component: 1 })
        .await
        .expect("close");
    assert!(event(&mut updates, &addr, p(1, "door", 2), T)
        .await
        .is_some());
    assert_eq!(b.read(p(1, "door", 3)).await, Value::Bool(false));
    let fridge = int(&b.read(p(1, "temperature-measurement", 1)).await);
    assert!((0..=1500).contains(&fridge), "{fridge}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_freezer_follows_its_setpoint_down() {
    let b = bench(
        vec![one(DeviceKind::Freezer, BrandId::Kestrel, None)],
        1500.0,
        |_| {},
    )
    .await;
    let addr = b.addr();
    let mut updates = b.controller.updates();
    assert_eq!(
        b.write(p(1, "temperature-control", 1), Value::Int(-2400))
            .await,
        StatusCode::Success
    );
    assert_eq!(
        b.write(p(1, "temperature-control", 1), Value::Int(-900))
            .await,
        StatusCode::ConstraintError
    );
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
    let b = bench(
        vec![one(DeviceKind::RiceCooker, BrandId::Lotus, None)],
        1500.0,
        |_| {},
    )
    .await;
    let addr = b.addr();
    let mut updates = b.controller.updates();
    let start = p(0, "operational-state", 1);
    assert_eq!(
        b.invoke(p(0, "operational-state", 3), Value::Null).await,
        StatusCode::InvalidInState
    );
    assert_eq!(b.invoke(start, Value::Null).await, StatusCode::Success);
    assert_eq!(
        b.invoke(start, Value::Null).await,
        StatusCode::InvalidInState
    );
    assert_eq!(
        b.write(p(0, "mode", 1), Value::Int(0x0402)).await,
        StatusCode::InvalidInState
    );
    assert_eq!(
        b.invoke(p(0, "operational-state", 2), Value::Null).await,
        StatusCode::Success
    );
    assert_eq!(b.read(p(0, "operational-state", 1)).await, Value::Int(2));
    assert_eq!(
        b.invoke(p(0, "operational-state", 3), Value::Null).await,
        StatusCode::Success
    );
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
    let b = bench(
        vec![one(DeviceKind::MicrowaveOven, BrandId::Aurora, None)],
        120.0,
        |_| {},
    )
    .await;
    let addr = b.addr();
    let start = p(0, "operational-state", 1);
    assert_eq!(
        b.write(p(0, "microwave-control", 1), Value::Int(240)).await,
        StatusCode::Success
    );
    b.device()
        .control(&Control::OpenDoor { component: 0 })
        .await
        .expect("open");
    assert_eq!(
        b.invoke(start, Value::Null).await,
        StatusCode::InvalidInState
    );
    assert_eq!(b.read(p(0, "operational-state", 1)).await, Value::Int(0));
    b.device()
        .control(&Control::CloseDoor { component: 0 })
        .await
        .expect("close");
    let mut updates = b.controller.updates();
    assert_eq!(b.invoke(start, Value::Null).await, StatusCode::Success);
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
    let b = bench(
        vec![one(DeviceKind::WaterHeater, BrandId::Aurora, None)],
        3000.0,
        |_| {},
    )
    .await;
    let addr = b.addr();
    let mut updates = b.controller.updates();
    assert_eq!(
        b.write(p(0, "temperature-control", 1), Value::Int(5000))
            .await,
        StatusCode::Success
    );
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
    b.device()
        .control(&Control::DrawWater { decilitres: 400 })
        .await
        .expect("shower");
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
    let b = bench(
        vec![one(DeviceKind::Dishwasher, BrandId::Aurora, None)],
        1500.0,
        |_| {},
    )
    .await;
    let addr = b.addr();
    let mut updates = b.controller.updates();
    assert_eq!(
        b.write(p(0, "mode", 1), Value::Int(0x0705)).await,
        StatusCode::Success
    );
    assert_eq!(
        b.write(p(0, "mode", 1), Value::Int(0x0708)).await,
        StatusCode::ConstraintError,
        "not declared"
    );
    assert_eq!(
        b.invoke(p(0, "operational-state", 1), Value::Null).await,
        StatusCode::Success
    );
    b.device()
        .control(&Control::OpenDoor { component: 0 })
        .await
        .expect("open");
    assert!(
        reported(&mut updates, &addr, p(0, "operational-state", 1), T, |v| v
            == &Value::Int(2))
        .await
        .is_some()
    );
    assert_eq!(
        b.invoke(p(0, "operational-state", 3), Value::Null).await,
        StatusCode::InvalidInState
    );
    b.device()
        .control(&Control::CloseDoor { component: 0 })
        .await
        .expect("close");
    assert_eq!(
        b.invoke(p(0, "operational-state", 3), Value::Null).await,
        StatusCode::Success
    );
    let done = event(&mut updates, &addr, p(0, "operational-state", 1), T)
        .await
        .expect("completed");
    assert!(done.field(5).map(int) > Some(0), "water used: {done:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fan_changes_level_oscillates_and_switches_off_by_timer() {
    let b = bench(
        vec![one(DeviceKind::Fan, BrandId::Lotus, None)],
        600.0,
        |_| {},
    )
    .await;
    assert_eq!(
        b.write(p(0, "on-off", 1), Value::Bool(true)).await,
        StatusCode::Success
    );
    assert_eq!(
        b.write(p(0, "fan-control", 1), Value::Int(7)).await,
        StatusCode::Success
    );
    assert_eq!(
        b.write(p(0, "fan-control", 1), Value::Int(13)).await,
        StatusCode::ConstraintError
    );
    assert_eq!(
        b.write(p(0, "airflow", 2), Value::Bool(true)).await,
        StatusCode::Success
    );
    assert_eq!(
        b.write(p(0, "airflow", 5), Value::Int(90)).await,
        StatusCode::Success
    );
    assert_eq!(
        b.write(p(0, "airflow", 5), Value::Int(100)).await,
        StatusCode::ConstraintError
    );
    assert_eq!(b.read(p(0, "fan-control", 1)).await, Value::Int(7));
    assert!(int(&b.read(p(0, "power-measurement", 1)).await) > 0);
    assert_eq!(
        b.write(p(0, "timer", 1), Value::Int(900)).await,
        StatusCode::Success
    );
    // (The full report sent at connection also says off: poll instead of waiting for it.)
    let off = b
        .read_until(p(0, "on-off", 1), T, |v| v == &Value::Bool(false))
        .await;
    assert_eq!(off, Value::Bool(false), "the off timer ran out");
    assert_eq!(b.read(p(0, "power-measurement", 1)).await, Value::Int(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_washing_machine_washes_and_refuses_what_does_not_fit_its_state() {
    let b = bench(
        vec![one(DeviceKind::WashingMachine, BrandId::Aurora, None)],
        2000.0,
        |_| {},
    )
    .await;
    let addr = b.addr();
    let mut updates = b.controller.updates();
    let start = p(0, "operational-state", 1);
    let stop = p(0, "operational-state", 4);
    b.device()
        .control(&Control::LoadLaundry { grams: 4000 })
        .await
        .expect("laundry");
    assert_eq!(
        b.write(p(0, "mode", 1), Value::Int(0x0907)).await,
        StatusCode::Success
    );
    assert_eq!(
        b.invoke(stop, Value::Null).await,
        StatusCode::InvalidInState
    );
    let water = int(&b.read(p(0, "water-consumption", 1)).await);
    assert_eq!(b.invoke(start, Value::Null).await, StatusCode::Success);
    assert_eq!(b.read(p(0, "door", 2)).await, Value::Bool(true), "locked");
    assert_eq!(
        b.write(p(0, "mode", 1), Value::Int(0x0901)).await,
        StatusCode::InvalidInState
    );
    assert_eq!(
        b.write(p(0, "laundry-controls", 1), Value::Int(800)).await,
        StatusCode::InvalidInState
    );
    assert!(b
        .device()
        .control(&Control::OpenDoor { component: 0 })
        .await
        .is_err());
    assert_eq!(b.invoke(stop, Value::Null).await, StatusCode::Success);
    let stopped = event(&mut updates, &addr, p(0, "operational-state", 1), T)
        .await
        .expect("stopped");
    assert_eq!(stopped.field(1), Some(&Value::Bool(true)));
    assert_eq!(b.invoke(start, Value::Null).await, StatusCode::Success);
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
    let b = bench(
        vec![one(DeviceKind::WashingMachine, BrandId::Kestrel, None)],
        600.0,
        |_| {},
    )
    .await;
    let addr = b.addr();
    let mut updates = b.controller.updates();
    assert_eq!(
        b.invoke(p(0, "operational-state", 1), Value::Null).await,
        StatusCode::Success
    );
    b.device()
        .control(&Control::RaiseFault {
            code: 0x0902,
            component: None,
        })
        .await
        .expect("drain blocked");
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
    b.device()
        .control(&Control::RaiseFault {
            code: 0x0905,
            component: None,
        })
        .await
        .expect("motor");
    let error = event(&mut updates, &addr, p(0, "operational-state", 2), T)
        .await
        .expect("operation-error");
    assert_eq!(error.field(1), Some(&Value::Int(0x0905)));
    assert_eq!(b.read(p(0, "operational-state", 1)).await, Value::Int(3));
    for code in [0x0902, 0x0905] {
        b.device()
            .control(&Control::ClearFault { code })
            .await
            .expect("cleared");
    }
    assert!(event(&mut updates, &addr, p(0, "faults", 2), T)
        .await
        .is_some());
    assert_eq!(b.read(p(0, "faults", 1)).await, Value::List(vec![]));
    assert_eq!(b.read(p(0, "operational-state", 1)).await, Value::Int(0));
}
