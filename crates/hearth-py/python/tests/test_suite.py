"""The conformance suite (hearth-conformance's runner) against the simulated fan, the signed
report it writes and its verification (hearth-report), and a fault profile the suite must
catch."""

from __future__ import annotations

import os

import pytest

import hearth

from conftest import FAN, pki_file


@pytest.fixture(scope="module")
def certified(fleet: hearth.sim.Fleet, tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("report")
    seen = []
    report = fleet.certify(FAN, out, progress=lambda d, c, v: seen.append((c, v)))
    return report, out, seen


def test_the_simulated_fan_passes(certified) -> None:
    report, _, seen = certified
    assert report.verdict == "pass", [(t.id, t.verdict, t.reason) for t in report.failures()]
    assert report.failed_requirements == [] and not report.partial
    assert report.device["device_id"] == FAN
    assert report.counts["pass"] > 0 and report.counts["fail"] == 0
    assert seen and {c for c, _ in seen} <= {t.id for t in report.tests}
    assert all(isinstance(t, hearth.TestResult) for t in report.tests)
    assert report.test("TC-SEC-3.1") is not None


def test_the_signed_report_verifies(fleet: hearth.sim.Fleet, certified) -> None:
    report, out, _ = certified
    assert sorted(os.listdir(out)) == ["junit.xml", "report.cose", "report.html", "report.json"]
    v = hearth.verify_report(out / "report.cose", pki_file(fleet, "root.cert"))
    assert v.lab["subject"] == hearth.Certificate.load(pki_file(fleet, "lab.cert")).subject
    assert v.report.run_id == report.run_id and v.report.verdict == "pass"
    with open(out / "report.json") as f:
        assert hearth.Report.from_json(f.read()).run_id == report.run_id


def test_a_changed_report_is_refused(fleet: hearth.sim.Fleet, certified) -> None:
    _, out, _ = certified
    data = bytearray((out / "report.cose").read_bytes())
    i = data.find(b'"verdict"')
    data[i + 1] ^= 0x20  # one byte of the payload
    with pytest.raises(hearth.VerifyError) as e:
        hearth.verify_report(bytes(data), pki_file(fleet, "root.cert"))
    assert e.value.step is not None and e.value.code is not None
    assert e.value.requirement == "HRT-CONF-093"
    other_root = hearth.Certificate.load(pki_file(fleet, "vendor.cert"))
    with pytest.raises(hearth.HearthError):
        hearth.verify_report((out / "report.cose").read_bytes(), other_root)


def test_an_invalid_ics_cannot_start(fleet: hearth.sim.Fleet, tmp_path) -> None:
    ics = tmp_path / "bad.ics.toml"
    ics.write_text("ics_version = 1\n")
    with pytest.raises(hearth.SuiteError):
        hearth.run_suite(ics, fleet.pki)


def test_a_fault_profile_is_caught() -> None:
    """The suite proves itself (HRT-CONF-111): a fan that breaks a requirement on purpose
    fails a test case naming it."""
    profiles = {p["name"]: p for p in hearth.sim.fault_profiles()}
    profile = profiles.get("accept-out-of-range")
    assert profile is not None, sorted(profiles)
    with hearth.sim.Fleet([FAN], fault=profile["name"]) as fleet:
        # TC-MSG-2.x write out of range (HRT-MOD-044).
        report = fleet.certify(FAN, only="TC-MSG-2.")
    assert report.verdict == "fail" and report.partial
    # Caught as `hearth mutants` judges it: a failed case checks a requirement it breaks.
    caught = [t.id for t in report.failures()
              if t.verdict == "fail" and set(t.requirements) & set(profile["requirements"])]
    assert caught, [(t.id, t.requirements) for t in report.failures()]
