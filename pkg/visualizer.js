// keycadence/visualizer: an optional helper for pages that record typing, in the role of
// TypingDNA's AutocompleteDisabler with its typing visualiser. On every input marked with the
// class `disable-autocomplete` it turns off autocomplete, autocorrect, autocapitalisation,
// spell checking, paste and drop (a pasted or suggested text has no typing rhythm), and, with
// `showTypingVisualizer`, shows in the field that typing is being recorded: a dot and a bar
// per key typed. It reads nothing of the typing but that a key went down, and records nothing.
//
// A classic script (global `AutocompleteDisabler`) that also works as an ES module import:
//   <script src="visualizer.js"></script>
//   <script>new AutocompleteDisabler({ showTypingVisualizer: true });</script>
(function () {
  var STYLE =
    '.kc-vis{position:absolute;display:flex;align-items:center;gap:2px;pointer-events:none;' +
    'font:11px system-ui,sans-serif;color:#3b6;opacity:.35;transition:opacity .2s}' +
    '.kc-vis.kc-on{opacity:1}' +
    '.kc-vis i{width:7px;height:7px;border-radius:50%;background:#3b6;margin-right:4px}' +
    '.kc-vis b{width:2px;background:#3b6;border-radius:1px;transition:height .15s}';
  var BARS = 8;

  function AutocompleteDisabler(options) {
    options = options || {};
    this.options = options;
    this.fields = [];
    var selector = options.selector || 'input.disable-autocomplete, textarea.disable-autocomplete';
    var fields = document.querySelectorAll(selector);
    for (var i = 0; i < fields.length; i++) this.disable(fields[i]);
  }

  function block(event) {
    event.preventDefault();
  }

  AutocompleteDisabler.prototype.disable = function (field) {
    field.setAttribute('autocomplete', 'off');
    field.setAttribute('autocorrect', 'off');
    field.setAttribute('autocapitalize', 'off');
    field.setAttribute('spellcheck', 'false');
    field.addEventListener('paste', block);
    field.addEventListener('drop', block);
    this.fields.push(field);
    if (this.options.showTypingVisualizer) this.visualise(field);
  };

  AutocompleteDisabler.prototype.visualise = function (field) {
    if (!document.getElementById('kc-vis-style')) {
      var style = document.createElement('style');
      style.id = 'kc-vis-style';
      style.textContent = STYLE;
      document.head.appendChild(style);
    }
    var box = document.createElement('span');
    box.className = 'kc-vis';
    box.setAttribute('role', 'status');
    box.title = 'Your typing rhythm is being recorded';
    box.appendChild(document.createElement('i'));
    var bars = [];
    for (var i = 0; i < BARS; i++) bars.push(box.appendChild(document.createElement('b')));
    var label = box.appendChild(document.createElement('span'));
    label.textContent = 'typing recorded';
    label.style.marginLeft = '4px';
    // Placed over the field's right end; the field's parent becomes the positioning box.
    var parent = field.parentNode;
    if (getComputedStyle(parent).position === 'static') parent.style.position = 'relative';
    parent.insertBefore(box, field.nextSibling);
    function place() {
      // Room for it at the field's end, so text does not run under it.
      field.style.paddingRight = box.offsetWidth + 12 + 'px';
      box.style.top = field.offsetTop + (field.offsetHeight - 14) / 2 + 'px';
      box.style.left = field.offsetLeft + field.offsetWidth - box.offsetWidth - 8 + 'px';
      box.style.height = '14px';
    }
    place();
    window.addEventListener('resize', place);
    var keys = 0;
    field.addEventListener('focus', function () { box.classList.add('kc-on'); });
    field.addEventListener('blur', function () { box.classList.remove('kc-on'); });
    field.addEventListener('keydown', function () {
      keys++;
      // The bars scroll left, the newest at full height: a key seen.
      for (var i = 0; i < BARS; i++) bars[i].style.height = (i < keys ? 3 + ((BARS - i + keys) % 4) * 3 : 2) + 'px';
      box.dataset.keys = String(keys);
    });
    bars.forEach(function (bar) { bar.style.height = '2px'; });
  };

  /** Undoes `disable` on every field (the attributes stay; paste and drop work again). */
  AutocompleteDisabler.prototype.enable = function () {
    this.fields.forEach(function (field) {
      field.removeEventListener('paste', block);
      field.removeEventListener('drop', block);
    });
  };

  globalThis.AutocompleteDisabler = AutocompleteDisabler;
})();
