//! `hearth test --check-ics` as a lab runs it before connecting a device: no device, no
//! `--pki`; each problem at its line with a suggestion (spec 06 §3, §13.2).

mod common;

use std::path::Path;
use std::process::Output;

use common::{hearth, p, pki_init, stderr, stdout};

/// A fan's statement whose credentials are those `hearth pki init --dir lab` writes next to
/// it.
const FAN: &str = r#"ics_version = 1
spec_version = 1

[device]
vendor = "fff1"
id = "fan-1"
type = "fan"
vendor_name = "Example Appliances"
model = "BR-300"
firmware = "1.0.0"

[components.0]
device-info = []
faults = []
on-off = []
fan-control = []
airflow = ["horizontal-swing"]

[parameters]
trust = "lab/root.cert"

[[controllers]]
key = "lab/operate.key"
chain = "lab/operate.chain"
privilege = "operate"

[[controllers]]
key = "lab/stranger.key"
chain = "lab/stranger.chain"
privilege = "none"

[authority]
key = "lab/authority.key"
cert = "lab/authority.cert"
privilege = "view"
"#;

/// A folder with the lab's PKI in `lab/` and `text` as `fan.ics.toml`; run from elsewhere,
/// so that paths resolve against the statement's folder (HRT-CONF-018).
fn check(dir: &Path, text: &str) -> Output {
    let ics = dir.join("fan.ics.toml");
    std::fs::write(&ics, text).expect("write the ICS");
    hearth(&["test", "--check-ics", "--ics", p(&ics)])
}

fn lab() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tempdir");
    pki_init(&tmp.path().join("lab"));
    tmp
}

/// `FILE:LINE: error: KEY: MESSAGE` for the statement of `dir`.
fn at(dir: &Path, line: usize, key: &str) -> String {
    format!(
        "{}:{line}: error: {key}: ",
        dir.join("fan.ics.toml").display()
    )
}

#[test]
fn a_correct_statement_is_valid_without_pki_or_device() {
    let tmp = lab();
    let o = check(tmp.path(), FAN);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert!(
        stdout(&o).trim_end().ends_with("fan.ics.toml: valid"),
        "{o:?}"
    );
}

/// A misspelt device type (HRT-CONF-004), a capability the type does not carry and a
/// misspelt capability (HRT-CONF-005): each named at its line (HRT-CONF-002), with what
/// would be right.
#[test]
fn a_wrong_type_or_capability_is_named_at_its_line() {
    let cases = [
        (
            ("type = \"fan\"", "type = \"frige\""),
            (7, "device.type"),
            "did you mean `refrigerator`?",
        ),
        (
            ("faults = []", "faults = []\nconsumables = []"),
            (15, "components.0.consumables"),
            "a fan's component 0 (device) does not carry `consumables`",
        ),
        (
            ("fan-control = []", "\"fan-contrl\" = []"),
            (16, "components.0.fan-contrl"),
            "did you mean `fan-control`?",
        ),
    ];
    let tmp = lab();
    for ((from, to), (line, key), said) in cases {
        let o = check(tmp.path(), &FAN.replace(from, to));
        assert_eq!(o.status.code(), Some(4), "{to}: {o:?}");
        let err = stderr(&o);
        assert!(err.contains(&at(tmp.path(), line, key)), "{err}");
        assert!(err.contains(said), "{err}");
    }
}

/// Credentials: a missing file, a chain that is not the key's, a chain of another root.
#[test]
fn credentials_are_read_and_lead_to_the_root() {
    let tmp = lab();
    let dir = tmp.path();
    let o = check(dir, &FAN.replace("lab/operate.chain", "lab/opreate.chain"));
    assert_eq!(o.status.code(), Some(4), "{o:?}");
    let err = stderr(&o);
    assert!(err.contains(&at(dir, 24, "controllers[0].chain")), "{err}");
    assert!(err.contains("hearth pki init"), "{err}");

    let o = check(dir, &FAN.replace("lab/operate.chain", "lab/view.chain"));
    assert!(
        stderr(&o).contains("is not that of the key"),
        "{}",
        stderr(&o)
    );

    pki_init(&dir.join("other"));
    let o = check(
        dir,
        &FAN.replace("lab/operate.chain", "other/operate.chain")
            .replace("lab/operate.key", "other/operate.key"),
    );
    assert_eq!(o.status.code(), Some(4), "{o:?}");
    assert!(
        stderr(&o).contains("does not lead to the trusted root"),
        "{}",
        stderr(&o)
    );
}

