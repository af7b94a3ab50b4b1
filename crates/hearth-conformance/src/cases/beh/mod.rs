//! Area `BEH`: behaviour per device type — what an appliance does over time as the catalog
//! defines it: cycles and the state machine of `operational-state`, doors and their alarm,
//! faults and their events, cumulative counters, setpoints.
//!
//! Everything that changes the appliance's physical state needs the ICS's actuation flag,
//! and whatever a case changes it puts back (HRT-CONF-008). Doors and faults come from the
//! outside world: those cases need an operator and the ICS flag that allows asking for it.

pub(crate) mod counters;
pub(crate) mod cycle;
pub(crate) mod door;
pub(crate) mod faults;
pub(crate) mod setpoint;
