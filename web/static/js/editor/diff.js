/* The version diff page: both versions in the bpmn-js viewer, removed and changed elements marked on the old one,
 * added and changed on the new one; a click on an entry of the list centres the element in both. */
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('jd-diff').textContent);
  var viewers = {};

  function load(id, marks) {
    var container = document.getElementById(id);
    var viewer = new BpmnNavigatedViewer({ container: container });
    viewers[id] = viewer;
    return fetch(container.getAttribute('data-src'), { credentials: 'same-origin' })
      .then(function (r) { if (!r.ok) { throw new Error('HTTP ' + r.status); } return r.text(); })
      .then(function (xml) { return viewer.importXML(xml); })
      .then(function () {
        var canvas = viewer.get('canvas');
        var registry = viewer.get('elementRegistry');
        Object.keys(marks).forEach(function (cls) {
          marks[cls].forEach(function (elementId) { if (registry.get(elementId)) { canvas.addMarker(elementId, cls); } });
        });
        canvas.zoom('fit-viewport', 'auto');
        container.setAttribute('data-state', 'ready');
      })
      .catch(function () {
        container.textContent = data.failed;
        container.setAttribute('data-state', 'failed');
      });
  }

  load('diff-old', { 'jd-removed': data.removed, 'jd-changed': data.changed });
  load('diff-new', { 'jd-added': data.added, 'jd-changed': data.changed });

  var list = document.getElementById('diff-list');
  if (list) {
    list.addEventListener('click', function (event) {
      var item = event.target.closest('[data-element-id]');
      if (!item) { return; }
      var elementId = item.getAttribute('data-element-id');
      Object.keys(viewers).forEach(function (id) {
        var viewer = viewers[id];
        var element = viewer.get('elementRegistry').get(elementId);
        if (element) {
          var canvas = viewer.get('canvas');
          canvas.zoom(1);
          canvas.scrollToElement(element, { top: 100, bottom: 100, left: 150, right: 150 });
        }
      });
    });
  }
})();
