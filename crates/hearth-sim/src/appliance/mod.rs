//! The appliances: one module per device type, and what they share.
//!
//! Each device type has a description builder per brand, its own state, a `tick` that
//! advances its physics by simulated time, and answers to reads, writes and actions of its
//! capabilities. What every appliance has — device information, faults, child lock, the
//! energy and water counters, pending events — is its [`Base`], written once here: [`Sim`]
//! holds it, answers the common capabilities itself and hands it to the type's
//! [`Appliance`] on every call, then works out which observable values changed since it
//! last looked. The four cycle appliances share more: they implement
//! [`cycle::Programmes`] (their programmes, settings and physics), and
//! [`cycle::CycleAppliance`] is their one [`Appliance`], forwarding to the shared machine
//! (power, door, remote start, delayed start, the run cycle) first. [`Sim`] is sans-IO: the
//! runner drives it with simulated time and hands its reports and events to the Device
//! runtime; unit tests drive it directly.

use std::collections::BTreeMap;
use std::time::Duration;

use hearth_model::ids::enums::{fault_severity, user_action};
use hearth_model::ids::{
    cap, child_lock, device_info, device_type, energy_measurement, faults, mode, power_measurement,
    temperature_control, water_consumption,
};
use hearth_model::{
    Catalog, ComponentDescription, Description, Path, StatusCode, Value, SPEC_VERSION,
};
use serde::{Deserialize, Serialize};

use crate::brand::{Brand, BrandId};
use crate::control::{Control, ControlError};
use crate::faults::AppDeviation;

pub mod air_conditioner;
pub mod compartment;
pub mod cycle;
mod declare;
pub mod dishwasher;
pub mod fan;
pub mod freezer;
pub mod microwave_oven;
pub mod refrigerator;
pub mod rice_cooker;
pub mod washing_machine;
pub mod water_heater;

/// The nine device types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeviceKind {
    /// air-conditioner (1)
    AirConditioner,
    /// refrigerator (2)
    Refrigerator,
    /// freezer (3)
    Freezer,
    /// rice-cooker (4)
    RiceCooker,
    /// microwave-oven (5)
    MicrowaveOven,
    /// water-heater (6)
    WaterHeater,
    /// dishwasher (7)
    Dishwasher,
    /// fan (8)
    Fan,
    /// washing-machine (9)
    WashingMachine,
}

impl DeviceKind {
    /// Every device type, in catalog order.
    pub const ALL: [Self; 9] = [
        Self::AirConditioner,
        Self::Refrigerator,
        Self::Freezer,
        Self::RiceCooker,
        Self::MicrowaveOven,
        Self::WaterHeater,
        Self::Dishwasher,
        Self::Fan,
        Self::WashingMachine,
    ];

    /// The catalog id.
    pub fn id(self) -> u16 {
        match self {
            Self::AirConditioner => device_type::AIR_CONDITIONER,
            Self::Refrigerator => device_type::REFRIGERATOR,
            Self::Freezer => device_type::FREEZER,
            Self::RiceCooker => device_type::RICE_COOKER,
            Self::MicrowaveOven => device_type::MICROWAVE_OVEN,
            Self::WaterHeater => device_type::WATER_HEATER,
            Self::Dishwasher => device_type::DISHWASHER,
            Self::Fan => device_type::FAN,
            Self::WashingMachine => device_type::WASHING_MACHINE,
        }
    }

    /// The catalog name, e.g. `washing-machine`.
    pub fn name(self) -> &'static str {
        match self {
            Self::AirConditioner => "air-conditioner",
            Self::Refrigerator => "refrigerator",
            Self::Freezer => "freezer",
            Self::RiceCooker => "rice-cooker",
            Self::MicrowaveOven => "microwave-oven",
            Self::WaterHeater => "water-heater",
            Self::Dishwasher => "dishwasher",
            Self::Fan => "fan",
            Self::WashingMachine => "washing-machine",
        }
    }

    /// The short code used in model names and default device ids.
    pub fn code(self) -> &'static str {
        match self {
            Self::AirConditioner => "ac",
            Self::Refrigerator => "rf",
            Self::Freezer => "fz",
            Self::RiceCooker => "rc",
            Self::MicrowaveOven => "mw",
            Self::WaterHeater => "wh",
            Self::Dishwasher => "dw",
            Self::Fan => "fan",
            Self::WashingMachine => "wm",
        }
    }

    /// The device type with this catalog name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// One active fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveFault {
    /// Standard code.
    pub code: u16,
    /// The brand's own code.
    pub vendor_code: u32,
    /// Severity code (`fault-severity`).
    pub severity: u16,
    /// User action code (`user-action`).
    pub action: u16,
    /// Simulated Unix time it was raised.
    pub raised_at: u64,
    /// The component concerned, if not the whole device.
    pub component: Option<u16>,
}

/// The `fault-severity` code for critical.
pub use hearth_model::ids::enums::fault_severity::CRITICAL;

