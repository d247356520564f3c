// After `wasm-opt --minify-imports-and-exports-and-modules` has shortened the module's import
// and export names (wasm-bindgen's are long and end in hashes, which gzip cannot shrink), this
// makes the wasm-bindgen glue use the new names, then checks that every name the glue uses
// exists in the module and every import the module needs is provided. Any mismatch (a
// wasm-bindgen whose glue is laid out differently) fails the build instead of shipping a module
// that cannot load.
//
// Usage: node rename-glue.mjs <wasm-opt's name map (JSON)> <glue.js> <minified module.wasm>
import { readFileSync, writeFileSync } from 'node:fs';

const [mapPath, gluePath, wasmPath] = process.argv.slice(2);
const names = JSON.parse(readFileSync(mapPath, 'utf8'));
const module = new WebAssembly.Module(readFileSync(wasmPath));
let glue = readFileSync(gluePath, 'utf8');

function fail(message) {
  console.error(`rename-glue: ${message}`);
  process.exit(1);
}

// Replaces `pattern` (a RegExp source) by `replacement`, exactly `expected` times if given.
function replace(pattern, replacement, expected) {
  let count = 0;
  glue = glue.replace(new RegExp(pattern, 'g'), () => {
    count += 1;
    return replacement;
  });
  if (expected !== undefined && count !== expected) {
    fail(`expected ${expected} occurrence(s) of /${pattern}/ in the glue, found ${count}`);
  }
}

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// The glue provides each import as a property `name: function(...)` of one object per module,
// returned as `"module": object`.
const [newModule, ...otherModules] = new Set(WebAssembly.Module.imports(module).map((i) => i.module));
if (otherModules.length > 0) fail('the module imports from more than one module');
const oldModules = new Set(names.imports.map(([oldModule]) => oldModule));
for (const oldModule of oldModules) {
  replace(`"${escape(oldModule)}":`, `"${newModule}":`, 1);
}
for (const [, oldName, newName] of names.imports) {
  replace(`(?<![\\w$])${escape(oldName)}: function\\b`, `${newName}: function`, 1);
}
// The glue calls exports as `wasm.name`; some exports it never uses.
for (const [oldName, newName] of names.exports) {
  replace(`\\bwasm\\.${escape(oldName)}\\b`, `wasm.${newName}`);
}

const exported = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
for (const [, used] of glue.matchAll(/\bwasm\.([A-Za-z_$][\w$]*)/g)) {
  if (!exported.has(used)) fail(`the glue uses wasm.${used}, which the module does not export`);
}
for (const { name } of WebAssembly.Module.imports(module)) {
  if (!new RegExp(`(?<![\\w$])${escape(name)}: function\\b`).test(glue)) {
    fail(`the module imports ${name}, which the glue does not provide`);
  }
}
writeFileSync(gluePath, glue);
