/* Shared form-js helpers for the task page and the start page.
 *
 * - mount(): renders a form-js schema with the case's current data (form-js viewer UMD, global `FormViewer`).
 * - Browser-side validation messages are shown in the page language, worded like the server's.
 * - showServerErrors(): the server's 422 `details` ({"summary": "...", "items[2].owner": "..."}) are put next to
 *   the fields they belong to, and listed in a summary box; what the person typed stays in the form.
 * - trackSummary(): once shown, the summary box follows the person's corrections: a corrected field's line goes,
 *   and the box closes with the last one.
 */
(function () {
  'use strict';

  function readConfig(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function localizer(table) {
    var rules = (table || []).map(function (rule) { return [new RegExp(rule[0]), rule[1]]; });
    return function (message) {
      for (var i = 0; i < rules.length; i++) {
        if (rules[i][0].test(message)) { return message.replace(rules[i][0], rules[i][1]); }
      }
      return message;
    };
  }

  function mount(container, schema, data, options) {
    options = options || {};
    // No input debouncing: with it, a re-render caused by one field's delayed update can reset another field
    // that was typed into meanwhile, and a quick click on 提交 could send a value from before the last keystroke.
    var form = new FormViewer.Form({
      container: container, properties: { readOnly: !!options.readOnly }, debounce: false
    });
    var localize = localizer(options.validation);
    var validator = form.get('validator');
    var original = validator.validateFieldInstance.bind(validator);
    validator.validateFieldInstance = function (fieldInstance, value) {
      return original(fieldInstance, value).map(localize);
    };
    return form.importSchema(schema, data || {}).then(function () { return form; });
  }

  /* ["items", 2, "owner"] -> "items[2].owner", the server's error keys. */
  function pathKey(valuePath) {
    var out = '';
    (valuePath || []).forEach(function (part) {
      if (typeof part === 'number') { out += '[' + part + ']'; } else { out += (out ? '.' : '') + part; }
    });
    return out;
  }

  function setIn(target, path, value) {
    var node = target;
    for (var i = 0; i < path.length - 1; i++) {
      if (typeof node[path[i]] !== 'object' || node[path[i]] === null) { node[path[i]] = {}; }
      node = node[path[i]];
    }
    node[path[path.length - 1]] = value;
  }

  function fieldLabel(form, id) {
    var field = form.get('formFieldRegistry').get(id);
    return (field && (field.label || field.key)) || '';
  }

  function labelForPath(form, key) {
    var head = key.split(/[.[]/)[0];
    var found = '';
    form.get('formFieldRegistry').getAll().forEach(function (field) {
      if (!found && (field.key === key || field.path === key || field.key === head || field.path === head)) {
        found = field.label || field.key || field.path || '';
      }
    });
    return found;
  }

  /* Client-side errors from form.submit(): {fieldId: [msg]} or {fieldId: {index: [msg]}}. */
  function clientProblems(form, errors) {
    var problems = [];
    Object.keys(errors || {}).forEach(function (id) {
      var label = fieldLabel(form, id);
      (function walk(value) {
        if (Array.isArray(value)) {
          value.forEach(function (message) { problems.push({ label: label, message: message, field: id }); });
        } else if (value && typeof value === 'object') {
          Object.keys(value).forEach(function (k) { walk(value[k]); });
        }
      })(errors[id]);
    });
    return problems;
  }

  /* Puts the server's messages on the fields; returns [{label, message}] for the summary. */
  function showServerErrors(form, details) {
    details = details || {};
    var problems = [];
    var errors = {};
    var byKey = {};
    if (form) {
      form.get('formFieldInstanceRegistry').getAllKeyed().forEach(function (instance) {
        byKey[pathKey(instance.valuePath)] = instance;
      });
    }
    Object.keys(details).forEach(function (key) {
      var message = String(details[key]);
      var instance = byKey[key];
      if (instance) {
        var indexes = instance.indexes ? Object.keys(instance.indexes).map(function (k) { return instance.indexes[k]; }) : [];
        setIn(errors, [instance.id].concat(indexes), [message]);
        problems.push({ label: fieldLabel(form, instance.id), message: message, field: instance.id });
      } else {
        problems.push({ label: key && form ? labelForPath(form, key) || key : '', message: message });
      }
    });
    if (form) { form._setState({ errors: errors }); }
    return problems;
  }

  /* The errors the form holds now, for the fields still on it (a field hidden by a condition takes its error
     away with it). */
  function currentProblems(form) {
    var errors = (form._getState() || {}).errors || {};
    var shown = {};
    form.get('formFieldInstanceRegistry').getAll().forEach(function (instance) { shown[instance.id] = true; });
    var live = {};
    Object.keys(errors).forEach(function (id) { if (shown[id]) { live[id] = errors[id]; } });
    return clientProblems(form, live);
  }

  /* Keeps the summary box in step with the form after it was shown: show(problems) lists them (the ones without
     a `field` are kept as they are until the next show or stop, since no field can correct them); every change
     of the form then lists what is still wrong, and hides the box when nothing is. */
  function trackSummary(form, box, title) {
    var active = false;
    var unattached = [];
    var pending = null;
    function refresh() {
      pending = null;
      if (!active) { return; }
      var problems = currentProblems(form).concat(unattached);
      renderSummary(box, title, problems);
      if (!problems.length) { active = false; }
    }
    if (form) {
      // After the change is rendered: a field shown or hidden by a condition has (un)registered by then.
      form.on('changed', function () { if (active && !pending) { pending = window.setTimeout(refresh, 0); } });
    }
    return {
      show: function (problems) {
        active = !!form;
        unattached = problems.filter(function (problem) { return !problem.field; });
        renderSummary(box, title, problems);
      },
      stop: function () { active = false; unattached = []; }
    };
  }

  function renderSummary(box, title, problems) {
    box.textContent = '';
    if (!problems.length) { box.hidden = true; return; }
    var heading = document.createElement('p');
    heading.className = 'alert-title';
    heading.textContent = title.replace('{n}', String(problems.length));
    box.appendChild(heading);
    var list = document.createElement('ul');
    problems.forEach(function (problem) {
      var item = document.createElement('li');
      if (problem.label) {
        var strong = document.createElement('strong');
        strong.textContent = problem.label + '：';
        item.appendChild(strong);
      }
      item.appendChild(document.createTextNode(problem.message));
      list.appendChild(item);
    });
    box.appendChild(list);
    box.hidden = false;
  }

  function focusFirstError(container) {
    window.setTimeout(function () {
      var field = container && container.querySelector('.fjs-has-errors');
      if (!field) { return; }
      field.scrollIntoView({ block: 'center', behavior: 'smooth' });
      var input = field.querySelector('input, textarea, select, [tabindex]');
      if (input) { input.focus({ preventScroll: true }); }
    }, 30);
  }

  function formatTime(iso, locale) {
    if (!iso) { return ''; }
    var date = new Date(iso);
    if (isNaN(date.getTime())) { return iso; }
    return new Intl.DateTimeFormat(locale === 'en' ? 'en-GB' : 'zh-CN', {
      timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit'
    }).format(date);
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute('content') : '';
  }

  window.JDForms = {
    readConfig: readConfig, mount: mount, clientProblems: clientProblems, showServerErrors: showServerErrors,
    renderSummary: renderSummary, trackSummary: trackSummary, focusFirstError: focusFirstError, formatTime: formatTime, csrfToken: csrfToken
  };
})();
