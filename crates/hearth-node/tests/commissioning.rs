//! Commissioning (`spec/07-commissioning.md`) between a device core and controller cores on an
//! in-memory broker and a virtual clock: a factory-new fan commissioned from its setup code,
//! wrong passcodes and the window's bounds, multi-admin, ACL management and the factory
//! reset. No test sleeps: windows and sessions time out by the virtual clock.

mod common;

use std::time::Duration;

use common::home::{fan, payload, qr, wrong_qr, Home, DISCRIMINATOR};
use common::ON;
use hearth_model::setup::SetupCode;
use hearth_model::{Privilege, StatusCode, Value};
use hearth_node::{CommissionError, CommissionEvent, ControllerEvent, WindowError};
use hearth_security::acl::AclEntry;
use hearth_wire::commissioning::{
    AclChangeResponse, AclOperation, WindowControl, WindowState, WindowType,
};
use hearth_wire::{Body, Message};

/// A home whose fan has connected (and so opened its basic window) with one controller.
fn home() -> (Home, usize) {
    let mut home = Home::new();
    home.connect_device();
    let a = home.add_controller("app-a");
    (home, a)
}

/// A home whose fan controller `a` has commissioned.
fn commissioned() -> (Home, usize) {
    let (mut home, a) = home();
    home.commission_ok(a, qr());
    (home, a)
}

/// A home whose fan controller `a` has commissioned and `b` joined by multi-admin with
/// `operate`: the home, `a` and `b`.
fn with_operator() -> (Home, usize, usize) {
    let (mut home, a) = commissioned();
    let b = home.add_controller("app-b");
    let (code, _) = home.share(a, Privilege::Operate);
    home.commission_ok(b, SetupCode::Qr(code));
    (home, a, b)
}

fn is_open(home: &Home) -> bool {
    matches!(home.device.window(home.now), Some(WindowState::Open(_)))
}

fn privileges(home: &Home) -> Vec<Privilege> {
    home.device
        .acl()
        .entries()
        .iter()
        .map(|e| e.privilege)
        .collect()
}

fn read_on(home: &mut Home, i: usize) -> Option<Message> {
    home.ask(i, Body::Read(vec![ON]))
}

fn acl_change(home: &mut Home, i: usize, ops: Vec<AclOperation>) -> Option<AclChangeResponse> {
    match home.ask(i, Body::AclChange(ops))?.body {
        Body::AclChangeResponse(r) => Some(r),
        other => panic!("{other:?}"),
    }
}

/// HRT-COM-021, HRT-COM-043, HRT-COM-045, HRT-COM-050 to HRT-COM-055, HRT-COM-025: a
/// factory-new fan opens its basic window on connecting, a controller of another ecosystem
/// commissions it from its QR text, and ends in the fan's ACL with manage; the window closes.
#[test]
fn a_factory_new_device_is_commissioned_from_its_qr_text() {
    let (mut home, a) = home();
    let Some(WindowState::Open(window)) = home.retained_window() else {
        panic!(
            "the fan announces an open window: {:?}",
            home.retained_window()
        );
    };
    assert_eq!(window.window_type, WindowType::Basic);
    assert_eq!(window.params.discriminator, DISCRIMINATOR);
    assert_eq!(window.closes_in, 900);
    assert_eq!(
        home.controllers[a].device(&fan()).and_then(|v| v.window()),
        Some(&window)
    );
    // Before commissioning, the controller is nobody to the fan.
    assert!(read_on(&mut home, a).is_none(), "unknown signer: dropped");

    let done = home.commission_ok(a, qr());
    assert_eq!(done.addr, fan());
    assert_eq!(done.device_type.as_deref(), Some("fan"));
    assert_eq!(privileges(&home), [Privilege::Manage]);
    assert_eq!(home.retained_window(), Some(WindowState::Closed));
    assert!(!is_open(&home));
    assert_eq!(home.device.stats().commissioned, 1);
    // Its root is trusted now, and its key holds manage.
    let read = read_on(&mut home, a).expect("a read response");
    let Body::ReadResponse(results) = read.body else {
        panic!("{read:?}")
    };
    assert_eq!(results[0].value, Some(Value::Bool(false)));
    let acl = home.ask(a, Body::AclRead).expect("an ACL");
    let Body::AclReadResponse(acl) = acl.body else {
        panic!("{acl:?}")
    };
    assert_eq!(acl.entries.len(), 1);
    assert_eq!(acl.max_entries, 64);
}

