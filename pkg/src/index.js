// keycadence: a typing-biometrics recorder that drops in where the TypingDNA JavaScript recorder
// v3.2 was. This is the ES module build: it fetches the wasm module (keycadence_wasm_bg.wasm,
// next to this file) at import; `npm run build` bundles this file, the class (typingdna.js) and
// the wasm-bindgen glue into the package's minified index.js. Keys typed between
// `new TypingDNA()` and the module's arrival wait in the event queue with their own timestamps.
//
//   import TypingDNA from 'keycadence';
//   const tdna = new TypingDNA();           // keys are recorded from here on
//   await TypingDNA.ready;                  // resolves once it is
//   tdna.getTypingPattern({ type: 1, text: 'hello world' });
//
// Pages written for typingdna.js as a classic script use the classic build (classic.js).

import { initSync } from './keycadence_wasm.js';
import TypingDNA, { markLoaded, failedToLoad } from './typingdna.js';

/**
 * The module next to this file, compiled while it downloads when the server labels it
 * `application/wasm` (streaming compilation requires that type), from its bytes otherwise.
 * (The glue's own loader does the same with more code; the page pays for every byte of it.)
 */
async function compile() {
  const url = new URL('keycadence_wasm_bg.wasm', import.meta.url);
  const response = await fetch(url);
  if (!response.ok) throw new Error(`keycadence: fetching ${url} failed: ${response.status}`);
  return response.headers.get('Content-Type') == 'application/wasm'
    ? WebAssembly.compileStreaming(response)
    : WebAssembly.compile(await response.arrayBuffer());
}

// Starts loading at import, so the recorder is usually ready before anyone types. Instantiating
// a compiled module this small synchronously is allowed on the main thread.
const ready = compile().then((module) => {
  initSync({ module });
  return markLoaded();
});
// A failed load is reported through `TypingDNA.ready`, not as an unhandled rejection.
ready.catch(failedToLoad);

/** Resolves (to TypingDNA) once the wasm module is loaded and any constructed recorder listens. */
TypingDNA.ready = ready;

export { TypingDNA as default, TypingDNA, ready };
