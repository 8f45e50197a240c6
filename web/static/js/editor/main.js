/* The process editor page: the Camunda Platform 7 modeler (global `BpmnModeler` from camunda-bpmn-js) with its
 * properties panel, in Chinese, plus Jiandu's panes (lanes, forms, validation, help) and the draft lifecycle:
 * open the working copy, save a draft, validate on the server, deploy, compare with the deployed version.
 *
 * Keyboard shortcuts: diagram-js 15 binds the keyboard to the canvas itself (the `keyboard.bindTo` option of
 * older releases is gone); the canvas takes focus when clicked, and we focus it after every import. */
import { del, fill, get, post, put } from './api.js';
import { DiffOverlay } from './compare.js';
import { keepCarriageReturns, patchModdle, restoreReferences } from './fidelity.js';
import { FormsPanel } from './forms.js';
import { LanePanel } from './lanes.js';
import { processKey, processName } from './moddle.js';
import { Problems } from './problems.js';
import { translateModule } from './translate.js';
import { makeUi } from './ui.js';
import zhExtra from './zh.js';

const config = JSON.parse(document.getElementById('jd-editor-config').textContent);
const m = config.messages;
const $ = (id) => document.getElementById(id);
const root = $('editor');
const baseTitle = document.title;

const state = {
  key: config.key,
  revision: config.revision,
  saved: config.saved,
  baseVersion: config.baseVersion,
  latestVersion: config.latestVersion,
  dirty: false,
  importOk: false,
  importing: false,
  busy: false,
  draftForms: {},
  savedAt: null,
};

async function translations() {
  if (!String(config.locale || '').startsWith('zh')) { return []; }
  try {
    const zn = await import(config.urls.zn);
    return [translateModule([zn.default, zhExtra])];
  } catch (err) {
    return [translateModule([zhExtra])];
  }
}

const { setStatus, describeState, errorText, toast } = makeUi(m, state);

