//! The request pipeline of a device (`spec/04-messages.md`, `spec/03-security.md`): open →
//! kind → target → privilege against the ACL (rate-limited `unauthorized` answers) →
//! validation against the description → handler → response; and the intake of revocation
//! lists on `R/crl/{ca}`.

use hearth_model::validate::{check_invoke, check_read, check_write};
use hearth_model::{Catalog, Description, Path, StatusCode, ValueError};
use hearth_security::cert::Role;
use hearth_security::key::KeyId;
use hearth_security::replay::CounterStore;
use hearth_wire::commissioning::AclChangeResponse;
use hearth_wire::policy::required_privilege;
use hearth_wire::{Body, Envelope, InvokeResult, Message, ReadResult, Report};

use super::{DeviceCore, Handler};
use crate::time::Time;
use crate::topic::{Channel, Topics};
use crate::transmit::Transmit;

impl<H: Handler, S: CounterStore> DeviceCore<H, S> {
    /// A publish arrived on `topic` (the full topic) at `now`.
    ///
    /// A retained revocation list is taken like any other: it is the CA's current list, and
    /// a device that has just connected learns of keys revoked before it started only so
    /// (HRT-MQTT-061, HRT-SEC-104). A retained request is not acted on: a request the broker
    /// kept is not news. A request that passes every check is answered on the requesting
    /// controller's response topic; one that does not is dropped and counted in
    /// [`stats`](Self::stats)`.rejected` under its reason.
    pub fn handle_publish(&mut self, now: Time, topic: &str, payload: &[u8], retain: bool) {
        let Some(rel) = self.endpoint.topics.relative(topic).map(str::to_owned) else {
            return;
        };
        if let Some(ca) = Topics::parse_revocation(&rel) {
            return self.on_revocation_list(now, &ca, payload, retain);
        }
        if retain {
            return;
        }
        if payload.is_empty() || self.stalled {
            return;
        }
        if self.commissioning.is_some() && rel == self.rel(Channel::Commission) {
            return self.on_commission(now, &rel, payload);
        }
        if rel != self.rel(Channel::Req) {
            return;
        }
        let (msg, peer) = match self.endpoint.receiver.open(payload, &rel, now.unix_secs()) {
            Ok(o) => {
                let refused = self.faults.refuses_opened(
                    &self.endpoint.receiver,
                    &o.message,
                    now.unix_secs(),
                );
                if let Some(requirement) = refused {
                    return self.reject(requirement);
                }
                (o.message, Some(o.peer))
            }
            Err(err) => {
                if self.faults.stalls_on(&err) {
                    self.stalled = true;
                }
                let receiver = &self.endpoint.receiver;
                if let Some((msg, peer)) = self.faults.replayed_for_acl(&err, payload, receiver) {
                    let needed = required_privilege(Catalog::standard(), &msg);
                    if needed.is_some_and(|n| self.acl.check(&peer.chain, n).is_err()) {
                        return self.on_unauthorized(now, peer.chain.leaf_kid, &msg);
                    }
                }
                let lax = || {
                    self.faults
                        .lax(&err, payload, &rel, &self.endpoint.receiver)
                };
                match self.faults.lenient(&err, payload).or_else(lax) {
                    Some(msg) => (msg, None),
                    None => return self.reject(err.requirement()),
                }
            }
        };
        if !msg.kind().is_request() {
            return self.reject("not a request");
        }
        // The request topic carries the data requests and the manager's ACL and window
        // requests; a commissioning session's messages belong on the commission topic
        // (HRT-COM-058, HRT-MQTT-011).
        if matches!(msg.body, Body::PakeStart(_) | Body::PakeConfirm(_)) {
            return self.reject("HRT-COM-058");
        }
        if msg.target.as_deref() != Some(self.addr.device_id.as_str()) {
            return self.reject("misaddressed");
        }
        // A sender that is no controller id has no response topic: the request is dropped
        // before anything acts on it (HRT-MQTT-046), not served and left unanswered.
        if !hearth_model::validate::device_id_is_valid(&msg.sender)
            && !self.faults.answer_any_sender()
        {
            return self.reject("HRT-MQTT-046");
        }
        // A signer that is no controller may send no request at all: dropped like a message
        // that failed a check of its signer, unanswered (HRT-SEC-120, 03 §11).
        if let Some(peer) = &peer {
            if peer.chain.role() != Role::Controller && !self.faults.answer_wrong_role() {
                return self.reject("HRT-SEC-120");
            }
        }
        let needed = self
            .faults
            .privilege_needed(required_privilege(Catalog::standard(), &msg));
        if let (Some(needed), Some(peer)) = (needed, &peer) {
            if !self.faults.ignore_acl() && self.acl.check(&peer.chain, needed).is_err() {
                return self.on_unauthorized(now, peer.chain.leaf_kid, &msg);
            }
        }
        let body = self.serve(now, &msg);
        self.respond(now, &msg, body);
        self.stats.requests += 1;
    }