impl ActiveFault {
    fn value(&self) -> Value {
        let mut v = vec![
            (1, Value::Int(self.code.into())),
            (2, Value::Int(self.vendor_code.into())),
            (3, Value::Int(self.severity.into())),
            (4, Value::Int(self.action.into())),
            (5, Value::Int(to_i64(self.raised_at))),
        ];
        if let Some(c) = self.component {
            v.push((6, Value::Int(c.into())));
        }
        Value::structure(v)
    }
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// What every appliance has: identity, description, faults, counters, pending events.
#[derive(Debug)]
pub struct Base {
    /// The brand.
    pub brand: &'static Brand,
    /// The device type.
    pub kind: DeviceKind,
    /// What the appliance declares.
    pub description: Description,
    /// Model identifier.
    pub model: String,
    /// Serial number.
    pub serial: String,
    /// Faults present now, oldest first.
    pub faults: Vec<ActiveFault>,
    /// Cumulative energy in Wh (fractional while accumulating).
    pub energy_wh: f64,
    /// Cumulative water in 0.1 L.
    pub water_dl: f64,
    /// Child lock.
    pub child_lock: bool,
    /// Simulated Unix time.
    pub now_unix: u64,
    /// Deliberate deviations of the application.
    pub deviation: AppDeviation,
    events: Vec<(Path, Value)>,
}

impl Base {
    fn new(
        kind: DeviceKind,
        brand: &'static Brand,
        mut description: Description,
        deviation: AppDeviation,
        now_unix: u64,
    ) -> Self {
        if deviation.omit_mandatory {
            for comp in description.components.iter_mut().filter(|c| c.id == 0) {
                comp.capabilities.retain(|i| i.capability != cap::FAULTS);
            }
        }
        let seed = description
            .device_id
            .bytes()
            .fold(17u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
        Self {
            brand,
            kind,
            model: brand.model(&kind.code().to_uppercase(), 3 + (brand.vendor_id % 3) as u8),
            serial: format!("{}{:08}", brand.model_prefix, seed % 100_000_000),
            description,
            faults: Vec::new(),
            energy_wh: (seed % 50_000 + 1_000) as f64,
            water_dl: (seed % 90_000 + 500) as f64,
            child_lock: false,
            now_unix,
            deviation,
            events: Vec::new(),
        }
    }

    /// The refusal of a control command this appliance does not understand.
    pub fn unsupported(&self, control: &Control) -> ControlError {
        ControlError::Unsupported {
            kind: self.kind.name(),
            what: format!("{control:?}"),
        }
    }

    /// Queue an event for emission.
    pub fn event(&mut self, path: Path, fields: Value) {
        self.events.push((path, fields));
    }

    /// Whether the description declares `capability` on `component`.
    pub fn has(&self, component: u16, capability: u16) -> bool {
        self.description.instance(component, capability).is_some()
    }

    /// Whether the description declares the optional `property` of `capability`.
    pub fn has_property(&self, component: u16, capability: u16, property: u16) -> bool {
        self.description
            .instance(component, capability)
            .is_some_and(|i| i.properties.contains(&property))
    }

    /// Whether the description declares the optional `event` of `capability`.
    pub fn has_event(&self, component: u16, capability: u16, event: u16) -> bool {
        self.description
            .instance(component, capability)
            .is_some_and(|i| i.events.contains(&event))
    }

    /// Whether a critical fault is active.
    pub fn critical_fault(&self) -> Option<&ActiveFault> {
        self.faults.iter().find(|f| f.severity == CRITICAL)
    }

    /// Raise a standard fault of the device type.
    pub fn raise_fault(
        &mut self,
        code: u16,
        component: Option<u16>,
    ) -> Result<ActiveFault, ControlError> {
        let catalog = Catalog::standard();
        let dt = catalog.device_type(self.kind.id());
        if catalog.code("fault-code", dt, code).is_none() {
            return Err(ControlError::UnknownFault(format!("0x{code:04x}")));
        }
        if self.faults.iter().any(|f| f.code == code) {
            return Err(ControlError::AlreadyActive(code));
        }
        let spec = dt.and_then(|d| d.faults.iter().find(|f| f.code == code));
        let lookup = |enumeration: &str, name: Option<&str>, default: u16| {
            name.and_then(|n| catalog.code_named(enumeration, None, n))
                .map_or(default, |c| c.code)
        };
        let fault = ActiveFault {
            code,
            vendor_code: self.brand.vendor_fault_code(code),
            severity: lookup(
                "fault-severity",
                spec.map(|s| s.severity.as_str()),
                fault_severity::WARNING,
            ),
            action: lookup(
                "user-action",
                spec.map(|s| s.action.as_str()),
                user_action::CALL_SERVICE,
            ),
            raised_at: self.now_unix,
            component,
        };
        self.faults.push(fault.clone());
        let component = component.map(|c| (6, Value::Int(c.into())));
        self.fault_event(faults::FAULT_RAISED, &fault, component);
        Ok(fault)
    }

    /// Clear an active fault.
    pub fn clear_fault(&mut self, code: u16) -> Result<ActiveFault, ControlError> {
        let i = self
            .faults
            .iter()
            .position(|f| f.code == code)
            .ok_or(ControlError::NotActive(code))?;
        let fault = self.faults.remove(i);
        let active_for = to_i64(self.now_unix.saturating_sub(fault.raised_at));
        let more = std::iter::once((6, Value::Int(active_for)))
            .chain(fault.component.map(|c| (7, Value::Int(c.into()))));
        self.fault_event(faults::FAULT_CLEARED, &fault, more);
        Ok(fault)
    }

    /// Queue `fault-raised` or `fault-cleared` for `fault` (when the description declares
    /// faults): its code and vendor code and, unless the appliance sends bare events, its
    /// severity, action and time raised, then the `more` fields of the event.
    fn fault_event(
        &mut self,
        event: u16,
        fault: &ActiveFault,
        more: impl IntoIterator<Item = (u16, Value)>,
    ) {
        let mut fields = vec![
            (1, Value::Int(fault.code.into())),
            (2, Value::Int(fault.vendor_code.into())),
        ];
        if !self.deviation.bare_events {
            fields.push((3, Value::Int(fault.severity.into())));
            fields.push((4, Value::Int(fault.action.into())));
            fields.push((5, Value::Int(to_i64(fault.raised_at))));
            fields.extend(more);
        }
        if self.has(0, cap::FAULTS) {
            self.event(Path::new(0, cap::FAULTS, event), Value::structure(fields));
        }
    }

    /// Common properties: device information, faults, child lock, counters.
    fn read(&self, path: &Path, power: u32) -> Option<Value> {
        if path.component != 0 {
            return None;
        }
        let brand = self.brand;
        Some(match (path.capability, path.member) {
            (cap::DEVICE_INFO, device_info::VENDOR_NAME) => brand.name.into(),
            (cap::DEVICE_INFO, device_info::VENDOR_ID) => Value::Int(brand.vendor_id.into()),
            (cap::DEVICE_INFO, device_info::PRODUCT_NAME) => {
                Value::Text(format!("{} {}", brand.name, title(self.kind)))
            }
            (cap::DEVICE_INFO, device_info::MODEL) => self.model.as_str().into(),
            (cap::DEVICE_INFO, device_info::PRODUCT_ID) => {
                Value::Int(i64::from(self.kind.id()) * 100 + 3)
            }
            (cap::DEVICE_INFO, device_info::SERIAL_NUMBER) => self.serial.as_str().into(),
            (cap::DEVICE_INFO, device_info::FIRMWARE_VERSION) => brand.firmware.into(),
            (cap::DEVICE_INFO, device_info::HARDWARE_VERSION) => {
                brand.hardware.unwrap_or("A").into()
            }
            (cap::DEVICE_INFO, device_info::SPEC_VERSION) => "1.0".into(),
            (cap::DEVICE_INFO, device_info::MANUFACTURING_DATE) => "2026-03-14".into(),
            (cap::FAULTS, faults::ACTIVE) => {
                Value::List(self.faults.iter().map(ActiveFault::value).collect())
            }
            (cap::CHILD_LOCK, child_lock::LOCKED) => self.child_lock.into(),
            (cap::POWER_MEASUREMENT, power_measurement::POWER) => Value::Int(power.into()),
            (cap::ENERGY_MEASUREMENT, energy_measurement::ENERGY) => {
                Value::Int(self.energy_wh as i64)
            }
            (cap::WATER_CONSUMPTION, water_consumption::VOLUME) => Value::Int(self.water_dl as i64),
            _ => return None,
        })
    }
}

fn title(kind: DeviceKind) -> &'static str {
    match kind {
        DeviceKind::AirConditioner => "Air Conditioner",
        DeviceKind::Refrigerator => "Refrigerator",
        DeviceKind::Freezer => "Chest Freezer",
        DeviceKind::RiceCooker => "Rice Cooker",
        DeviceKind::MicrowaveOven => "Microwave Oven",
        DeviceKind::WaterHeater => "Water Heater",
        DeviceKind::Dishwasher => "Dishwasher",
        DeviceKind::Fan => "Fan",
        DeviceKind::WashingMachine => "Washing Machine",
    }
}

/// The outcome of an action: its results, if any, or the status it failed with.
pub type Invoked = Result<Option<Value>, StatusCode>;

/// The outcome of a control command: done, or why the appliance refused it.
pub type Controlled = Result<(), ControlError>;

/// What one device type adds to what every appliance has: its own state, its answers to
/// reads, writes and actions of its capabilities, and its physics. [`Sim`] keeps the
/// [`Base`] and hands it in, so a device type neither stores nor forwards it; reads of the
/// common capabilities (device information, faults, child lock, counters) never reach it.
pub trait Appliance: Send {
    /// The current value of a type-specific property.
    fn read(&self, base: &Base, path: &Path) -> Result<Value, StatusCode>;
    /// Apply a write that the runtime validated against the description.
    fn write(&mut self, base: &mut Base, path: &Path, value: &Value) -> Result<(), StatusCode>;
    /// Run an action that the runtime validated against the description (none by default).
    fn invoke(&mut self, _base: &mut Base, _path: &Path, _args: &Value) -> Invoked {
        Err(StatusCode::UnsupportedAction)
    }
    /// Advance by `dt` of simulated time.
    fn tick(&mut self, base: &mut Base, dt: Duration);
    /// The electrical power drawn now, in W.
    fn power(&self, base: &Base) -> u32;
    /// Something happens to the appliance from outside (doors, laundry, ambient, …); by
    /// default nothing it understands.
    fn control(&mut self, base: &mut Base, control: &Control) -> Controlled {
        Err(base.unsupported(control))
    }
    /// A fault was raised (cycle appliances stop their cycle on a critical one).
    fn fault_raised(&mut self, _base: &mut Base, _fault: &ActiveFault) {}
    /// A fault was cleared.
    fn fault_cleared(&mut self, _base: &mut Base, _fault: &ActiveFault) {}
}

/// The description's components for a brand, and the appliance's own part, of one type.
struct DeviceTypeParts {
    describe: fn(&Brand) -> Vec<ComponentDescription>,
    build: fn(&Base) -> Box<dyn Appliance>,
}

impl DeviceKind {
    /// How this type's appliances are described and built.
    fn parts(self) -> DeviceTypeParts {
        use cycle::CycleAppliance;
        macro_rules! parts {
            ($module:ident, $ty:ident) => {
                DeviceTypeParts {
                    describe: $module::describe,
                    build: |base| Box::new($module::$ty::new(base)),
                }
            };
            (cycle $module:ident, $ty:ident) => {
                DeviceTypeParts {
                    describe: $module::describe,
                    build: |base| Box::new(CycleAppliance::new(base, $module::$ty::new(base))),
                }
            };
        }
        match self {
            Self::AirConditioner => parts!(air_conditioner, AirConditioner),
            Self::Refrigerator => parts!(refrigerator, Refrigerator),
            Self::Freezer => parts!(freezer, Freezer),
            Self::RiceCooker => parts!(cycle rice_cooker, RiceCooker),
            Self::MicrowaveOven => parts!(cycle microwave_oven, MicrowaveOven),
            Self::WaterHeater => parts!(water_heater, WaterHeater),
            Self::Dishwasher => parts!(cycle dishwasher, Dishwasher),
            Self::Fan => parts!(fan, Fan),
            Self::WashingMachine => parts!(cycle washing_machine, WashingMachine),
        }
    }
}

/// Build the appliance of `kind` for `brand`: what every appliance has, and its own part.
pub fn build(
    kind: DeviceKind,
    brand: BrandId,
    device_id: &str,
    deviation: AppDeviation,
    now_unix: u64,
) -> (Base, Box<dyn Appliance>) {
    let brand = brand.brand();
    let parts = kind.parts();
    let description = Description {
        spec_version: SPEC_VERSION,
        vendor_id: brand.vendor_id,
        device_id: device_id.to_owned(),
        device_type: kind.id(),
        components: (parts.describe)(brand),
    };
    let base = Base::new(kind, brand, description, deviation, now_unix);
    let app = (parts.build)(&base);
    (base, app)
}

/// A simulated appliance: what every appliance has ([`Base`]), its type's own part, change
/// detection and events.
pub struct Sim {
    base: Base,
    app: Box<dyn Appliance>,
    observable: Vec<Path>,
    last: BTreeMap<Path, Value>,
}

impl std::fmt::Debug for Sim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sim")
            .field("device", &self.description().device_id)
            .finish_non_exhaustive()
    }
}

