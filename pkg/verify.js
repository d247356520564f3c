// keycadence/verify: the front-end script of the Verify 2FA window, for pages written for
// TypingDNA's typingdna-verify.js. keycadence-server serves it at
// /verify-2fa/typingdna-verify.js; a page changes only the script's URL:
//
//   <script src="https://auth.example.com/verify-2fa/typingdna-verify.js"></script>
//   <button class="typingDNA-verify"
//     data-typingdna-client-id="…" data-typingdna-application-id="…"
//     data-typingdna-payload="…" data-typingdna-callback-fn="onVerified">Verify</button>
//
// A <button> opens the window as a pop-up (468 x 598); an <iframe> embeds it (468 x 598, or
// 300 x 188 with data-typingdna-compact="on"). data-typingdna-method is POST (the default: the
// payload never appears in a URL) or GET. The window posts {action: 'sendOtp' | 'onError',
// payload: {success, otp, error}} to this page, only at the application's registered origin;
// this script passes the payload to the callback function, only in a secure context (https,
// or localhost as browsers treat it).
//
// Imported as a module (`import 'keycadence/verify'`) the script has no URL of its own: give
// the server on each element (data-keycadence-server="https://auth.example.com").
(function () {
  'use strict';
  if (typeof window === 'undefined' || window.KeycadenceVerify) return;

  var WINDOW_PATH = '/verify-2fa/window';
  var SIZES = { standard: [468, 598], compact: [300, 188] };
  var script = document.currentScript;
  var scriptServer = script && script.src ? new URL(script.src).origin : null;
  var opened = []; // {source: Window, element, server}
  var count = 0;
  // Window names unique to this page load: a pop-up of an earlier page still open under the
  // same name would be reused instead of a new window being opened.
  var prefix = 'keycadence-verify-' + Math.random().toString(36).slice(2, 10) + '-';

  function attribute(element, name) {
    var value = element.getAttribute('data-typingdna-' + name);
    return value === null ? null : value.trim();
  }

  function serverOf(element) {
    var named = element.getAttribute('data-keycadence-server');
    return named ? new URL(named).origin : scriptServer;
  }

  function fieldsOf(element, frame) {
    var fields = {
      clientId: attribute(element, 'client-id') || '',
      applicationId: attribute(element, 'application-id') || '',
      payload: attribute(element, 'payload') || '',
      origin: window.location.origin,
      frame: frame,
    };
    if (frame === 'iframe' && attribute(element, 'compact') === 'on') fields.compact = 'on';
    return fields;
  }

  function isGet(element) {
    return (attribute(element, 'method') || 'POST').toUpperCase() === 'GET';
  }

  function windowUrl(server, fields) {
    var url = new URL(WINDOW_PATH, server);
    if (fields) {
      Object.keys(fields).forEach(function (name) { url.searchParams.set(name, fields[name]); });
    }
    return url.href;
  }

  /** Loads the window into the browsing context `name` with a POST of `fields`. */
  function postTo(name, server, fields) {
    var form = document.createElement('form');
    form.method = 'POST';
    form.action = windowUrl(server);
    form.target = name;
    form.style.display = 'none';
    Object.keys(fields).forEach(function (key) {
      var input = document.createElement('input');
      input.type = 'hidden';
      input.name = key;
      input.value = fields[key];
      form.appendChild(input);
    });
    document.body.appendChild(form);
    form.submit();
    form.remove();
  }

  function openPopup(element) {
    var server = serverOf(element);
    if (!server) throw new Error('keycadence/verify: no server (load the script from it, or set data-keycadence-server)');
    count += 1;
    var name = prefix + count;
    var size = SIZES.standard;
    var left = Math.max(0, window.screenX + (window.outerWidth - size[0]) / 2);
    var top = Math.max(0, window.screenY + (window.outerHeight - size[1]) / 2);
    var features = 'popup=yes,width=' + size[0] + ',height=' + size[1] + ',left=' + left + ',top=' + top;
    var fields = fieldsOf(element, 'popup');
    var popup = isGet(element)
      ? window.open(windowUrl(server, fields), name, features)
      : window.open('about:blank', name, features);
    if (!popup) return;
    if (!isGet(element)) postTo(name, server, fields);
    opened.push({ source: popup, element: element, server: server });
  }

  function embed(element) {
    var server = serverOf(element);
    if (!server) throw new Error('keycadence/verify: no server (load the script from it, or set data-keycadence-server)');
    var compact = attribute(element, 'compact') === 'on';
    var size = compact ? SIZES.compact : SIZES.standard;
    element.width = String(size[0]);
    element.height = String(size[1]);
    element.style.width = size[0] + 'px';
    element.style.height = size[1] + 'px';
    element.style.border = '0';
    if (!element.title) element.title = 'Verify 2FA';
    count += 1;
    if (!element.name) element.name = prefix + count;
    // Chromium names the frame's browsing context from the attribute only when the frame is
    // created; the form below targets the context by name, so name it directly (the frame is
    // still about:blank, of this page's origin).
    if (element.contentWindow) element.contentWindow.name = element.name;
    var fields = fieldsOf(element, 'iframe');
    if (isGet(element)) element.src = windowUrl(server, fields);
    else postTo(element.name, server, fields);
    opened.push({ source: null, element: element, server: server });
  }

  function bind(element) {
    if (element.hasAttribute('data-keycadence-bound')) return;
    element.setAttribute('data-keycadence-bound', '');
    if (element.tagName === 'IFRAME') {
      embed(element);
    } else {
      element.addEventListener('click', function (event) {
        event.preventDefault();
        openPopup(element);
      });
    }
  }

  function scan(root) {
    var scope = root || document;
    if (scope.nodeType === 1 && scope.classList.contains('typingDNA-verify')) bind(scope);
    if (scope.querySelectorAll) {
      Array.prototype.forEach.call(scope.querySelectorAll('.typingDNA-verify'), bind);
    }
  }

  function sourceOf(entry) {
    return entry.source || (entry.element.contentWindow || null);
  }

  window.addEventListener('message', function (event) {
    var entry = null;
    for (var i = 0; i < opened.length; i += 1) {
      if (sourceOf(opened[i]) === event.source) entry = opened[i];
    }
    if (!entry || event.origin !== entry.server) return;
    var data = event.data;
    if (!data || (data.action !== 'sendOtp' && data.action !== 'onError') || !data.payload) return;
    var name = attribute(entry.element, 'callback-fn');
    if (!name || typeof window[name] !== 'function') return;
    // As TypingDNA's script: no callback on plain-http pages.
    if (!window.isSecureContext) return;
    window[name](data.payload);
  });

  window.KeycadenceVerify = { scan: scan };
  function start() {
    scan(document);
    new MutationObserver(function (changes) {
      changes.forEach(function (change) {
        Array.prototype.forEach.call(change.addedNodes, function (node) {
          if (node.nodeType === 1) scan(node);
        });
      });
    }).observe(document.documentElement, { childList: true, subtree: true });
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
