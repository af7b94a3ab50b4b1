//! `hearth catalog` as a user runs it.

mod common;

use common::hearth;

const DEVICE_TYPES: [&str; 9] = [
    "air-conditioner",
    "refrigerator",
    "freezer",
    "rice-cooker",
    "microwave-oven",
    "water-heater",
    "dishwasher",
    "fan",
    "washing-machine",
];

#[test]
fn json_listing_has_the_nine_device_types_with_components_and_capabilities() {
    let out = hearth(&["catalog", "--json"]);
    assert!(out.status.success());
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    let types = doc["device_types"].as_array().expect("device_types array");
    let names: Vec<&str> = types.iter().filter_map(|t| t["name"].as_str()).collect();
    assert_eq!(names, DEVICE_TYPES);
    for t in types {
        let comps = t["components"].as_array().expect("components");
        assert_eq!(comps[0]["id"], 0, "component 0 first");
        let mandatory: Vec<&str> = comps[0]["mandatory"]
            .as_array()
            .expect("mandatory")
            .iter()
            .filter_map(|c| c.as_str())
            .collect();
        assert!(
            mandatory.contains(&"device-info") && mandatory.contains(&"faults"),
            "{t}"
        );
    }
    assert!(doc["capabilities"].as_array().expect("capabilities").len() >= 19);
}

#[test]
fn one_definition_in_full_as_text_and_json() {
    let out = hearth(&["catalog", "washing-machine"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Cycle phases"), "{text}");
    let out = hearth(&["catalog", "temperature-control", "--json"]);
    assert!(out.status.success());
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    assert_eq!(doc["name"], "temperature-control");
    assert_eq!(doc["properties"][0]["name"], "setpoint");
}

#[test]
fn unknown_name_fails_with_a_hint() {
    let out = hearth(&["catalog", "toaster"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("hearth catalog"));
}

#[test]
fn markdown_is_the_committed_chapter() {
    let out = hearth(&["catalog", "--markdown"]);
    assert!(out.status.success());
    let committed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../spec/02-catalog.md"
    ))
    .expect("chapter committed");
    assert!(
        out.stdout == committed.as_bytes(),
        "spec/02-catalog.md is stale: regenerate with `hearth catalog --markdown`"
    );
}
