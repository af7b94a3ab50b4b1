"""Shared fixtures: one simulated fan on an embedded broker for the whole session, and the
repository's folders."""

from __future__ import annotations

import asyncio
import os
import pathlib
from typing import Any, Awaitable, Iterator, TypeVar

import pytest

import hearth

T = TypeVar("T")

#: The repository's root (tests run from the source tree).
REPO = pathlib.Path(__file__).resolve().parents[4]
VECTORS = REPO / "conformance" / "vectors"

#: The simulated fan every test of the session talks to.
FAN = "fan-kestrel-1"


def run(coro: Awaitable[T]) -> T:
    """Run a coroutine to completion on a fresh event loop."""
    return asyncio.run(coro)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[hearth.sim.Fleet]:
    pki = tmp_path_factory.mktemp("fleet") / "pki"
    with hearth.sim.Fleet([FAN], pki=pki) as f:
        yield f


@pytest.fixture(scope="session")
def description(fleet: hearth.sim.Fleet) -> Any:
    """The fan's verified description, as a controller received it."""

    async def get() -> Any:
        async with await fleet.controller() as ctl:
            return (await ctl.device(FAN, timeout=30))["description"]

    return run(get())


def pki_file(fleet: hearth.sim.Fleet, name: str) -> str:
    return os.path.join(fleet.pki, name)
