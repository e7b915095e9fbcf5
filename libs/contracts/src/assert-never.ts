/** The end of an exhaustive `switch`: the compiler proves it unreachable; at run time it names what slipped through. */
export function assertNever(value: never, what = 'case'): never {
  throw new Error(`unhandled ${what} ${JSON.stringify(value)}`);
}
