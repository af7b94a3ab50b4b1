//! What an authenticated message may do: privileges per request, and validation of message
//! contents against a device's description.
//!
//! Opening a message proves who sent it and that it is fresh; these checks decide whether
//! the sender may ask for it and whether its contents fit the model. They are pure functions
//! of the message, the catalog, the description and the access list.

use hearth_model::catalog::Catalog;
use hearth_model::validate::{check_event, check_value};
use hearth_model::{Description, Path, Privilege, ValueError};

use crate::message::{Body, Message};

/// The privilege a controller needs for a request: view to read, operate to write, for an
/// invocation the privilege the catalog gives the action (operate unless it says manage),
/// and manage for the access-control list and the commissioning window. Messages that are
/// not requests need none (`None`), and neither do the messages of a commissioning session,
/// whose sender the key exchange authenticates (`spec/07-commissioning.md` §7).
pub fn required_privilege(catalog: &Catalog, msg: &Message) -> Option<Privilege> {
    match &msg.body {
        Body::Read(_) => Some(Privilege::View),
        Body::Write(_) => Some(Privilege::Operate),
        Body::Invoke { path, .. } => Some(
            catalog
                .capability(path.capability)
                .and_then(|c| c.action(path.member))
                .map_or(Privilege::Operate, |a| a.privilege),
        ),
        // The access-control list and the commissioning window are the manager's
        // (HRT-COM-060).
        Body::AclRead | Body::AclChange(_) | Body::WindowControl(_) => Some(Privilege::Manage),
        _ => None,
    }
}

/// Check the contents a device sent — reported values, event fields, read results —
/// against its description. Returns the first path that does not fit.
pub fn check_device_message(
    catalog: &Catalog,
    desc: &Description,
    msg: &Message,
) -> Result<(), (Path, ValueError)> {
    match &msg.body {
        Body::Report(r) => {
            for (path, value) in &r.values {
                check_value(catalog, desc, path, value).map_err(|e| (*path, e))?;
            }
            Ok(())
        }
        Body::Event(e) => {
            check_event(catalog, desc, &e.path, &e.fields).map_err(|err| (e.path, err))
        }
        Body::ReadResponse(results) => {
            for r in results {
                if let Some(v) = &r.value {
                    check_value(catalog, desc, &r.path, v).map_err(|e| (r.path, e))?;
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}
