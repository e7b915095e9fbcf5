"""One of the fault suite's clients: the official mlflow client logging a batch of three metrics
per step to one run until the stop file appears, printing each step the server acknowledged
(`ACK <step>`) and each attempt that failed after the client's own retries (`FAIL <step> <why>`).
A failed step is sent again: log-batch is idempotent, so a retry of one that did commit adds nothing.
"""

import os
import sys
import time

from mlflow.entities import Metric
from mlflow.tracking import MlflowClient

KEYS = ("py_a", "py_b", "py_c")


def main():
    run_id, stop_file = sys.argv[1], sys.argv[2]
    client = MlflowClient()
    step = 0
    while not os.path.exists(stop_file):
        # The timestamp is fixed per step, so a resent step is the identical point (skipped, not duplicated).
        metrics = [Metric(key, float(step), 1_000_000 + step, step) for key in KEYS]
        try:
            client.log_batch(run_id, metrics=metrics)
        except Exception as error:  # noqa: BLE001 - every failure is reported and the step resent
            print(f"FAIL {step} {type(error).__name__}: {str(error)[:200]!r}", flush=True)
            time.sleep(0.5)
            continue
        print(f"ACK {step}", flush=True)
        step += 1
        time.sleep(0.05)
    print("STOPPED", flush=True)


if __name__ == "__main__":
    main()
