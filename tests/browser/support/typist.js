// A scripted typist: trusted key events through Playwright's keyboard (Chrome DevTools
// protocol input), with varied but reproducible timings.

/** A small seeded generator (mulberry32), so every run types with the same rhythm. */
export function seeded(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms) => new Promise((done) => setTimeout(done, ms));
const between = (random, low, high) => low + Math.floor(random() * (high - low));

/** Keys typed with Shift held on a US keyboard. */
const SHIFTED = new Set('ABCDEFGHIJKLMNOPQRSTUVWXYZ!@#$%^&*()_+{}|:"<>?~');

/**
 * Types `text` into the focused element. `\b` stands for Backspace. Capitals get a Shift
 * press around them; about one key in five is rolled over (the next key goes down before the
 * previous one is released).
 */
export async function typeText(page, text, random) {
  const { keyboard } = page;
  let held = null; // a key still down, rolled over into the next one
  for (const c of text) {
    const key = c === '\b' ? 'Backspace' : c;
    const shift = SHIFTED.has(c);
    if (held && shift) {
      await keyboard.up(held);
      held = null;
    }
    await sleep(between(random, 40, 160));
    if (shift) {
      await keyboard.down('Shift');
      await sleep(between(random, 20, 60));
    }
    await keyboard.down(key);
    if (held) {
      await sleep(between(random, 5, 30));
      await keyboard.up(held);
      held = null;
    }
    if (!shift && random() < 0.2) {
      held = key;
      continue;
    }
    await sleep(between(random, 30, 110));
    await keyboard.up(key);
    if (shift) {
      await sleep(between(random, 10, 40));
      await keyboard.up('Shift');
    }
  }
  if (held) {
    await sleep(between(random, 30, 90));
    await keyboard.up(held);
  }
}
