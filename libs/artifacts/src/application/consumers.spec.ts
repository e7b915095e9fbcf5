import type { INestApplicationContext } from '@nestjs/common';
import { artifactsSubscriptions } from './consumers';

// Their deliveries end in blob deletions right after the commit (run purge, retention): on the
// all-in-one server's asynchronous in-process bus they still commit durably, or a crash could lose
// the decision to delete and not the deletion (ADR 0016, ADR 0018).
it("commits the artifacts context's deliveries durably, whatever the bus's default", () => {
  const app = { get: () => ({}) } as unknown as INestApplicationContext;
  const subscriptions = artifactsSubscriptions(app);
  expect(subscriptions.map((s) => [s.consumer, s.commitDurably])).toEqual([
    ['artifacts.tracking', true],
    ['artifacts.registry-references', true],
  ]);
});
