import { readFileSync } from 'node:fs';

/** One instruction of a Dockerfile: `RUN npm ci` is { keyword: 'RUN', args: 'npm ci' }. */
export interface Instruction {
  keyword: string;
  args: string;
}

export interface Stage {
  name: string | undefined;
  workdir: string;
  env: Record<string, string>;
  instructions: Instruction[];
}

/**
 * The stages of a Dockerfile, enough to replay its COPY and RUN steps without a container engine:
 * line continuations joined, comments dropped, ARG defaults substituted into FROM, WORKDIR and ENV
 * collected. Exec-form (JSON) arguments are left as written.
 */
export function parseDockerfile(file: string): Stage[] {
  const logical: string[] = [];
  let pending = '';
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.startsWith('#')) continue; // a comment inside a continued instruction
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    logical.push(pending + line);
    pending = '';
  }
  const args: Record<string, string> = {};
  const substitute = (text: string) => text.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, a?: string, b?: string) => args[a ?? b ?? ''] ?? whole);
  const stages: Stage[] = [];
  for (const line of logical) {
    const match = /^(\w+)\s+(.*)$/.exec(line);
    if (match === null) throw new Error(`unparsable Dockerfile line: ${line}`);
    const keyword = (match[1] ?? '').toUpperCase();
    const rest = match[2] ?? '';
    const stage = stages.at(-1);
    if (keyword === 'ARG') {
      const [name = '', value = ''] = rest.split(/=(.*)/s);
      if (stage === undefined) args[name] = value;
      continue;
    }
    if (keyword === 'FROM') {
      const name = /\s+AS\s+(\S+)$/i.exec(substitute(rest))?.[1];
      stages.push({ name, workdir: '/', env: {}, instructions: [] });
      continue;
    }
    if (stage === undefined) throw new Error(`${keyword} before FROM`);
    if (keyword === 'WORKDIR') stage.workdir = rest;
    if (keyword === 'ENV') {
      for (const [, name = '', value = ''] of rest.matchAll(/(\w+)=("[^"]*"|\S+)/g)) stage.env[name] = value.replace(/^"|"$/g, '');
    }
    stage.instructions.push({ keyword, args: rest });
  }
  return stages;
}

/** `COPY [--from=stage] src… dest` → its parts. */
export function parseCopy(args: string): { from: string | undefined; sources: string[]; destination: string } {
  const words = args.split(/\s+/).filter(Boolean);
  const from = words[0]?.startsWith('--from=') ? words.shift()?.slice('--from='.length) : undefined;
  if (words.some((w) => w.startsWith('--'))) throw new Error(`COPY option not supported by the replay: ${args}`);
  const destination = words.pop();
  if (destination === undefined || words.length === 0) throw new Error(`COPY needs a source and a destination: ${args}`);
  return { from, sources: words, destination };
}

/** Whether `.dockerignore` patterns leave `relativePath` (slash-separated, from the context root) out of the build context. */
export function isDockerIgnored(relativePath: string, patterns: string[]): boolean {
  let ignored = false;
  for (const raw of patterns) {
    const negated = raw.startsWith('!');
    const pattern = (negated ? raw.slice(1) : raw).replace(/^\/+|\/+$/g, '');
    const regex = pattern
      .split(/(\*\*\/|\*\*|\*|\?)/)
      .map((part) => ({ '**/': '(?:.*/)?', '**': '.*', '*': '[^/]*', '?': '[^/]' })[part] ?? part.replace(/[.+^${}()|[\]\\]/g, '\\$&'))
      .join('');
    // A pattern naming a directory leaves out everything under it.
    if (new RegExp(`^${regex}(?:/.*)?$`).test(relativePath)) ignored = !negated;
  }
  return ignored;
}

export const readDockerignore = (file: string): string[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
