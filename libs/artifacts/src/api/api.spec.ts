import { isArtifactUpload } from './raw-upload';
import { rawPathAfter } from './request-metadata';
import { contentDisposition } from './send-artifact';

describe('artifact request plumbing', () => {
  it('takes the artifact path from the raw URL, without the query', () => {
    expect(rawPathAfter('/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts/%2e%2e?x=1', '/mlflow-artifacts/artifacts/')).toBe('1/r/artifacts/%2e%2e');
  });

  it('re-labels only proxy uploads (PUT under mlflow-artifacts/artifacts)', () => {
    expect(isArtifactUpload('PUT', '/api/2.0/mlflow-artifacts/artifacts/1/x')).toBe(true);
    expect(isArtifactUpload('PUT', '/ajax-api/2.0/mlflow-artifacts/artifacts/1/x')).toBe(true);
    expect(isArtifactUpload('POST', '/api/2.0/mlflow-artifacts/artifacts/1/x')).toBe(false);
    expect(isArtifactUpload('PUT', '/api/2.0/mlflow/runs/update')).toBe(false);
  });

  it('never lets a file name break out of the Content-Disposition header', () => {
    expect(contentDisposition('a"b\\c.txt')).toBe(`attachment; filename="a_b_c.txt"; filename*=UTF-8''a%22b%5Cc.txt`);
    expect(contentDisposition('データ.csv')).toContain("filename*=UTF-8''%E3%83%87");
  });
});
