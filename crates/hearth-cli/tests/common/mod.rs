//! Fixtures for the end-to-end tests: the `hearth` binary, a `hearth broker` process (or
//! `HEARTH_TEST_BROKER`), a PKI made by `hearth pki init`, and a memory-backed fan device
//! running in the test process. The rest comes from `hearth-testkit`.

#![allow(dead_code, unreachable_pub, unused_imports)]

use std::io::{BufRead, BufReader, Lines};
use std::path::Path as FsPath;
use std::process::{Child, ChildStdout, Command, Output, Stdio};

use hearth_mqtt::{BrokerUrl, DeviceHandle};
use hearth_security::acl::Privilege;
use hearth_testkit::broker::external;
use hearth_testkit::memory::MemoryDevice;
use hearth_testkit::node::{connected, spawn_device};
use hearth_testkit::pki::root_acl_in;
pub use hearth_testkit::process::{arg as p, assert_contains, stderr, stdout, KillOnDrop};
pub use hearth_testkit::unique;

/// The `hearth` binary, to be given arguments.
pub fn command() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hearth"))
}

/// Run `hearth` with these arguments.
pub fn hearth(args: &[&str]) -> Output {
    command().args(args).output().expect("run hearth")
}

/// The broker to test against: `HEARTH_TEST_BROKER` (e.g. mosquitto), or `hearth broker` on a
/// free loopback port, ready once it prints its address.
pub fn broker() -> (String, Option<KillOnDrop>) {
    if let Some(url) = external() {
        return (url.to_string(), None);
    }
    embedded_broker()
}

/// `hearth broker` on a free port, whatever broker the tests are otherwise given: for a
/// sequence that must run as the README types it.
pub fn embedded_broker() -> (String, Option<KillOnDrop>) {
    let (process, mut lines) = spawn(&["broker", "--listen", "127.0.0.1:0"]);
    let line = lines
        .next()
        .expect("the broker's first line")
        .expect("text");
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected broker output {line:?}"))
        .to_owned();
    (url, Some(process))
}

/// Start `hearth ARGS` with its standard input held open and its standard output piped: the
/// process (killed when dropped) and its output lines.
pub fn spawn(args: &[&str]) -> (KillOnDrop, Lines<BufReader<ChildStdout>>) {
    let mut child = command()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("start hearth {args:?}: {e}"));
    let out = child.stdout.take().expect("piped stdout");
    (KillOnDrop(child), BufReader::new(out).lines())
}

/// Start `hearth ARGS` with `stdin` as its standard input, its standard output and error
/// piped.
pub fn start(args: &[&str], stdin: Stdio) -> Child {
    command()
        .args(args)
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start hearth {args:?}: {e}"))
}

/// `hearth pki init --dir DIR`.
pub fn pki_init(dir: &FsPath) {
    let o = hearth(&["pki", "init", "--dir", p(dir)]);
    assert!(o.status.success(), "pki init: {o:?}");
}

/// A tokio runtime for the devices a test runs in its own process.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// A fan device of the PKI in `dir` that admits its root's controllers to manage it,
/// running on `rt`; returns once it is connected.
pub fn start_fan(
    rt: &tokio::runtime::Runtime,
    url: &str,
    dir: &FsPath,
    id: &str,
) -> (DeviceHandle, MemoryDevice) {
    let _guard = rt.enter();
    let url: BrokerUrl = url.parse().expect("broker URL");
    let acl = root_acl_in(dir, Privilege::Manage);
    let (handle, memory) = spawn_device(&url, dir, hearth_testkit::fan(id), acl);
    assert!(
        rt.block_on(connected(&handle)),
        "the device did not connect"
    );
    (handle, memory)
}

/// A broker, a PKI by `hearth pki init` and a connected fan device with a fresh id: what
/// the tests that talk to a device share. Fields drop in order, the broker last.
pub struct FanOnBroker {
    /// The device.
    pub device: DeviceHandle,
    /// Its application state.
    pub memory: MemoryDevice,
    /// Its id.
    pub id: String,
    /// The runtime it runs on.
    pub rt: tokio::runtime::Runtime,
    /// The PKI folder.
    pub tmp: tempfile::TempDir,
    /// The broker's URL.
    pub url: String,
    _broker: Option<KillOnDrop>,
}

/// [`broker`], [`pki_init`] into a new folder, and [`start_fan`] under an id beginning with
/// `prefix`.
pub fn fan_on_broker(prefix: &str) -> FanOnBroker {
    let (url, broker) = broker();
    let tmp = tempfile::tempdir().expect("tempdir");
    pki_init(tmp.path());
    let rt = runtime();
    let id = unique(prefix);
    let (device, memory) = start_fan(&rt, &url, tmp.path(), &id);
    FanOnBroker {
        device,
        memory,
        id,
        rt,
        tmp,
        url,
        _broker: broker,
    }
}

impl FanOnBroker {
    /// The PKI folder.
    pub fn dir(&self) -> &FsPath {
        self.tmp.path()
    }

    /// The device's address as the command line writes it.
    pub fn addr(&self) -> String {
        format!("fff1/{}", self.id)
    }
}

/// `hearth pki revoke`: the CA with the credential `issuer` (`.cert` and `.key`) revokes
/// `cert`, the list written to `out`; panics if the command fails.
pub fn pki_revoke(issuer: &FsPath, cert: &FsPath, out: &FsPath) {
    let (issuer_cert, issuer_key) = (issuer.with_extension("cert"), issuer.with_extension("key"));
    let o = hearth(&[
        "pki",
        "revoke",
        "--issuer-cert",
        p(&issuer_cert),
        "--issuer-key",
        p(&issuer_key),
        "--cert",
        p(cert),
        "--out",
        p(out),
    ]);
    assert!(o.status.success(), "revoke: {o:?}");
}

/// `hearth <command...> <file> --trust <root> <extra...>`: the verifying commands
/// (`pki verify`, `report verify`, `decode`) as tests call them.
pub fn trusting(command: &[&str], file: &FsPath, root: &FsPath, extra: &[&str]) -> Output {
    let mut args = command.to_vec();
    args.extend([p(file), "--trust", p(root)]);
    args.extend_from_slice(extra);
    hearth(&args)
}

/// Assert that the command exited with `code` and its output begins with `prefix`.
pub fn assert_exit(o: &Output, code: i32, prefix: &str) {
    assert_eq!(o.status.code(), Some(code), "{o:?}");
    assert!(stdout(o).starts_with(prefix), "{prefix:?} first: {o:?}");
}

/// Assert that the command exited with `code`: its standard output.
pub fn exited(o: &Output, code: i32) -> String {
    assert_eq!(o.status.code(), Some(code), "{o:?}");
    stdout(o)
}
