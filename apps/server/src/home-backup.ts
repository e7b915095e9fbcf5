import { runHomeBackupCommand } from '@cairn/runtime';

/** `cairn backup <dir>` / `cairn restore <dir>`: the CLI runs this file as a child (libs/runtime home-backup.ts). */
runHomeBackupCommand(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`cairn: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
