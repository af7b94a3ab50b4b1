//! The test agent (`spec/08-controllers.md` §4): a [`Controller`] driven by JSON lines, so
//! that the conformance suite can certify a controller or gateway built on this library.
//!
//! [`serve`] reads requests from any byte stream (a process's standard input for `hearth ctl
//! agent`, an in-memory pipe in tests), carries each out on its own task — a long `await`
//! never holds up a `read` — and writes each answer as one line as soon as it is known, so
//! answers may come out of order and are matched by `id`. What the controller believes comes
//! from its device views ([`DeviceView::value`]); `await` waits on the controller's verified
//! updates with the request's timeout as its only bound. Lines are bounded
//! ([`protocol::MAX_LINE`]) and malformed ones answered, never fatal (HRT-CTL-011,
//! HRT-CTL-012).

pub mod json;
pub mod protocol;

use std::sync::Arc;
use std::time::Duration;

use hearth_model::Value;
use serde_json::{json, Value as Json};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::controller::{Controller, DeviceView, RequestError, Update};
use crate::topic::DeviceAddr;
use json::option_to_json;
use protocol::{parse_request, response_line, AgentError, ErrorKind, Request, MAX_LINE, PROTOCOL};

/// The longest `await` an agent honours: a minute. A longer `timeout_ms` is cut to it.
pub const MAX_AWAIT: Duration = Duration::from_secs(60);

/// Serve the agent protocol for `controller` on `input` and `output` until `stop` or the end
/// of `input`; then the controller is shut down (an orderly disconnect) and every answer
/// already known is written. `product` is what `hello` names.
pub async fn serve<R, W>(
    controller: Arc<Controller>,
    input: R,
    mut output: W,
    product: &str,
) -> std::io::Result<()>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let (tx, mut rx) = mpsc::unbounded_channel::<String>();
    let writer = tokio::spawn(async move {
        while let Some(mut line) = rx.recv().await {
            line.push('\n');
            output.write_all(line.as_bytes()).await?;
            output.flush().await?;
        }
        Ok::<(), std::io::Error>(())
    });
    let mut input = BufReader::new(input);
    let mut tasks = JoinSet::new();
    let mut line = Vec::new();
    loop {
        let read = read_line(&mut input, &mut line).await?;
        let (id, request) = match read {
            Line::End => break,
            Line::TooLong => (
                0,
                Err(AgentError::new(
                    ErrorKind::BadRequest,
                    format!("a request line is at most {MAX_LINE} bytes"),
                )),
            ),
            Line::Complete if line.iter().all(u8::is_ascii_whitespace) => continue,
            Line::Complete => parse_request(&line),
        };
        match request {
            Ok(Request::Stop) => {
                let _ = tx.send(response_line(id, &Ok(json!({}))));
                break;
            }
            Ok(request) => {
                let controller = controller.clone();
                let tx = tx.clone();
                let product = product.to_owned();
                tasks.spawn(async move {
                    let result = answer(&controller, request, &product).await;
                    let _ = tx.send(response_line(id, &result));
                });
            }
            Err(e) => {
                let _ = tx.send(response_line(id, &Err(e)));
            }
        }
        // Reap finished answers so that a long session does not accumulate them.
        while tasks.try_join_next().is_some() {}
    }
    tasks.shutdown().await;
    controller.shutdown().await;
    drop(tx);
    writer.await.map_err(std::io::Error::other)?
}

/// What reading one line gave.
enum Line {
    /// A line (its line feed removed), in the buffer.
    Complete,
    /// A line longer than [`MAX_LINE`]: skipped to its end, nothing of it kept.
    TooLong,
    /// The end of the input.
    End,
}

/// Read one line into `buf` (cleared first), keeping at most [`MAX_LINE`] bytes of it.
async fn read_line<R: AsyncRead + Unpin>(
    input: &mut BufReader<R>,
    buf: &mut Vec<u8>,
) -> std::io::Result<Line> {
    buf.clear();
    let mut too_long = false;
    loop {
        let chunk = input.fill_buf().await?;
        if chunk.is_empty() {
            return Ok(match (too_long, buf.is_empty()) {
                (true, _) => Line::TooLong,
                (false, true) => Line::End,
                (false, false) => Line::Complete,
            });
        }
        let (part, ended) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (&chunk[..i], Some(i + 1)),
            None => (chunk, None),
        };
        if !too_long && buf.len() + part.len() <= MAX_LINE {
            buf.extend_from_slice(part);
        } else {
            too_long = true;
            buf.clear();
        }
        let used = ended.unwrap_or(chunk.len());
        input.consume(used);
        if ended.is_some() {
            return Ok(if too_long {
                Line::TooLong
            } else {
                Line::Complete
            });
        }
    }
}

