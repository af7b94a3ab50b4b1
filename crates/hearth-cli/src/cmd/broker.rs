//! `hearth broker`: run the embedded MQTT broker in the foreground until Ctrl-C or SIGTERM.
//! The broker itself is `hearth_mqtt::EmbeddedBroker`; this module only binds and waits.

use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::Context;
use hearth_mqtt::EmbeddedBroker;

/// Arguments of `hearth broker`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:1883")]
    listen: SocketAddr,
}

/// A tokio runtime for the commands that talk MQTT.
pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Wait for Ctrl-C or, on Unix, SIGTERM.
pub(crate) async fn shutdown_signal() -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate()).context("cannot watch SIGTERM")?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r.context("cannot watch Ctrl-C")?,
            _ = term.recv() => {}
        }
        Ok(())
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await.context("cannot watch Ctrl-C")
    }
}

/// Run `hearth broker`.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let rt = runtime()?;
    let broker = EmbeddedBroker::start(args.listen)?;
    println!("listening on mqtt://{}", broker.addr());
    rt.block_on(shutdown_signal())?;
    eprintln!("broker stopped");
    Ok(ExitCode::SUCCESS)
}
