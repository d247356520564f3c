// keycadence's classic-script build (`keycadence/classic`, the file keycadence.js): for pages
// that load typingdna.js with `<script src>` and use it at once. One file, no other request: the
// wasm module travels inside it (a string whose char codes are its bytes, put in by
// `npm run build`, see crates/wasm/embed-wasm.mjs) and is compiled and instantiated
// synchronously while the script runs, so `TypingDNA` is a global whose every method answers
// as soon as the tag has run:
//
//   <script src="keycadence.js"></script>
//   <script>
//     var tdna = new TypingDNA();
//     tdna.getTypingPattern({ type: 1, text: 'hello world' });
//   </script>
//
// Synchronous compilation: Chromium refuses `new WebAssembly.Module` on the main thread only for
// buffers above 8 MB ("WebAssembly.Compile is disallowed on the main thread, if the buffer size
// is larger than 8MB", checked in Chromium 156); this module is about 50 KB.

import { initSync } from './keycadence_wasm.js';
import TypingDNA, { markLoaded } from './typingdna.js';
import text from './keycadence_wasm_bytes.js';

const bytes = new Uint8Array(text.length);
for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
initSync({ module: bytes });
markLoaded();

// For code written against the ES module build, which awaits it.
TypingDNA.ready = Promise.resolve(TypingDNA);

// typingdna.js declares `function TypingDNA` at the top level of a classic script: a global.
globalThis.TypingDNA = TypingDNA;
