//! `hearth pki` end to end, running the built binary.

mod common;

use std::path::Path;
use std::process::Output;

use common::{hearth, p, pki_revoke, stdout};

/// `hearth pki verify --trust ROOT [--crl CRL] CERT...`
fn verify(root: &Path, crl: Option<&Path>, certs: &[&Path]) -> Output {
    let mut args = vec!["pki", "verify", "--trust", p(root)];
    if let Some(crl) = crl {
        args.extend(["--crl", p(crl)]);
    }
    args.extend(certs.iter().map(|c| p(c)));
    hearth(&args)
}

/// `hearth pki verify` of `files` of the lab folder `dir` against its `root.cert`.
fn verify_in(dir: &Path, files: &[&str]) -> Output {
    let paths: Vec<_> = files.iter().map(|f| dir.join(f)).collect();
    let paths: Vec<&Path> = paths.iter().map(|f| f.as_path()).collect();
    verify(&dir.join("root.cert"), None, &paths)
}

fn init(dir: &Path) {
    let o = hearth(&["pki", "init", "--dir", p(dir)]);
    assert!(o.status.success(), "init: {o:?}");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut wanted: Vec<String> = [
        "controller",
        "lab",
        "root",
        "vendor",
        "authority",
        "manage",
        "operate",
        "view",
        "stranger",
    ]
    .into_iter()
    .flat_map(|n| [format!("{n}.cert"), format!("{n}.key")])
    .chain(["manage", "operate", "view", "stranger"].map(|n| format!("{n}.chain")))
    .collect();
    wanted.sort();
    assert_eq!(names, wanted);
    // Every file it wrote, one a line.
    assert_eq!(stdout(&o).lines().count(), wanted.len(), "{o:?}");
}

/// A new folder with a PKI by `hearth pki init`, checked by [`init`].
fn initialised() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tempdir");
    init(tmp.path());
    tmp
}

fn issue_device(dir: &Path, out: &Path) {
    let o = hearth(&[
        "pki",
        "issue",
        "--role",
        "device",
        "--issuer-cert",
        p(&dir.join("vendor.cert")),
        "--issuer-key",
        p(&dir.join("vendor.key")),
        "--subject",
        "fridge-0001",
        "--device-type",
        "refrigerator",
        "--model",
        "RF-100",
        "--out",
        p(out),
    ]);
    assert!(o.status.success(), "issue: {o:?}");
}

// HRT-SEC-064, HRT-SEC-060
#[test]
fn init_issue_and_verify_chains() {
    let tmp = initialised();
    let dir = tmp.path();
    for leaf in ["vendor.cert", "lab.cert", "controller.cert"] {
        let o = verify_in(dir, &[leaf]);
        assert_eq!(o.status.code(), Some(0), "{leaf}: {o:?}");
        assert!(stdout(&o).starts_with("valid"), "{leaf}: {o:?}");
    }
    let device = dir.join("fridge");
    issue_device(dir, &device);
    // Leaf first, as in chain files.
    let o = verify_in(dir, &["fridge.cert", "vendor.cert"]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert!(stdout(&o).contains("device"), "{o:?}");
    let o = verify_in(dir, &["vendor.cert", "fridge.cert"]);
    assert_eq!(o.status.code(), Some(1), "leaf last is not a chain: {o:?}");

    let shown = hearth(&["pki", "show", p(&dir.join("fridge.key"))]);
    assert!(shown.status.success());
    assert!(stdout(&shown).contains("redacted"));
    let shown = hearth(&["pki", "show", p(&dir.join("fridge.cert"))]);
    assert!(stdout(&shown).contains("refrigerator"));
}

/// The chain files of the lab's controllers verify as they are, and a chain file stands for
/// its certificates among others; `pki show` shows each certificate of a chain.
#[test]
fn chain_files_verify_and_show() {
    let tmp = initialised();
    let dir = tmp.path();
    for name in ["manage", "operate", "view", "stranger"] {
        let o = verify_in(dir, &[&format!("{name}.chain")]);
        assert_eq!(o.status.code(), Some(0), "{name}: {o:?}");
        assert!(
            stdout(&o).contains(&format!("hearth-lab-{name}")),
            "{name}: {o:?}"
        );
    }
    let o = verify_in(dir, &["operate.cert", "authority.cert"]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let shown = hearth(&["pki", "show", p(&dir.join("operate.chain"))]);
    assert_eq!(shown.status.code(), Some(0), "{shown:?}");
    let text = stdout(&shown);
    assert!(
        text.starts_with("certificate chain (2 certificates, leaf first)"),
        "{text}"
    );
    assert!(
        text.contains("hearth-lab-operate") && text.contains("hearth-lab-authority"),
        "{text}"
    );
    assert!(text.contains("vendor id:   fff4"), "{text}");
}

// HRT-SEC-068
#[test]
fn flipped_byte_is_rejected() {
    let tmp = initialised();
    let dir = tmp.path();
    let bytes = std::fs::read(dir.join("vendor.cert")).expect("read");
    // Flip one byte in each region in turn: header, claims, signature.
    for pos in [5, bytes.len() / 2, bytes.len() - 3] {
        let mut bad = bytes.clone();
        bad[pos] ^= 0x01;
        let path = dir.join("bad.cert");
        std::fs::write(&path, &bad).expect("write");
        let o = verify_in(dir, &["bad.cert"]);
        assert_eq!(o.status.code(), Some(1), "byte {pos}: {o:?}");
        let out = stdout(&o);
        assert!(out.starts_with("invalid ("), "byte {pos}: {out}");
        assert!(
            out.len() > "invalid ()".len() + 5,
            "a reason is given: {out}"
        );
    }
}

// HRT-SEC-072, HRT-SEC-081, HRT-SEC-083
#[test]
fn revoked_device_is_rejected() {
    let tmp = initialised();
    let dir = tmp.path();
    issue_device(dir, &dir.join("fridge"));
    let crl = dir.join("vendor.crl");
    let (vendor, fridge) = (dir.join("vendor.cert"), dir.join("fridge.cert"));
    pki_revoke(&dir.join("vendor"), &fridge, &crl);
    let root = dir.join("root.cert");
    let o = verify(&root, Some(&crl), &[&fridge, &vendor]);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(stdout(&o).contains("revoked"), "{o:?}");
    // The vendor itself is not revoked by its own list.
    let o = verify(&root, Some(&crl), &[&vendor]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let shown = hearth(&["pki", "show", p(&crl)]);
    assert!(stdout(&shown).starts_with("revocation list"), "{shown:?}");
}

// HRT-SEC-065
#[test]
fn other_root_is_rejected() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    init(&a);
    init(&b);
    let device = a.join("fridge");
    issue_device(&a, &device);
    let o = verify(
        &b.join("root.cert"),
        None,
        &[&a.join("fridge.cert"), &a.join("vendor.cert")],
    );
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(stdout(&o).contains("untrusted_issuer"), "{o:?}");
}
