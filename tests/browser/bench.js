// `npm run bench`: the figures of issue 3, measured (not asserted). Run `npm run build` first.
//   * shipped size: wasm + JS glue + shim, gzipped (level 9), next to the reference recorder's
//     9,388 bytes (typingdna.min.js v3.2 gzipped);
//   * per-key-event handler cost in headless Chromium over 10,000 key events;
//   * getTypingPattern time: type 0 on a full history, type 1 on a 30-character text.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ROOT, openPage, startSession } from './support/session.js';

const REFERENCE_GZIP = 9388;
// pkg/index.js is the shim and the wasm-bindgen glue, bundled and minified.
const SHIPPED = ['keycadence_wasm_bg.wasm', 'index.js'];

const sizes = {};
for (const file of SHIPPED) {
  const bytes = await readFile(join(ROOT, 'pkg', file));
  sizes[file] = { bytes: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
}
const total = Object.values(sizes).reduce((sum, s) => sum + s.gzip, 0);
console.log('shipped size (gzip -9):');
for (const [file, s] of Object.entries(sizes)) console.log(`  ${file.padEnd(26)} ${String(s.bytes).padStart(7)} B  ${String(s.gzip).padStart(7)} B gz`);
console.log(`  ${'total'.padEnd(26)} ${''.padStart(9)}  ${String(total).padStart(7)} B gz (reference: ${REFERENCE_GZIP} B gz, ${(total / REFERENCE_GZIP).toFixed(1)}x)`);

const session = await startSession(ROOT, { isolated: true });
try {
  const { page, errors } = await openPage(session.browser, `${session.server.url}/tests/browser/pages/bench.html`);
  await page.waitForSelector('body[data-ready="true"]');
  const r = await page.evaluate(() => window.runBenchmarks());
  if (errors.length) throw errors[0];
  const us = (x) => `${x.toFixed(1)} µs`;
  console.log(`\nkey-event handlers (Chromium ${session.browser.version()}, cross-origin isolated: ${r.isolated}, timer resolution ${us(r.timerResolutionUs)}):`);
  console.log(`  dispatch with the recorder      mean ${us(r.withRecorder.meanUs)}, p99 ${us(r.withRecorder.p99Us)} over ${r.withRecorder.n} events`);
  console.log(`  dispatch without (listeners removed) mean ${us(r.withoutRecorder.meanUs)}, p99 ${us(r.withoutRecorder.p99Us)}`);
  console.log(`  recorder handlers alone         mean ${us(r.handlerMeanUs)}`);
  console.log('\ngetTypingPattern:');
  console.log(`  type 0, full history (2000 rows), default length 160   ${us(r.getTypingPatternUs.type0Default)}`);
  console.log(`  type 0, full history, length 2000                      ${us(r.getTypingPatternUs.type0Full)}`);
  console.log(`  type 1, 30-character text, 30-key history              ${us(r.getTypingPatternUs.type1)}`);
  console.log(`  type 1, 30-character text, 2100-key history            ${us(r.getTypingPatternUs.type1FullHistory)}`);
} finally {
  await session.close();
}
