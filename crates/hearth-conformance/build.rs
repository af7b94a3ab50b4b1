//! Embeds the specification chapters (`spec/*.md`) so that the requirement index can be built
//! from them at run time without any files: the binary carries the text it was built from.
//!
//! It also writes the table of typed requirement identifiers (`req_table.rs`, included by
//! `requirements::req`): one constant per `**[HRT-<AREA>-<NNN>]**` the chapters state, so that
//! test cases name requirements the compiler knows. A test checks that the table and the
//! index extracted at run time hold the same identifiers.

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

    let mut table: Vec<(String, String, String)> = files
        .iter()
        .filter_map(|(name, path)| Some((name, std::fs::read_to_string(path).ok()?)))
        .flat_map(|(name, text)| {
            stated(&text)
                .into_iter()
                .map(move |(id, s)| (id, name.clone(), s))
        })
        .collect();
    table.sort();
    table.dedup_by(|a, b| a.0 == b.0);
    let mut req = String::new();
    for (id, chapter, statement) in &table {
        let doc = format!("`{id}` (`spec/{chapter}`): {statement}");
        writeln!(
            req,
            "#[doc = {doc:?}]\npub const {}: Req = Req({id:?});",
            id.replace('-', "_")
        )
        .expect("write to string");
    }
    req.push_str(
        "/// Every requirement the specification states, sorted by identifier.\npub static ALL: &[Req] = &[\n",
    );
    for (id, _, _) in &table {
        writeln!(req, "    {},", id.replace('-', "_")).expect("write to string");
    }
    req.push_str("];\n");

    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out_dir.join("spec_chapters.rs"), out).expect("write spec_chapters.rs");
    std::fs::write(out_dir.join("req_table.rs"), req).expect("write req_table.rs");
}

/// Every `**[HRT-<AREA>-<NNN>]**` of a chapter with the first words of its statement: the
/// rest of its paragraph, up to 160 characters.
fn stated(text: &str) -> Vec<(String, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let mut rest = *line;
        while let Some(at) = rest.find("**[HRT-") {
            let after = &rest[at + 3..];
            let Some(end) = after.find("]**") else {
                break;
            };
            let id = &after[..end];
            let well_formed = id.split('-').count() == 3
                && id
                    .split('-')
                    .nth(1)
                    .is_some_and(|a| !a.is_empty() && a.bytes().all(|b| b.is_ascii_uppercase()))
                && id
                    .split('-')
                    .nth(2)
                    .is_some_and(|n| n.len() == 3 && n.bytes().all(|b| b.is_ascii_digit()));
            if well_formed {
                let mut statement = after[end + 3..].trim().to_owned();
                for next in lines.iter().skip(i + 1) {
                    let next = next.trim();
                    if next.is_empty() || next.starts_with("- ") || next.starts_with("**[") {
                        break;
                    }
                    statement.push(' ');
                    statement.push_str(next);
                }
                let mut short: String = statement.chars().take(160).collect();
                if short.len() < statement.len() {
                    short.push('…');
                }
                out.push((id.to_owned(), short));
            }
            rest = &after[end + 3..];
        }
    }
    out
}
