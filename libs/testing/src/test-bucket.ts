import { Client } from 'minio';
import { testEndpoints } from './environment';

/**
 * Deletes a bucket a test created on the infra's MinIO, with everything in it: test buckets
 * otherwise pile up in MinIO's data directory run after run (tens of GB on a developer machine),
 * until MinIO refuses writes for lack of free space.
 */
export async function removeTestBucket(bucket: string): Promise<void> {
  const { endpoint, accessKey, secretKey } = testEndpoints.s3();
  const url = new URL(endpoint);
  const client = new Client({ endPoint: url.hostname, port: Number(url.port), useSSL: url.protocol === 'https:', accessKey, secretKey, pathStyle: true });
  if (!(await client.bucketExists(bucket))) return;
  const names: string[] = [];
  for await (const item of client.listObjectsV2(bucket, '', true) as AsyncIterable<{ name?: string }>) if (item.name !== undefined) names.push(item.name);
  for (let i = 0; i < names.length; i += 1000) await client.removeObjects(bucket, names.slice(i, i + 1000));
  for await (const upload of client.listIncompleteUploads(bucket, '', true)) await client.abortMultipartUpload(bucket, upload.key, upload.uploadId);
  await client.removeBucket(bucket);
}
