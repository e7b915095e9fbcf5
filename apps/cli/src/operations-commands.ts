import { spawn } from 'node:child_process';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ContextName, DeadLetterWire, ReadModelRebuildWire } from '@cairn/sdk';
import { UsageError } from './args';
import type { Command, CommandContext } from './commands';
import { formatTime, renderPairs, renderTable } from './output';

/** `cairn dead-letters …`: the operator's view of events consumers could not apply (admins only). */

const CONTEXT_NAMES: readonly ContextName[] = ['tracking', 'artifacts', 'registry', 'webhooks'];

function contextOf(v: string): ContextName {
  const context = CONTEXT_NAMES.find((c) => c === v);
  if (context === undefined) throw new UsageError(`context must be one of ${CONTEXT_NAMES.join(', ')}, got '${v}'`);
  return context;
}

function out(ctx: CommandContext, data: unknown, human: () => string): void {
  ctx.stdout.write(ctx.json ? `${JSON.stringify(data, null, 2)}\n` : human());
}

const arg = (args: Record<string, string | undefined>, name: string): string => args[name] as string;
const oneLine = (s: string, max = 80) => (s.length > max ? `${s.slice(0, max - 1)}…` : s).replace(/\s+/g, ' ');

const describe = (d: DeadLetterWire): string =>
  renderPairs([
    ['id', d.id],
    ['context', d.context],
    ['consumer', d.consumer],
    ['event_id', d.event_id ?? '(none)'],
    ['event_type', d.event_type ?? '(unknown)'],
    ['reason', d.reason],
    ['attempts', d.attempts],
    [
      'source',
      d.source_topic === null ? undefined : `${d.source_topic}${d.source_partition === null ? '' : ` [${d.source_partition}] @${d.source_offset ?? '?'}`}`,
    ],
    ['dead_lettered', formatTime(Date.parse(d.dead_lettered_at))],
    ['last_replayed', d.last_replayed_at === null ? undefined : formatTime(Date.parse(d.last_replayed_at))],
    ['discarded', d.discarded_at === null ? undefined : `${formatTime(Date.parse(d.discarded_at))} by ${d.discarded_by ?? '?'}: ${d.discard_reason ?? ''}`],
  ]) + `\n${d.envelope !== null ? JSON.stringify(d.envelope, null, 2) : (d.raw_message ?? '')}\n`;

