import { PassThrough } from 'node:stream';
import { parseArgs, positionalsOf, UsageError } from './args';
import { resolveCommand, runCli } from './cli';

const specs = {
  filter: { type: 'string' as const },
  'max-results': { type: 'number' as const },
  'order-by': { type: 'string' as const, multiple: true },
  json: { type: 'boolean' as const },
  archive: { type: 'boolean' as const },
};

describe('parseArgs', () => {
  it('takes flags before, between and after positionals, in both --k v and --k=v forms', () => {
    expect(parseArgs(['a', '--filter', 'metrics.auc > 0.8', 'b', '--max-results=5', '--json'], specs)).toEqual({
      positionals: ['a', 'b'],
      flags: { filter: 'metrics.auc > 0.8', 'max-results': 5, json: true },
    });
  });

  it('collects repeatable flags in order and understands --no-<flag>', () => {
    expect(parseArgs(['--order-by', 'a DESC', '--order-by=b', '--no-archive'], specs).flags).toEqual({ 'order-by': ['a DESC', 'b'], archive: false });
  });

  it('reads one-letter aliases as their long flags (-e main -P a=1 -P b=2), and refuses unknown ones', () => {
    const runSpecs = { 'entry-point': { type: 'string' as const, short: 'e' }, param: { type: 'string' as const, multiple: true, short: 'P' } };
    expect(parseArgs(['dir', '-e', 'train', '-P', 'a=1', '--param', 'b=-2', '-P', 'c=3'], runSpecs)).toEqual({
      positionals: ['dir'],
      flags: { 'entry-point': 'train', param: ['a=1', 'b=-2', 'c=3'] },
    });
    expect(() => parseArgs(['-x'], runSpecs)).toThrow("unknown option '-x'");
  });

  it('treats everything after -- as positionals, and a negative number as a value', () => {
    expect(parseArgs(['--', '--json'], specs).positionals).toEqual(['--json']);
    expect(parseArgs(['--max-results', '-1'], specs).flags['max-results']).toBe(-1);
  });

  it.each([
    [['--nope'], "unknown option '--nope'"],
    [['-x'], "unknown option '-x'"],
    [['--filter'], '--filter needs a value'],
    [['--max-results', 'ten'], "--max-results expects a number, got 'ten'"],
    [['--json=yes'], '--json takes no value'],
    [['--filter', 'a', '--filter', 'b'], '--filter given twice'],
  ])('%j is a usage error', (argv, message) => {
    expect(() => parseArgs(argv, specs)).toThrow(UsageError);
    expect(() => parseArgs(argv, specs)).toThrow(message);
  });

  it('checks positional counts, optional ones marked [x]', () => {
    expect(positionalsOf({ positionals: ['r1'], flags: {} }, ['run_id', '[path]'])).toEqual({ run_id: 'r1', path: undefined });
    expect(() => positionalsOf({ positionals: [], flags: {} }, ['run_id', 'key'])).toThrow('missing <run_id> <key>');
    expect(() => positionalsOf({ positionals: ['a', 'b'], flags: {} }, ['run_id'])).toThrow("unexpected argument 'b'");
  });
});

describe('command resolution and exit codes (no server needed)', () => {
  async function run(argv: string[]) {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (c: Buffer) => (out += c.toString()));
    stderr.on('data', (c: Buffer) => (err += c.toString()));
    const code = await runCli(argv, { stdout, stderr, env: {} });
    return { code, out, err };
  }

  it('resolves group + subcommand, and gc on its own', () => {
    expect(resolveCommand(['runs', 'search', '--filter', 'x']).path).toBe('runs search');
    expect(resolveCommand(['gc', '--dry-run']).rest).toEqual(['--dry-run']);
  });

  it.each([
    [['bogus']],
    [['runs']],
    [['runs', 'frobnicate']],
    [['runs', 'get']],
    [['runs', 'get', 'a', 'b']],
    [['metrics', 'history', 'r1', 'loss', '--step', '3']],
    [['models', 'transition', 'm', '1', 'Prod']],
    [['runs', 'get', 'r1', '--tracking-uri', 'file:///tmp/mlruns']],
    [[]],
  ])('%j exits 2 with a message on stderr', async (argv) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/cairn|usage/);
    expect(r.out).toBe('');
  });

  it('a group’s --help lists its subcommands and exits 0', async () => {
    const r = await run(['models', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('promote');
  });

  it('--help prints the command’s usage and exits 0', async () => {
    const r = await run(['runs', 'search', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('usage: cairn runs search');
    expect(r.out).toContain('--order-by');
  });
});
