"""Write payloads of your own C++ class to a conditions database, then decode them back.

Run it with the project's Python (``make .venv/.installed`` first)::

    .venv/bin/python examples/write_payloads.py /tmp/my-payloads

It writes, in that folder:

* ``layouts/MyDetectorCalibration.archive.toml``: the layout of the class,
  spelled from its C++ header (below);
* ``calibrations.sqlite``: a CondDB v2 SQLite file with one tag
  ``MyDetectorCalibration_v1`` of three IOVs (runs 1, 380000 and 381500);
* ``inspector.toml``: a configuration naming that database and, under
  ``[payloads] layouts``, the layout folder (a plugin would register it with
  its ``register_payload_schemas`` hook instead);

and then reads every payload back through the command line, as a user would:
``inspector --config inspector.toml decode HASH --json --values``.

The class, as its header would declare it (CMSSW serialises the members in
declaration order; ``COND_TRANSIENT`` members would be left out)::

    class MyDetectorCalibration {
    public:
      enum Status { Good = 0, Noisy = 1, Dead = 2 };
      struct Channel {
        uint32_t rawId;
        float gain;
        float pedestal;
        Status status;
        COND_SERIALIZABLE;
      };
    private:
      std::string m_label;
      double m_temperature[2];  // min and max during the calibration run, degrees C
      std::vector<Channel> m_channels;
      std::map<uint32_t, std::string> m_comments;
      bool m_valid;
      COND_SERIALIZABLE;
    };

See docs/payload-schemas.md, "Writing payloads of your own type".
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Final

import numpy as np

from inspector.conddb import ConditionsWriter
from inspector.payload import SchemaRegistry
from inspector.payload.archive.values import plain

OBJECT_TYPE: Final = "MyDetectorCalibration"
TAG: Final = "MyDetectorCalibration_v1"

LAYOUT: Final = """\
encoding = "cmssw-archive"
object_type = "MyDetectorCalibration"
description = "Gain and pedestal per channel of my detector"
source = "MyDetector/Calibration/interface/MyDetectorCalibration.h"

[enums."MyDetectorCalibration::Status"]
type = "int"
values = { Good = 0, Noisy = 1, Dead = 2 }

[classes."MyDetectorCalibration::Channel"]
members = [
  { name = "rawId", type = "uint32_t", description = "raw DetId of the channel" },
  { name = "gain", type = "float", unit = "ADC/fC" },
  { name = "pedestal", type = "float", unit = "ADC counts" },
  { name = "status", type = "MyDetectorCalibration::Status" },
]

[classes.MyDetectorCalibration]
members = [
  { name = "m_label", type = "std::string" },
  { name = "m_temperature", type = "double[2]", unit = "degC", description = "min, max" },
  { name = "m_channels", type = "std::vector<MyDetectorCalibration::Channel>" },
  { name = "m_comments", type = "std::map<uint32_t, std::string>" },
  { name = "m_valid", type = "bool" },
]
"""


def payloads() -> list[tuple[int, dict[str, Any]]]:
    """``(first run, values)`` of each IOV: the members of the root class, by name."""
    rng = np.random.default_rng(14)
    out = []
    for run, label in [(1, "commissioning"), (380000, "2024 start"), (381500, "after the TS")]:
        n = 8
        channels = {  # a vector of a flat class: one column per member (or a list of dicts)
            "rawId": np.arange(n, dtype=np.uint32) + 0x1A000000,
            "gain": rng.normal(1.0, 0.05, n).astype(np.float32),
            "pedestal": rng.normal(200.0, 3.0, n).astype(np.float32),
            "status": np.where(np.arange(n) == 5, 2, 0).astype(np.int32),  # channel 5 dead
        }
        out.append(
            (
                run,
                {
                    "m_label": label,
                    "m_temperature": [18.5, 21.25],  # a C array: exactly two numbers
                    "m_channels": channels,
                    "m_comments": {0x1A000005: "dead since the last access"},  # keys ascending
                    "m_valid": True,
                },
            )
        )
    return out


def write(folder: Path) -> dict[str, dict[str, Any]]:
    """Write the layout, the database and the configuration; return values by payload hash."""
    layouts = folder / "layouts"
    layouts.mkdir(parents=True, exist_ok=True)
    (layouts / f"{OBJECT_TYPE}.archive.toml").write_text(LAYOUT, encoding="utf-8")
    registry = SchemaRegistry()
    registry.load_directory(layouts)  # the same file the command line will read
    database = folder / "calibrations.sqlite"
    database.unlink(missing_ok=True)
    written: dict[str, dict[str, Any]] = {}
    writer = ConditionsWriter.create_sqlite(database, schemas=registry)
    with writer, writer.begin() as conn:  # one transaction: all of it or nothing
        writer.add_tag(
            conn,
            TAG,
            time_type="Run",
            object_type=OBJECT_TYPE,
            description="gains and pedestals of my detector",
        )
        iovs = []
        for run, values in payloads():
            digest = writer.add_payload(conn, OBJECT_TYPE, values)  # encoded with the layout
            written[digest] = values
            iovs.append((run, digest))
        writer.add_iovs(conn, TAG, iovs)
    (folder / "inspector.toml").write_text(
        '[databases.mine]\npath = "calibrations.sqlite"\n\n[payloads]\nlayouts = ["layouts"]\n',
        encoding="utf-8",
    )
    return written


def inspector_command() -> list[str]:
    """The ``inspector`` command of this Python (its console script, if installed beside it)."""
    script = Path(sys.executable).with_name("inspector")
    if script.exists():
        return [str(script)]
    found = shutil.which("inspector")
    if found:
        return [found]
    return [sys.executable, "-c", "from inspector.cli.main import main; main()"]


def decode_back(folder: Path, digest: str) -> dict[str, Any]:
    """``inspector --config inspector.toml decode HASH --json --values``, parsed."""
    result = subprocess.run(
        [*inspector_command(), "--config", str(folder / "inspector.toml"), "decode", digest,
         "--json", "--values"],
        capture_output=True,
        text=True,
        check=True,
    )  # fmt: skip
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


def as_json(values: dict[str, Any]) -> dict[str, Any]:
    """The values written, as ``decode --json --values`` prints them (channels one per row)."""
    out = plain(values)
    columns = out["m_channels"]
    out["m_channels"] = [
        dict(zip(columns, row, strict=True)) for row in zip(*columns.values(), strict=True)
    ]
    return out


def main(argv: list[str]) -> int:
    folder = Path(argv[1] if len(argv) > 1 else "write-payloads-example").resolve()
    written = write(folder)
    print(f"wrote {len(written)} payloads of {OBJECT_TYPE} to {folder / 'calibrations.sqlite'}")
    for digest, values in written.items():
        doc = decode_back(folder, digest)
        same = doc["values"] == as_json(values)
        print(f"  {digest}  {doc['size']} B  {doc['streamer_info']['release']}  "
              f"{'decodes back to the values written' if same else 'DIFFERS'}")  # fmt: skip
        if not same:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
