import { REGISTRY_EVENT_TYPES as E, parseRegistryEvent } from '@cairn/contracts';
import { Webhook } from 'standardwebhooks';
import { AddressPolicy, urlProblem } from './address-policy';
import { backoffDelayMs, decideAfterAttempt, retryAfterMs, shouldDisableEndpoint, type RetrySchedule } from './delivery-policy';
import { deliveryBody, notificationOf } from './notifications';
import { signedHeaders } from './signature';
import { eventToWire, parseWebhookEvent } from './webhook-events';

describe('webhook events', () => {
  it('reads the MLflow client wire form (proto enum names), lower case and enum numbers', () => {
    expect(parseWebhookEvent({ entity: 'MODEL_VERSION', action: 'CREATED' })).toEqual({ ok: true, name: 'model_version.created' });
    expect(parseWebhookEvent({ entity: 'model_version_alias', action: 'deleted' })).toEqual({ ok: true, name: 'model_version_alias.deleted' });
    expect(parseWebhookEvent({ entity: 3, action: 4 })).toEqual({ ok: true, name: 'model_version_tag.set' });
    expect(parseWebhookEvent({ entity: 'MODEL_VERSION', action: 'STAGE_TRANSITIONED' })).toEqual({ ok: true, name: 'model_version.stage_transitioned' });
  });

  it('refuses combinations MLflow refuses, and prompt events Cairn cannot fire', () => {
    expect(parseWebhookEvent({ entity: 'REGISTERED_MODEL', action: 'DELETED' })).toMatchObject({
      ok: false,
      message: expect.stringContaining('Valid events are'),
    });
    expect(parseWebhookEvent({ entity: 'PROMPT', action: 'CREATED' })).toMatchObject({ ok: false, message: expect.stringContaining('no prompt registry') });
    expect(parseWebhookEvent({ entity: 'MODEL_VERSION' })).toMatchObject({ ok: false });
    expect(parseWebhookEvent({ entity: 'MODEL VERSION; DROP', action: 'CREATED' })).toMatchObject({ ok: false });
  });

  it('writes back proto enum names', () => {
    expect(eventToWire('model_version_tag.deleted')).toEqual({ entity: 'MODEL_VERSION_TAG', action: 'DELETED' });
  });
});

describe('registry event → notification', () => {
  const model = { modelId: 'm-1', name: 'churn-gbm', timestamp: 1 };
  const of = (type: string, data: unknown) => notificationOf(parseRegistryEvent(type, 'm-1', data));

  it('builds MLflow payloads (tags as a map, snake_case run_id)', () => {
    expect(
      of(E.modelVersionCreated, {
        ...model,
        version: '3',
        source: 'runs:/abc/model',
        runId: 'abc',
        runLink: null,
        loggedModelId: null,
        description: null,
        userId: null,
        tags: [{ key: 'k', value: 'v' }],
      }),
    ).toEqual({
      event: 'model_version.created',
      orderingKey: 'm-1',
      data: { name: 'churn-gbm', version: '3', source: 'runs:/abc/model', run_id: 'abc', tags: { k: 'v' }, description: null },
    });
    expect(of(E.aliasSet, { ...model, alias: 'champion', version: '3', previousVersion: '2' })).toEqual({
      event: 'model_version_alias.created',
      orderingKey: 'm-1',
      data: { name: 'churn-gbm', alias: 'champion', version: '3' },
    });
  });

  it('tells CI which stage a version entered, and what was archived with it', () => {
    const n = of(E.modelVersionStageTransitioned, {
      ...model,
      version: '3',
      fromStage: 'Staging',
      toStage: 'Production',
      archiveExistingVersions: true,
      archived: [{ version: '2', fromStage: 'Production' }],
    });
    expect(n).toEqual({
      event: 'model_version.stage_transitioned',
      orderingKey: 'm-1',
      data: {
        name: 'churn-gbm',
        version: '3',
        from_stage: 'Staging',
        to_stage: 'Production',
        archive_existing_versions: true,
        archived_versions: [{ version: '2', from_stage: 'Production' }],
      },
    });
  });

  it("warns CI when the version entering Production was trained with other versions of the model's watched packages", () => {
    const n = of(E.modelVersionStageTransitioned, {
      ...model,
      version: '3',
      fromStage: 'Staging',
      toStage: 'Production',
      archiveExistingVersions: false,
      archived: [],
      environmentDrift: { productionVersion: '2', packages: [{ name: 'scikit-learn', from: '1.5.2', to: '1.6.1' }] },
    });
    expect(n?.data).toMatchObject({
      to_stage: 'Production',
      environment_drift: { production_version: '2', packages: [{ name: 'scikit-learn', from: '1.5.2', to: '1.6.1' }] },
    });
  });

  it('sends nothing where MLflow sends nothing', () => {
    expect(of(E.registeredModelRenamed, { ...model, newName: 'x' })).toBeNull();
    expect(of(E.modelVersionDeleted, { ...model, version: '1', stage: 'None', runId: null, loggedModelId: null, aliasesRemoved: ['a'] })).toBeNull();
  });

  it('wraps the payload as MLflow does: {entity, action, timestamp, data}', () => {
    expect(JSON.parse(deliveryBody('model_version_tag.set', '2026-11-28T00:00:00.000Z', { k: 1 }))).toEqual({
      entity: 'model_version_tag',
      action: 'set',
      timestamp: '2026-11-28T00:00:00.000Z',
      data: { k: 1 },
    });
  });
});

