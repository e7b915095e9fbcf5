import { validateModelName, validateTag } from './validation';

// mlflow/utils/validation.py (3.18): `_validate_model_name`, `_validate_registered_model_tag`,
// `_validate_model_version_tag` (MAX_MODEL_REGISTRY_TAG_VALUE_LENGTH = 100_000).
describe('registered model names, as MLflow 3.18 checks them', () => {
  it.each(['a/b', 'team:model', '/x'])('refuses %j: it would make models:/ URIs ambiguous', (name) => {
    expect(() => validateModelName(name)).toThrow(`Invalid model name '${name}'. Names cannot contain '/' or ':'.`);
  });

  it.each(['.', '..', '..hidden'])('refuses %j, which resolves to another name as a path', (name) => {
    expect(() => validateModelName(name)).toThrow(/Names may be treated as files in certain cases/);
  });

  it.each(['model', 'my model.v2', 'a-b_c', 'x..y'])('accepts %j', (name) => {
    expect(validateModelName(name)).toBe(name);
  });
});

describe('registry tag values', () => {
  it('take up to 100 000 characters (prompt templates are stored in them)', () => {
    expect(() => validateTag('mlflow.prompt.text', 'x'.repeat(100_000))).not.toThrow();
    expect(() => validateTag('mlflow.prompt.text', 'x'.repeat(100_001))).toThrow(/100000/);
  });
});