/// HRT-COM-052, HRT-COM-013: a manual code carries the short discriminator and the passcode;
/// it finds the fan just the same.
#[test]
fn a_manual_code_commissions_too() {
    let (mut home, a) = home();
    let manual = SetupCode::parse(&payload().manual_code().to_string()).expect("manual code");
    assert!(matches!(manual, SetupCode::Manual(_)));
    home.commission_ok(a, manual);
    assert_eq!(privileges(&home), [Privilege::Manage]);
}

/// HRT-COM-051: a QR text of another device type is not this fan, whatever the passcode.
#[test]
fn a_qr_text_of_another_device_type_is_refused_before_any_session() {
    let (mut home, a) = home();
    let other = hearth_model::setup::SetupPayload::new(0xFFF1, 7, DISCRIMINATOR, 20_202_021)
        .expect("payload");
    let outcome = home.commission(a, SetupCode::Qr(other)).expect("ends");
    assert!(
        matches!(outcome, Err(CommissionError::NotTheDevice { .. })),
        "{outcome:?}"
    );
    assert_eq!(home.broker.published("/commission").count(), 0);
    assert_eq!(home.device.stats().sessions_failed, 0);
}

/// HRT-COM-034, HRT-COM-035, HRT-COM-049, HRT-COM-056: a wrong passcode fails, costs the
/// window one session, and the fan says how many are left; nothing else changes.
#[test]
fn a_wrong_passcode_fails_and_counts_an_attempt() {
    let (mut home, a) = home();
    let outcome = home.commission(a, wrong_qr()).expect("ends");
    assert!(
        matches!(
            outcome,
            Err(CommissionError::WrongPasscode {
                sessions_left: Some(19),
                ..
            })
        ),
        "{outcome:?}"
    );
    assert_eq!(home.device.stats().sessions_failed, 1);
    assert!(home.device.acl().entries().is_empty());
    assert!(is_open(&home), "one failure does not close the window");
    // The right code still works.
    home.commission_ok(a, qr());
}

/// HRT-COM-024, HRT-COM-020: after 20 failed sessions the window closes, and a `pake-start`
/// is dropped unanswered from then on.
#[test]
fn the_window_closes_after_twenty_failed_sessions() {
    let (mut home, a) = home();
    for n in 1..=20u8 {
        let outcome = home.commission(a, wrong_qr()).expect("ends");
        let Err(CommissionError::WrongPasscode { sessions_left, .. }) = outcome else {
            panic!("{outcome:?}")
        };
        assert_eq!(sessions_left, Some(20 - n));
    }
    assert!(!is_open(&home));
    assert_eq!(home.retained_window(), Some(WindowState::Closed));
    assert_eq!(
        home.commission(a, qr()),
        None,
        "no window: the attempt waits"
    );
    assert_eq!(home.device.stats().sessions_failed, 20);
    // The button opens a new one (HRT-COM-022), and the right code works in it.
    home.controllers[a].cancel_commissioning();
    home.device.open_window(home.now).expect("a window");
    home.settle();
    home.commission_ok(a, qr());
}

/// HRT-COM-026, HRT-COM-019: a window stays open for at least 180 s and closes at its
/// deadline, by the virtual clock.
#[test]
fn the_window_closes_at_its_deadline() {
    let (mut home, a) = home();
    home.advance(Duration::from_secs(180));
    assert!(is_open(&home));
    let Some(WindowState::Open(w)) = home.device.window(home.now) else {
        panic!("open")
    };
    assert_eq!(w.closes_in, 720);
    assert_eq!(
        home.device.poll_timeout(),
        Some(home.now + Duration::from_secs(720))
    );
    home.advance(Duration::from_secs(720));
    assert!(!is_open(&home));
    assert_eq!(home.retained_window(), Some(WindowState::Closed));
    assert_eq!(
        home.controllers[a].device(&fan()).and_then(|v| v.window()),
        None
    );
    // The device stays factory-new: it opens no window on a message alone.
    assert_eq!(home.commission(a, qr()), None);
    assert!(home.device.acl().entries().is_empty());
}

