/* Forms: the list of forms (deployed and changed in this draft), the picker that sets a task's camunda:formRef,
 * and the form-js editor in a dialog. A form changed here lives in the draft until the draft is deployed, which
 * makes it a new form version pinned by the new process version. */
import { fill, get } from './api.js';
import { getFormRef, setFormRef, takesForm } from './moddle.js';

const FORM_ID = /^[A-Za-z_][A-Za-z0-9_-]{0,127}$/;

export class FormsPanel {
  constructor(modeler, config, draftForms, { onChange }) {
    this.modeler = modeler;
    this.config = config;
    this.messages = config.messages;
    this.draftForms = draftForms;      // {id: schema} created or changed in this draft (shared with main.js)
    this.onChange = onChange;          // called after a form was applied to the draft
    this.server = [];                  // [{id, version, title, used_by}]
    this.selected = null;
    this.el = (id) => document.getElementById(id);
    this.editor = null;
    this.editing = null;               // {id, attach: element|null}
    this.datalist = document.createElement('datalist');
    this.datalist.id = 'jd-form-ids';
    document.body.appendChild(this.datalist);
    this._wire();
  }

  async load() {
    try {
      this.server = (await get(this.config.urls.forms)).items;
    } catch (err) {
      this.server = [];
    }
    this.render();
  }

  ids() {
    const ids = new Set(this.server.map((f) => f.id));
    Object.keys(this.draftForms).forEach((id) => ids.add(id));
    return [...ids].sort();
  }

  title(id) {
    const draft = this.draftForms[id];
    if (draft) { return titleOf(draft) || ''; }
    const server = this.server.find((f) => f.id === id);
    return (server && server.title) || '';
  }

  usedHere() {
    const used = new Set();
    this.modeler.get('elementRegistry').forEach((e) => { if (takesForm(e) && getFormRef(e)) { used.add(getFormRef(e)); } });
    return used;
  }

  render() {
    const m = this.messages;
    const list = this.el('form-list');
    list.textContent = '';
    const used = this.usedHere();
    const known = new Set(this.ids());
    [...known, ...[...used].filter((id) => !known.has(id))].forEach((id) => {
      const li = document.createElement('li');
      li.className = 'jd-form';
      li.dataset.formId = id;
      const head = document.createElement('div');
      head.className = 'jd-form-head';
      const code = document.createElement('code');
      code.textContent = id;
      const title = document.createElement('span');
      title.className = 'jd-form-title';
      title.textContent = this.title(id);
      head.append(code, title);
      const chips = document.createElement('div');
      chips.className = 'jd-chips';
      const chip = (text, cls) => { const c = document.createElement('span'); c.className = 'jd-chip ' + (cls || ''); c.textContent = text; chips.appendChild(c); };
      const server = this.server.find((f) => f.id === id);
      if (this.draftForms[id]) { chip(m.formDraft, 'jd-chip-draft'); }
      if (server) { chip(fill(m.formDeployed, { v: server.version })); }
      if (!server && !this.draftForms[id]) { chip(m.formMissing, 'jd-chip-bad'); }
      if (used.has(id)) { chip(m.formUsedHere, 'jd-chip-here'); }
      li.append(head, chips);
      if (server && server.used_by && server.used_by.length) {
        const note = document.createElement('div');
        note.className = 'jd-form-used muted';
        note.textContent = fill(m.formUsedBy, { keys: server.used_by.join('、') });
        li.appendChild(note);
      }
      if (server || this.draftForms[id]) {
        const edit = document.createElement('button');
        edit.type = 'button';
        edit.className = 'btn btn-small jd-form-edit';
        edit.textContent = m.edit;
        edit.addEventListener('click', () => this.open(id));
        li.appendChild(edit);
      }
      list.appendChild(li);
    });
    this.datalist.textContent = '';
    this.ids().forEach((id) => {
      const option = document.createElement('option');
      option.value = id;
      option.label = this.title(id);
      this.datalist.appendChild(option);
    });
    this.renderPicker();
  }

  select(element) {
    this.selected = element && takesForm(element) ? element : null;
    this.renderPicker();
  }

