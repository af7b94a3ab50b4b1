//! A commissioned appliance keeps what commissioning gave it across restarts (HRT-COM-065):
//! the commissioner's `manage` entry, and the root of its ecosystem, which the appliance did
//! not trust before; a damaged ACL file stops the next start with an error naming it.

use std::time::Duration;

use hearth_model::setup::SetupCode;
use hearth_model::{StatusCode, Value};
use hearth_mqtt::{Controller, DeviceAddr, Identity, Update};
use hearth_security::acl::{AclSubject, Privilege};
use hearth_security::fs::read_cert;
use hearth_sim::{BrandId, DeviceKind, RunnerConfig, SimDevice};
use hearth_testkit::bench::{bench_nowait, one, Bench};
use hearth_testkit::fixtures::path as p;
use hearth_testkit::node::write_one;
use hearth_testkit::pki::foreign_identity;
use tokio::sync::broadcast;

/// The longest any step may take: an upper bound, never a wait.
const WITHIN: Duration = Duration::from_secs(30);

/// A bench of one Kestrel fan, its runner set up by `configure`, once the fan is online.
async fn kestrel_fan(configure: impl FnOnce(&mut RunnerConfig)) -> Bench {
    let b = bench_nowait(
        vec![one(DeviceKind::Fan, BrandId::Kestrel, None)],
        60.0,
        configure,
    )
    .await;
    b.wait_online().await;
    b
}

/// A controller of an ecosystem of its own (a root the appliance does not trust), trusting
/// that root and the simulator's root, to attest the appliance.
async fn commissioner(b: &Bench, name: &str) -> Controller {
    let sim_root = read_cert(&b.pki.path().join("root.cert")).expect("the sim's root");
    let identity = foreign_identity(name, &sim_root);
    b.controller_as(identity, b.pki.path()).await
}

/// Wait for `addr`'s next online status on `updates`: the new runtime has subscribed to its
/// requests by then (it subscribes before it announces itself).
async fn online_again(updates: &mut broadcast::Receiver<Update>, addr: &DeviceAddr) {
    let seen = tokio::time::timeout(WITHIN, async {
        loop {
            match updates.recv().await {
                Ok(Update::Status {
                    addr: a,
                    online: true,
                    ..
                }) if a == *addr => return,
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => panic!("controller stopped"),
            }
        }
    })
    .await;
    assert!(seen.is_ok(), "{addr} not online again within {WITHIN:?}");
}

/// The commissioner's entry is there and it operates the appliance.
async fn still_admitted(device: &SimDevice, app: &Controller, on: bool) {
    let addr = device.addr();
    let listed = app.acl(addr).await.expect("acl-read of the manager");
    assert_eq!(listed.entries.len(), 1, "{listed:?}");
    assert_eq!(listed.entries[0].privilege, Privilege::Manage);
    assert!(matches!(listed.entries[0].subject, AclSubject::Key(_)));
    let status = write_one(app, addr, p(0, "on-off", 1), Value::Bool(on)).await;
    assert_eq!(status, StatusCode::Success);
}

/// HRT-COM-065: commissioned once, the appliance admits its commissioner after a power loss
/// and after an orderly restart, and opens no basic window for being factory-new.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commissioned_appliance_keeps_its_acl_across_restarts() {
    let b = kestrel_fan(|c| c.factory_new = true).await;
    let device = b.device();
    let app = commissioner(&b, "app-keep").await;
    let qr = device.setup_payload().expect("factory-new").to_qr_text();
    let code = SetupCode::parse(&qr).expect("QR text");
    app.commission(code, WITHIN).await.expect("commissioned");
    still_admitted(device, &app, true).await;
    let file = Identity::access_path(b.pki.path(), device.id());
    assert!(file.is_file(), "{} kept", file.display());

    let mut updates = app.updates();
    device.restart().await.expect("power on again");
    online_again(&mut updates, device.addr()).await;
    still_admitted(device, &app, false).await;
    assert_eq!(
        device.stats().commissioned,
        0,
        "a new runtime, not commissioned again"
    );

    let mut updates = app.updates();
    device.reboot().await.expect("orderly restart");
    online_again(&mut updates, device.addr()).await;
    still_admitted(device, &app, true).await;
    app.shutdown().await;
    b.runner.shutdown().await;
}

/// A damaged ACL file is an error of the next start that names the file, not an appliance
/// that starts with an empty ACL (and so factory-new) or a panic.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_acl_file_stops_the_next_start() {
    let b = kestrel_fan(|_| {}).await;
    let device = b.device();
    let file = Identity::access_path(b.pki.path(), device.id());
    std::fs::write(&file, b"\xa1\x01junk").expect("damage the file");
    let err = device.restart().await.expect_err("refuses to start");
    let message = err.to_string();
    assert!(message.contains(&*file.to_string_lossy()), "{message}");
    assert!(message.contains("damaged"), "{message}");
}
