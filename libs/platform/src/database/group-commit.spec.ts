import { CommitOutcomeUnknownError, DatabaseBusyError } from './database';
import { GroupCommit } from './group-commit';

/** A commit that waits until released, recording the batches it was given. */
function gatedCommit() {
  const batches: number[][] = [];
  let release: () => void = () => undefined;
  let gate = new Promise<void>((resolve) => (release = resolve));
  const commit = async (items: number[]) => {
    batches.push(items);
    await gate;
    if (items.includes(13)) throw new Error('thirteen cannot be written');
    return items.map((item) => item * 10);
  };
  const open = () => {
    release();
    gate = Promise.resolve();
  };
  return { batches, commit, open };
}

describe('GroupCommit', () => {
  it('starts a lone write at once and commits what arrived meanwhile in the next batch, in order', async () => {
    const { batches, commit, open } = gatedCommit();
    const group = new GroupCommit(commit, { maxBatch: 64, maxInFlight: 1 });
    const first = group.submit(1);
    const rest = [2, 3, 4].map((item) => group.submit(item));
    expect(batches).toEqual([[1]]);
    open();
    expect(await Promise.all([first, ...rest])).toEqual([10, 20, 30, 40]);
    expect(batches).toEqual([[1], [2, 3, 4]]);
  });

  it('caps a batch at maxBatch', async () => {
    const { batches, commit, open } = gatedCommit();
    const group = new GroupCommit(commit, { maxBatch: 2, maxInFlight: 1 });
    const all = [1, 2, 3, 4, 5].map((item) => group.submit(item));
    open();
    await Promise.all(all);
    expect(batches).toEqual([[1], [2, 3], [4, 5]]);
  });

  it('fails only the item that cannot be written when its batch fails', async () => {
    const { commit, open } = gatedCommit();
    const group = new GroupCommit(commit, { maxBatch: 64, maxInFlight: 1 });
    const first = group.submit(1);
    const settled = Promise.allSettled([12, 13, 14].map((item) => group.submit(item)));
    open();
    await first;
    expect((await settled).map((s) => (s.status === 'fulfilled' ? s.value : (s.reason as Error).message))).toEqual([120, 'thirteen cannot be written', 140]);
  });

  it('fails the whole batch at once when the database is busy, without committing each item again', async () => {
    const batches: number[][] = [];
    const group = new GroupCommit(
      async (items: number[]) => {
        batches.push(items);
        throw new DatabaseBusyError('no connection came free');
      },
      { maxBatch: 64, maxInFlight: 1 },
    );
    const settled = await Promise.allSettled([1, 2, 3].map((item) => group.submit(item)));
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(batches).toEqual([[1], [2, 3]]);
  });

  it('never commits again the items of a batch whose COMMIT may have taken effect: each caller learns so', async () => {
    const batches: number[][] = [];
    const group = new GroupCommit(
      async (items: number[]) => {
        batches.push(items);
        throw new CommitOutcomeUnknownError({ cause: new Error('Connection terminated unexpectedly') });
      },
      { maxBatch: 64, maxInFlight: 1 },
    );
    const settled = await Promise.allSettled([1, 2, 3].map((item) => group.submit(item)));
    expect(settled.map((s) => (s.status === 'rejected' ? (s.reason as Error).name : s.status))).toEqual(Array(3).fill('CommitOutcomeUnknownError'));
    expect(batches).toEqual([[1], [2, 3]]);
  });
});
