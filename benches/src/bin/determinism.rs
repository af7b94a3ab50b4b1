//! Determinism of the suite's verdicts: runs `hearth demo` again and again, optionally with
//! CPU-heavy processes beside it, and compares every verdict (per device and test case) with
//! the first run's. It also gives the figures `benches/README.md` reports: demo wall time,
//! run time per device and report sizes.
//!
//! ```sh
//! cargo build --release
//! cargo run --release -p hearth-benches --bin determinism -- --runs 30 --load 2
//! ```
//!
//! `--load N` starts N processes that spin on a core each for the whole measurement (this
//! binary again, with `--spin`), so the verdicts are checked on a busy machine. Exit status:
//! 0 when every run gave the first run's verdicts and no device failed, 1 otherwise.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::Instant;

use serde_json::Value;

/// Options of one measurement.
struct Options {
    runs: usize,
    load: usize,
    hearth: PathBuf,
    out: PathBuf,
    keep: bool,
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: determinism [--runs N] [--load N] [--hearth PATH] [--out DIR] [--keep]\n\
         runs `hearth demo` N times (default 10) beside N CPU-heavy processes (default 0)\n\
         and compares every verdict with the first run's"
    );
    ExitCode::from(2)
}

fn parse(args: &[String]) -> Option<Options> {
    let mut o = Options {
        runs: 10,
        load: 0,
        hearth: PathBuf::from("target/release/hearth"),
        out: std::env::temp_dir().join("hearth-determinism"),
        keep: false,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--runs" => o.runs = it.next()?.parse().ok().filter(|n| *n > 0)?,
            "--load" => o.load = it.next()?.parse().ok()?,
            "--hearth" => o.hearth = it.next()?.into(),
            "--out" => o.out = it.next()?.into(),
            "--keep" => o.keep = true,
            _ => return None,
        }
    }
    Some(o)
}

/// One device's results in one run.
struct DeviceRun {
    /// `(case id, verdict, failed requirements)` in report order.
    verdicts: Vec<(String, String, String)>,
    /// Milliseconds from the run's start to its end.
    duration_ms: u64,
    /// Bytes of report.json, report.html and report.cose.
    sizes: [u64; 3],
}

/// Every device's results of the demo written to `dir`, by device folder.
fn read_run(dir: &Path) -> Result<BTreeMap<String, DeviceRun>, String> {
    let mut out = BTreeMap::new();
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries.flatten() {
        let report = entry.path().join("report.json");
        let Ok(text) = std::fs::read_to_string(&report) else {
            continue;
        };
        let json: Value =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", report.display()))?;
        let verdicts = json["tests"]
            .as_array()
            .ok_or_else(|| format!("{}: no tests", report.display()))?
            .iter()
            .map(|t| {
                let failed = t["failed_requirements"]
                    .as_array()
                    .map(|r| {
                        r.iter()
                            .filter_map(Value::as_str)
                            .collect::<Vec<_>>()
                            .join(",")
                    })
                    .unwrap_or_default();
                (
                    t["id"].as_str().unwrap_or("?").to_owned(),
                    t["verdict"].as_str().unwrap_or("?").to_owned(),
                    failed,
                )
            })
            .collect();
        let time = |key: &str| {
            json[key]
                .as_str()
                .and_then(hearth_model::time::parse_ms)
                .unwrap_or(0)
        };
        let size = |name: &str| std::fs::metadata(entry.path().join(name)).map_or(0, |m| m.len());
        out.insert(
            entry.file_name().to_string_lossy().into_owned(),
            DeviceRun {
                verdicts,
                duration_ms: time("finished").saturating_sub(time("started")),
                sizes: [
                    size("report.json"),
                    size("report.html"),
                    size("report.cose"),
                ],
            },
        );
    }
    if out.is_empty() {
        return Err(format!("{} holds no device report", dir.display()));
    }
    Ok(out)
}

/// The processes that keep the machine busy, ended when dropped.
struct Load(Vec<Child>);

