import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { terminate, trackChildProcess } from './child-processes';
import { testEndpoints } from './environment';
import { freePort } from './private-kafka';
import { waitFor } from './wait-for';

export interface StartedMlflowServer {
  url: string;
  /** What the server printed so far (for a failing test's message). */
  output(): string;
  /** Stops the server (its shutdown takes seconds) and removes its SQLite store and artifacts. */
  stop(): Promise<void>;
}

/**
 * The reference: `mlflow server` of the pinned 3.x package on a free port, over a fresh SQLite store
 * and proxied artifacts in a temporary directory, for tests that compare Cairn's answers with
 * MLflow's over the same data. Resolves once `/health` answers. `env` adds variables (e.g.
 * `MLFLOW_DISABLE_TELEMETRY`). The one way tests start it.
 */
export async function startMlflowServer(options: { env?: Record<string, string> } = {}): Promise<StartedMlflowServer> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'cairn-mlflow-reference-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const args = ['server', '--backend-store-uri', `sqlite:///${home}/mlflow.db`, '--artifacts-destination', path.join(home, 'artifacts')];
  const child = spawn(testEndpoints.mlflowPython(3), ['-m', 'mlflow', ...args, '--host', '127.0.0.1', '--port', String(port), '--workers', '1'], {
    cwd: home,
    env: { PATH: process.env['PATH'] ?? '', HOME: home, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: `mlflow server` runs uvicorn and a job runner as children, stopped with it.
    detached: true,
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, signal);
    } catch {
      // the group is gone already
    }
  };
  const stop = async () => {
    signalGroup('SIGTERM');
    await terminate(child);
    signalGroup('SIGKILL');
    rmSync(home, { recursive: true, force: true });
  };
  trackChildProcess(child, stop);
  try {
    await waitFor(
      async () =>
        (await fetch(`${url}/health`).then(
          (r) => r.ok,
          () => false,
        )) || undefined,
      { timeoutMs: 150_000, intervalMs: 500, message: 'mlflow server /health' },
    );
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n${output.slice(-2000)}`);
  }
  return { url, output: () => output, stop };
}
