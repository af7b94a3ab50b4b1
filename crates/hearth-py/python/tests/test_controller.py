"""The asyncio Controller (hearth-mqtt's Controller runtime) against the simulated fan on
the embedded broker. Every wait is for a message; timeouts are only upper bounds."""

from __future__ import annotations

import asyncio

import pytest

import hearth

from conftest import FAN, run

#: Upper bound of any wait below.
BOUND = 30.0


def test_discover_read_write(fleet: hearth.sim.Fleet) -> None:
    async def go() -> None:
        async with await fleet.controller(timeout=BOUND) as ctl:
            devices = await ctl.discover(count=1, timeout=BOUND)
            fan = next(d for d in devices if d["device_id"] == FAN)
            assert fan["device_type"] == "fan" and fan["online"] is True
            assert fan["description_valid"]
            await ctl.write(FAN, "0/fan-control/level", 2)
            assert await ctl.read(FAN, "0/fan-control/level") == 2
            await ctl.write(fan["id"], "0/fan-control/level", 1)
            rows = await ctl.read(fan["id"], ["0/fan-control/level", "0/device-info/model"])
            assert rows[0] == {"path": "0/fan-control/level", "status": "success", "value": 1}
            assert rows[1]["status"] == "success" and isinstance(rows[1]["value"], str)
            assert await ctl.write_many(FAN, [("0/fan-control/level", 3)]) == [
                ("0/fan-control/level", "success")
            ]

    run(go())


def test_refusals_carry_status_and_requirement(fleet: hearth.sim.Fleet) -> None:
    async def go() -> None:
        async with await fleet.controller(timeout=BOUND) as ctl:
            with pytest.raises(hearth.RefusedError) as e:
                await ctl.write(FAN, "0/device-info/model", "other")
            assert (e.value.status, e.value.requirement) == ("read-only", "HRT-MOD-041")
            assert e.value.path == "0/device-info/model"
            with pytest.raises(hearth.RefusedError) as e:
                await ctl.write(FAN, "0/fan-control/level", 9)  # the fan declares max 3
            assert (e.value.status, e.value.requirement) == ("constraint-error", "HRT-MOD-044")
            with pytest.raises(hearth.RefusedError) as e:
                await ctl.invoke(FAN, "0/operational-state/start")  # a fan has no cycle
            assert e.value.status == "unsupported-capability"
            assert e.value.requirement == "HRT-MOD-040"
            with pytest.raises(hearth.RequestTimeoutError):
                await ctl.device("no-such-device", timeout=0.5)

    run(go())


def test_watch_sees_the_report_of_a_write(fleet: hearth.sim.Fleet) -> None:
    async def go() -> None:
        async with await fleet.controller(timeout=BOUND) as ctl:
            await ctl.device(FAN, timeout=BOUND)
            await ctl.write(FAN, "0/fan-control/level", 1)
            updates = ctl.watch(FAN)
            await ctl.write(FAN, "0/fan-control/level", 2)

            async def report_of_level() -> object:
                async for u in updates:
                    if u["type"] == "report":
                        for path, value in u["values"]:
                            if path == "0/fan-control/level" and value == 2:
                                return u
                raise AssertionError("the watch ended")

            u = await asyncio.wait_for(report_of_level(), BOUND)
            assert u["device"].endswith(FAN)

    run(go())


def test_a_stranger_is_refused(fleet: hearth.sim.Fleet) -> None:
    """The fleet's appliances admit no controller the ACL does not name (HRT-SEC-114)."""

    async def go() -> None:
        ctl = await hearth.Controller.connect(
            fleet.broker, fleet.pki, root=fleet.root, name="stranger", timeout=2.0
        )
        try:
            await ctl.device(FAN, timeout=BOUND)
            with pytest.raises((hearth.RefusedError, hearth.RequestTimeoutError)) as e:
                await ctl.write(FAN, "0/fan-control/level", 1)
            if isinstance(e.value, hearth.RefusedError):
                assert e.value.status == "unauthorized"
        finally:
            await ctl.close()

    run(go())


def test_connecting_to_nothing_raises_connection_error(fleet: hearth.sim.Fleet) -> None:
    async def go() -> None:
        with pytest.raises(hearth.ConnectionError):
            await hearth.Controller.connect("mqtt://127.0.0.1:1", fleet.pki, timeout=1.0)

    run(go())
