//! An in-memory device application: a [`Handler`] whose properties live in a map, for tests
//! of the runtimes and of the tools that talk to devices.
//!
//! Not a simulated appliance (that is `hearth-sim`): nothing changes by itself, writes are
//! stored as given (the runtime has already validated them), reads return what is stored and
//! actions succeed and are recorded.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use hearth_model::{Description, Path, StatusCode, Value};
use hearth_mqtt::Handler;

use crate::fixtures::{implemented, initial_value};

/// A device whose properties live in a map: writes store, reads return, actions succeed.
/// Clones share the map, so a test keeps one and gives the other to the runtime.
#[derive(Debug, Clone, Default)]
pub struct MemoryDevice {
    /// The current value of every implemented property.
    pub values: Arc<Mutex<BTreeMap<Path, Value>>>,
    /// Every action invoked, with its arguments, in order.
    pub invoked: Arc<Mutex<Vec<(Path, Value)>>>,
}

impl MemoryDevice {
    /// Every property `desc` implements, at a valid starting value (null where nullable).
    pub fn new(desc: &Description) -> Self {
        let values = implemented(desc)
            .iter()
            .map(|p| (p.path, initial_value(p)))
            .collect();
        Self {
            values: Arc::new(Mutex::new(values)),
            invoked: Arc::default(),
        }
    }

    /// The stored value at `path`.
    pub fn get(&self, path: &Path) -> Option<Value> {
        self.values.lock().expect("lock").get(path).cloned()
    }

    /// The actions invoked so far.
    pub fn invoked(&self) -> Vec<(Path, Value)> {
        self.invoked.lock().expect("lock").clone()
    }
}

impl Handler for MemoryDevice {
    fn read(&mut self, path: &Path) -> Result<Value, StatusCode> {
        self.get(path).ok_or(StatusCode::UnsupportedProperty)
    }
    fn write(&mut self, path: &Path, value: &Value) -> Result<(), StatusCode> {
        self.values
            .lock()
            .expect("lock")
            .insert(*path, value.clone());
        Ok(())
    }
    fn invoke(&mut self, path: &Path, args: &Value) -> Result<Option<Value>, StatusCode> {
        self.invoked
            .lock()
            .expect("lock")
            .push((*path, args.clone()));
        Ok(None)
    }
}
