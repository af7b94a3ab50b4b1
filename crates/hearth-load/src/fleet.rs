//! A fleet of virtual devices with real credentials, issued in memory under a fresh root.

use std::sync::Arc;

use hearth_model::{Path, Value};
use hearth_security::alg::Algorithm;
use hearth_security::cert::{Role, TrustStore};
use hearth_security::key::KeyPair;
use hearth_security::pki::{create_root, issue, Credential, IssueRequest};
use hearth_security::replay::{MemoryCounterStore, SendCounter};
use hearth_wire::{Body, Receiver, Report, Sender};
use ring::rand::SystemRandom;

/// Root, vendor CA and one credential per device.
pub(crate) struct Fleet {
    root: Credential,
    vendor: Credential,
    devices: Vec<(Arc<KeyPair>, Vec<Vec<u8>>)>,
    now: u64,
}

/// The setpoint property every virtual device reports.
const SETPOINT: Path = Path::new(0, 6, 1);

/// A typical partial report.
pub(crate) fn report(level: i64) -> Body {
    Body::Report(Report {
        full: false,
        values: vec![(SETPOINT, Value::Int(1600 + 50 * (level % 33)))],
    })
}

impl Fleet {
    pub(crate) fn new(count: usize) -> Result<Self, String> {
        let rng = SystemRandom::new();
        let now = hearth_mqtt::identity::unix_now();
        let root = create_root("hearth-load-root", 2, Algorithm::EdDsa, now, &rng)
            .map_err(|e| e.to_string())?;
        let ca = |role, subject: &str, device_type: Option<&str>| IssueRequest {
            role,
            subject: subject.to_owned(),
            vendor_id: Some(0xFFF1),
            device_type: device_type.map(str::to_owned),
            model: device_type.map(|_| "LOAD-1".to_owned()),
            days: 2,
            alg: Algorithm::EdDsa,
        };
        let vendor = issue(
            &ca(Role::Vendor, "hearth-load-vendor", None),
            &root,
            now,
            &rng,
        )
        .map_err(|e| e.to_string())?;
        let mut devices = Vec::with_capacity(count);
        for i in 0..count {
            let cred = issue(
                &ca(Role::Device, &format!("load-{i}"), Some("air-conditioner")),
                &vendor,
                now,
                &rng,
            )
            .map_err(|e| e.to_string())?;
            let chain = vec![
                cred.cert.as_bytes().to_vec(),
                vendor.cert.as_bytes().to_vec(),
            ];
            devices.push((Arc::new(cred.key), chain));
        }
        Ok(Self {
            root,
            vendor,
            devices,
            now,
        })
    }

    /// The relative report topic of device `i`.
    pub(crate) fn report_topic(&self, i: usize) -> String {
        format!("d/fff1/load-{i}/report")
    }

    /// A receiver that trusts the root and knows the devices `pick` selects.
    pub(crate) fn receiver(&self, pick: impl Fn(usize) -> bool) -> Result<Receiver, String> {
        let mut trust = TrustStore::new();
        trust
            .add_root(self.root.cert.clone())
            .map_err(|e| e.to_string())?;
        let mut rx = Receiver::new(trust);
        for (i, (_, chain)) in self.devices.iter().enumerate().filter(|(i, _)| pick(*i)) {
            rx.admit_chain(chain, self.now)
                .map_err(|e| format!("device {i}: {e}"))?;
        }
        let _ = &self.vendor;
        Ok(rx)
    }

    /// Senders for the devices `indices`, with counters in memory.
    pub(crate) fn senders(
        &self,
        indices: &[usize],
    ) -> Result<Vec<Sender<MemoryCounterStore>>, String> {
        indices
            .iter()
            .map(|&i| {
                let (key, chain) = self
                    .devices
                    .get(i)
                    .ok_or_else(|| format!("no device {i}"))?;
                let counter = SendCounter::open(MemoryCounterStore::default(), 1_000_000)
                    .map_err(|e| e.to_string())?;
                Ok(Sender::new(
                    format!("load-{i}"),
                    key.clone(),
                    chain.clone(),
                    counter,
                ))
            })
            .collect()
    }
}
