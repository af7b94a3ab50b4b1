//! `hearth sim`: the fault profile list, and a fleet of every device type and brand that
//! `hearth ctl discover` finds with valid descriptions.

mod common;

use std::collections::BTreeSet;

use common::{assert_contains, broker, exited, hearth, p, pki_init, spawn, unique};

#[test]
fn list_faults_names_at_least_fifteen_profiles_with_requirements() {
    let o = hearth(&["sim", "--list-faults", "--json"]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let list: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let list = list.as_array().expect("an array");
    assert!(list.len() >= 15, "{}", list.len());
    let mut chapters = BTreeSet::new();
    for profile in list {
        let reqs = profile["requirements"].as_array().expect("requirements");
        assert!(!reqs.is_empty(), "{profile}");
        for r in reqs {
            assert!(
                r.as_str().is_some_and(|r| r.starts_with("HRT-")),
                "{profile}"
            );
        }
        chapters.insert(profile["chapter"].as_str().expect("chapter").to_owned());
    }
    let expected: BTreeSet<String> = [
        "behaviour",
        "commissioning",
        "messages",
        "model",
        "mqtt",
        "security",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert_eq!(chapters, expected);

    let o = hearth(&["sim", "--list-faults"]);
    let text = exited(&o, 0);
    assert_contains(
        &text,
        &[
            "accept-out-of-range",
            "HRT-MOD-044",
            "no-will",
            "HRT-MQTT-030",
        ],
    );
}

#[test]
fn bad_arguments_are_refused() {
    let o = hearth(&["sim", "--pki", "nowhere"]);
    assert_ne!(o.status.code(), Some(0));
    let tmp = tempfile::tempdir().expect("tempdir");
    pki_init(tmp.path());
    // Usage errors exit 64, a missing file 4.
    for (args, code) in [
        (vec!["--fault", "no-such-fault"], 64),
        (vec!["--speed", "0"], 64),
        (vec!["--fleet", "/no/such/fleet.toml"], 4),
    ] {
        let mut all = vec![
            "sim",
            "--broker",
            "mqtt://127.0.0.1:1",
            "--pki",
            p(tmp.path()),
        ];
        all.extend(args.iter().copied());
        let o = hearth(&all);
        assert_eq!(o.status.code(), Some(code), "{args:?}: {o:?}");
    }
}

#[test]
fn ctl_discovers_the_whole_fleet_with_valid_descriptions() {
    let (url, _broker) = broker();
    let tmp = tempfile::tempdir().expect("tempdir");
    pki_init(tmp.path());
    // The default fleet, under ids of this run so that tests sharing a broker stay apart.
    let fleet = hearth_sim::Fleet::standard().with_suffix(&format!("-{}", unique("run")));
    let fleet_file = tmp.path().join("fleet.toml");
    std::fs::write(&fleet_file, fleet.to_toml()).expect("fleet file");
    let (pki, fleet_arg) = (p(tmp.path()), p(&fleet_file));
    let (_sim, mut lines) = spawn(&[
        "sim", "--broker", &url, "--pki", pki, "--fleet", fleet_arg, "--speed", "30",
    ]);
    let first = lines.next().expect("a line").expect("text");
    assert!(first.starts_with("serving 16 appliances"), "{first}");
    let mut served = BTreeSet::new();
    // One line per appliance, its id first; lines of anything drawn below it hold no `/`.
    while served.len() < fleet.devices.len() {
        let line = lines.next().expect("a line").expect("text");
        if let Some(id) = line.split_whitespace().next().filter(|t| t.contains('/')) {
            served.insert(id.to_owned());
        }
    }
    let wanted: BTreeSet<String> = fleet
        .devices
        .iter()
        .map(|d| format!("{:04x}/{}", d.brand.brand().vendor_id, d.id))
        .collect();
    assert_eq!(served, wanted);

    let o = hearth(&[
        "ctl",
        "--broker",
        &url,
        "--pki",
        p(tmp.path()),
        "discover",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let list: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let list = list.as_array().expect("an array");
    let mut types = BTreeSet::new();
    let mut vendors = BTreeSet::new();
    for id in &wanted {
        let entry = list
            .iter()
            .find(|e| e["id"] == id.as_str())
            .unwrap_or_else(|| panic!("{id} discovered"));
        assert_eq!(entry["description_valid"], true, "{entry}");
        assert_eq!(entry["online"], true, "{entry}");
        types.insert(entry["device_type"].as_str().expect("type").to_owned());
        vendors.insert(entry["vendor_id"].as_str().expect("vendor").to_owned());
    }
    assert_eq!(types.len(), 9, "{types:?}");
    assert_eq!(vendors.len(), 3, "{vendors:?}");
}

/// HRT-COM-001, HRT-COM-021: `hearth sim --factory-new` prints each appliance's setup code,
/// and `hearth ctl commission` commissions the appliance with it.
#[test]
fn a_factory_new_appliance_is_commissioned_with_its_printed_code() {
    let (url, _broker) = broker();
    let tmp = tempfile::tempdir().expect("tempdir");
    pki_init(tmp.path());
    let mut fleet = hearth_sim::Fleet::standard().with_suffix(&format!("-{}", unique("new")));
    fleet.devices.truncate(1);
    let fleet_file = tmp.path().join("fleet.toml");
    std::fs::write(&fleet_file, fleet.to_toml()).expect("fleet file");
    let (pki, fleet_arg) = (p(tmp.path()), p(&fleet_file));
    let (_sim, mut lines) = spawn(&[
        "sim",
        "--broker",
        &url,
        "--pki",
        pki,
        "--fleet",
        fleet_arg,
        "--factory-new",
        "--json",
    ]);
    let first = lines.next().expect("a line").expect("text");
    let served: serde_json::Value = serde_json::from_str(&first).expect("JSON");
    let appliance = &served[0];
    let manual = appliance["setup"]["manual"]
        .as_str()
        .expect("a manual code");
    assert!(
        appliance["setup"]["qr"]
            .as_str()
            .is_some_and(|q| q.starts_with("HRT:0.")),
        "{appliance}"
    );
    let addr = format!(
        "{}/{}",
        appliance["vendor_id"].as_str().expect("vendor"),
        appliance["id"].as_str().expect("id")
    );
    let ctl = |args: &[&str]| {
        let mut all = vec!["ctl", "--broker", &url, "--pki", pki];
        all.extend_from_slice(args);
        hearth(&all)
    };
    let o = ctl(&["commission", "--code", manual, "--yes"]);
    assert_contains(&exited(&o, 0), &[&format!("commissioned {addr}")]);
    let o = ctl(&["acl", "show", &addr]);
    assert_contains(
        &exited(&o, 0),
        &["manage  (this controller)", "1 of 64 entries"],
    );
}
