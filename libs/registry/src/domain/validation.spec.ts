import { validateModelName, validateTag, validateVersionSource } from './validation';

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

// mlflow/server/handlers.py `_is_prompt_request` and `_validate_prompt_source` (3.18): a prompt
// version (tag mlflow.prompt.is_prompt=true, last one wins) carries a placeholder source.
describe('prompt version sources', () => {
  const prompt = [{ key: 'mlflow.prompt.is_prompt', value: 'True' }];
  it.each(['dummy-source', 'prompt-template'])('accepts the placeholder %j for a prompt version', (source) => {
    expect(validateVersionSource(source, prompt, [])).toBe(source);
  });

  it('refuses a location for a prompt version, and a placeholder for a model version', () => {
    expect(() => validateVersionSource('runs:/abc/model', prompt, [])).toThrow(
      "Invalid prompt source: 'runs:/abc/model'. Prompt sources must use an MLflow placeholder.",
    );
    expect(() => validateVersionSource('dummy-source', [], [])).toThrow(/Invalid model version source: 'dummy-source'/);
    expect(() => validateVersionSource('dummy-source', [...prompt, { key: 'mlflow.prompt.is_prompt', value: 'false' }], [])).toThrow(
      /Invalid model version source/,
    );
  });
});
