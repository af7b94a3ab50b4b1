//! `hearth ctl commission`, `acl` and `share` as a user runs them, against a factory-new fan
//! running in the test process (`spec/07-commissioning.md`): a controller commissions it from
//! its QR text, shares it with a controller of another PKI by a fresh manual code, and
//! manages its access-control list.

mod common;

use std::process::Output;

use common::{assert_contains, broker, exited, hearth, p, pki_init, runtime, unique};
use hearth_model::setup::SetupPayload;
use hearth_mqtt::{BrokerUrl, CommissioningSettings};
use hearth_security::acl::Acl;
use hearth_testkit::node::{connected, spawn_device_with};

/// The fan's printed code: test vendor, a fan, discriminator 0xF00, passcode 20202021.
fn payload() -> SetupPayload {
    SetupPayload::new(0xFFF1, 8, 0xF00, 20_202_021).expect("payload")
}

/// `hearth ctl --broker URL --pki DIR ARGS...`
fn ctl(url: &str, dir: &std::path::Path, args: &[&str]) -> Output {
    let mut all = vec!["ctl", "--broker", url, "--pki", p(dir)];
    all.extend_from_slice(args);
    hearth(&all)
}

fn json(o: &Output) -> serde_json::Value {
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    serde_json::from_slice(&o.stdout).expect("JSON")
}

