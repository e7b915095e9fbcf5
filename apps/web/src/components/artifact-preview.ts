/** How the artifacts browser shows a file, from its name and size (pure: unit-tested). */
export type PreviewKind = 'image' | 'json' | 'table' | 'text' | 'mlmodel' | 'none';

/** Larger files are offered for download only: a preview must not stall the tab. */
export const PREVIEW_LIMIT_BYTES = 2 * 1024 * 1024;

const IMAGE = /\.(png|jpe?g|gif|svg|webp|bmp)$/i;
const JSON_FILE = /\.(json|ipynb)$/i;
const TABLE = /\.(csv|tsv)$/i;
const TEXT = /\.(txt|log|md|ya?ml|py|sh|toml|ini|cfg|conf|xml|html|r|sql|jsonl)$/i;
/** Files MLflow writes without an extension, all text. */
const TEXT_NAMES = new Set(['requirements.txt', 'conda.yaml', 'python_env.yaml', 'Dockerfile', 'LICENSE', 'README']);

export function previewKind(path: string, size: number | undefined): PreviewKind {
  if (size !== undefined && size > PREVIEW_LIMIT_BYTES) return 'none';
  const name = path.split('/').pop() ?? path;
  if (name === 'MLmodel') return 'mlmodel';
  if (IMAGE.test(name)) return 'image';
  if (JSON_FILE.test(name)) return 'json';
  if (TABLE.test(name)) return 'table';
  if (TEXT.test(name) || TEXT_NAMES.has(name)) return 'text';
  return 'none';
}

/** JSON pretty-printed; anything that does not parse is shown as it is. */
export function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** The folders above a path, outermost first: `a/b/c.txt` → [`a`, `a/b`] (opened when a deep link lands). */
export function ancestorsOf(path: string): string[] {
  const parts = path.split('/').filter((p) => p !== '');
  return parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('/'));
}

/**
 * A CSV (or TSV) file as rows of cells, RFC 4180 quoting: quoted fields may hold the delimiter, line
 * breaks and doubled quotes. Stops after `maxRows` rows (a preview, not a loader).
 */
export function parseDelimited(text: string, delimiter: ',' | '\t', maxRows: number): { rows: string[][]; truncated: boolean } {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
      continue;
    }
    if (c === '"' && cell === '') quoted = true;
    else if (c === delimiter) {
      row.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      if (rows.length >= maxRows) return { rows, truncated: i < text.length - 1 };
    } else cell += c;
  }
  if (cell !== '' || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return { rows, truncated: false };
}
