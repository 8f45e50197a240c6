/* The case list: changing the page size submits at once (the filters still need the button, so a half-made
 * choice of several filters does not reload the page). */
(function () {
  'use strict';
  document.querySelectorAll('select[data-autosubmit]').forEach(function (select) {
    select.addEventListener('change', function () { select.form.submit(); });
  });
})();
