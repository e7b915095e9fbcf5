import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CairnApiError, CairnClient, CairnConnectionError, resolveTrackingUri } from '@cairn/sdk';
import { type FlagSpecs, parseArgs, UsageError } from './args';
import { bind, type Command, COMMANDS, TOP_LEVEL, usageOf } from './commands';
import { HOME_COMMANDS } from './operations-commands';

/**
 * Exit codes, for scripts:
 *   0  success
 *   1  the server refused the request or could not be reached (an API error, e.g. a 404), a
 *      local file operation failed, or a project run was refused or did not finish
 *   2  usage error: unknown command or option, missing or malformed argument
 */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

const GLOBAL_FLAGS: FlagSpecs = {
  'tracking-uri': { type: 'string', placeholder: 'URL' },
  json: { type: 'boolean' },
  help: { type: 'boolean' },
};

export const USAGE = `usage: cairn <command> [options]

commands:
  server                                     start the all-in-one server (configured by CAIRN_* variables)
  version                                    print the version
  experiments list|create|delete|restore     manage experiments (by name, or --experiment-id ID)
  run <dir|git-uri[#ref][:subdir]>           run an MLproject entry point into a new run (-e ENTRY, -P k=v)
  reproduce <run_id|models:/name/version|models:/name@alias>
                                             re-run a run at its commit, params and environment; compare
  runs search|get|delete|restore|diff        find, inspect and compare runs
  metrics history <run_id> <key>             every point of a metric
  artifacts ls|get|put                       list, download, upload run artifacts
  models list|versions|transition|alias|promote|history|lineage
                                             the model registry
  webhooks create|list|delete|test|deliveries|redeliver
                                             registry webhooks and their delivery log
  tokens create|list|revoke                  API tokens for CI pipelines and serving pods
  gc [--dry-run] [--older-than-days N]       purge deleted runs and experiments past retention
  dead-letters list|show|replay|discard      events a consumer could not apply (admins)
  admin verify <context>                     compare a read model with a rebuild from its event log (admins)
  backup <dir> / restore <dir>               back up $CAIRN_HOME while the server runs; restore into a fresh home

options (every API command):
  --tracking-uri URL   server to talk to (default: CAIRN_TRACKING_URI, MLFLOW_TRACKING_URI, http://127.0.0.1:5000)
  --json               print the API's JSON instead of tables
  -h, --help           usage of a command, e.g. cairn runs search --help

credentials: MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD, or MLFLOW_TRACKING_TOKEN (as the mlflow client reads them)

exit codes: 0 ok, 1 API or server error (e.g. not found), or a run/reproduce that failed, 2 usage error
`;

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WriteStream | NodeJS.WritableStream;
  env?: NodeJS.ProcessEnv;
}

function groupUsage(group: string, commands: Record<string, Command>): string {
  return `usage: cairn ${group} <${Object.keys(commands).join('|')}> ...\n\n${Object.entries(commands)
    .map(([name, c]) => `  ${name.padEnd(12)} ${c.summary}`)
    .join('\n')}\n`;
}

/** Resolves the command named by `argv` (without `server`/`version`), or throws a usage error. */
export function resolveCommand(argv: readonly string[]): { path: string; command: Command; rest: string[] } {
  const [group, sub, ...rest] = argv;
  const topLevel = group !== undefined ? TOP_LEVEL[group] : undefined;
  if (topLevel !== undefined && group !== undefined) return { path: group, command: topLevel, rest: argv.slice(1) };
  const onHome = group !== undefined ? HOME_COMMANDS[group] : undefined;
  if (onHome !== undefined && group !== undefined) return { path: group, command: onHome, rest: argv.slice(1) };
  const commands = group !== undefined ? COMMANDS[group] : undefined;
  if (commands === undefined) throw new UsageError(`unknown command '${group ?? ''}'`, USAGE);
  if (sub === undefined || sub.startsWith('-'))
    throw new UsageError(sub === undefined ? `${group}: missing subcommand` : `${group}: missing subcommand before '${sub}'`, groupUsage(group, commands));
  const command = commands[sub];
  if (command === undefined) throw new UsageError(`${group}: unknown subcommand '${sub}'`, groupUsage(group, commands));
  return { path: `${group} ${sub}`, command, rest };
}

/**
 * Cairn's version, from the nearest package.json above this file (the repository's, from apps/cli/src
 * and from dist/apps/cli/src alike). Not the server platform's findUp: loading the platform for it
 * cost the CLI over a second of start-up.
 */
function version(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
    if (path.dirname(dir) === dir) throw new Error(`package.json not found above ${__dirname}`);
  }
}

/** Runs one CLI invocation and returns its exit code; never calls process.exit. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [first] = argv;
  if (first === undefined) {
    io.stderr.write(USAGE);
    return EXIT.usage;
  }
  if (first === 'help' || first === '--help' || first === '-h') {
    io.stdout.write(USAGE);
    return EXIT.ok;
  }
  if (first === 'version' || first === '--version') {
    io.stdout.write(`${version()}\n`);
    return EXIT.ok;
  }
  const group = COMMANDS[first];
  if (group !== undefined && (argv[1] === '--help' || argv[1] === '-h')) {
    io.stdout.write(groupUsage(first, group));
    return EXIT.ok;
  }
  let json = argv.includes('--json');
  try {
    const { path, command, rest } = resolveCommand(argv);
    const parsed = (() => {
      try {
        return parseArgs(rest, { ...command.flags, ...GLOBAL_FLAGS });
      } catch (error) {
        if (error instanceof UsageError) throw new UsageError(error.message, usageOf(path, command));
        throw error;
      }
    })();
    json = parsed.flags['json'] === true;
    if (parsed.flags['help'] === true) {
      io.stdout.write(usageOf(path, command));
      return EXIT.ok;
    }
    const args = (() => {
      try {
        return bind(command, parsed);
      } catch (error) {
        if (error instanceof UsageError) throw new UsageError(error.message, usageOf(path, command));
        throw error;
      }
    })();
    const trackingUri = parsed.flags['tracking-uri'];
    let client: CairnClient;
    try {
      client = new CairnClient({ trackingUri: resolveTrackingUri(typeof trackingUri === 'string' ? trackingUri : undefined, io.env ?? process.env) });
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    await command.run({ client, json, stdout: io.stdout, stderr: io.stderr, env: io.env ?? process.env }, args, parsed.flags);
    return EXIT.ok;
  } catch (error) {
    return report(error, json, io);
  }
}

function report(error: unknown, json: boolean, io: CliIo): number {
  if (error instanceof UsageError) {
    io.stderr.write(`cairn: ${error.message}\n${error.usage ? `\n${error.usage}` : ''}`);
    return EXIT.usage;
  }
  if (error instanceof CairnApiError) {
    io.stderr.write(
      json
        ? `${JSON.stringify({ error_code: error.errorCode, message: error.message, http_status: error.httpStatus })}\n`
        : `cairn: ${error.errorCode} (HTTP ${error.httpStatus}): ${error.message}\n`,
    );
    return EXIT.failed;
  }
  const message = error instanceof Error ? error.message : String(error);
  const code = error instanceof CairnConnectionError ? 'CONNECTION_FAILED' : 'FAILED';
  io.stderr.write(json ? `${JSON.stringify({ error_code: code, message })}\n` : `cairn: ${message}\n`);
  return EXIT.failed;
}
