// What a page downloads from the package: pkg/index.js (the shim and the wasm-bindgen glue,
// bundled and minified) and its wasm module, each gzipped at level 9.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export const SHIPPED = ['index.js', 'keycadence_wasm_bg.wasm'];

/** `{ files: { name: { bytes, gzip } }, total }` for the built package in `root`/pkg. */
export async function shippedSizes(root) {
  const files = {};
  for (const file of SHIPPED) {
    const bytes = await readFile(join(root, 'pkg', file));
    files[file] = { bytes: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
  }
  const total = Object.values(files).reduce((sum, s) => sum + s.gzip, 0);
  return { files, total };
}
