//! `hearth broker` and `hearth ctl` as a user runs them: the broker and every controller
//! command are processes; the device runs in the test. With `HEARTH_TEST_BROKER` set, the
//! same commands run against that broker instead.

mod common;

use std::process::Output;

use common::{assert_contains, broker, exited, fan_on_broker, hearth, p, pki_init, spawn, stdout};
use hearth_model::{Path, Value};

/// `hearth ctl --broker URL --pki DIR --timeout SECONDS ARGS...`
fn ctl_within(url: &str, dir: &std::path::Path, timeout: &str, args: &[&str]) -> Output {
    let mut all = vec![
        "ctl",
        "--broker",
        url,
        "--pki",
        p(dir),
        "--timeout",
        timeout,
    ];
    all.extend_from_slice(args);
    hearth(&all)
}

/// `hearth ctl --broker URL --pki DIR --timeout 5 ARGS...`
fn ctl(url: &str, dir: &std::path::Path, args: &[&str]) -> Output {
    ctl_within(url, dir, "5", args)
}

#[test]
fn discover_lists_the_device_with_its_fields() {
    let fan = fan_on_broker("fan-disc");
    let (url, dir, id) = (&fan.url, fan.dir(), &fan.id);

    // `describe` waits for the description, so `discover` below finds it on the broker.
    let o = ctl(url, dir, &["describe", id]);
    let text = exited(&o, 0);
    assert_contains(
        &text,
        &[
            "fan-control",
            "level",
            "max 12",
            "Baby breeze (0x8001)",
            "check",
        ],
    );
    let o = ctl(url, dir, &["describe", &fan.addr(), "--json"]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(doc["description"]["device_type"], "fan", "{doc}");
    assert_eq!(doc["raw"]["device_id"], id.as_str(), "{doc}");

    let o = ctl(url, dir, &["discover", "--json"]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let list: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let entry = list
        .as_array()
        .expect("an array")
        .iter()
        .find(|e| e["id"] == format!("fff1/{id}"))
        .unwrap_or_else(|| panic!("{id} discovered: {list}"));
    assert_eq!(entry["device_type"], "fan", "{entry}");
    assert_eq!(entry["vendor_id"], "fff1", "{entry}");
    assert_eq!(entry["online"], true, "{entry}");
    assert_eq!(entry["model"], "TF-1", "{entry}");
    assert_eq!(entry["description_valid"], true, "{entry}");

    let o = ctl(url, dir, &["discover"]);
    let text = exited(&o, 0);
    assert!(
        text.contains(&format!("fff1/{id}")) && text.contains("online"),
        "{text}"
    );
    // The vendor in the form of the topics, as everywhere.
    assert!(!text.contains("0xfff1"), "{text}");

    // `--root`: the device is under the default root, so another root shows nothing and
    // naming the default finds it.
    let o = ctl_within(
        url,
        dir,
        "1",
        &["--root", "elsewhere/1", "describe", &fan.addr()],
    );
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    let o = ctl(url, dir, &["--root", "hearth/1", "describe", &fan.addr()]);
    exited(&o, 0);
}

#[test]
fn read_write_and_invoke() {
    let fan = fan_on_broker("fan-rw");
    let (url, dir, id, memory) = (&fan.url, fan.dir(), &fan.id, &fan.memory);
    let addr = fan.addr();
    let level = Path::new(0, 9, 1);

    let o = ctl(
        url,
        dir,
        &["read", &addr, "0/fan-control/level", "0/mode/current-mode"],
    );
    let text = exited(&o, 0);
    assert!(text.contains("0/fan-control/level = 1"), "{text}");
    assert!(
        text.contains("0/mode/current-mode = normal (0x0801)"),
        "{text}"
    );

    let o = ctl(url, dir, &["write", id, "0/fan-control/level", "5"]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert!(stdout(&o).contains("0/fan-control/level: success"), "{o:?}");
    assert_eq!(memory.get(&level), Some(Value::Int(5)));

    let o = ctl(url, dir, &["write", &addr, "0/fan-control/level", "13"]);
    let text = exited(&o, 1);
    assert!(
        text.contains("constraint-error") && text.contains("0/fan-control/level"),
        "{text}"
    );
    assert_eq!(memory.get(&level), Some(Value::Int(5)));

    // Names, labels and units are typed from the catalog and the description.
    let o = ctl(url, dir, &["write", &addr, "0/mode/current-mode", "sleep"]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let o = ctl(url, dir, &["write", &addr, "0/9/1", "0x0c"]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let o = ctl(
        url,
        dir,
        &[
            "read",
            &addr,
            "0/mode/current-mode",
            "0/fan-control/level",
            "--json",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let rows: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(rows[0]["value"], "sleep (0x0803)", "{rows}");
    assert_eq!(rows[0]["status"], "success", "{rows}");
    assert_eq!(rows[1]["raw"], 12, "{rows}");
    let o = ctl(
        url,
        dir,
        &["write", &addr, "0/mode/current-mode", "baby breeze"],
    );
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert_eq!(memory.get(&Path::new(0, 5, 1)), Some(Value::Int(0x8001)));

    // Units: an hour in seconds, on the declared grid.
    let o = ctl(url, dir, &["write", &addr, "0/timer/off-delay", "1h"]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert_eq!(memory.get(&Path::new(0, 11, 1)), Some(Value::Int(3600)));
    let o = ctl(url, dir, &["read", &addr, "0/timer/off-delay"]);
    assert!(stdout(&o).contains("0/timer/off-delay = 3600 s"), "{o:?}");

    // Usage errors: a value and a path that name nothing, with what is meant.
    let err = |o: &Output| String::from_utf8_lossy(&o.stderr).into_owned();
    let o = ctl(url, dir, &["write", &addr, "0/mode/current-mode", "toast"]);
    assert_eq!(o.status.code(), Some(64), "{o:?}");
    assert!(
        err(&o).contains("is not one the device declares: "),
        "{o:?}"
    );
    assert!(
        err(&o).contains("Baby breeze"),
        "the device's own codes: {o:?}"
    );
    let o = ctl(url, dir, &["read", &addr, "0/no-such-capability/level"]);
    assert_eq!(o.status.code(), Some(64), "{o:?}");
    let o = ctl(url, dir, &["read", &addr, "0/fan-control/levl"]);
    assert_eq!(o.status.code(), Some(64), "{o:?}");
    assert!(
        err(&o).contains("did you mean `fan-control/level`?"),
        "{o:?}"
    );
    let o = ctl(url, dir, &["read", &addr, "0/fan-contrl/level"]);
    assert!(err(&o).contains("did you mean `fan-control`?"), "{o:?}");
    // Out of the declared range: refused, and the range said.
    let o = ctl(url, dir, &["write", &addr, "0/fan-control/level", "13"]);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(stdout(&o).contains("constraint-error"), "{o:?}");
    assert!(err(&o).contains("0/fan-control/level accepts "), "{o:?}");
    assert!(err(&o).contains("12"), "{o:?}");

    let o = ctl(url, dir, &["invoke", &addr, "0/firmware-update/check"]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert!(
        stdout(&o).contains("0/firmware-update/check: success"),
        "{o:?}"
    );
    let invoked = memory.invoked.lock().expect("lock").clone();
    assert_eq!(invoked.len(), 1);
    assert_eq!(invoked[0].0, Path::new(0, 19, 1));
}

#[test]
fn unknown_devices_time_out_and_bad_brokers_fail() {
    let (url, _broker) = broker();
    let tmp = tempfile::tempdir().expect("tempdir");
    pki_init(tmp.path());
    let args = ["read", "fff1/nobody-here", "0/fan-control/level"];
    let o = ctl_within(&url, tmp.path(), "0.5", &args);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("no description"),
        "{o:?}"
    );
    // A set-up error: no broker there.
    let o = ctl_within("mqtt://127.0.0.1:1", tmp.path(), "0.5", &["discover"]);
    assert_eq!(o.status.code(), Some(4), "{o:?}");
    let o = hearth(&[
        "ctl",
        "--pki",
        p(tmp.path()),
        "read",
        "not a device!",
        "0/1/1",
    ]);
    assert_eq!(o.status.code(), Some(64), "{o:?}");
}

#[cfg(unix)]
#[test]
fn watch_streams_reports_as_json_lines_until_terminated() {
    use std::process::Command;
    use std::sync::mpsc::RecvTimeoutError;
    use std::time::{Duration, Instant};

    let fan = fan_on_broker("fan-watch");
    let (url, dir, id) = (&fan.url, fan.dir(), &fan.id);
    let addr = fan.addr();

    let (mut child, lines) = spawn(&[
        "ctl",
        "--broker",
        url,
        "--pki",
        p(dir),
        "watch",
        id,
        "--json",
    ]);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in lines {
            if tx.send(line).is_err() {
                break;
            }
        }
    });

    // Report until the watcher shows a report: it is ready once it prints one.
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut level = 1;
    let report = 'outer: loop {
        assert!(Instant::now() < deadline, "no report watched");
        level = level % 12 + 1;
        fan.rt
            .block_on(
                fan.device
                    .report(vec![(Path::new(0, 9, 1), Value::Int(level))]),
            )
            .expect("report");
        loop {
            match rx.recv_timeout(Duration::from_millis(300)) {
                Ok(line) => {
                    let line = line.expect("read a line");
                    let doc: serde_json::Value =
                        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
                    if doc["type"] == "report" {
                        break 'outer doc;
                    }
                }
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => panic!("the watcher stopped"),
            }
        }
    };
    assert_eq!(report["device"], addr.as_str(), "{report}");
    assert_eq!(
        report["values"][0]["path"], "0/fan-control/level",
        "{report}"
    );
    assert!(report["values"][0]["raw"].is_i64(), "{report}");

    // SIGTERM ends it cleanly.
    let term = Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .expect("kill -TERM");
    assert!(term.success());
    let status = child.0.wait().expect("wait");
    assert_eq!(status.code(), Some(0), "{status:?}");
}

/// `hearth ctl agent` (spec/08-controllers.md §4): requests on standard input, one answer
/// line each on standard output and nothing else there, a belief that follows the device,
/// and `stop` ending the process with 0 (HRT-CTL-010, HRT-CTL-013, HRT-CTL-017).
#[test]
fn agent_answers_json_lines_on_standard_output() {
    use std::io::{BufRead, BufReader, Write};
    use std::process::Stdio;

    let fan = fan_on_broker("fan-agent");
    let (url, dir) = (&fan.url, fan.dir());
    let device = fan.addr();
    let mut child = common::start(
        &["ctl", "--broker", url, "--pki", p(dir), "agent"],
        Stdio::piped(),
    );
    let mut input = child.stdin.take().expect("stdin");
    let mut output = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut ask = |line: String| -> serde_json::Value {
        writeln!(input, "{line}").expect("write a request");
        let answer = output
            .next()
            .expect("an answer line")
            .expect("read an answer");
        serde_json::from_str(&answer).unwrap_or_else(|e| panic!("{e}: {answer}"))
    };
    let hello = ask(r#"{"id":1,"op":"hello"}"#.into());
    assert_eq!(hello["ok"]["protocol"], 1, "{hello}");
    let written = ask(format!(
        r#"{{"id":2,"op":"write","device":"{device}","values":[{{"path":"0/9/1","value":5}}]}}"#
    ));
    assert_eq!(
        written["ok"]["statuses"][0]["status"], "success",
        "{written}"
    );
    let reached = ask(format!(
        r#"{{"id":3,"op":"await","device":"{device}","path":"0/9/1","value":5,"timeout_ms":10000}}"#
    ));
    assert_eq!(reached["ok"]["reached"], true, "{reached}");
    let stop = ask(r#"{"id":4,"op":"stop"}"#.into());
    assert_eq!(stop["ok"], serde_json::json!({}), "{stop}");
    assert!(output.next().is_none(), "nothing after the answer to stop");
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(0), "{status:?}");
}
