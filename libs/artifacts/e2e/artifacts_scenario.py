"""Artifacts through Cairn's proxy as a user of the official mlflow client notices them (2.x and 3.x).

Usage: MLFLOW_TRACKING_URI=http://127.0.0.1:5000 python artifacts_scenario.py [--skip-model]
Prints "ARTIFACTS SCENARIO OK" and exits 0, or names the step that failed and exits 1.
Set CAIRN_E2E_REGISTRY=1 to also load the model by registered version and by alias.
"""

import filecmp
import hashlib
import os
import sys
import tempfile
import uuid

import mlflow
import numpy as np
from mlflow.tracking import MlflowClient

MAJOR = int(mlflow.__version__.split(".")[0])
SUFFIX = uuid.uuid4().hex[:8]
STEP = "start"


def step(name):
    global STEP
    STEP = name
    print(f"- {name}", flush=True)


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def main():
    uri = os.environ["MLFLOW_TRACKING_URI"]
    mlflow.set_tracking_uri(uri)
    client = MlflowClient(tracking_uri=uri)
    skip_model = "--skip-model" in sys.argv

    step("the run's artifact URI is a proxied mlflow-artifacts:/ URI")
    exp = mlflow.set_experiment(f"artifacts-{MAJOR}-{SUFFIX}")
    with tempfile.TemporaryDirectory() as work, mlflow.start_run() as run:
        run_id = run.info.run_id
        check(run.info.artifact_uri.startswith("mlflow-artifacts:/"), f"artifact_uri {run.info.artifact_uri}")

        step("log_artifact: a text file, an html file and a binary larger than one part")
        report = os.path.join(work, "report.html")
        with open(report, "w") as f:
            f.write("<html><body>accuracy 0.93</body></html>")
        mlflow.log_artifact(report)
        notes = os.path.join(work, "notes.txt")
        with open(notes, "w") as f:
            f.write("line one\nline two\n")
        mlflow.log_artifact(notes, artifact_path="docs")
        blob = os.path.join(work, "weights.bin")
        with open(blob, "wb") as f:
            f.write(os.urandom(11 * 1024 * 1024 + 17))
        mlflow.log_artifact(blob, artifact_path="checkpoints/epoch_1")

        step("log_artifacts: a nested directory, including a JSON file kept byte for byte")
        tree = os.path.join(work, "tree")
        os.makedirs(os.path.join(tree, "sub", "deeper"))
        with open(os.path.join(tree, "a.json"), "w") as f:
            f.write('{"inputs": [[1, 2, 3]]}  \n')
        with open(os.path.join(tree, "sub", "b.csv"), "w") as f:
            f.write("x,y\n1,2\n")
        with open(os.path.join(tree, "sub", "deeper", "c.txt"), "w") as f:
            f.write("deep")
        with open(os.path.join(tree, "sub", "same-as-notes.txt"), "w") as f:
            f.write("line one\nline two\n")
        mlflow.log_artifacts(tree, artifact_path="tree")

        step("list_artifacts: root, subdirectories, sizes for files only")
        root = {a.path: a for a in client.list_artifacts(run_id)}
        check(set(root) == {"report.html", "docs", "checkpoints", "tree"}, f"root listing {sorted(root)}")
        check(root["docs"].is_dir and root["docs"].file_size is None, "directories have no size")
        check(not root["report.html"].is_dir and root["report.html"].file_size == os.path.getsize(report), "file size")
        sub = sorted(a.path for a in client.list_artifacts(run_id, "tree/sub"))
        check(sub == ["tree/sub/b.csv", "tree/sub/deeper", "tree/sub/same-as-notes.txt"], f"tree/sub listing {sub}")
        check(client.list_artifacts(run_id, "no/such/dir") == [], "missing directory lists as nothing")

        step("download_artifacts: a file, a directory, a large binary; contents identical")
        out = os.path.join(work, "out")
        os.makedirs(out)
        local = client.download_artifacts(run_id, "docs/notes.txt", out)
        check(filecmp.cmp(local, notes, shallow=False), "notes.txt round-trips")
        local_tree = client.download_artifacts(run_id, "tree", out)
        check(open(os.path.join(local_tree, "a.json")).read() == '{"inputs": [[1, 2, 3]]}  \n', "a.json byte for byte")
        check(open(os.path.join(local_tree, "sub", "deeper", "c.txt")).read() == "deep", "nested file")
        local_blob = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="checkpoints/epoch_1/weights.bin", dst_path=out)
        check(sha256(local_blob) == sha256(blob), "large binary sha256")

        if not skip_model:
            step("mlflow.sklearn.log_model through the proxy")
            from sklearn.linear_model import LogisticRegression

            X = np.array([[0.0, 1.0], [1.0, 0.0], [0.2, 0.9], [0.9, 0.1]])
            y = np.array([0, 1, 0, 1])
            model = LogisticRegression().fit(X, y)
            registered = f"artifacts-model-{SUFFIX}" if os.environ.get("CAIRN_E2E_REGISTRY") == "1" else None
            if MAJOR >= 3:
                mlflow.sklearn.log_model(model, name="model", input_example=X[:1], registered_model_name=registered)
            else:
                mlflow.sklearn.log_model(model, "model", input_example=X[:1], registered_model_name=registered)

    if not skip_model:
        step("mlflow.sklearn.load_model(runs:/<run_id>/model) predicts as the original")
        loaded = mlflow.sklearn.load_model(f"runs:/{run_id}/model")
        check(list(loaded.predict(X)) == list(model.predict(X)), "predictions match")
        if registered:
            step("load by registered version and by alias")
            check(list(mlflow.sklearn.load_model(f"models:/{registered}/1").predict(X)) == list(model.predict(X)), "by version")
            client.set_registered_model_alias(registered, "champion", "1")
            check(list(mlflow.sklearn.load_model(f"models:/{registered}@champion").predict(X)) == list(model.predict(X)), "by alias")

    print("ARTIFACTS SCENARIO OK")


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # report the step that failed, then fail
        print(f"ARTIFACTS SCENARIO FAILED at step '{STEP}': {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
