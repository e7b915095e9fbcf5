import { canonicalExperimentId } from './locating';

describe('locating helpers', () => {
  it('name an experiment by the number Postgres reads', () => {
    expect(canonicalExperimentId('007')).toBe('7');
    expect(canonicalExperimentId('0')).toBe('0');
    expect(canonicalExperimentId('900719925474099312')).toBe('900719925474099312');
    expect(canonicalExperimentId('traces')).toBe('traces');
  });
});
