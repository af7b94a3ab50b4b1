//! Brokers to test against: the embedded rumqttd or the broker `HEARTH_TEST_BROKER` names
//! (CI runs the MQTT suites a second time against a mosquitto), a mosquitto a test starts for
//! itself (TLS, restarts), and a relay that cuts every connection on demand.
//!
//! Not a broker: these start or name one, and stop it when the test drops the handle.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hearth_mqtt::{BrokerUrl, EmbeddedBroker};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// The variable naming an external broker, e.g. `mqtt://127.0.0.1:1883`.
pub const BROKER_ENV: &str = "HEARTH_TEST_BROKER";

/// How long a started broker may take to accept connections.
const READY: Duration = Duration::from_secs(5);

/// The broker `HEARTH_TEST_BROKER` names, if it is set and not empty.
pub fn external() -> Option<BrokerUrl> {
    match std::env::var(BROKER_ENV) {
        Ok(url) if !url.is_empty() => Some(
            url.parse()
                .unwrap_or_else(|e| panic!("{BROKER_ENV}={url} is not a broker URL: {e}")),
        ),
        _ => None,
    }
}

/// The broker a test runs against; an embedded one stops when this is dropped.
pub struct TestBroker {
    url: BrokerUrl,
    _embedded: Option<EmbeddedBroker>,
}

/// The broker to test against: `HEARTH_TEST_BROKER`, or an embedded one on a free loopback
/// port.
pub fn broker() -> TestBroker {
    if let Some(url) = external() {
        return TestBroker {
            url,
            _embedded: None,
        };
    }
    let embedded = EmbeddedBroker::start_local().expect("embedded broker");
    TestBroker {
        url: embedded.url(),
        _embedded: Some(embedded),
    }
}

impl TestBroker {
    /// Its URL.
    pub fn url(&self) -> &BrokerUrl {
        &self.url
    }

    /// Its socket address, for relays in front of it.
    pub fn addr(&self) -> SocketAddr {
        (self.url.host.as_str(), self.url.port)
            .to_socket_addrs()
            .ok()
            .and_then(|mut a| a.next())
            .unwrap_or_else(|| panic!("{}:{} resolves", self.url.host, self.url.port))
    }
}

/// A free loopback port (free when asked; a test binds it soon after).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Wait until something accepts connections on the loopback `port`; false if nothing does
/// within five seconds.
pub async fn accepting(port: u16) -> bool {
    tokio::time::timeout(READY, async {
        while TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .is_ok()
}

/// An installed mosquitto binary.
#[derive(Debug, Clone)]
pub struct Mosquitto {
    binary: PathBuf,
}

/// A mosquitto process started by a test, killed when dropped.
#[derive(Debug)]
pub struct RunningMosquitto {
    child: tokio::process::Child,
    port: u16,
}

impl Mosquitto {
    /// The installed mosquitto, if any (CI installs it; tests that need one skip without).
    pub fn find() -> Option<Self> {
        [
            "/usr/sbin/mosquitto",
            "/usr/bin/mosquitto",
            "/usr/local/sbin/mosquitto",
        ]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .map(|binary| Self { binary })
    }

    /// [`Mosquitto::find`], noting on standard error that the calling test is skipped when
    /// there is none.
    pub fn or_skip() -> Option<Self> {
        let found = Self::find();
        if found.is_none() {
            eprintln!("skipped: mosquitto is not installed (CI installs it)");
        }
        found
    }

    /// Start it on the loopback `port` with `extra` configuration lines after an anonymous
    /// listener, its configuration written into `dir`; returns once it accepts connections.
    ///
    /// Started as root, mosquitto drops to its own user: `dir` and what it holds are opened
    /// to it first, so it can read certificates and write its persistence file there.
    pub async fn start(&self, dir: &Path, port: u16, extra: &str) -> RunningMosquitto {
        open_to_all(dir);
        let conf = dir.join("mosquitto.conf");
        std::fs::write(
            &conf,
            format!("listener {port} 127.0.0.1\nallow_anonymous true\n{extra}"),
        )
        .expect("write mosquitto.conf");
        let child = tokio::process::Command::new(&self.binary)
            .arg("-c")
            .arg(&conf)
            .kill_on_drop(true)
            .spawn()
            .expect("mosquitto starts");
        assert!(accepting(port).await, "mosquitto listens on {port}");
        RunningMosquitto { child, port }
    }
}

/// Let any user read the files in `dir` and write in it and its folders.
fn open_to_all(dir: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| if p.is_dir() { 0o777 } else { 0o644 };
        let entries = std::fs::read_dir(dir).into_iter().flatten().flatten();
        for p in std::iter::once(dir.to_path_buf()).chain(entries.map(|e| e.path())) {
            let _ = std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode(&p)));
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
}

impl RunningMosquitto {
    /// Its plain-TCP URL.
    pub fn url(&self) -> BrokerUrl {
        BrokerUrl::plain("127.0.0.1", self.port)
    }

    /// Its port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stop it with SIGTERM, so it writes its persistence file, and wait for it to exit.
    pub async fn stop(&mut self) {
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .arg("-TERM")
                .arg(pid.to_string())
                .status();
        }
        let _ = tokio::time::timeout(READY, self.child.wait()).await;
    }
}

/// A TCP relay between clients and a broker that can cut every connection, so a test can
/// make the broker disappear and come back as the clients see it.
pub struct Proxy {
    addr: SocketAddr,
    down: Arc<AtomicBool>,
    links: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    /// Relay a free loopback port to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("proxy address");
        let down = Arc::new(AtomicBool::new(false));
        let links: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let (d, l) = (down.clone(), links.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if d.load(Ordering::SeqCst) {
                    continue; // dropped: the broker is "down"
                }
                let link = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                l.lock().expect("lock").push(link);
            }
        });
        Self { addr, down, links }
    }

    /// The URL clients connect to.
    pub fn url(&self) -> BrokerUrl {
        BrokerUrl::plain("127.0.0.1", self.addr.port())
    }

    /// Cut every connection and refuse new ones until [`Proxy::restore`].
    pub fn cut(&self) {
        self.down.store(true, Ordering::SeqCst);
        for link in self.links.lock().expect("lock").drain(..) {
            link.abort();
        }
    }

    /// Accept connections again.
    pub fn restore(&self) {
        self.down.store(false, Ordering::SeqCst);
    }
}
