/** Which request field an error is about, so the API layer can say so. */
export type SearchField = 'filter' | 'order_by' | 'page_token' | 'max_results';

/**
 * Every problem with a user's filter, order_by, page token or max_results.
 *
 * MLflow answers all of these with `INVALID_PARAMETER_VALUE` (HTTP 400); a 5xx would make the
 * Python client retry for a minute and then lose the code (reference §2.3), so nothing in this
 * library throws anything else for user input.
 */
export class SearchSyntaxError extends Error {
  readonly errorCode = 'INVALID_PARAMETER_VALUE' as const;

  constructor(
    message: string,
    readonly field: SearchField,
    /** Offset (0-based, in UTF-16 units like JS string indexes) into the offending string, when one applies. */
    readonly position?: number,
  ) {
    super(message);
    this.name = 'SearchSyntaxError';
  }
}

export function filterError(message: string, position?: number): SearchSyntaxError {
  const where = position === undefined ? '' : ` (at position ${position})`;
  return new SearchSyntaxError(`${message}${where}`, 'filter', position);
}

/** Python-style quoting of a value inside a message, as MLflow's f-strings show it. */
export function quoted(text: string): string {
  return `'${text}'`;
}

/** Renders a set the way MLflow's messages print Python sets: `{'a', 'b'}`. */
export function pythonSet(items: Iterable<string>): string {
  return `{${[...items].map(quoted).join(', ')}}`;
}
