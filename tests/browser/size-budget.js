// Fails when what a page downloads from the built package (gzip -9) exceeds its budget: the ES
// module build (pkg/index.js plus its .wasm) against pkg/size-budget.txt, the classic-script
// build (pkg/keycadence.js) against pkg/size-budget-classic.txt (each one number of bytes),
// printing the figures. Run by scripts/test.d/wasm.sh after `npm run build`.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT } from './support/session.js';
import { SHIPPED, SHIPPED_CLASSIC, shippedSizes } from './support/size.js';

let over = false;
for (const [budgetFile, shipped] of [['size-budget.txt', SHIPPED], ['size-budget-classic.txt', SHIPPED_CLASSIC]]) {
  const budget = Number((await readFile(join(ROOT, 'pkg', budgetFile), 'utf8')).trim());
  if (!Number.isInteger(budget) || budget <= 0) {
    console.error(`pkg/${budgetFile} must hold one positive whole number of bytes`);
    process.exit(1);
  }
  const { files, total } = await shippedSizes(ROOT, shipped);
  const parts = Object.entries(files).map(([file, s]) => `${file} ${s.gzip} B`).join(' + ');
  if (total > budget) {
    console.error(`shipped size ${total} B gzip -9 (${parts}) exceeds the budget of ${budget} B in pkg/${budgetFile}`);
    over = true;
  } else {
    console.log(`shipped size ${total} B gzip -9 (${parts}), budget ${budget} B (pkg/${budgetFile})`);
  }
}
if (over) process.exit(1);
