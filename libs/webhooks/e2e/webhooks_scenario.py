"""Webhooks through the real MLflow 3.x client, with a receiver that verifies signatures itself.

Usage: MLFLOW_TRACKING_URI=http://... python webhooks_scenario.py
The receiver runs in this process on 127.0.0.1 (the server must allow it: CAIRN_WEBHOOK_ALLOW_HTTP
and CAIRN_WEBHOOK_ALLOWED_HOSTS=127.0.0.1). Verification uses only Python's hmac/hashlib, as
MLflow's documentation tells receivers to: an implementation independent of the server's.
Prints one JSON line with what it saw, and exits non-zero on the first failed check.
"""

import base64
import hashlib
import hmac
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

SECRET = "ci-shared-secret"
received = []


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        received.append({"headers": {k.lower(): v for k, v in self.headers.items()}, "body": body})
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"accepted")

    def log_message(self, *args):
        pass


def verify(delivery):
    h = delivery["headers"]
    content = f"{h['x-mlflow-delivery-id']}.{h['x-mlflow-timestamp']}.{delivery['body']}"
    expected = base64.b64encode(hmac.new(SECRET.encode(), content.encode(), hashlib.sha256).digest()).decode()
    return hmac.compare_digest(h.get("x-mlflow-signature", ""), f"v1,{expected}")


def check(condition, what):
    if not condition:
        print(f"FAILED: {what}", file=sys.stderr)
        sys.exit(1)


def wait_for(predicate, what, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    check(False, f"timed out waiting for {what}; received {[json.loads(d['body'])['entity'] + '.' + json.loads(d['body'])['action'] for d in received]}")


server = HTTPServer(("127.0.0.1", 0), Receiver)
threading.Thread(target=server.serve_forever, daemon=True).start()
url = f"http://127.0.0.1:{server.server_port}/hooks/ci"
client = MlflowClient()

events = [
    "registered_model.created",
    "model_version.created",
    "model_version_tag.set",
    "model_version_tag.deleted",
    "model_version_alias.created",
    "model_version_alias.deleted",
]
hook = client.create_webhook(name="ci", url=url, events=events, secret=SECRET, description="CI gate")
check(hook.status.value == "ACTIVE", "a new webhook is ACTIVE")
check(sorted(str(e) for e in hook.events) == sorted(events), f"events round-trip: {hook.events}")
check(client.get_webhook(hook.webhook_id).url == url, "get_webhook")
check(hook.webhook_id in [w.webhook_id for w in client.list_webhooks()], "list_webhooks")

result = client.test_webhook(hook.webhook_id)
check(result.success and result.response_status == 200 and result.response_body == "accepted", f"test_webhook: {result}")
wait_for(lambda: len(received) == 1, "the test delivery")
test_delivery = received.pop()
check(verify(test_delivery), "test delivery signature")
check(json.loads(test_delivery["body"])["data"]["name"] == "example_model", "test payload is MLflow's example")

try:
    client.create_webhook(name="bad", url="https://169.254.169.254/latest", events=["model_version.created"])
    check(False, "a metadata-address webhook is refused")
except MlflowException as e:
    check(e.error_code == "INVALID_PARAMETER_VALUE", f"refused with INVALID_PARAMETER_VALUE, got {e.error_code}")

name = f"wh-model-{int(time.time() * 1000)}"
client.create_registered_model(name, tags={"team": "ml"})
mv = client.create_model_version(name, source="runs:/" + "a" * 32 + "/model", run_id=None, tags={"k": "v"})
client.set_model_version_tag(name, mv.version, "validated", "true")
client.delete_model_version_tag(name, mv.version, "validated")
client.set_registered_model_alias(name, "champion", mv.version)
client.delete_registered_model_alias(name, "champion")
wait_for(lambda: len(received) == 6, "six deliveries")

payloads = [json.loads(d["body"]) for d in received]
check([f"{p['entity']}.{p['action']}" for p in payloads] == events, f"in order: {[p['entity'] + '.' + p['action'] for p in payloads]}")
check(all(verify(d) for d in received), "every delivery verifies with the shared secret")
check(len({d["headers"]["x-mlflow-delivery-id"] for d in received}) == 6, "one delivery id per event")
check(payloads[0]["data"] == {"name": name, "tags": {"team": "ml"}, "description": None}, f"registered_model.created payload {payloads[0]['data']}")
check(payloads[1]["data"]["version"] == mv.version and payloads[1]["data"]["source"] == "runs:/" + "a" * 32 + "/model", "model_version.created payload")
check(payloads[4]["data"] == {"name": name, "alias": "champion", "version": mv.version}, "alias payload")

updated = client.update_webhook(hook.webhook_id, status="DISABLED")
check(updated.status.value == "DISABLED", "update_webhook disables")
client.set_model_version_tag(name, mv.version, "after", "disable")
time.sleep(1.0)
check(len(received) == 6, "a disabled webhook receives nothing")

client.delete_webhook(hook.webhook_id)
try:
    client.get_webhook(hook.webhook_id)
    check(False, "a deleted webhook is gone")
except MlflowException as e:
    check(e.error_code == "RESOURCE_DOES_NOT_EXIST", f"gone: {e.error_code}")

print(json.dumps({"deliveries": len(payloads), "events": [f"{p['entity']}.{p['action']}" for p in payloads], "webhook_id": hook.webhook_id}))
