import type { ReactNode } from 'react';
import { formatHash, type Route } from '../routing/route';

/** A plain anchor to a route: middle-click, copy link and open-in-new-tab all work. */
export function Link({ to, children, className }: { to: Route; children: ReactNode; className?: string }) {
  return (
    <a href={formatHash(to)} className={className}>
      {children}
    </a>
  );
}
