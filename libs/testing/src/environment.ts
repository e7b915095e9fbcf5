/**
 * Endpoints of the real services the integration and e2e tiers run against. They come from the
 * environment (tools/infra/infra.sh exports them; a developer may point them at testcontainers).
 */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new Error(`${name} is not set: run the tests through \`npm test\` (or eval "$(tools/infra/infra.sh env)")`);
  }
  return value;
}

export const testEndpoints = {
  databaseUrl: () => requireEnv('CAIRN_TEST_DATABASE_URL'),
  kafkaBrokers: () => requireEnv('CAIRN_TEST_KAFKA_BROKERS'),
  s3: () => ({
    endpoint: requireEnv('CAIRN_TEST_S3_ENDPOINT'),
    accessKey: requireEnv('CAIRN_TEST_S3_ACCESS_KEY'),
    secretKey: requireEnv('CAIRN_TEST_S3_SECRET_KEY'),
  }),
  mlflowPython: (major: 2 | 3) => requireEnv(major === 3 ? 'CAIRN_TEST_MLFLOW3_PYTHON' : 'CAIRN_TEST_MLFLOW2_PYTHON'),
  /** The bin directory holding the pinned `uv` and `dvc` (tools/infra/python/projects.txt). */
  projectTools: () => requireEnv('CAIRN_TEST_PROJECT_TOOLS'),
};