/// `hearth ics init` of a type: the mandatory capabilities and those given, the lab's
/// credentials relative to the statement's folder; the result passes `--check-ics`.
#[test]
fn init_writes_a_statement_that_passes_the_review() {
    let tmp = lab();
    let dir = tmp.path();
    let out = dir.join("statements").join("fan.ics.toml");
    let pki = dir.join("lab");
    let init = |extra: &[&str]| {
        let mut args = vec![
            "ics", "init", "--type", "fan", "--vendor", "fff1", "--id", "fan-1", "--pki",
        ];
        args.push(p(&pki));
        args.extend(["--out", p(&out)]);
        args.extend_from_slice(extra);
        hearth(&args)
    };
    let o = init(&[
        "--capability",
        "airflow=horizontal-swing",
        "--actuation",
        "power,settings",
    ]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let text = std::fs::read_to_string(&out).expect("written");
    for line in [
        "type = \"fan\"",
        "vendor = \"fff1\"",
        "fan-control = []",
        "airflow = [\"horizontal-swing\"]",
        "power = true",
        "trust = \"../lab/root.cert\"",
        "chain = \"../lab/manage.chain\"",
        "cert = \"../lab/authority.cert\"",
        "privilege = \"none\"",
    ] {
        assert!(text.contains(line), "{line:?} in\n{text}");
    }
    let o = hearth(&["test", "--check-ics", "--ics", p(&out)]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");

    // Not over an existing file without --force; not with a capability the catalog lacks.
    let o = init(&[]);
    assert_eq!(o.status.code(), Some(64), "{o:?}");
    assert!(stderr(&o).contains("--force"), "{o:?}");
    std::fs::remove_file(&out).expect("remove");
    let o = init(&["--capability", "airflw"]);
    assert_eq!(o.status.code(), Some(64), "{o:?}");
    assert!(stderr(&o).contains("did you mean `airflow`?"), "{o:?}");
    assert!(!out.exists());
    let o = init(&["--actuation", "powr"]);
    assert_eq!(o.status.code(), Some(64), "{o:?}");
}

/// `hearth ics init --from-description`: the claims, the type and device-info of a device
/// on a broker, as the suite compares them (HRT-CONF-020 to HRT-CONF-023).
#[test]
fn init_from_a_description_on_a_broker() {
    let fan = common::fan_on_broker("fan-ics");
    let out = fan.dir().join("fan.ics.toml");
    let o = hearth(&[
        "ics",
        "init",
        "--from-description",
        &fan.addr(),
        "--broker",
        &fan.url,
        "--pki",
        p(fan.dir()),
        "--out",
        p(&out),
    ]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let text = std::fs::read_to_string(&out).expect("written");
    let claims = hearth_conformance::ics_write::claims_of(&hearth_testkit::fan(&fan.id));
    let ics = hearth_conformance::ics::Ics::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(ics.components, claims, "{text}");
    assert_eq!(ics.device.id, fan.id);
    assert_eq!(ics.device.device_type, "fan");
    assert_eq!(ics.parameters.broker, fan.url);
    assert!(text.contains("trust = \"root.cert\""), "{text}");
    let o = hearth(&["test", "--check-ics", "--ics", p(&out)]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    // No such device: said, after the timeout.
    let o = hearth(&[
        "ics",
        "init",
        "--from-description",
        "fff1/nobody",
        "--timeout",
        "0.5",
        "--broker",
        &fan.url,
        "--pki",
        p(fan.dir()),
        "--out",
        p(&fan.dir().join("nobody.toml")),
    ]);
    assert_eq!(o.status.code(), Some(4), "{o:?}");
    assert!(stderr(&o).contains("no verified description"), "{o:?}");
}
