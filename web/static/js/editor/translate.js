/* The modeler's `translate` service (bpmn-js i18n): bpmn-js-i18n's Chinese strings, completed by ours.
 * Every template asked for and not found is remembered in `window.jdUntranslated`, so a scan of the editor
 * (scripts/editor_i18n_scan.py) can list what is still shown in English. */

export function translateModule(dictionaries) {
  const table = Object.assign({}, ...dictionaries);
  const missing = window.jdUntranslated = window.jdUntranslated || new Set();

  function translate(template, replacements) {
    replacements = replacements || {};
    let text = table[template];
    if (text === undefined) {
      missing.add(template);
      text = template;
    }
    return String(text).replace(/{([^}]+)}/g, (whole, key) => (key in replacements ? replacements[key] : whole));
  }

  return { translate: ['value', translate] };
}
