"""A training script that dies mid-run: starts a run with the real mlflow client, logs a little,
prints the run id and exits without ending the run (as a kill -9 or an OOM would: no atexit hook,
so the client never sends status=FINISHED/FAILED). The mlflow client sends no heartbeats."""
import os
import sys

import mlflow

mlflow.set_experiment(sys.argv[1])
run = mlflow.start_run()
mlflow.log_param("lr", "0.1")
mlflow.log_metric("loss", 0.5, step=0)
print(f"RUN_ID={run.info.run_id}", flush=True)
os._exit(0)
