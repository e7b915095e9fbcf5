"""The registry steps of the seed scenario, driven by the official `mlflow` client (2.x or 3.x).

Usage: MLFLOW_TRACKING_URI=http://127.0.0.1:5000 python registry_scenario.py
Prints "REGISTRY SCENARIO OK" and exits 0 when every step behaved as MLflow's own server would;
otherwise stops at the first step that did not. Versions are created with `create_model_version`
from `runs:/` sources, so the scenario does not depend on artifact uploads.
"""

import os
import sys
import time
import uuid

import mlflow
import requests
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

SUFFIX = os.environ.get("SCENARIO_SUFFIX", uuid.uuid4().hex[:8])
MODEL = f"churn-gbm-{SUFFIX}"
STEP = "start"


def step(name):
    global STEP
    STEP = name
    print(f"- {name}", flush=True)


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def expect_error(code, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except MlflowException as e:
        check(e.error_code == code, f"expected {code}, got {e.error_code}: {e}")
        return
    raise AssertionError(f"expected MlflowException {code}, call succeeded")


def main():
    uri = os.environ["MLFLOW_TRACKING_URI"]
    mlflow.set_tracking_uri(uri)
    client = MlflowClient(tracking_uri=uri)
    major = int(mlflow.__version__.split(".")[0])

    step("two trial runs with provenance tags and a metric")
    mlflow.set_experiment(f"registry-{SUFFIX}")
    runs = {}
    for lr, auc in ((0.05, 0.87), (0.2, 0.89)):
        with mlflow.start_run(run_name=f"gbm-lr{lr}") as run:
            mlflow.log_params({"learning_rate": lr, "n_estimators": 60})
            mlflow.set_tags({"git_commit": "3f2c1ab", "dvc_data_hash": "md5:9d1e"})
            mlflow.log_metric("val_auc", auc)
            runs[run.info.run_id] = auc

    step("create the registered model; creating it again is RESOURCE_ALREADY_EXISTS")
    rm = client.create_registered_model(MODEL, tags={"team": "churn"}, description="gradient boosting")
    check(rm.name == MODEL and rm.description == "gradient boosting", "registered model round-trips")
    expect_error("RESOURCE_ALREADY_EXISTS", client.create_registered_model, MODEL)

    step("one version per run, numbered 1 and 2, READY, stage None")
    run_ids = list(runs)
    for i, run_id in enumerate(run_ids, start=1):
        mv = client.create_model_version(MODEL, f"runs:/{run_id}/model", run_id, tags={"trial": str(i)})
        check(mv.version == str(i), f"version {mv.version}")
        check(mv.status == "READY" and mv.current_stage == "None", f"{mv.status} {mv.current_stage}")
    versions = sorted(client.search_model_versions(f"name='{MODEL}'"), key=lambda v: int(v.version))
    check([v.version for v in versions] == ["1", "2"], f"versions {[v.version for v in versions]}")
    check({v.run_id for v in versions} == set(run_ids), "each version links to its run")
    by_run = client.search_model_versions(f"run_id='{run_ids[1]}'")
    check([v.version for v in by_run] == ["2"], "search by run_id")
    check(client.get_model_version(MODEL, "1").tags == {"trial": "1"}, "version tags")

    step("search registered models by name and by tag")
    found = client.search_registered_models(filter_string=f"name LIKE 'churn-gbm-{SUFFIX}%'")
    check([m.name for m in found] == [MODEL], f"name LIKE found {[m.name for m in found]}")
    found = client.search_registered_models(filter_string=f"name = '{MODEL}' and tags.team = 'churn'")
    check(len(found) == 1, "tag filter")

    step("stage transitions (case-insensitive) and get_latest_versions")
    mv = client.transition_model_version_stage(MODEL, "1", "production", archive_existing_versions=True)
    check(mv.current_stage == "Production", f"canonical stage {mv.current_stage}")
    client.transition_model_version_stage(MODEL, "2", "Staging", archive_existing_versions=False)
    prod = client.get_latest_versions(MODEL, stages=["Production"])
    check([v.version for v in prod] == ["1"], "Production version")
    check(client.get_latest_versions(MODEL, stages=["Archived"]) == [], "no Archived version yet")
    latest = {v.current_stage: v.version for v in client.get_latest_versions(MODEL)}
    check(latest == {"Production": "1", "Staging": "2"}, f"latest per stage {latest}")

    step("champion-challenger: the better run's version replaces the champion")
    champ, chall = "1", "2"
    champ_auc = client.get_run(client.get_model_version(MODEL, champ).run_id).data.metrics["val_auc"]
    chall_auc = client.get_run(client.get_model_version(MODEL, chall).run_id).data.metrics["val_auc"]
    check(chall_auc - champ_auc > 0.005, "the challenger is better")
    client.transition_model_version_stage(MODEL, chall, "Production", archive_existing_versions=True)
    check([v.version for v in client.get_latest_versions(MODEL, stages=["Production"])] == [chall], "winner in Production")
    check(client.get_model_version(MODEL, champ).current_stage == "Archived", "old champion archived")

    step("aliases: set, resolve, move, reserved names, missing alias")
    client.set_registered_model_alias(MODEL, "champion", chall)
    client.set_registered_model_alias(MODEL, "challenger", champ)
    mv = client.get_model_version_by_alias(MODEL, "champion")
    check(mv.version == chall and "champion" in mv.aliases, f"alias resolves to {mv.version} {mv.aliases}")
    check(client.get_registered_model(MODEL).aliases == {"champion": chall, "challenger": champ}, "aliases on the model")
    lineage = client.get_run(mv.run_id)
    check(lineage.data.tags.get("git_commit") == "3f2c1ab", "provenance: version -> run -> git commit")
    expect_error("INVALID_PARAMETER_VALUE", client.set_registered_model_alias, MODEL, "latest", chall)
    expect_error("INVALID_PARAMETER_VALUE", client.set_registered_model_alias, MODEL, "v3", chall)
    expect_error("INVALID_PARAMETER_VALUE", client.get_model_version_by_alias, MODEL, "no-such-alias")
    client.delete_registered_model_alias(MODEL, "challenger")
    expect_error("INVALID_PARAMETER_VALUE", client.get_model_version_by_alias, MODEL, "challenger")

    step("tags, descriptions and download uri")
    client.set_registered_model_tag(MODEL, "owner", "ana")
    client.delete_registered_model_tag(MODEL, "team")
    check(client.get_registered_model(MODEL).tags == {"owner": "ana"}, "model tags")
    client.set_model_version_tag(MODEL, chall, "validated", "yes")
    client.delete_model_version_tag(MODEL, chall, "trial")
    check(client.get_model_version(MODEL, chall).tags == {"validated": "yes"}, "version tags updated")
    client.update_registered_model(MODEL, description="v2 description")
    client.update_model_version(MODEL, chall, description="the winner")
    check(client.get_model_version(MODEL, chall).description == "the winner", "version description")
    uri_ = client.get_model_version_download_uri(MODEL, chall)
    check(isinstance(uri_, str) and uri_ != "", f"download uri {uri_}")

    step("errors: unknown model / version, bad stage, bad version, hostile sources")
    expect_error("RESOURCE_DOES_NOT_EXIST", client.get_registered_model, f"nope-{SUFFIX}")
    expect_error("RESOURCE_DOES_NOT_EXIST", client.get_model_version, MODEL, "99")
    expect_error("INVALID_PARAMETER_VALUE", client.transition_model_version_stage, MODEL, "1", "prod")
    for bad in ("file:///etc/passwd", "http://169.254.169.254/latest/meta-data/"):
        expect_error("INVALID_PARAMETER_VALUE", client.create_model_version, MODEL, bad, run_ids[0])

    step("delete a version: its number is never reused")
    client.delete_model_version(MODEL, champ)
    mv = client.create_model_version(MODEL, f"runs:/{run_ids[0]}/model", run_ids[0])
    check(mv.version == "3", f"new version after delete is {mv.version}")

    step("rename: versions follow; the old name is gone")
    new_name = f"{MODEL}-renamed"
    client.rename_registered_model(MODEL, new_name)
    check(client.get_model_version(new_name, chall).name == new_name, "versions follow the rename")
    check(client.get_model_version_by_alias(new_name, "champion").version == chall, "aliases follow the rename")
    expect_error("RESOURCE_DOES_NOT_EXIST", client.get_registered_model, MODEL)

    step("history through Cairn's API lists every change with its actor")
    history = requests.get(f"{uri}/api/2.0/cairn/registered-models/history", params={"name": new_name}, timeout=30).json()
    types = [c["type"] for c in history["changes"]]
    check(types[0] == "registry.registered_model.created.v1", f"history starts with creation: {types[:3]}")
    check("registry.model_version.stage_transitioned.v1" in types and "registry.alias.set.v1" in types, "history has promotions and aliases")

    step("delete the registered model")
    client.delete_registered_model(new_name)
    expect_error("RESOURCE_DOES_NOT_EXIST", client.get_registered_model, new_name)

    print(f"REGISTRY SCENARIO OK (mlflow {mlflow.__version__}, major {major})")


if __name__ == "__main__":
    try:
        main()
    except Exception as e:
        print(f"REGISTRY SCENARIO FAILED at step '{STEP}': {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
