/**
 * The artifact path of a request, taken from the raw URL (not the router's decoded parameter), so
 * that the one decoding that counts is the path module's decode-until-stable.
 */
export function rawPathAfter(url: string, marker: string): string {
  const query = url.indexOf('?');
  const pathname = query === -1 ? url : url.slice(0, query);
  const at = pathname.indexOf(marker);
  return at === -1 ? '' : pathname.slice(at + marker.length);
}
