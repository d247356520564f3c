// What a page downloads from the package, each file gzipped at level 9: the ES module build
// (pkg/index.js, the shim and the wasm-bindgen glue bundled and minified, and its wasm module)
// or the classic-script build (pkg/keycadence.js, the module inside it).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export const SHIPPED = ['index.js', 'keycadence_wasm_bg.wasm'];
export const SHIPPED_CLASSIC = ['keycadence.js'];

/** `{ files: { name: { bytes, gzip } }, total }` for `shipped` of the built package in `root`/pkg. */
export async function shippedSizes(root, shipped = SHIPPED) {
  const files = {};
  for (const file of shipped) {
    const bytes = await readFile(join(root, 'pkg', file));
    files[file] = { bytes: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
  }
  const total = Object.values(files).reduce((sum, s) => sum + s.gzip, 0);
  return { files, total };
}
