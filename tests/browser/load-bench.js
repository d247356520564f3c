// `npm run bench:load`: what loading the recorder costs a page, measured (not asserted). Run
// `npm run build` first.
//   * sizes (gzip -9): the classic-script build (pkg/keycadence.js) and the ES module build
//     (pkg/index.js + its .wasm), next to the reference recorder's 9,388 bytes;
//   * classic build: from the script tag to a usable recorder (download from a local server,
//     base64 decoding, synchronous compile and instantiation, `new TypingDNA()`), the part of
//     it after the script's last byte arrived, and the synchronous compile and instantiation
//     of the module alone;
//   * ES module build: from navigation start to `TypingDNA.ready`.
// Medians of ten fresh pages each, in headless Chromium.
import { ROOT, openPage, startSession } from './support/session.js';
import { SHIPPED_CLASSIC, shippedSizes } from './support/size.js';

const REFERENCE_GZIP = 9388;
const ROUNDS = 10;
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const classic = await shippedSizes(ROOT, SHIPPED_CLASSIC);
const module = await shippedSizes(ROOT);
console.log(`size, gzip -9: classic keycadence.js ${classic.total} B; module index.js + wasm ${module.total} B ` +
  `(${Object.values(module.files).map((f) => f.gzip).join(' + ')}); reference typingdna.min.js ${REFERENCE_GZIP} B`);

const session = await startSession();
try {
  const tagToUsable = [];
  const afterDownload = [];
  const compile = [];
  const moduleReady = [];
  for (let round = 0; round < ROUNDS; round++) {
    const { page, errors } = await openPage(session.browser, `${session.server.url}/tests/browser/pages/classic.html`);
    const times = await page.evaluate(() => {
      const entry = performance.getEntriesByType('resource').find((e) => e.name.endsWith('/pkg/keycadence.js'));
      return [window.usableAt - window.tagAt, window.usableAt - entry.responseEnd];
    });
    tagToUsable.push(times[0]);
    afterDownload.push(times[1]);
    compile.push(await page.evaluate(async () => {
      const response = await fetch('/pkg/keycadence_wasm_bg.wasm');
      const bytes = new Uint8Array(await response.arrayBuffer());
      const start = performance.now();
      const module = new WebAssembly.Module(bytes);
      // (The imports are not called at instantiation; stubs satisfy the linker.)
      const imports = {};
      for (const i of WebAssembly.Module.imports(module)) {
        (imports[i.module] ??= {})[i.name] = i.kind === 'function' ? () => {} : undefined;
      }
      try {
        new WebAssembly.Instance(module, imports);
      } catch {}
      return performance.now() - start;
    }));
    if (errors.length) throw errors[0];
    await page.context().close();

    const early = await openPage(session.browser, `${session.server.url}/tests/browser/pages/early.html`);
    moduleReady.push(await early.page.evaluate(async () => {
      await window.TypingDNA.ready;
      return performance.now();
    }));
    await early.page.context().close();
  }
  const ms = (values) => `${median(values).toFixed(1)} ms (min ${Math.min(...values).toFixed(1)}, max ${Math.max(...values).toFixed(1)})`;
  console.log(`Chromium ${session.browser.version()}, median of ${ROUNDS} fresh pages:`);
  console.log(`  classic: script tag to usable recorder ${ms(tagToUsable)}`);
  console.log(`  classic: from the script's last byte to a usable recorder (parse, decode, compile, instantiate) ${ms(afterDownload)}`);
  console.log(`  classic: synchronous compile + instantiate of the module alone ${ms(compile)}`);
  console.log(`  module:  navigation start to TypingDNA.ready ${ms(moduleReady)}`);
} finally {
  await session.close();
}
