import fc from 'fast-check';
import { toStored, toWireDouble, fromWireDouble } from './metrics';
import {
  isPathLike,
  truncatedParamValue,
  truncatedTagValue,
  validateArtifactLocation,
  validateEntityKey,
  validateExperimentTag,
  validateLogBatch,
  validateLoggedModelName,
} from './validation';

/** Python's posixpath.normpath, the reference for MLflow's path_not_unique. */
function normpath(path: string): string {
  if (path === '') return '.';
  const initial = path.startsWith('/') ? (path.startsWith('//') && !path.startsWith('///') ? 2 : 1) : 0;
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part !== '..' || (initial === 0 && out.length === 0) || (out.length > 0 && out[out.length - 1] === '..')) out.push(part);
    else if (out.length > 0) out.pop();
  }
  const joined = '/'.repeat(initial) + out.join('/');
  return joined || '.';
}
const mlflowPathNotUnique = (key: string) => {
  const norm = normpath(key);
  return norm !== key || norm === '.' || norm.startsWith('..') || norm.startsWith('/');
};

describe('key validation (MLflow validation.py)', () => {
  it.each(['loss', 'val/auc', 'a b', 'a-b_c.d', 'epoch:1', 'über'])('accepts %j', (key) => {
    expect(() => validateEntityKey(key)).not.toThrow();
  });

  it.each(['../x', 'a/../b', '/abs', 'a//b', 'trailing/', './a', '.', '..', 'semi;colon', 'nul\u0000', 'q"uote', 'x'.repeat(251)])(
    'refuses %j with INVALID_PARAMETER_VALUE',
    (key) => {
      expect(() => validateEntityKey(key)).toThrow(expect.objectContaining({ code: 'INVALID_PARAMETER_VALUE' }));
    },
  );

  it('isPathLike agrees with posixpath.normpath for keys over the allowed alphabet', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', '.', '/', '-'), minLength: 1, maxLength: 8 }), (key) => {
        expect(isPathLike(key)).toBe(mlflowPathNotUnique(key));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('artifact locations', () => {
  it('accepts locations under mlflow-artifacts:/', () => {
    expect(validateArtifactLocation('mlflow-artifacts:/team/churn')).toBe('mlflow-artifacts:/team/churn');
  });

  it.each([
    'file:///etc',
    'http://169.254.169.254/latest',
    's3://bucket',
    'mlflow-artifacts:/../etc',
    'mlflow-artifacts:/a/%2e%2e/b',
    'runs:/abc',
    'mlflow-artifacts:/a?x=1',
  ])('refuses %j', (location) => {
    expect(() => validateArtifactLocation(location)).toThrow(expect.objectContaining({ code: 'INVALID_PARAMETER_VALUE' }));
  });
});

describe('log-batch limits', () => {
  const metric = (i: number) => ({ key: 'm', timestamp: 1, step: i });
  it('accepts 1000 metrics, refuses 1001, 101 params, 101 tags, and 1001 entities in total', () => {
    expect(() => validateLogBatch({ metrics: Array.from({ length: 1000 }, (_, i) => metric(i)), params: [], tags: [] })).not.toThrow();
    expect(() => validateLogBatch({ metrics: Array.from({ length: 1001 }, (_, i) => metric(i)), params: [], tags: [] })).toThrow(/at most 1000 metrics/);
    const kv = (n: number) => Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: 'v' }));
    expect(() => validateLogBatch({ metrics: [], params: kv(101), tags: [] })).toThrow(/at most 100 params/);
    expect(() => validateLogBatch({ metrics: [], params: [], tags: kv(101) })).toThrow(/at most 100 tags/);
    expect(() => validateLogBatch({ metrics: Array.from({ length: 900 }, (_, i) => metric(i)), params: kv(100), tags: kv(1) })).toThrow(/in total/);
  });

  it('refuses duplicate param keys, long values, negative timestamps', () => {
    expect(() =>
      validateLogBatch({
        metrics: [],
        params: [
          { key: 'a', value: '1' },
          { key: 'a', value: '1' },
        ],
        tags: [],
      }),
    ).toThrow(/Duplicate parameter keys/);
    // Long values are cut by the run decider (MLflow 3.x truncates), not refused.
    expect(() =>
      validateLogBatch({ metrics: [], params: [{ key: 'a', value: 'v'.repeat(6001) }], tags: [{ key: 'a', value: 'v'.repeat(8001) }] }),
    ).not.toThrow();
    expect(() => validateLogBatch({ metrics: [{ key: 'm', timestamp: -1 }], params: [], tags: [] })).toThrow(/nonnegative/);
  });
});

// mlflow/utils/validation.py (3.18): `_validate_logged_model_name`, `_validate_experiment_tag`
// (MAX_EXPERIMENT_TAG_VAL_LENGTH = 20000), `_validate_length_limit(truncate=True)`.
describe('MLflow 3.18 value and name rules', () => {
  it.each(['a.b', 'a/b', 'a:b', '50%', 'say "hi"', "it's"])('refuses the logged model name %j', (name) => {
    expect(() => validateLoggedModelName(name)).toThrow(/^Invalid model name \(.*\) provided\. Model name must be a non-empty string/);
  });

  it("quotes names as Python's repr does in the message", () => {
    expect(() => validateLoggedModelName('a.b')).toThrow(
      `Invalid model name ('a.b') provided. Model name must be a non-empty string and cannot contain the following characters: ('/', ':', '.', '%', '"', "'")`,
    );
  });

  it('accepts names MLflow accepts', () => {
    expect(() => validateLoggedModelName('my-model_1 v2')).not.toThrow();
  });

  it('takes experiment tag values up to 20000 characters', () => {
    expect(() => validateExperimentTag('k', 'v'.repeat(20_000))).not.toThrow();
    expect(() => validateExperimentTag('k', 'v'.repeat(20_001))).toThrow(/20000/);
  });

  it('cuts params at 6000 and run tags at 8000 code points', () => {
    expect(truncatedParamValue('p'.repeat(6001))).toBe('p'.repeat(6000));
    expect(truncatedTagValue(`${'t'.repeat(7999)}😀😀`)).toBe(`${'t'.repeat(7999)}😀`);
    expect(truncatedTagValue('short')).toBe('short');
  });
});

describe('metric values', () => {
  it('NaN and infinities survive the wire and the store', () => {
    fc.assert(
      fc.property(fc.double(), (value) => {
        const wire = toWireDouble(value);
        const back = fromWireDouble(JSON.parse(JSON.stringify(wire)) as typeof wire);
        expect(Object.is(back, value) || (value === 0 && back === 0)).toBe(true);
        const stored = toStored(value);
        expect(stored.isNan).toBe(Number.isNaN(value));
        expect(Number.isNaN(stored.value)).toBe(false);
      }),
    );
  });
});
