import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';
import { Client } from 'pg';
import { permissionAllows, type AccessTable, type Permission, type ResourceRef, type RouteAccess } from '@cairn/contracts';
import { ACCESS_TABLE } from '@cairn/platform';
import { REGISTRY_FASTIFY_ROUTES } from '@cairn/registry';
import { startService, type RunningService } from '@cairn/runtime';
import { createTestDatabase, type TestDatabase } from '@cairn/testing';
import { serverDefinition } from './server.definition';

// Issue 18: a generated matrix — every route the server serves × every kind of caller, with the
// status the route's access entry implies. A route without an entry fails here before anything else.

interface Route {
  method: string;
  path: string;
  controller: string;
  handler: string;
  entry: RouteAccess | undefined;
}

const ADMIN_PASSWORD = 'matrix-admin-password';
const USER_PASSWORD = 'matrix-user-password';
const PROFILES = ['anonymous', 'read', 'edit', 'manage', 'admin', 'ci', 'serving'] as const;
type Profile = (typeof PROFILES)[number];

/** Every route of every controller the started server registered, with its access entry. */
function routesOf(service: RunningService): Route[] {
  const routes: Route[] = [];
  for (const module of service.app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: never[]) => unknown) | null;
      if (!controller) continue;
      const table = Reflect.getMetadata(ACCESS_TABLE, controller) as AccessTable<Record<string, () => unknown>> | undefined;
      const prefixes = [Reflect.getMetadata(PATH_METADATA, controller) as string | string[]].flat();
      for (const handler of Object.getOwnPropertyNames(controller.prototype)) {
        const fn = (controller.prototype as Record<string, unknown>)[handler];
        if (handler === 'constructor' || typeof fn !== 'function') continue;
        const method = Reflect.getMetadata(METHOD_METADATA, fn) as RequestMethod | undefined;
        if (method === undefined) continue;
        for (const prefix of prefixes) {
          for (const sub of [Reflect.getMetadata(PATH_METADATA, fn) as string | string[]].flat()) {
            const full = `/${[prefix, sub].filter((p) => p && p !== '/').join('/')}`.replace(/\/+/g, '/');
            routes.push({ method: RequestMethod[method], path: full, controller: controller.name, handler, entry: table?.[handler] });
          }
        }
      }
    }
  }
  // Routes registered on Fastify directly (hot paths) declare their entry beside them and call the gate.
  for (const route of REGISTRY_FASTIFY_ROUTES)
    routes.push({ method: route.method, path: route.path, controller: 'fastify', handler: route.path, entry: route.access });
  return routes;
}

