import { diffPackages, environmentPackagesOf, environmentPackagesTags, parseFreeze } from './run-environment';

describe("a run's recorded environment", () => {
  it('reads a pip freeze by normalised name, with the python version and direct references', () => {
    expect(parseFreeze('# python 3.11.7\nScikit_Learn==1.9.1\nnumpy===2.4.6\nmypkg @ file:///src/mypkg\n\n')).toEqual({
      python: '3.11.7',
      'scikit-learn': '1.9.1',
      numpy: '2.4.6',
      mypkg: 'file:///src/mypkg',
    });
  });

  it('splits a long package list over numbered tags within the tag limit, and reads every one back', () => {
    const packages = Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`package-number-${String(i).padStart(3, '0')}`, `1.${i}.0`]));
    const tags = environmentPackagesTags(packages);
    expect(Object.keys(tags).length).toBeGreaterThan(1);
    for (const value of Object.values(tags)) expect(value.length).toBeLessThanOrEqual(5000);
    expect(environmentPackagesOf(Object.entries(tags).map(([key, value]) => ({ key, value })))).toEqual(packages);
    expect(environmentPackagesOf([{ key: 'cairn.env.packages.omitted', value: '3' }])).toBeUndefined();
  });

  it('names the packages whose versions differ, and those installed on one side only', () => {
    expect(diffPackages({ numpy: '2.4.6', 'scikit-learn': '1.9.1', x: '1' }, { numpy: '2.4.6', 'scikit-learn': '1.9.0', y: '2' })).toEqual([
      { name: 'scikit-learn', run_a: '1.9.1', run_b: '1.9.0' },
      { name: 'x', run_a: '1' },
      { name: 'y', run_b: '2' },
    ]);
  });
});
