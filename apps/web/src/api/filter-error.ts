/**
 * Where in a filter string the server's 400 points. Cairn's search errors end with
 * `(at position N)` (a 0-based UTF-16 offset, libs/search); MLflow's name the offending text in
 * quotes instead (`Invalid clause(s) in filter string: 'x > '`), so a quoted fragment found in the
 * filter is the next best place.
 */
export interface FilterErrorLocation {
  message: string;
  /** Offset into the filter string, when the message says or implies one. */
  position?: number;
  /** How many characters to highlight from `position` (at least 1). */
  length: number;
}

const AT_POSITION = /\s*\(at position (\d+)\)\s*$/;

export function locateFilterError(message: string, filter: string): FilterErrorLocation {
  const at = AT_POSITION.exec(message);
  if (at?.[1] !== undefined) {
    const position = Math.min(Number(at[1]), filter.length);
    return { message: message.replace(AT_POSITION, ''), position, length: tokenLengthAt(filter, position) };
  }
  for (const fragment of quotedFragments(message)) {
    const index = fragment.trim() === '' ? -1 : filter.indexOf(fragment);
    if (index >= 0) return { message, position: index, length: Math.max(1, fragment.length) };
  }
  return { message, length: 1 };
}

/** The filter split around the highlighted part, for rendering `before <mark>at</mark> after`. */
export function splitAtError(filter: string, location: FilterErrorLocation): { before: string; at: string; after: string } | undefined {
  if (location.position === undefined) return undefined;
  const end = Math.min(filter.length, location.position + location.length);
  // At the very end (a clause cut short) there is nothing to mark: show a placeholder instead.
  return { before: filter.slice(0, location.position), at: filter.slice(location.position, end), after: filter.slice(end) };
}

function tokenLengthAt(filter: string, position: number): number {
  const rest = filter.slice(position);
  const token = /^(?:'[^']*'?|"[^"]*"?|`[^`]*`?|[\w.]+|\S)/.exec(rest);
  return Math.max(1, token?.[0].length ?? 1);
}

function* quotedFragments(message: string): Generator<string> {
  for (const match of message.matchAll(/'([^']+)'|"([^"]+)"/g)) yield match[1] ?? match[2] ?? '';
}
