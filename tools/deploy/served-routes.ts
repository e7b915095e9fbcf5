import 'reflect-metadata';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { DynamicModule, Type } from '@nestjs/common';
import { SystemModule } from '@cairn/platform';

/**
 * The HTTP routes each service process serves, read from the code itself: the Nest controllers of
 * the modules its `apps/<service>/src/main.ts` passes to runService (and the modules they import),
 * the system routes every process serves, and the plain Fastify routes a context registers on its
 * own (the alias long-poll). The chart's Ingress path table is checked against this.
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

/** `fastify.get(SOME_PATH, …)` in a context's sources, with SOME_PATH a string constant of the same file. */
function plainFastifyRoutes(libDirectory: string): ServedRoute[] {
  const routes: ServedRoute[] = [];
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory()
        ? walk(path.join(dir, entry.name))
        : entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')
          ? [path.join(dir, entry.name)]
          : [],
    );
  for (const file of walk(libDirectory)) {
    const source = readFileSync(file, 'utf8');
    for (const [, verb = '', argument = ''] of source.matchAll(/fastify\.(get|post|put|delete|patch|route|all)\(\s*([^,)]+)/g)) {
      const constant = new RegExp(`const ${argument.trim()} = '([^']+)'`).exec(source)?.[1];
      if (constant === undefined) throw new Error(`${path.relative(root, file)}: cannot tell the path of fastify.${verb}(${argument.trim()}, …)`);
      routes.push({ method: verb.toUpperCase(), pattern: constant });
    }
  }
  return routes;
}

/** The modules a service's main.ts passes to runService, resolved from the libraries it imports them from. */
function modulesOfService(service: ServiceName): { modules: NestModule[]; libraries: string[] } {
  const main = readFileSync(path.join(root, 'apps', service, 'src', 'main.ts'), 'utf8');
  const names = /modules:\s*\(\)\s*=>\s*\[([^\]]*)\]/
    .exec(main)?.[1]
    ?.split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  if (names === undefined || names.length === 0) throw new Error(`apps/${service}/src/main.ts: no \`modules: () => [...]\` found`);
  const modules: NestModule[] = [];
  const libraries: string[] = [];
  for (const name of names) {
    const from = new RegExp(`import \\{[^}]*\\b${name}\\b[^}]*\\} from '@cairn/([a-z-]+)'`).exec(main)?.[1];
    if (from === undefined) throw new Error(`apps/${service}/src/main.ts: where does ${name} come from?`);
    const module = (require(`@cairn/${from}`) as Record<string, NestModule | undefined>)[name];
    if (module === undefined) throw new Error(`@cairn/${from} does not export ${name}`);
    modules.push(module);
    libraries.push(path.join(root, 'libs', from, 'src'));
  }
  return { modules, libraries };
}

export function servedRoutes(service: ServiceName): ServedRoute[] {
  const { modules, libraries } = modulesOfService(service);
  const controllers = [...modules, SystemModule.forRoot([])].flatMap((m) => controllersOf(m));
  return [...controllers.flatMap(routesOfController), ...libraries.flatMap(plainFastifyRoutes)];
}

/** A concrete request path for a route pattern (a value for each parameter, two segments for `*`). */
export const samplePath = (pattern: string): string => pattern.replace(/:[A-Za-z_]+/g, 'p1').replace(/\*/g, 'a/b.txt');
