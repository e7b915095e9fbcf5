"""What a signed-in user sees through the official `mlflow` client's searches, as JSON on stdout.

Usage:
    MLFLOW_TRACKING_URI=... MLFLOW_TRACKING_USERNAME=... MLFLOW_TRACKING_PASSWORD=... \
        python search_visibility.py <readable experiment id>,... <unreadable experiment id>

Walks every search page by page with small pages (so page tokens are followed), and tries a run
search that names the unreadable experiment. The caller (search-visibility.e2e.spec.ts) asserts.
"""

import json
import sys

import mlflow
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient


def walk(fetch):
    items, sizes, token = [], [], None
    while True:
        page = fetch(token)
        items.extend(page)
        sizes.append(len(page))
        token = page.token
        if not token or len(sizes) > 50:
            return items, sizes


readable = sys.argv[1].split(",")
unreadable = sys.argv[2]
client = MlflowClient()

experiments, experiment_pages = walk(lambda t: client.search_experiments(max_results=1, page_token=t))
runs, run_pages = walk(lambda t: client.search_runs(readable, max_results=2, page_token=t))
everywhere = mlflow.search_runs(search_all_experiments=True, output_format="list")
try:
    client.search_runs([unreadable])
    named_unreadable = "allowed"
except MlflowException as error:
    named_unreadable = error.error_code
models, model_pages = walk(lambda t: client.search_registered_models(max_results=1, page_token=t))
versions, version_pages = walk(lambda t: client.search_model_versions(max_results=1, page_token=t))

print(
    json.dumps(
        {
            "experiments": [e.name for e in experiments],
            "experiment_pages": experiment_pages,
            "runs": sorted(r.info.run_name for r in runs),
            "run_pages": run_pages,
            "runs_everywhere": sorted(r.info.run_name for r in everywhere),
            "named_unreadable": named_unreadable,
            "models": [m.name for m in models],
            "model_pages": model_pages,
            "versions": [f"{v.name}/{v.version}" for v in versions],
            "version_pages": version_pages,
        }
    )
)
