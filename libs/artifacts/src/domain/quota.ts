import { BlobTooLargeError } from '@cairn/blobstore';

/**
 * How many bytes an upload may still bring, given the experiment's quota and what it uses now.
 * `undefined` means no quota. Refusal is 413 RESOURCE_EXHAUSTED: a 4xx the mlflow client does not
 * retry (429, the code's usual status, would be retried for a minute and the message lost).
 */
export function decideUploadAllowance(quota: number | undefined, usedBytes: number, announcedSize: number | undefined, replacedSize = 0): number | undefined {
  if (quota === undefined) return undefined;
  const remaining = quota - usedBytes + replacedSize;
  if (remaining <= 0 || (announcedSize !== undefined && announcedSize > remaining)) {
    throw new BlobTooLargeError(
      `Artifact quota of this experiment exceeded: ${usedBytes} of ${quota} bytes used${announcedSize !== undefined ? `, upload of ${announcedSize} bytes refused` : ''}.`,
    );
  }
  return remaining;
}
