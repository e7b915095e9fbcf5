import { progressBar, renderTable } from './output';

describe('output', () => {
  it('aligns table columns and says (none) for an empty list', () => {
    expect(
      renderTable(
        ['ID', 'NAME'],
        [
          ['0', 'Default'],
          ['12', 'churn'],
        ],
      ),
    ).toBe('ID  NAME\n0   Default\n12  churn\n');
    expect(renderTable(['ID'], [])).toBe('(none)\n');
  });

  it('draws a progress bar only on a terminal', () => {
    let tty = '';
    const bar = progressBar('weights.bin', { isTTY: true, columns: 100, write: (s: string) => (tty += s) });
    bar.update(4 * 1024 * 1024, 8 * 1024 * 1024);
    bar.update(8 * 1024 * 1024, 8 * 1024 * 1024);
    bar.finish();
    expect(tty).toContain('100%');
    expect(tty).toContain('8.0 MiB / 8.0 MiB');
    expect(tty.endsWith('\n')).toBe(true);

    let piped = '';
    const quiet = progressBar('weights.bin', { isTTY: false, write: (s: string) => (piped += s) });
    quiet.update(1, 2);
    quiet.finish();
    expect(piped).toBe('');
  });
});
