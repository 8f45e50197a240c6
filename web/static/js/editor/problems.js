/* Validation results: the server's errors and lint warnings listed in the side pane, the offending elements
 * marked on the canvas with a count badge, and a click on an entry selects and shows its element. */
import { fill } from './api.js';

export class Problems {
  constructor(modeler, { list, count, summary, messages, onShow }) {
    this.modeler = modeler;
    this.list = list;
    this.count = count;
    this.summary = summary;
    this.messages = messages;
    this.onShow = onShow || (() => {});
    this.marked = [];
  }

  clear() {
    const canvas = this.modeler.get('canvas');
    const overlays = this.modeler.get('overlays');
    this.marked.forEach((id) => {
      canvas.removeMarker(id, 'jd-error');
      canvas.removeMarker(id, 'jd-warning');
    });
    overlays.remove({ type: 'jd-problems' });
    this.marked = [];
    this.list.textContent = '';
    this.count.hidden = true;
  }

  /** report = {errors: [...], warnings: [...]}, each {element_id, line, message, file}. */
  show(report) {
    this.clear();
    const m = this.messages;
    const errors = report.errors || [];
    const warnings = report.warnings || [];
    if (errors.length) {
      this.summary.textContent = fill(m.invalid, { n: errors.length });
      this.summary.className = 'jd-summary jd-summary-error';
    } else if (warnings.length) {
      this.summary.textContent = fill(m.validWithWarnings, { n: warnings.length });
      this.summary.className = 'jd-summary jd-summary-ok';
    } else {
      this.summary.textContent = m.valid;
      this.summary.className = 'jd-summary jd-summary-ok';
    }
    const total = errors.length + warnings.length;
    this.count.hidden = total === 0;
    this.count.textContent = String(total);
    this.count.classList.toggle('has-errors', errors.length > 0);
    errors.forEach((p) => this._entry(p, 'error'));
    warnings.forEach((p) => this._entry(p, 'warning'));
    this._mark(errors, 'jd-error');
    this._mark(warnings.filter((w) => !errors.some((e) => e.element_id === w.element_id)), 'jd-warning');
  }

  _entry(problem, level) {
    const registry = this.modeler.get('elementRegistry');
    const element = problem.element_id ? registry.get(problem.element_id) : null;
    const item = document.createElement('li');
    item.className = 'jd-problem jd-problem-' + level;
    item.dataset.elementId = problem.element_id || '';
    const head = document.createElement('div');
    head.className = 'jd-problem-head';
    const badge = document.createElement('span');
    badge.className = 'jd-level';
    badge.textContent = level === 'error' ? this.messages.errors : this.messages.warnings;
    head.appendChild(badge);
    const where = document.createElement('span');
    where.className = 'jd-where';
    const name = element && element.businessObject && element.businessObject.name;
    where.textContent = problem.element_id ? (name ? name + ' · ' + problem.element_id : problem.element_id)
      : this.messages.noElement;
    if (problem.element_id && !element) { where.textContent += ' ' + this.messages.elementMissing; }
    head.appendChild(where);
    if (problem.line) {
      const line = document.createElement('span');
      line.className = 'jd-line';
      line.textContent = fill(this.messages.line, { n: problem.line });
      head.appendChild(line);
    }
    const text = document.createElement('p');
    text.className = 'jd-message';
    text.textContent = problem.message;
    item.append(head, text);
    if (element) {
      item.tabIndex = 0;
      item.setAttribute('role', 'button');
      const reveal = () => this.reveal(problem.element_id);
      item.addEventListener('click', reveal);
      item.addEventListener('keydown', (event) => { if (event.key === 'Enter' || event.key === ' ') { event.preventDefault(); reveal(); } });
    }
    this.list.appendChild(item);
  }

  _mark(problems, marker) {
    const registry = this.modeler.get('elementRegistry');
    const canvas = this.modeler.get('canvas');
    const overlays = this.modeler.get('overlays');
    const counts = {};
    problems.forEach((p) => { if (p.element_id && registry.get(p.element_id)) { counts[p.element_id] = (counts[p.element_id] || 0) + 1; } });
    Object.entries(counts).forEach(([id, n]) => {
      canvas.addMarker(id, marker);
      this.marked.push(id);
      const element = registry.get(id);
      if (element.waypoints) { return; }
      const badge = document.createElement('div');
      badge.className = 'jd-problem-badge ' + marker;
      badge.textContent = String(n);
      badge.title = problems.filter((p) => p.element_id === id).map((p) => p.message).join('\n');
      overlays.add(id, 'jd-problems', { position: { top: -9, right: 9 }, html: badge });
    });
  }

  /** Select an element, open its plane (inside a collapsed sub-process) and scroll it into view. */
  reveal(elementId) {
    const registry = this.modeler.get('elementRegistry');
    const canvas = this.modeler.get('canvas');
    const element = registry.get(elementId);
    if (!element) { return; }
    const root = canvas.findRoot(element);
    if (root && root !== canvas.getRootElement()) { canvas.setRootElement(root); }
    canvas.scrollToElement(element, { top: 120, bottom: 120, left: 160, right: 160 });
    this.modeler.get('selection').select(element);
    canvas.focus();
    this.onShow(element);
  }
}
