//! `mqtts://`: a device and a controller over TLS to a real broker (mosquitto, when installed),
//! trusting a private CA given with `?ca=FILE`.

mod common;

use std::time::Duration;

use common::*;
use hearth_model::{Path, StatusCode, Value};
use hearth_mqtt::{BrokerUrl, DeviceAddr};
use hearth_security::acl::Privilege;
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, KeyUsagePurpose};

fn mosquitto() -> Option<std::path::PathBuf> {
    [
        "/usr/sbin/mosquitto",
        "/usr/bin/mosquitto",
        "/usr/local/sbin/mosquitto",
    ]
    .iter()
    .map(std::path::PathBuf::from)
    .find(|p| p.exists())
}

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
    let Some(binary) = mosquitto() else {
        eprintln!("skipped: mosquitto is not installed (CI installs it)");
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let (ca, cert, key) = certificates(dir.path());
    #[cfg(unix)]
    {
        // Started as root, mosquitto drops to its own user: let it read its files.
        use std::os::unix::fs::PermissionsExt;
        for p in [dir.path(), cert.as_path(), key.as_path(), ca.as_path()] {
            let mode = if p.is_dir() { 0o755 } else { 0o644 };
            let _ = std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode));
        }
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let conf = dir.path().join("mosquitto.conf");
    std::fs::write(
        &conf,
        format!(
            "listener {port} 127.0.0.1\nallow_anonymous true\ncafile {}\ncertfile {}\nkeyfile {}\n",
            ca.display(),
            cert.display(),
            key.display()
        ),
    )
    .expect("config");
    let _broker = tokio::process::Command::new(binary)
        .arg("-c")
        .arg(&conf)
        .kill_on_drop(true)
        .spawn()
        .expect("mosquitto starts");
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let url: BrokerUrl = format!("mqtts://127.0.0.1:{port}?ca={}", ca.display())
        .parse()
        .expect("URL");
    let pki_dir = tempfile::tempdir().expect("tempdir");
    let pki = pki(pki_dir.path());
    let (device, memory) = start_device(
        &url,
        pki_dir.path(),
        fan("fan-tls"),
        acl_for_root(&pki, Privilege::Operate),
    );
    let ctl = controller(&url, pki_dir.path()).await;
    let addr = DeviceAddr::new(0xFFF1, "fan-tls");
    let online = ctl
        .wait_for(Duration::from_secs(10), |d| {
            d.iter().any(|v| v.addr == addr && v.online == Some(true))
        })
        .await;
    assert!(
        online,
        "the device did not come online over TLS: {:?}",
        ctl.device(&addr)
    );
    let written = ctl
        .write(&addr, vec![(Path::new(0, 9, 1), Value::Int(4))])
        .await
        .expect("write over TLS");
    assert_eq!(written, vec![(Path::new(0, 9, 1), StatusCode::Success)]);
    assert_eq!(memory.get(&Path::new(0, 9, 1)), Some(Value::Int(4)));
    device.shutdown().await;
    ctl.shutdown().await;

    // Without the private CA the broker's certificate is not trusted: no connection.
    let untrusted: BrokerUrl = format!("mqtts://127.0.0.1:{port}").parse().expect("URL");
    let identity = hearth_mqtt::Identity::controller(pki_dir.path()).expect("identity");
    let counter = Box::new(hearth_security::replay::MemoryCounterStore::default());
    let mut config = hearth_mqtt::ControllerConfig::new(untrusted, identity, counter);
    config.connect_timeout = Duration::from_secs(3);
    assert!(
        hearth_mqtt::Controller::connect(config).await.is_err(),
        "an untrusted broker certificate was accepted"
    );
}
