"""The catalog, description validation and the codec of every message kind
(hearth-model, hearth-wire)."""

from __future__ import annotations

import copy
from typing import Any, Dict, List

import pytest

import hearth


def test_catalog_lookups_by_name_and_id_agree() -> None:
    fan = hearth.device_type("fan")
    assert fan is not None and fan["name"] == "fan"
    assert hearth.device_type(fan["id"]) == fan
    assert "fan" in hearth.device_types()
    cap = hearth.capability("fan-control")
    assert cap is not None
    assert hearth.capability(cap["id"])["name"] == "fan-control"
    assert [p["name"] for p in cap["properties"]][:1] == ["level"]
    assert hearth.device_type("toaster") is None
    assert hearth.capability(65000) is None


def test_status_codes_and_paths() -> None:
    codes = hearth.status_codes()
    assert codes["success"] == 0 and codes["read-only"] == 8
    cap = hearth.capability("fan-control")
    assert hearth.parse_path("0/fan-control/level") == (0, cap["id"], 1)
    assert hearth.parse_path(f"0/{cap['id']}/1") == (0, cap["id"], 1)
    with pytest.raises(hearth.ValidationError):
        hearth.parse_path("0/fan-control/no-such-member")


def test_the_fans_description_is_valid(description: Dict[str, Any]) -> None:
    hearth.validate_description(description)


def test_an_invalid_description_names_its_requirements(description: Dict[str, Any]) -> None:
    bad = copy.deepcopy(description)
    bad["vendor_id"] = 0  # HRT-MOD-001: 0 is no vendor id
    with pytest.raises(hearth.ValidationError) as e:
        hearth.validate_description(bad)
    assert e.value.requirement == "HRT-MOD-001"
    assert ("HRT-MOD-001" in [r for r, _ in e.value.problems])
    assert isinstance(e.value, hearth.HearthError)


def test_values_are_checked_against_the_description(description: Dict[str, Any]) -> None:
    hearth.validate_value(description, "0/fan-control/level", 2)
    with pytest.raises(hearth.ValidationError) as e:
        hearth.validate_value(description, "0/fan-control/level", 9)  # the fan declares max 3
    assert (e.value.requirement, e.value.status) == ("HRT-MOD-044", "constraint-error")
    with pytest.raises(hearth.ValidationError) as e:
        hearth.validate_value(description, "0/fan-control/level", "fast")
    assert e.value.status == "invalid-type"
    with pytest.raises(hearth.ValidationError) as e:
        hearth.validate_value(description, "0/device-info/model", "x")
    assert (e.value.requirement, e.value.status) == ("HRT-MOD-041", "read-only")


def messages(description: Dict[str, Any]) -> List[Dict[str, Any]]:
    """One message of every kind."""
    req = {"request_id": 7, "target": "fan-kestrel-1"}
    resp = {"request_id": 7, "target": "hearth-suite"}
    return [
        {"kind": "description", "body": description},
        {"kind": "status", "body": {"availability": "online", "boot_id": 42}},
        {"kind": "report", "time_ms": 1_700_000_000_000,
         "body": {"full": True, "values": [("0/fan-control/level", 2), ("0/fan-control/auto", False)]}},
        {"kind": "event", "body": {"path": "0/faults/fault-raised", "number": 3, "fields": {1: 1, 2: None}}},
        {"kind": "read", **req, "body": ["0/fan-control/level", "0/device-info/model"]},
        {"kind": "write", **req, "body": [("0/fan-control/level", 3)]},
        {"kind": "invoke", **req, "body": {"path": "0/operational-state/start", "args": None}},
        {"kind": "read-response", **resp, "body": [
            {"path": "0/fan-control/level", "status": "success", "value": 3},
            {"path": "0/fan-control/0x0009",
             "status": "unsupported-property", "value": None},
        ]},
        {"kind": "write-response", **resp, "body": [("0/fan-control/level", "constraint-error")]},
        {"kind": "invoke-response", **resp,
         "body": {"path": "0/operational-state/start", "status": "success", "results": {1: b"\x01", 2: [1, "a"]}}},
        # Commissioning (spec/07-commissioning.md §12): the CDDL's integer keys.
        {"kind": "window", "body": {1: True, 2: 3840, 3: b"s" * 16, 4: 1000, 5: 900, 6: 1}},
        {"kind": "pake-start", **req, "body": {1: b"\x04" * 65}},
        {"kind": "pake-response", **resp, "body": {1: b"\x04" * 65, 2: b"c" * 32}},
        {"kind": "pake-confirm", **req, "body": {2: 1}},
        {"kind": "commission-result", **resp, "body": {1: 3, 2: 19}},
        {"kind": "acl-read", **req, "body": {}},
        {"kind": "acl-read-response", **resp, "body": {1: [{1: b"k" * 16, 2: 3}], 2: 64}},
        {"kind": "acl-change", **req, "body": {1: [[1, {1: b"k" * 16, 2: 2, 3: True}], [3, b"j" * 16, False]]}},
        {"kind": "acl-change-response", **resp, "body": {1: 9, 2: 0}},
        {"kind": "window-control", **req, "body": {1: False}},
        {"kind": "window-control-response", **resp, "body": {1: 0}},
    ]


def test_every_message_kind_round_trips(description: Dict[str, Any]) -> None:
    kinds = set()
    for i, m in enumerate(messages(description)):
        m = {"sender": "fan-kestrel-1", "counter": i, **m}
        data = hearth.encode(m)
        back = hearth.decode(data)
        assert hearth.encode(back) == data, m["kind"]
        assert back["kind"] == m["kind"] and back["counter"] == i
        assert back["body"] == m["body"], m["kind"]
        kinds.add(back["kind"])
    assert kinds == set(hearth.message_kinds())


def test_undecodable_bytes_raise_decode_error() -> None:
    for data in [b"", b"\xff", b"\xa1\x01", bytes(70_000)]:
        with pytest.raises(hearth.DecodeError) as e:
            hearth.decode(data)
        assert (e.value.requirement, e.value.status) == ("HRT-MSG-040", "malformed")


def test_malformed_messages_are_refused_before_encoding() -> None:
    with pytest.raises(hearth.ValidationError):
        hearth.encode({"kind": "shout", "sender": "a", "counter": 1, "body": None})
    with pytest.raises(hearth.ValidationError):
        hearth.encode({"kind": "write", "sender": "a", "counter": 1, "body": [("0/x/y", 1)]})
    with pytest.raises(hearth.ValidationError):  # nests deeper than the model allows
        deep: Any = 1
        for _ in range(20):
            deep = [deep]
        hearth.encode({"kind": "write", "sender": "a", "counter": 1, "request_id": 1,
                       "target": "b", "body": [("0/fan-control/level", deep)]})
    with pytest.raises(hearth.DecodeError):  # a request without a request id (HRT-MSG-012)
        hearth.encode({"kind": "read", "sender": "a", "counter": 1, "body": []})


def test_commissioning_bodies_are_checked_by_the_codec() -> None:
    header = {"sender": "app-1", "counter": 1, "request_id": 1, "target": "fan-1"}
    for kind, body in [
        ("pake-start", {1: b"\x04" * 64}),                       # a share is 65 bytes
        ("window-control", {1: True, 2: 1, 3: b"s" * 16, 4: 1000, 5: b"v" * 97, 6: 179, 7: 3}),
        ("acl-change", {1: []}),                                  # one operation at least
        ("pake-confirm", {1: b"c" * 32, 2: 1}),                   # confirmP or an abort
    ]:
        with pytest.raises(hearth.ValidationError):
            hearth.encode({"kind": kind, **header, "body": body})