  renderPicker() {
    const picker = this.el('form-picker');
    const hint = this.el('form-picker-hint');
    const element = this.selected;
    picker.hidden = !element;
    hint.hidden = !!element;
    if (!element) { return; }
    this.el('form-picker-element').textContent = (element.businessObject.name || '') + ' (' + element.id + ')';
    const select = this.el('form-picker-select');
    const current = getFormRef(element);
    select.textContent = '';
    const none = new Option(this.messages.noForm, '');
    select.appendChild(none);
    const ids = this.ids();
    if (current && !ids.includes(current)) { ids.push(current); }
    ids.forEach((id) => {
      const title = this.title(id);
      const label = title ? id + ' · ' + title : id;
      select.appendChild(new Option(ids.includes(id) && !this.server.some((f) => f.id === id) && !this.draftForms[id]
        ? label + '（' + this.messages.formMissing + '）' : label, id));
    });
    select.value = current;
    this.el('form-picker-edit').disabled = !current || !(this.draftForms[current] || this.server.some((f) => f.id === current));
  }

  /** The properties panel's own formRef field gets the known form ids as suggestions. */
  decoratePropertiesPanel(root) {
    const apply = () => root.querySelectorAll('input[name="formRef"]').forEach((input) => {
      if (input.getAttribute('list') !== this.datalist.id) { input.setAttribute('list', this.datalist.id); }
    });
    new MutationObserver(apply).observe(root, { childList: true, subtree: true });
    apply();
  }

  _wire() {
    const m = this.messages;
    this.el('form-picker-select').addEventListener('change', (event) => {
      if (this.selected) { setFormRef(this.modeler, this.selected, event.target.value); }
    });
    this.el('form-picker-edit').addEventListener('click', () => {
      const id = this.selected && getFormRef(this.selected);
      if (id) { this.open(id); }
    });
    this.el('form-picker-new').addEventListener('click', () => this.askNew(this.selected));
    this.el('form-new').addEventListener('click', () => this.askNew(null));
    const dialog = this.el('new-form-dialog');
    this.el('new-form-cancel').addEventListener('click', () => dialog.close());
    this.el('new-form-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const id = this.el('new-form-id').value.trim();
      const error = this.el('new-form-error');
      error.hidden = true;
      if (!FORM_ID.test(id)) { error.textContent = m.formInvalidId; error.hidden = false; return; }
      if (this.ids().includes(id)) { error.textContent = m.formExists; error.hidden = false; return; }
      dialog.close();
      const title = this.el('new-form-name').value.trim();
      this.open(id, newSchema(id, title), this.attachTo);
    });
    this.el('form-dialog-cancel').addEventListener('click', () => this.el('form-dialog').close());
    this.el('form-dialog').addEventListener('close', () => { this.editing = null; });
    this.el('form-dialog-apply').addEventListener('click', () => this.apply());
  }

  askNew(element) {
    this.attachTo = element;
    this.el('new-form-id').value = '';
    this.el('new-form-name').value = '';
    this.el('new-form-error').hidden = true;
    this.el('new-form-dialog').showModal();
    this.el('new-form-id').focus();
  }

  async open(id, schema, attach) {
    const m = this.messages;
    if (!schema) {
      schema = this.draftForms[id];
      if (!schema) {
        try {
          schema = (await get(this.config.urls.form.replace('__ID__', encodeURIComponent(id)))).schema;
        } catch (err) {
          alert(m.formLoadFailed + '：' + err.message);
          return;
        }
      }
    }
    this.editing = { id, attach: attach || null };
    this.el('form-dialog-id').textContent = id;
    const server = this.server.find((f) => f.id === id);
    this.el('form-dialog-note').textContent = server && server.used_by.length ? fill(m.formUsedBy, { keys: server.used_by.join('、') }) : '';
    const dialog = this.el('form-dialog');
    dialog.showModal();
    if (!this.editor) {
      this.editor = new FormEditor.FormEditor({ container: this.el('form-editor') });
    }
    await this.editor.importSchema(JSON.parse(JSON.stringify(schema)));
  }

  apply() {
    if (!this.editing) { return; }
    const { id, attach } = this.editing;
    const schema = this.editor.saveSchema();
    schema.id = id;
    this.draftForms[id] = schema;
    if (attach) { setFormRef(this.modeler, attach, id); }
    this.el('form-dialog').close();
    this.render();
    this.onChange(id);
  }
}

function newSchema(id, title) {
  return {
    type: 'default', id, schemaVersion: (window.FormEditor && FormEditor.schemaVersion) || 16,
    exporter: { name: 'Jiandu', version: '1.0' },
    components: title ? [{ type: 'text', id: 'Text_title', text: '### ' + title }] : [],
  };
}

function titleOf(schema) {
  const text = (schema.components || []).find((c) => c && c.type === 'text' && c.text);
  return text ? String(text.text).trim().split('\n')[0].replace(/^[#*\s]+/, '').trim() : '';
}
