import type { ReactNode } from 'react';

/** A header of a column holding only buttons: named for screen readers, blank on screen. */
export const ACTIONS = { actions: true } as const;

/**
 * The one table shape of the UI's list pages: a labelled `table.data` with a header row of column
 * names (`ACTIONS` for a buttons column) and the page's rows as its body.
 */
export function DataTable({ label, headers, children }: { label: string; headers: ReadonlyArray<string | typeof ACTIONS>; children: ReactNode }) {
  return (
    <table className="data" aria-label={label}>
      <thead>
        <tr>
          {headers.map((header, i) =>
            typeof header === 'string' ? (
              <th scope="col" key={header}>
                {header}
              </th>
            ) : (
              <th scope="col" key={`actions-${i}`}>
                <span className="sr-only">Actions</span>
              </th>
            ),
          )}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  );
}
