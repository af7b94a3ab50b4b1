//! `mqtts://`: a device and a controller over TLS to a real broker (mosquitto, when installed),
//! trusting a private CA given with `?ca=FILE`.

use std::time::Duration;

use hearth_model::{Path, StatusCode, Value};
use hearth_mqtt::BrokerUrl;
use hearth_security::acl::Privilege;
use hearth_testkit::broker::{free_port, Mosquitto};
use hearth_testkit::node::{addr, controller, spawn_device, wait_status, write_one};
use hearth_testkit::{fan, pki::pki};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, KeyUsagePurpose};

/// A CA and a server certificate for 127.0.0.1 and localhost, as PEM files in `dir`.
fn certificates(
    dir: &std::path::Path,
) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_key = KeyPair::generate().expect("CA key");
    let ca = ca_params.self_signed(&ca_key).expect("CA certificate");
    let issuer = Issuer::new(ca_params, ca_key);
    let server_key = KeyPair::generate().expect("server key");
    let server = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
        .expect("server parameters")
        .signed_by(&server_key, &issuer)
        .expect("server certificate");
    let paths = (
        dir.join("ca.pem"),
        dir.join("server.pem"),
        dir.join("server.key"),
    );
    std::fs::write(&paths.0, ca.pem()).expect("write");
    std::fs::write(&paths.1, server.pem()).expect("write");
    std::fs::write(&paths.2, server_key.serialize_pem()).expect("write");
    (paths.0, paths.1, paths.2)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_and_a_controller_work_over_tls() {
    let Some(mosquitto) = Mosquitto::or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let (ca, cert, key) = certificates(dir.path());
    let port = free_port();
    let tls = format!(
        "cafile {}\ncertfile {}\nkeyfile {}\n",
        ca.display(),
        cert.display(),
        key.display()
    );
    let _broker = mosquitto.start(dir.path(), port, &tls).await;

    let url: BrokerUrl = format!("mqtts://127.0.0.1:{port}?ca={}", ca.display())
        .parse()
        .expect("URL");
    let pki = pki();
    let (device, memory) = spawn_device(
        &url,
        pki.path(),
        fan("fan-tls"),
        pki.acl(Privilege::Operate),
    );
    let ctl = controller(&url, pki.path()).await;
    let addr = addr("fan-tls");
    let online = wait_status(&ctl, &addr, true, Duration::from_secs(10)).await;
    assert!(
        online,
        "the device did not come online over TLS: {:?}",
        ctl.device(&addr)
    );
    let written = write_one(&ctl, &addr, Path::new(0, 9, 1), Value::Int(4)).await;
    assert_eq!(written, StatusCode::Success, "write over TLS");
    assert_eq!(memory.get(&Path::new(0, 9, 1)), Some(Value::Int(4)));
    device.shutdown().await;
    ctl.shutdown().await;

    // Without the private CA the broker's certificate is not trusted: no connection.
    let untrusted: BrokerUrl = format!("mqtts://127.0.0.1:{port}").parse().expect("URL");
    let identity = hearth_mqtt::Identity::controller(pki.path()).expect("identity");
    let counter = Box::new(hearth_security::replay::MemoryCounterStore::default());
    let mut config = hearth_mqtt::ControllerConfig::new(untrusted, identity, counter);
    config.connect_timeout = Duration::from_secs(3);
    assert!(
        hearth_mqtt::Controller::connect(config).await.is_err(),
        "an untrusted broker certificate was accepted"
    );
}
