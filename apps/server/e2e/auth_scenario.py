"""Identity and access through the official `mlflow` client, against a Cairn server with CAIRN_AUTH=basic.

Usage:
    MLFLOW_TRACKING_URI=http://127.0.0.1:5000 CAIRN_ADMIN_USERNAME=admin CAIRN_ADMIN_PASSWORD=... \\
        python auth_scenario.py

Works with mlflow 2.x and 3.x. It does not judge: every call it makes under some identity is recorded
as an observation (`{"ok": true, "value": ...}` or `{"ok": false, "error_code": ...}`) and the whole
record is printed as one line, `AUTH RESULTS {...}`, for the test to assert on. A failure of a
set-up step (which later observations depend on) exits 1 with the step that failed, after printing
what was observed until then.

Who is who: `alice` owns an experiment and two models (she created them, so she holds MANAGE);
`rita` is granted READ on alice's shared experiment and on one model; `temp` is created, changed
and deleted by the admin; `ci` is alice's token with EDIT on one model; `pod` is a serving token
with READ on that model.
"""

import contextlib
import json
import os
import sys
import tempfile
import traceback
import uuid

import mlflow
import mlflow.artifacts
import mlflow.pyfunc
import pandas as pd
import requests
from mlflow.exceptions import MlflowException
from mlflow.server import get_app_client
from mlflow.tracking import MlflowClient

URI = os.environ["MLFLOW_TRACKING_URI"]
ADMIN = (os.environ["CAIRN_ADMIN_USERNAME"], os.environ["CAIRN_ADMIN_PASSWORD"])
SUFFIX = os.environ.get("SCENARIO_SUFFIX", uuid.uuid4().hex[:8])
MAJOR = int(mlflow.__version__.split(".")[0])
CREDENTIAL_VARIABLES = ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_TOKEN")

results = {"mlflow_version": mlflow.__version__}
STEP = "start"


def step(name):
    global STEP
    STEP = name
    print(f"- {name}", flush=True)


@contextlib.contextmanager
def credentials(**variables):
    """The mlflow client reads its credentials from the environment on every request."""
    saved = {k: os.environ.get(k) for k in CREDENTIAL_VARIABLES}
    for k in CREDENTIAL_VARIABLES:
        os.environ.pop(k, None)
    os.environ.update(variables)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def as_user(username, password):
    return credentials(MLFLOW_TRACKING_USERNAME=username, MLFLOW_TRACKING_PASSWORD=password)


def with_token(secret):
    return credentials(MLFLOW_TRACKING_TOKEN=secret)


def observe(name, fn):
    try:
        results[name] = {"ok": True, "value": fn()}
    except MlflowException as e:
        results[name] = {"ok": False, "error_code": e.error_code}
    return results[name]


def create_token(owner, **body):
    r = requests.post(f"{URI}/api/2.0/cairn/tokens/create", json=body, auth=owner, timeout=30)
    r.raise_for_status()
    return r.json()


