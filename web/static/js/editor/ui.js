/* The editor page's small shared pieces of UI: the status pill in the toolbar, toasts, error texts. */
import { ApiError, fill } from './api.js';

export function makeUi(messages, state) {
  const m = messages;
  const $ = (id) => document.getElementById(id);

  function setStatus(text, tone) {
    const status = $('ed-status');
    status.textContent = text || '';
    status.className = 'ed-status' + (tone ? ' ed-status-' + tone : '');
  }

  function describeState() {
    if (state.dirty) { return setStatus(m.unsaved, 'dirty'); }
    if (state.saved) {
      const when = state.savedAt ? state.savedAt.toLocaleTimeString('zh-CN', { hour: '2-digit', minute: '2-digit' }) : '';
      return setStatus(when ? fill(m.savedAt, { t: when }) : m.saved, 'saved');
    }
    if (state.latestVersion) { return setStatus(fill(m.live, { v: state.latestVersion }), 'live'); }
    return setStatus(m.newProcess, 'new');
  }

  function errorText(err) {
    if (err instanceof ApiError) {
      if (err.status === 403) { return m.forbidden; }
      const details = err.body.details;
      if (details && typeof details === 'object' && !Array.isArray(details)) {
        return err.message + '：' + Object.values(details).join('；');
      }
      return err.message;
    }
    return err && err.message ? err.message : m.serverError;
  }

  function toast(text, tone) {
    const box = document.createElement('div');
    box.className = 'ed-toast ed-toast-' + (tone || 'info');
    box.setAttribute('role', 'status');
    box.textContent = text;
    document.body.appendChild(box);
    setTimeout(() => box.classList.add('ed-toast-out'), 3200);
    setTimeout(() => box.remove(), 3800);
  }

  return { setStatus, describeState, errorText, toast };
}
