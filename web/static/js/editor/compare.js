/* "Compare with the deployed version" in the editor: the server's diff between the newest version and the saved
 * draft, coloured on the canvas (added green, changed orange) with the removed elements named in a banner. */
import { fill } from './api.js';

export class DiffOverlay {
  constructor(modeler, legend, messages) {
    this.modeler = modeler;
    this.legend = legend;
    this.messages = messages;
    this.marked = [];
  }

  clear() {
    const canvas = this.modeler.get('canvas');
    this.marked.forEach(([id, cls]) => canvas.removeMarker(id, cls));
    this.marked = [];
    this.legend.hidden = true;
  }

  show(result) {
    const m = this.messages;
    const registry = this.modeler.get('elementRegistry');
    const canvas = this.modeler.get('canvas');
    const mark = (items, cls) => items.forEach((item) => {
      if (registry.get(item.id)) {
        canvas.addMarker(item.id, cls);
        this.marked.push([item.id, cls]);
      }
    });
    mark(result.added, 'jd-added');
    mark(result.changed, 'jd-changed');
    this.legend.querySelector('.ed-diff-removed').textContent = [
      fill(m.diffAdded, { n: result.added.length }), fill(m.diffChanged, { n: result.changed.length }),
      result.removed.length ? fill(m.diffRemoved, { n: result.removed.length,
        names: result.removed.map((r) => r.name || r.id).join('、') }) : '',
    ].filter(Boolean).join('　');
    this.legend.hidden = false;
  }
}