impl Sim {
    /// A new appliance of `kind` and `brand` with device id `device_id`, committing the given
    /// deviations, whose simulated clock starts at `now_unix`.
    pub fn new(
        kind: DeviceKind,
        brand: BrandId,
        device_id: &str,
        deviation: AppDeviation,
        now_unix: u64,
    ) -> Self {
        let (base, app) = build(kind, brand, device_id, deviation, now_unix);
        let observable = base
            .description
            .implemented(Catalog::standard())
            .filter(|m| m.def.is_some_and(|p| p.observable))
            .map(|m| m.path)
            .collect();
        let mut sim = Self {
            base,
            app,
            observable,
            last: BTreeMap::new(),
        };
        sim.last = sim.snapshot().into_iter().collect();
        sim
    }

    /// What the appliance declares.
    pub fn description(&self) -> &Description {
        &self.base.description
    }

    /// The device type.
    pub fn kind(&self) -> DeviceKind {
        self.base.kind
    }

    /// The common state (faults, counters).
    pub fn base(&self) -> &Base {
        &self.base
    }

    /// The current value of any property.
    pub fn read(&self, path: &Path) -> Result<Value, StatusCode> {
        let base = &self.base;
        if base.deviation.undeclared_mode
            && path.capability == cap::MODE
            && path.member == mode::CURRENT_MODE
        {
            return Ok(Value::Int(0x80FF));
        }
        match base.read(path, self.app.power(base)) {
            Some(v) => Ok(v),
            None => self.app.read(base, path),
        }
    }

