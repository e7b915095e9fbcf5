import { formatBytes, formatDuration, formatValue } from './format';

describe('formatting for people', () => {
  it('says durations the way people say them, a running run counted to now', () => {
    expect(formatDuration(0, 850)).toBe('850 ms');
    expect(formatDuration(0, 42_000)).toBe('42 s');
    expect(formatDuration(0, 200_000)).toBe('3 min 20 s');
    expect(formatDuration(0, 7_500_000)).toBe('2 h 5 min');
    expect(formatDuration(1000, undefined, 61_000)).toBe('1 min 0 s');
    expect(formatDuration(undefined, 5)).toBe('—');
  });

  it('shows metric values to six significant digits and MLflow NaN strings as they are', () => {
    expect(formatValue(0.1234567891)).toBe('0.123457');
    expect(formatValue(42)).toBe('42');
    expect(formatValue('NaN')).toBe('NaN');
    expect(formatValue(undefined)).toBe('');
  });

  it('sizes files in B, KB, MB and GB', () => {
    expect(formatBytes(135)).toBe('135 B');
    expect(formatBytes(2048)).toBe('2.0 KB');
    expect(formatBytes(5 * 1024 ** 2)).toBe('5.0 MB');
    expect(formatBytes(3 * 1024 ** 3)).toBe('3.00 GB');
  });
});
