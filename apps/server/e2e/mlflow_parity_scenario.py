"""MLflow 3.18 parity (issue 20): what the real client and MLflow's UI routes observe, printed as one
JSON object. mlflow-parity.e2e.spec.ts runs this against Cairn and against `mlflow server` and
expects the same object from both. Names are random so reruns never collide."""
import json
import os
import random
import string
import sys
import tempfile

import mlflow
import mlflow.genai
import requests
from mlflow import MlflowClient
from mlflow.entities import Param, RunTag

URI = os.environ["MLFLOW_TRACKING_URI"]
client = MlflowClient()
out = {}


def noise(n):
    return "".join(random.choices(string.ascii_letters + string.digits, k=n))


def attempt(name, fn):
    try:
        out[name] = ["ok", fn()]
    except Exception as e:  # noqa: BLE001 - the error code is the observation
        out[name] = ["error", getattr(e, "error_code", type(e).__name__)]


def http(method, path, **kwargs):
    r = requests.request(method, URI + path, timeout=30, **kwargs)
    try:
        body = r.json()
    except ValueError:
        return r.status_code, r.text
    # MLflow adds `error_class` and `sqlstate` to error bodies; clients read error_code and message.
    if isinstance(body, dict) and "error_code" in body:
        body = {"error_code": body["error_code"], "message": body.get("message")}
    return r.status_code, body


# ---- long values and names (mlflow/utils/validation.py) ---------------------------------------
exp = client.create_experiment("parity-" + noise(8))
with mlflow.start_run(experiment_id=exp) as run:
    run_id = run.info.run_id
    attempt("param over 6000", lambda: mlflow.log_param("p", "x" * 6001) and None)
    attempt("tag over 8000", lambda: mlflow.set_tag("t", "y" * 8001))
    attempt("batch over the limits", lambda: client.log_batch(run_id, params=[Param("p2", "z" * 7000)], tags=[RunTag("t2", "w" * 9000)]))
    attempt("the same long param again", lambda: mlflow.log_param("p", "x" * 6001) and None)
    attempt("another value for the long param", lambda: mlflow.log_param("p", "v" * 6001) and None)
    data = client.get_run(run_id).data
    out["stored lengths"] = [len(data.params["p"]), len(data.tags["t"]), len(data.params["p2"]), len(data.tags["t2"])]
    mlflow.log_text("hello", "notes/a.txt")
attempt("experiment tag of 20000", lambda: client.set_experiment_tag(exp, "k", noise(20000)))
attempt("experiment tag of 20001", lambda: client.set_experiment_tag(exp, "k", noise(20001)))
model = "rm-" + noise(8)
client.create_registered_model(model)
attempt("model tag of 100000", lambda: client.set_registered_model_tag(model, "k", noise(100000)))
attempt("model tag of 100001", lambda: client.set_registered_model_tag(model, "k", noise(100001)))
version = client.create_model_version(model, f"runs:/{run_id}/model", run_id=run_id).version
attempt("version tag of 100000", lambda: client.set_model_version_tag(model, version, "k", noise(100000)))
attempt("version tag of 100001", lambda: client.set_model_version_tag(model, version, "k", noise(100001)))
for bad in ["a/b", "a:b"]:
    attempt(f"registered model name with {bad[1]}", lambda: client.create_registered_model(bad + noise(4)) and None)
for bad in ["a.b", "a/b", "a:b", "a%b"]:
    attempt(f"logged model name with {bad[1]}", lambda: client.create_logged_model(exp, name=bad) and None)

# ---- prompts (MLflow stores them as registered models with prompt tags) ------------------------
prompt = "greet-" + noise(8).lower()
attempt("register_prompt", lambda: mlflow.genai.register_prompt(name=prompt, template="Hello {{name}}!", commit_message="first").version)
attempt("register_prompt (chat)", lambda: mlflow.genai.register_prompt(name=prompt, template=[{"role": "user", "content": "Hi {{name}}"}]).version)
attempt("load_prompt by version", lambda: mlflow.genai.load_prompt(f"prompts:/{prompt}/1").format(name="Ann"))
attempt("set_prompt_alias", lambda: mlflow.genai.set_prompt_alias(prompt, "prod", 1))
attempt("load_prompt by alias", lambda: mlflow.genai.load_prompt(f"prompts:/{prompt}@prod").version)
attempt("load_prompt @latest", lambda: mlflow.genai.load_prompt(f"prompts:/{prompt}@latest").version)
attempt("search_prompts", lambda: [p.name == prompt for p in mlflow.genai.search_prompts(f"name = '{prompt}'")])
attempt("prompts hidden from model search", lambda: [m.name for m in client.search_registered_models(f"name = '{prompt}'")])
attempt("delete_prompt_alias", lambda: mlflow.genai.delete_prompt_alias(prompt, "prod"))
attempt("a 50000-character prompt", lambda: mlflow.genai.register_prompt(name=prompt, template=noise(50000)).version)

