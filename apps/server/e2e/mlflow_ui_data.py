"""The data MLflow's own web UI is walked over, logged with the official `mlflow` 3.x client.

Usage:
    MLFLOW_TRACKING_URI=http://127.0.0.1:5000 python mlflow_ui_data.py

The same script runs against `mlflow server` and against Cairn, so both hold the same data: an
experiment with a description and tags, a parent run with a nested child and a second run to
compare (params, metric histories, tags, notes, a dataset input), artifacts the UI previews (a PNG
image, a text file, a JSON file), a logged model registered as two versions with an alias and tags,
a prompt and a trace.

A step the server refuses does not stop the script: it is reported as `FAILED <step>: <error>` so
that the test can compare which steps each server accepted. The last line is
`UI DATA {json}` with the ids and names the pages are opened with.
"""

import json
import os
import tempfile
import traceback

import mlflow
import mlflow.sklearn
import numpy as np
from mlflow.tracking import MlflowClient
from sklearn.linear_model import LogisticRegression

EXPERIMENT = "ui-parity"
MODEL = "ui-parity-model"
PROMPT = "ui-parity-prompt"

ids = {"experiment": EXPERIMENT, "model": MODEL, "prompt": PROMPT}


def step(name, fn):
    print(f"- {name}", flush=True)
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - every refusal is reported, the test compares them
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        print(f"FAILED {name}: {first[:300]}", flush=True)
        traceback.print_exc()


def main():
    uri = os.environ["MLFLOW_TRACKING_URI"]
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    work = tempfile.mkdtemp(prefix="mlflow-ui-data-")

    exp = mlflow.set_experiment(EXPERIMENT)
    ids["experiment_id"] = exp.experiment_id
    step("experiment description and tags", lambda: (
        client.set_experiment_tag(exp.experiment_id, "mlflow.note.content", "Experiments the MLflow UI is walked over."),
        client.set_experiment_tag(exp.experiment_id, "team", "parity"),
    ))

    def runs():
        with mlflow.start_run(run_name="parent") as parent:
            ids["parent_run"] = parent.info.run_id
            mlflow.log_params({"learning_rate": "0.1", "layers": "3", "optimizer": "adam"})
            mlflow.set_tags({"stage": "training", "mlflow.note.content": "The parent run."})
            for s in range(20):
                mlflow.log_metrics({"loss": 1.0 / (s + 1), "accuracy": s / 20}, step=s)
            with mlflow.start_run(run_name="child", nested=True) as child:
                ids["child_run"] = child.info.run_id
                mlflow.log_param("fold", "1")
                for s in range(5):
                    mlflow.log_metric("loss", 0.5 / (s + 1), step=s)
        with mlflow.start_run(run_name="baseline") as other:
            ids["other_run"] = other.info.run_id
            mlflow.log_params({"learning_rate": "0.01", "layers": "2", "optimizer": "sgd"})
            for s in range(20):
                mlflow.log_metrics({"loss": 2.0 / (s + 1), "accuracy": s / 30}, step=s)

    step("runs with params, metric histories, tags and a child", runs)

    def artifacts():
        with open(os.path.join(work, "notes.txt"), "w") as f:
            f.write("plain text the artifact view previews\n")
        with open(os.path.join(work, "config.json"), "w") as f:
            json.dump({"learning_rate": 0.1, "layers": [64, 32, 1]}, f)
        with mlflow.start_run(run_id=ids["parent_run"]):
            mlflow.log_artifact(os.path.join(work, "notes.txt"))
            mlflow.log_artifact(os.path.join(work, "config.json"), artifact_path="configs")
            image = np.zeros((32, 32, 3), dtype=np.uint8)
            image[:, :16] = [255, 64, 0]
            mlflow.log_image(image, "plots/gradient.png")

    step("artifacts: a text file, a JSON file, a PNG image", artifacts)

    def dataset():
        data = mlflow.data.from_numpy(np.arange(12, dtype=np.float64).reshape(4, 3), name="training-data", source="file:///data/train.npy")
        with mlflow.start_run(run_id=ids["parent_run"]):
            mlflow.log_input(data, context="training")

    step("a dataset input", dataset)

    def models():
        X = np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5], [0.9, 0.1]])
        y = np.array([0, 1, 0, 1])
        for n, run in ((1, "parent_run"), (2, "other_run")):
            with mlflow.start_run(run_id=ids[run]):
                info = mlflow.sklearn.log_model(
                    LogisticRegression().fit(X, y), name="model", registered_model_name=MODEL,
                    input_example=X[:1],
                    pip_requirements=["scikit-learn"],  # no requirement inference: it is slow and not what the pages show
                )
                ids[f"logged_model_{n}"] = info.model_id
        client.update_registered_model(MODEL, description="The model the UI pages show.")
        client.set_registered_model_tag(MODEL, "owner", "parity")
        client.set_model_version_tag(MODEL, "1", "validated", "true")
        client.update_model_version(MODEL, "1", description="The first version.")
        client.set_registered_model_alias(MODEL, "champion", "1")

    step("a logged model registered as two versions with an alias", models)

    def prompt():
        mlflow.genai.register_prompt(name=PROMPT, template="Summarise {{text}} in {{words}} words.", commit_message="first")
        mlflow.genai.register_prompt(name=PROMPT, template="Summarise {{text}} in at most {{words}} words.", commit_message="second")
        mlflow.genai.set_prompt_alias(PROMPT, alias="production", version=1)

    step("a prompt with two versions and an alias", prompt)

    def trace():
        @mlflow.trace(name="answer")
        def answer(question):
            return inner(question).upper()

        @mlflow.trace(name="retrieve", span_type="RETRIEVER")
        def inner(question):
            return f"context for {question}"

        answer("what is parity?")
        mlflow.flush_trace_async_logging()
        found = mlflow.search_traces(locations=[ids["experiment_id"]], return_type="list")
        if not found:
            raise RuntimeError("search_traces found no trace after @mlflow.trace")
        ids["trace"] = found[0].info.trace_id

    step("a trace", trace)

    print("UI DATA " + json.dumps(ids), flush=True)


if __name__ == "__main__":
    main()
