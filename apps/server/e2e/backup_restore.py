"""Backup/restore e2e (apps/server/src/backup-restore.e2e.spec.ts), through the real mlflow client.

  populate  — runs with params, tags, metric histories and artifacts; a registered model with two
              versions, a stage and an alias
  snapshot  — prints, as JSON, everything a user reads back: runs, every metric history, every
              artifact's sha256, model versions, aliases
  write     — logs a new run with a metric and an artifact, and reads it back
"""
import hashlib
import json
import os
import sys
import tempfile

import mlflow
from mlflow import MlflowClient

EXPERIMENT = "backup-restore"
MODEL = "backup-restore-model"


def populate(client):
    mlflow.set_experiment(EXPERIMENT)
    run_ids = []
    for i in range(3):
        with mlflow.start_run(run_name=f"run-{i}") as run:
            mlflow.log_params({"lr": 0.1 * (i + 1), "layers": i + 2})
            mlflow.set_tag("team", f"t{i}")
            for step in range(40):
                mlflow.log_metric("loss", 1.0 / (step + 1 + i), step=step)
            mlflow.log_metric("accuracy", 0.5 + i / 10)
            mlflow.log_text(f"notes of run {i}\n" * 100, "notes/readme.txt")
            mlflow.log_dict({"i": i, "weights": list(range(200))}, "model/weights.json")
            with tempfile.TemporaryDirectory() as d:
                blob = os.path.join(d, "blob.bin")
                with open(blob, "wb") as f:
                    f.write(os.urandom(300_000))
                mlflow.log_artifact(blob, "data")
            run_ids.append(run.info.run_id)
    client.create_registered_model(MODEL)
    for run_id in run_ids[:2]:
        client.create_model_version(MODEL, f"runs:/{run_id}/model", run_id=run_id)
    client.transition_model_version_stage(MODEL, "1", "Staging")
    client.set_registered_model_alias(MODEL, "champion", "2")


def artifacts(client, run_id, path=None):
    out = {}
    for f in client.list_artifacts(run_id, path):
        if f.is_dir:
            out.update(artifacts(client, run_id, f.path))
        else:
            local = client.download_artifacts(run_id, f.path, tempfile.mkdtemp())
            with open(local, "rb") as fh:
                out[f.path] = hashlib.sha256(fh.read()).hexdigest()
    return out


def snapshot(client):
    experiment = client.get_experiment_by_name(EXPERIMENT)
    runs = client.search_runs([experiment.experiment_id], order_by=["attributes.run_name ASC"])
    result = {"runs": [], "model_versions": [], "aliases": {}}
    for run in runs:
        result["runs"].append(
            {
                "run_id": run.info.run_id,
                "name": run.info.run_name,
                "status": run.info.status,
                "params": run.data.params,
                "tags": {k: v for k, v in run.data.tags.items() if k == "team"},
                "metrics": run.data.metrics,
                "history": {
                    key: [(m.step, m.timestamp, m.value) for m in client.get_metric_history(run.info.run_id, key)]
                    for key in sorted(run.data.metrics)
                },
                "artifacts": artifacts(client, run.info.run_id),
            }
        )
    for mv in sorted(client.search_model_versions(f"name='{MODEL}'"), key=lambda v: int(v.version)):
        result["model_versions"].append({"version": mv.version, "run_id": mv.run_id, "source": mv.source, "stage": mv.current_stage})
    result["aliases"] = client.get_registered_model(MODEL).aliases
    return result


def write(client):
    mlflow.set_experiment(EXPERIMENT + "-after-restore")
    with mlflow.start_run(run_name="after-restore") as run:
        mlflow.log_metric("m", 1.5, step=3)
        mlflow.log_text("written after the restore", "after.txt")
    got = client.get_run(run.info.run_id)
    text = open(client.download_artifacts(run.info.run_id, "after.txt", tempfile.mkdtemp())).read()
    client.create_model_version(MODEL, f"runs:/{run.info.run_id}/model", run_id=run.info.run_id)
    versions = sorted(int(v.version) for v in client.search_model_versions(f"name='{MODEL}'"))
    return {"metrics": got.data.metrics, "artifact": text, "versions": versions}


if __name__ == "__main__":
    client = MlflowClient()
    mode = sys.argv[1]
    if mode == "populate":
        populate(client)
        print(json.dumps({"ok": True}))
    elif mode == "snapshot":
        print(json.dumps(snapshot(client), sort_keys=True))
    elif mode == "write":
        print(json.dumps(write(client), sort_keys=True))
