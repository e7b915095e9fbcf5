import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { terminate, trackChildProcess } from './child-processes';
import { freePort } from './private-kafka';

export interface PrivateMinio {
  /** `http://127.0.0.1:<port>`: the S3 API, and STS on the same address. */
  endpoint: string;
  /** The root user, for the test's own checks (never for the code under test when it must use another credential). */
  accessKey: string;
  secretKey: string;
  /** What MinIO printed so far (for a failing test's message). */
  output(): string;
  /** SIGTERM; the data stays, so `start` brings the same buckets and objects back on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it and removes its files. */
  destroy(): Promise<void>;
}

/**
 * A MinIO of this test's own, on a free port in a temporary directory, from the binary
 * tools/infra/infra.sh built for the shared one: for a test that needs MinIO configured otherwise
 * (an OpenID provider for STS, a KMS key) — the shared one's configuration is everyone's. `env` is
 * added to MinIO's environment (MINIO_IDENTITY_OPENID_*, MINIO_KMS_SECRET_KEY, …). Tracked like every
 * child process, so it never outlives the test file.
 */
export async function startPrivateMinio(env: Record<string, string> = {}, options: { dataDir?: string } = {}): Promise<PrivateMinio> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cairn-minio-'));
  const [port, consolePort] = [await freePort(), await freePort()];
  const accessKey = 'cairn-private-root';
  const secretKey = 'cairn-private-root-secret';
  const endpoint = `http://127.0.0.1:${port}`;
  let output = '';
  let child: ChildProcess | undefined;
  const stop = async () => {
    if (child !== undefined) await terminate(child, 10_000);
    child = undefined;
  };
  const destroy = async () => {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  };
  const start = async () => {
    const minio = spawn(
      minioBinary(),
      ['server', options.dataDir ?? path.join(dir, 'data'), '--address', `127.0.0.1:${port}`, '--console-address', `127.0.0.1:${consolePort}`],
      {
        env: {
          PATH: process.env['PATH'] ?? '',
          HOME: dir,
          MINIO_ROOT_USER: accessKey,
          MINIO_ROOT_PASSWORD: secretKey,
          MINIO_CI_CD: 'on',
          MINIO_UPDATE: 'off',
          MINIO_BROWSER: 'off',
          ...env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child = minio;
    trackChildProcess(minio);
    minio.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    minio.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (minio.exitCode !== null) throw new Error(`private MinIO exited with ${minio.exitCode}:\n${output}`);
      const ready = await fetch(`${endpoint}/minio/health/ready`, { signal: AbortSignal.timeout(2_000) }).then(
        (response) => response.ok,
        () => false,
      );
      if (ready) return;
      if (Date.now() > deadline) throw new Error(`private MinIO was not ready within 60 s:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };
  try {
    await start();
  } catch (error) {
    await destroy();
    throw error;
  }
  return { endpoint, accessKey, secretKey, output: () => output, stop, start, destroy };
}

/** The MinIO binary infra.sh built (`$CAIRN_INFRA_CACHE`, by default ~/.cache/cairn-infra). */
function minioBinary(): string {
  const cache = process.env['CAIRN_INFRA_CACHE'] ?? path.join(os.homedir(), '.cache', 'cairn-infra');
  const homes = existsSync(cache) ? readdirSync(cache).filter((name) => /^minio-v/.test(name) && existsSync(path.join(cache, name, 'bin', 'minio'))) : [];
  const home = homes.sort().at(-1);
  if (home === undefined) throw new Error(`no MinIO binary under ${cache}: run tools/infra/infra.sh up minio once`);
  return path.join(cache, home, 'bin', 'minio');
}
