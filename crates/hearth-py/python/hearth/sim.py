"""Simulated appliances on an embedded broker, for labs, tests and examples.

:class:`Fleet` starts an MQTT broker inside the process on a free loopback port, writes a
fresh test PKI (root, vendor, lab, the suite's controller and its CA), and runs simulated
appliances of ``hearth-sim`` — the same fleet, PKI and access-control list as
``hearth demo``. For each appliance it writes the ICS its vendor would, so that
``fleet.certify(device)`` (or :func:`hearth.run_suite` with ``fleet=``) runs the whole
conformance suite against it, and :meth:`Fleet.controller` connects an asyncio
:class:`hearth.Controller` to it::

    with hearth.sim.Fleet(["fan"]) as fleet:
        report = fleet.certify("fan-kestrel-1")
        print(report.verdict, report.failed_requirements)

The embedded broker lives until the process ends; :meth:`Fleet.close` stops the appliances.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import Any, Callable, Dict, List, Optional, Sequence

from . import _hearth
from ._hearth import Controller
from ._report import Report

__all__ = ["Fleet", "fault_profiles"]


class Fleet:
    """A running fleet of simulated appliances on its own embedded broker.

    ``devices`` selects appliances of the standard fleet by device id (``fan-kestrel-1``)
    or device type (``fan``: every standard appliance of the type); ``None`` runs all
    sixteen. ``fault`` applies a fault profile (a deliberate non-conformance the suite must
    catch) to every appliance. ``speed`` is simulated seconds per real second. ``pki`` is
    where the test PKI is written (a temporary folder, removed on close, if omitted).
    """

    def __init__(
        self,
        devices: Optional[Sequence[str]] = None,
        *,
        fault: Optional[str] = None,
        speed: float = 60.0,
        pki: Optional["os.PathLike[str] | str"] = None,
    ) -> None:
        self._temp: Optional[str] = None
        if pki is None:
            self._temp = tempfile.mkdtemp(prefix="hearth-fleet-")
            pki = os.path.join(self._temp, "pki")
        self._inner = _hearth.SimFleet(
            os.fspath(pki),
            devices=None if devices is None else list(devices),
            fault=fault,
            speed=speed,
        )

    @property
    def broker(self) -> str:
        """The embedded broker's URL, ``mqtt://127.0.0.1:PORT``."""
        return self._inner.broker

    @property
    def root(self) -> str:
        """The topic root the appliances publish under."""
        return self._inner.root

    @property
    def pki(self) -> str:
        """The PKI folder."""
        return os.fspath(self._inner.pki)

    def devices(self) -> List[Dict[str, Any]]:
        """The appliances: ``id`` (``vvvv/device``), ``device_id``, ``device_type``,
        ``brand`` and ``fault``."""
        return self._inner.devices()

    def ics(self, device: str) -> str:
        """The ICS text of appliance ``device`` (``vvvv/device`` or its device id)."""
        return self._inner.ics(device)

    def write_ics(self, device: str, path: Optional["os.PathLike[str] | str"] = None) -> str:
        """Write the ICS of ``device`` (by default beside the PKI); its path."""
        if path is None:
            device_id = device.split("/")[-1]
            path = os.path.join(os.path.dirname(self.pki), f"{device_id}.ics.toml")
        with open(os.fspath(path), "w", encoding="utf-8") as f:
            f.write(self.ics(device))
        return os.fspath(path)

    def certify(
        self,
        device: str,
        out: Optional["os.PathLike[str] | str"] = None,
        *,
        only: Optional[str] = None,
        progress: Optional[Callable[[str, str, str], None]] = None,
    ) -> Report:
        """Run the whole conformance suite against ``device`` with the ICS its vendor
        would write; with ``out``, write the reports there (``report.cose`` signed by the
        fleet's lab)."""
        from . import run_suite

        return run_suite(
            self.write_ics(device), self.pki, out, fleet=self, only=only, progress=progress
        )

    def control(self, device: str, command: str) -> None:
        """Act on an appliance from outside the protocol: ``open-door 1``,
        ``raise-fault 0x0001``, … (as ``hearth sim`` reads them on stdin)."""
        self._inner.control(device, command)

    async def controller(self, *, timeout: float = 5.0) -> Controller:
        """An asyncio :class:`hearth.Controller` connected to this fleet as the suite's
        controller (admitted with ``operate``)."""
        return await Controller.connect(
            self.broker, self.pki, root=self.root, timeout=timeout
        )

    def close(self) -> None:
        """Stop every appliance and remove a temporary PKI folder."""
        self._inner.close()
        if self._temp is not None:
            shutil.rmtree(self._temp, ignore_errors=True)
            self._temp = None

    def __enter__(self) -> "Fleet":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Fleet({len(self.devices())} appliances on {self.broker})"


def fault_profiles() -> List[Dict[str, Any]]:
    """The simulator's fault profiles: ``name``, ``chapter``, ``requirements`` (those it
    breaks), ``summary`` and ``applies_to``, as ``hearth sim --list-faults`` lists them."""
    return _hearth.fault_profiles()
