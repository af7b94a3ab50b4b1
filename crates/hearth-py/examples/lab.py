"""Certify the simulated fan as a lab would, and print its failed requirements.

    python crates/hearth-py/examples/lab.py [--fault PROFILE] [--out DIR]

Starts an embedded broker and a simulated fan (hearth.sim.Fleet), reads it once with the
asyncio Controller, runs the whole conformance suite against it with the ICS its vendor
would write, verifies the lab-signed report offline, and prints the verdict and every
failed requirement. With ``--fault`` the fan breaks a requirement on purpose
(``hearth sim --list-faults``), and the suite must say which. Exits 0 if the fan passes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile

import hearth

FAN = "fan-kestrel-1"


async def look(fleet: hearth.sim.Fleet) -> None:
    async with await fleet.controller() as ctl:
        device = await ctl.device(FAN, timeout=30)
        level = await ctl.read(FAN, "0/fan-control/level")
        print(f"{device['id']}: {device['device_type']} {device['model']}, level {level}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fault", help="a fault profile for the fan")
    parser.add_argument("--out", help="where the reports go (default: a temporary folder)")
    args = parser.parse_args()
    out = args.out or tempfile.mkdtemp(prefix="hearth-lab-")

    with hearth.sim.Fleet([FAN], fault=args.fault) as fleet:
        asyncio.run(look(fleet))
        report = fleet.certify(
            FAN, out, progress=lambda d, case, v: print(f"  {case:<12} {v}", file=sys.stderr)
        )
        root = os.path.join(fleet.pki, "root.cert")
        cose = os.path.join(out, "report.cose")
        if os.path.exists(cose):  # a partial run is not signed (HRT-CONF-092)
            signed = hearth.verify_report(cose, root)
            print(f"signed by {signed.lab['subject']}, verified offline")

    print(f"{FAN}: {report.verdict} {report.counts}")
    print(f"reports in {out}")
    if report.failed_requirements:
        print("failed requirements:")
        for req in report.failed_requirements:
            cases = [t.id for t in report.tests if req in t.failed_requirements]
            print(f"  {req}  ({', '.join(cases)})")
    else:
        print("failed requirements: none")
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
