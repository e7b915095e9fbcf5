/**
 * Preloaded (`node --require`) into every server or service a test starts, never into production
 * (plain CommonJS, run from the source tree: test support is not compiled into dist/):
 * when the test process is gone without stopping it (Jest killed, a crash), the server finds itself
 * adopted by another parent and shuts down as on SIGTERM, then exits at the latest 15 s later. The
 * last resort behind `stopChildProcesses`, which covers every failure Jest itself survives.
 */
const parent = process.ppid;
const watch = setInterval(() => {
  if (process.ppid === parent) return;
  clearInterval(watch);
  process.kill(process.pid, 'SIGTERM');
  setTimeout(() => process.exit(1), 15_000).unref();
}, 500);
watch.unref();
