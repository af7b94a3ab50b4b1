//! What the Device and Controller shells share: the MQTT client, the [`Driver`] task that
//! runs its event loop, and the [`Outbox`] that hands a core's transmits to the client in
//! order, waiting when the client cannot take more.
//!
//! Not protocol: nothing here knows what a message means. It is the part of a shell that
//! knows rumqttc (0.25), whose behaviour it is built on:
//!
//! - `EventLoop::poll` is not cancel-safe. Dropped while it writes a packet, it loses that
//!   packet although it already counts it as in flight: no PUBACK ever comes, and the broker
//!   never saw it. So the event loop runs on a task of its own, every poll runs to its end,
//!   and what it yields reaches the shell through a channel ([`Driver`]).
//! - The event loop reads one byte stream: PUBACKs and PINGRESPs come behind whatever
//!   requests the broker sent first. A driver that stopped polling while its shell works
//!   through a flood would leave the client's in-flight window full (no responses go out)
//!   and the keep-alive unanswered (rumqttc drops the connection at the next ping). So the
//!   driver never waits for the shell: it keeps polling and holds what the shell has not
//!   taken yet, up to [`MAX_BACKLOG`] incoming publishes.
//! - The client hands requests to the event loop through a bounded channel; `try_publish`
//!   fails when it is full. The [`Outbox`] keeps what the client did not take, in order, and
//!   offers it again whenever the event loop has moved (it has then taken requests).
//! - The event loop takes requests one at a time in the order they were handed over and
//!   yields one `Outgoing::Publish(pkid)` for each publish it writes (after an
//!   `Outgoing::AwaitAck` if the packet id was still in flight), before the PUBACK of that
//!   packet id. That is how a shell learns the packet id of each publish it handed over.
//! - It reads a whole packet before it yields anything, and ends the connection on an
//!   incoming packet above its `max_incoming_packet_size`. The limit is therefore MQTT's own
//!   ([`MAX_INCOMING_PACKET`](crate::url::MAX_INCOMING_PACKET)), and a publish whose payload
//!   is larger than any Hearth message is cut to one byte over the message size limit as soon
//!   as the driver sees it: the core still drops it by its size (and counts it), before it
//!   parses anything, and the packet's memory is freed at once rather than held in the
//!   backlog (HRT-MSG-105, HRT-SEC-134). What bounds the one packet in memory is the broker's
//!   packet limit.
//! - On a connection error it moves its in-flight publishes and whatever waits in the
//!   channel to its `pending` queue, which it sends again only when the broker reports a
//!   session present; it clears the queue otherwise. The driver clears it itself for a clean
//!   session, and empties the channel again before it reconnects, so that nothing handed
//!   over for a lost connection goes out on the next one. (A publish held back because the
//!   broker acknowledged out of order is not cleaned by rumqttc; the driver takes it out.)

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hearth_node::{AckToken, Transmit};
use rumqttc::{
    AsyncClient, ConnectionError, Event, EventLoop, LastWill, Packet, QoS, Request, SubscribeFilter,
};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::url::{BrokerUrl, UrlError};

/// How many requests the client queues towards its event loop.
const CLIENT_QUEUE: usize = 4096;

/// How many incoming publishes the driver holds for a shell that has fallen behind; beyond
/// it, further ones are dropped (load shed, as a broker's queue limit would) until the shell
/// catches up. Everything else it yields (acknowledgements, packet ids, connection changes)
/// is always handed on.
const MAX_BACKLOG: usize = 1 << 15;

/// The longest payload handed on as received: a Hearth message is never larger
/// (HRT-MSG-030); a larger one is cut to one byte more, which the core drops by its size.
const MAX_MESSAGE: usize = hearth_wire::Limits::STANDARD.max_message;

/// The wait before the first reconnection attempt; it doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
/// The longest wait between two reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// A client and its event loop for `broker`.
pub(crate) fn client(
    broker: &BrokerUrl,
    client_id: String,
    keep_alive: Duration,
    clean_session: bool,
) -> Result<(AsyncClient, EventLoop), UrlError> {
    let mut options = broker.mqtt_options(client_id)?;
    options.set_keep_alive(keep_alive);
    options.set_clean_session(clean_session);
    Ok(BrokerUrl::client(options, CLIENT_QUEUE))
}

