// `npm run demo`: serves the repository (run `npm run build` first) and prints the demo's URL.
import { serve } from './server.js';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const { url } = await serve(root);
console.log(`demo: ${url}/www/`);
