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
// returned as `"module": object`. An import wasm-bindgen needs no glue for (numbers in and out)
// the module takes from the JavaScript module that exports it, which the glue imports whole
// (`import * as importN from "module"`) and returns as `"module": importN`. wasm-opt gave all
// the modules one name: the glue's own object provides every import, those as
// `newName: importN.oldName`.
const [newModule, ...otherModules] = new Set(WebAssembly.Module.imports(module).map((i) => i.module));
if (otherModules.length > 0) fail('the minified module imports from more than one module');
const direct = new Map();
for (const [, oldModule, namespace] of glue.matchAll(/^\s*"([^"]+)": (import[1-9]\d*),$/gm)) {
  direct.set(oldModule, namespace);
}
const oldModules = new Set(names.imports.map(([oldModule]) => oldModule));
const glueModules = [...oldModules].filter((oldModule) => !direct.has(oldModule));
if (glueModules.length !== 1) fail(`expected one module of glue functions, found ${glueModules.length}`);
replace(`"${escape(glueModules[0])}":`, `"${newModule}":`, 1);
const reexported = [];
for (const [oldModule, oldName, newName] of names.imports) {
  if (direct.has(oldModule)) {
    reexported.push(`${newName}: ${direct.get(oldModule)}.${oldName},`);
  } else {
    replace(`(?<![\\w$])${escape(oldName)}: function\\b`, `${newName}: function`, 1);
  }
}
for (const [oldModule] of direct) {
  replace(`\\n\\s*"${escape(oldModule)}": import[1-9]\\d*,(?=\\n)`, '', 1);
}
replace('const import0 = \\{', `const import0 = {\n${reexported.join('\n')}`, 1);
// The glue calls exports as `wasm.name`; some exports it never uses.
for (const [oldName, newName] of names.exports) {
  replace(`\\bwasm\\.${escape(oldName)}\\b`, `wasm.${newName}`);
}

// `initSync` also takes its module bare, deprecated with a console warning; the shim always
// passes `{ module }` (pkg/src/index.js, pkg/src/classic.js), so only that form is kept.
const bareModule = `
    if (module !== undefined) {
        if (Object.getPrototypeOf(module) === Object.prototype) {
            ({module} = module)
        } else {
            console.warn('using deprecated parameters for \`initSync()\`; pass a single object instead')
        }
    }
`;
replace(escape(bareModule), '\n    ({ module } = module);\n', 1);

const exported = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
for (const [, used] of glue.matchAll(/\bwasm\.([A-Za-z_$][\w$]*)/g)) {
  if (!exported.has(used)) fail(`the glue uses wasm.${used}, which the module does not export`);
}
for (const { name } of WebAssembly.Module.imports(module)) {
  if (!new RegExp(`(?<![\\w$])${escape(name)}: (function\\b|import[1-9])`).test(glue)) {
    fail(`the module imports ${name}, which the glue does not provide`);
  }
}
writeFileSync(gluePath, glue);
