import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { terminate, trackChildProcess } from './child-processes';
import { testEndpoints } from './environment';
import { waitFor } from './wait-for';

export interface StartedMlflowServer {
  url: string;
  /** Stops the server (its shutdown takes seconds) and removes its SQLite store and artifacts. */
  stop(): Promise<void>;
}

/**
 * The reference: `mlflow server` of the pinned 3.x package on a free port, over a fresh SQLite store
 * and its default artifact root (proxied `mlflow-artifacts:`), for tests that compare Cairn's
 * answers with MLflow's over the same data. Resolves once `/health` answers.
 */
export async function startMlflowServer(): Promise<StartedMlflowServer> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'cairn-mlflow-reference-'));
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const address = probe.address() as { port: number };
      probe.close(() => resolve(address.port));
    });
  });
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    testEndpoints.mlflowPython(3),
    ['-m', 'mlflow', 'server', '--backend-store-uri', `sqlite:///${home}/mlflow.db`, '--host', '127.0.0.1', '--port', String(port), '--workers', '1'],
    { cwd: home, env: { PATH: process.env['PATH'] ?? '', HOME: home }, stdio: 'ignore' },
  );
  const stop = async () => {
    await terminate(child);
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
      {
        timeoutMs: 120_000,
        intervalMs: 500,
        message: 'mlflow server /health',
      },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, stop };
}
