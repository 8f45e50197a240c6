/* Bulk actions in the 待办 list (issue 7): a checkbox on every task row, a bar to claim, transfer or urge the chosen
   tasks at once. The server runs each task on its own and reports each one. */
(function () {
  'use strict';
  var script = document.currentScript;
  var form = document.getElementById('bulk-form');
  var table = document.querySelector('table.grid[data-view="todo"]');
  if (!form || !table) { return; }
  var rows = Array.prototype.slice.call(table.querySelectorAll('tbody tr[data-task-id]'));
  var count = form.querySelector('.bulk-count');
  var ids = form.querySelector('.bulk-ids');
  var action = form.querySelector('#bulk-action');
  var toField = form.querySelector('.bulk-to');
  var boxes = [];

  function box(label) {
    var input = document.createElement('input');
    input.type = 'checkbox';
    input.setAttribute('aria-label', label);
    return input;
  }

  function refresh() {
    var chosen = boxes.filter(function (b) { return b.checked; });
    count.textContent = count.getAttribute('data-template').replace('{n}', String(chosen.length));
    all.checked = chosen.length > 0 && chosen.length === boxes.length;
    toField.hidden = action.value !== 'transfer';
    toField.querySelector('input').required = action.value === 'transfer';
  }

  var headRow = table.querySelector('thead tr');
  var headCell = document.createElement('th');
  headCell.className = 'bulk-col';
  headCell.scope = 'col';
  var all = box(script.getAttribute('data-select-all'));
  all.className = 'bulk-all';
  headCell.appendChild(all);
  headRow.insertBefore(headCell, headRow.firstChild);

  rows.forEach(function (row) {
    var cell = document.createElement('td');
    cell.className = 'bulk-col';
    var input = box(script.getAttribute('data-select') + ' ' + (row.querySelector('.task-name a') || row).textContent.trim());
    input.className = 'bulk-pick';
    input.value = row.getAttribute('data-task-id');
    input.addEventListener('change', refresh);
    cell.appendChild(input);
    row.insertBefore(cell, row.firstChild);
    boxes.push(input);
  });
  all.addEventListener('change', function () {
    boxes.forEach(function (b) { b.checked = all.checked; });
    refresh();
  });
  action.addEventListener('change', refresh);

  form.addEventListener('submit', function (event) {
    var chosen = boxes.filter(function (b) { return b.checked; });
    if (!chosen.length) {
      event.preventDefault();
      window.alert(form.getAttribute('data-none'));
      return;
    }
    ids.textContent = '';
    chosen.forEach(function (b) {
      var hidden = document.createElement('input');
      hidden.type = 'hidden';
      hidden.name = 'tasks';
      hidden.value = b.value;
      ids.appendChild(hidden);
    });
  });

  var card = table.closest('.card');
  var filters = card && card.querySelector('.filters');
  if (filters) { filters.insertAdjacentElement('afterend', form); } else { table.insertAdjacentElement('beforebegin', form); }
  form.classList.remove('card');
  form.hidden = false;
  refresh();
}());