# ---- routes MLflow's web UI calls --------------------------------------------------------------
name = client.get_experiment(exp).name
status, body = http("POST", "/ajax-api/2.0/mlflow/experiments/search", json={"max_results": 1000, "filter": "tags.`mlflow.experiment.isGateway` IS NULL"})
out["experiments IS NULL"] = [status, name in [e["name"] for e in body.get("experiments", [])]]
status, body = http("POST", "/ajax-api/2.0/mlflow/experiments/search", json={"max_results": 1000, "filter": "tags.`mlflow.experiment.isGateway` IS NOT NULL"})
out["experiments IS NOT NULL"] = [status, name in [e["name"] for e in body.get("experiments", [])]]
status, body = http("POST", "/ajax-api/2.0/mlflow/experiments/search", json={"filter": "name IS NULL"})
out["IS NULL on an attribute"] = [status, body.get("error_code")]
status, body = http("GET", f"/ajax-api/2.0/mlflow/artifacts/list?run_uuid={run_id}&path=notes")
out["artifacts/list?run_uuid"] = [status, body.get("files")]

logged = client.create_logged_model(exp, name="lm")
with tempfile.TemporaryDirectory() as d:
    os.makedirs(f"{d}/sub")
    with open(f"{d}/MLmodel", "w") as f:
        f.write("flavors: {}\n")
    with open(f"{d}/sub/x.json", "w") as f:
        f.write('{"a":1}')
    client.log_model_artifacts(logged.model_id, d)
base = f"/ajax-api/2.0/mlflow/logged-models/{logged.model_id}/artifacts"
for path in ["/directories", "/directories?artifact_directory_path=sub", "/directories?artifact_directory_path=nope"]:
    status, body = http("GET", base + path)
    out["logged model " + path] = [status, json.loads(json.dumps(body).replace(logged.model_id, "<id>").replace(f"/{exp}/", "/<experiment>/"))]
status, body = http("GET", base + "/files?artifact_file_path=sub/x.json")
out["logged model file"] = [status, body]
out["logged model file without a path"] = list(http("GET", base + "/files"))
out["logged model file ../"] = [http("GET", base + "/files?artifact_file_path=../../x")[0]]
out["logged model unknown"] = [http("GET", "/ajax-api/2.0/mlflow/logged-models/m-00000000000000000000000000000000/artifacts/directories")[0]]
for flt in [f"attributes.model_id IN ('{logged.model_id}', 'm-x')", f"model_id NOT IN ('{logged.model_id}')", "name IN ('lm')", "tags.t IN ('x')"]:
    status, body = http("POST", "/ajax-api/2.0/mlflow/logged-models/search", json={"experiment_ids": [exp], "filter": flt})
    out["logged-models/search " + flt.replace(logged.model_id, "<id>")] = [status, len(body.get("models", []))]

for prefix in ["/api", "/ajax-api"]:
    status, body = http("GET", f"{prefix}/3.0/mlflow/server-info")
    keys = ["store_type", "artifact_serving_enabled", "features_enabled", "multipart_uploads_enabled", "presigned_upload_run_id_supported", "tracking_auth"]
    out[f"{prefix} server-info"] = [status, {k: type(body.get(k)).__name__ for k in keys}, body.get("artifact_serving_enabled")]
out["ui-telemetry"] = list(http("GET", "/ajax-api/3.0/mlflow/ui-telemetry"))
out["ui-telemetry records"] = list(http("POST", "/ajax-api/3.0/mlflow/ui-telemetry", json={"records": [{"event": "x"}]}))
out["gateway-proxy"] = list(http("GET", "/ajax-api/2.0/mlflow/gateway-proxy"))
out["gateway-proxy POST"] = list(http("POST", "/ajax-api/2.0/mlflow/gateway-proxy", json={"gateway_path": "api/2.0/endpoints/"}))
status, body = http("GET", "/ajax-api/3.0/mlflow/assistant/config")
out["assistant/config"] = [status, sorted(body)]
status, body = http("GET", "/ajax-api/3.0/mlflow/assistant/providers")
out["assistant/providers"] = [status, sorted(body)]

print("PARITY " + json.dumps(out, sort_keys=True))
