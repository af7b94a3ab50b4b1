//! Hearth simulated appliances: nine device types from three fictional brands, with
//! believable behaviour on a simulated clock, and fault profiles that break the
//! specification on purpose.
//!
//! The simulator is firmware written against the public `hearth-mqtt` Device API, as a
//! vendor would write it: each appliance ([`appliance`]) keeps its state, declares itself in
//! a description that differs by [`brand`], answers reads, writes and actions through the
//! runtime's `Handler`, and advances its physics and cycles by simulated time
//! ([`clock`]). It is sans-IO at its core — [`appliance::Sim`] is driven by `tick(dt)` and
//! unit-tested without a broker or a real clock — and the [`runner`] is the tokio shell that
//! provisions identities, connects each appliance to a broker, ticks it at the chosen speed
//! and hands its changes and events to the runtime. [`control`] is the outside world (doors,
//! laundry, failing parts), [`fleet`] the set of appliances to run, and [`faults`] the named
//! deviations the conformance suite must catch: protocol deviations through the protocol
//! core's one seam (`hearth-node`'s `fault-injection` feature, which this crate turns on),
//! the others in the simulator's own code or in what it hands the runtime (a slow clock).
//! [`controller_faults`] holds the same for controllers: deviations of the controller core
//! that the controller suite must catch.
//! It is not a conformance test: it is what the suite is tested against.

pub mod appliance;
pub mod brand;
pub mod clock;
pub mod control;
pub mod controller_faults;
pub mod faults;
pub mod fleet;
pub mod link;
pub mod runner;

use std::path::PathBuf;

pub use appliance::{DeviceKind, Sim};
pub use brand::{BrandId, BRANDS};
pub use clock::{SimClock, SlowClock};
pub use control::{Control, ControlError};
pub use controller_faults::{controller_profile, controller_profiles, ControllerProfile};
pub use faults::{profile, profiles, FaultProfile};
pub use fleet::{DeviceSpec, Fleet};
pub use runner::{Runner, RunnerConfig, SimDevice};

/// Why the simulator could not do something.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// A credential could not be read, issued or written.
    #[error(transparent)]
    Identity(#[from] hearth_mqtt::identity::IdentityError),
    /// A PKI file could not be read or written.
    #[error(transparent)]
    Fs(#[from] hearth_security::fs::FsError),
    /// A certificate could not be issued.
    #[error("issuing a certificate: {0}")]
    Cert(#[from] hearth_security::cert::CertError),
    /// The access-control list could not be built.
    #[error("access-control list: {0}")]
    Acl(#[from] hearth_security::acl::AclError),
    /// The Device runtime refused to start.
    #[error("device {id}: {source}")]
    Device {
        /// The device id.
        id: String,
        /// The cause.
        source: hearth_mqtt::device::DeviceError,
    },
    /// An appliance's kept access-control list could not be written.
    #[error(transparent)]
    Access(#[from] hearth_security::access::AccessStoreError),
    /// The fleet is not valid.
    #[error("fleet: {0}")]
    Fleet(String),
    /// A file or folder could not be read or created.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}
