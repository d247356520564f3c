// The Verify window's script (served at /verify-2fa/window.js): runs the steps the server
// picks (type a text, enter a code), records the typing with keycadence's recorder (the
// classic build loaded before it), and reports the result to the page that opened or
// embedded the window, only at the origin the server checked against the application's
// registered domain (data-origin).
'use strict';
(function () {
  var main = document.getElementById('kc-window');
  var S = JSON.parse(document.getElementById('kc-strings').textContent);
  var origin = main.getAttribute('data-origin') || '';
  var target = window.opener || (window.parent !== window ? window.parent : null);
  var $ = function (id) { return document.getElementById(id); };

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (m, k) { return k in values ? String(values[k]) : m; });
  }
  function post(action, payload) {
    if (target && origin) target.postMessage({ action: action, payload: payload }, origin);
  }
  function show(id) {
    ['kc-type', 'kc-code', 'kc-done', 'kc-error'].forEach(function (s) {
      var el = $(s);
      if (el) el.hidden = s !== id;
    });
  }
  function status(text) {
    var el = $('kc-status');
    if (el) el.textContent = text;
  }

  // A refusal page: the page (if known) hears the documented error.
  if (main.hasAttribute('data-error')) {
    post('onError', { success: 0, error: main.getAttribute('data-error'), code: Number(main.getAttribute('data-error-code')) });
    return;
  }

  var session = main.getAttribute('data-session');
  var token = main.getAttribute('data-token');
  var flow = main.getAttribute('data-flow');
  var embedded = main.getAttribute('data-embedded') === 'true';
  var input = $('kc-typing');
  var recorder = null;
  var current = null;
  var busy = false;

  function call(operation, body) {
    return fetch('/verify-2fa/sessions/' + encodeURIComponent(session) + '/' + operation, {
      method: 'POST',
      headers: { authorization: 'Bearer ' + token, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
      .then(function (r) { return r.json(); })
      .catch(function () { return { success: 0, error: S.err_internal, recoverable: false }; });
  }

  function fail(refusal) {
    show('kc-error');
    $('kc-error-text').textContent = refusal.error;
    status('');
    post('onError', { success: 0, error: refusal.error, code: refusal.code });
  }

  var views = 0;
  function handle(view) {
    busy = false;
    // How many answers the window has shown (a page or a test can wait for the next one).
    views += 1;
    main.setAttribute('data-views', String(views));
    if (view.success === 0) {
      if (view.recoverable) status(view.error);
      else fail(view);
      return;
    }
    if (view.step === 'type') showType(view);
    else if (view.step === 'code') showCode(view);
    else if (view.step === 'done') done(view);
  }

  function run(operation, body) {
    if (busy) return;
    busy = true;
    call(operation, body).then(handle);
  }

  function updateTyped() {
    if (!current) return;
    $('kc-typed').textContent = fill(S.typed_progress, { typed: input.value.length, total: current.text.length });
  }

  function showType(view) {
    current = view;
    $('kc-intro').textContent = view.purpose === 'enrol' ? S.enrol_intro : S.verify_intro;
    $('kc-progress').textContent = view.enrolment
      ? fill(S.enrol_progress, { received: view.enrolment.received + 1, texts: view.enrolment.texts })
      : '';
    $('kc-text').textContent = view.text;
    $('kc-use-code').hidden = !view.can_use_code;
    $('kc-paste').hidden = true;
    input.value = '';
    if (!recorder) {
      recorder = new TypingDNA();
      recorder.addTarget('kc-typing');
    }
    recorder.reset();
    show('kc-type');
    status(view.notice === 'typing_not_matched' ? S.not_matched : '');
    updateTyped();
    input.focus();
  }

  function submitText() {
    if (!current) return;
    if (input.value !== current.text) {
      status(S.text_incomplete);
      return;
    }
    var pattern = recorder.getTypingPattern({ type: 2, text: current.text, targetId: 'kc-typing' });
    if (!pattern) {
      status(S.text_incomplete);
      return;
    }
    run('attempt', { pattern: pattern });
  }

  function showCode(view) {
    current = null;
    var to = view.to || '';
    $('kc-code-intro').textContent = fill(view.enrolment ? S.code_sent_enrol : S.code_sent, { to: to });
    $('kc-code-input').value = '';
    show('kc-code');
    var notice = view.notice === 'code_incorrect' ? S.code_incorrect
      : view.notice === 'typing_not_matched' ? S.not_matched_code : '';
    status(notice);
    $('kc-code-input').focus();
  }

  function submitCode() {
    var code = $('kc-code-input').value.trim();
    if (code) run('attempt', { code: code });
  }

  function done(view) {
    show('kc-done');
    status('');
    if (flow === 'show_otp') {
      $('kc-done-text').textContent = S.your_code;
      $('kc-otp').textContent = view.otp;
      $('kc-otp').hidden = false;
      $('kc-copy').hidden = false;
      $('kc-copy').focus();
      return;
    }
    post('sendOtp', { success: 1, otp: view.otp });
    if (!embedded && window.opener) {
      $('kc-done-text').textContent = S.verified_close;
      setTimeout(function () { window.close(); }, 1500);
    } else {
      $('kc-done-text').textContent = S.verified;
    }
  }

  input.addEventListener('input', updateTyped);
  input.addEventListener('keydown', function (e) { if (e.key === 'Enter') submitText(); });
  // The typing is what is checked: pasted or dropped text would carry no rhythm.
  ['paste', 'drop'].forEach(function (type) {
    input.addEventListener(type, function (e) {
      e.preventDefault();
      $('kc-paste').hidden = false;
    });
  });
  $('kc-submit-text').addEventListener('click', submitText);
  $('kc-use-code').addEventListener('click', function () { run('next', { want_code: true }); });
  $('kc-submit-code').addEventListener('click', submitCode);
  $('kc-code-input').addEventListener('keydown', function (e) { if (e.key === 'Enter') submitCode(); });
  $('kc-copy').addEventListener('click', function () {
    navigator.clipboard.writeText($('kc-otp').textContent).then(function () { status(S.copied); });
  });
  run('next', {});
})();