async function main() {
  const modeler = new BpmnModeler({
    container: '#canvas',
    propertiesPanel: { parent: '#properties' },
    canvas: { autoFocus: true },
    keyboard: { bind: true },
    // Keep positions as drawn: align-to-origin would shift the whole diagram on every save (every element then
    // shows as "moved" in a version diff), and it fails outright on some foreign diagrams (MIWG A.4.0).
    disableAdjustOrigin: true,
    additionalModules: await translations(),
  });
  patchModdle(modeler.get('moddle'));
  const eventBus = modeler.get('eventBus');
  keepCarriageReturns(eventBus);
  const problems = new Problems(modeler, {
    list: $('problem-list'), count: $('problem-count'), summary: $('problems-summary'), messages: m,
  });
  const lanes = new LanePanel(modeler, { list: $('lane-list'), empty: $('lane-empty'), unitSelect: $('preview-unit'), config });
  const forms = new FormsPanel(modeler, config, state.draftForms, {
    onChange: () => { markDirty(); save(); },
  });
  forms.decoratePropertiesPanel($('properties'));

  function markDirty() {
    state.dirty = true;
    describeState();
  }

  eventBus.on('commandStack.changed', (event) => {
    if (state.importing || event.trigger === 'clear') { return; }
    markDirty();
  });
  function refreshName() {
    const definitions = modeler.getDefinitions();
    if (!definitions) { return; }
    const name = processName(definitions, processKey(definitions));
    $('ed-name').textContent = name;
    document.title = name + ' · ' + baseTitle;
  }
  eventBus.on('elements.changed', () => {
    if (!state.importOk) { return; }
    refreshName();
    forms.render();
  });
  eventBus.on('selection.changed', (event) => forms.select(event.newSelection[0]));

  // -- tabs --------------------------------------------------------------------------------------------------
  function showPane(name) {
    document.querySelectorAll('.ed-tab').forEach((tab) => {
      const active = tab.dataset.pane === name;
      tab.classList.toggle('active', active);
      tab.setAttribute('aria-selected', active ? 'true' : 'false');
    });
    document.querySelectorAll('.ed-pane').forEach((pane) => {
      const active = pane.id === 'pane-' + name;
      pane.classList.toggle('active', active);
      pane.hidden = !active;
    });
  }
  document.querySelectorAll('.ed-tab').forEach((tab) => tab.addEventListener('click', () => showPane(tab.dataset.pane)));

  // -- load ------------------------------------------------------------------------------------------------------
  async function open(xml) {
    state.importing = true;
    try {
      const result = await modeler.importXML(xml);
      state.importOk = true;
      root.dataset.state = 'ready';
      const warnings = restoreReferences(modeler.get('moddle'), result.warnings);
      state.lossyWarnings = warnings.length;
      if (warnings.length) {
        const banner = $('ed-import-warnings');
        banner.querySelector('.ed-banner-text').textContent = fill(m.importWarnings, { n: warnings.length }) + ' '
          + warnings.slice(0, 3).map((w) => w.message).join('；');
        banner.hidden = false;
      }
      modeler.get('canvas').zoom('fit-viewport', 'auto');
      modeler.get('canvas').focus();
    } catch (err) {
      state.importOk = false;
      root.dataset.state = 'import-error';
      const box = $('ed-import-error');
      // bpmn-js throws its import errors untranslated; show them in the page language, with the original.
      const said = modeler.get('translate')(err.message);
      box.querySelector('.ed-import-message').textContent = said === err.message ? said : said + '（' + err.message + '）';
      const list = box.querySelector('.ed-import-warnings');
      (err.warnings || []).slice(0, 10).forEach((w) => {
        const li = document.createElement('li');
        li.textContent = w.message;
        list.appendChild(li);
      });
      box.hidden = false;
      ['btn-save', 'btn-deploy', 'btn-diff', 'btn-undo', 'btn-redo'].forEach((id) => { $(id).disabled = true; });
    } finally {
      state.importing = false;
    }
  }

  setStatus(m.loading);
  let copy;
  try {
    copy = await get(config.urls.draft);
  } catch (err) {
    setStatus(errorText(err), 'bad');
    root.dataset.state = 'load-error';
    return;
  }
  Object.assign(state.draftForms, copy.forms || {});
  Object.assign(state, { revision: copy.revision, saved: copy.saved, baseVersion: copy.base_version,
                         latestVersion: copy.latest_version, savedAt: copy.updated_at ? new Date(copy.updated_at) : null });
  state.rawXml = copy.bpmn;
  await open(copy.bpmn);
  if (state.importOk) { refreshName(); }
  describeState();
  forms.load();

  // -- save ------------------------------------------------------------------------------------------------------
  async function currentXml() {
    return (await modeler.saveXML({ format: true })).xml;
  }

  async function save() {
    if (!state.importOk || state.busy) { return false; }
    if (state.lossyWarnings && !state.lossAccepted) {
      if (!window.confirm(fill(m.lossyImport, { n: state.lossyWarnings }))) { return false; }
      state.lossAccepted = true;
    }
    state.busy = true;
    setStatus(m.saving);
    try {
      const xml = await currentXml();
      const key = processKey(modeler.getDefinitions());
      if (key && key !== state.key) {
        await put(config.urls.draft.replace('/' + encodeURIComponent(state.key) + '/', '/' + encodeURIComponent(key) + '/'),
          { bpmn: xml, forms: state.draftForms, revision: 0, base_version: null });
        state.dirty = false;
        toast(fill(m.keyChanged, { key }));
        window.location.assign(config.urls.edit.replace('__KEY__', encodeURIComponent(key)));
        return true;
      }
      const saved = await put(config.urls.draft, {
        bpmn: xml, forms: state.draftForms, revision: state.revision, base_version: state.baseVersion,
      });
      Object.assign(state, { revision: saved.revision, saved: true, dirty: false, baseVersion: saved.base_version,
                             latestVersion: saved.latest_version, savedAt: new Date() });
      $('btn-discard').hidden = false;
      describeState();
      return true;
    } catch (err) {
      setStatus((err.status === 409 ? m.conflict : m.saveFailed) + '：' + errorText(err), 'bad');
      return false;
    } finally {
      state.busy = false;
    }
  }

  // -- validate ----------------------------------------------------------------------------------------------
  async function validate() {
    setStatus(m.validating);
    const xml = state.importOk ? await currentXml() : state.rawXml;
    const files = new FormData();
    files.append('files', new Blob([xml], { type: 'application/xml' }), state.key + '.bpmn');
    Object.entries(state.draftForms).forEach(([id, schema]) => {
      files.append('files', new Blob([JSON.stringify(schema)], { type: 'application/json' }), id + '.form');
    });
    try {
      const report = await post(config.urls.validate, files);
      problems.show(report);
      showPane('problems');
      describeState();
      return report;
    } catch (err) {
      setStatus(errorText(err), 'bad');
      return null;
    }
  }

  // -- deploy ------------------------------------------------------------------------------------------------
  const deployDialog = $('deploy-dialog');
  let force = false;

  async function deploy() {
    if (!(await save())) { return; }
    const report = await validate();
    if (!report) { return; }
    if (report.errors.length) {
      setStatus(fill(m.invalid, { n: report.errors.length }), 'bad');
      return;
    }
    force = false;
    $('deploy-conflict').hidden = true;
    $('deploy-confirm').textContent = m.confirmDeploy;
    deployDialog.showModal();
    $('deploy-comment').focus();
  }

  $('deploy-cancel').addEventListener('click', () => deployDialog.close());
  $('deploy-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    setStatus(m.deploying);
    $('deploy-confirm').disabled = true;
    try {
      const done = await post(config.urls.deploy, { revision: state.revision, force, comment: $('deploy-comment').value });
      deployDialog.close();
      Object.assign(state, { saved: false, revision: 0, dirty: false, baseVersion: done.version, latestVersion: done.version });
      Object.keys(state.draftForms).forEach((id) => delete state.draftForms[id]);
      $('btn-discard').hidden = true;
      $('btn-diff').disabled = false;
      setStatus(fill(m.deployed, { v: done.version }), 'live');
      toast(fill(m.deployed, { v: done.version }), 'success');
      root.dataset.deployed = String(done.version);
      forms.load();
    } catch (err) {
      if (err.status === 409) {
        $('deploy-conflict').textContent = m.deployConflict + '：' + err.message;
        $('deploy-conflict').hidden = false;
        $('deploy-confirm').textContent = m.deployAnyway;
        force = true;
        setStatus(m.deployConflict, 'bad');
      } else if (err.status === 422 && err.body.errors) {
        deployDialog.close();
        problems.show({ errors: err.body.errors, warnings: [] });
        showPane('problems');
        setStatus(m.deployFailed, 'bad');
      } else {
        deployDialog.close();
        setStatus(errorText(err), 'bad');
      }
    } finally {
      $('deploy-confirm').disabled = false;
    }
  });

  // -- compare with the deployed version ---------------------------------------------------------------------
  const overlay = new DiffOverlay(modeler, $('ed-diff-legend'), m);
  async function showDiff() {
    overlay.clear();
    if (!state.latestVersion) { return; }
    if ((state.dirty || !state.saved) && !(await save())) { return; }
    try {
      overlay.show(await get(config.urls.diff + '?from=' + state.latestVersion + '&to=draft'));
    } catch (err) {
      setStatus(errorText(err), 'bad');
    }
  }
  $('ed-diff-close').addEventListener('click', () => overlay.clear());

  // -- toolbar -----------------------------------------------------------------------------------------------
  $('btn-save').addEventListener('click', () => save());
  $('btn-validate').addEventListener('click', () => validate());
  $('btn-deploy').addEventListener('click', () => deploy());
  $('btn-undo').addEventListener('click', () => modeler.get('commandStack').undo());
  $('btn-redo').addEventListener('click', () => modeler.get('commandStack').redo());
  $('btn-diff').addEventListener('click', () => { closeMenu(); showDiff(); });
  $('btn-download').addEventListener('click', async () => {
    closeMenu();
    const xml = state.importOk ? await currentXml() : state.rawXml;
    const link = document.createElement('a');
    link.href = URL.createObjectURL(new Blob([xml], { type: 'application/xml' }));
    link.download = state.key + '.bpmn';
    document.body.appendChild(link);
    link.click();
    setTimeout(() => { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
  });
  $('btn-fullscreen').addEventListener('click', () => {
    closeMenu();
    if (document.fullscreenElement) { document.exitFullscreen(); } else { root.requestFullscreen().catch(() => {}); }
  });
  $('btn-discard').addEventListener('click', async () => {
    closeMenu();
    if (!window.confirm(m.discardConfirm)) { return; }
    try {
      await del(config.urls.draft);
      state.dirty = false;
      toast(m.discarded);
      window.location.assign(config.urls.library);
    } catch (err) {
      setStatus(errorText(err), 'bad');
    }
  });
  function closeMenu() { document.querySelector('.ed-more').removeAttribute('open'); }
  $('ed-import-warnings-close').addEventListener('click', () => { $('ed-import-warnings').hidden = true; });

  document.addEventListener('keydown', (event) => {
    if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === 's') {
      event.preventDefault();
      save();
    }
  }, true);
  window.addEventListener('beforeunload', (event) => {
    if (state.dirty) { event.preventDefault(); event.returnValue = m.leave; }
  });

  // For browser tests and the maintenance scripts in scripts/: the modeler and the page's own actions.
  window.jdEditor = { modeler, state, save, validate, deploy, showPane, problems, lanes, forms };
}

main();