    /// A request its sender may not make: answered `unauthorized` within the rate limit of
    /// HRT-SEC-133, silently dropped beyond it.
    fn on_unauthorized(&mut self, now: Time, kid: KeyId, msg: &Message) {
        self.reject("unauthorized");
        if !self.refusals.allows(now, &kid) {
            return;
        }
        // An `acl-read-response` has no status: a refused `acl-read` goes unanswered, as
        // HRT-SEC-132 allows any refusal to (HRT-COM-060).
        let Some(body) = unauthorized_answer(
            &self.description,
            msg,
            self.faults.privilege_before_existence(),
        ) else {
            return;
        };
        if !(self.faults.uncounted_mixed_refusals() && mixes_codes(&body)) {
            self.refusals.count(now, kid);
        }
        self.respond(now, msg, body);
    }

    /// Validate and hand an authorised request to the handler; the response body.
    fn serve(&mut self, now: Time, msg: &Message) -> Body {
        let skip = self.faults.skip_validation();
        let catalog = Catalog::standard();
        let desc = &self.description;
        match &msg.body {
            Body::Read(paths) => Body::ReadResponse(
                paths
                    .iter()
                    .map(|path| {
                        let result = checked(skip, check_read(catalog, desc, path))
                            .map_err(|e| e.status())
                            .and_then(|()| self.handler.read(path));
                        match result {
                            Ok(value) => ReadResult {
                                path: *path,
                                status: StatusCode::Success,
                                value: Some(value),
                            },
                            Err(status) => ReadResult {
                                path: *path,
                                status,
                                value: None,
                            },
                        }
                    })
                    .collect(),
            ),
            Body::Write(values) => {
                let mut results = Vec::with_capacity(values.len());
                let mut changed = Vec::new();
                for (path, value) in values {
                    let status = match checked(skip, check_write(catalog, desc, path, value)) {
                        Err(e) => e.status(),
                        Ok(()) => match self.handler.write(path, value) {
                            Ok(()) => {
                                changed.push((*path, value.clone()));
                                StatusCode::Success
                            }
                            Err(status) => status,
                        },
                    };
                    results.push((*path, status));
                }
                if !changed.is_empty() && !self.faults.suppress_reports() {
                    let report = Body::Report(Report {
                        full: false,
                        values: changed,
                    });
                    self.publish(now, Channel::Report, report, false, &Envelope::default());
                }
                Body::WriteResponse(results)
            }
            Body::Invoke { path, args } => {
                let outcome = checked(skip, check_invoke(catalog, desc, path, args))
                    .map_err(|e| e.status())
                    .and_then(|()| self.handler.invoke(path, args));
                Body::InvokeResponse(match outcome {
                    Ok(results) => InvokeResult {
                        path: *path,
                        status: StatusCode::Success,
                        results,
                    },
                    Err(status) => InvokeResult {
                        path: *path,
                        status,
                        results: None,
                    },
                })
            }
            // The manager's requests (`spec/07-commissioning.md` §8, §9).
            Body::AclRead => self.acl_read(),
            Body::AclChange(ops) => self.acl_change(ops),
            Body::WindowControl(control) => self.window_control(now, control),
            _ => Body::ReadResponse(Vec::new()),
        }
    }

