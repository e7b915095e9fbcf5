import { ancestorsOf, parseDelimited, PREVIEW_LIMIT_BYTES, prettyJson, previewKind } from './artifact-preview';

describe('artifact previews', () => {
  it('previews images, JSON, tables and text by name, MLflow files without extension included', () => {
    expect(previewKind('plots/loss.png', 300)).toBe('image');
    expect(previewKind('summary.json', 30)).toBe('json');
    expect(previewKind('model/MLmodel', 200)).toBe('mlmodel');
    expect(previewKind('model/requirements.txt', 200)).toBe('text');
    expect(previewKind('data.csv', 200)).toBe('table');
    expect(previewKind('model/model.pkl', 200)).toBe('none');
  });

  it('offers a large file for download instead of loading it into the tab', () => {
    expect(previewKind('huge.log', PREVIEW_LIMIT_BYTES + 1)).toBe('none');
  });

  it('reads CSV as a table, quoted delimiters, quotes and line breaks included', () => {
    const csv = ['name,note', '"a, b","say ""hi"""', '"multi', 'line",x', ''].join('\r\n');
    expect(parseDelimited(csv, ',', 100)).toEqual({
      rows: [
        ['name', 'note'],
        ['a, b', 'say "hi"'],
        ['multi\r\nline', 'x'],
      ],
      truncated: false,
    });
    expect(parseDelimited('a\tb\n1\t2', '\t', 100).rows).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
  });

  it('stops a long CSV at the preview limit and says so', () => {
    const csv = Array.from({ length: 10 }, (_, i) => `${i},x`).join('\n');
    const preview = parseDelimited(csv, ',', 3);
    expect(preview.rows.length).toBe(3);
    expect(preview.truncated).toBe(true);
  });

  it('pretty-prints JSON and shows broken JSON as it is', () => {
    expect(prettyJson('{"a":1}')).toBe('{\n  "a": 1\n}');
    expect(prettyJson('{"a":')).toBe('{"a":');
  });

  it('opens every folder above a deep-linked file', () => {
    expect(ancestorsOf('a/b/c.txt')).toEqual(['a', 'a/b']);
    expect(ancestorsOf('top.txt')).toEqual([]);
  });
});
