import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const SEALED_PREFIX = 'cairn-aes256gcm:v1:';

/**
 * Webhook signing secrets at rest. They cannot be hashed — every delivery signs with the secret
 * itself — so with CAIRN_WEBHOOK_SECRET_KEY set they are stored encrypted (AES-256-GCM, a fresh IV
 * each, `cairn-aes256gcm:v1:<iv>:<tag>:<ciphertext>` in base64): a database dump or backup alone
 * no longer hands out the secrets. Without a key they are stored as given (as MLflow does). Values
 * stored before a key was set stay readable and are sealed the next time they are written.
 */
export class SecretBox {
  constructor(private readonly key: Buffer | undefined) {
    if (key !== undefined && key.length !== 32) throw new Error('the webhook secret key must be 32 bytes');
  }

  seal(secret: string | null): string | null {
    if (secret === null || this.key === undefined) return secret;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const ciphertext = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return `${SEALED_PREFIX}${iv.toString('base64')}:${cipher.getAuthTag().toString('base64')}:${ciphertext.toString('base64')}`;
  }

  open(stored: string | null): string | null {
    if (stored === null || !stored.startsWith(SEALED_PREFIX)) return stored;
    if (this.key === undefined) throw new Error('a webhook secret is stored encrypted, but CAIRN_WEBHOOK_SECRET_KEY is not set');
    const [iv = '', tag = '', ciphertext = ''] = stored.slice(SEALED_PREFIX.length).split(':');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    // A wrong key or an altered value fails here (GCM authenticates), rather than signing with garbage.
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64')), decipher.final()]).toString('utf8');
  }
}
