/**
 * Paths of `sent` (nested objects and lists included) that `parsed` lacks. Request schemas are zod
 * objects, which drop keys they do not declare: a field a client sends under a name the server does
 * not read is missing from the parsed request, and shows up here.
 */
export function unreadFields(sent: unknown, parsed: unknown, path = ''): string[] {
  if (Array.isArray(sent)) return sent.flatMap((item, i) => unreadFields(item, (parsed as unknown[] | undefined)?.[i], `${path}[${i}]`));
  if (sent === null || typeof sent !== 'object') return [];
  const out = (parsed ?? {}) as Record<string, unknown>;
  return Object.entries(sent).flatMap(([key, value]) => (key in out ? unreadFields(value, out[key], `${path}.${key}`) : [`${path}.${key}`]));
}
