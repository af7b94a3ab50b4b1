"""Sealing and opening with the credentials of a PKI folder, certificates and chains
(hearth-security, hearth-wire)."""

from __future__ import annotations

import pytest

import hearth

from conftest import FAN, pki_file

TOPIC = f"d/fff2/{FAN}/req"


def request(counter: int) -> dict:
    return {"kind": "read", "sender": "hearth-suite", "counter": counter, "request_id": counter,
            "target": FAN, "chain": [], "body": ["0/fan-control/level"]}


def test_certificates_parse_and_chains_validate(fleet: hearth.sim.Fleet) -> None:
    root = hearth.Certificate.load(pki_file(fleet, "root.cert"))
    assert root.role == "root" and root.is_self_signed()
    assert hearth.Certificate.from_bytes(root.to_bytes()) == root
    chain = hearth.read_chain(pki_file(fleet, "controller.chain"))  # leaf first
    assert [c.role for c in chain] == ["controller", "vendor"]
    v = hearth.verify_chain(root, list(reversed(chain)))
    assert v["role"] == "controller" and v["subject"] == "hearth-suite"
    assert v["ca_kids"] == [chain[1].key_id, root.key_id]
    with pytest.raises(hearth.VerifyError) as e:  # expired by then
        hearth.verify_chain(root, list(reversed(chain)), now=chain[0].expires)
    assert (e.value.code, e.value.requirement) == ("expired", "HRT-SEC-064")
    with pytest.raises(hearth.VerifyError) as e:  # the leaf alone: its CA is missing
        hearth.verify_chain(root, [chain[0]])
    assert e.value.code == "untrusted_issuer"
    with pytest.raises(hearth.DecodeError):
        hearth.Certificate.from_bytes(b"\xd2\x84")


def test_seal_and_open_with_pki_credentials(fleet: hearth.sim.Fleet) -> None:
    cred = hearth.Credential.load(fleet.pki, "controller")
    assert cred.subject == "hearth-suite" and cred.certificate is not None
    msg = {**request(5), "chain": [c.to_bytes() for c in cred.chain]}
    data = hearth.seal(msg, TOPIC, cred)
    receiver = hearth.Receiver(pki_file(fleet, "root.cert"))
    opened = receiver.open(data, TOPIC)
    assert opened["message"]["body"] == msg["body"]
    assert opened["message"]["counter"] == 5
    assert opened["signer"]["subject"] == "hearth-suite"
    assert opened["signer"]["leaf_kid"] == cred.key_id
    assert hearth.decode(hearth.encode(opened["message"])) == opened["message"]
    # The same bytes again: a replay (HRT-SEC-097), and nothing changed.
    with pytest.raises(hearth.VerifyError) as e:
        receiver.open(data, TOPIC)
    assert (e.value.code, e.value.requirement) == ("replayed", "HRT-SEC-097")
    # On another topic the signature does not hold: the topic is the external AAD.
    with pytest.raises(hearth.VerifyError) as e:
        hearth.open(data, f"d/fff2/{FAN}/report", pki_file(fleet, "root.cert"))
    assert (e.value.code, e.value.requirement) == ("bad_signature", "HRT-SEC-034")
    # Another root: the carried chain is not trusted.
    other = hearth.sim.Fleet([FAN])
    try:
        with pytest.raises(hearth.VerifyError) as e:
            hearth.open(data, TOPIC, pki_file(other, "root.cert"))  # type: ignore[arg-type]
        assert e.value.requirement == "HRT-SEC-064"
    finally:
        other.close()


def test_a_sender_numbers_its_messages(fleet: hearth.sim.Fleet, tmp_path) -> None:
    cred = hearth.Credential.load(fleet.pki, "controller")
    sender = hearth.Sender(cred, counter_file=tmp_path / "counter")
    receiver = hearth.Receiver(pki_file(fleet, "root.cert"))
    counters = []
    for i in range(3):
        data = sender.seal("read", ["0/fan-control/level"], TOPIC, request_id=i, target=FAN,
                           with_chain=True)
        counters.append(receiver.open(data, TOPIC)["message"]["counter"])
    assert counters == sorted(set(counters))
    # A sender that reopens the counter file continues above everything it sent.
    again = hearth.Sender(cred, counter_file=tmp_path / "counter")
    data = again.seal("read", [], TOPIC, request_id=9, target=FAN, with_chain=True)
    assert receiver.open(data, TOPIC)["message"]["counter"] > counters[-1]


def test_a_tampered_message_is_refused(fleet: hearth.sim.Fleet) -> None:
    cred = hearth.Credential.load(fleet.pki, "controller")
    msg = {**request(1), "chain": [c.to_bytes() for c in cred.chain]}
    data = bytearray(hearth.seal(msg, TOPIC, cred))
    data[-1] ^= 1
    with pytest.raises(hearth.VerifyError) as e:
        hearth.open(bytes(data), TOPIC, pki_file(fleet, "root.cert"))
    assert e.value.requirement == "HRT-SEC-034"
