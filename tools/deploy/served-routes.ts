import 'reflect-metadata';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { DynamicModule, Type } from '@nestjs/common';

/**
 * The HTTP routes each service process serves, read from the code itself: the Nest controllers of
 * the modules its `apps/<service>/src/main.ts` passes to runService and of those the runtime adds to
 * every process (libs/runtime/src/start-service.ts), with the modules they import, and the plain
 * Fastify routes a context registers on its own (the registry's hot reads). The chart's Ingress path
 * table is checked against this; `unservedControllers` catches a controller this reading misses.
 */
export interface ServedRoute {
  method: string;
  /** Nest's pattern: `:param` for a path parameter, `*` for the rest of the path. */
  pattern: string;
}

export const distributedServices = ['tracking-service', 'artifact-service', 'registry-service', 'webhook-dispatcher'] as const;
export type ServiceName = (typeof distributedServices)[number];

const root = path.resolve(__dirname, '..', '..');
// Nest's RequestMethod enum, by value.
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'ALL', 'OPTIONS', 'HEAD', 'SEARCH'];

type NestModule = Type<unknown> | DynamicModule;

const asList = (value: unknown): string[] => (Array.isArray(value) ? (value as string[]) : [typeof value === 'string' ? value : '']);
const join = (...parts: string[]) =>
  `/${parts
    .flatMap((p) => p.split('/'))
    .filter(Boolean)
    .join('/')}`;

function controllersOf(module: NestModule, seen = new Set<unknown>()): Type<unknown>[] {
  if (seen.has(module)) return [];
  seen.add(module);
  const type = 'module' in module ? module.module : module;
  const dynamic = 'module' in module ? module : undefined;
  const controllers = [...((Reflect.getMetadata('controllers', type) as Type<unknown>[] | undefined) ?? []), ...(dynamic?.controllers ?? [])];
  const imports = [...((Reflect.getMetadata('imports', type) as NestModule[] | undefined) ?? []), ...((dynamic?.imports ?? []) as NestModule[])];
  // Promises (async dynamic modules) and forward references declare no controllers of their own here.
  const nested = imports.filter((m) => typeof m === 'function' || (typeof m === 'object' && m !== null && 'module' in m));
  return [...controllers, ...nested.flatMap((m) => controllersOf(m, seen))];
}

function routesOfController(controller: Type<unknown>): ServedRoute[] {
  const prefixes = asList(Reflect.getMetadata('path', controller));
  const routes: ServedRoute[] = [];
  for (const name of Object.getOwnPropertyNames(controller.prototype)) {
    const handler = (controller.prototype as Record<string, unknown>)[name];
    if (typeof handler !== 'function' || name === 'constructor') continue;
    const method = Reflect.getMetadata('method', handler) as number | undefined;
    if (method === undefined) continue;
    for (const prefix of prefixes) {
      for (const own of asList(Reflect.getMetadata('path', handler))) routes.push({ method: METHODS[method] ?? String(method), pattern: join(prefix, own) });
    }
  }
  return routes;
}

/** The TypeScript sources under `dir`, specs excepted. */
const sourceFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(path.join(dir, entry.name))
      : entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')
        ? [path.join(dir, entry.name)]
        : [],
  );

/**
 * The routes a context registers on Fastify directly (hot paths), from the `*_FASTIFY_ROUTES` tables
 * its index exports. A library whose sources register a route that way without exporting a table
 * is an error, so that no route escapes the path table.
 */
function plainFastifyRoutes(library: string): ServedRoute[] {
  const exported = require(`@cairn/${library}`) as Record<string, unknown>;
  const tables = Object.entries(exported)
    .filter(([name]) => name.endsWith('_FASTIFY_ROUTES'))
    .flatMap(([, table]) => table as Array<{ method: string; path: string }>);
  const registers = sourceFiles(path.join(root, 'libs', library, 'src')).some((file) =>
    /fastify\.(get|post|put|delete|patch|route|all)\(/.test(readFileSync(file, 'utf8')),
  );
  if (registers && tables.length === 0) throw new Error(`libs/${library} registers Fastify routes directly but its index exports no *_FASTIFY_ROUTES table`);
  return tables.map((route) => ({ method: route.method, pattern: route.path }));
}

/** `import { A, B } from '@cairn/lib'` lines of a source file: name → library. */
function cairnImports(source: string): Map<string, string> {
  const names = new Map<string, string>();
  for (const [, list = '', library = ''] of source.matchAll(/import \{([^}]*)\} from '@cairn\/([a-z-]+)'/g)) {
    for (const name of list.split(',').map((n) => n.replace(/^\s*type\s+/, '').trim())) if (name) names.set(name, library);
  }
  return names;
}