impl Load {
    fn start(n: usize) -> std::io::Result<Self> {
        let me = std::env::current_exe()?;
        let children = (0..n)
            .map(|_| {
                Command::new(&me)
                    .arg("--spin")
                    .stdout(Stdio::null())
                    .spawn()
            })
            .collect::<std::io::Result<Vec<_>>>()?;
        Ok(Self(children))
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Spin on one core until killed.
fn spin() -> ExitCode {
    let mut x: u64 = 1;
    loop {
        x = std::hint::black_box(x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1));
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--spin") {
        return spin();
    }
    let Some(o) = parse(&args) else {
        return usage();
    };
    if !o.hearth.exists() {
        eprintln!(
            "{} not found: build it with `cargo build --release` or give --hearth",
            o.hearth.display()
        );
        return ExitCode::from(2);
    }
    let _load = match Load::start(o.load) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cannot start the load: {e}");
            return ExitCode::from(2);
        }
    };
    let mut first: Option<BTreeMap<String, DeviceRun>> = None;
    let (mut differing, mut failing) = (0usize, 0usize);
    let mut walls = Vec::new();
    let mut per_device = Vec::new();
    let mut sizes = [0u64; 3];
    println!(
        "{} runs of `hearth demo` beside {} CPU-heavy processes",
        o.runs, o.load
    );
    for run in 1..=o.runs {
        let dir = o.out.join(format!("run-{run}"));
        let _ = std::fs::remove_dir_all(&dir);
        let started = Instant::now();
        let status = Command::new(&o.hearth)
            .arg("demo")
            .arg("--out")
            .arg(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let wall = started.elapsed();
        let results = match status
            .map_err(|e| e.to_string())
            .and_then(|_| read_run(&dir))
        {
            Ok(r) => r,
            Err(e) => {
                eprintln!("run {run}: {e}");
                return ExitCode::from(2);
            }
        };
        let fails = results
            .values()
            .flat_map(|d| &d.verdicts)
            .filter(|(_, v, _)| v != "pass" && v != "not-applicable")
            .count();
        let diff = match &first {
            None => 0,
            Some(base) => count_differences(base, &results),
        };
        failing += fails;
        differing += diff;
        walls.push(wall.as_secs_f64());
        for d in results.values() {
            per_device.push(d.duration_ms as f64 / 1000.0);
            for (max, s) in sizes.iter_mut().zip(d.sizes) {
                *max = (*max).max(s);
            }
        }
        println!(
            "run {run:>3}: {:>6.1} s, {} devices, {fails} not pass or n/a, {diff} verdicts differ from run 1",
            wall.as_secs_f64(),
            results.len()
        );
        for (device, d) in &results {
            for (case, verdict, failed) in &d.verdicts {
                if verdict != "pass" && verdict != "not-applicable" {
                    println!("          {device} {case}: {verdict} {failed}");
                }
            }
        }
        if first.is_none() {
            first = Some(results);
        }
        // A run that differs or fails is kept, so that its reports say why.
        if !o.keep && fails == 0 && diff == 0 {
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
    let stat = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
        format!("median {:.1} s, max {:.1} s", at(0.5), at(1.0))
    };
    println!("demo wall time:      {}", stat(&mut walls));
    println!("suite per device:    {}", stat(&mut per_device));
    println!(
        "largest report:      {} B json, {} B html, {} B cose",
        sizes[0], sizes[1], sizes[2]
    );
    println!("verdicts differing:  {differing} over {} runs", o.runs);
    println!("not pass or n/a:     {failing}");
    if differing == 0 && failing == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// How many (device, case) verdicts of `run` differ from `base`, cases missing on either
/// side included.
fn count_differences(
    base: &BTreeMap<String, DeviceRun>,
    run: &BTreeMap<String, DeviceRun>,
) -> usize {
    let index = |m: &BTreeMap<String, DeviceRun>| {
        m.iter()
            .flat_map(|(dev, d)| {
                d.verdicts
                    .iter()
                    .map(move |(c, v, f)| ((dev.clone(), c.clone()), (v.clone(), f.clone())))
            })
            .collect::<BTreeMap<_, _>>()
    };
    let (a, b) = (index(base), index(run));
    let keys: std::collections::BTreeSet<_> = a.keys().chain(b.keys()).collect();
    keys.into_iter().filter(|k| a.get(*k) != b.get(*k)).count()
}
