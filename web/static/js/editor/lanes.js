/* The lane panel: for each lane the assignment expression it stands for (written into the lane's `assignment`
 * extension property), the default a lane named after a role gets, and a preview of who it reaches in a unit. */
import { fill, post } from './api.js';
import { getAssignment, setAssignment } from './moddle.js';

export class LanePanel {
  constructor(modeler, { list, empty, unitSelect, config }) {
    this.modeler = modeler;
    this.list = list;
    this.empty = empty;
    this.unitSelect = unitSelect;
    this.config = config;
    this.messages = config.messages;
    this.aliases = {};
    (config.roles || []).forEach(([key, name]) => { this.aliases[key] = key; this.aliases[name] = key; });
    const eventBus = modeler.get('eventBus');
    eventBus.on(['import.done', 'elements.changed'], () => { this.render(); this.renderTask(); });
    eventBus.on('selection.changed', (event) => { this.task = event.newSelection[0]; this.renderTask(); });
    this.taskBox = document.getElementById('task-who');
    this.taskBox.querySelector('#task-who-preview').addEventListener('click', () => this.previewTask());
    unitSelect.addEventListener('change', () => this.list.querySelectorAll('.jd-preview').forEach((p) => { p.textContent = ''; }));
  }

  lanes() {
    return this.modeler.get('elementRegistry').filter((e) => e.type === 'bpmn:Lane');
  }

  defaultFor(name) {
    const key = this.aliases[(name || '').trim()];
    return key || '';
  }

  /** Re-render, keeping a field the person is typing in untouched. */
  render() {
    const lanes = this.lanes();
    this.empty.hidden = lanes.length > 0;
    const existing = new Map([...this.list.children].map((li) => [li.dataset.laneId, li]));
    const keep = new Set();
    lanes.forEach((lane) => {
      keep.add(lane.id);
      let item = existing.get(lane.id);
      if (!item) {
        item = this._item(lane);
      }
      this.list.appendChild(item);  // keeps diagram order
      this._update(item, lane);
    });
    existing.forEach((item, id) => { if (!keep.has(id)) { item.remove(); } });
  }

  _item(lane) {
    const m = this.messages;
    const item = document.createElement('li');
    item.className = 'jd-lane';
    item.dataset.laneId = lane.id;
    item.innerHTML = '<div class="jd-lane-head"><button type="button" class="jd-lane-name link-button"></button>'
      + '<code class="jd-lane-id"></code></div>'
      + '<label class="jd-lane-field"><span class="sr-only"></span><input type="text" class="jd-lane-input" spellcheck="false" autocomplete="off"></label>'
      + '<div class="jd-lane-hint muted"></div>'
      + '<div class="jd-lane-actions"><button type="button" class="btn btn-small jd-lane-preview"></button></div>'
      + '<div class="jd-preview" aria-live="polite"></div>';
    item.querySelector('.sr-only').textContent = m.laneExpression;
    const input = item.querySelector('.jd-lane-input');
    input.setAttribute('aria-label', m.laneExpression);
    input.addEventListener('change', () => {
      const element = this.modeler.get('elementRegistry').get(item.dataset.laneId);
      if (element) { setAssignment(this.modeler, element, input.value); }
    });
    input.addEventListener('keydown', (event) => { if (event.key === 'Enter') { input.blur(); } });
    item.querySelector('.jd-lane-preview').textContent = m.preview;
    item.querySelector('.jd-lane-preview').addEventListener('click', () => this.preview(item));
    item.querySelector('.jd-lane-name').addEventListener('click', () => {
      const element = this.modeler.get('elementRegistry').get(item.dataset.laneId);
      if (element) {
        this.modeler.get('selection').select(element);
        this.modeler.get('canvas').scrollToElement(element);
      }
    });
    return item;
  }

  _update(item, lane) {
    const m = this.messages;
    const name = lane.businessObject.name || '';
    item.querySelector('.jd-lane-name').textContent = name || m.unnamedLane;
    item.querySelector('.jd-lane-id').textContent = lane.id;
    const input = item.querySelector('.jd-lane-input');
    const value = getAssignment(lane);
    if (document.activeElement !== input) { input.value = value; }
    const fallback = this.defaultFor(name);
    input.placeholder = fallback || 'secretary, parent.discipline, group:duodao …';
    const hint = item.querySelector('.jd-lane-hint');
    hint.textContent = value ? '' : (fallback ? fill(m.laneDefault, { role: fallback }) : m.laneNone);
    hint.hidden = !hint.textContent;
  }

