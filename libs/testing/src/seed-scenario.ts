import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findUp } from '@cairn/platform';

/** The seed's workflow (a verbatim copy of shared/conformance/seed_scenario.py), driven by the real mlflow client. */
export const SEED_SCENARIO = path.join(path.dirname(findUp('package.json')), 'apps', 'server', 'e2e', 'seed_scenario.py');

const LOG_MODEL_CALL = 'mlflow.sklearn.log_model(model, "model", registered_model_name=MODEL)';
const RAW_REQUEST = 'json={"run_id": run.info.run_id, "metrics": too_many}, timeout=30)';
const AUTH_HEADERS = `
def _auth_headers():
    # The credentials the mlflow client sends, for the scenario's one raw request.
    import base64
    token = os.environ.get("MLFLOW_TRACKING_TOKEN")
    if token:
        return {"Authorization": f"Bearer {token}"}
    user, password = os.environ["MLFLOW_TRACKING_USERNAME"], os.environ["MLFLOW_TRACKING_PASSWORD"]
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def main():`;

function replaceOnce(source: string, from: string, to: string): string {
  if (!source.includes(from)) throw new Error(`seed_scenario.py no longer contains ${from}: update the patch in libs/testing/src/seed-scenario.ts`);
  return source.replace(from, to);
}

/**
 * The seed scenario as a given client must run it, written to a temporary file:
 * - `cloudpickle`: mlflow ≥ 3.9 saves sklearn models with skops and refuses the scenario's
 *   GradientBoostingClassifier in the client (seed-scenario.e2e.spec.ts pins that), so 3.x users log
 *   it with serialization_format="cloudpickle";
 * - `authenticated`: the scenario's one raw `requests.post` sends the credentials the mlflow client
 *   takes from MLFLOW_TRACKING_TOKEN or MLFLOW_TRACKING_USERNAME/PASSWORD (it sends none otherwise).
 */
export function patchedSeedScenario(patches: { cloudpickle?: boolean; authenticated?: boolean }): string {
  let source = readFileSync(SEED_SCENARIO, 'utf8');
  if (patches.cloudpickle) source = replaceOnce(source, LOG_MODEL_CALL, LOG_MODEL_CALL.replace(')', ', serialization_format="cloudpickle")'));
  if (patches.authenticated) {
    source = replaceOnce(source, RAW_REQUEST, RAW_REQUEST.replace(')', ', headers=_auth_headers())'));
    source = replaceOnce(source, '\ndef main():', AUTH_HEADERS);
  }
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'seed-')), 'seed_scenario_patched.py');
  writeFileSync(file, source);
  return file;
}
