// The demo page: one recorder, its patterns shown live after every key.
// `?clock=date` records with Date.now() in the handler (the reference's clock) instead of each
// event's own timestamp; `?busy` starts with the busy-page simulation on.
import TypingDNA from '../pkg/index.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const tdna = new TypingDNA({ clock: params.get('clock') === 'date' ? 'date' : 'event' });
const phrase = $('phrase-text').textContent;
// For experiments in the browser console (and the end-to-end tests).
window.TypingDNA = TypingDNA;
window.tdna = tdna;

function show(id, pattern, emptyText) {
  $(id).textContent = pattern === null ? emptyText : pattern;
}

function showRecent(type2) {
  const body = $('recent-rows');
  body.replaceChildren();
  if (type2 === null) return;
  // Rows after the header: charCode,seek,press,keyCode[,1 when substituted].
  const rows = type2.split('|').slice(1).filter((row) => !row.endsWith(',1')).slice(-8);
  for (const row of rows) {
    const [charCode, seek, press] = row.split(',');
    const tr = document.createElement('tr');
    for (const text of [String.fromCharCode(Number(charCode)), seek, press]) {
      const td = document.createElement('td');
      td.textContent = text === ' ' ? '␣' : text;
      tr.append(td);
    }
    body.append(tr);
  }
}

function update() {
  const type0 = tdna.getTypingPattern({ type: 0 });
  const type1 = tdna.getTypingPattern({ type: 1, text: phrase, targetId: 'phrase' });
  const type2 = tdna.getTypingPattern({ type: 2, text: phrase, targetId: 'phrase' });
  const missing = '(not yet: more than 7 % of the text is still untyped)';
  show('type0', type0);
  show('type1', type1, missing);
  show('type2', type2, missing);
  showRecent(type2);
  const quality = tdna.getQuality(type0);
  $('quality').textContent = quality.toFixed(2);
  $('quality-meter').value = quality;
  $('keystrokes').textContent = tdna.getLength(type0);
}

// Busy-page simulation: 40 ms of blocking work every 50 ms, as a heavy page might do. Key
// handlers then run late; the event clock still records the times the keys were pressed.
let busyTimer = null;
function setBusy(on) {
  clearInterval(busyTimer);
  busyTimer = null;
  if (on) {
    busyTimer = setInterval(() => {
      const end = performance.now() + 40;
      while (performance.now() < end) { /* blocking work */ }
    }, 50);
  }
}

TypingDNA.ready.then(() => {
  $('text-id').textContent = tdna.getTextId(phrase);
  $('clock').textContent = TypingDNA.clock === 'date' ? 'Date.now() in the handler' : 'event timestamps';
  $('status').textContent = 'Recording.';
  document.body.dataset.ready = 'true';
  update();
  document.addEventListener('keyup', () => requestAnimationFrame(update));
  $('reset').addEventListener('click', () => {
    tdna.reset();
    $('phrase').value = '';
    $('free').value = '';
    update();
  });
  $('busy').addEventListener('change', (e) => setBusy(e.target.checked));
  if (params.has('busy')) {
    $('busy').checked = true;
    setBusy(true);
  }
}, (error) => {
  $('status').textContent = `The recorder failed to load: ${error}`;
});
