/* The task page: render the form, submit it as JSON, show field errors in place or the confirmation. */
(function () {
  'use strict';
  var F = window.JDForms;
  var config = F.readConfig('jd-form-config');
  if (!config) { return; }
  var M = config.messages;
  var locale = document.documentElement.lang === 'en' ? 'en' : 'zh';
  var host = document.getElementById('task-form');
  var summary = document.getElementById('form-errors');
  var button = document.getElementById('submit-task');
  var actions = document.getElementById('form-actions');
  var doneBox = document.getElementById('task-done');
  var form = null;
  var busy = false;
  var problemsBox = F.trackSummary(null, summary, M.summary);

  var ready = config.schema && host
    ? F.mount(host, config.schema, config.data, { readOnly: config.readOnly, validation: config.validation })
        .then(function (f) {
          form = f;
          problemsBox = F.trackSummary(form, summary, M.summary);
          document.body.setAttribute('data-form-ready', '1');
          return f;
        })
    : Promise.resolve(null).then(function () { document.body.setAttribute('data-form-ready', '1'); });

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function setBusy(value) {
    busy = value;
    if (button) {
      button.disabled = value;
      button.textContent = value ? M.submitting : M.submit;
    }
  }

  function showMessage(text, kind) {
    problemsBox.stop();
    summary.className = 'alert alert-' + (kind || 'error');
    summary.textContent = text;
    summary.hidden = false;
    summary.scrollIntoView({ block: 'center', behavior: 'smooth' });
  }

  function holderText(task) {
    if (task.assignee) { return task.assignee; }
    var names = (task.candidate_names || []).join('、');
    if (task.queue) { return M.queue + '：' + task.queue + (names ? '（' + names + '）' : ''); }
    return names ? M.queue + '：' + names : M.nobody;
  }

  function showDone(answer) {
    problemsBox.stop();
    summary.hidden = true;
    if (actions) { actions.hidden = true; }
    if (form) { form.setProperty('readOnly', true); }
    var badge = document.querySelector('.page-head .badge');
    if (badge) { badge.className = 'badge badge-task-completed'; badge.textContent = M.state_completed; }
    doneBox.textContent = '';
    var head = el('div', 'done-head');
    head.appendChild(el('span', 'done-icon', '✓'));
    var headText = el('div');
    headText.appendChild(el('h3', null, M.done_title));
    headText.appendChild(el('p', null, answer.message));
    head.appendChild(headText);
    doneBox.appendChild(head);
    var mine = null;
    if (answer.next_tasks && answer.next_tasks.length) {
      doneBox.appendChild(el('h4', null, M.next_steps));
      var list = el('ul', 'next-steps');
      answer.next_tasks.forEach(function (task) {
        var item = el('li', 'next-step');
        item.appendChild(el('span', 'next-name', task.name + (task.mi_item ? ' · ' + (task.mi_label || task.mi_item) : '')));
        item.appendChild(el('span', 'next-holder', M.held_by + '：' + holderText(task)));
        if (task.due_at) { item.appendChild(el('span', 'next-due', F.formatTime(task.due_at, locale))); }
        list.appendChild(item);
        if (task.mine && !mine) { mine = task; }
      });
      doneBox.appendChild(list);
    }
    var links = el('div', 'form-actions');
    if (mine) {
      var next = el('a', 'btn btn-primary', M.open_next + '：' + mine.name);
      next.href = '/tasks/' + encodeURIComponent(mine.id);
      links.appendChild(next);
    }
    var inbox = el('a', mine ? 'btn' : 'btn btn-primary', M.back_to_inbox);
    inbox.href = answer.inbox_url;
    links.appendChild(inbox);
    var instance = el('a', 'btn btn-ghost', M.view_instance);
    instance.href = answer.instance_url;
    links.appendChild(instance);
    doneBox.appendChild(links);
    doneBox.hidden = false;
    doneBox.scrollIntoView({ block: 'center', behavior: 'smooth' });
  }

  /* After a completion the page around the form is out of date: fetch it again (it now shows the task done) and
     put its timeline, its list of parallel steps, its operations (now: withdraw, not transfer or delegate) and its
     comments in place of ours; a part the fresh page no longer has goes. Marks <body data-timeline="fresh">. */
  function refreshSide() {
    return fetch(window.location.pathname, { credentials: 'same-origin', headers: { 'Accept': 'text/html' } })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, 'text/html');
        ['task-parallel', 'task-timeline', 'task-actions', 'task-discussion'].forEach(function (id) {
          var now = document.getElementById(id);
          var next = fresh.getElementById(id);
          if (now && next) { now.replaceWith(document.importNode(next, true)); }
          else if (now) { now.remove(); }
        });
        document.body.setAttribute('data-timeline', 'fresh');
      })
      .catch(function () { document.body.setAttribute('data-timeline', 'stale'); });
  }

  function send(data) {
    setBusy(true);
    return fetch(config.completeUrl, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'Accept': 'application/json', 'X-CSRFToken': F.csrfToken() },
      body: JSON.stringify({ data: data })
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        return { status: response.status, body: body };
      });
    }).then(function (result) {
      setBusy(false);
      var body = result.body || {};
      if (result.status === 200) {
        showDone(body);
        refreshSide();
      } else if (result.status === 422) {
        var problems = F.showServerErrors(form, body.details);
        if (!problems.length) { problems = [{ label: '', message: body.error || M.failed }]; }
        summary.className = 'alert alert-error';
        problemsBox.show(problems);
        F.focusFirstError(host);
      } else if (result.status === 409) {
        showMessage((body.error ? body.error + '。' : '') + M.conflict, 'warn');
        if (button) { button.disabled = true; }
        var reload = el('a', 'alert-link', M.reload);
        reload.href = window.location.pathname;
        summary.appendChild(document.createTextNode(' '));
        summary.appendChild(reload);
      } else if (result.status === 403 || result.status === 404) {
        showMessage(body.error || M.forbidden);
      } else {
        showMessage(body.error || M.failed);
      }
      return result;
    }, function () {
      setBusy(false);
      showMessage(M.network);
    });
  }

  function submit() {
    if (busy) { return; }
    ready.then(function () {
      var data = {};
      if (form) {
        var result = form.submit();
        var problems = F.clientProblems(form, result.errors);
        if (problems.length) {
          summary.className = 'alert alert-error';
          problemsBox.show(problems);
          F.focusFirstError(host);
          return;
        }
        data = result.data;
      }
      problemsBox.stop();
      summary.hidden = true;
      send(data);
    });
  }

  if (button) { button.addEventListener('click', submit); }

  /* For people and tests alike: send data exactly as given (the server decides). */
  window.JDTask = {
    send: function (data) { return ready.then(function () { return send(data); }); },
    form: function () { return form; }
  };
})();
