import json
import random

import requests
"""Random wrong input to every tracking endpoint: every answer must be a 4xx/200 JSON object, never 5xx.

Usage: MLFLOW_TRACKING_URI=http://127.0.0.1:5000 python fuzz_no_5xx.py  (needs `requests`)
"""
import os
import sys

B = os.environ["MLFLOW_TRACKING_URI"] + "/api/2.0/mlflow"
random.seed(7)
run = requests.post(f"{B}/runs/create", json={"experiment_id": "0"}).json()["run"]["info"]["run_id"]
model = requests.post(f"{B}/logged-models", json={"experiment_id": "0"}).json()["model"]["info"]["model_id"]
values = [None, 0, -1, 1.5, 2**63, -2**70, "", "x", "a\u0000b", "NaN", "Infinity", "../x", "1" * 300, True, [], [1], {}, {"a": 1}, "x" * 70000, "\ud800", "ALL", "3", "9" * 30]
posts = {
 "experiments/create": ["name", "artifact_location", "tags"],
 "experiments/update": ["experiment_id", "new_name"],
 "experiments/delete": ["experiment_id"], "experiments/restore": ["experiment_id"],
 "experiments/set-experiment-tag": ["experiment_id", "key", "value"],
 "experiments/delete-experiment-tag": ["experiment_id", "key"],
 "experiments/search": ["max_results", "page_token", "filter", "order_by", "view_type"],
 "experiments/search-datasets": ["experiment_ids"],
 "runs/create": ["experiment_id", "user_id", "run_name", "start_time", "tags"],
 "runs/update": ["run_id", "status", "end_time", "run_name"],
 "runs/search": ["experiment_ids", "filter", "run_view_type", "max_results", "order_by", "page_token"],
 "runs/log-metric": ["run_id", "key", "value", "timestamp", "step", "model_id"],
 "runs/log-parameter": ["run_id", "key", "value"],
 "runs/set-tag": ["run_id", "key", "value"], "runs/delete-tag": ["run_id", "key"],
 "runs/log-batch": ["run_id", "metrics", "params", "tags"],
 "runs/log-model": ["run_id", "model_json"],
 "runs/log-inputs": ["run_id", "datasets", "models"],
 "runs/outputs": ["run_id", "models"],
 "logged-models": ["experiment_id", "name", "params", "tags", "source_run_id"],
 "logged-models/search": ["experiment_ids", "filter", "max_results", "page_token"],
 f"logged-models/{model}/params": ["params"],
}
gets = {
 "experiments/get": ["experiment_id"], "experiments/get-by-name": ["experiment_name"],
 "runs/get": ["run_id"], "metrics/get-history": ["run_id", "metric_key", "max_results", "page_token"],
 "metrics/get-history-bulk-interval": ["run_ids", "metric_key", "start_step", "end_step", "max_results"],
 "experiments/search": ["max_results", "filter", "view_type", "order_by"],
 f"logged-models/{model}": ["allow_deleted"],
}
nested = [{"key": v, "value": w, "timestamp": 1} for v in values[:8] for w in values[:6]]
bad = []
count = 0
for path, fields in posts.items():
    for _ in range(150):
        body = {}
        for f in fields:
            if random.random() < 0.7:
                body[f] = random.choice(values + ([random.sample(nested, 3)] if f in ("metrics", "params", "tags", "models", "datasets") else []))
        if "run_id" in fields and random.random() < 0.5:
            body["run_id"] = run
        try:
            r = requests.post(f"{B}/{path}", data=json.dumps(body), headers={"Content-Type": "application/json"}, timeout=30)
        except Exception as e:
            bad.append((path, body, str(e))); continue
        count += 1
        if r.status_code >= 500 or not isinstance(r.json(), dict):
            bad.append((path, str(body)[:200], r.status_code, r.text[:200]))
for path, fields in gets.items():
    for _ in range(100):
        # Query strings cannot carry lone surrogates (the client cannot encode them).
        params = {f: random.choice([v for v in values if not isinstance(v, (dict, list)) and v is not None and v != "\ud800"]) for f in fields if random.random() < 0.8}
        if "run_id" in fields and random.random() < 0.5: params["run_id"] = run
        try:
            r = requests.get(f"{B}/{path}", params=params, timeout=30)
        except Exception as e:
            bad.append((path, params, str(e))); continue
        count += 1
        if r.status_code >= 500:
            bad.append((path, str(params)[:200], r.status_code, r.text[:200]))
dupes = [{"key": "a", "value": "1"}, {"key": "a", "value": "2"}]
for path, body in [
    ("experiments/create", {"name": f"dupes-{random.random()}", "tags": dupes}),
    ("logged-models", {"experiment_id": "0", "tags": dupes, "params": dupes}),
    (f"logged-models/{model}/params", {"params": dupes}),
    ("runs/create", {"experiment_id": "0", "tags": dupes}),
    ("runs/log-batch", {"run_id": run, "tags": dupes}),
    ("runs/log-inputs", {"run_id": run, "datasets": [{"tags": [{"key": "c", "value": "1"}, {"key": "c", "value": "2"}], "dataset": {"name": "d", "digest": "x", "source_type": "s", "source": "s"}}] * 2, "models": [{"model_id": model}] * 2}),
    ("runs/outputs", {"run_id": run, "models": [{"model_id": model, "step": 0}] * 2}),
]:
    r = requests.post(f"{B}/{path}", json=body, timeout=30)
    count += 1
    if r.status_code >= 500:
        bad.append((path, str(body)[:200], r.status_code, r.text[:200]))
r = requests.patch(f"{B}/logged-models/{model}/tags", json={"tags": dupes}, timeout=30)
if r.status_code >= 500:
    bad.append(("logged-models tags dupes", r.status_code, r.text[:200]))
for m, p in [("PATCH", f"logged-models/{model}"), ("PATCH", f"logged-models/{model}/tags"), ("DELETE", f"logged-models/{model}/tags/x")]:
    for v in values:
        r = requests.request(m, f"{B}/{p}", data=json.dumps({"status": v, "tags": v}), headers={"Content-Type": "application/json"})
        count += 1
        if r.status_code >= 500: bad.append((p, v, r.status_code, r.text[:200]))
print("requests", count, "5xx/bad", len(bad))
seen = set()
for b in bad:
    if b[0] in seen:
        continue
    seen.add(b[0])
    print(b)
if bad:
    sys.exit(1)
print("FUZZ OK")