    /// Seal `body` as the answer to `request` on the requester's response topic.
    pub(super) fn respond(&mut self, now: Time, request: &Message, body: Body) {
        let addressable = hearth_model::validate::device_id_is_valid(&request.sender)
            || (self.faults.answer_any_sender() && is_topic_level(&request.sender));
        if !addressable {
            return;
        }
        let rel = Topics::responses_rel(&request.sender);
        let envelope = Envelope {
            request_id: request.request_id,
            target: Some(request.sender.clone()),
            time_ms: None,
            with_chain: true,
        };
        let aad = self.faults.aad(&rel);
        match self.endpoint.seal(now, &rel, &aad, body, &envelope) {
            Ok(publish) => match self.faults.response_delay() {
                Some(delay) => self.delayed.push((now + delay, publish)),
                None => self.endpoint.push(Transmit::Publish(publish)),
            },
            Err(err) => tracing::error!(device = %self.addr, "sealing a response: {err}"),
        }
    }

    /// A revocation list on `R/crl/{ca}`: applied if that CA signed it and it is newer than
    /// the one held (HRT-MQTT-062); anything else is ignored. A retained copy of the list already held (every reconnection brings one) is no
    /// rejection.
    fn on_revocation_list(&mut self, now: Time, ca: &KeyId, payload: &[u8], retain: bool) {
        if payload.is_empty()
            || self.faults.ignore_revocation()
            || (retain && self.faults.ignore_retained_lists())
        {
            return;
        }
        let applied = self
            .endpoint
            .receiver
            .apply_revocation_list(ca, payload, now.unix_secs());
        match applied {
            Ok(()) => {
                tracing::info!(device = %self.addr, "revocation list of CA {ca} applied");
                self.stats.revocation_lists += 1;
            }
            Err(err) if retain && err.is_repeat() => {}
            Err(err) => {
                tracing::debug!(device = %self.addr, "revocation list ignored: {err}");
                self.reject("revocation list");
            }
        }
    }
}

/// Whether `s` can stand as one level of a topic name: not empty, no `/`, `+` or `#`.
fn is_topic_level(s: &str) -> bool {
    !s.is_empty() && !s.contains(['/', '+', '#'])
}

/// A validation result, unless a fault profile skips validation.
fn checked(skip: bool, result: Result<(), ValueError>) -> Result<(), ValueError> {
    if skip {
        Ok(())
    } else {
        result
    }
}

/// Whether a refusal answers some path otherwise than `unauthorized` (an `unsupported-…`
/// code): it still counts against the rate limit, unless a deviation forgets it.
fn mixes_codes(body: &Body) -> bool {
    let other = |s: &StatusCode| *s != StatusCode::Unauthorized;
    match body {
        Body::ReadResponse(r) => r.iter().any(|r| other(&r.status)),
        Body::WriteResponse(r) => r.iter().any(|(_, s)| other(s)),
        Body::InvokeResponse(r) => other(&r.status),
        _ => false,
    }
}

/// The answer to a request the sender may not make: a path the device does not have gets
/// its `unsupported-…` code (existence is checked before privilege, HRT-MOD-115), every other
/// path `unauthorized` — every path, `privilege_first`, under that fault profile. A manager's
/// request is answered `unauthorized`, but an `acl-read`, whose response has no status, is
/// not answered at all (`None`).
fn unauthorized_answer(desc: &Description, msg: &Message, privilege_first: bool) -> Option<Body> {
    let catalog = Catalog::standard();
    let no = StatusCode::Unauthorized;
    let exists = |path: &Path| {
        if privilege_first {
            return no;
        }
        check_read(catalog, desc, path).map_or_else(|e| e.status(), |()| no)
    };
    let body = match &msg.body {
        Body::Read(paths) => Body::ReadResponse(
            paths
                .iter()
                .map(|p| ReadResult {
                    path: *p,
                    status: exists(p),
                    value: None,
                })
                .collect(),
        ),
        Body::Write(values) => {
            Body::WriteResponse(values.iter().map(|(p, _)| (*p, exists(p))).collect())
        }
        Body::Invoke { path, args } => {
            let status = match check_invoke(catalog, desc, path, args) {
                Err(
                    e @ (ValueError::UnsupportedComponent(_)
                    | ValueError::UnsupportedCapability(_)
                    | ValueError::UnsupportedAction(_)),
                ) => e.status(),
                _ => no,
            };
            Body::InvokeResponse(InvokeResult {
                path: *path,
                status,
                results: None,
            })
        }
        Body::AclChange(_) => Body::AclChangeResponse(AclChangeResponse {
            status: no,
            failed_at: None,
        }),
        Body::WindowControl(_) => Body::WindowControlResponse(no),
        Body::AclRead => return None,
        _ => Body::ReadResponse(Vec::new()),
    };
    Some(body)
}
