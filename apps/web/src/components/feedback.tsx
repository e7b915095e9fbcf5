import type { ReactNode } from 'react';
import { ApiError } from '../api/client';

/** A server error as MLflow words it: the message first, the error code beside it. */
export function ErrorMessage({ error, children }: { error: unknown; children?: ReactNode }) {
  if (error === null || error === undefined) return null;
  const code = error instanceof ApiError ? error.errorCode : 'ERROR';
  const message = error instanceof Error ? error.message : String(error);
  return (
    <div className="error" role="alert">
      <strong>{message}</strong> <code className="error-code">{code}</code>
      {children}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="muted" role="status">
      Loading {what}…
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}
