"""Traces for QueryTraceMetrics, logged with the real 3.x client at fixed times and durations.

`MlflowClient.start_trace` / `end_trace` take explicit nanosecond times, so the same script run
against Cairn and against `mlflow server` gives both the same request times (hence the same time
buckets) and the same latencies. argv[1]: the first trace's start, epoch ms. Prints
`METRICS EXPERIMENT <id>` and ends with `METRICS SCENARIO OK`.
"""

import os
import sys
import uuid

import mlflow
from mlflow import MlflowClient
from mlflow.entities import AssessmentSource

mlflow.set_tracking_uri(os.environ["MLFLOW_TRACKING_URI"])
client = MlflowClient()
experiment_id = mlflow.create_experiment(f"trace-metrics-{uuid.uuid4().hex[:8]}")
base_ms = int(sys.argv[1])
MINUTE_MS = 60_000

# (name, minutes after base, duration ms, status, total tokens or None)
TRACES = [
    ("chat", 1, 100, "OK", 10),
    ("chat", 2, 300, "OK", 30),
    ("chat", 61, 200, "ERROR", 20),
    ("rag", 62, 1000, "OK", 100),
    ("rag", 125, 40, "OK", None),
]

trace_ids = []
for name, minutes, duration_ms, status, tokens in TRACES:
    start_ns = (base_ms + minutes * MINUTE_MS) * 1_000_000
    root = client.start_trace(name, experiment_id=experiment_id, inputs={"q": name}, start_time_ns=start_ns)
    # An LLM span's usage attribute: the client sums it into the trace's `mlflow.trace.tokenUsage`.
    usage = {"input_tokens": tokens - 1, "output_tokens": 1, "total_tokens": tokens} if tokens else None
    attributes = {"mlflow.chat.tokenUsage": usage} if usage else None
    client.end_trace(
        root.trace_id, outputs={"a": 1}, attributes=attributes, status=status, end_time_ns=start_ns + duration_ms * 1_000_000
    )
    trace_ids.append(root.trace_id)

mlflow.flush_trace_async_logging()

# Feedback and expectations on the traces, as a reviewer logs them (the UI's quality charts).
human = AssessmentSource(source_type="HUMAN", source_id="reviewer")
for trace_id, helpful, score in zip(trace_ids, [True, "no", True, False, "Yes"], [0.5, 4, 3, 1, 2.5]):
    mlflow.log_feedback(trace_id=trace_id, name="helpful", value=helpful, source=human)
    mlflow.log_feedback(trace_id=trace_id, name="score", value=score, source=human)
mlflow.log_expectation(trace_id=trace_ids[0], name="expected", value="Paris", source=human)

print(f"METRICS EXPERIMENT {experiment_id}")
print("METRICS SCENARIO OK")
