import { isDockerIgnored } from './dockerfile';

// The replay of docker/Dockerfile builds its context as `docker build` would: what .dockerignore
// leaves out must be left out here too, or the replay would pass with files the image never gets.
describe('.dockerignore matching', () => {
  const patterns = ['**/node_modules', 'dist', 'libs/platform/src/infra/prisma/generated', '*.log', '!keep.log'];

  it('leaves out a directory named anywhere by **/, and everything under it', () => {
    expect(isDockerIgnored('node_modules', patterns)).toBe(true);
    expect(isDockerIgnored('libs/sdk/node_modules/zod/index.js', patterns)).toBe(true);
  });

  it('anchors a plain pattern at the context root', () => {
    expect(isDockerIgnored('dist/apps/server/src/main.js', patterns)).toBe(true);
    expect(isDockerIgnored('libs/dist/file.ts', patterns)).toBe(false);
    expect(isDockerIgnored('libs/platform/src/infra/prisma/generated/client.ts', patterns)).toBe(true);
    expect(isDockerIgnored('libs/platform/src/infra/prisma/schema.ts', patterns)).toBe(false);
  });

  it('lets a later ! pattern bring a file back', () => {
    expect(isDockerIgnored('build.log', patterns)).toBe(true);
    expect(isDockerIgnored('keep.log', patterns)).toBe(false);
    expect(isDockerIgnored('logs/build.log', patterns)).toBe(false);
  });
});
