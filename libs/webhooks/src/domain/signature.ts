import { createHmac } from 'node:crypto';

export interface SignedHeaders {
  [name: string]: string;
}

const hmacBase64 = (key: Buffer, content: string) => createHmac('sha256', key).update(content, 'utf8').digest('base64');

/**
 * The Standard Webhooks key: a `whsec_` secret is base64 of the key bytes (the spec's form);
 * any other secret is used as its UTF-8 bytes, exactly as MLflow does for its own header.
 */
function standardWebhooksKey(secret: string): Buffer {
  return secret.startsWith('whsec_') ? Buffer.from(secret.slice('whsec_'.length), 'base64') : Buffer.from(secret, 'utf8');
}

/**
 * Headers of one attempt. Both schemes sign `"<delivery id>.<unix seconds>.<body>"`:
 * MLflow's (`X-MLflow-Signature: v1,<base64 HMAC-SHA256>`, mlflow/webhooks/delivery.py) and
 * Standard Webhooks' (`webhook-signature: v1,<base64>`), so receivers written for either verify
 * unchanged. Without a secret nothing is signed, as in MLflow. The id is the same on every attempt
 * (receivers deduplicate on it); the timestamp is the attempt's, for replay windows.
 */
export function signedHeaders(input: { deliveryId: string; timestampSeconds: number; body: string; secret: string | null }): SignedHeaders {
  const timestamp = String(input.timestampSeconds);
  const headers: SignedHeaders = {
    'X-MLflow-Delivery-Id': input.deliveryId,
    'X-MLflow-Timestamp': timestamp,
    'webhook-id': input.deliveryId,
    'webhook-timestamp': timestamp,
  };
  if (input.secret) {
    const content = `${input.deliveryId}.${timestamp}.${input.body}`;
    headers['X-MLflow-Signature'] = `v1,${hmacBase64(Buffer.from(input.secret, 'utf8'), content)}`;
    headers['webhook-signature'] = `v1,${hmacBase64(standardWebhooksKey(input.secret), content)}`;
  }
  return headers;
}