/// HRT-COM-035, HRT-COM-029: a commissioner that vanishes after its `pake-start` holds the
/// session for 60 s at most, then the session counts as failed; meanwhile another start is
/// told `busy`, without counting.
#[test]
fn a_session_without_its_confirm_fails_after_sixty_seconds() {
    let (mut home, a) = home();
    let b = home.add_controller("app-b");
    // A's start reaches the fan, A is gone before the fan's answer arrives.
    let rng = std::sync::Arc::new(hearth_security::pki::SystemRandom::new());
    home.controllers[a]
        .commission(home.now, qr(), rng)
        .expect("started");
    while let Some(t) = home.controllers[a].poll_transmit() {
        let hearth_node::Transmit::Publish(p) = t else {
            continue;
        };
        home.device
            .handle_publish(home.now, &p.topic, &p.payload, false);
    }
    home.drop_controller(a);
    home.settle();
    assert_eq!(home.refused(b, qr()), (StatusCode::Busy, Some(20)));
    assert_eq!(home.device.stats().sessions_failed, 0);
    home.advance(Duration::from_secs(59));
    assert_eq!(home.device.stats().sessions_failed, 0);
    home.advance(Duration::from_secs(1));
    assert_eq!(home.device.stats().sessions_failed, 1);
    home.commission_ok(b, qr());
}

/// HRT-COM-070, HRT-COM-023, HRT-COM-074, HRT-COM-073, HRT-COM-071: the manager opens an
/// enhanced window with a fresh code; a second controller is commissioned with it and gets
/// the privilege the manager named.
#[test]
fn a_second_controller_is_commissioned_by_multi_admin() {
    let (mut home, a) = commissioned();
    let b = home.add_controller("app-b");
    let (code, answer) = home.share(a, Privilege::Operate);
    assert_eq!(
        answer.map(|m| m.body),
        Some(Body::WindowControlResponse(StatusCode::Success))
    );
    assert_eq!(code.vendor_id(), 0xFFF1);
    assert_eq!(code.device_type(), 8);
    assert_ne!(code.passcode(), payload().passcode(), "a fresh passcode");
    let Some(WindowState::Open(w)) = home.retained_window() else {
        panic!("an enhanced window is announced")
    };
    assert_eq!(w.window_type, WindowType::Enhanced);
    assert_eq!(w.params.discriminator, code.discriminator());
    // A second window while one is open: busy.
    let (_, again) = home.share(a, Privilege::Manage);
    assert_eq!(
        again.map(|m| m.body),
        Some(Body::WindowControlResponse(StatusCode::Busy))
    );
    // The printed code does not open this window.
    let printed = home.commission(b, qr());
    assert!(printed.is_none() || printed.is_some_and(|o| o.is_err()));
    home.controllers[b].cancel_commissioning();

    home.commission_ok(b, SetupCode::Qr(code));
    assert_eq!(privileges(&home), [Privilege::Manage, Privilege::Operate]);
    assert!(!is_open(&home));
    assert!(read_on(&mut home, b).is_some(), "operate may read");
    assert!(
        home.ask(b, Body::AclRead).is_none(),
        "but not read the ACL (HRT-COM-060)"
    );
    // The enhanced window's record went with it: the same code finds no window.
    assert_eq!(home.commission(b, SetupCode::Qr(code)), None);
}

