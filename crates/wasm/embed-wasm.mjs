// Puts the wasm module inside the classic-script build (pkg/keycadence.js) as one string whose
// char codes are the module's bytes, for pkg/src/classic.js to instantiate synchronously. The
// string is a plain ASCII literal: printable bytes as themselves, the others as escapes. ASCII
// survives whatever charset a page loads the script with, and gzips about 2 KB smaller than
// base64 of the same module (escapes repeat as the module's bytes do; base64 spreads each byte
// over two characters in one of four alignments).
//
// The minifier would turn the escapes back into raw (non-ASCII) characters, so the bundle is
// built around a placeholder, which the literal then replaces:
//   node embed-wasm.mjs placeholder <out.js>          the module classic.js imports
//   node embed-wasm.mjs inline <module.wasm> <bundle>  the placeholder, replaced in the bundle
import { readFileSync, writeFileSync } from 'node:fs';

const PLACEHOLDER = '@@keycadence-wasm@@';
const [mode, ...paths] = process.argv.slice(2);

function fail(message) {
  console.error(`embed-wasm: ${message}`);
  process.exit(1);
}

if (mode === 'placeholder') {
  writeFileSync(paths[0], `export default ${JSON.stringify(PLACEHOLDER)};\n`);
} else if (mode === 'inline') {
  const [wasmPath, bundlePath] = paths;
  const bytes = readFileSync(wasmPath);
  const SHORT = { 0x08: '\\b', 0x09: '\\t', 0x0a: '\\n', 0x0b: '\\v', 0x0c: '\\f', 0x0d: '\\r', 0x22: '\\"', 0x5c: '\\\\' };
  let text = '';
  bytes.forEach((byte, i) => {
    if (SHORT[byte]) text += SHORT[byte];
    // `\0` only when no digit follows (`\01` would be a legacy octal escape).
    else if (byte === 0 && !(bytes[i + 1] >= 0x30 && bytes[i + 1] <= 0x39)) text += '\\0';
    // (`<` escaped too, so no `</script` appears if the script is ever inlined in a page.)
    else if (byte >= 0x20 && byte < 0x7f && byte !== 0x3c) text += String.fromCharCode(byte);
    else text += `\\x${byte.toString(16).padStart(2, '0')}`;
  });
  const bundle = readFileSync(bundlePath, 'utf8');
  // The minifier may quote the placeholder with any of the three quotes.
  const quoted = new RegExp(`(["'\`])${PLACEHOLDER}\\1`, 'g');
  const found = bundle.match(quoted)?.length ?? 0;
  if (found !== 1) fail(`expected the placeholder once in ${bundlePath}, found it ${found} times`);
  const out = bundle.replace(quoted, () => `"${text}"`);
  if (/[^\x00-\x7f]/.test(out)) fail(`${bundlePath} is not ASCII`);
  writeFileSync(bundlePath, out);
} else {
  fail('usage: embed-wasm.mjs placeholder <out.js> | inline <module.wasm> <bundle.js>');
}
