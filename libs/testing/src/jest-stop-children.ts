import { stopChildProcesses } from './child-processes';

// Set up by jest.config.ts for the int and e2e tiers: after each test file, whatever happened in it,
// no process it started is left running (see child-processes.ts).
afterAll(async () => {
  const stopped = await stopChildProcesses();
  if (stopped > 0) console.warn(`stopped ${stopped} child process(es) this test file left running`);
}, 60_000);
