"""Runs provider/metering.py in its own process, where LD_LIBRARY_PATH picks the NVML library
(the dynamic loader reads it only at process start). Commands, one a line on stdin:
`inventory`, or `sample UUID...` into the lease's window, or `report`; one JSON line answers
each (an error as {"error": ...})."""

from __future__ import annotations

import dataclasses
import json
import sys

from provider.metering import Meter, MeteringError, UsageWindow, describe, inventory


def main() -> None:
    models = {gpu.uuid: gpu.model for gpu in inventory()[0]}
    window = UsageWindow(models)
    meter: Meter | None = None
    for line in sys.stdin:
        command, *arguments = line.split()
        try:
            if command == "inventory":
                gpus, note = inventory()
                answer: object = {
                    "gpus": [
                        {**dataclasses.asdict(gpu), "model": gpu.model, "healthy": gpu.healthy}
                        for gpu in gpus
                    ],
                    "describe": describe(gpus, note),
                }
            elif command == "sample":
                meter = meter or Meter()
                samples = meter.sample(arguments)
                window.add(samples)
                answer = [dataclasses.asdict(sample) for sample in samples]
            else:
                answer = [dataclasses.asdict(report) for report in window.report()]
        except MeteringError as error:
            answer = {"error": str(error)}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
