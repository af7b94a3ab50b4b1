//! A TCP relay that holds nothing back: bytes are copied both ways as they arrive, with
//! Nagle's algorithm off and every read acknowledged at once.
//!
//! Hearth's traffic is small messages that answer each other. A TCP peer that waits for the
//! acknowledgement of its previous segment before sending the next small one (Nagle's
//! algorithm), facing a peer that delays acknowledgements, stalls each exchange by some
//! 40 ms. The embedded broker (rumqttd) cannot be told to turn Nagle's algorithm off on the
//! connections it accepts, so [`EmbeddedBroker`](crate::EmbeddedBroker) puts this relay in
//! front of it: the relay's side towards the broker acknowledges every segment at once, so
//! the broker's next segment leaves without waiting. The simulator's cuttable network links
//! are the same relay.

use std::io;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;

/// The most a relay copies in one read.
const CHUNK: usize = 64 * 1024;

/// Copy bytes between `a` and `b`, both ways, until either side closes or fails.
pub async fn pipe(a: TcpStream, b: TcpStream) {
    let _ = a.set_nodelay(true);
    let _ = b.set_nodelay(true);
    let (a_read, a_write) = a.into_split();
    let (b_read, b_write) = b.into_split();
    tokio::select! {
        _ = copy(a_read, b_write) => {}
        _ = copy(b_read, a_write) => {}
    }
}

/// Copy from `from` to `to` until end of stream, acknowledging each read at once.
async fn copy(mut from: OwnedReadHalf, mut to: OwnedWriteHalf) -> io::Result<()> {
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = from.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        acknowledge_at_once(from.as_ref());
        to.write_all(buf.get(..n).unwrap_or_default()).await?;
    }
}

/// Ask the kernel to acknowledge what arrives on `stream` without delay (`TCP_QUICKACK`, which
/// Linux clears again on its own, hence once per read); elsewhere nothing.
fn acknowledge_at_once(stream: &TcpStream) {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        let _ = socket2::SockRef::from(stream).set_tcp_quickack(true);
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let _ = stream;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::SocketAddr;
    use tokio::net::TcpListener;

    /// A listener on a free loopback port, and its address.
    async fn listener() -> (TcpListener, SocketAddr) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        (listener, addr)
    }

    /// Many small exchanges through the relay arrive whole and in order both ways.
    #[tokio::test]
    async fn relays_small_exchanges_in_order() {
        let (upstream, up_addr) = listener().await;
        tokio::spawn(async move {
            let (mut s, _) = upstream.accept().await.expect("accept");
            let mut buf = [0u8; 4];
            while s.read_exact(&mut buf).await.is_ok() {
                let n = u32::from_be_bytes(buf) + 1;
                if s.write_all(&n.to_be_bytes()).await.is_err() {
                    break;
                }
            }
        });
        let (front, front_addr) = listener().await;
        tokio::spawn(async move {
            let (inbound, _) = front.accept().await.expect("accept");
            let outbound = TcpStream::connect(up_addr).await.expect("connect");
            pipe(inbound, outbound).await;
        });
        let mut c = TcpStream::connect(front_addr).await.expect("connect");
        for i in 0u32..200 {
            c.write_all(&i.to_be_bytes()).await.expect("write");
            let mut buf = [0u8; 4];
            c.read_exact(&mut buf).await.expect("read");
            assert_eq!(u32::from_be_bytes(buf), i + 1);
        }
    }
}
