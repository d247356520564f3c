// Fails when what a page downloads from the built package (pkg/index.js plus its .wasm, gzip
// -9) exceeds the budget in pkg/size-budget.txt (one number of bytes), printing the figure.
// Run by scripts/test.d/wasm.sh after `npm run build`.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT } from './support/session.js';
import { shippedSizes } from './support/size.js';

const budget = Number((await readFile(join(ROOT, 'pkg', 'size-budget.txt'), 'utf8')).trim());
if (!Number.isInteger(budget) || budget <= 0) {
  console.error('pkg/size-budget.txt must hold one positive whole number of bytes');
  process.exit(1);
}
const { files, total } = await shippedSizes(ROOT);
const parts = Object.entries(files).map(([file, s]) => `${file} ${s.gzip} B`).join(' + ');
if (total > budget) {
  console.error(`shipped size ${total} B gzip -9 (${parts}) exceeds the budget of ${budget} B in pkg/size-budget.txt`);
  process.exit(1);
}
console.log(`shipped size ${total} B gzip -9 (${parts}), budget ${budget} B`);
