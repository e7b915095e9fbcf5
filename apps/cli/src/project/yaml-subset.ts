/**
 * A reader for the YAML that MLproject and python_env.yaml files use: block mappings and lists by
 * indentation, plain and quoted scalars, one-line flow mappings/lists (`{type: float, default: 0.1}`)
 * and `|`/`>` block scalars. The CLI has no YAML dependency; anything outside this subset (anchors,
 * tags, multi-document streams, multi-line flow collections) is refused with its line number rather
 * than misread.
 */
export type YamlValue = string | number | YamlFloat | boolean | null | YamlValue[] | { [key: string]: YamlValue };

/**
 * A YAML float, kept apart from integers because MLflow substitutes and logs Python's `str()` of
 * it: `default: 1.0` is `1.0`, `1.0e20` is `1e+20`, where a JS number would print `1`.
 */
export class YamlFloat {
  constructor(readonly value: number) {}

  toString(): string {
    const v = this.value;
    if (Number.isNaN(v)) return 'nan';
    if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
    // Python's repr switches to exponent notation from 1e16 up and below 1e-4.
    const abs = Math.abs(v);
    if (abs !== 0 && (abs >= 1e16 || abs < 1e-4))
      return v
        .toExponential()
        .replace(/e([+-])(\d)$/, 'e$10$2')
        .replace(/\.0e/, 'e');
    const s = String(v);
    return s.includes('.') ? s : `${s}.0`;
  }
}

export class YamlSubsetError extends Error {
  constructor(message: string, line: number) {
    super(`line ${line}: ${message}`);
    this.name = 'YamlSubsetError';
  }
}

interface Line {
  indent: number;
  text: string;
  no: number;
}

/** `#` starts a comment at the line start or after whitespace, outside quotes. */
function stripComment(text: string): string {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(text[i - 1] as string))) return text.slice(0, i).trimEnd();
  }
  return text.trimEnd();
}

/** A plain scalar as YAML 1.1 (PyYAML) types it: null, booleans, ints and floats; anything else a string. */
function plainScalar(raw: string): YamlValue {
  if (raw === '' || raw === '~' || raw === 'null' || raw === 'Null' || raw === 'NULL') return null;
  if (/^(true|True|TRUE|yes|Yes|YES|on|On|ON)$/.test(raw)) return true;
  if (/^(false|False|FALSE|no|No|NO|off|Off|OFF)$/.test(raw)) return false;
  if (/^[-+]?(0|[1-9][0-9_]*)$/.test(raw)) return Number(raw.replace(/_/g, ''));
  // PyYAML's float needs a dot: `1e-3` stays a string, `1.0e-3` is a float.
  if (/^[-+]?([0-9][0-9_]*)?\.[0-9_]*([eE][-+][0-9]+)?$/.test(raw) && /[0-9]/.test(raw)) return new YamlFloat(Number(raw.replace(/_/g, '')));
  if (/^[-+]?\.(inf|Inf|INF)$/.test(raw)) return new YamlFloat(raw.startsWith('-') ? -Infinity : Infinity);
  if (/^\.(nan|NaN|NAN)$/.test(raw)) return new YamlFloat(NaN);
  return raw;
}

