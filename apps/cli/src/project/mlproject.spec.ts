import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type EntryPoint, entryPointOf, formatCommand, loadProject, ProjectError, resolveEntryPoint, shellQuote, shellUnquote } from './mlproject';
import { parseYamlSubset, YamlSubsetError } from './yaml-subset';

describe('the MLproject YAML subset', () => {
  it('reads block mappings, flow mappings, quoted and block scalars as PyYAML types them', () => {
    const parsed = parseYamlSubset(
      [
        'name: churn # a comment',
        'entry_points:',
        '  main:',
        '    parameters:',
        '      alpha: {type: float, default: 0.10}',
        '      n: {type: int, default: 100}',
        '      flag: {default: yes}',
        "      label: 'it''s'",
        '      bare: float',
        '    command: "python train.py --alpha {alpha} # not a comment"',
        '  folded:',
        '    command: >',
        '      python x.py',
        '      --n {n}',
        'deps:',
        '  - pip',
        '  - "numpy==2.4.6"',
      ].join('\n'),
    ) as Record<string, Record<string, Record<string, Record<string, unknown>>>>;
    const main = parsed['entry_points']?.['main'] as Record<string, Record<string, unknown>>;
    expect(String((main['parameters']?.['alpha'] as { default: unknown }).default)).toBe('0.1');
    expect((main['parameters']?.['n'] as { default: unknown }).default).toBe(100);
    expect((main['parameters']?.['flag'] as { default: unknown }).default).toBe(true);
    expect(main['parameters']?.['label']).toBe("it's");
    expect(main['command']).toBe('python train.py --alpha {alpha} # not a comment');
    expect(parsed['entry_points']?.['folded']?.['command']).toBe('python x.py --n {n}\n');
    expect(parsed['deps']).toEqual(['pip', 'numpy==2.4.6']);
  });

  it('refuses what it does not read, with the line, rather than misreading it', () => {
    expect(() => parseYamlSubset('a: &anchor 1\nb: *anchor\n')).toThrow(YamlSubsetError);
    expect(() => parseYamlSubset('a: 1\na: 2\n')).toThrow("line 2: duplicate key 'a'");
    expect(() => parseYamlSubset('a: {type: float,\n  default: 1}\n')).toThrow('line 1');
  });
});

describe('an MLproject', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'cairn-mlproject-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is found whatever the case of its name; defaults print as Python prints them; python_env.yaml is picked up', () => {
    writeFileSync(
      path.join(dir, 'mlproject'),
      'name: p\nentry_points:\n  main:\n    parameters:\n      lr: {type: float, default: 1.0}\n      big: {type: float, default: 1.0e+20}\n      data: path\n    command: "python t.py {lr} {big} {data}"\n',
    );
    writeFileSync(path.join(dir, 'python_env.yaml'), 'python: "3.11"\ndependencies:\n  - mlflow\n');
    const project = loadProject(dir);
    expect(project.name).toBe('p');
    expect(project.entryPoints['main']?.parameters).toEqual([
      { name: 'lr', type: 'float', default: '1.0' },
      { name: 'big', type: 'float', default: '1e+20' },
      { name: 'data', type: 'path' },
    ]);
    expect(project.environment).toEqual({ type: 'python_env', file: path.join(dir, 'python_env.yaml') });
  });

  it('refuses two environments and unknown parameter types', () => {
    writeFileSync(path.join(dir, 'MLproject'), 'python_env: a.yaml\nconda_env: b.yaml\n');
    expect(() => loadProject(dir)).toThrow('more than one environment');
    writeFileSync(path.join(dir, 'MLproject'), 'entry_points:\n  main:\n    parameters:\n      x: {type: double}\n    command: "x"\n');
    expect(() => loadProject(dir)).toThrow("parameter 'x' has unknown type 'double'");
  });

  it('runs a .py or .sh script named as the entry point, as mlflow run does', () => {
    writeFileSync(path.join(dir, 'MLproject'), 'name: p\n');
    expect(entryPointOf(loadProject(dir), 'train.py').command).toBe('python train.py');
    expect(() => entryPointOf(loadProject(dir), 'train')).toThrow("no entry point 'train'");
  });
});

describe('parameters and the command', () => {
  const entry: EntryPoint = {
    name: 'main',
    command: 'python train.py --lr {lr} --n {n} --name {name} --data {data} --json {{"k": 1}}',
    parameters: [
      { name: 'lr', type: 'float', default: '0.1' },
      { name: 'n', type: 'int', default: '10' },
      { name: 'name', type: 'string', default: 'a b' },
      { name: 'data', type: 'uri', default: 's3://bucket/train.parquet' },
    ],
  };

  it.each([
    ['lr', 'fast', "parameter 'lr' must be a float, got 'fast'"],
    ['n', '1.5', "parameter 'n' must be an int, got '1.5'"],
    ['data', '/data/train.parquet', "parameter 'data' must be a URI"],
  ])('a wrong %s (%s) is refused, naming the parameter', (name, value, message) => {
    expect(() => resolveEntryPoint(entry, { [name]: value }, '/')).toThrow(message);
  });

  it('accepts what Python float() and int() accept', () => {
    for (const lr of ['0.05', '1e-3', '-2', '.5', '5.', 'inf', 'NaN']) expect(() => resolveEntryPoint(entry, { lr }, '/')).not.toThrow();
  });

  it('substitutes quoted values, appends undeclared parameters, keeps {{ }} literal, and logs the quoted values as MLflow does', () => {
    const r = resolveEntryPoint(entry, { lr: '0.05', extra: "it's" }, '/');
    expect(r.command).toBe(`python train.py --lr 0.05 --n 10 --name 'a b' --data s3://bucket/train.parquet --json {"k": 1} --extra 'it'"'"'s'`);
    expect(r.params).toEqual({ lr: '0.05', n: '10', name: "'a b'", data: 's3://bucket/train.parquet', extra: `'it'"'"'s'` });
  });

  it('names a missing parameter, and a local path that does not exist', () => {
    const needsData: EntryPoint = { name: 'main', command: 'x {data}', parameters: [{ name: 'data', type: 'path' }] };
    expect(() => resolveEntryPoint(needsData, {}, '/')).toThrow("no value given for parameter 'data'");
    expect(() => resolveEntryPoint(needsData, { data: 'no/such/file.csv' }, '/')).toThrow("parameter 'data': no such file or directory");
    expect(resolveEntryPoint(needsData, { data: 'tmp' }, '/').command).toBe('x /tmp');
    expect(resolveEntryPoint(needsData, { data: 's3://b/k' }, '/').command).toBe('x s3://b/k');
  });

  it('refuses a placeholder that is not a parameter', () => {
    expect(() => formatCommand('python {missing}', {}, 'main')).toThrow(ProjectError);
  });
});

describe("shell quoting (Python's shlex.quote)", () => {
  it.each([
    ['0.05', '0.05'],
    ['data/churn.csv', 'data/churn.csv'],
    ['a=b,c:d@e%f+g', 'a=b,c:d@e%f+g'],
    ['', "''"],
    ['a b', "'a b'"],
    ['$HOME', "'$HOME'"],
    ['x;rm -rf /', "'x;rm -rf /'"],
    ["it's", `'it'"'"'s'`],
  ])('%j -> %s, and back', (value, quoted) => {
    expect(shellQuote(value)).toBe(quoted);
    expect(shellUnquote(shellQuote(value))).toBe(value);
  });
});
