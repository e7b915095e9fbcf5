import { locateFilterError, splitAtError } from './filter-error';

describe('where a filter error is', () => {
  it("marks the token at Cairn's reported position and drops the position from the message", () => {
    const filter = "metrics.loss < 0.5 and params.lr ~ '1'";
    const located = locateFilterError("Invalid clause(s) in filter string: unexpected character '~' (at position 33)", filter);
    expect(located).toEqual({ message: "Invalid clause(s) in filter string: unexpected character '~'", position: 33, length: 1 });
    expect(splitAtError(filter, located)).toEqual({ before: 'metrics.loss < 0.5 and params.lr ', at: '~', after: " '1'" });
  });

  it('marks a whole word or quoted value starting at the position', () => {
    expect(locateFilterError('bad (at position 0)', 'metricz.loss > 1')).toMatchObject({ position: 0, length: 12 });
    expect(locateFilterError('bad (at position 9)', "params.a 'unterminated")).toMatchObject({ position: 9, length: 13 });
  });

  it("finds the fragment MLflow's messages quote when there is no position", () => {
    const filter = 'metrics.acc > 1 and tags.x IS NULL';
    expect(locateFilterError("Invalid clause(s) in filter string: 'tags.x IS NULL'", filter)).toMatchObject({ position: 20, length: 14 });
  });

  it('has no position for a message that names nothing in the string', () => {
    const located = locateFilterError('Filter too long', 'a = 1');
    expect(located.position).toBeUndefined();
    expect(splitAtError('a = 1', located)).toBeUndefined();
  });

  it('clamps a position past the end (a clause cut short) to the end', () => {
    expect(locateFilterError('expected a value (at position 99)', 'metrics.loss <')).toMatchObject({ position: 14 });
  });
});
