"""Logs one large artifact with the official mlflow client and downloads it back.

Usage:
    MLFLOW_TRACKING_URI=... python large_artifact.py <size in MiB>

Prints `LARGE ARTIFACT {"run_id": ..., "uploaded_sha256": ..., "downloaded_sha256": ..., "size": ...}`.
"""

import hashlib
import json
import os
import sys
import tempfile

import mlflow
from mlflow.tracking import MlflowClient


def sha256(file):
    digest = hashlib.sha256()
    with open(file, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def main():
    size = int(sys.argv[1]) * 1024 * 1024
    mlflow.set_experiment(os.environ.get("EXPERIMENT", "large-artifact"))
    with tempfile.TemporaryDirectory() as tmp:
        source = os.path.join(tmp, "weights.bin")
        with open(source, "wb") as f:
            for _ in range(size // (1 << 20)):
                f.write(os.urandom(1 << 20))
        with mlflow.start_run() as run:
            mlflow.log_artifact(source, artifact_path="checkpoints")
        listed = {a.path: a.file_size for a in MlflowClient().list_artifacts(run.info.run_id, "checkpoints")}
        downloaded = mlflow.artifacts.download_artifacts(run_id=run.info.run_id, artifact_path="checkpoints/weights.bin", dst_path=os.path.join(tmp, "back"))
        print("LARGE ARTIFACT " + json.dumps({
            "run_id": run.info.run_id,
            "listed": listed,
            "uploaded_sha256": sha256(source),
            "downloaded_sha256": sha256(downloaded),
            "size": os.path.getsize(downloaded),
        }), flush=True)


if __name__ == "__main__":
    main()
