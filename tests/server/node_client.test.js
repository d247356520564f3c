// The official TypingDNA Node client, unmodified, against a local keycadence-server.
//
// The client always speaks HTTPS to port 443 of the host it is given, so this test puts a TLS
// terminator on 127.0.0.1:443 (as a production deployment would have in front of the server)
// with a self-signed certificate for "localhost" that the test runner trusts through
// NODE_EXTRA_CA_CERTS. Environment: KC_BACKEND_PORT, KC_API_KEY, KC_API_SECRET, KC_TLS_CERT,
// KC_TLS_KEY, KC_GOLDEN_DIR.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const tls = require('node:tls');
const TypingDNAClient = require('typingdnaclient');

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

let proxy;
before(async () => {
  proxy = tls.createServer(
    { cert: fs.readFileSync(env('KC_TLS_CERT')), key: fs.readFileSync(env('KC_TLS_KEY')) },
    (client) => {
      const backend = net.connect(Number(env('KC_BACKEND_PORT')), '127.0.0.1');
      client.pipe(backend).pipe(client);
      const close = () => { client.destroy(); backend.destroy(); };
      client.on('error', close);
      backend.on('error', close);
    },
  );
  await new Promise((resolve, reject) => {
    proxy.once('error', reject);
    proxy.listen(443, '127.0.0.1', resolve);
  });
});
after(() => proxy && proxy.close());

const client = () => new TypingDNAClient(env('KC_API_KEY'), env('KC_API_SECRET'), 'localhost');
const call = (fn, ...args) => new Promise((resolve, reject) => {
  fn(...args, (error, result) => (error ? reject(error) : resolve(result)));
});

// Distinct samples of one real type-1 pattern (golden vector v01, "hello world"): the timings
// of each row shift a little, as they do between two typings of the same text.
function samples(count) {
  const vector = JSON.parse(fs.readFileSync(path.join(env('KC_GOLDEN_DIR'), 'v01_lowercase.json'), 'utf8'));
  const base = vector.ops.find((op) => op.op === 'call' && op.method === 'getTypingPattern'
    && op.args[0].type === 1).expect;
  const [header, ...rows] = base.split('|');
  const out = [];
  for (let s = 1; s <= count; s += 1) {
    const shifted = rows.map((row, i) => {
      const [seek, press] = row.split(',').map(Number);
      return `${seek + ((s * 7 + i * 3) % 11) - 5},${press + ((s * 5 + i) % 7) - 3}`;
    });
    out.push([header, ...shifted].join('|'));
  }
  return out;
}

// The pattern of another typist of the same text: after the first key (whose seek is the
// time before typing began), each key's seek and hold times are taken from other keys of the
// text (rotated by half its length) and doubled: another rhythm at another pace.
function otherTypist(tp) {
  const [header, first, ...rows] = tp.split('|');
  const timings = rows.map((row) => row.split(',').map(Number));
  const half = Math.floor(rows.length / 2);
  const rotated = rows.map((_, i) => {
    const [seek] = timings[(i + half) % rows.length];
    const [, press] = timings[(i + half + 1) % rows.length];
    return `${seek * 2},${press * 2}`;
  });
  return [header, first, ...rotated].join('|');
}

test('save, check, verify, auto and delete through the official client', async () => {
  const tdna = client();
  const tdnaUser = `node-client-${process.pid}`;
  const tps = samples(6);

  for (const tp of tps.slice(0, 3)) {
    const saved = await call(tdna.save.bind(tdna), tdnaUser, tp);
    assert.deepStrictEqual(saved, { message: 'Done', success: 1, statusCode: 200 });
  }
  const duplicate = await call(tdna.save.bind(tdna), tdnaUser, tps[0]);
  assert.strictEqual(duplicate.success, 0);

  const checked = await call(tdna.check.bind(tdna), { userId: tdnaUser, type: [1, 2], device: 'desktop' });
  assert.strictEqual(checked.success, 1);
  assert.strictEqual(checked.count, 3);
  assert.strictEqual(checked.mobilecount, 0);

  const verified = await call(tdna.verify.bind(tdna), tdnaUser, tps[3], 2);
  assert.strictEqual(verified.success, 1, JSON.stringify(verified));
  assert.strictEqual(verified.statusCode, 200);
  for (const field of ['score', 'netScore', 'deviceSimilarity', 'netConfidence']) {
    assert.ok(verified[field] >= 0 && verified[field] <= 100, `${field}: ${JSON.stringify(verified)}`);
  }
  assert.strictEqual(verified.result, 1, `the enrolled typist is accepted: ${JSON.stringify(verified)}`);

  // Someone else typing the same text: the same keys held and reached in another rhythm.
  const impostor = await call(tdna.verify.bind(tdna), tdnaUser, otherTypist(tps[3]), 2);
  assert.strictEqual(impostor.success, 1, JSON.stringify(impostor));
  assert.strictEqual(impostor.result, 0, `another typist is refused: ${JSON.stringify(impostor)}`);

  const similarity = await call(tdna.verify.bind(tdna), tdnaUser, tps[4], 2, { deviceSimilarityOnly: true });
  assert.strictEqual(similarity.deviceSimilarity, 100, JSON.stringify(similarity));
  assert.strictEqual(similarity.score, undefined);

  const auto = await call(tdna.auto.bind(tdna), tdnaUser, tps[5], { custom_field: 'unused' });
  assert.strictEqual(auto.messageCode, 1, JSON.stringify(auto));
  assert.ok(['verify', 'verify;enroll'].includes(auto.action), JSON.stringify(auto));
  assert.strictEqual(auto.result, 1, JSON.stringify(auto));

  const fresh = `${tdnaUser}-auto`;
  const enrolled = await call(tdna.auto.bind(tdna), fresh, tps.slice(0, 3).join(';'));
  assert.strictEqual(enrolled.action, 'enroll', JSON.stringify(enrolled));
  assert.strictEqual(enrolled.enrollment, 1);

  const deleted = await call(tdna.delete.bind(tdna), { userId: tdnaUser });
  assert.strictEqual(deleted.success, 1);
  assert.ok(deleted.result >= 3, JSON.stringify(deleted));
  const after = await call(tdna.check.bind(tdna), { userId: tdnaUser });
  assert.strictEqual(after.count, 0);
  await call(tdna.delete.bind(tdna), { userId: fresh });
});

test('wrong credentials come back as the documented status', async () => {
  const wrong = new TypingDNAClient(env('KC_API_KEY'), 'not-the-secret', 'localhost');
  const result = await call(wrong.save.bind(wrong), 'node-client-bad', samples(1)[0]);
  assert.strictEqual(result.statusCode, 401);
  assert.strictEqual(result.success, 0);
});
