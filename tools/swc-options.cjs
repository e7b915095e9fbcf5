// One SWC configuration for the build (tools/build.mjs) and for jest, so tests run the code the
// way production runs it: legacy decorators with emitted metadata (NestJS DI needs it).
const path = require('node:path');
const { readFileSync } = require('node:fs');

const root = path.resolve(__dirname, '..');
const tsconfig = JSON.parse(readFileSync(path.join(root, 'tsconfig.base.json'), 'utf8'));

function swcOptions({ withPaths }) {
  return {
    sourceMaps: true,
    module: { type: 'commonjs' },
    jsc: {
      target: 'es2022',
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      keepClassNames: true,
      ...(withPaths ? { baseUrl: root, paths: tsconfig.compilerOptions.paths } : {}),
    },
  };
}

module.exports = { root, tsconfig, swcOptions };
