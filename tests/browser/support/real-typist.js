// A typist whose rhythm comes from a real person's keystrokes in the Aalto data set
// (../shared/data/aalto-dev, read at run time, never copied): each key's hold time and each
// key pair's flight time (keydown to keydown) are drawn from that person's own recorded
// ones, falling back to their flights into the same key, then to all their flights.

import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';

import { seeded } from './typist.js';

const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

/** Where the evaluation data lives (as scripts/test.d finds it). */
export function dataDir(root) {
  return process.env.KEYCADENCE_DATA_DIR ?? join(root, '..', 'shared', 'data');
}

const TYPED = /^[a-z ]$/;

function push(map, key, value) {
  if (!map.has(key)) map.set(key, []);
  map.get(key).push(value);
}

/**
 * The protocol's key event for `key` ([a-z ]) going down or up at `timestamp` (seconds since
 * the epoch): a key down with its text also gives the keypress and the input.
 */
function keyEvent(key, down, timestamp) {
  const upper = key.toUpperCase();
  return {
    type: down ? 'keyDown' : 'keyUp',
    key,
    code: key === ' ' ? 'Space' : `Key${upper}`,
    windowsVirtualKeyCode: upper.charCodeAt(0),
    ...(down ? { text: key } : {}),
    timestamp,
  };
}

export class RealTypist {
  /** Reads participant `id`'s keystrokes; `seed` makes the draws reproducible. */
  constructor(root, id, seed) {
    const file = join(dataDir(root), 'aalto-dev', 'keystrokes', `${id}_keystrokes.txt.gz`);
    const rows = gunzipSync(readFileSync(file)).toString('utf8').split('\n').slice(1);
    const sections = new Map();
    for (const row of rows) {
      const f = row.split('\t');
      const press = Number(f[5]);
      const release = Number(f[6]);
      if (f.length < 9 || !Number.isFinite(press) || !Number.isFinite(release)) continue;
      push(sections, f[1], { press, release, key: f[7].toLowerCase() });
    }
    this.holds = new Map();
    this.flights = new Map();
    this.into = new Map();
    this.allHolds = [];
    this.allFlights = [];
    for (const keys of sections.values()) {
      keys.sort((a, b) => a.press - b.press);
      keys.forEach((k, i) => {
        if (!TYPED.test(k.key)) return;
        const hold = k.release - k.press;
        if (hold > 20 && hold < 400) {
          push(this.holds, k.key, hold);
          this.allHolds.push(hold);
        }
        const previous = keys[i - 1];
        if (!previous || !TYPED.test(previous.key)) return;
        const flight = k.press - previous.press;
        if (flight > 10 && flight < 1200) {
          push(this.flights, previous.key + k.key, flight);
          push(this.into, k.key, flight);
          this.allFlights.push(flight);
        }
      });
    }
    if (this.allHolds.length < 100) throw new Error(`participant ${id} has too little typing`);
    this.random = seeded(seed);
  }

  pick(values) {
    return values[Math.floor(this.random() * values.length)];
  }

  hold(key) {
    return this.pick(this.holds.get(key) ?? this.allHolds);
  }

  flight(previous, key) {
    return this.pick(this.flights.get(previous + key) ?? this.into.get(key) ?? this.allFlights);
  }

  /**
   * Types `text` ([a-z ]) into the focused element of `page`, each key down and up at its drawn
   * time (a key may still be down when the next goes down, as in the data; the same key twice
   * in a row is released first). The keys go in as the browser's own input (the Chrome
   * DevTools protocol, as Playwright's keyboard sends them), in real time, each stamped with
   * its drawn time: the event timestamps the recorder reads carry the typist's rhythm exactly,
   * however late a busy machine delivers the keys.
   */
  async type(page, text) {
    const keys = [...text];
    const flights = keys.map((key, i) => (i === 0 ? 0 : this.flight(keys[i - 1], key)));
    const events = [];
    let at = 0;
    keys.forEach((key, i) => {
      at += flights[i];
      let hold = this.hold(key);
      if (keys[i + 1] === key) hold = Math.min(hold, flights[i + 1] - 5);
      events.push({ at, down: true, key }, { at: at + Math.max(hold, 10), down: false, key });
    });
    events.sort((a, b) => a.at - b.at || (a.down ? 1 : -1));
    const input = await page.context().newCDPSession(page);
    const origin = Date.now();
    const start = performance.now();
    try {
      for (const e of events) {
        const wait = start + e.at - performance.now();
        if (wait > 0) await sleep(wait);
        await input.send('Input.dispatchKeyEvent', keyEvent(e.key, e.down, (origin + e.at) / 1000));
      }
    } finally {
      await input.detach();
    }
  }
}
