/* The start page: render the process's start form; on submit put its data (JSON) in the hidden field. */
(function () {
  'use strict';
  var F = window.JDForms;
  var config = F.readConfig('jd-start-config');
  var host = document.getElementById('start-form-host');
  var formEl = document.getElementById('start-form');
  var hidden = document.getElementById('form-data');
  var summary = document.getElementById('start-errors');
  if (!config || !host || !formEl) { return; }
  var form = null;

  var problemsBox = null;

  F.mount(host, config.schema, config.data, { validation: config.validation }).then(function (f) {
    form = f;
    problemsBox = F.trackSummary(form, summary, config.messages.summary);
    var fieldErrors = {};
    Object.keys(config.errors || {}).forEach(function (key) {
      if (key && key !== 'unit' && key !== 'title') { fieldErrors[key] = config.errors[key]; }
    });
    if (Object.keys(fieldErrors).length) {
      var problems = F.showServerErrors(form, fieldErrors);
      ['unit', 'title'].forEach(function (key) {
        if (config.errors[key]) { problems.unshift({ label: config.messages[key], message: config.errors[key] }); }
      });
      problemsBox.show(problems);
      F.focusFirstError(host);
    }
    document.body.setAttribute('data-form-ready', '1');
  });

  formEl.addEventListener('submit', function (event) {
    if (!form) { event.preventDefault(); return; }
    var result = form.submit();
    var problems = F.clientProblems(form, result.errors);
    if (problems.length) {
      event.preventDefault();
      problemsBox.show(problems);
      F.focusFirstError(host);
      return;
    }
    hidden.value = JSON.stringify(result.data);
  });
})();
