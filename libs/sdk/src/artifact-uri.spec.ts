import { encodeArtifactPath, guessContentType, proxiedArtifactUrl } from './artifact-uri';

describe('proxied artifact URLs (MLflow’s MlflowArtifactsRepository.resolve_uri test vectors)', () => {
  it.each([
    ['mlflow-artifacts:/my/artifact/path/nohost', 'http://localhost:5000/api/2.0/mlflow-artifacts/artifacts/my/artifact/path/nohost'],
    ['mlflow-artifacts://myhostname:4242/my/artifact/path/hostport', 'http://myhostname:4242/api/2.0/mlflow-artifacts/artifacts/my/artifact/path/hostport'],
    ['mlflow-artifacts:/', 'http://localhost:5000/api/2.0/mlflow-artifacts/artifacts'],
    ['mlflow-artifacts:/1/abc/artifacts', 'http://localhost:5000/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts'],
  ])('%s', (uri, expected) => {
    expect(proxiedArtifactUrl(uri, 'http://localhost:5000')).toBe(expected);
  });

  it('keeps a tracking URI path prefix', () => {
    expect(proxiedArtifactUrl('mlflow-artifacts:/1/r/artifacts', 'https://example.com/cairn/')).toBe(
      'https://example.com/cairn/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts',
    );
  });

  it('refuses roots the client would have to write itself (s3://, file://)', () => {
    expect(() => proxiedArtifactUrl('s3://bucket/1/r/artifacts', 'http://localhost:5000')).toThrow('mlflow-artifacts');
  });

  it('encodes each segment and refuses ..', () => {
    expect(encodeArtifactPath('model/my file#1.pkl')).toBe('model/my%20file%231.pkl');
    expect(() => encodeArtifactPath('../etc/passwd')).toThrow('..');
  });

  it('guesses content types as MLflow’s client does for common files', () => {
    expect(guessContentType('report.html')).toBe('text/html');
    expect(guessContentType('model/MLmodel')).toBe('text/plain');
    expect(guessContentType('model.pkl')).toBe('application/octet-stream');
  });
});
