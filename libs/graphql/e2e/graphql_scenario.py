"""Logs the data the GraphQL parity test queries, with the official mlflow client.

Run against Cairn and against `mlflow server` alike; prints one JSON line with the ids it created.
"""

import json
import math
import sys

import mlflow
from mlflow import MlflowClient
from mlflow.entities import Dataset, DatasetInput, InputTag, LoggedModelOutput

mlflow.set_tracking_uri(sys.argv[1])
client = MlflowClient()

experiment_id = client.create_experiment("graphql-parity", tags={"team": "search"})
run = client.create_run(experiment_id, run_name="graphql-run", tags={"stage": "dev"})
run_id = run.info.run_id
client.log_param(run_id, "lr", "0.05")
client.log_param(run_id, "layers", "3")
for step in range(5):
    client.log_metric(run_id, "loss", 1.0 / (step + 1), step=step, timestamp=1_700_000_000_000 + step)
client.log_metric(run_id, "acc", 0.9, step=0, timestamp=1_700_000_000_100)
client.log_metric(run_id, "nan_metric", math.nan, step=0, timestamp=1_700_000_000_200)
dataset = Dataset(name="train-set", digest="abc123", source_type="local", source='{"uri": "/data/train.csv"}', schema='{"a": 1}', profile='{"rows": 10}')
client.log_inputs(run_id, [DatasetInput(dataset, tags=[InputTag("mlflow.data.context", "training")])])
model = client.create_logged_model(experiment_id, name="graphql-logged-model", source_run_id=run_id)
client.log_outputs(run_id, [LoggedModelOutput(model.model_id, step=3)])
client.log_text(run_id, "hello", "notes/hello.txt")
client.set_terminated(run_id, end_time=1_700_000_100_000)

running = client.create_run(experiment_id, run_name="still-running", start_time=1_700_000_000_000)

client.create_registered_model("graphql-model")
version = client.create_model_version("graphql-model", source=f"runs:/{run_id}/model", run_id=run_id)

print(json.dumps({"experiment_id": experiment_id, "run_id": run_id, "running_run_id": running.info.run_id, "model_id": model.model_id}))
