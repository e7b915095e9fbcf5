/**
 * What a reader looks for in an `MLmodel` file (MLflow's model metadata, YAML): its flavors, its
 * signature's columns, and the few scalar facts (model id, run, MLflow version, when). A small
 * reader for the shape MLflow writes (two-space indents, the signature as JSON strings), not a
 * YAML parser: anything it does not follow is still shown in the raw text beside it.
 */
export interface MlmodelSummary {
  flavors: string[];
  facts: Array<[string, string]>;
  inputs: string[] | undefined;
  outputs: string[] | undefined;
}

const FACTS = ['model_id', 'model_uuid', 'run_id', 'artifact_path', 'utc_time_created', 'mlflow_version', 'model_size_bytes'];

function unquote(text: string): string {
  const t = text.trim();
  if (t.length >= 2 && ((t.startsWith("'") && t.endsWith("'")) || (t.startsWith('"') && t.endsWith('"')))) {
    // YAML single quotes escape a quote by doubling it.
    return t.startsWith("'") ? t.slice(1, -1).replace(/''/g, "'") : t.slice(1, -1);
  }
  return t;
}

/** `[{"name": "x", "type": "double"}, …]` (a column or tensor spec) → `x: double`. */
function columnsOf(json: string): string[] | undefined {
  try {
    const parsed: unknown = JSON.parse(json);
    if (!Array.isArray(parsed)) return undefined;
    return parsed.map((c: { name?: string; type?: string; 'tensor-spec'?: { dtype?: string; shape?: unknown } }) => {
      const type = c.type === 'tensor' ? `tensor ${c['tensor-spec']?.dtype ?? ''} ${JSON.stringify(c['tensor-spec']?.shape ?? '')}`.trim() : (c.type ?? '?');
      return c.name === undefined ? type : `${c.name}: ${type}`;
    });
  } catch {
    return undefined;
  }
}

export function parseMlmodel(text: string): MlmodelSummary {
  const flavors: string[] = [];
  const facts: Array<[string, string]> = [];
  let inputs: string[] | undefined;
  let outputs: string[] | undefined;
  let section = '';
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const indent = line.length - line.trimStart().length;
    const match = /^\s*([\w.-]+):\s*(.*)$/.exec(line);
    if (!match) continue;
    const [, key = '', value = ''] = match;
    if (indent === 0) {
      section = key;
      if (FACTS.includes(key) && value !== '') facts.push([key, unquote(value)]);
      continue;
    }
    if (indent === 2 && section === 'flavors') flavors.push(key);
    if (indent === 2 && section === 'signature' && key === 'inputs') inputs = columnsOf(unquote(value));
    if (indent === 2 && section === 'signature' && key === 'outputs') outputs = columnsOf(unquote(value));
  }
  return { flavors, facts, inputs, outputs };
}
