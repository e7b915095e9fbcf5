import { shadowRewriter } from './read-model-online-rebuild';

describe("an online rebuild's projection SQL, pointed at the shadow tables", () => {
  const rewrite = shadowRewriter('tracking', ['tracking.runs', 'tracking.tags']);

  it('replaces every qualified name of a rebuilt table, quoted or not', () => {
    expect(rewrite('INSERT INTO tracking.runs (run_uuid) VALUES ($1) ON CONFLICT DO NOTHING')).toBe(
      'INSERT INTO cairn_rebuild_tracking.runs (run_uuid) VALUES ($1) ON CONFLICT DO NOTHING',
    );
    expect(rewrite('UPDATE "tracking"."runs" r SET name = $2 FROM tracking.tags t WHERE tracking.runs.run_uuid = t.run_uuid')).toBe(
      'UPDATE cairn_rebuild_tracking.runs r SET name = $2 FROM cairn_rebuild_tracking.tags t WHERE cairn_rebuild_tracking.runs.run_uuid = t.run_uuid',
    );
  });

  it('leaves tables it does not rebuild, and names that only start alike, where they are', () => {
    const untouched = 'SELECT * FROM tracking.run_references, tracking.runs_archive, tracking.trace_tags, tracking.events, xtracking.runs, registry.runs';
    expect(rewrite(untouched)).toBe(untouched);
    expect(rewrite('SELECT tracking.chunk_span(1, 2)')).toBe('SELECT tracking.chunk_span(1, 2)');
  });

  it('refuses a table name that is not schema-qualified', () => {
    expect(() => shadowRewriter('tracking', ['runs'])).toThrow(/schema-qualified/);
  });
});
