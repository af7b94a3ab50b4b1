//! Embeds the specification chapters (`spec/*.md`) so that the requirement index can be built
//! from them at run time without any files: the binary carries the text it was built from.

use std::fmt::Write as _;
use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    );
    let spec = manifest.join("../../spec");
    let spec = spec.canonicalize().unwrap_or(spec);
    println!("cargo:rerun-if-changed={}", spec.display());

    let mut files: Vec<(String, PathBuf)> = std::fs::read_dir(&spec)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "md"))
                .filter_map(|p| {
                    let name = p.file_name()?.to_str()?.to_owned();
                    Some((name, p))
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();

    let mut out = String::from(
        "/// Every chapter of the specification, as (file name in `spec/`, contents), by file name.\n\
         pub(crate) static CHAPTERS: &[(&str, &str)] = &[\n",
    );
    for (name, path) in &files {
        println!("cargo:rerun-if-changed={}", path.display());
        writeln!(
            out,
            "    ({name:?}, include_str!({:?})),",
            path.display().to_string()
        )
        .expect("write to string");
    }
    out.push_str("];\n");

    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out_dir.join("spec_chapters.rs"), out).expect("write spec_chapters.rs");
}
