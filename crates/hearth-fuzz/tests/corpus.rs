//! The committed seed corpus as a regression suite on stable Rust: every seed runs through
//! its target without a panic, and every target has seeds that get all the way through
//! (decoded, opened, validated or verified), so the fuzzer starts behind the signature
//! checks rather than in front of them.

use std::fs;
use std::path::Path;

use hearth_fuzz::targets::ALL;

fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target);
    let mut seeds: Vec<(String, Vec<u8>)> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| {
            let path = e.expect("a readable folder entry").path();
            let bytes = fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (path.display().to_string(), bytes)
        })
        .collect();
    seeds.sort();
    seeds
}

#[test]
fn every_seed_runs_and_every_target_gets_through() {
    for (target, run) in ALL {
        let seeds = corpus(target);
        assert!(!seeds.is_empty(), "{target} has no seeds");
        let through = seeds.iter().filter(|(_, bytes)| run(bytes)).count();
        println!("{target}: {through} of {} seeds get through", seeds.len());
        assert!(through > 0, "no seed of {target} gets through");
    }
}

#[test]
fn the_fuzz_manifest_names_every_target() {
    let manifest =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/Cargo.toml"))
            .expect("fuzz/Cargo.toml");
    let bins: Vec<&str> = manifest
        .lines()
        .filter_map(|l| l.strip_prefix("name = \""))
        .filter_map(|l| l.strip_suffix('"'))
        .filter(|name| *name != "hearth-fuzz-targets")
        .collect();
    let names: Vec<&str> = ALL.iter().map(|(name, _)| *name).collect();
    assert_eq!(bins, names);
}
