import { TRACKING_EVENT_TYPES } from '@cairn/contracts';
import { handlesEventType } from '@cairn/eventing';
import type { RunSummaryRepository } from '../infra/run-summary.repository';
import { runSummarySubscription } from './run-summary.consumer';

// No repository method may run for a skipped event: any call throws.
const untouchable = new Proxy({} as RunSummaryRepository, {
  get: () => {
    throw new Error('the repository was used');
  },
});

describe('run-summary consumer: event types across releases (ADR 0011)', () => {
  const subscription = runSummarySubscription(untouchable);

  it('skips trace events and types a newer tracking release may add, instead of dead-lettering them as unreadable', () => {
    expect(handlesEventType(subscription, TRACKING_EVENT_TYPES.traceLogged)).toBe(false);
    expect(handlesEventType(subscription, TRACKING_EVENT_TYPES.traceAssessmentSet)).toBe(false);
    expect(handlesEventType(subscription, 'tracking.run.archived.v1')).toBe(false);
    expect(handlesEventType(subscription, 'tracking.metrics.logged.v2')).toBe(false);
  });

  it('applies the events a run summary is made of', () => {
    for (const type of [
      TRACKING_EVENT_TYPES.runCreated,
      TRACKING_EVENT_TYPES.metricsLogged,
      TRACKING_EVENT_TYPES.runPurged,
      TRACKING_EVENT_TYPES.loggedModelCreated,
    ])
      expect(handlesEventType(subscription, type)).toBe(true);
  });

  it('declares only types this release knows, so nothing it claims to handle is unreadable to it', () => {
    const known = new Set<string>(Object.values(TRACKING_EVENT_TYPES));
    expect([...(subscription.eventTypes ?? [])].filter((type) => !known.has(type))).toEqual([]);
  });
});
