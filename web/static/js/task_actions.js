/* The task page's operations (issue 7): ask before the irreversible ones, keep one panel open at a time.
   Everything works without this script; it only adds the confirmations and focus. */
(function () {
  'use strict';
  var root = document.getElementById('task-actions');
  document.querySelectorAll('form[data-confirm]').forEach(function (form) {
    form.addEventListener('submit', function (event) {
      if (!window.confirm(form.getAttribute('data-confirm'))) { event.preventDefault(); }
    });
  });
  if (!root) { return; }
  var panels = root.querySelectorAll('details.op');
  panels.forEach(function (panel) {
    panel.addEventListener('toggle', function () {
      if (!panel.open) { return; }
      panels.forEach(function (other) { if (other !== panel) { other.open = false; } });
      var first = panel.querySelector('input:not([type=hidden]), select, textarea');
      if (first) { first.focus(); }
    });
  });
  root.setAttribute('data-ready', '1');
}());
