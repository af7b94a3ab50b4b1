//! A network link that can be cut: a local TCP relay between one simulated appliance and its
//! broker, as a lab would put a switch between an appliance and its access point.
//!
//! While the link is cut every relayed connection is dropped at once — the appliance sees its
//! connection end without a DISCONNECT, the broker sees a client vanish and publishes its
//! will — and new connections are refused until it is restored. Nothing in the appliance's
//! runtime knows about the link: to the runtime it is the network.

use std::net::SocketAddr;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// A running relay; dropping it stops it and drops every relayed connection.
#[derive(Debug)]
pub struct Link {
    addr: SocketAddr,
    cut: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Link {
    /// Start a relay on a free local port towards `upstream` (`host:port`). Must be called
    /// within a tokio runtime.
    pub fn start(upstream: String) -> std::io::Result<Self> {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        std_listener.set_nonblocking(true)?;
        let listener = TcpListener::from_std(std_listener)?;
        let addr = listener.local_addr()?;
        let (cut, watch) = watch::channel(false);
        let task = tokio::spawn(async move {
            loop {
                let Ok((inbound, _)) = listener.accept().await else {
                    // Out of descriptors or similar: wait rather than spin.
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                };
                if *watch.borrow() {
                    drop(inbound);
                    continue;
                }
                let upstream = upstream.clone();
                let mut watch = watch.clone();
                tokio::spawn(async move {
                    let Ok(outbound) = TcpStream::connect(&upstream).await else {
                        return;
                    };
                    tokio::select! {
                        () = hearth_mqtt::relay::pipe(inbound, outbound) => {}
                        _ = watch.wait_for(|cut| *cut) => {}
                    }
                });
            }
        });
        Ok(Self { addr, cut, task })
    }

    /// The local address the appliance connects to instead of the broker.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Cut the link: relayed connections end now, new ones are refused.
    pub fn cut(&self) {
        let _ = self.cut.send(true);
    }

    /// Restore the link.
    pub fn restore(&self) {
        let _ = self.cut.send(false);
    }

    /// Whether the link is cut.
    pub fn is_cut(&self) -> bool {
        *self.cut.borrow()
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        let _ = self.cut.send(true);
        self.task.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn relays_until_cut_and_refuses_while_cut() {
        let echo = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let echo_addr = echo.local_addr().expect("addr");
        tokio::spawn(async move {
            while let Ok((mut s, _)) = echo.accept().await {
                tokio::spawn(async move {
                    let mut buf = [0u8; 64];
                    while let Ok(n) = s.read(&mut buf).await {
                        if n == 0 || s.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                });
            }
        });
        let link = Link::start(echo_addr.to_string()).expect("link");
        let mut c = TcpStream::connect(link.local_addr())
            .await
            .expect("connect");
        c.write_all(b"ping").await.expect("write");
        let mut buf = [0u8; 4];
        c.read_exact(&mut buf).await.expect("echo");
        assert_eq!(&buf, b"ping");

        link.cut();
        let mut rest = [0u8; 1];
        let n = tokio::time::timeout(std::time::Duration::from_secs(2), c.read(&mut rest))
            .await
            .expect("the relayed connection ends")
            .unwrap_or(0);
        assert_eq!(n, 0);
        let mut refused = TcpStream::connect(link.local_addr())
            .await
            .expect("accepted");
        let n = tokio::time::timeout(std::time::Duration::from_secs(2), refused.read(&mut rest))
            .await
            .expect("closed at once")
            .unwrap_or(0);
        assert_eq!(n, 0);

        link.restore();
        let mut again = TcpStream::connect(link.local_addr())
            .await
            .expect("connect");
        again.write_all(b"pong").await.expect("write");
        again.read_exact(&mut buf).await.expect("echo");
        assert_eq!(&buf, b"pong");
    }
}