/// HRT-COM-027, HRT-COM-060: a manager closes a window; an operator may not open one.
#[test]
fn window_control_is_the_managers() {
    let (mut home, a, b) = with_operator();
    let refused = home.controllers[b].open_enhanced_window(
        home.now,
        fan(),
        (Privilege::Operate, Duration::from_secs(300), 1000),
        &hearth_security::pki::SystemRandom::new(),
    );
    let (id, _) = refused.expect("sealed");
    home.settle();
    assert_eq!(
        home.response(b, id).map(|m| m.body),
        Some(Body::WindowControlResponse(StatusCode::Unauthorized))
    );
    assert!(!is_open(&home));
    // The button, then the manager closes it.
    home.device.open_window(home.now).expect("opens");
    assert_eq!(
        home.device.open_window(home.now),
        Err(WindowError::AlreadyOpen)
    );
    home.settle();
    let closed = home.ask(a, Body::WindowControl(WindowControl::Close));
    assert_eq!(
        closed.map(|m| m.body),
        Some(Body::WindowControlResponse(StatusCode::Success))
    );
    assert!(!is_open(&home));
    assert_eq!(home.retained_window(), Some(WindowState::Closed));
}

/// HRT-COM-061, HRT-COM-062, HRT-COM-064, HRT-COM-060: a manager reads and changes the ACL,
/// and the change applies to the next request; an operator may do neither.
#[test]
fn a_manager_changes_the_acl_and_an_operator_may_not() {
    let (mut home, a, b) = with_operator();
    let kb = home.device.acl().entries()[1].subject;
    let ka = home.device.acl().entries()[0].subject;

    // B may not change the ACL: refused with unauthorized, nothing changes.
    let lift = AclOperation::Set {
        subject: kb,
        privilege: Privilege::Manage,
    };
    let refused = acl_change(&mut home, b, vec![lift]).expect("answered");
    assert_eq!(refused.status, StatusCode::Unauthorized);
    assert_eq!(privileges(&home), [Privilege::Manage, Privilege::Operate]);

    // A lowers B to view: B's next write is refused, its read served.
    let lower = AclOperation::Set {
        subject: kb,
        privilege: Privilege::View,
    };
    let ok = acl_change(&mut home, a, vec![lower]).expect("answered");
    assert_eq!(ok.status, StatusCode::Success);
    // One `unauthorized` answer per second and signer (HRT-SEC-133): B had its one.
    home.advance(Duration::from_secs(1));
    let write = home
        .ask(b, Body::Write(vec![(ON, Value::Bool(true))]))
        .expect("answered");
    assert_eq!(
        write.body,
        Body::WriteResponse(vec![(ON, StatusCode::Unauthorized)])
    );
    home.advance(Duration::from_secs(1));
    assert!(read_on(&mut home, b).is_some());

    // All or nothing: an add that repeats an entry fails at its index, the set before it
    // does not take effect.
    let entry = AclEntry {
        subject: ka,
        privilege: Privilege::View,
    };
    let raise = AclOperation::Set {
        subject: kb,
        privilege: Privilege::Operate,
    };
    let failed = acl_change(&mut home, a, vec![raise, AclOperation::Add(entry)]).expect("answered");
    assert_eq!(
        failed,
        AclChangeResponse {
            status: StatusCode::ConstraintError,
            failed_at: Some(1)
        }
    );
    assert_eq!(privileges(&home), [Privilege::Manage, Privilege::View]);

    // A removes B: B is nobody again.
    let removed = acl_change(&mut home, a, vec![AclOperation::Remove(kb)]).expect("answered");
    assert_eq!(removed.status, StatusCode::Success);
    home.advance(Duration::from_secs(1));
    let after = read_on(&mut home, b).expect("answered unauthorized");
    let Body::ReadResponse(results) = after.body else {
        panic!("{after:?}")
    };
    assert_eq!(results[0].status, StatusCode::Unauthorized);
}

/// HRT-COM-063: the last manager can neither remove itself nor lower its privilege.
#[test]
fn the_last_manage_entry_is_kept() {
    let (mut home, a) = commissioned();
    let ka = home.device.acl().entries()[0].subject;
    for op in [
        AclOperation::Remove(ka),
        AclOperation::Set {
            subject: ka,
            privilege: Privilege::Operate,
        },
    ] {
        let refused = acl_change(&mut home, a, vec![op]).expect("answered");
        assert_eq!(refused.status, StatusCode::InvalidInState);
    }
    assert_eq!(privileges(&home), [Privilege::Manage]);
}

