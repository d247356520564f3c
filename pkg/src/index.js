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

import init from './keycadence_wasm.js';
import TypingDNA, { markLoaded, failedToLoad } from './typingdna.js';

// Starts loading at import, so the recorder is usually ready before anyone types.
const ready = init().then(markLoaded);
// A failed load is reported through `TypingDNA.ready`, not as an unhandled rejection.
ready.catch(failedToLoad);

/** Resolves (to TypingDNA) once the wasm module is loaded and any constructed recorder listens. */
TypingDNA.ready = ready;

export { TypingDNA as default, TypingDNA, ready };
