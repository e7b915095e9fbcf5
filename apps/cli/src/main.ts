import { spawn } from 'node:child_process';
import path from 'node:path';
import { runCli } from './cli';

/** `cairn server` runs the server app as a child, passing signals through, so its exit code is ours. */
function runServer(): Promise<number> {
  const main = path.resolve(__dirname, '..', '..', 'server', 'src', 'main.js');
  const child = spawn(process.execPath, ['--enable-source-maps', main], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
}

export async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'server') return runServer();
  return runCli(argv, { stdout: process.stdout, stderr: process.stderr, env: process.env });
}

// Exit once stdout has drained, so a large --json answer piped to another program is never cut short.
void main(process.argv.slice(2)).then((code) => process.stdout.write('', () => process.exit(code)));
