import { changeSummary, changeTitle, localInputToEpoch } from './model-history';

describe('model history timeline', () => {
  it('names a change in words', () => {
    expect(changeTitle('registry.model_version.stage_transitioned.v1')).toBe('model version stage transitioned');
    expect(changeTitle('registry.alias_set.v2')).toBe('alias set');
  });

  it('lists only what changed, added and removed fields included', () => {
    expect(changeSummary({ type: 't', before: { stage: 'None', name: 'm' }, after: { stage: 'Staging', name: 'm' } })).toEqual(['stage: None → Staging']);
    expect(changeSummary({ type: 't', before: null, after: { alias: 'champion', version: '2' } })).toEqual(['alias: ∅ → champion', 'version: ∅ → 2']);
    expect(changeSummary({ type: 't', before: { alias: 'champion' }, after: null })).toEqual(['alias: champion → ∅']);
  });

  it('reads the as-of picker as local time', () => {
    expect(localInputToEpoch('2026-12-08T14:03')).toBe(new Date(2026, 11, 8, 14, 3).getTime());
    expect(localInputToEpoch('')).toBeUndefined();
    expect(localInputToEpoch('not a date')).toBeUndefined();
  });
});
