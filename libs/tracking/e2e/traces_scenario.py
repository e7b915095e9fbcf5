"""MLflow 3 tracing with the real client: what a user does, and what they read back.

Prints one JSON line (`TRACES SUMMARY {...}`) of everything the user would notice, with ids and
times taken out, so the same script's output against Cairn and against `mlflow server` can be
compared; asserts what must hold on any server; ends with `TRACES SCENARIO OK`.
"""

import json
import os
import sys
import time
import uuid

import mlflow
from mlflow import MlflowClient
from mlflow.entities import AssessmentSource, Feedback

mlflow.set_tracking_uri(os.environ["MLFLOW_TRACKING_URI"])
client = MlflowClient()
experiment_id = mlflow.create_experiment(f"traces-{uuid.uuid4().hex[:8]}")
mlflow.set_experiment(experiment_id=experiment_id)


@mlflow.trace(span_type="TOOL")
def lookup(city):
    return {"city": city, "temperature": 21}


@mlflow.trace(name="answer", attributes={"model": "tiny", "temperature": 0.5})
def answer(question):
    with mlflow.start_span("retrieve", span_type="RETRIEVER") as span:
        span.set_inputs({"query": question})
        span.set_attribute("top_k", 3)
        span.set_outputs(["doc-1", "doc-2"])
    weather = lookup("Paris")
    return f"{question} -> {weather['temperature']}"


@mlflow.trace
def fails():
    raise ValueError("boom")


def flush():
    # The client exports traces from a background queue: wait for it before reading back.
    mlflow.flush_trace_async_logging()


answer("weather?")
outside_run = mlflow.get_last_active_trace_id()
with mlflow.start_run() as run:
    answer("inside a run?")
    in_run = mlflow.get_last_active_trace_id()
try:
    fails()
except ValueError:
    pass
failed = mlflow.get_last_active_trace_id()
flush()


def span_summary(trace):
    by_id = {s.span_id: s for s in trace.data.spans}
    out = []
    for s in sorted(trace.data.spans, key=lambda s: (s.start_time_ns, s.name)):
        attrs = {k: v for k, v in s.attributes.items() if not k.startswith("mlflow.")}
        out.append({
            "name": s.name,
            "parent": by_id[s.parent_id].name if s.parent_id else None,
            "type": s.span_type,
            "status": s.status.status_code.value if hasattr(s.status.status_code, "value") else str(s.status.status_code),
            "inputs": s.inputs,
            "outputs": s.outputs,
            "attributes": attrs,
            "ends_after_start": s.end_time_ns >= s.start_time_ns,
        })
    return out


def user_tags(info):
    return {k: v for k, v in info.tags.items() if not k.startswith("mlflow.")}


summary = {}

# get_trace: the spans, attributes, inputs and outputs the decorated functions produced.
trace = mlflow.get_trace(outside_run)
assert trace is not None, "get_trace found nothing"
summary["spans"] = span_summary(trace)
assert [s["name"] for s in summary["spans"]] == ["answer", "retrieve", "lookup"], summary["spans"]
summary["state"] = str(trace.info.state)
summary["request_preview"] = trace.info.request_preview
summary["response_preview"] = trace.info.response_preview
summary["trace_name"] = trace.info.tags.get("mlflow.traceName")
summary["failed_state"] = str(mlflow.get_trace(failed).info.state)
summary["failed_spans"] = span_summary(mlflow.get_trace(failed))
summary["in_run_source_run_is_the_run"] = mlflow.get_trace(in_run).info.trace_metadata.get("mlflow.sourceRun") == run.info.run_id
summary["outside_run_has_no_source_run"] = "mlflow.sourceRun" not in trace.info.trace_metadata

# Tags.
client.set_trace_tag(outside_run, "color", "red")
client.set_trace_tag(outside_run, "shape", "square")
client.delete_trace_tag(outside_run, "color")
summary["tags"] = user_tags(mlflow.get_trace(outside_run).info)
try:
    client.delete_trace_tag(outside_run, "never-set")
    summary["delete_missing_tag"] = "ok"
except Exception as e:  # noqa: BLE001
    summary["delete_missing_tag"] = getattr(e, "error_code", type(e).__name__)