describe('signatures', () => {
  const body = '{"entity":"model_version","action":"created"}';

  it('verify with the Standard Webhooks reference library, for a whsec_ secret and for a plain MLflow secret', () => {
    const whsec = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;
    const now = Math.floor(Date.now() / 1000);
    const headers = signedHeaders({ deliveryId: 'msg_1', timestampSeconds: now, body, secret: whsec });
    expect(() => new Webhook(whsec).verify(body, headers)).not.toThrow();

    const plain = 'my-mlflow-secret';
    const h2 = signedHeaders({ deliveryId: 'msg_2', timestampSeconds: now, body, secret: plain });
    // MLflow's header signs with the secret's UTF-8 bytes: the same library verifies it when given those bytes.
    const mlflowVerifier = new Webhook(Buffer.from(plain, 'utf8').toString('base64'));
    expect(() =>
      mlflowVerifier.verify(body, {
        'webhook-id': h2['X-MLflow-Delivery-Id'] as string,
        'webhook-timestamp': h2['X-MLflow-Timestamp'] as string,
        'webhook-signature': h2['X-MLflow-Signature'] as string,
      }),
    ).not.toThrow();
    expect(() =>
      mlflowVerifier.verify(body.replace('created', 'deleted'), {
        'webhook-id': 'msg_2',
        'webhook-timestamp': String(now),
        'webhook-signature': h2['X-MLflow-Signature'] as string,
      }),
    ).toThrow();
  });

  it('sends no signature without a secret, as MLflow', () => {
    const headers = signedHeaders({ deliveryId: 'd', timestampSeconds: 1, body, secret: null });
    expect(headers['X-MLflow-Signature']).toBeUndefined();
    expect(headers['webhook-signature']).toBeUndefined();
    expect(headers['X-MLflow-Delivery-Id']).toBe('d');
  });
});