    fn deviate(&self, status: StatusCode) -> StatusCode {
        if status == StatusCode::InvalidInState && self.base.deviation.wrong_status {
            StatusCode::Failure
        } else {
            status
        }
    }

    /// Apply a validated write.
    pub fn write(&mut self, path: &Path, value: &Value) -> Result<(), StatusCode> {
        if self.base.deviation.range_lie && path.member == temperature_control::SETPOINT {
            if let Some(c) = self
                .description()
                .instance(path.component, cap::TEMPERATURE_CONTROL)
                .and_then(|i| i.constraint(temperature_control::SETPOINT))
                .filter(|_| path.capability == cap::TEMPERATURE_CONTROL)
            {
                let (lo, hi) = (c.min.unwrap_or(0), c.max.unwrap_or(0));
                if value.as_int().is_some_and(|v| v > lo + (hi - lo) / 2) {
                    return Err(StatusCode::ConstraintError);
                }
            }
        }
        let result = if path.component == 0 && path.capability == cap::CHILD_LOCK {
            match value {
                Value::Bool(b) => {
                    self.base.child_lock = *b;
                    Ok(())
                }
                _ => Err(StatusCode::InvalidType),
            }
        } else {
            self.app.write(&mut self.base, path, value)
        };
        match result {
            Ok(()) => {
                // The runtime reports the written value itself.
                self.last.insert(*path, value.clone());
                Ok(())
            }
            Err(status) => Err(self.deviate(status)),
        }
    }