/// What the driver yields.
pub(crate) enum Polled {
    /// Something the event loop yielded.
    Event(Event),
    /// The connection is lost (or an attempt failed). The driver waits for `resume` before
    /// it tries again, with the will it carries (if any) set for the next attempt; dropping
    /// `resume` stops the driver.
    Lost {
        /// What went wrong.
        error: ConnectionError,
        /// Where the shell answers.
        resume: oneshot::Sender<Option<LastWill>>,
    },
}

/// The task that owns a client's event loop and polls it without ever cancelling a poll.
pub(crate) struct Driver {
    rx: mpsc::UnboundedReceiver<Polled>,
    /// Incoming publishes yielded and not yet taken.
    backlog: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl Driver {
    /// Run `eventloop` on a task of its own. `clean` says whether the client connects with
    /// a clean session; `jitter` is added to every wait between reconnection attempts.
    pub(crate) fn spawn(eventloop: EventLoop, clean: bool, jitter: Duration) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let backlog = Arc::new(AtomicUsize::new(0));
        let yielded = Yielded {
            tx,
            backlog: backlog.clone(),
            shed: 0,
        };
        let task = tokio::spawn(drive(eventloop, clean, jitter, yielded));
        Self { rx, backlog, task }
    }

    /// The next thing the event loop yielded; `None` once the driver has stopped.
    /// Cancel-safe.
    pub(crate) async fn next(&mut self) -> Option<Polled> {
        let polled = self.rx.recv().await;
        if matches!(
            polled,
            Some(Polled::Event(Event::Incoming(Packet::Publish(_))))
        ) {
            self.backlog.fetch_sub(1, Ordering::Relaxed);
        }
        polled
    }

    /// After a DISCONNECT was handed to the client: wait until the event loop has written it,
    /// at most `within`, calling `moved` after everything else it yields (so that what waits
    /// for the client can follow), then stop.
    pub(crate) async fn finish(mut self, within: Duration, mut moved: impl FnMut()) {
        let _ = tokio::time::timeout(within, async {
            while let Some(Polled::Event(event)) = self.next().await {
                if matches!(event, Event::Outgoing(rumqttc::Outgoing::Disconnect)) {
                    break;
                }
                moved();
            }
        })
        .await;
        self.stop().await;
    }

