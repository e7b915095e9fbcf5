"""Populates a Cairn server through the real mlflow client for the web UI's browser tests.

A sweep (a parent run with three nested trials) logging params, metric curves, tags (git commit,
data hash) and artifacts (text, JSON, a PNG image, an MLmodel), a logged model; a second experiment;
a registered model with two versions, a stage and an alias. Prints one JSON line with the ids the test looks for; the
client's own "View run … at: <url>" lines go to stdout too.
"""
import json
import os
import struct
import sys
import tempfile
import zlib

import mlflow
from mlflow import MlflowClient
from mlflow.entities import Metric


def png(width, height, rgb):
    """A solid-colour PNG, written by hand (no imaging library in the test virtualenv)."""
    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


MLMODEL = """artifact_path: model
flavors:
  python_function:
    loader_module: mlflow.sklearn
    python_version: 3.12.3
  sklearn:
    pickled_model: model.pkl
    sklearn_version: 1.5.2
mlflow_version: 3.18.0
model_uuid: 4f1c2b7e
run_id: {run_id}
signature:
  inputs: '[{{"type": "double", "name": "lr", "required": true}}, {{"type": "long", "name": "depth", "required": true}}]'
  outputs: '[{{"type": "double", "required": true}}]'
"""


def main():
    mlflow.set_tracking_uri(sys.argv[1])
    client = MlflowClient()
    experiment_id = mlflow.create_experiment("ui-sweep", tags={"team": "vision"})
    mlflow.create_experiment("ui-other")
    mlflow.set_experiment(experiment_id=experiment_id)

    out = {"experiment_id": experiment_id, "children": []}
    with mlflow.start_run(run_name="sweep-parent") as parent:
        out["parent_run_id"] = parent.info.run_id
        mlflow.set_tags({"mlflow.source.git.commit": "3f2a9c1d0b7e4f5a6b8c9d0e1f2a3b4c5d6e7f80", "dvc_data_hash": "md5:9b2f0c", "stage": "sweep"})
        mlflow.log_param("search", "grid")
        with tempfile.TemporaryDirectory() as tmp:
            with open(os.path.join(tmp, "notes.txt"), "w") as f:
                f.write("best trial: lr=0.01\n")
            with open(os.path.join(tmp, "summary.json"), "w") as f:
                json.dump({"best_lr": 0.01, "trials": 3}, f)
            with open(os.path.join(tmp, "predictions.csv"), "w") as f:
                f.write('id,label,score\n1,cat,0.9\n2,"dog, big",0.7\n')
            os.makedirs(os.path.join(tmp, "plots"))
            with open(os.path.join(tmp, "plots", "loss.png"), "wb") as f:
                f.write(png(64, 32, (30, 120, 200)))
            mlflow.log_artifacts(tmp)
        for i, lr in enumerate([0.1, 0.01, 0.001]):
            with mlflow.start_run(run_name=f"trial-{i}", nested=True) as child:
                out["children"].append(child.info.run_id)
                mlflow.log_params({"lr": lr, "depth": 4 + i, "optimizer": "adam"})
                curve = [Metric("loss", 1.0 / (1 + step * lr * 10) + i * 0.01, 1_700_000_000_000 + step, step) for step in range(300)]
                client.log_batch(child.info.run_id, metrics=curve)
                mlflow.log_metric("acc", 0.8 + i * 0.05)
                if i == 2:
                    # A model: MLflow 3's LoggedModel, and its MLmodel file as log_model writes it.
                    client.create_logged_model(experiment_id, name="sweep-model", source_run_id=child.info.run_id, model_type="classifier")
                    with tempfile.TemporaryDirectory() as tmp:
                        with open(os.path.join(tmp, "MLmodel"), "w") as f:
                            f.write(MLMODEL.format(run_id=child.info.run_id))
                        mlflow.log_artifacts(tmp, "model")
                    mlflow.set_tag(
                        "mlflow.log-model.history",
                        json.dumps([{"run_id": child.info.run_id, "artifact_path": "model", "utc_time_created": "2026-12-07 10:00:00.000000", "flavors": {"python_function": {}, "sklearn": {}}}]),
                    )
                if i == 1:
                    # More steps than a chart asks for: drawn downsampled, fetched again when zoomed.
                    long = [Metric("long_loss", 1.0 / (1 + step), 1_700_000_000_000 + step, step) for step in range(5000)]
                    for start in range(0, len(long), 1000):
                        client.log_batch(child.info.run_id, metrics=long[start : start + 1000])
        mlflow.log_metric("best_acc", 0.9)

    client.create_registered_model("ui-model", description="Model of the UI tests")
    v1 = client.create_model_version("ui-model", f"runs:/{out['children'][0]}/model", out["children"][0])
    v2 = client.create_model_version("ui-model", f"runs:/{out['children'][1]}/model", out["children"][1])
    client.transition_model_version_stage("ui-model", v1.version, "Staging")
    client.set_registered_model_alias("ui-model", "champion", v2.version)
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
