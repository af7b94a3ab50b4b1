//! The suite's end of the test agent protocol (`spec/08-controllers.md` §4): it starts the
//! agent command, sends one request at a time and matches answers by `id`. The agent may be
//! a process (a vendor's product, or `hearth ctl agent`) or any pair of byte streams (an
//! in-process controller of the self-check). Waits are bounded by the statement's
//! `response_timeout` (plus an `await`'s own timeout); an agent that writes anything but an
//! answer breaks HRT-CTL-010, which the caller turns into a verdict.

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hearth_mqtt::agent::protocol::{parse_response, AgentError};
use serde_json::{Map, Value as Json};
use tokio::io::{
    AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader, Lines,
};
use tokio::process::Child;

/// How much of the agent's standard error the suite keeps as evidence.
const STDERR_KEPT: usize = 64 * 1024;

/// Why talking to the agent failed (not an answer it gave).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// The agent could not be started.
    #[error("the agent command could not start: {0}")]
    Start(String),
    /// The agent gave no answer in time, or its output ended.
    #[error("the agent gave no answer {0}")]
    Silent(String),
    /// The agent wrote a line that is not an answer (HRT-CTL-010).
    #[error("the agent wrote a line that is not an answer of the protocol: {0}")]
    NotAnAnswer(String),
    /// Writing to the agent failed.
    #[error("writing to the agent: {0}")]
    Write(String),
}

type Reader = Lines<BufReader<Box<dyn AsyncRead + Unpin + Send>>>;

/// A running agent.
pub struct Agent {
    writer: Box<dyn AsyncWrite + Unpin + Send>,
    reader: Reader,
    child: Option<Child>,
    stderr: Arc<Mutex<String>>,
    next_id: u64,
    timeout: Duration,
}