class Doubler(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        return model_input * 2


def log_doubler():
    # pip_requirements given: inferring them would import-scan the model in a subprocess (slow).
    if MAJOR >= 3:
        return mlflow.pyfunc.log_model(name="model", python_model=Doubler(), pip_requirements=["mlflow"])
    return mlflow.pyfunc.log_model(artifact_path="model", python_model=Doubler(), pip_requirements=["mlflow"])


def main():
    mlflow.set_tracking_uri(URI)
    client = MlflowClient(tracking_uri=URI)
    auth = get_app_client("basic-auth", tracking_uri=URI)
    alice, rita, temp = f"alice-{SUFFIX}", f"rita-{SUFFIX}", f"temp-{SUFFIX}"
    password = {alice: "alice-password-1", rita: "rita-password-1", temp: "temp-password-1"}
    alice_basic = (alice, password[alice])

    step("the admin manages users with the basic-auth app client")
    with as_user(*ADMIN):
        observe("create_user", lambda: auth.create_user(temp, password[temp]).username)
        auth.create_user(alice, password[alice])
        auth.create_user(rita, password[rita])
        observe("get_user", lambda: [auth.get_user(temp).username, auth.get_user(temp).is_admin])
        auth.update_user_password(temp, "temp-password-2")
    with as_user(temp, "temp-password-2"):
        observe("new_password_signs_in", lambda: auth.get_user(temp).username)
    with as_user(temp, password[temp]):
        observe("old_password_refused", lambda: auth.get_user(temp).username)
    with as_user(*ADMIN):
        auth.update_user_admin(temp, True)
        observe("made_admin", lambda: auth.get_user(temp).is_admin)
    with as_user(rita, password[rita]):
        observe("non_admin_creates_user", lambda: auth.create_user(f"intruder-{SUFFIX}", "intruder-password").username)
    with as_user(*ADMIN):
        auth.delete_user(temp)
        observe("deleted_user", lambda: auth.get_user(temp).username)

    step("alice creates experiments, runs and models (and holds MANAGE on them)")
    with as_user(*alice_basic):
        shared = client.create_experiment(f"shared-{SUFFIX}")
        private = client.create_experiment(f"private-{SUFFIX}")
        shared_run = client.create_run(shared).info.run_id
        client.log_metric(shared_run, "auc", 0.9)
        private_run = client.create_run(private).info.run_id
        mlflow.set_experiment(experiment_id=shared)
        with mlflow.start_run() as run:
            model_uri = log_doubler().model_uri
        model, other = f"churn-{SUFFIX}", f"fraud-{SUFFIX}"
        version = mlflow.register_model(model_uri, model).version
        other_version = mlflow.register_model(model_uri, other).version
        client.set_registered_model_alias(model, "champion", version)
    results["names"] = {
        "alice": alice,
        "rita": rita,
        "shared": shared,
        "private": private,
        "shared_run": shared_run,
        "model_run": run.info.run_id,
        "private_run": private_run,
        "model": model,
        "other": other,
    }

    step("permissions through the basic-auth app client")
    with as_user(*ADMIN):
        if MAJOR >= 3:
            auth.grant_user_permission(rita, "experiment", shared, "EDIT")
            auth.grant_user_permission(rita, "experiment", shared, "READ")
            observe("experiment_permission", lambda: vars_of(auth.get_user_permission(rita, "experiment", shared)))
            auth.grant_user_permission(rita, "experiment", private, "READ")
            auth.revoke_user_permission(rita, "experiment", private)
            observe("experiment_permission_removed", lambda: vars_of(auth.get_user_permission(rita, "experiment", private)))
            auth.grant_user_permission(rita, "registered_model", model, "READ")
            observe("model_permission", lambda: vars_of(auth.get_user_permission(rita, "registered_model", model)))
            auth.grant_user_permission(rita, "registered_model", other, "READ")
            auth.revoke_user_permission(rita, "registered_model", other)
            observe("model_permission_removed", lambda: vars_of(auth.get_user_permission(rita, "registered_model", other)))
        else:
            auth.create_experiment_permission(shared, rita, "EDIT")
            auth.update_experiment_permission(shared, rita, "READ")
            observe("experiment_permission", lambda: auth.get_experiment_permission(shared, rita).permission)
            auth.create_experiment_permission(private, rita, "READ")
            auth.delete_experiment_permission(private, rita)
            observe("experiment_permission_removed", lambda: auth.get_experiment_permission(private, rita).permission)
            auth.create_registered_model_permission(model, rita, "EDIT")
            auth.update_registered_model_permission(model, rita, "READ")
            observe("model_permission", lambda: auth.get_registered_model_permission(model, rita).permission)
            auth.create_registered_model_permission(other, rita, "READ")
            auth.delete_registered_model_permission(other, rita)
            observe("model_permission_removed", lambda: auth.get_registered_model_permission(other, rita).permission)
    # What users/get lists of rita's grants (raw: 3.x's client reads no permissions from it).
    listed = requests.get(f"{URI}/api/2.0/mlflow/users/get", params={"username": rita}, auth=ADMIN, timeout=30)
    results["rita_grants_listed"] = {"status": listed.status_code, "user": listed.json().get("user")}
    with as_user(rita, password[rita]):
        # Granting needs MANAGE on the resource: rita cannot raise her own permission.
        if MAJOR >= 3:
            observe("self_grant", lambda: auth.grant_user_permission(rita, "experiment", shared, "MANAGE"))
        else:
            observe("self_grant", lambda: auth.update_experiment_permission(shared, rita, "MANAGE"))

    step("a READ-only user reads, and is refused every write")
    with as_user(rita, password[rita]):
        observe("read.get_run", lambda: client.get_run(shared_run).data.metrics)
        observe("read.log_metric", lambda: client.log_metric(shared_run, "auc", 0.1))
        observe("read.get_model_version_by_alias", lambda: client.get_model_version_by_alias(model, "champion").version)
        observe("read.transition_model_version_stage", lambda: client.transition_model_version_stage(model, version, "Staging").current_stage)
        observe("read.set_registered_model_alias", lambda: client.set_registered_model_alias(model, "mine", version))
        observe("read.search_experiments", lambda: sorted(e.name for e in client.search_experiments()))
        observe("read.search_runs", lambda: sorted(r.info.run_id for r in client.search_runs([shared])))
        observe("read.search_runs_with_unreadable", lambda: sorted(r.info.run_id for r in client.search_runs([shared, private])))
        observe("read.get_unreadable_run", lambda: client.get_run(private_run).info.run_id)
        observe("read.search_registered_models", lambda: sorted(m.name for m in client.search_registered_models()))
        observe("read.get_unreadable_model", lambda: client.get_registered_model(other).name)

    step("a CI token with EDIT on one model")
    ci = create_token(alice_basic, name="ci", scopes=[{"resource_type": "registered_model", "resource_id": model, "permission": "EDIT"}])
    results["names"]["ci_token"] = ci["token"]["token_id"]
    with with_token(ci["secret"]):
        observe("ci.transition", lambda: client.transition_model_version_stage(model, version, "Staging").current_stage)
        observe("ci.set_alias", lambda: client.set_registered_model_alias(model, "candidate", version))
        observe("ci.transition_other", lambda: client.transition_model_version_stage(other, other_version, "Staging").current_stage)
        observe("ci.set_alias_other", lambda: client.set_registered_model_alias(other, "candidate", other_version))
        observe("ci.search_registered_models", lambda: sorted(m.name for m in client.search_registered_models()))

    step("a serving token with READ on one model")
    pod = create_token(
        alice_basic, name="pod", serving_only=True, scopes=[{"resource_type": "registered_model", "resource_id": model, "permission": "READ"}]
    )
    with with_token(pod["secret"]):
        observe("serving.get_model_version_by_alias", lambda: client.get_model_version_by_alias(model, "champion").version)
        observe("serving.download_uri", lambda: client.get_model_version_download_uri(model, version))
        observe("serving.download_artifacts", lambda: downloaded_files(f"models:/{model}@champion"))
        observe("serving.load_model", lambda: load_and_predict(f"models:/{model}@champion"))
        observe("serving.search_experiments", lambda: [e.name for e in client.search_experiments()])
        observe("serving.set_alias", lambda: client.set_registered_model_alias(model, "pod", version))

    step("a revoked token is refused at once")
    short = create_token(alice_basic, name="short-lived")
    with with_token(short["secret"]):
        observe("revoked.before", lambda: client.get_experiment(shared).name)
        r = requests.post(f"{URI}/api/2.0/cairn/tokens/revoke", json={"token_id": short["token"]["token_id"]}, auth=alice_basic, timeout=30)
        r.raise_for_status()
        observe("revoked.after", lambda: client.get_experiment(shared).name)
    raw = requests.get(
        f"{URI}/api/2.0/mlflow/experiments/get", params={"experiment_id": shared}, headers={"Authorization": f"Bearer {short['secret']}"}, timeout=30
    )
    results["revoked.raw"] = {"status": raw.status_code, "www_authenticate": raw.headers.get("WWW-Authenticate"), "body": raw.json()}

    step("alice's own registry change, for the audit trail")
    with as_user(*alice_basic):
        client.set_registered_model_alias(model, "audit", version)

    print("AUTH RESULTS " + json.dumps(results), flush=True)


def vars_of(permission_result):
    return {"allowed": permission_result.allowed, "permission": permission_result.permission}


def downloaded_files(uri):
    with tempfile.TemporaryDirectory() as d:
        local = mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=d)
        return sorted(os.listdir(local))


def load_and_predict(uri):
    with tempfile.TemporaryDirectory() as d:
        loaded = mlflow.pyfunc.load_model(uri, dst_path=d)
        return loaded.predict(pd.DataFrame({"x": [1.0, 2.0]}))["x"].tolist()


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # a set-up step failed: what was observed before it still stands
        traceback.print_exc()
        print(f"AUTH SCENARIO FAILED at step '{STEP}': {type(e).__name__}: {e}", file=sys.stderr)
        print("AUTH RESULTS " + json.dumps(results), flush=True)
        sys.exit(1)
