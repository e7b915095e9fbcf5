import { parseMlmodel } from './mlmodel';

// As mlflow.pyfunc.log_model writes it (MLflow 3).
const MLMODEL = `artifact_path: model
flavors:
  python_function:
    cloudpickle_version: 3.1.1
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.pyfunc.model
    python_version: 3.12.3
  sklearn:
    code: null
    pickled_model: model.pkl
    sklearn_version: 1.5.2
mlflow_version: 3.18.0
model_id: m-0123456789abcdef
model_uuid: 4f1c2b
run_id: 9a8b7c
signature:
  inputs: '[{"type": "double", "name": "x", "required": true}, {"type": "string", "name": "city's", "required": true}]'
  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1]}}]'
  params: null
utc_time_created: '2026-12-07 10:00:00.000000'
`;

describe('MLmodel preview', () => {
  it('finds the flavors, the signature columns and the facts a reader looks for', () => {
    const summary = parseMlmodel(MLMODEL.replace("city's", "city''s"));
    expect(summary.flavors).toEqual(['python_function', 'sklearn']);
    expect(summary.inputs).toEqual(['x: double', "city's: string"]);
    expect(summary.outputs).toEqual(['tensor float64 [-1]']);
    expect(summary.facts).toEqual([
      ['artifact_path', 'model'],
      ['mlflow_version', '3.18.0'],
      ['model_id', 'm-0123456789abcdef'],
      ['model_uuid', '4f1c2b'],
      ['run_id', '9a8b7c'],
      ['utc_time_created', '2026-12-07 10:00:00.000000'],
    ]);
  });

  it('gives up quietly on what it does not follow (no signature, not YAML)', () => {
    expect(parseMlmodel('flavors:\n  keras: {}\n')).toEqual({ flavors: ['keras'], facts: [], inputs: undefined, outputs: undefined });
    expect(parseMlmodel('{not yaml').flavors).toEqual([]);
  });
});