export const DEAD_LETTER_COMMANDS: Record<string, Command> = {
  list: {
    args: ['context'],
    summary: "a context's dead letters, oldest first (tracking, artifacts, registry, webhooks)",
    flags: {
      consumer: { type: 'string', placeholder: 'NAME' },
      'max-results': { type: 'number', placeholder: 'N' },
      'page-token': { type: 'string', placeholder: 'TOKEN' },
      'include-discarded': { type: 'boolean', description: 'also those discarded (with who and why)' },
    },
    async run(ctx, a, f) {
      const page = await ctx.client.listDeadLetters(contextOf(arg(a, 'context')), {
        consumer: typeof f['consumer'] === 'string' ? f['consumer'] : undefined,
        maxResults: typeof f['max-results'] === 'number' ? f['max-results'] : undefined,
        pageToken: typeof f['page-token'] === 'string' ? f['page-token'] : undefined,
        includeDiscarded: f['include-discarded'] === true,
      });
      out(
        ctx,
        page,
        () =>
          renderTable(
            ['ID', 'CONSUMER', 'EVENT TYPE', 'ATTEMPTS', 'DEAD-LETTERED', 'REASON'],
            page.dead_letters.map((d) => [
              d.discarded_at === null ? d.id : `${d.id} (discarded)`,
              d.consumer,
              d.event_type ?? '',
              String(d.attempts),
              formatTime(Date.parse(d.dead_lettered_at)),
              oneLine(d.reason),
            ]),
          ) + (page.next_page_token ? `more: --page-token ${page.next_page_token}\n` : ''),
      );
    },
  },
  show: {
    args: ['context', 'id'],
    summary: 'one dead letter: why, where it came from, and the event as received',
    async run(ctx, a) {
      const letter = await ctx.client.getDeadLetter(contextOf(arg(a, 'context')), arg(a, 'id'));
      out(ctx, { dead_letter: letter }, () => describe(letter));
    },
  },
  replay: {
    args: ['context', '[id]'],
    summary: 'apply a dead letter (or, with --all, every one of the context) through its consumer again, after the fix',
    flags: { all: { type: 'boolean' }, consumer: { type: 'string', placeholder: 'NAME', description: 'with --all: only this consumer' } },
    async run(ctx, a, f) {
      const context = contextOf(arg(a, 'context'));
      const id = a['id'];
      if ((id === undefined) === (f['all'] !== true)) throw new UsageError('give a dead letter id or --all');
      if (id !== undefined) {
        const result = await ctx.client.replayDeadLetter(context, id);
        out(ctx, result, () => (result.outcome === 'applied' ? `applied dead letter ${id}\n` : `replay of ${id} failed; kept: ${result.reason}\n`));
        if (result.outcome === 'failed') throw new Error(`dead letter ${id} was not applied`);
        return;
      }
      const result = await ctx.client.replayDeadLetters(context, { consumer: typeof f['consumer'] === 'string' ? f['consumer'] : undefined });
      out(ctx, result, () => {
        const lines = [`applied ${result.applied}, failed ${result.failed.length}\n`];
        for (const failed of result.failed) lines.push(`  ${failed.id}: ${oneLine(failed.reason, 120)}\n`);
        if (result.consumers_elsewhere.length > 0) lines.push(`left for the process running ${result.consumers_elsewhere.join(', ')}\n`);
        return lines.join('');
      });
      if (result.failed.length > 0) throw new Error(`${result.failed.length} dead letter(s) were not applied`);
    },
  },
  discard: {
    args: ['context', 'id'],
    summary: 'give up on a dead letter; it is kept with your name and the reason',
    flags: { reason: { type: 'string', placeholder: 'TEXT', description: 'why (required; kept on record)' } },
    async run(ctx, a, f) {
      const reason = f['reason'];
      if (typeof reason !== 'string' || reason.trim() === '') throw new UsageError('--reason is required');
      const letter = await ctx.client.discardDeadLetter(contextOf(arg(a, 'context')), arg(a, 'id'), reason);
      out(ctx, { dead_letter: letter }, () => `discarded dead letter ${letter.id} (${letter.consumer}, ${letter.event_type ?? 'unknown type'})\n`);
    },
  },
};

/**
 * `cairn backup|restore <dir>` run the server's home tool (apps/server/src/home-backup.ts) as a child,
 * as `cairn server` runs the server: it needs the database and the platform, which the CLI does not load.
 */
function runHomeTool(ctx: CommandContext, args: string[]): Promise<void> {
  const entry = path.resolve(__dirname, '..', '..', 'server', 'src', 'home-backup.js');
  const child = spawn(process.execPath, ['--enable-source-maps', entry, ...args, ...(ctx.json ? ['--json'] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pipe(ctx.stdout, { end: false });
  child.stderr.pipe(ctx.stderr, { end: false });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`${args[0] ?? ''} failed (exit ${String(code)})`))));
  });
}

/** `cairn backup <dir>` and `cairn restore <dir>`: top-level commands on the local embedded installation ($CAIRN_HOME). */
export const HOME_COMMANDS: Record<string, Command> = {
  backup: {
    args: ['dir'],
    summary: 'back up $CAIRN_HOME (database, then artifacts) into a new directory; the server may keep running',
    run: (ctx, a) => runHomeTool(ctx, ['backup', arg(a, 'dir')]),
  },
  restore: {
    args: ['dir'],
    summary: 'restore a backup into a fresh $CAIRN_HOME (no server running on it); then start cairn server',
    run: (ctx, a) => runHomeTool(ctx, ['restore', arg(a, 'dir')]),
  },
};