function resolveModule(name: string, library: string): NestModule {
  const module = (require(`@cairn/${library}`) as Record<string, NestModule | undefined>)[name];
  if (module === undefined) throw new Error(`@cairn/${library} does not export ${name}`);
  return module;
}

/** The modules a service's main.ts passes to runService, with the libraries they come from. */
function modulesOfService(service: ServiceName): Array<{ module: NestModule; library: string }> {
  const main = readFileSync(path.join(root, 'apps', service, 'src', 'main.ts'), 'utf8');
  const names = /modules:\s*\(\)\s*=>\s*\[([^\]]*)\]/
    .exec(main)?.[1]
    ?.split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  if (names === undefined || names.length === 0) throw new Error(`apps/${service}/src/main.ts: no \`modules: () => [...]\` found`);
  const imports = cairnImports(main);
  return names.map((name) => {
    const library = imports.get(name);
    if (library === undefined) throw new Error(`apps/${service}/src/main.ts: where does ${name} come from?`);
    return { module: resolveModule(name, library), library };
  });
}

/**
 * The modules the runtime's ServiceModule imports from Cairn libraries, in every process: a plain
 * `XModule`, or `XModule.forRoot(…)` (called here with an empty list: only its controllers matter).
 */
function modulesOfEveryProcess(): NestModule[] {
  const source = readFileSync(path.join(root, 'libs', 'runtime', 'src', 'start-service.ts'), 'utf8');
  const list = /@Module\(\{\s*imports:\s*\[([\s\S]*?)\.\.\.definition\.modules/.exec(source)?.[1];
  if (list === undefined) throw new Error('libs/runtime/src/start-service.ts: the ServiceModule imports were not found');
  const imports = cairnImports(source);
  const modules: NestModule[] = [];
  for (const [, name = '', call] of list.matchAll(/\b([A-Z]\w*Module)\b(\.forRoot\()?/g)) {
    // The runtime's own modules come from relative imports: the operator API serves routes.
    const library = imports.get(name) ?? (name in (require('@cairn/runtime') as object) ? 'runtime' : undefined);
    if (library === undefined) continue;
    const module = resolveModule(name, library);
    modules.push(call === undefined ? module : (module as unknown as { forRoot(arg: unknown): DynamicModule }).forRoot([]));
  }
  return modules;
}

/**
 * The web UI's files, served by a process whose definition says `webUi: true` (the runtime's
 * serveWebUi, libs/platform/src/http/web-ui.ts): its page, at `/` and `/index.html`, and its hashed assets.
 */
export const WEB_UI_ROUTES: readonly ServedRoute[] = [
  { method: 'GET', pattern: '/' },
  { method: 'GET', pattern: '/index.html' },
  { method: 'GET', pattern: '/assets/*' },
];

function servesWebUi(service: ServiceName): boolean {
  return /\bwebUi:\s*true\b/.test(readFileSync(path.join(root, 'apps', service, 'src', 'main.ts'), 'utf8'));
}

export function servedRoutes(service: ServiceName): ServedRoute[] {
  const own = modulesOfService(service);
  const controllers = [...own.map((m) => m.module), ...modulesOfEveryProcess()].flatMap((m) => controllersOf(m));
  return [...controllers.flatMap(routesOfController), ...own.flatMap((m) => plainFastifyRoutes(m.library)), ...(servesWebUi(service) ? WEB_UI_ROUTES : [])];
}

/**
 * Controllers only the all-in-one server hosts, with why: none today (MLflow's GraphQL, the last
 * one, is hosted by the tracking-service too). A controller listed here escapes the chart's route check.
 */
export const ALL_IN_ONE_ONLY: Readonly<Record<string, string>> = {};

/** Controllers declared somewhere in libs/ that no service's module graph reaches (so the route check would miss them). */
export function unservedControllers(): string[] {
  const reached = new Set(
    [...distributedServices.flatMap((s) => modulesOfService(s).map((m) => m.module)), ...modulesOfEveryProcess()]
      .flatMap((m) => controllersOf(m))
      .map((c) => c.name),
  );
  const declared: string[] = [];
  for (const library of readdirSync(path.join(root, 'libs'))) {
    const src = path.join(root, 'libs', library, 'src');
    for (const file of existsSync(src) ? sourceFiles(src) : []) {
      for (const [, name = ''] of readFileSync(file, 'utf8').matchAll(/@Controller\([^)]*\)\s*(?:@\w+\([^)]*\)\s*)*export class (\w+)/g)) {
        if (!reached.has(name) && !(name in ALL_IN_ONE_ONLY)) declared.push(`${name} (${path.relative(root, file)})`);
      }
    }
  }
  return declared;
}

/** A concrete request path for a route pattern (a value for each parameter, two segments for `*`). */
export const samplePath = (pattern: string): string => pattern.replace(/:[A-Za-z_]+/g, 'p1').replace(/\*/g, 'a/b.txt');