    /// Run a validated action.
    pub fn invoke(&mut self, path: &Path, args: &Value) -> Invoked {
        self.app
            .invoke(&mut self.base, path, args)
            .map_err(|status| self.deviate(status))
    }

    /// Advance by `dt` of simulated time.
    pub fn tick(&mut self, dt: Duration) {
        self.app.tick(&mut self.base, dt);
        let power = self.app.power(&self.base);
        let base = &mut self.base;
        base.now_unix = base.now_unix.saturating_add(dt.as_secs());
        base.energy_wh += f64::from(power) * dt.as_secs_f64() / 3600.0;
        if base.deviation.energy_resets && power == 0 {
            base.energy_wh = 0.0;
        }
    }

    /// Apply a control command.
    pub fn control(&mut self, control: &Control) -> Controlled {
        let base = &mut self.base;
        match control {
            Control::RaiseFault { code, component } => {
                let fault = base.raise_fault(*code, *component)?;
                self.app.fault_raised(base, &fault);
                Ok(())
            }
            Control::ClearFault { code } => {
                let fault = base.clear_fault(*code)?;
                self.app.fault_cleared(base, &fault);
                Ok(())
            }
            other => self.app.control(base, other),
        }
    }

    /// Every observable property with its current value.
    pub fn snapshot(&self) -> Vec<(Path, Value)> {
        self.observable
            .iter()
            .filter_map(|p| self.read(p).ok().map(|v| (*p, v)))
            .collect()
    }

    /// The observable values that changed since the last call (nothing when the appliance
    /// is silent about its changes).
    pub fn changes(&mut self) -> Vec<(Path, Value)> {
        let now = self.snapshot();
        let mut out = Vec::new();
        for (path, value) in now {
            if self.last.get(&path) != Some(&value) {
                self.last.insert(path, value.clone());
                out.push((path, value));
            }
        }
        if self.base.deviation.silent {
            out.clear();
        }
        out
    }

    /// The events emitted since the last call.
    pub fn take_events(&mut self) -> Vec<(Path, Value)> {
        std::mem::take(&mut self.base.events)
    }
}

// ---- helpers for the appliances ----

/// An integer value, or `invalid-type`.
pub(crate) fn int(v: &Value) -> Result<i64, StatusCode> {
    v.as_int().ok_or(StatusCode::InvalidType)
}

/// A boolean value, or `invalid-type`.
pub(crate) fn boolean(v: &Value) -> Result<bool, StatusCode> {
    v.as_bool().ok_or(StatusCode::InvalidType)
}

/// A u16 enum code, or `constraint-error`.
pub(crate) fn code(v: &Value) -> Result<u16, StatusCode> {
    u16::try_from(int(v)?).map_err(|_| StatusCode::ConstraintError)
}

/// A non-negative number of seconds, or `invalid-type` / `constraint-error`.
pub(crate) fn seconds(v: &Value) -> Result<u64, StatusCode> {
    u64::try_from(int(v)?).map_err(|_| StatusCode::ConstraintError)
}

/// A duration given in seconds, or `invalid-type` / `constraint-error`.
pub(crate) fn duration(v: &Value) -> Result<Duration, StatusCode> {
    seconds(v).map(Duration::from_secs)
}

/// Field `field` of an action's arguments in seconds: `constraint-error` when it is absent
/// or negative, `invalid-type` when it is not an integer.
pub(crate) fn seconds_arg(args: &Value, field: u16) -> Result<u64, StatusCode> {
    args.field(field)
        .map(int)
        .transpose()?
        .and_then(|s| u64::try_from(s).ok())
        .ok_or(StatusCode::ConstraintError)
}

/// The new surrounding temperature (0.01 °C) a control command sets, or its refusal.
pub(crate) fn ambient(base: &Base, control: &Control) -> Result<f64, ControlError> {
    match control {
        Control::Ambient { centi_celsius } => Ok(*centi_celsius as f64),
        _ => Err(base.unsupported(control)),
    }
}

