import { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import type { BlobStore } from '@cairn/blobstore';
import type { EventStore } from '@cairn/eventing';
import { CommitOutcomeUnknownError, DatabaseBusyError, type Database } from '@cairn/platform';
import type { ArtifactRepository } from '../infra/artifact-repository';
import { ArtifactCommands } from './artifact-commands';
import type { BlobCollector } from './blob-collector';
import type { RetentionEnforcer } from './retention-enforcer';

const RUN = '0123456789abcdef0123456789abcdef';
const METADATA = { actor: 'test', correlationId: null, causationId: null };

/**
 * The upload path over stand-ins: a blob store in memory, and a "database" holding the content
 * index (digest → storage key) whose transactions apply their writes at COMMIT — then, as told,
 * answer it, lose the connection after it took effect, or refuse before anything was sent.
 */
function uploadPath() {
  const blobs = new Map<string, Buffer>();
  const objects = new Map<string, string>();
  let commit: 'answered' | 'lost after it took effect' | 'refused' = 'answered';
  const database = {
    async transaction<T>(work: (uow: { staged: Map<string, string> }, begun: unknown[]) => Promise<T>): Promise<T> {
      if (commit === 'refused') throw new DatabaseBusyError('The database is unreachable right now. Retry shortly.');
      const uow = { staged: new Map<string, string>() };
      const result = await work(uow, [{ busy: [] }]);
      for (const [digest, key] of uow.staged) objects.set(digest, key);
      if (commit === 'lost after it took effect') throw new CommitOutcomeUnknownError({ cause: new Error('Connection terminated unexpectedly') });
      return result;
    },
  };
  const repository = {
    uploadRules: async () => undefined,
    tryLockOwnersStatement: () => ({ name: 'try', text: '', values: [] }),
    lockOwnersStatement: () => ({ name: 'wait', text: '', values: [] }),
    releaseReferences: async () => [],
    async recordUpload(uow: { staged: Map<string, string> }, file: { digest: string }, storageKey: string) {
      if (objects.has(file.digest) || uow.staged.has(file.digest)) return { created: false };
      uow.staged.set(file.digest, storageKey);
      return { created: true };
    },
  };
  const store = {
    async put(key: string, body: Readable) {
      const chunks: Buffer[] = [];
      for await (const chunk of body) chunks.push(Buffer.from(chunk as Buffer));
      const content = Buffer.concat(chunks);
      blobs.set(key, content);
      return { sha256: createHash('sha256').update(content).digest('hex'), size: content.length };
    },
    async delete(key: string) {
      blobs.delete(key);
    },
  };
  const commands = new ArtifactCommands(
    database as unknown as Database,
    { appendAtCommit: () => undefined } as unknown as EventStore,
    repository as unknown as ArtifactRepository,
    store as unknown as BlobStore,
    { sweepSoon: () => undefined } as unknown as BlobCollector,
    {} as unknown as RetentionEnforcer,
  );
  return {
    upload: (body: string) => commands.upload(`1/${RUN}/artifacts/model.pkl`, Readable.from([Buffer.from(body)]), undefined, METADATA),
    commitIs: (how: typeof commit) => (commit = how),
    /** The blob the content index names for `body`, if it is still stored. */
    storedContentOf: (body: string) => blobs.get(objects.get(createHash('sha256').update(body).digest('hex')) ?? '')?.toString(),
    blobs,
  };
}

describe('an upload whose transaction failed', () => {
  it('keeps its blob when the COMMIT may have taken effect, so the committed row and a retry still find the content', async () => {
    const path = uploadPath();
    path.commitIs('lost after it took effect');
    await expect(path.upload('weights')).rejects.toBeInstanceOf(CommitOutcomeUnknownError);
    expect(path.storedContentOf('weights')).toBe('weights');

    // The client retries: the content is known, this upload's blob is the duplicate.
    path.commitIs('answered');
    await expect(path.upload('weights')).resolves.toMatchObject({ deduplicated: true });
    expect(path.storedContentOf('weights')).toBe('weights');
  });

  it('removes its blob at once when the transaction certainly did not commit', async () => {
    const path = uploadPath();
    path.commitIs('refused');
    await expect(path.upload('weights')).rejects.toBeInstanceOf(DatabaseBusyError);
    expect(path.blobs.size).toBe(0);
  });
});
