/* The instance page's diagram: the definition's BPMN in the bpmn-js viewer (global `BpmnNavigatedViewer`),
 * with completed, current and overdue elements (and, when given, the flows taken) marked. */
(function () {
  'use strict';
  var container = document.getElementById('diagram');
  var markingNode = document.getElementById('jd-marking');
  if (!container || typeof BpmnNavigatedViewer === 'undefined') { return; }
  var marking = markingNode ? JSON.parse(markingNode.textContent) : {};

  // A wide, flat process in a tall box is a thin strip with empty space around it: size the box to the drawing's
  // proportions (within limits set in CSS), then fit.
  function fitHeight(canvas) {
    var inner = canvas.viewbox().inner;
    if (!inner.width || !inner.height) { return; }
    var style = window.getComputedStyle(container);
    var low = parseFloat(style.getPropertyValue('--diagram-min')) || 220;
    var high = parseFloat(style.getPropertyValue('--diagram-max')) || 560;
    var wanted = container.clientWidth * inner.height / inner.width + 48;
    container.style.height = Math.round(Math.max(low, Math.min(high, wanted))) + 'px';
    canvas.resized();
  }

  function notice(text) {
    container.textContent = '';
    var p = document.createElement('p');
    p.className = 'diagram-notice';
    p.textContent = text;
    container.appendChild(p);
    container.classList.add('diagram-empty');
    container.setAttribute('data-state', 'empty');
  }

  fetch(container.getAttribute('data-src'), { credentials: 'same-origin' })
    .then(function (response) {
      if (!response.ok) { throw new Error('HTTP ' + response.status); }
      return response.text();
    })
    .then(function (xml) {
      if (xml.indexOf('BPMNDiagram') === -1) {
        notice(container.getAttribute('data-no-diagram'));
        return;
      }
      var viewer = new BpmnNavigatedViewer({ container: container });
      return viewer.importXML(xml).then(function () {
        var canvas = viewer.get('canvas');
        var registry = viewer.get('elementRegistry');
        var mark = function (ids, cls) {
          (ids || []).forEach(function (id) { if (registry.get(id)) { canvas.addMarker(id, cls); } });
        };
        mark(marking.completed, 'jd-completed');
        mark((marking.current || []).filter(function (id) { return (marking.overdue || []).indexOf(id) === -1; }), 'jd-current');
        mark(marking.overdue, 'jd-overdue');
        mark(marking.path, 'jd-path');  // sequence flows the case went along
        fitHeight(canvas);
        canvas.zoom('fit-viewport', 'auto');
        container.setAttribute('data-state', 'ready');
        // Pages that add more (the supervision heatmap's overlays) listen for this.
        container.dispatchEvent(new CustomEvent('jd:diagram-ready', { detail: { viewer: viewer } }));
      });
    })
    .catch(function () { notice(container.getAttribute('data-failed')); });
})();
