// Real typists' rhythms for the browser tests, derived at test time from the Aalto keystroke
// data in ../shared/data/aalto-dev (never copied into the repository): each typist's hold
// times per key and press-to-press flights per key pair, from the sentences they typed. A text
// is then typed through Playwright's keyboard (trusted key events) with that typist's timings:
// for each key or pair a value near the typist's median (a different percentile per attempt),
// and the typist's overall median where they never typed a key or pair.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ROOT } from './session.js';

export const AALTO = join(ROOT, '..', 'shared', 'data', 'aalto-dev', 'keystrokes');

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

/** The rhythm of Aalto participant `id`: `{ holds, flights, holdMedian, flightMedian }`. */
export async function aaltoTypist(id) {
  const text = gunzipSync(await readFile(join(AALTO, `${id}_keystrokes.txt.gz`))).toString('utf8');
  const sentences = new Map();
  for (const line of text.split('\n').slice(1)) {
    const cols = line.split('\t');
    if (cols.length < 9) continue;
    const press = Number(cols[5]);
    const release = Number(cols[6]);
    const letter = cols[7];
    if (!Number.isFinite(press) || !Number.isFinite(release)) continue;
    if (!sentences.has(cols[1])) sentences.set(cols[1], []);
    sentences.get(cols[1]).push({ press, release, letter });
  }
  const holds = new Map();
  const flights = new Map();
  const push = (map, key, value) => (map.get(key) ?? map.set(key, []).get(key)).push(value);
  for (const keys of sentences.values()) {
    keys.sort((a, b) => a.press - b.press);
    let previous = null;
    for (const { press, release, letter } of keys) {
      // Characters only: modifiers and editing keys have names of more than one letter.
      if ([...letter].length !== 1) {
        previous = null;
        continue;
      }
      const key = letter.toLowerCase();
      const hold = release - press;
      if (hold > 0 && hold < 1000) push(holds, key, hold);
      if (previous) {
        const flight = press - previous.press;
        if (flight > 0 && flight < 2000) push(flights, previous.key + key, flight);
      }
      previous = { key, press };
    }
  }
  const all = (map) => [...map.values()].flat();
  return { id, holds, flights, holdMedian: median(all(holds)), flightMedian: median(all(flights)) };
}

const sleep = (ms) => new Promise((done) => setTimeout(done, Math.max(0, ms)));

/**
 * Types `text` into the focused element with `typist`'s rhythm, attempt `attempt` (0, 1, ...)
 * choosing which of their samples to use. Keys overlap where the typist's hold outlasts the
 * flight to the next key, as in the data. Capitals are typed with Shift.
 */
export async function typeLike(page, typist, text, attempt = 0) {
  const sample = (map, key, fallback) => {
    const values = map.get(key);
    if (!values) return fallback;
    // Around the median (its 40th to 60th percentiles, by attempt): someone typing the same
    // phrase again is steadier than their timings over all the sentences they typed.
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor((sorted.length - 1) * (0.4 + 0.05 * (attempt % 5)))];
  };
  const events = [];
  let t = 0;
  let previous = null;
  for (const c of text) {
    const key = c.toLowerCase();
    if (previous !== null) t += sample(typist.flights, previous + key, typist.flightMedian);
    const hold = sample(typist.holds, key, typist.holdMedian);
    const name = c === ' ' ? 'Space' : /[a-z]/i.test(c) ? `Key${c.toUpperCase()}` : c;
    if (c !== key) {
      events.push([t - 40, 'down', 'Shift'], [t + hold + 15, 'up', 'Shift']);
    }
    events.push([t, 'down', name], [t + hold, 'up', name]);
    previous = key;
  }
  events.sort((a, b) => a[0] - b[0]);
  const origin = events[0][0];
  const start = performance.now();
  for (const [at, action, name] of events) {
    await sleep(at - origin - (performance.now() - start));
    await page.keyboard[action](name);
  }
}
