import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';

// Lints probe sources placed (virtually) inside the tree with the project's real ESLint configuration,
// so a spec can show that a rule fails the build when broken.
export const root = path.resolve(__dirname, '..', '..');

// Type-aware rules need a real file in a tsconfig; the import rules do not.
const TYPED_RULES_OFF = { '@typescript-eslint/no-floating-promises': 'off', '@typescript-eslint/switch-exhaustiveness-check': 'off' };

/** The Nx rule reads the project graph that `nx show projects` caches. */
export function computeProjectGraph(): void {
  execFileSync(path.join(root, 'node_modules', '.bin', 'nx'), ['show', 'projects'], { cwd: root, stdio: 'ignore' });
}

export interface LintMessage {
  ruleId: string | null;
  message: string;
}

// ESLint in a child process (its flat config is an ES module, which jest's CJS sandbox cannot import),
// one process for a batch of probes: loading the configuration and Nx's graph is most of the cost.
const LINT_PROBES = `
import { ESLint } from 'eslint';
let input = '';
for await (const chunk of process.stdin) input += chunk;
const { probes, overrideConfig } = JSON.parse(input);
const eslint = new ESLint({ cwd: process.cwd(), overrideConfig });
const reports = [];
for (const { filePath, code } of probes) {
  const [result] = await eslint.lintText(code, { filePath, warnIgnored: true });
  reports.push(result ? result.messages.map(({ ruleId, message }) => ({ ruleId, message })) : []);
}
process.stdout.write(JSON.stringify(reports));
`;

/** Each probe source linted as if it were the file at `filePath` (relative to the repository root). */
export function lintProbes(probes: ReadonlyArray<{ filePath: string; code: string }>): LintMessage[][] {
  const overrideConfig = { languageOptions: { parserOptions: { projectService: false } }, rules: TYPED_RULES_OFF };
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', LINT_PROBES], {
    cwd: root,
    input: JSON.stringify({ probes: probes.map(({ filePath, code }) => ({ filePath: path.join(root, filePath), code })), overrideConfig }),
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`linting the probes failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as LintMessage[][];
}

export const lintProbe = (filePath: string, code: string): LintMessage[] => lintProbes([{ filePath, code }])[0] ?? [];

/** The messages of one rule for a probe source. */
export const violationsOf = (ruleId: string, filePath: string, code: string): string[] =>
  lintProbe(filePath, code)
    .filter((m) => m.ruleId === ruleId)
    .map((m) => m.message);