/// HRT-COM-080 to HRT-COM-084: a factory reset erases the ACL and the trust the exchange
/// added, keeps the counter rising, and opens a basic window announced at once; the old
/// manager is refused and may commission the device again.
#[test]
fn a_factory_reset_erases_the_acl_and_keeps_the_counter() {
    let (mut home, a) = commissioned();
    let before = home.device_counters().len();
    home.device.factory_reset(home.now);
    home.settle();
    assert!(home.device.acl().entries().is_empty());
    assert!(is_open(&home));
    assert!(matches!(home.retained_window(), Some(WindowState::Open(_))));
    // The old manager's requests are refused: its root is no longer trusted.
    assert!(read_on(&mut home, a).is_none());
    let seen_open = home.events[a].iter().any(|e| {
        matches!(
            e,
            ControllerEvent::Commissioning(CommissionEvent::Window {
                window: WindowState::Open(_),
                ..
            })
        )
    });
    assert!(seen_open, "the controller saw the window open again");
    // The device's messages after the reset are not replays to the controller: its counter
    // went on rising (HRT-COM-083).
    let rejected: Vec<_> = home.events[a]
        .iter()
        .filter(|e| {
            matches!(
                e,
                ControllerEvent::Update(hearth_node::Update::Rejected { .. })
            )
        })
        .collect();
    assert!(rejected.is_empty(), "{rejected:?}");
    let counters = home.device_counters();
    assert!(counters.len() > before, "the fan spoke after the reset");
    assert!(
        counters.windows(2).all(|w| w[0] < w[1]),
        "every counter above the one before: {counters:?}"
    );
    home.commission_ok(a, qr());
    assert_eq!(privileges(&home), [Privilege::Manage]);
    assert!(read_on(&mut home, a).is_some());
}

/// HRT-COM-058: a session message on the request topic is dropped.
#[test]
fn a_session_message_on_the_request_topic_is_dropped() {
    let (mut home, a) = commissioned();
    let start = Body::PakeStart(hearth_wire::commissioning::Share([4; 65]));
    assert!(home.ask(a, start).is_none());
    assert_eq!(home.device.stats().rejected.get("HRT-COM-058"), Some(&1));
}

/// HRT-COM-046, HRT-COM-047, HRT-COM-059, HRT-COM-033: a `pake-start` whose chain does not
/// end with its root is dropped unanswered; with the root it is taken, and a share that is no
/// point of P-256 fails the session and is answered `unauthorized`.
#[test]
fn a_pake_start_needs_a_chain_ending_with_its_root() {
    let (mut home, _) = home();
    let mut rootless = home.stranger("rootless", false);
    let share = Body::PakeStart(hearth_wire::commissioning::Share([4; 65]));
    assert!(home
        .send_session(&mut rootless, 1, share.clone())
        .is_empty());
    assert_eq!(home.device.stats().rejected.get("HRT-COM-059"), Some(&1));
    assert_eq!(home.device.stats().sessions_failed, 0);

    let mut rooted = home.stranger("rooted", true);
    let answers = home.send_session(&mut rooted, 2, share);
    let [answer] = answers.as_slice() else {
        panic!("{answers:?}")
    };
    assert_eq!(
        answer.body,
        Body::CommissionResult(hearth_wire::commissioning::CommissionResult {
            status: StatusCode::Unauthorized,
            sessions_left: Some(19),
        })
    );
    assert_eq!(answer.request_id, Some(2));
    assert_eq!(home.device.stats().sessions_failed, 1);
    assert!(home.device.acl().entries().is_empty(), "HRT-COM-056");
}

