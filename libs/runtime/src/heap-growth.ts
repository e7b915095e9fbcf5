import { setFlagsFromString } from 'node:v8';

/**
 * Lets V8's old generation grow to twice its live size before a full GC, instead of the 1.1–1.5×
 * it settles on once the server has been idle. Called once, first thing, by each service process.
 *
 * Why: every body chunk Node's HTTP parser hands us is a fresh 64 KiB buffer, and V8 counts those
 * bytes against the old generation's headroom until the next full GC. With the tight limit an idle
 * server is left with (12–21 MB of headroom over ~42 MB live), a streamed upload used that headroom
 * up every ~33 MB: a full mark of the whole heap ~8 times a second, 30–60 of them per GB, which
 * doubled the server's CPU per uploaded GB (5–6 s instead of 2.2–2.7 s; `--trace-gc` shows them as
 * "finalize incremental marking via task; GC in old space requested") and made large uploads run at
 * 55–65 % of a direct MinIO PUT. With growth ×2 the same uploads see 1–3 full GCs per 3 GB.
 * The flag only changes how far the heap may grow between collections; it bounds nothing, and the
 * e2e tier still asserts < 64 MiB of growth over a 512 MiB upload.
 */
export function letHeapGrowBetweenCollections(): void {
  setFlagsFromString('--heap-growing-percent=100');
}
