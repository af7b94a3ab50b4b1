//! The setup payload vectors of `conformance/vectors/commissioning/setup-payload.json`
//! (schema in its README): every valid payload gives its QR text and manual code and decodes
//! back, every accepted spelling decodes, every invalid text is refused with its code
//! (HRT-COM-010 to HRT-COM-014).

use hearth_model::setup::{ManualCode, SetupCode, SetupPayload};
use serde_json::Value;

fn vectors() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../conformance/vectors/commissioning/setup-payload.json");
    let text = std::fs::read_to_string(path).expect("vector file");
    let doc: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(doc["format"], "hearth-setup-payload-vectors/1");
    doc
}

/// The cases under `key`, at least `at_least` of them.
fn cases(key: &str, at_least: usize) -> Vec<Value> {
    let cases = vectors()[key].as_array().expect(key).clone();
    assert!(cases.len() >= at_least, "{key}: {} cases", cases.len());
    cases
}

fn u64_of(v: &Value, field: &str) -> u64 {
    v[field].as_u64().expect(field)
}

fn str_of<'a>(v: &'a Value, field: &str) -> &'a str {
    v[field].as_str().expect(field)
}

#[test]
fn valid_payloads_encode_and_decode() {
    for v in &cases("valid", 5) {
        let name = str_of(v, "name");
        let field = |f: &str| u16::try_from(u64_of(v, f)).expect(f);
        let passcode = u32::try_from(u64_of(v, "passcode")).expect("passcode");
        let p = SetupPayload::new(
            field("vendor_id"),
            field("device_type"),
            field("discriminator"),
            passcode,
        )
        .expect(name);
        assert_eq!(p.to_qr_text(), str_of(v, "qr"), "{name}: QR text");
        assert_eq!(
            p.manual_code().digits(),
            str_of(v, "manual"),
            "{name}: manual code"
        );
        assert_eq!(
            u64::from(p.short_discriminator()),
            u64_of(v, "short_discriminator"),
            "{name}"
        );
        assert_eq!(SetupPayload::from_qr_text(str_of(v, "qr")), Ok(p), "{name}");
        let m = ManualCode::parse(str_of(v, "manual")).expect(name);
        assert_eq!(m, p.manual_code(), "{name}");
    }
}

#[test]
fn accepted_spellings_decode() {
    for v in &cases("accepted", 0) {
        let name = str_of(v, "name");
        let code = ManualCode::parse(str_of(v, "text")).expect(name);
        assert_eq!(code.digits(), str_of(v, "manual"));
    }
}

#[test]
fn invalid_texts_are_refused_with_their_code() {
    for v in &cases("invalid", 15) {
        let name = str_of(v, "name");
        let err = SetupCode::parse(str_of(v, "text")).expect_err(name);
        assert_eq!(err.code(), str_of(v, "error"), "{name}: {err}");
    }
}