/// HRT-COM-057: a device whose ACL is full answers `resource-exhausted` and starts no session.
#[test]
fn a_full_acl_leaves_no_room_for_a_commissioner() {
    let mut home = Home::with(|settings| {
        settings.max_acl_entries = 1;
        let entry = AclEntry {
            subject: hearth_security::acl::AclSubject::Key(hearth_security::KeyId([7; 16])),
            privilege: Privilege::Manage,
        };
        settings.acl = hearth_security::acl::Acl::from_entries(vec![entry]).expect("acl");
    });
    home.connect_device();
    assert!(
        !is_open(&home),
        "not factory-new: no window on power-on (HRT-COM-022)"
    );
    let a = home.add_controller("app-a");
    home.device.open_window(home.now).expect("the button");
    home.settle();
    assert_eq!(home.refused(a, qr()).0, StatusCode::ResourceExhausted);
    assert_eq!(home.device.stats().sessions_failed, 0);
    assert!(is_open(&home));
}

/// What controller `i`'s attempt with confirmation reported as proven, after `from`.
fn proven(home: &Home, i: usize, from: usize) -> Option<hearth_node::Commissioned> {
    home.events[i][from..].iter().find_map(|e| match e {
        ControllerEvent::Commissioning(CommissionEvent::Proven(device)) => Some(device.clone()),
        _ => None,
    })
}

/// HRT-COM-053: with a manual code the session waits, once the fan proved the passcode, for
/// the user to confirm the vendor and device type it is certified with; confirmed, it
/// completes; declined, no confirmP leaves and the ACL stays empty.
#[test]
fn a_manual_code_waits_for_the_user_to_confirm_the_device() {
    let manual = || SetupCode::parse(&payload().manual_code().to_string()).expect("manual code");
    for accept in [false, true] {
        let (mut home, a) = home();
        let from = home.events[a].len();
        let rng = std::sync::Arc::new(hearth_security::pki::SystemRandom::new());
        home.controllers[a]
            .commission_with(home.now, manual(), rng, true)
            .expect("an attempt starts");
        home.settle();
        let device = proven(&home, a, from).expect("the fan proved the code");
        assert_eq!(device.addr, fan());
        assert_eq!(device.device_type.as_deref(), Some("fan"));
        assert!(
            home.device.acl().entries().is_empty(),
            "not before the user says so"
        );
        let sent = home.broker.wire.len();
        home.controllers[a].confirm_commissioning(home.now, accept);
        home.settle();
        let outcome = home.events[a][from..].iter().find_map(|e| match e {
            ControllerEvent::Commissioning(CommissionEvent::Finished(outcome)) => {
                Some(outcome.clone())
            }
            _ => None,
        });
        if accept {
            assert!(matches!(outcome, Some(Ok(_))), "{outcome:?}");
            assert_eq!(privileges(&home), [Privilege::Manage]);
        } else {
            assert!(
                matches!(outcome, Some(Err(CommissionError::Declined { .. }))),
                "{outcome:?}"
            );
            assert!(home.device.acl().entries().is_empty());
            assert!(
                !home.broker.wire[sent..]
                    .iter()
                    .any(|s| s.topic.ends_with("/commission")),
                "no pake-confirm for a declined device"
            );
        }
    }
}

/// The salt and iteration count a window announces.
fn announced_parameters(home: &Home) -> Option<(Vec<u8>, u32)> {
    match home.device.window(home.now)? {
        WindowState::Open(o) => Some((o.params.salt, o.params.iterations)),
        WindowState::Closed => None,
    }
}

/// HRT-COM-085: the basic window of a factory-new device, the one the button opens and the one
/// after a factory reset all announce the factory record's salt and iteration count.
#[test]
fn every_basic_window_announces_the_factory_parameters() {
    let (mut home, a) = home();
    let first = announced_parameters(&home).expect("a factory-new device's window");
    home.commission_ok(a, qr());
    home.device
        .open_window(home.now)
        .expect("the button opens a window");
    assert_eq!(announced_parameters(&home).as_ref(), Some(&first));
    home.device.factory_reset(home.now);
    home.settle();
    assert_eq!(announced_parameters(&home), Some(first));
}