/// Seconds as a value.
pub(crate) fn secs(d: Duration) -> Value {
    Value::Int(to_i64(d.as_secs()))
}

/// A temperature in 0.01 °C, rounded to `resolution`.
pub(crate) fn temperature(t: f64, resolution: i64) -> Value {
    let r = resolution.max(1) as f64;
    Value::Int(((t / r).round() * r) as i64)
}

/// Move `value` towards `target` as a first-order system with time constant `tau`.
pub(crate) fn approach(value: f64, target: f64, dt: Duration, tau: Duration) -> f64 {
    let k = 1.0 - (-dt.as_secs_f64() / tau.as_secs_f64().max(1e-3)).exp();
    value + (target - value) * k
}

/// Read a mode code from the description's supported set (the first if `code` is not in it).
pub(crate) fn supported_modes(desc: &Description, component: u16) -> Vec<u16> {
    desc.instance(component, cap::MODE)
        .and_then(|i| i.constraint(mode::CURRENT_MODE))
        .and_then(|c| c.values.as_ref())
        .map(|v| v.iter().map(|e| e.code).collect())
        .unwrap_or_default()
}

/// The declared (min, max, step) of a property.
pub(crate) fn declared_range(
    desc: &Description,
    component: u16,
    capability: u16,
    property: u16,
) -> (i64, i64, i64) {
    let c = desc
        .instance(component, capability)
        .and_then(|i| i.constraint(property));
    (
        c.and_then(|c| c.min).unwrap_or(0),
        c.and_then(|c| c.max).unwrap_or(0),
        c.and_then(|c| c.step)
            .and_then(|s| i64::try_from(s).ok())
            .unwrap_or(1),
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use hearth_model::ids::device_type::{fan, washing_machine};
    use hearth_model::ids::{door, temperature_measurement};
    use hearth_model::validate::{check_description, check_event, check_value};
    use paths::{ENERGY, MODE, ON, PAUSE, SETPOINT, START, STATE};

    /// Every value the appliance would report and every event it emitted fit its description.
    pub(crate) fn assert_valid(sim: &mut Sim) {
        let catalog = Catalog::standard();
        let desc = sim.description().clone();
        for (path, value) in sim.snapshot() {
            check_value(catalog, &desc, &path, &value)
                .unwrap_or_else(|e| panic!("{}: {path} = {value:?}: {e}", desc.device_id));
        }
        for (path, fields) in &sim.base.events {
            check_event(catalog, &desc, path, fields)
                .unwrap_or_else(|e| panic!("{}: event {path} {fields:?}: {e}", desc.device_id));
        }
    }

    /// `action`, invoked without arguments, must be refused with `invalid-in-state`.
    pub(crate) fn refuses(sim: &mut Sim, action: &hearth_model::Path) {
        assert_eq!(
            sim.invoke(action, &hearth_model::Value::Null),
            Err(hearth_model::StatusCode::InvalidInState),
            "{action}"
        );
    }

    /// With the door of component 0 open, start is refused (HRT-CAT-047); once the user
    /// closes it, start succeeds.
    pub(crate) fn start_once_the_door_closes(sim: &mut Sim) {
        door(sim, 0, true);
        refuses(sim, &paths::START);
        door(sim, 0, false);
        sim.invoke(&paths::START, &hearth_model::Value::Null)
            .expect("start with the door closed");
    }

    /// The user opens (or closes) the door of `component`.
    pub(crate) fn door(sim: &mut Sim, component: u16, open: bool) {
        let control = if open {
            Control::OpenDoor { component }
        } else {
            Control::CloseDoor { component }
        };
        sim.control(&control).expect("door");
    }

    /// A fresh appliance.
    pub(crate) fn sim(kind: DeviceKind, brand: BrandId) -> Sim {
        Sim::new(
            kind,
            brand,
            &format!("{}-{}", kind.code(), brand.brand().key),
            AppDeviation::default(),
            1_750_000_000,
        )
    }

    /// The common part of a fresh appliance, for testing one type's state directly.
    pub(crate) fn base(kind: DeviceKind, brand: BrandId) -> Base {
        let d = sim(kind, brand).description().clone();
        Base::new(kind, brand.brand(), d, AppDeviation::default(), 0)
    }

    /// Paths on component 0 the appliances' tests use.
    pub(crate) mod paths {
        use hearth_model::ids::{
            cap, energy_measurement, mode, on_off, operational_state, power_measurement,
            temperature_control, water_consumption,
        };
        use hearth_model::Path;

        const fn cycle(member: u16) -> Path {
            Path::new(0, cap::OPERATIONAL_STATE, member)
        }
        /// `on-off` `on`.
        pub(crate) const ON: Path = Path::new(0, cap::ON_OFF, on_off::ON);
        /// `mode` `current-mode`.
        pub(crate) const MODE: Path = Path::new(0, cap::MODE, mode::CURRENT_MODE);
        /// `temperature-control` `setpoint`.
        pub(crate) const SETPOINT: Path =
            Path::new(0, cap::TEMPERATURE_CONTROL, temperature_control::SETPOINT);
        /// `power-measurement` `power`.
        pub(crate) const POWER: Path =
            Path::new(0, cap::POWER_MEASUREMENT, power_measurement::POWER);
        /// `energy-measurement` `energy`.
        pub(crate) const ENERGY: Path =
            Path::new(0, cap::ENERGY_MEASUREMENT, energy_measurement::ENERGY);
        /// `water-consumption` `volume`.
        pub(crate) const WATER: Path =
            Path::new(0, cap::WATER_CONSUMPTION, water_consumption::VOLUME);
        /// `operational-state` `state`.
        pub(crate) const STATE: Path = cycle(operational_state::STATE);
        /// `operational-state` `phase`.
        pub(crate) const PHASE: Path = cycle(operational_state::PHASE);
        /// `operational-state` `remaining-time`.
        pub(crate) const REMAINING: Path = cycle(operational_state::REMAINING_TIME);
        /// `operational-state` `start`.
        pub(crate) const START: Path = cycle(operational_state::START);
        /// `operational-state` `pause`.
        pub(crate) const PAUSE: Path = cycle(operational_state::PAUSE);
        /// `operational-state` `resume`.
        pub(crate) const RESUME: Path = cycle(operational_state::RESUME);
        /// `operational-state` `stop`.
        pub(crate) const STOP: Path = cycle(operational_state::STOP);
    }

    /// What the appliances' test modules use.
    pub(crate) mod prelude {
        pub(crate) use super::paths::*;
        pub(crate) use super::{
            assert_valid, door, int_at, measured, refuses, run, sim, start_once_the_door_closes,
            temperature_at,
        };
        pub(crate) use crate::appliance::{DeviceKind, Sim};
    }

    /// The measured temperature of a component.
    pub(crate) const fn temperature_at(component: u16) -> Path {
        Path::new(
            component,
            cap::TEMPERATURE_MEASUREMENT,
            temperature_measurement::TEMPERATURE,
        )
    }

    /// The temperature component `component` measures, in centi-celsius.
    pub(crate) fn measured(s: &Sim, component: u16) -> i64 {
        int_at(s, temperature_at(component))
    }

    /// The integer value of a property.
    pub(crate) fn int_at(s: &Sim, path: Path) -> i64 {
        s.read(&path)
            .ok()
            .and_then(|v| v.as_int())
            .unwrap_or_else(|| panic!("{path} is not an integer"))
    }

    /// Tick `n` times by `step`, checking values after each.
    pub(crate) fn run(sim: &mut Sim, step: Duration, n: usize) {
        for _ in 0..n {
            sim.tick(step);
            assert_valid(sim);
        }
    }

    #[test]
    fn every_type_and_brand_has_a_valid_description_and_valid_values() {
        for kind in DeviceKind::ALL {
            for brand in [BrandId::Aurora, BrandId::Kestrel, BrandId::Lotus] {
                let mut s = sim(kind, brand);
                check_description(Catalog::standard(), s.description())
                    .unwrap_or_else(|e| panic!("{kind:?} {brand:?}: {e}"));
                assert_valid(&mut s);
                run(&mut s, Duration::from_secs(30), 20);
            }
        }
    }

    /// Every appliance switched on and, for cycle appliances, through a whole programme:
    /// every value on the way fits the description.
    #[test]
    fn values_stay_valid_while_operating() {
        for kind in DeviceKind::ALL {
            for brand in [BrandId::Aurora, BrandId::Kestrel, BrandId::Lotus] {
                let mut s = sim(kind, brand);
                if s.base().has(0, cap::ON_OFF) {
                    s.write(&ON, &Value::Bool(true)).expect("on");
                }
                if s.base().has(0, cap::OPERATIONAL_STATE) {
                    s.invoke(&START, &Value::Null)
                        .unwrap_or_else(|e| panic!("{kind:?} {brand:?}: {e}"));
                }
                let _ = s.control(&Control::OpenDoor { component: 1 });
                run(&mut s, Duration::from_secs(45), 320);
                if s.base().has(0, cap::OPERATIONAL_STATE) {
                    assert_eq!(
                        s.read(&STATE),
                        Ok(Value::Int(5)),
                        "{kind:?} {brand:?} completed"
                    );
                }
            }
        }
    }

    #[test]
    fn brands_differ() {
        for kind in DeviceKind::ALL {
            let a = sim(kind, BrandId::Aurora);
            let k = sim(kind, BrandId::Kestrel);
            assert_ne!(
                a.description().components,
                k.description().components,
                "{kind:?}"
            );
        }
    }

    #[test]
    fn faults_show_in_the_list_and_as_events() {
        let mut s = sim(DeviceKind::Fan, BrandId::Kestrel);
        s.control(&Control::RaiseFault {
            code: fan::fault::MOTOR,
            component: None,
        })
        .expect("raise");
        let active = s
            .read(&Path::new(0, cap::FAULTS, faults::ACTIVE))
            .expect("faults");
        let Value::List(items) = &active else {
            panic!("{active:?}")
        };
        assert_eq!(
            items[0].field(1),
            Some(&Value::Int(fan::fault::MOTOR.into()))
        );
        assert_eq!(items[0].field(2), Some(&Value::Int(801)));
        let events = s.take_events();
        assert_eq!(events[0].0, Path::new(0, cap::FAULTS, faults::FAULT_RAISED));
        assert_eq!(
            s.control(&Control::RaiseFault {
                code: fan::fault::MOTOR,
                component: None
            }),
            Err(ControlError::AlreadyActive(fan::fault::MOTOR))
        );
        s.tick(Duration::from_secs(90));
        s.control(&Control::ClearFault {
            code: fan::fault::MOTOR,
        })
        .expect("clear");
        let events = s.take_events();
        assert_eq!(
            events[0].0,
            Path::new(0, cap::FAULTS, faults::FAULT_CLEARED)
        );
        assert_eq!(events[0].1.field(6), Some(&Value::Int(90)));
        assert_eq!(
            s.read(&Path::new(0, cap::FAULTS, faults::ACTIVE)),
            Ok(Value::List(vec![]))
        );
        assert!(s
            .control(&Control::RaiseFault {
                code: washing_machine::fault::WATER_INLET,
                component: None
            })
            .is_err());
    }

    #[test]
    fn counters_only_grow() {
        for kind in DeviceKind::ALL {
            let mut s = sim(kind, BrandId::Lotus);
            let energy = ENERGY;
            let mut last = s.read(&energy).ok().and_then(|v| v.as_int());
            for _ in 0..50 {
                s.tick(Duration::from_secs(60));
                let now = s.read(&energy).ok().and_then(|v| v.as_int());
                assert!(now >= last, "{kind:?}");
                last = now;
            }
        }
    }

    fn faulty(kind: DeviceKind, brand: BrandId, name: &str) -> Sim {
        let deviation = crate::faults::profile(name).expect("profile").deviation();
        Sim::new(kind, brand, "faulty-1", deviation.app, 1_750_000_000)
    }

    #[test]
    fn application_deviations_without_a_broker() {
        let start = START;
        let pause = PAUSE;
        let mut s = faulty(DeviceKind::Dishwasher, BrandId::Aurora, "wrong-status-code");
        assert_eq!(s.invoke(&pause, &Value::Null), Err(StatusCode::Failure));

        let mut s = faulty(
            DeviceKind::MicrowaveOven,
            BrandId::Aurora,
            "start-with-door-open",
        );
        door(&mut s, 0, true);
        assert_eq!(s.invoke(&start, &Value::Null), Ok(None));

        let sp = SETPOINT;
        let mut s = faulty(DeviceKind::AirConditioner, BrandId::Aurora, "range-lie");
        assert_eq!(
            s.write(&sp, &Value::Int(3200)),
            Err(StatusCode::ConstraintError)
        );
        assert_eq!(s.write(&sp, &Value::Int(1600)), Ok(()));

        let s = faulty(DeviceKind::Fan, BrandId::Lotus, "undeclared-mode");
        assert_eq!(s.read(&MODE), Ok(Value::Int(0x80FF)));

        let s = faulty(
            DeviceKind::Fan,
            BrandId::Lotus,
            "missing-mandatory-capability",
        );
        assert!(check_description(Catalog::standard(), s.description()).is_err());
        assert!(!s.base().has(0, cap::FAULTS));

        let mut s = faulty(DeviceKind::Fan, BrandId::Lotus, "event-missing-fields");
        s.control(&Control::RaiseFault {
            code: fan::fault::MOTOR,
            component: None,
        })
        .expect("raise");
        let (path, fields) = s.take_events().remove(0);
        assert!(check_event(Catalog::standard(), s.description(), &path, &fields).is_err());

        let mut s = faulty(
            DeviceKind::AirConditioner,
            BrandId::Aurora,
            "silent-changes",
        );
        s.write(&ON, &Value::Bool(true)).expect("on");
        s.tick(Duration::from_secs(600));
        assert!(s.changes().is_empty());

        let mut s = faulty(DeviceKind::Freezer, BrandId::Aurora, "no-door-alarm");
        door(&mut s, 1, true);
        s.tick(Duration::from_secs(3600));
        assert_eq!(
            s.read(&Path::new(1, cap::DOOR, door::ALARM)),
            Ok(Value::Bool(true))
        );
        assert!(s.take_events().is_empty());

        let mut s = faulty(DeviceKind::Fan, BrandId::Aurora, "energy-counter-reset");
        let energy = ENERGY;
        assert!(s.read(&energy).expect("energy").as_int() > Some(0));
        s.tick(Duration::from_secs(1));
        assert_eq!(s.read(&energy), Ok(Value::Int(0)));
    }

    #[test]
    fn changes_are_reported_once() {
        let mut s = sim(DeviceKind::AirConditioner, BrandId::Aurora);
        assert!(s.changes().is_empty());
        s.write(&ON, &Value::Bool(true)).expect("on");
        // The runtime reports the write itself.
        assert!(!s.changes().iter().any(|(p, _)| p.capability == cap::ON_OFF));
        s.tick(Duration::from_secs(600));
        let changes = s.changes();
        assert!(changes.iter().any(|(p, _)| *p == temperature_at(0)));
        assert!(s.changes().is_empty());
    }
}
