"""Hearth for Python: the open interoperability standard for smart home appliances.

Built on Hearth's Rust crates (``hearth._hearth``): the catalog and description validation,
the message codec, sealing and opening of signed messages, certificates and chain
validation, signed-report verification, an asyncio :class:`Controller`, and the
conformance suite (:func:`run_suite`). :mod:`hearth.sim` runs simulated appliances on an
embedded broker. Every failure is a :class:`HearthError` whose ``requirement`` names the
``HRT-…`` requirement it enforces and, where one applies, whose ``status`` is the wire
status code.
"""

from __future__ import annotations

import builtins
import os
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence, Tuple, Union

from . import _hearth
from ._hearth import (
    PROTOCOL_VERSION,
    SPEC_VERSION,
    Acl,
    Certificate,
    ConnectionError,
    Controller,
    Credential,
    DecodeError,
    HearthError,
    Receiver,
    RefusedError,
    ReplayWindow,
    RequestTimeoutError,
    Sender,
    SimulatorError,
    SuiteError,
    ValidationError,
    VerifyError,
    Watch,
    capabilities,
    capability,
    decode,
    device_type,
    device_types,
    encode,
    message_kinds,
    open,
    parse_path,
    read_chain,
    read_file,
    seal,
    status_codes,
    validate_description,
    validate_value,
    verify_chain,
    verify_sign1,
)
from ._report import Report, TestResult, VerifiedReport
from . import sim

__version__: str = _hearth.__version__

PathLike = Union[str, "os.PathLike[str]"]


def run_suite(
    ics: PathLike,
    pki: PathLike,
    out: Optional[PathLike] = None,
    *,
    broker: Optional[str] = None,
    only: Optional[str] = None,
    params: Optional[Union[Mapping[str, str], Iterable[Tuple[str, str]]]] = None,
    fleet: Any = None,
    progress: Optional[Callable[[str, str, str], None]] = None,
) -> Report:
    """Run the conformance suite against the device of the ICS file ``ics``.

    ``pki`` is a PKI folder: its ``root.cert`` is trusted and, when ``out`` is given, its
    ``lab.key`` signs ``report.cose`` beside ``report.json``, ``junit.xml`` and
    ``report.html`` in ``out``. ``broker`` overrides the ICS's broker; ``only`` runs the test
    cases whose id starts with it (a partial run, not signed); ``params`` overrides
    parameters of the suite. ``fleet`` is the :class:`hearth.sim.Fleet` the device runs in,
    if it is simulated: restarts and operator actions then go to the simulator. Without
    it, restarts run the ICS's command and operator actions are asked at the terminal.
    ``progress(device, case, verdict)`` is called after each test case.

    Returns the :class:`Report`; raises :class:`SuiteError` if the run cannot start.
    """
    pairs = None
    if params is not None:
        items = params.items() if isinstance(params, Mapping) else params
        pairs = [(str(k), str(v)) for k, v in items]
    inner = getattr(fleet, "_inner", fleet)
    text = _hearth.run_suite(
        os.fspath(ics),
        os.fspath(pki),
        None if out is None else os.fspath(out),
        broker=broker,
        only=only,
        params=pairs,
        fleet=inner,
        progress=progress,
    )
    return Report.from_json(text)


def verify_report(
    data: Union[bytes, PathLike],
    trust: Any,
    *,
    at_now: bool = False,
    revocation_lists: Optional[Sequence[bytes]] = None,
    now: Optional[int] = None,
) -> VerifiedReport:
    """Verify a signed report (``report.cose``: its bytes or its path) offline against
    trusted roots (certificates, their bytes or paths), as ``hearth report verify`` does.

    Raises :class:`VerifyError` with ``step`` (1–7 of spec 06 §10.6) and ``code``.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        data = read_report_file(data)
    v = _hearth.verify_report(
        bytes(data), trust, at_now=at_now, revocation_lists=revocation_lists, now=now
    )
    return VerifiedReport(
        lab=v["lab"],
        signed_at=v["signed_at"],
        validated_at=v["validated_at"],
        report=Report.from_json(v["json"]),
    )


def read_report_file(path: PathLike) -> bytes:
    """A signed report's bytes (at most 64 MiB, as the verifier accepts)."""
    limit = 64 * 1024 * 1024
    with builtins.open(os.fspath(path), "rb") as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise VerifyError(f"{os.fspath(path)}: larger than {limit} bytes")
    return data

__all__ = [
    "PROTOCOL_VERSION",
    "SPEC_VERSION",
    "Acl",
    "Certificate",
    "ConnectionError",
    "Controller",
    "Credential",
    "DecodeError",
    "HearthError",
    "Receiver",
    "RefusedError",
    "ReplayWindow",
    "Report",
    "RequestTimeoutError",
    "Sender",
    "SimulatorError",
    "SuiteError",
    "TestResult",
    "ValidationError",
    "VerifiedReport",
    "VerifyError",
    "Watch",
    "capabilities",
    "capability",
    "decode",
    "device_type",
    "device_types",
    "encode",
    "message_kinds",
    "open",
    "parse_path",
    "read_chain",
    "read_file",
    "run_suite",
    "seal",
    "status_codes",
    "validate_description",
    "validate_value",
    "verify_chain",
    "verify_report",
    "verify_sign1",
]
