import { spawn } from 'node:child_process';
import { trackChildProcess } from './child-processes';
import { testEndpoints } from './environment';

export interface PythonResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a script with the pinned mlflow client of the given major version (from the test infra). */
export function runMlflowClient(major: 2 | 3, script: string, args: string[], env: Record<string, string>, timeoutMs = 300_000): Promise<PythonResult> {
  const python = testEndpoints.mlflowPython(major);
  return new Promise((resolve, reject) => {
    const child = spawn(python, [script, ...args], {
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', PYTHONUNBUFFERED: '1', MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    trackChildProcess(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`python ${script} timed out after ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