/** `cairn admin verify <context>`: the operator's check that a context's read model equals a rebuild from its log. */
export const ADMIN_COMMANDS: Record<string, Command> = {
  verify: {
    args: ['context'],
    summary: 'compare a read model with a rebuild from its event logs (tracking, artifacts, registry); changes nothing',
    async run(ctx, a) {
      const report = await ctx.client.verifyReadModel(contextOf(arg(a, 'context')));
      out(ctx, report, () => {
        const lines = [
          `${report.context}: ${report.rows} rows in ${report.tables} tables, ${report.consistent ? 'equal to a rebuild' : 'DIFFERENT from a rebuild'}\n`,
        ];
        for (const d of report.differences) {
          lines.push(`  ${d.table}: ${d.projection_only_count} row(s) only in the read model, ${d.rebuild_only_count} only in the rebuild\n`);
          for (const row of d.projection_only) lines.push(`    - ${JSON.stringify(row)}\n`);
          for (const row of d.rebuild_only) lines.push(`    + ${JSON.stringify(row)}\n`);
        }
        return lines.join('');
      });
      if (!report.consistent) throw new Error(`the ${report.context} read model differs from a rebuild`);
    },
  },
  rebuild: {
    args: ['context'],
    summary: 'rebuild a read model from its event logs online (shadow tables, swapped in at the end), with progress',
    flags: {
      'no-wait': { type: 'boolean', description: 'start it and return; follow it with cairn admin rebuild-status' },
      'interval-ms': { type: 'number', placeholder: 'MS', description: 'how often progress is read (default 1000)' },
    },
    async run(ctx, a, f) {
      const context = contextOf(arg(a, 'context'));
      let rebuild = await ctx.client.rebuildReadModel(context);
      if (f['no-wait'] !== true) {
        const interval = typeof f['interval-ms'] === 'number' ? f['interval-ms'] : 1000;
        let shown = '';
        while (rebuild.state === 'running') {
          if (!ctx.json) {
            const line = describeRebuild(rebuild);
            if (line !== shown) ctx.stderr.write(line);
            shown = line;
          }
          await new Promise((resolve) => setTimeout(resolve, interval));
          rebuild = await ctx.client.getReadModelRebuild(context);
        }
      }
      out(ctx, { rebuild }, () => describeRebuild(rebuild));
      if (rebuild.state === 'failed') throw new Error(`the rebuild of the ${context} read model failed; the live read model is unchanged`);
    },
  },
  'rebuild-status': {
    args: ['context'],
    summary: "the latest rebuild of a context's read model: state, phase, events applied of total",
    async run(ctx, a) {
      const rebuild = await ctx.client.getReadModelRebuild(contextOf(arg(a, 'context')));
      out(ctx, { rebuild }, () => describeRebuild(rebuild));
    },
  },
  'export-events': {
    args: [],
    summary: 'the event logs as NDJSON on stdout, for audit (each context in log order)',
    flags: {
      context: { type: 'string', placeholder: 'CONTEXT', description: 'only this context (tracking, artifacts, registry, webhooks)' },
      since: { type: 'string', placeholder: 'TIME', description: 'events that occurred at or after (ISO 8601 or epoch ms)' },
      until: { type: 'string', placeholder: 'TIME', description: 'events that occurred before (ISO 8601 or epoch ms)' },
    },
    async run(ctx, _a, f) {
      const stream = await ctx.client.exportEvents({
        context: typeof f['context'] === 'string' ? contextOf(f['context']) : undefined,
        since: typeof f['since'] === 'string' ? f['since'] : undefined,
        until: typeof f['until'] === 'string' ? f['until'] : undefined,
      });
      await pipeline(stream, ctx.stdout, { end: false });
    },
  },
};

function describeRebuild(r: ReadModelRebuildWire): string {
  const pct = r.events_total > 0 ? ` (${Math.floor((100 * r.events_applied) / r.events_total)}%)` : '';
  const when = r.finished_at === null ? `started ${formatTime(Date.parse(r.started_at))}` : `finished ${formatTime(Date.parse(r.finished_at))}`;
  return `${r.context}: ${r.state}, ${r.phase}, ${r.events_applied}/${r.events_total} events${pct}, ${when}${r.error === null ? '' : `: ${r.error}`}\n`;
}
