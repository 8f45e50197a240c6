/* The header's user menu (a <details>): it works without this script; this closes it on a click elsewhere and
   on Escape, like any menu. */
(function () {
  'use strict';
  var menu = document.querySelector('details.usermenu');
  if (!menu) { return; }
  document.addEventListener('click', function (event) {
    if (menu.open && !menu.contains(event.target)) { menu.open = false; }
  });
  document.addEventListener('keydown', function (event) {
    if (event.key === 'Escape' && menu.open) {
      menu.open = false;
      menu.querySelector('summary').focus();
    }
  });
})();