/// Carry out one request (not `stop`) and give its result.
async fn answer(ctl: &Controller, request: Request, product: &str) -> Result<Json, AgentError> {
    match request {
        Request::Hello => {
            Ok(json!({"protocol": PROTOCOL, "controller": ctl.id(), "product": product}))
        }
        Request::Devices => Ok(Json::Array(
            ctl.devices()
                .iter()
                .filter(|d| d.description.is_some() || d.online.is_some())
                .map(device_entry)
                .collect(),
        )),
        Request::Value { device, path } => {
            let view = known(ctl, &device)?;
            Ok(json!({"value": option_to_json(view.value(&path))}))
        }
        Request::Await {
            device,
            path,
            value,
            timeout_ms,
        } => {
            let within = Duration::from_millis(timeout_ms).min(MAX_AWAIT);
            let (reached, now) = await_value(ctl, &device, path, &value, within).await;
            Ok(json!({"reached": reached, "value": option_to_json(now.as_ref())}))
        }
        Request::Read { device, paths } => {
            let results = ctl.read(&device, paths).await.map_err(request_error)?;
            Ok(json!({"values": results.iter().map(|r| json!({
                "path": r.path.to_string(),
                "status": r.status.name(),
                "value": option_to_json(r.value.as_ref()),
            })).collect::<Vec<_>>()}))
        }
        Request::Write { device, values } => {
            let statuses = ctl.write(&device, values).await.map_err(request_error)?;
            Ok(json!({"statuses": statuses.iter().map(|(p, s)| json!({
                "path": p.to_string(),
                "status": s.name(),
            })).collect::<Vec<_>>()}))
        }
        Request::Invoke { device, path, args } => {
            let result = ctl
                .invoke(&device, path, args)
                .await
                .map_err(request_error)?;
            Ok(json!({
                "status": result.status.name(),
                "result": option_to_json(result.results.as_ref()),
            }))
        }
        Request::Stop => Ok(json!({})),
    }
}

/// The view of `device`, or `unknown-device`.
fn known(ctl: &Controller, device: &DeviceAddr) -> Result<DeviceView, AgentError> {
    ctl.device(device).ok_or_else(|| {
        AgentError::new(
            ErrorKind::UnknownDevice,
            format!("the controller holds nothing of {device}"),
        )
    })
}

/// One entry of `devices` (HRT-CTL-016).
fn device_entry(view: &DeviceView) -> Json {
    json!({
        "device": view.addr.to_string(),
        "online": view.online,
        "boot_id": view.boot_id,
        "described": view.description.is_some(),
    })
}

/// Wait until the controller has accepted `value` for `path` of `device`, at most `within`
/// (HRT-CTL-014): whether it did, and the value it holds then.
async fn await_value(
    ctl: &Controller,
    device: &DeviceAddr,
    path: hearth_model::Path,
    value: &Value,
    within: Duration,
) -> (bool, Option<Value>) {
    // Subscribed before the first look, so that no update between them is missed.
    let mut updates = ctl.updates();
    let deadline = Instant::now() + within;
    loop {
        let now = ctl.device(device).and_then(|v| v.value(&path).cloned());
        if now.as_ref() == Some(value) {
            return (true, now);
        }
        match tokio::time::timeout_at(deadline, updates.recv()).await {
            Err(_) | Ok(Err(broadcast::error::RecvError::Closed)) => return (false, now),
            Ok(Ok(Update::Report { .. }) | Err(broadcast::error::RecvError::Lagged(_))) => {}
            Ok(Ok(_)) => {}
        }
    }
}

/// The error answer for a request the controller could not carry out.
fn request_error(e: RequestError) -> AgentError {
    let kind = match e {
        RequestError::Timeout(_) => ErrorKind::NoResponse,
        _ => ErrorKind::Refused,
    };
    AgentError::new(kind, e.to_string())
}