  /** Where the selected task's people come from, in the service's order: assignee > candidates > lane > initiator. */
  taskAssignment() {
    const task = this.task;
    if (!task || !['bpmn:UserTask', 'bpmn:ManualTask'].includes(task.type)) { return null; }
    const bo = task.businessObject;
    const m = this.messages;
    const assignee = bo.get('camunda:assignee');
    if (assignee) { return { text: fill(m.whoAssignee, { e: assignee }), parts: [[assignee, 'user']] }; }
    const users = bo.get('camunda:candidateUsers');
    const groups = bo.get('camunda:candidateGroups');
    if (users || groups) {
      return { text: fill(m.whoCandidates, { e: [users, groups].filter(Boolean).join(' / ') }),
               parts: [[users, 'user'], [groups, 'group']].filter(([e]) => e) };
    }
    const lane = this.lanes().find((l) => (l.businessObject.flowNodeRef || []).includes(bo));
    const expression = lane ? (getAssignment(lane) || this.defaultFor(lane.businessObject.name)) : '';
    if (expression) {
      return { text: fill(m.whoLane, { lane: lane.businessObject.name || lane.id, e: expression }),
               parts: [[expression, 'group']] };
    }
    return { text: m.whoInitiator, parts: [] };
  }

  renderTask() {
    const who = this.taskAssignment();
    this.taskBox.hidden = !who;
    if (!who) { return; }
    this.taskBox.querySelector('.jd-task-name').textContent = this.task.businessObject.name || this.task.id;
    this.taskBox.querySelector('.jd-task-source').textContent = who.text;
    this.taskBox.querySelector('#task-who-preview').hidden = !who.parts.length;
    this.taskBox.querySelector('.jd-preview').textContent = '';
  }

  async previewTask() {
    const who = this.taskAssignment();
    const box = this.taskBox.querySelector('.jd-preview');
    if (!who || !who.parts.length) { return; }
    box.textContent = '…';
    try {
      const results = await Promise.all(who.parts.map(([expression, context]) =>
        post(this.config.urls.preview, { expression, unit: this.unitSelect.value, context })));
      const merged = { label: results.map((r) => r.label).filter(Boolean).join('、'), users: [], problems: [], notes: [] };
      results.forEach((r) => {
        r.users.forEach((u) => { if (!merged.users.some((x) => x.username === u.username)) { merged.users.push(u); } });
        merged.problems.push(...r.problems);
        merged.notes.push(...r.notes);
      });
      renderPreview(box, merged, this.messages);
    } catch (err) {
      box.textContent = this.messages.previewFailed + '：' + err.message;
    }
  }

  expressionOf(item) {
    const lane = this.modeler.get('elementRegistry').get(item.dataset.laneId);
    const value = item.querySelector('.jd-lane-input').value.trim();
    return value || (lane ? this.defaultFor(lane.businessObject.name) : '');
  }

  async preview(item) {
    const m = this.messages;
    const box = item.querySelector('.jd-preview');
    const expression = this.expressionOf(item);
    box.className = 'jd-preview';
    if (!expression) {
      box.textContent = m.laneNone;
      return;
    }
    box.textContent = '…';
    try {
      const result = await post(this.config.urls.preview, { expression, unit: this.unitSelect.value, context: 'group' });
      renderPreview(box, result, m);
    } catch (err) {
      box.classList.add('jd-preview-bad');
      box.textContent = m.previewFailed + '：' + (err.body && err.body.details ? JSON.stringify(err.body.details) : err.message);
    }
  }
}

export function renderPreview(box, result, m) {
  box.textContent = '';
  box.className = 'jd-preview';
  if (result.label) {
    const label = document.createElement('div');
    label.className = 'jd-preview-label';
    label.textContent = result.label;
    box.appendChild(label);
  }
  if (result.users.length) {
    const people = document.createElement('ul');
    people.className = 'jd-people';
    result.users.forEach((u) => {
      const li = document.createElement('li');
      li.textContent = u.name;
      li.title = u.username;
      people.appendChild(li);
    });
    box.appendChild(people);
  }
  [...result.problems.map((t) => ['bad', t]), ...result.notes.map((t) => ['note', t])].forEach(([kind, text]) => {
    const p = document.createElement('p');
    p.className = 'jd-preview-' + kind;
    p.textContent = text;
    box.appendChild(p);
  });
  if (!result.users.length && !result.problems.length && !result.notes.length) {
    const p = document.createElement('p');
    p.className = 'jd-preview-bad';
    p.textContent = m.previewNobody;
    box.appendChild(p);
  }
}
