import type { ChildProcess } from 'node:child_process';

/**
 * The child processes this test file started that have not exited yet (servers, services, clients),
 * each with the way to stop it. The int and e2e tiers stop whatever is left after every test file
 * (`jest-stop-children.ts`): a failed beforeAll, one service of several that failed to start while
 * the others came up, or a test that threw before its own cleanup never leaves a process running,
 * and Jest exits by itself (no `forceExit`).
 */
const running = new Map<ChildProcess, () => Promise<void>>();

/** Whether `child` is still running (neither exited nor killed by a signal). */
export const isRunning = (child: ChildProcess): boolean => child.exitCode === null && child.signalCode === null;

/** Tracks `child` until it exits; `stop` ends it gracefully (by default SIGTERM, then SIGKILL after `graceMs`). */
export function trackChildProcess(child: ChildProcess, stop: () => Promise<void> = () => terminate(child)): void {
  if (!isRunning(child)) return;
  running.set(child, stop);
  child.once('exit', () => running.delete(child));
}

/**
 * SIGTERM, then SIGKILL if the process has not exited within `graceMs`; resolves once it has exited.
 * A process that ignores SIGTERM (or hangs in its shutdown) cannot keep the test run alive.
 */
export async function terminate(child: ChildProcess, graceMs = 15_000): Promise<void> {
  if (!isRunning(child)) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const killed = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      if (isRunning(child)) child.kill('SIGKILL');
      resolve();
    }, graceMs);
  });
  await Promise.race([exited, killed]);
  clearTimeout(timer);
  await exited;
}

/** Stops every tracked child still running; returns how many there were. */
export async function stopChildProcesses(): Promise<number> {
  const left = [...running];
  await Promise.allSettled(
    left.map(async ([child, stop]) => {
      try {
        await stop();
      } finally {
        // Whatever the graceful stop did (or threw), the process does not outlive this call.
        await terminate(child, 0);
      }
    }),
  );
  return left.length;
}
