import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { findUp } from '@cairn/platform';

const USAGE = `usage: cairn <command>

commands:
  server     start the all-in-one server (same as npm start); configured by CAIRN_* variables
  version    print the version
`;

/** `cairn server` runs the server app as a child, passing signals through, so its exit code is ours. */
function runServer(): Promise<number> {
  const main = path.resolve(__dirname, '..', '..', 'server', 'src', 'main.js');
  const child = spawn(process.execPath, ['--enable-source-maps', main], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
}

export async function main(argv: string[]): Promise<number> {
  const [command] = argv;
  switch (command) {
    case 'server':
      return runServer();
    case 'version':
      process.stdout.write(`${(JSON.parse(readFileSync(findUp('package.json', __dirname), 'utf8')) as { version: string }).version}\n`);
      return 0;
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(USAGE);
      return 0;
    case undefined:
      process.stderr.write(USAGE);
      return 2;
    default:
      process.stderr.write(`cairn: unknown command '${command}'\n${USAGE}`);
      return 2;
  }
}

void main(process.argv.slice(2)).then((code) => process.exit(code));
