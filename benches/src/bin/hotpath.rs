//! The hot path against the signature, measured the way the ratio is meant: interleaved.
//!
//! Criterion measures one function after another, so a machine whose load changes between
//! them (a build beside it, a CPU that clocks down) moves one number and not the other. This
//! binary alternates instead: in each round it times a batch of raw ring Ed25519
//! verifications, a batch of `Receiver::open` of sealed reports, a batch of raw signatures
//! and a batch of `Sender::seal`, back to back, and keeps each round's ratio. Whatever the
//! load does, it does to both sides of a ratio within a round. It prints the median ratio
//! with the 10th and 90th percentiles, and the median time of each side.
//!
//! `cargo run --release -p hearth-benches --bin hotpath [-- ROUNDS BATCH] [--json]`, or
//! `-- --parts` for the cost of each step alone.

use std::hint::black_box;
use std::time::Instant;

use hearth_benches::{report, Pki, Raw, NOW, REPORT_TOPIC};
use hearth_security::cose::Sign1;
use hearth_wire::Envelope;
use ring::signature::{UnparsedPublicKey, ED25519};

/// The median, 10th and 90th percentile of `values` (sorted in place).
fn percentiles(values: &mut [f64]) -> (f64, f64, f64) {
    values.sort_by(f64::total_cmp);
    let at = |q: f64| {
        let i = ((values.len() - 1) as f64 * q).round() as usize;
        values[i]
    };
    (at(0.5), at(0.1), at(0.9))
}

/// Nanoseconds per call of `f`, over `batch` calls.
fn per_call(batch: usize, mut f: impl FnMut()) -> f64 {
    let start = Instant::now();
    for _ in 0..batch {
        f();
    }
    start.elapsed().as_nanos() as f64 / batch as f64
}

fn main() {
    if std::env::args().any(|a| a == "--parts") {
        parts();
        return;
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let json = args.iter().any(|a| a == "--json");
    let numbers: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
    let rounds = numbers.first().copied().unwrap_or(40).max(3);
    let batch = numbers.get(1).copied().unwrap_or(500).max(10);

    let pki = Pki::new();
    let mut tx = pki.sender();
    let mut rx = pki.receiver();
    let Raw {
        key,
        public,
        to_be_signed,
        signature,
    } = Raw::new(&pki);
    let public = UnparsedPublicKey::new(&ED25519, public);

    let (mut open_ratio, mut seal_ratio) = (Vec::new(), Vec::new());
    let (mut verify_ns, mut open_ns, mut sign_ns, mut seal_ns) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        // Sealed outside the timing: each open needs a counter the window has not seen.
        let sealed: Vec<Vec<u8>> = (0..batch)
            .map(|_| {
                tx.seal(report(), REPORT_TOPIC, &Envelope::default())
                    .expect("seal")
            })
            .collect();
        let verify = per_call(batch, || {
            public
                .verify(black_box(&to_be_signed), black_box(&signature))
                .expect("verifies");
        });
        let mut next = sealed.iter();
        let open = per_call(batch, || {
            let bytes = next.next().expect("one sealed report per call");
            black_box(rx.open(bytes, REPORT_TOPIC, NOW).expect("opens"));
        });
        let sign = per_call(batch, || {
            black_box(key.sign(black_box(&to_be_signed)));
        });
        let seal = per_call(batch, || {
            black_box(
                tx.seal(report(), REPORT_TOPIC, &Envelope::default())
                    .expect("seal"),
            );
        });
        open_ratio.push(open / verify);
        seal_ratio.push(seal / sign);
        verify_ns.push(verify);
        open_ns.push(open);
        sign_ns.push(sign);
        seal_ns.push(seal);
    }
    let (open_m, open_lo, open_hi) = percentiles(&mut open_ratio);
    let (seal_m, seal_lo, seal_hi) = percentiles(&mut seal_ratio);
    let median = |v: &mut Vec<f64>| percentiles(v).0 / 1000.0;
    let (verify, open, sign, seal) = (
        median(&mut verify_ns),
        median(&mut open_ns),
        median(&mut sign_ns),
        median(&mut seal_ns),
    );
    if json {
        println!(
            "{{\"rounds\":{rounds},\"batch\":{batch},\"open_over_verify\":{{\"median\":{open_m:.4},\"p10\":{open_lo:.4},\"p90\":{open_hi:.4}}},\"seal_over_sign\":{{\"median\":{seal_m:.4},\"p10\":{seal_lo:.4},\"p90\":{seal_hi:.4}}},\"us\":{{\"verify\":{verify:.2},\"open\":{open:.2},\"sign\":{sign:.2},\"seal\":{seal:.2}}}}}"
        );
    } else {
        println!("{rounds} interleaved rounds of {batch} calls each");
        println!(
            "open / raw verify  {open_m:.3}  (p10 {open_lo:.3}, p90 {open_hi:.3})   open {open:.2} µs, verify {verify:.2} µs"
        );
        println!(
            "seal / raw sign    {seal_m:.3}  (p10 {seal_lo:.3}, p90 {seal_hi:.3})   seal {seal:.2} µs, sign {sign:.2} µs"
        );
    }
}

/// `--parts`: what each step of the hot path costs alone, in nanoseconds per call — the
/// envelope's parse, the payload's decode, the `Sig_structure`, and a report's numbering and
/// encoding — to see where the difference between a ratio and 1 goes.
fn parts() {
    use hearth_wire::codec::{decode, encode, Limits};
    let pki = Pki::new();
    let mut tx = pki.sender();
    let sealed = tx
        .seal(report(), REPORT_TOPIC, &Envelope::default())
        .expect("seal");
    let n = 20_000;
    let parse = per_call(n, || {
        black_box(hearth_security::cose::Envelope::parse(black_box(&sealed)).expect("parses"));
    });
    let envelope = hearth_security::cose::Envelope::parse(&sealed).expect("parses");
    let payload = envelope.unverified_payload().to_vec();
    let decoded = per_call(n, || {
        black_box(decode(black_box(&payload), &Limits::STANDARD).expect("decodes"));
    });
    let sign1 = Sign1::parse(&sealed).expect("parses");
    let structure = per_call(n, || {
        black_box(sign1.to_be_signed(REPORT_TOPIC.as_bytes(), None));
    });
    let encoded = per_call(n, || {
        let msg = tx
            .message(report(), &Envelope::default())
            .expect("numbered");
        black_box(encode(black_box(&msg)));
    });
    println!(
        "envelope parse {parse:.0} ns, payload decode {decoded:.0} ns, Sig_structure {structure:.0} ns, numbering and encoding {encoded:.0} ns"
    );
}