describe('access matrix: every route × every kind of caller (CAIRN_AUTH=basic)', () => {
  let db: TestDatabase;
  let home: string;
  let service: RunningService;
  let sql: Client;
  let routes: Route[];
  /** Per profile: its own experiment, run, logged model, model and webhook (so deletions stay local). */
  const fixtures = new Map<Profile, Record<string, string>>();
  const credentials = new Map<Profile, string | undefined>();

  const call = async (method: string, url: string, auth: string | undefined, body?: unknown) => {
    const headers: Record<string, string> = {};
    if (auth) headers['authorization'] = auth;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${service.url}${url}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // not JSON (an artifact, a probe)
    }
    return { status: response.status, json };
  };
  const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  const admin = basic('admin', ADMIN_PASSWORD);
  const asAdmin = async (method: string, url: string, body?: unknown) => {
    const result = await call(method, url, admin, body);
    if (result.status !== 200) throw new Error(`${method} ${url}: ${result.status} ${JSON.stringify(result.json)}`);
    return result.json;
  };

  beforeAll(async () => {
    db = await createTestDatabase({ migrated: false });
    home = mkdtempSync(path.join(os.tmpdir(), 'cairn-access-matrix-'));
    service = await startService(serverDefinition, {
      CAIRN_DATABASE_URL: db.url,
      CAIRN_HOME: home,
      CAIRN_PORT: '0',
      CAIRN_LOG_LEVEL: 'silent',
      CAIRN_AUTH: 'basic',
      CAIRN_ADMIN_PASSWORD: ADMIN_PASSWORD,
      CAIRN_WEBHOOK_ALLOW_HTTP: 'true',
      CAIRN_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
    });
    sql = new Client({ connectionString: db.url });
    await sql.connect();
    routes = routesOf(service);

    for (const profile of PROFILES) {
      const { experiment_id } = (await asAdmin('POST', '/api/2.0/mlflow/experiments/create', { name: `matrix-${profile}` })) as { experiment_id: string };
      const { run } = (await asAdmin('POST', '/api/2.0/mlflow/runs/create', { experiment_id })) as { run: { info: { run_id: string } } };
      const runId = run.info.run_id;
      await fetch(`${service.url}/api/2.0/mlflow-artifacts/artifacts/${experiment_id}/${runId}/artifacts/a.txt`, {
        method: 'PUT',
        headers: { authorization: admin },
        body: 'hello',
      });
      const { model } = (await asAdmin('POST', '/api/2.0/mlflow/logged-models', { experiment_id, name: `lm-${profile}` })) as {
        model: { info: { model_id: string } };
      };
      const name = `matrix-model-${profile}`;
      await asAdmin('POST', '/api/2.0/mlflow/registered-models/create', { name });
      await asAdmin('POST', '/api/2.0/mlflow/model-versions/create', { name, source: `mlflow-artifacts:/${experiment_id}/${runId}/artifacts`, run_id: runId });
      await asAdmin('POST', '/api/2.0/mlflow/registered-models/alias', { name, alias: 'champion', version: '1' });
      const { webhook } = (await asAdmin('POST', '/api/2.0/mlflow/webhooks', {
        name: `hook-${profile}`,
        url: 'http://127.0.0.1:9/hook',
        events: [{ entity: 'model_version', action: 'created' }],
      })) as { webhook: { webhook_id: string } };
      fixtures.set(profile, { experiment_id, run_id: runId, model_id: model.info.model_id, name, webhook_id: webhook.webhook_id });

      const grant = async (username: string, permission: Permission, onExperiment = true) => {
        await asAdmin('POST', '/api/2.0/mlflow/users/create', { username, password: USER_PASSWORD });
        if (onExperiment) await asAdmin('POST', '/api/2.0/mlflow/experiments/permissions/create', { experiment_id, username, permission });
        await asAdmin('POST', '/api/2.0/mlflow/registered-models/permissions/create', { name, username, permission });
      };
      const token = async (username: string, body: Record<string, unknown>) =>
        `Bearer ${((await call('POST', '/api/2.0/cairn/tokens/create', basic(username, USER_PASSWORD), { name: profile, ...body })).json as { secret: string }).secret}`;
      switch (profile) {
        case 'anonymous':
          credentials.set(profile, undefined);
          break;
        case 'admin':
          credentials.set(profile, admin);
          break;
        case 'read':
        case 'edit':
        case 'manage':
          await grant(`matrix-${profile}`, profile.toUpperCase() as Permission);
          credentials.set(profile, basic(`matrix-${profile}`, USER_PASSWORD));
          break;
        case 'ci':
          await grant('matrix-ci', 'EDIT', false);
          credentials.set(profile, await token('matrix-ci', { scopes: [{ resource_type: 'registered_model', resource_id: name, permission: 'EDIT' }] }));
          break;
        case 'serving':
          await grant('matrix-serving', 'READ', false);
          credentials.set(
            profile,
            await token('matrix-serving', { serving_only: true, scopes: [{ resource_type: 'registered_model', resource_id: name, permission: 'READ' }] }),
          );
          break;
      }
    }
  }, 180_000);

  afterAll(async () => {
    await sql?.end();
    await service?.stop();
    await db?.drop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('every route the server serves has an access entry', () => {
    expect(routes.length).toBeGreaterThan(90);
    expect(routes.filter((r) => r.entry === undefined).map((r) => `${r.method} ${r.path} (${r.controller}.${r.handler})`)).toEqual([]);
  });

  /** What each profile holds on its own fixtures: users by their grant, tokens by their scope. */
  const held = (profile: Profile, ref: ResourceRef, own: Record<string, string>): Permission => {
    if (profile === 'admin') return 'MANAGE';
    if (profile === 'read' || profile === 'edit' || profile === 'manage') {
      const mine = (ref.type === 'experiment' && ref.id === own['experiment_id']) || (ref.type === 'registered_model' && ref.id === own['name']);
      return mine ? (profile.toUpperCase() as Permission) : 'NO_PERMISSIONS';
    }
    if (profile === 'ci') return ref.type === 'registered_model' && ref.id === own['name'] ? 'EDIT' : 'NO_PERMISSIONS';
    if (profile === 'serving') return ref.type === 'registered_model' && ref.id === own['name'] ? 'READ' : 'NO_PERMISSIONS';
    return 'NO_PERMISSIONS';
  };

  /** The request a route gets: the profile's own resources in every field a handler may read. */
  const requestFor = (route: Route, own: Record<string, string>) => {
    const artifactPath = `${own['experiment_id']}/${own['run_id']}/artifacts/a.txt`;
    const url = route.path
      .replace(':modelId', own['model_id'] ?? '')
      .replace(':webhook_id', own['webhook_id'] ?? '')
      .replace(':tagKey', 'k')
      .replace('*', artifactPath);
    const fields: Record<string, unknown> = {
      experiment_id: own['experiment_id'],
      experiment_ids: [own['experiment_id']],
      run_id: own['run_id'],
      run_uuid: own['run_id'],
      run_ids: [own['run_id']],
      model_id: own['model_id'],
      name: own['name'],
      new_name: own['name'],
      version: '1',
      alias: 'champion',
      key: 'k',
      value: 'v',
      metric_key: 'm',
      webhook_id: own['webhook_id'],
      username: 'matrix-nobody',
      resource_type: 'registered_model',
      resource_id: own['name'],
      permission: 'READ',
      stage: 'Staging',
      path: `${own['experiment_id']}/${own['run_id']}/artifacts`,
    };
    if (route.method === 'GET' || route.method === 'DELETE') {
      const query = new URLSearchParams(Object.entries(fields).map(([k, v]): [string, string] => [k, Array.isArray(v) ? String(v[0]) : String(v)]));
      return { url: `${url}?${query}`, body: route.method === 'DELETE' ? fields : undefined, fields };
    }
    return { url, body: fields, fields };
  };

  // Destructive routes last, so a profile's earlier requests still find its resources and grants.
  const destructiveLast = (a: Route, b: Route) =>
    Number(/delete|rename/.test(a.path) || a.method === 'DELETE') - Number(/delete|rename/.test(b.path) || b.method === 'DELETE');

  it.each(PROFILES.map((p) => [p]))(
    '%s: every route answers as its entry says',
    async (profile) => {
      const own = fixtures.get(profile) ?? {};
      const auth = credentials.get(profile);
      const lookup = { query: async <R>(text: string, values: unknown[]) => (await sql.query(text, values)).rows as R[] };
      const mismatches: string[] = [];
      for (const route of [...routes].sort(destructiveLast)) {
        const entry = route.entry;
        if (!entry) continue;
        const request = requestFor(route, own);
        let allowed: boolean;
        switch (entry.kind) {
          case 'public':
            allowed = true;
            break;
          case 'authenticated':
            // A scoped token (ci) creates only what its scopes cover on every resource of the type (none here).
            allowed = profile !== 'anonymous' && (profile !== 'serving' || entry.serving === true) && !(entry.creates !== undefined && profile === 'ci');
            break;
          case 'admin':
            allowed = profile === 'admin';
            break;
          case 'resource': {
            const query = Object.fromEntries(new URL(`http://x${request.url}`).searchParams);
            const params: Record<string, string> = { modelId: own['model_id'] ?? '', webhook_id: own['webhook_id'] ?? '', tagKey: 'k', '*': '' };
            if (route.path.includes('*')) params['*'] = decodeURIComponent(new URL(`http://x${request.url}`).pathname.slice(route.path.indexOf('*')));
            const refs = await entry.locate({ params, query, body: request.body }, lookup);
            const verdicts = refs.map((ref) => permissionAllows(held(profile, ref, own), ref.need ?? entry.need));
            allowed =
              profile !== 'anonymous' &&
              (profile !== 'serving' || entry.serving === true) &&
              (refs.length === 0 || (entry.anyOf === true ? verdicts.some(Boolean) : verdicts.every(Boolean)));
            break;
          }
        }
        const { status, json } = await call(route.method, request.url, auth, request.body);
        // Refused by the table: 401 without credentials, 403 with the guard's message. Anything else
        // (200, or a handler's own 400/404/403 after the table let the call through) counts as let through.
        const refusedByTable = status === 401 || (status === 403 && String(json['message']).startsWith('Permission denied for'));
        if (refusedByTable === allowed) {
          mismatches.push(
            `${route.method} ${route.path} (${entry.kind}${entry.kind === 'resource' ? ` ${entry.need}` : ''}): expected ${allowed ? 'allowed' : 'refused'}, got ${status} ${JSON.stringify(json).slice(0, 160)}`,
          );
        }
        if (!allowed && profile === 'anonymous') expect(status).toBe(401);
        // A model deletion drops the model's grants (its name may be reused): grant it again, so the
        // profile's remaining requests are judged with the permission it was given.
        if (entry.kind === 'resource' && entry.effect?.kind === 'delete' && !refusedByTable) {
          const user = { read: 'matrix-read', edit: 'matrix-edit', manage: 'matrix-manage', ci: 'matrix-ci', serving: 'matrix-serving' }[profile as string];
          const permission = { read: 'READ', edit: 'EDIT', manage: 'MANAGE', ci: 'EDIT', serving: 'READ' }[profile as string];
          if (user && permission)
            await asAdmin('POST', '/api/3.0/mlflow/users/permissions/grant', {
              resource_type: 'registered_model',
              resource_id: own['name'],
              username: user,
              permission,
            });
        }
      }
      expect(mismatches).toEqual([]);
    },
    120_000,
  );
});
