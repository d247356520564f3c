// `npm run bench`: the recorder's cost, measured (not asserted). Run `npm run build` first.
//   * what a page downloads: pkg/index.js and its .wasm, gzipped (level 9);
//   * per-key-event handler cost in headless Chromium (the dispatch time with the recorder
//     listening minus the same dispatches without it), timed per event over 10,000 events, and
//     timed as batches of 10,000 (the per-event times sit at the timer's resolution);
//   * getTypingPattern time: type 0 on a full history (default length and length 2000), type 1
//     on a 30-character text (the mean of 500 calls after one, as the figure was first taken,
//     with the slowest of those calls, and again after 2,500 calls, when both engines have
//     optimised the code), and the first type 1 pattern of a fresh page (what a sign-in page
//     pays): once with the 30 keys typed as a person types them, once with them dispatched at
//     once as soon as the recorder is ready (no idle time before the pattern is asked for).
// The browser figures are the median of three rounds, each in a fresh page (the first pattern:
// of seven pages).
//
// `npm run bench -- --reference path/to/typingdna.js` measures the reference recorder too, with
// the same page code in the same browser, and prints the two side by side (the file is served
// to the page from where it is; nothing of it is kept). Without it, the size is compared with
// the reference's published 9,388 B (typingdna.min.js v3.2 gzipped).
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { ROOT, openPage, startSession } from './support/session.js';
import { SHIPPED_CLASSIC, shippedSizes } from './support/size.js';

const REFERENCE_GZIP = 9388;
const ROUNDS = 3;
const FIRST_PATTERN_PAGES = 7;

const { values: args } = parseArgs({ options: { reference: { type: 'string' } } });
const referenceFile = args.reference && resolve(args.reference);

const { files: sizes, total } = await shippedSizes(ROOT);
const classic = await shippedSizes(ROOT, SHIPPED_CLASSIC);
const referenceGzip = referenceFile ? gzipSync(await readFile(referenceFile), { level: 9 }).length : REFERENCE_GZIP;

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Three rounds of the bench page for one recorder, each in a fresh page. */
async function measure(session, recorder) {
  const rounds = [];
  // The reference is served from its own file at the path the page loads it from.
  const prepare = async (context) => {
    if (referenceFile) {
      await context.route('**/reference/typingdna.js', (route) =>
        route.fulfill({ path: referenceFile, contentType: 'text/javascript' }));
    }
  };
  const url = `${session.server.url}/tests/browser/pages/bench.html?recorder=${recorder}`;
  async function inFreshPage(run) {
    const { page, errors } = await openPage(session.browser, url, {}, prepare);
    await page.waitForSelector('body[data-ready="true"]');
    const result = await page.evaluate(run);
    if (errors.length) throw errors[0];
    await page.context().close();
    return result;
  }
  for (let round = 0; round < ROUNDS; round++) rounds.push(await inFreshPage(() => window.runBenchmarks()));
  const firstPatterns = [];
  const firstPatternsTyped = [];
  for (let page = 0; page < FIRST_PATTERN_PAGES; page++) {
    firstPatterns.push(await inFreshPage(() => window.firstPattern()));
    firstPatternsTyped.push(await inFreshPage(() => window.firstPatternTyped()));
  }
  const figure = (read) => median(rounds.map(read));
  return {
    environment: `cross-origin isolated: ${rounds[0].isolated}, timer resolution ${rounds[0].timerResolutionUs.toFixed(1)} µs`,
    handler: figure((r) => r.handlerMeanUs),
    dispatchWith: figure((r) => r.withRecorder.meanUs),
    dispatchWithout: figure((r) => r.withoutRecorder.meanUs),
    handlerBatch: figure((r) => r.handlerBatchUs),
    batchWith: figure((r) => r.batch.withRecorderUs),
    batchWithout: figure((r) => r.batch.withoutRecorderUs),
    type0Default: figure((r) => r.getTypingPatternUs.type0Default),
    type0Full: figure((r) => r.getTypingPatternUs.type0Full),
    type1: figure((r) => r.getTypingPatternUs.type1),
    type1Slowest: figure((r) => r.getTypingPatternUs.type1Slowest),
    type1Warm: figure((r) => r.getTypingPatternUs.type1Warm),
    firstPattern: median(firstPatterns),
    firstPatternTyped: median(firstPatternsTyped),
    type1FullHistory: figure((r) => r.getTypingPatternUs.type1FullHistory),
  };
}

const session = await startSession(ROOT, { isolated: true });
let ours;
let theirs;
try {
  ours = await measure(session, 'keycadence');
  if (referenceFile) theirs = await measure(session, 'reference');
  console.log(`median of ${ROUNDS} rounds, Chromium ${session.browser.version()}, ${ours.environment}`);
} finally {
  await session.close();
}

const us = (x) => `${x.toFixed(1)} µs`;
const bytes = (n) => `${n.toLocaleString('en-US')} B`;
const rows = [
  ["key-event handler cost, per-event timing (10,000 events, minus the browser's own dispatch)", 'handler', us],
  ['  dispatch with the recorder', 'dispatchWith', us],
  ['  dispatch without it', 'dispatchWithout', us],
  ['key-event handler cost, batch timing (median of 5 batches of 10,000 events)', 'handlerBatch', (x) => `${x.toFixed(2)} µs`],
  ['  dispatch with the recorder', 'batchWith', (x) => `${x.toFixed(2)} µs`],
  ['  dispatch without it', 'batchWithout', (x) => `${x.toFixed(2)} µs`],
  ['getTypingPattern type 0, full history, default length', 'type0Default', us],
  ['getTypingPattern type 0, length 2000', 'type0Full', us],
  ['getTypingPattern type 1, 30-character text (500 calls after one)', 'type1', us],
  ['  the slowest of the 500 calls', 'type1Slowest', us],
  ['getTypingPattern type 1, 30-character text, after 2,500 calls', 'type1Warm', us],
  [`first getTypingPattern type 1 of a fresh page, 30 keys dispatched at once (median of ${FIRST_PATTERN_PAGES} pages)`, 'firstPattern', us],
  [`first getTypingPattern type 1 of a fresh page, 30 keys typed 100 ms apart (median of ${FIRST_PATTERN_PAGES} pages)`, 'firstPatternTyped', us],
  ['getTypingPattern type 1, 30-character text, 2100-key history', 'type1FullHistory', us],
];
const line = (label, mine, reference = '', ratio = '') =>
  console.log(`${label.padEnd(92)} ${mine.padStart(12)} ${reference.padStart(14)} ${ratio.padStart(7)}`);
line('figure', 'keycadence', theirs ? 'typingdna.js' : '', theirs ? 'ratio' : '');
for (const [label, key, format] of rows) {
  const ratio = theirs && !label.startsWith('  ') ? (ours[key] / theirs[key]).toFixed(2) : '';
  line(label, format(ours[key]), theirs ? format(theirs[key]) : '', ratio);
}
const referenceLabel = referenceFile ? '' : ` (reference ${bytes(REFERENCE_GZIP)}, published)`;
line(`what a page downloads (gzip -9)${referenceLabel}`, bytes(total), theirs ? bytes(referenceGzip) : '', (total / referenceGzip).toFixed(2));
for (const [file, s] of Object.entries(sizes)) line(`  ${file} (${bytes(s.bytes)})`, bytes(s.gzip));
line('classic build keycadence.js (one file, the module inside)', bytes(classic.total));
