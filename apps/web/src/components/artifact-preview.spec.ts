import { ancestorsOf, PREVIEW_LIMIT_BYTES, prettyJson, previewKind } from './artifact-preview';

describe('artifact previews', () => {
  it('previews images, JSON and text by name, MLflow files without extension included', () => {
    expect(previewKind('plots/loss.png', 300)).toBe('image');
    expect(previewKind('summary.json', 30)).toBe('json');
    expect(previewKind('model/MLmodel', 200)).toBe('text');
    expect(previewKind('data.csv', 200)).toBe('text');
    expect(previewKind('model/model.pkl', 200)).toBe('none');
  });

  it('offers a large file for download instead of loading it into the tab', () => {
    expect(previewKind('huge.log', PREVIEW_LIMIT_BYTES + 1)).toBe('none');
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