# search_traces: over metadata, tags, status and time, and by run.
def search(**kwargs):
    traces = mlflow.search_traces(locations=[experiment_id], return_type="list", **kwargs)
    return sorted({outside_run: "outside", in_run: "in_run", failed: "failed"}.get(t.info.trace_id, "other") for t in traces)


summary["search"] = {
    "all": search(),
    "tag": search(filter_string="tags.shape = 'square'"),
    "tag_like": search(filter_string="tags.shape LIKE 'squ%'"),
    "trace_name": search(filter_string="tags.`mlflow.traceName` = 'answer'"),
    "status_ok": search(filter_string="status = 'OK'"),
    "status_error": search(filter_string="attributes.status = 'ERROR'"),
    "timestamp": search(filter_string=f"timestamp_ms > {int(time.time() * 1000) - 3_600_000}"),
    "future": search(filter_string=f"timestamp_ms > {int(time.time() * 1000) + 3_600_000}"),
    "run_id": sorted(
        {outside_run: "outside", in_run: "in_run", failed: "failed"}.get(t.info.trace_id, "other")
        for t in mlflow.search_traces(run_id=run.info.run_id, return_type="list")
    ),
    "metadata": search(filter_string=f"metadata.`mlflow.sourceRun` = '{run.info.run_id}'"),
    "oldest_first": [
        {outside_run: "outside", in_run: "in_run", failed: "failed"}[t.info.trace_id]
        for t in mlflow.search_traces(locations=[experiment_id], return_type="list", order_by=["timestamp_ms ASC"])
    ],
}
# Spans come back with searched traces too.
summary["searched_spans"] = span_summary(
    [t for t in mlflow.search_traces(locations=[experiment_id], return_type="list") if t.info.trace_id == outside_run][0]
)
try:
    mlflow.search_traces(locations=[experiment_id], filter_string="nonsense.x = 'y'", return_type="list")
    summary["bad_filter"] = "accepted"
except Exception as e:  # noqa: BLE001
    summary["bad_filter"] = getattr(e, "error_code", type(e).__name__)

# Assessments: feedback and expectation, update, get, delete.
feedback = mlflow.log_feedback(
    trace_id=outside_run, name="helpful", value=True, source=AssessmentSource(source_type="HUMAN", source_id="alice"), rationale="clear"
)
expectation = mlflow.log_expectation(trace_id=outside_run, name="expected", value="21 degrees")
updated = mlflow.update_assessment(trace_id=outside_run, assessment_id=feedback.assessment_id, assessment=Feedback(name="helpful", value=False))
fetched = mlflow.get_assessment(outside_run, expectation.assessment_id)
summary["assessment_update"] = {"value": updated.feedback.value, "rationale": updated.rationale, "source": updated.source.source_id}
summary["assessment_get"] = {"name": fetched.name, "value": fetched.expectation.value}
mlflow.delete_assessment(outside_run, expectation.assessment_id)
summary["assessments_left"] = [
    {"name": a.name, "value": a.feedback.value if a.feedback else a.expectation.value, "source": a.source.source_type}
    for a in mlflow.get_trace(outside_run).info.assessments
]

# Deletes: by id, then everything up to now.
summary["deleted_by_id"] = client.delete_traces(experiment_id=experiment_id, trace_ids=[failed])
summary["after_delete_by_id"] = search()
summary["deleted_up_to_now"] = client.delete_traces(experiment_id=experiment_id, max_timestamp_millis=int(time.time() * 1000) + 1000, max_traces=10)
summary["after_delete_all"] = search()
try:
    client.get_trace(outside_run)
    summary["get_deleted"] = "found"
except Exception as e:  # noqa: BLE001
    summary["get_deleted"] = getattr(e, "error_code", type(e).__name__)

print("TRACES SUMMARY " + json.dumps(summary, sort_keys=True, default=str))
assert summary["search"]["tag"] == ["outside"], summary
assert summary["search"]["run_id"] == ["in_run"], summary
assert summary["after_delete_all"] == [], summary
print("TRACES SCENARIO OK")
sys.stdout.flush()
