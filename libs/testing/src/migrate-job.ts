import { spawn } from 'node:child_process';
import path from 'node:path';
import { findUp } from '@cairn/platform';
import { trackChildProcess } from './child-processes';
import { ensureBuilt } from './server-process';

/** Runs the migration Job's app (as the chart's pre-install/pre-upgrade hook does) to its end. */
export async function runMigrateJob(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  ensureBuilt();
  const main = path.join(path.dirname(findUp('package.json')), 'dist', 'apps', 'migrate-job', 'src', 'main.js');
  const child = spawn(process.execPath, [main], {
    env: { PATH: process.env['PATH'] ?? '', CAIRN_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  trackChildProcess(child);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)));
  return { code, output };
}
