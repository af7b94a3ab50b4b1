"""The cross-language security vectors of ``conformance/vectors/security/`` (see its
README), checked through the Python package exactly as
``crates/hearth-security/tests/vectors.rs`` checks them in Rust: every expected outcome,
with the same error codes.

The COSE WG examples of ``conformance/vectors/cose-wg/`` are not run here: they exercise the
generic COSE_Sign1 parser (unprotected key ids, ES384, an empty protected map), which the
Rust test reaches below the Hearth profile and the package does not expose; the package's
``verify_sign1`` applies the Hearth profile, which ``sign1.json`` covers.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List

import pytest

import hearth

from conftest import VECTORS


def load(name: str, kind: str) -> List[Dict[str, Any]]:
    data = json.loads((VECTORS / "security" / name).read_text())
    assert data["format"] == "hearth-security-vectors/1" and data["kind"] == kind
    return data["vectors"]


def ids(vectors: List[Dict[str, Any]]) -> List[str]:
    return [v["name"] for v in vectors]


SIGN1 = load("sign1.json", "sign1")
CHAINS = load("chains.json", "chain")
REPLAY = load("replay.json", "replay")
ACL = load("acl.json", "acl")


def test_every_file_has_its_vectors() -> None:
    # As many as the Rust test requires: a truncated file fails here.
    assert len(SIGN1) >= 15 and len(CHAINS) >= 15 and len(REPLAY) >= 1 and len(ACL) >= 10


@pytest.mark.parametrize("v", SIGN1, ids=ids(SIGN1))
def test_sign1(v: Dict[str, Any]) -> None:
    keys = [bytes.fromhex(k) for k in v["keys"]]
    expected = v["expected"]
    call = lambda: hearth.verify_sign1(bytes.fromhex(v["message"]), bytes.fromhex(v["aad"]), keys)  # noqa: E731
    if expected["result"] == "ok":
        got = call()
        assert got["kid"] == expected["kid"]
        assert got["alg"] == expected["alg"]
        assert got["payload"].hex() == expected["payload"]
    else:
        with pytest.raises(hearth.VerifyError) as e:
            call()
        assert e.value.code == expected["error"]
        assert e.value.requirement is not None


@pytest.mark.parametrize("v", CHAINS, ids=ids(CHAINS))
def test_chain(v: Dict[str, Any]) -> None:
    trust = [bytes.fromhex(t) for t in v["trust"]]
    chain = [bytes.fromhex(c) for c in v["chain"]]
    lists = [(bytes.fromhex(r["issuer"]), bytes.fromhex(r["list"])) for r in v["revocation_lists"]]
    expected = v["expected"]
    if expected["result"] == "ok":
        got = hearth.verify_chain(trust, chain, lists, now=v["now"])
        assert got["role"] == expected["role"]
        assert got["leaf_kid"] == expected["leaf_kid"]
        assert got["ca_kids"] == expected["ca_kids"]
    else:
        with pytest.raises((hearth.VerifyError, hearth.DecodeError)) as e:
            hearth.verify_chain(trust, chain, lists, now=v["now"])
        assert e.value.code == expected["error"]


@pytest.mark.parametrize("v", REPLAY, ids=ids(REPLAY))
def test_replay(v: Dict[str, Any]) -> None:
    window = hearth.ReplayWindow()
    for step in v["steps"]:
        try:
            window.accept(step["counter"])
            got = "accepted"
        except hearth.VerifyError as e:
            got = e.code
        assert got == step["expected"], f"counter {step['counter']}"


@pytest.mark.parametrize("v", ACL, ids=ids(ACL))
def test_acl(v: Dict[str, Any]) -> None:
    s = v["signer"]
    expected = v["expected"]

    def check() -> None:
        acl = hearth.Acl.from_bytes(bytes.fromhex(v["acl"]))
        acl.authorize(s["leaf_kid"], s["role"], s["ca_kids"], v["operation"])

    if expected["result"] == "ok":
        check()
    else:
        with pytest.raises(hearth.VerifyError) as e:
            check()
        assert e.value.code == expected["error"]
