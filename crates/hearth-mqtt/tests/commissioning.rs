//! Commissioning end to end on a real broker (the embedded one, or `HEARTH_TEST_BROKER`): a
//! factory-new fan runtime, commissioned by a controller runtime of another ecosystem from
//! its QR text, which then admits a guest of a third one by multi-admin
//! (`spec/07-commissioning.md`).

use std::path::Path as FsPath;
use std::time::Duration;

use hearth_model::setup::{SetupCode, SetupPayload};
use hearth_model::{Path, Privilege, StatusCode};
use hearth_mqtt::{Controller, DeviceHandle, RequestError};
use hearth_node::CommissioningSettings;
use hearth_security::acl::{Acl, AclSubject};
use hearth_security::pki;
use hearth_testkit::broker::broker;
use hearth_testkit::fan;
use hearth_testkit::memory::MemoryDevice;
use hearth_testkit::node::{addr, connected, controller_as, spawn_device_with};
use hearth_testkit::pki::{foreign_identity, pki as test_pki};
use hearth_wire::commissioning::{AclOperation, WindowState};

const ON: Path = Path::new(0, 3, 1);
/// The longest any step may take: an upper bound, never a wait.
const WITHIN: Duration = Duration::from_secs(30);

/// A factory-new fan `id` on the broker at `url`, its credentials in `dir`, connected; its
/// setup code: passcode 20202021, discriminator 0xF00, the fewest iterations.
async fn factory_new(
    url: &hearth_mqtt::BrokerUrl,
    dir: &FsPath,
    id: &str,
) -> (SetupPayload, DeviceHandle, MemoryDevice) {
    let payload = SetupPayload::new(pki::TEST_VENDOR_ID, 8, 0xF00, 20_202_021).expect("payload");
    let settings = CommissioningSettings::for_payload(&payload, b"hearth mqtt salt".to_vec(), 1000)
        .expect("record");
    let (device, memory) = spawn_device_with(url, dir, fan(id), Acl::new(), |config| {
        config.commissioning = Some(settings)
    });
    assert!(connected(&device).await);
    (payload, device, memory)
}

/// A controller `name` of an ecosystem of its own: a root the fan does not know, trusting
/// that root and the fan vendor's root (`device_root`, to attest the fan).
async fn commissioner(
    url: &hearth_mqtt::BrokerUrl,
    device_root: &hearth_security::cert::Certificate,
    name: &str,
    dir: &FsPath,
) -> Controller {
    let identity = foreign_identity(name, device_root);
    controller_as(url, identity, dir, |config| config.share_iterations = 1000).await
}

/// HRT-COM-021, HRT-COM-042, HRT-COM-043, HRT-COM-055, HRT-COM-061, HRT-COM-070, HRT-COM-074:
/// the runtimes carry the window, the session and the manager's requests on the topics of
/// chapter 5, from a factory-new fan to two controllers of other ecosystems in its ACL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_factory_new_device_is_commissioned_end_to_end() {
    let broker = broker();
    let pki = test_pki();
    let (payload, device, _memory) = factory_new(broker.url(), pki.path(), "fan-com-1").await;
    let fan_addr = addr("fan-com-1");

    let app = commissioner(broker.url(), &pki.root.cert, "app-a", pki.path()).await;
    let code = SetupCode::parse(&payload.to_qr_text()).expect("QR text");
    let done = app.commission(code, WITHIN).await.expect("commissioned");
    assert_eq!(done.addr, fan_addr);
    assert_eq!(done.device_type.as_deref(), Some("fan"));
    let acl = device.acl();
    assert_eq!(acl.entries().len(), 1);
    assert_eq!(acl.entries()[0].privilege, Privilege::Manage);
    assert!(matches!(acl.entries()[0].subject, AclSubject::Key(_)));
    assert_eq!(device.window(), Some(WindowState::Closed));

    // The commissioner now reads, and manages.
    let read = app.read(&fan_addr, vec![ON]).await.expect("read");
    assert_eq!(read[0].status, StatusCode::Success);
    let listed = app.acl(&fan_addr).await.expect("acl-read");
    assert_eq!(listed.entries, acl.entries());

    // Multi-admin: a fresh code for a guest of a third ecosystem, with operate.
    let shared = app
        .share(&fan_addr, Privilege::Operate, Duration::from_secs(300))
        .await
        .expect("an enhanced window");
    assert!(matches!(device.window(), Some(WindowState::Open(_))));
    let guest = commissioner(broker.url(), &pki.root.cert, "guest-b", pki.path()).await;
    let manual = SetupCode::parse(&shared.manual_code().to_string()).expect("manual code");
    guest
        .commission(manual, WITHIN)
        .await
        .expect("the guest is commissioned");
    let listed = app.acl(&fan_addr).await.expect("acl-read");
    let privileges: Vec<_> = listed.entries.iter().map(|e| e.privilege).collect();
    assert_eq!(privileges, [Privilege::Manage, Privilege::Operate]);
    let read = guest.read(&fan_addr, vec![ON]).await.expect("read");
    assert_eq!(read[0].status, StatusCode::Success);
    // The guest may not manage (HRT-COM-060).
    let guest_key = listed.entries[1].subject;
    let lift = AclOperation::Set {
        subject: guest_key,
        privilege: Privilege::Manage,
    };
    let refused = guest
        .change_acl(&fan_addr, vec![lift])
        .await
        .expect("answered");
    assert_eq!(refused.status, StatusCode::Unauthorized);

    // The manager removes the guest again.
    let removed = app
        .change_acl(&fan_addr, vec![AclOperation::Remove(guest_key)])
        .await
        .expect("answered");
    assert_eq!(removed.status, StatusCode::Success);
    assert_eq!(device.acl().entries().len(), 1);
    device.shutdown().await;
}

/// HRT-COM-034, HRT-COM-049: a wrong passcode is an error to the caller, with the sessions
/// the window still admits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_passcode_is_refused_through_the_runtime() {
    let broker = broker();
    let pki = test_pki();
    let (_, device, _memory) = factory_new(broker.url(), pki.path(), "fan-com-2").await;
    let app = commissioner(broker.url(), &pki.root.cert, "app-w", pki.path()).await;
    let wrong = SetupPayload::new(pki::TEST_VENDOR_ID, 8, 0xF00, 20_202_022).expect("payload");
    let outcome = app.commission(SetupCode::Qr(wrong), WITHIN).await;
    assert!(
        matches!(
            outcome,
            Err(RequestError::Commission(
                hearth_node::CommissionError::WrongPasscode {
                    sessions_left: Some(19),
                    ..
                }
            ))
        ),
        "{outcome:?}"
    );
    assert!(device.acl().entries().is_empty());
    assert_eq!(device.stats().sessions_failed, 1);
    device.shutdown().await;
}