describe('retry schedule', () => {
  const schedule: RetrySchedule = { baseMs: 30_000, maxDelayMs: 3_600_000, windowMs: 72 * 3_600_000 };
  const at = (attempt: number, result: Parameters<typeof decideAfterAttempt>[0]['result'], elapsedMs = 0, random = () => 0.5) =>
    decideAfterAttempt({ result, attempt, eventTimeMs: 0, nowMs: elapsedMs, schedule, random });

  it('succeeds on 2xx; retries network errors, 5xx, 408 and 429; fails other statuses at once', () => {
    expect(at(1, { kind: 'response', statusCode: 204 })).toEqual({ outcome: 'SUCCEEDED' });
    for (const statusCode of [500, 503, 408, 429]) expect(at(1, { kind: 'response', statusCode }).outcome).toBe('RETRY');
    expect(at(1, { kind: 'error', message: 'ECONNREFUSED' }).outcome).toBe('RETRY');
    for (const statusCode of [400, 401, 404, 410, 301])
      expect(at(1, { kind: 'response', statusCode })).toMatchObject({ outcome: 'FAILED', windowExhausted: false });
  });

  it('backs off exponentially with jitter, capped', () => {
    expect(backoffDelayMs(1, schedule, () => 0)).toBe(15_000);
    expect(backoffDelayMs(1, schedule, () => 1)).toBe(30_000);
    expect(backoffDelayMs(3, schedule, () => 1)).toBe(120_000);
    expect(backoffDelayMs(40, schedule, () => 1)).toBe(3_600_000);
  });

  it('keeps trying for about 72 hours, then gives up', () => {
    let elapsed = 0;
    let attempt = 1;
    for (; ; attempt++) {
      const d = at(attempt, { kind: 'response', statusCode: 503 }, elapsed);
      if (d.outcome !== 'RETRY') {
        expect(d).toMatchObject({ outcome: 'FAILED', windowExhausted: true });
        break;
      }
      elapsed += d.delayMs;
    }
    expect(elapsed).toBeGreaterThan(70 * 3_600_000);
    expect(elapsed).toBeLessThanOrEqual(72 * 3_600_000);
    expect(attempt).toBeGreaterThan(60);
  });

  it('honours Retry-After in seconds or as a date', () => {
    expect(at(1, { kind: 'response', statusCode: 429, retryAfter: '120' })).toEqual({ outcome: 'RETRY', delayMs: 120_000 });
    expect(retryAfterMs(new Date(90_000).toUTCString(), 30_000)).toBe(60_000);
    expect(retryAfterMs('soon', 0)).toBeUndefined();
  });

  it('disables an endpoint that failed for the whole window or too many deliveries in a row, not one down for an hour', () => {
    expect(shouldDisableEndpoint({ consecutiveFailures: 1, disableAfter: 100, windowExhausted: true })).toBe(true);
    expect(shouldDisableEndpoint({ consecutiveFailures: 100, disableAfter: 100, windowExhausted: false })).toBe(true);
    expect(shouldDisableEndpoint({ consecutiveFailures: 3, disableAfter: 100, windowExhausted: false })).toBe(false);
    expect(at(5, { kind: 'error', message: 'down' }, 3_600_000).outcome).toBe('RETRY');
  });
});

describe('SSRF address policy', () => {
  const policy = new AddressPolicy([]);
  it('refuses loopback, private, link-local, metadata, CGNAT and embedded-IPv4 IPv6 forms', () => {
    for (const a of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      'fd00:ec2::254',
      'fe80::1',
      '::ffff:127.0.0.1',
      '::ffff:8.8.8.8',
      '64:ff9b::a00:1',
      '224.0.0.1',
    ]) {
      expect({ a, refused: policy.refusal(a) !== undefined }).toEqual({ a, refused: true });
    }
    for (const a of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111']) expect(policy.refusal(a)).toBeUndefined();
  });

  it('lets listed hosts, addresses and CIDRs through', () => {
    const allowing = new AddressPolicy(['ci.internal', '10.0.0.0/8', '127.0.0.1']);
    expect(allowing.refusal('10.9.9.9')).toBeUndefined();
    expect(allowing.refusal('127.0.0.1')).toBeUndefined();
    expect(allowing.refusal('127.0.0.2')).toBeDefined();
    expect(allowing.isAllowedName('CI.internal')).toBe(true);
  });

  it('checks URLs: https only unless allowed, no credentials, literal addresses and localhost refused', () => {
    const o = { allowHttp: false, policy };
    expect(urlProblem('https://ci.example.com/hook', o)).toBeUndefined();
    expect(urlProblem('http://ci.example.com/hook', o)).toMatch(/scheme 'http'/);
    expect(urlProblem('http://ci.example.com/hook', { ...o, allowHttp: true })).toBeUndefined();
    expect(urlProblem('https://user:pw@ci.example.com/', o)).toMatch(/credentials/);
    expect(urlProblem('https://169.254.169.254/latest/meta-data', o)).toMatch(/refused/);
    expect(urlProblem('https://[::1]:8443/', o)).toMatch(/refused/);
    expect(urlProblem('https://0x7f000001/', o)).toMatch(/refused/); // WHATWG normalises it to 127.0.0.1
    expect(urlProblem('https://localhost/', o)).toMatch(/loopback/);
    expect(urlProblem('ftp://x/', o)).toMatch(/scheme/);
    expect(urlProblem('not a url', o)).toMatch(/Invalid webhook URL/);
  });
});