function quotedScalar(raw: string, no: number): string {
  if (raw.startsWith("'")) {
    if (!raw.endsWith("'") || raw.length < 2) throw new YamlSubsetError(`unterminated quoted string ${raw}`, no);
    return raw.slice(1, -1).replace(/''/g, "'");
  }
  if (!raw.endsWith('"') || raw.length < 2) throw new YamlSubsetError(`unterminated quoted string ${raw}`, no);
  try {
    return JSON.parse(raw.replace(/\\'/g, "'")) as string;
  } catch {
    throw new YamlSubsetError(`unsupported escape in ${raw}`, no);
  }
}

/** Splits a flow collection's body at top-level commas. */
function splitFlow(body: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(body.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(body.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

/** The index of the `: ` (or final `:`) that separates a key from its value, outside quotes. */
function keySeparator(text: string): number {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
    } else if ((c === '"' || c === "'") && i === 0) quote = c;
    else if (c === ':' && (i === text.length - 1 || text[i + 1] === ' ')) return i;
  }
  return -1;
}

function inlineValue(raw: string, no: number): YamlValue {
  const text = raw.trim();
  if (text.startsWith('&') || text.startsWith('*') || text.startsWith('!'))
    throw new YamlSubsetError(`anchors, aliases and tags are not supported: ${text}`, no);
  if (text.startsWith('"') || text.startsWith("'")) return quotedScalar(text, no);
  if (text.startsWith('{')) {
    if (!text.endsWith('}')) throw new YamlSubsetError(`a flow mapping must end on its line: ${text}`, no);
    const map: Record<string, YamlValue> = {};
    for (const part of splitFlow(text.slice(1, -1))) {
      const sep = keySeparator(part);
      if (sep === -1) throw new YamlSubsetError(`expected key: value in ${part}`, no);
      map[keyOf(part.slice(0, sep), no)] = inlineValue(part.slice(sep + 1), no);
    }
    return map;
  }
  if (text.startsWith('[')) {
    if (!text.endsWith(']')) throw new YamlSubsetError(`a flow list must end on its line: ${text}`, no);
    return splitFlow(text.slice(1, -1)).map((p) => inlineValue(p, no));
  }
  return plainScalar(text);
}

function keyOf(raw: string, no: number): string {
  const key = raw.trim();
  return key.startsWith('"') || key.startsWith("'") ? quotedScalar(key, no) : key;
}

export function parseYamlSubset(source: string): YamlValue {
  const rawLines = source.replace(/^\uFEFF/, '').split(/\r?\n/);
  let pos = 0;

  const next = (): Line | undefined => {
    while (pos < rawLines.length) {
      const raw = rawLines[pos] as string;
      if (raw.includes('\t') && /^\s*\t/.test(raw)) throw new YamlSubsetError('tabs cannot indent YAML', pos + 1);
      const text = stripComment(raw);
      if (text.trim() === '' || text === '---') {
        pos++;
        continue;
      }
      if (text === '...' || (text.startsWith('---') && pos > 0)) throw new YamlSubsetError('multi-document streams are not supported', pos + 1);
      return { indent: text.length - text.trimStart().length, text: text.trim(), no: pos + 1 };
    }
    return undefined;
  };

  /** A `|` or `>` block scalar: the more-indented lines after the current one. */
  const blockScalar = (style: string, parentIndent: number): string => {
    const lines: string[] = [];
    let indent: number | undefined;
    while (pos < rawLines.length) {
      const raw = rawLines[pos] as string;
      if (raw.trim() === '') {
        lines.push('');
        pos++;
        continue;
      }
      const lineIndent = raw.length - raw.trimStart().length;
      if (lineIndent <= parentIndent) break;
      indent ??= lineIndent;
      lines.push(raw.slice(Math.min(indent, lineIndent)));
      pos++;
    }
    while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    const keep = style.includes('-') ? '' : '\n';
    if (style.startsWith('|')) return lines.join('\n') + keep;
    return lines.join(' ').replace(/ ?\n ?/g, '\n') + keep;
  };

  const valueAfter = (rest: string, line: Line): YamlValue => {
    const text = rest.trim();
    if (/^[|>][-+]?$/.test(text)) {
      pos++;
      return blockScalar(text, line.indent);
    }
    if (text !== '') {
      pos++;
      return inlineValue(text, line.no);
    }
    pos++;
    const child = next();
    if (child === undefined || child.indent < line.indent || (child.indent === line.indent && !child.text.startsWith('- '))) return null;
    return block(child.indent);
  };

  const block = (indent: number): YamlValue => {
    const first = next() as Line;
    if (first.text === '-' || first.text.startsWith('- ')) {
      const list: YamlValue[] = [];
      for (let line = next(); line !== undefined && line.indent === indent && (line.text === '-' || line.text.startsWith('- ')); line = next()) {
        const item = line.text.slice(1).trim();
        if (item === '') list.push(valueAfter('', line));
        else if (keySeparator(item) !== -1 && !item.startsWith('{') && !item.startsWith('"') && !item.startsWith("'")) {
          // `- key: value` opens a mapping whose keys sit at the item's content indent.
          const contentIndent = line.indent + (line.text.length - item.length);
          rawLines[pos] = ' '.repeat(contentIndent) + item;
          list.push(block(contentIndent));
        } else list.push(valueAfter(item, line));
      }
      return list;
    }
    const map: Record<string, YamlValue> = {};
    for (let line = next(); line !== undefined && line.indent === indent; line = next()) {
      if (line.text.startsWith('- ')) throw new YamlSubsetError('a list item where a key was expected', line.no);
      const sep = keySeparator(line.text);
      if (sep === -1) throw new YamlSubsetError(`expected 'key: value', got ${line.text}`, line.no);
      const key = keyOf(line.text.slice(0, sep), line.no);
      if (key in map) throw new YamlSubsetError(`duplicate key '${key}'`, line.no);
      map[key] = valueAfter(line.text.slice(sep + 1), line);
    }
    return map;
  };

  const first = next();
  if (first === undefined) return null;
  const value = block(first.indent);
  const rest = next();
  if (rest !== undefined) throw new YamlSubsetError(`unexpected indentation`, rest.no);
  return value;
}