/// HRT-COM-011, HRT-COM-013, HRT-COM-021, HRT-COM-055, HRT-COM-061 to HRT-COM-063,
/// HRT-COM-070, HRT-COM-074: commission, list, share, add, remove, and the last manager kept.
#[test]
fn commission_share_and_manage_the_acl() {
    let (url, _broker) = broker();
    let home = tempfile::tempdir().expect("tempdir");
    let guest = tempfile::tempdir().expect("tempdir");
    pki_init(home.path());
    pki_init(guest.path());
    let rt = runtime();
    let id = unique("fan-com");
    let addr = format!("fff1/{id}");
    let code = payload();
    let settings = CommissioningSettings::for_payload(&code, b"hearth cli salt!".to_vec(), 1000)
        .expect("record");
    let broker_url: BrokerUrl = url.parse().expect("URL");
    let (device, _memory) = {
        let _guard = rt.enter();
        spawn_device_with(
            &broker_url,
            home.path(),
            hearth_testkit::fan(&id),
            Acl::new(),
            |config| config.commissioning = Some(settings),
        )
    };
    assert!(rt.block_on(connected(&device)), "the fan connects");

    // A malformed code is a usage error, before anything is sent.
    let o = ctl(
        &url,
        home.path(),
        &["commission", "--code", "HRT:0.fff1.0008.F00.20202021"],
    );
    assert_eq!(o.status.code(), Some(64), "a usage error: {o:?}");
    let o = ctl(&url, home.path(), &["commission", "--code", "34970112333"]);
    assert_eq!(o.status.code(), Some(64), "a wrong check digit: {o:?}");

    // A wrong passcode fails and says how many attempts are left.
    let wrong = SetupPayload::new(0xFFF1, 8, 0xF00, 20_202_022).expect("payload");
    let o = ctl(
        &url,
        home.path(),
        &["commission", "--code", &wrong.to_qr_text()],
    );
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert_contains(&String::from_utf8_lossy(&o.stderr), &["19 attempts left"]);

    let o = ctl(
        &url,
        home.path(),
        &["commission", "--code", &code.to_qr_text()],
    );
    let text = exited(&o, 0);
    assert_contains(&text, &[&format!("commissioned {addr}"), "fan", "TF-1"]);
    let acl = json(&ctl(&url, home.path(), &["acl", "list", &addr, "--json"]));
    assert_eq!(acl["entries"].as_array().map(Vec::len), Some(1), "{acl}");
    assert_eq!(acl["entries"][0]["privilege"], "manage", "{acl}");
    assert_eq!(acl["entries"][0]["this_controller"], true, "{acl}");
    assert_eq!(acl["max_entries"], 64, "{acl}");

    // Multi-admin: a fresh code for a controller of another PKI, which trusts the fan's root.
    let shared = json(&ctl(
        &url,
        home.path(),
        &["share", &addr, "--iterations", "1000", "--json"],
    ));
    assert_eq!(shared["privilege"], "operate", "{shared}");
    let manual = shared["manual"].as_str().expect("a manual code").to_owned();
    assert_ne!(manual, code.manual_code().to_string());
    let home_root = home.path().join("root.cert");
    // HRT-COM-053: a manual code names no vendor nor device type, so the user confirms what
    // the device proved; with no terminal to ask on and no --yes, nothing is sent.
    let o = ctl(
        &url,
        guest.path(),
        &["--trust", p(&home_root), "commission", "--code", &manual],
    );
    assert_eq!(o.status.code(), Some(64), "{o:?}");
    assert_contains(&String::from_utf8_lossy(&o.stderr), &["--yes", "terminal"]);
    let o = ctl(
        &url,
        guest.path(),
        &[
            "--trust",
            p(&home_root),
            "commission",
            "--code",
            &manual,
            "--yes",
        ],
    );
    exited(&o, 0);
    assert_contains(
        &String::from_utf8_lossy(&o.stderr),
        &[&format!(
            "{addr} proved the code: vendor fff1, device type fan"
        )],
    );
    let acl = json(&ctl(&url, home.path(), &["acl", "show", &addr, "--json"]));
    let rows = acl["entries"].as_array().expect("entries").clone();
    assert_eq!(rows.len(), 2, "{acl}");
    assert_eq!(rows[1]["privilege"], "operate", "{acl}");
    assert_eq!(rows[1]["this_controller"], false, "{acl}");
    let guest_key = rows[1]["key"].as_str().expect("a key").to_owned();
    let own_key = rows[0]["key"].as_str().expect("a key").to_owned();
    assert_eq!(device.acl().entries().len(), 2);
    // Both operate the fan: the guest writes a level, then the manager another.
    for (who, level, trust) in [(&guest, "2", Some(p(&home_root))), (&home, "3", None)] {
        let mut args: Vec<&str> = trust.map_or_else(Vec::new, |t| vec!["--trust", t]);
        args.extend(["write", &addr, "0/fan-control/level", level]);
        let o = ctl(&url, who.path(), &args);
        exited(&o, 0);
    }
    let o = ctl(
        &url,
        guest.path(),
        &[
            "--trust",
            p(&home_root),
            "read",
            &addr,
            "0/fan-control/level",
        ],
    );
    assert_contains(&exited(&o, 0), &["3"]);

    // The manager removes the guest, cannot remove itself, and adds a CA entry.
    let o = ctl(&url, home.path(), &["acl", "remove", &addr, &guest_key]);
    assert_contains(&exited(&o, 0), &["success"]);
    let o = ctl(&url, home.path(), &["acl", "remove", &addr, &own_key]);
    assert_contains(&exited(&o, 1), &["invalid-in-state"]);
    let o = ctl(&url, home.path(), &["acl", "remove", &addr, &guest_key]);
    assert_contains(&exited(&o, 1), &["constraint-error"]);
    let o = ctl(
        &url,
        home.path(),
        &["acl", "add", &addr, &guest_key, "view", "--ca"],
    );
    assert_contains(&exited(&o, 0), &["success"]);
    let o = ctl(&url, home.path(), &["acl", "show", &addr]);
    assert_contains(
        &exited(&o, 0),
        &["(this controller)", "ca", "view", "2 of 64 entries"],
    );
    let o = ctl(&url, home.path(), &["acl", "add", &addr, "xyz", "view"]);
    assert_eq!(o.status.code(), Some(64), "a usage error: {o:?}");
    rt.block_on(device.shutdown());
}