    /// Stop the event loop at once, without a DISCONNECT, and wait until its connection is
    /// closed.
    pub(crate) async fn stop(mut self) {
        self.task.abort();
        let _ = (&mut self.task).await;
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The driver's end of the channel to the shell.
struct Yielded {
    tx: mpsc::UnboundedSender<Polled>,
    backlog: Arc<AtomicUsize>,
    /// Incoming publishes dropped since the backlog was last below its bound.
    shed: u64,
}

impl Yielded {
    /// Hand `polled` on (or shed it, for an incoming publish beyond the backlog); false once
    /// the shell is gone.
    fn send(&mut self, mut polled: Polled) -> bool {
        if let Polled::Event(Event::Incoming(Packet::Publish(p))) = &mut polled {
            if p.payload.len() > MAX_MESSAGE {
                // A copy, so that the large buffer goes now.
                p.payload = p.payload[..=MAX_MESSAGE].to_vec().into();
            }
        }
        if matches!(polled, Polled::Event(Event::Incoming(Packet::Publish(_)))) {
            if self.backlog.load(Ordering::Relaxed) >= MAX_BACKLOG {
                if self.shed == 0 {
                    tracing::warn!("{MAX_BACKLOG} incoming messages wait: dropping further ones");
                }
                self.shed += 1;
                return true;
            }
            if self.shed > 0 {
                tracing::warn!("dropped {} incoming messages under load", self.shed);
                self.shed = 0;
            }
            self.backlog.fetch_add(1, Ordering::Relaxed);
        }
        self.tx.send(polled).is_ok()
    }
}

async fn drive(mut eventloop: EventLoop, clean: bool, jitter: Duration, mut tx: Yielded) {
    let mut backoff = FIRST_BACKOFF;
    loop {
        match eventloop.poll().await {
            Ok(event) => {
                if matches!(event, Event::Incoming(Packet::ConnAck(_))) {
                    backoff = FIRST_BACKOFF;
                    if clean {
                        // Whatever the broker says, a clean session resumes nothing.
                        eventloop.pending.clear();
                    }
                }
                if !tx.send(Polled::Event(event)) {
                    return;
                }
            }
            Err(error) => {
                // What the lost connection still yielded (acknowledgements among it) first.
                let left: Vec<Event> = eventloop.state.events.drain(..).collect();
                for event in left {
                    if !tx.send(Polled::Event(event)) {
                        return;
                    }
                }
                let (resume, resumed) = oneshot::channel();
                if !tx.send(Polled::Lost { error, resume }) {
                    return;
                }
                let Ok(will) = resumed.await else { return };
                // What the shell handed over before it learnt of the loss belongs to the lost
                // connection.
                eventloop.clean();
                // A publish held back for a packet id still in flight (the broker acknowledged
                // out of order) is not part of the state rumqttc cleans; left there, it would
                // hold up every request of the next connection.
                let collided = eventloop.state.collision.take();
                if clean {
                    eventloop.pending.clear();
                } else if let Some(publish) = collided {
                    eventloop.pending.push_front(Request::Publish(publish));
                }
                if let Some(will) = will {
                    eventloop.mqtt_options.set_last_will(will);
                }
                tokio::time::sleep(backoff + jitter).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

/// Transmits of a core on their way to the client, in order, each with a tag of the shell's
/// (the controller's request id, say).
pub(crate) struct Outbox<T> {
    queue: VecDeque<(Transmit, T)>,
}

impl<T> Outbox<T> {
    /// An empty outbox.
    pub(crate) fn new() -> Self {
        Self {
            queue: VecDeque::new(),
        }
    }

    /// Queue `transmit` behind everything queued.
    pub(crate) fn push(&mut self, transmit: Transmit, tag: T) {
        self.queue.push_back((transmit, tag));
    }

    /// Forget everything queued (the connection it was for is gone): the tags, in order.
    pub(crate) fn clear(&mut self) -> Vec<T> {
        self.queue.drain(..).map(|(_, tag)| tag).collect()
    }

    /// Hand transmits to the client from the front, in order, while it takes them; the
    /// rest waits for the next call. `handed` learns of each publish the client took (its
    /// ack token and tag), `refused` of each transmit it can never take (a topic or filter
    /// MQTT does not allow), which is dropped.
    pub(crate) fn hand_over(
        &mut self,
        client: &AsyncClient,
        mut handed: impl FnMut(Option<AckToken>, T),
        mut refused: impl FnMut(T, String),
    ) {
        while let Some((transmit, _)) = self.queue.front() {
            let taken = match transmit {
                Transmit::Publish(p) if !rumqttc::valid_topic(&p.topic) => {
                    Err(format!("publish to {}: not a valid topic", p.topic))
                }
                Transmit::Subscribe(filters)
                    if !filters.iter().all(|f| rumqttc::valid_filter(f)) =>
                {
                    Err(format!("subscribe to {filters:?}: not a valid filter"))
                }
                Transmit::Publish(p) => {
                    let payload = p.payload.clone();
                    match client.try_publish(&p.topic, QoS::AtLeastOnce, p.retain, payload) {
                        Ok(()) => Ok(Some(p.ack)),
                        Err(_) => return,
                    }
                }
                Transmit::Subscribe(filters) => {
                    let filters = filters
                        .iter()
                        .map(|f| SubscribeFilter::new(f.clone(), QoS::AtLeastOnce));
                    match client.try_subscribe_many(filters) {
                        Ok(()) => Ok(None),
                        Err(_) => return,
                    }
                }
                Transmit::Disconnect => match client.try_disconnect() {
                    Ok(()) => Ok(None),
                    Err(_) => return,
                },
            };
            let Some((_, tag)) = self.queue.pop_front() else {
                return;
            };
            match taken {
                Ok(Some(ack)) => handed(ack, tag),
                Ok(None) => {}
                Err(why) => {
                    tracing::error!("{why}");
                    refused(tag, why);
                }
            }
        }
    }
}

/// The last will for the next connection, from a core's sealed will.
pub(crate) fn last_will(will: &hearth_node::Publish) -> LastWill {
    LastWill::new(
        will.topic.clone(),
        will.payload.clone(),
        QoS::AtLeastOnce,
        will.retain,
    )
}

/// How long until `due`, seen from `now`; `None` when nothing is due ever.
pub(crate) fn until(due: Option<hearth_node::Time>, now: hearth_node::Time) -> Option<Duration> {
    due.map(|t| t.since(now))
}

/// Sleep for `wait`, or forever when there is nothing to wait for.
pub(crate) async fn sleep(wait: Option<Duration>) {
    match wait {
        Some(d) => tokio::time::sleep(d).await,
        None => std::future::pending().await,
    }
}
