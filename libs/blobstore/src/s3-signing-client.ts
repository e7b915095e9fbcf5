import { Client } from 'minio';
import { presignSignatureV4 } from 'minio/dist/main/signing.js';

/**
 * The `minio` client, with a presigned PUT that also signs headers. Its own presignedPutObject signs
 * only `host`, and S3 refuses a presigned request carrying `x-amz-server-side-encryption` unsigned
 * (AccessDenied, "headers present in the request which were not signed").
 */
export class SigningClient extends Client {
  async presignedPutWithHeaders(bucketName: string, objectName: string, expires: number, headers: Record<string, string>): Promise<URL> {
    // As minio's presignedUrl: with the region configured this is local, and the credentials are the
    // provider's current ones (renewed before they expire), with their session token.
    const region = await this.getBucketRegionAsync(bucketName);
    if (this.credentialsProvider === undefined) throw new Error('the S3 client has no credentials provider');
    const credentials = await this.credentialsProvider.getCredentials();
    const request = this.getRequestOptions({ method: 'PUT', region, bucketName, objectName, headers });
    return new URL(presignSignatureV4(request, credentials.accessKey, credentials.secretKey, credentials.sessionToken, region, new Date(), expires));
  }
}
