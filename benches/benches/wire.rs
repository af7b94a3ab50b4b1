//! Hearth's per-message costs next to the cost of the signature itself, measured in the same
//! run: encode and decode of every message kind, seal and open of a typical report against
//! raw ring Ed25519 sign and verify of the same bytes, certificate chain validation, and
//! description and write validation. `benches/README.md` explains how to read the results.

use std::hint::black_box;

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkGroup, Criterion};
use hearth_benches::{bodies, description, report, Pki, Raw, NOW, REPORT_TOPIC};
use hearth_model::validate::{check_description, check_write};
use hearth_model::{Catalog, Path, Value};
use hearth_security::cert::{validate_chain, Certificate, TrustStore};
use hearth_security::revocation::RevocationSet;
use hearth_wire::codec::{decode, encode, Limits};
use hearth_wire::Envelope;
use ring::signature::{UnparsedPublicKey, ED25519};

fn codec(c: &mut Criterion) {
    let mut group = c.benchmark_group("codec");
    let pki = Pki::new();
    let mut tx = pki.sender();
    for (name, body) in bodies() {
        let msg = tx.message(body, &Envelope::default()).expect("message");
        let bytes = encode(&msg);
        group.bench_function(format!("encode/{name}"), |b| {
            b.iter(|| encode(black_box(&msg)))
        });
        group.bench_function(format!("decode/{name}"), |b| {
            b.iter(|| decode(black_box(&bytes), &Limits::STANDARD))
        });
    }
    group.finish();
}

/// The floor every receiver pays: one Ed25519 verification with ring, of the same bytes a
/// sealed report signs.
fn raw_verify(group: &mut BenchmarkGroup<'_, WallTime>, raw: &Raw) {
    let public = UnparsedPublicKey::new(&ED25519, raw.public.clone());
    group.bench_function("ring-ed25519-verify", |b| {
        b.iter(|| {
            public
                .verify(black_box(&raw.to_be_signed), black_box(&raw.signature))
                .expect("verifies")
        })
    });
}

fn seal_open(c: &mut Criterion) {
    let mut group = c.benchmark_group("report");
    let pki = Pki::new();
    let raw = Raw::new(&pki);
    group.bench_function("ring-ed25519-sign", |b| {
        b.iter(|| raw.key.sign(black_box(&raw.to_be_signed)))
    });
    let mut tx = pki.sender();
    group.bench_function("hearth-seal", |b| {
        b.iter(|| {
            tx.seal(report(), REPORT_TOPIC, &Envelope::default())
                .expect("seal")
        })
    });
    raw_verify(&mut group, &raw);
    let mut rx = pki.receiver();
    let mut tx = pki.sender();
    group.bench_function("hearth-open", |b| {
        b.iter_batched(
            || {
                tx.seal(report(), REPORT_TOPIC, &Envelope::default())
                    .expect("seal")
            },
            |bytes| rx.open(&bytes, REPORT_TOPIC, NOW).expect("opens"),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn certificates(c: &mut Criterion) {
    let mut group = c.benchmark_group("certificates");
    let pki = Pki::new();
    let raw = Raw::new(&pki);
    raw_verify(&mut group, &raw);
    let mut trust = TrustStore::new();
    trust.add_root(pki.root.clone()).expect("root");
    let chain = [
        pki.vendor.as_bytes().to_vec(),
        pki.device.as_bytes().to_vec(),
    ];
    let revoked = RevocationSet::default();
    group.bench_function("parse-and-validate-device-chain", |b| {
        b.iter(|| {
            let certs: Vec<Certificate> = chain
                .iter()
                .map(|c| Certificate::from_bytes(c).expect("cert"))
                .collect();
            validate_chain(&trust, &certs, NOW, &revoked).expect("valid")
        })
    });
    group.finish();
}

fn model(c: &mut Criterion) {
    let mut group = c.benchmark_group("model");
    let catalog = Catalog::standard();
    let desc = description();
    group.bench_function("check-description/air-conditioner", |b| {
        b.iter(|| check_description(catalog, black_box(&desc)).expect("valid"))
    });
    let path = Path::new(0, 6, 1);
    group.bench_function("check-write/setpoint", |b| {
        b.iter(|| check_write(catalog, &desc, &path, black_box(&Value::Int(2650))).expect("valid"))
    });
    group.finish();
}

criterion_group!(benches, codec, seal_open, certificates, model);
criterion_main!(benches);