impl Agent {
    /// Start `command` (program first) and talk to it on its standard input and output.
    ///
    /// # Errors
    ///
    /// [`LinkError::Start`] when the program cannot be run.
    pub fn spawn(command: &[String], timeout: Duration) -> Result<Self, LinkError> {
        let (program, args) = command
            .split_first()
            .ok_or_else(|| LinkError::Start("the command is empty".into()))?;
        let mut child = tokio::process::Command::new(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| LinkError::Start(format!("{program}: {e}")))?;
        let missing = || LinkError::Start("the agent's standard streams".into());
        let stdin = child.stdin.take().ok_or_else(missing)?;
        let stdout = child.stdout.take().ok_or_else(missing)?;
        let stderr = Arc::new(Mutex::new(String::new()));
        if let Some(mut err) = child.stderr.take() {
            let kept = stderr.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                while let Ok(n @ 1..) = err.read(&mut buf).await {
                    if let Ok(mut k) = kept.lock() {
                        k.push_str(&String::from_utf8_lossy(&buf[..n]));
                        if k.len() > STDERR_KEPT {
                            let cut = k.len() - STDERR_KEPT;
                            let cut = (cut..k.len())
                                .find(|&i| k.is_char_boundary(i))
                                .unwrap_or(k.len());
                            k.drain(..cut);
                        }
                    }
                }
            });
        }
        let mut agent = Self::over(Box::new(stdout), Box::new(stdin), timeout);
        agent.child = Some(child);
        agent.stderr = stderr;
        Ok(agent)
    }

    /// Talk to an agent over `from_agent` and `to_agent`, e.g. an in-memory pipe.
    pub fn over(
        from_agent: Box<dyn AsyncRead + Unpin + Send>,
        to_agent: Box<dyn AsyncWrite + Unpin + Send>,
        timeout: Duration,
    ) -> Self {
        Self {
            writer: to_agent,
            reader: BufReader::new(from_agent).lines(),
            child: None,
            stderr: Arc::new(Mutex::new(String::new())),
            next_id: 0,
            timeout,
        }
    }

    /// What the agent wrote on its standard error so far (the last 64 KiB).
    pub fn stderr(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Send the request `op` with `fields` and wait for its answer, at most the response
    /// timeout plus `extra` (an `await`'s own timeout).
    ///
    /// # Errors
    ///
    /// A [`LinkError`] when no answer came; the agent's own error answer is the inner `Err`.
    pub async fn ask(
        &mut self,
        op: &str,
        fields: Map<String, Json>,
        extra: Duration,
    ) -> Result<Result<Json, AgentError>, LinkError> {
        self.next_id += 1;
        let id = self.next_id;
        let mut request = fields;
        request.insert("id".into(), Json::from(id));
        request.insert("op".into(), Json::from(op));
        let mut line = Json::Object(request).to_string();
        line.push('\n');
        self.writer
            .write_all(line.as_bytes())
            .await
            .map_err(|e| LinkError::Write(e.to_string()))?;
        self.writer
            .flush()
            .await
            .map_err(|e| LinkError::Write(e.to_string()))?;
        let within = self.timeout + extra;
        let reader = &mut self.reader;
        let answer = tokio::time::timeout(within, async {
            loop {
                let Some(line) = reader
                    .next_line()
                    .await
                    .map_err(|e| LinkError::Silent(format!("(its output failed: {e})")))?
                else {
                    return Err(LinkError::Silent("(its output ended)".into()));
                };
                let (got, result) = parse_response(line.as_bytes())
                    .map_err(|e| LinkError::NotAnAnswer(format!("{e}: {line}")))?;
                // An answer to an earlier request the suite stopped waiting for is skipped.
                if got == id {
                    return Ok(result);
                }
            }
        })
        .await;
        answer.unwrap_or_else(|_| Err(LinkError::Silent(format!("to `{op}` within {within:?}"))))
    }

    /// A request id the suite has not used yet, for a request line the caller writes itself
    /// ([`send_line`](Self::send_line)).
    pub fn fresh_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Write `line` to the agent as it is, then a line feed: the checks of the protocol
    /// itself send lines that are not requests (HRT-CTL-011, HRT-CTL-012).
    ///
    /// # Errors
    ///
    /// [`LinkError::Write`] when the agent's input is gone.
    pub async fn send_line(&mut self, line: &[u8]) -> Result<(), LinkError> {
        let write = |e: std::io::Error| LinkError::Write(e.to_string());
        self.writer.write_all(line).await.map_err(write)?;
        self.writer.write_all(b"\n").await.map_err(write)?;
        self.writer.flush().await.map_err(write)
    }

    /// The next line the agent writes on its standard output, as it is, waiting at most the
    /// response timeout: the checks of the protocol read every line, not only the answer
    /// they wait for (HRT-CTL-010).
    ///
    /// # Errors
    ///
    /// [`LinkError::Silent`] when no line came in time or the output ended.
    pub async fn next_line(&mut self) -> Result<String, LinkError> {
        let within = self.timeout;
        match tokio::time::timeout(within, self.reader.next_line()).await {
            Ok(Ok(Some(line))) => Ok(line),
            Ok(Ok(None)) => Err(LinkError::Silent("(its output ended)".into())),
            Ok(Err(e)) => Err(LinkError::Silent(format!("(its output failed: {e})"))),
            Err(_) => Err(LinkError::Silent(format!("within {within:?}"))),
        }
    }

    /// Ask the agent to stop (HRT-CTL-017) and wait for the process to exit, at most the
    /// response timeout; kill it otherwise. Whether it exited by itself.
    pub async fn stop(mut self) -> bool {
        let asked = self.ask("stop", Map::new(), Duration::ZERO).await;
        let Some(mut child) = self.child.take() else {
            return asked.is_ok();
        };
        drop(self.writer);
        match tokio::time::timeout(self.timeout, child.wait()).await {
            Ok(Ok(_)) => asked.is_ok(),
            _ => {
                let _ = child.kill().await;
                false
            }
        }
    }
}
