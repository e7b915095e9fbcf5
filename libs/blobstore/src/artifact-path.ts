import { CairnError } from '@cairn/contracts';

/**
 * Safe handling of user-supplied artifact paths. MLflow's artifact proxy has the longest CVE
 * history of the project (shared/reference/reliability.md §1): every bypass came from checking one
 * representation of a path and using another. So: decode until stable, refuse anything that could
 * climb or escape (`..`, absolute, drive letters, backslashes, NUL and control characters, `#`),
 * normalise, and hand back the checked form — the only one callers may use.
 */

/** Longer than any path a real client builds; a 10 KB path is an attack or a bug. */
export const MAX_ARTIFACT_PATH_LENGTH = 4096;
export const MAX_ARTIFACT_PATH_DEPTH = 256;
/** MLflow's `_decode` gives up after 10 rounds; so do we, and refuse what is still changing. */
const MAX_DECODE_ROUNDS = 10;

/** A path refused as unsafe: always a 400 INVALID_PARAMETER_VALUE, never a 5xx. */
export class UnsafeArtifactPathError extends CairnError {
  constructor(readonly reason: string) {
    // The message does not echo the path: it is hostile input (CVE-2023-6568 echoed a header).
    super('INVALID_PARAMETER_VALUE', `Invalid path: ${reason}`);
    this.name = 'UnsafeArtifactPathError';
  }
}

const PERCENT_SEQUENCE = /(%[0-9A-Fa-f]{2})+/g;

/**
 * One round of percent-decoding like Python's `urllib.parse.unquote`: valid `%XX` runs are decoded
 * as UTF-8, malformed ones (`100%.txt`) are left as they are instead of throwing.
 */
export function percentDecodeOnce(input: string): string {
  return input.replace(PERCENT_SEQUENCE, (run) => {
    const bytes = Buffer.from(
      run
        .split('%')
        .slice(1)
        .map((hex) => Number.parseInt(hex, 16)),
    );
    return bytes.toString('utf8');
  });
}

/** Decodes until a fixed point; a value still changing after the last round is refused. */
export function decodeUntilStable(input: string): string {
  let current = input;
  for (let round = 0; round < MAX_DECODE_ROUNDS; round++) {
    const next = percentDecodeOnce(current);
    if (next === current) return current;
    current = next;
  }
  throw new UnsafeArtifactPathError('too many levels of percent-encoding');
}

// C0 controls (NUL included) and DEL; also the C1 range, which no real file name needs.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;
const DRIVE_LETTER = /^[A-Za-z]:/;

/**
 * The checked, normalised form of a user-supplied relative path: `/`-separated, no empty, `.` or
 * `..` segments, no leading or trailing slash. `''` means the root (allowed only if `allowRoot`).
 * Throws UnsafeArtifactPathError for anything that could escape.
 */
export function normaliseArtifactPath(userPath: string, { allowRoot = false } = {}): string {
  if (typeof userPath !== 'string') throw new UnsafeArtifactPathError('not a string');
  if (userPath.length > MAX_ARTIFACT_PATH_LENGTH * 3) throw new UnsafeArtifactPathError('path too long');
  const decoded = decodeUntilStable(userPath);
  if (decoded.length > MAX_ARTIFACT_PATH_LENGTH) throw new UnsafeArtifactPathError('path too long');
  if (CONTROL_CHARACTERS.test(decoded)) throw new UnsafeArtifactPathError('control characters are not allowed');
  if (decoded.includes('\\')) throw new UnsafeArtifactPathError('backslashes are not allowed');
  if (decoded.includes('#')) throw new UnsafeArtifactPathError("'#' is not allowed");
  if (decoded.startsWith('/')) throw new UnsafeArtifactPathError('absolute paths are not allowed');
  if (DRIVE_LETTER.test(decoded)) throw new UnsafeArtifactPathError('drive letters are not allowed');
  if (/^file:/i.test(decoded)) throw new UnsafeArtifactPathError('URIs are not allowed');
  const segments = decoded.split('/');
  if (segments.includes('..')) throw new UnsafeArtifactPathError("'..' segments are not allowed");
  // Compatibility forms (fullwidth dots and solidi, two-dot leader) must not turn into `..` or `/`
  // in any layer that applies NFKC: refuse them rather than guess what a store will do.
  const compatible = decoded.normalize('NFKC');
  if (compatible !== decoded && (compatible.split('/').includes('..') || compatible.includes('\\') || compatible.split('/').length !== segments.length)) {
    throw new UnsafeArtifactPathError('path changes meaning under Unicode normalisation');
  }
  const kept = segments.filter((segment) => segment !== '' && segment !== '.');
  if (kept.length > MAX_ARTIFACT_PATH_DEPTH) throw new UnsafeArtifactPathError('path too deep');
  const normalised = kept.join('/');
  // Checked again on the normalised form (`./C:x` becomes `C:x`), so the result is a fixed point.
  if (DRIVE_LETTER.test(normalised) || /^file:/i.test(normalised)) throw new UnsafeArtifactPathError('drive letters and URIs are not allowed');
  if (normalised === '' && !allowRoot) throw new UnsafeArtifactPathError('path is empty');
  return normalised;
}

/**
 * Resolves `userPath` against the trusted relative `root` (itself already a checked path, e.g.
 * `1/<run_id>/artifacts`) and returns the checked path *relative to the root*. Joining the two
 * can never leave the root, because the result has no `..` segment and is never absolute.
 */
export function resolveArtifactPath(root: string, userPath: string, options: { allowRoot?: boolean } = {}): string {
  const relative = normaliseArtifactPath(userPath, options);
  const joined = joinArtifactPath(root, relative);
  if (root !== '' && joined !== root && !joined.startsWith(`${root}/`)) throw new UnsafeArtifactPathError('path escapes its root');
  return relative;
}

/** Joins already-checked relative paths. */
export function joinArtifactPath(...parts: string[]): string {
  return parts.filter((p) => p !== '').join('/');
}
