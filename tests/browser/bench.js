// `npm run bench`: the recorder's cost, measured (not asserted). Run `npm run build` first.
//   * what a page downloads: pkg/index.js and its .wasm, gzipped (level 9), next to the
//     reference recorder's 9,388 bytes (typingdna.min.js v3.2 gzipped);
//   * per-key-event handler cost in headless Chromium over 10,000 key events (the dispatch time
//     with the recorder listening minus the same dispatches without it);
//   * getTypingPattern time: type 0 on a full history (default length and length 2000), type 1
//     on a 30-character text.
// The browser figures are the median of three rounds, each in a fresh page.
import { ROOT, openPage, startSession } from './support/session.js';
import { SHIPPED_CLASSIC, shippedSizes } from './support/size.js';

const REFERENCE_GZIP = 9388;
const ROUNDS = 3;

const { files: sizes, total } = await shippedSizes(ROOT);
const classic = await shippedSizes(ROOT, SHIPPED_CLASSIC);

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const session = await startSession(ROOT, { isolated: true });
const rounds = [];
let environment;
try {
  for (let round = 0; round < ROUNDS; round++) {
    const { page, errors } = await openPage(session.browser, `${session.server.url}/tests/browser/pages/bench.html`);
    await page.waitForSelector('body[data-ready="true"]');
    const r = await page.evaluate(() => window.runBenchmarks());
    if (errors.length) throw errors[0];
    await page.context().close();
    environment = `Chromium ${session.browser.version()}, cross-origin isolated: ${r.isolated}, timer resolution ${r.timerResolutionUs.toFixed(1)} µs`;
    rounds.push(r);
  }
} finally {
  await session.close();
}

const figure = (read) => median(rounds.map(read));
const us = (x) => `${x.toFixed(1)} µs`.padStart(10);
console.log(`keycadence, median of ${ROUNDS} rounds (${environment}):`);
console.log(`  key-event handler cost (10,000 events, minus the browser's own dispatch)  ${us(figure((r) => r.handlerMeanUs))}`);
console.log(`    dispatch with the recorder ${us(figure((r) => r.withRecorder.meanUs))}, without ${us(figure((r) => r.withoutRecorder.meanUs))}`);
console.log(`  getTypingPattern type 0, full history, default length                       ${us(figure((r) => r.getTypingPatternUs.type0Default))}`);
console.log(`  getTypingPattern type 0, length 2000                                        ${us(figure((r) => r.getTypingPatternUs.type0Full))}`);
console.log(`  getTypingPattern type 1, 30-character text                                  ${us(figure((r) => r.getTypingPatternUs.type1))}`);
console.log(`  getTypingPattern type 1, 30-character text, 2100-key history                ${us(figure((r) => r.getTypingPatternUs.type1FullHistory))}`);
console.log('what a page downloads (gzip -9):');
for (const [file, s] of Object.entries(sizes)) {
  console.log(`  ${file.padEnd(26)} ${String(s.bytes).padStart(7)} B  ${String(s.gzip).padStart(7)} B gz`);
}
console.log(`  ${'total'.padEnd(26)} ${''.padStart(9)}  ${String(total).padStart(7)} B gz (reference: ${REFERENCE_GZIP} B gz, ${(total / REFERENCE_GZIP).toFixed(2)}x)`);
console.log(`  classic build keycadence.js ${''.padStart(7)}  ${String(classic.total).padStart(7)} B gz (one file, the module inside)`);
