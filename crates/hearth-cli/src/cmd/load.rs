//! `hearth load`: many signed devices, one verifying controller; throughput and latency.
//! The load generator is `hearth_load`; this module parses flags and prints its report.

use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use hearth_load::{LoadConfig, LoadReport};
use hearth_mqtt::EmbeddedBroker;

use super::broker::runtime;
use crate::args;

/// Arguments of `hearth load`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("where").required(true).args(["broker", "embedded"])))]
pub(crate) struct Args {
    /// The broker to load.
    #[command(flatten)]
    broker: args::Broker,
    /// Start an embedded broker on a free loopback port instead (the default without --broker).
    #[arg(long)]
    embedded: bool,
    /// Number of virtual devices.
    #[arg(long, default_value_t = 1000)]
    devices: usize,
    /// Aggregate reports per second.
    #[arg(long, default_value_t = 5000.0)]
    rate: f64,
    /// Seconds to publish.
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Device-side MQTT connections (default: one per 100 devices, at most 16).
    #[arg(long)]
    connections: Option<usize>,
    /// Verification threads (default: one per core).
    #[arg(long)]
    workers: Option<usize>,
    #[command(flatten)]
    output: args::Json,
}

fn print_table(r: &LoadReport) {
    println!(
        "devices          {} over {} connections, {} verification threads",
        r.devices, r.connections, r.workers
    );
    println!("published for    {:.1} s", r.duration_s);
    println!("sent             {}", r.sent);
    println!("received         {}", r.received);
    println!("verified         {}", r.verified);
    println!("rejected         {}", r.rejected);
    println!("lost             {}", r.lost);
    println!(
        "throughput       {:.0} verified reports/s",
        r.throughput_per_s
    );
    println!(
        "latency          p50 {:.0} ms, p95 {:.0} ms, p99 {:.0} ms",
        r.latency_ms.p50, r.latency_ms.p95, r.latency_ms.p99
    );
    match r.cpu_us_per_msg {
        Some(us) => println!("cpu per message  {us:.1} µs (whole process)"),
        None => println!("cpu per message  not available on this platform"),
    }
}

/// Run `hearth load`.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let rt = runtime()?;
    rt.block_on(async move {
        let (url, _broker) = match (args.broker.broker, args.embedded) {
            (Some(url), _) => (url, None),
            (None, _) => {
                let broker = EmbeddedBroker::start_local()?;
                (broker.url(), Some(broker))
            }
        };
        let mut config = LoadConfig::new(
            url,
            args.devices.max(1),
            args.rate.max(1.0),
            Duration::from_secs(args.duration.max(1)),
        );
        if let Some(c) = args.connections {
            config.connections = c.max(1);
        }
        if let Some(w) = args.workers {
            config.workers = w.max(1);
        }
        let json = args.output.json;
        let report = hearth_load::run(&config, |sent, verified| {
            if !json {
                eprint!("\r  sent {sent:>9}  verified {verified:>9}");
                let _ = std::io::stderr().flush();
            }
        })
        .await?;
        if json {
            println!("{}", serde_json::to_string(&report)?);
        } else {
            eprintln!();
            print_table(&report);
        }
        Ok(if report.lost == 0 && report.rejected == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        })
    })
}
