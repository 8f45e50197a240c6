/* The process heatmap: once diagram.js has drawn the definition (event `jd:diagram-ready`), colour each human
 * step by its average time (light → dark red) and put a badge on it: open tasks, late ones, average time. */
(function () {
  'use strict';
  var container = document.getElementById('diagram');
  var dataNode = document.getElementById('jd-heat');
  if (!container || !dataNode) { return; }
  var heat = JSON.parse(dataNode.textContent);

  function readable(seconds) {
    if (seconds === null || seconds === undefined) { return '—'; }
    if (seconds >= 86400) { return (Math.round(seconds / 8640) / 10) + 'd'; }
    if (seconds >= 3600) { return (Math.round(seconds / 360) / 10) + 'h'; }
    return seconds < 60 ? '<1m' : Math.round(seconds / 60) + 'm';
  }

  function level(value) { return value <= 0 ? 0 : Math.min(5, Math.ceil(value * 5)); }

  container.addEventListener('jd:diagram-ready', function (event) {
    var viewer = event.detail.viewer;
    var canvas = viewer.get('canvas');
    var overlays = viewer.get('overlays');
    var registry = viewer.get('elementRegistry');
    heat.elements.forEach(function (e) {
      var shape = registry.get(e.element_id);
      if (!shape) { return; }
      canvas.addMarker(e.element_id, 'jd-heat-' + level(e.heat));
      var badge = document.createElement('a');
      badge.className = 'heat-badge' + (e.overdue ? ' has-late' : '') + (e.open ? '' : ' is-idle');
      badge.href = e.link;
      badge.title = e.name + ' · ' + heat.labels.open + ' ' + e.open + ' · ' + heat.labels.overdue + ' ' + e.overdue +
        ' · ' + heat.labels.avg + ' ' + readable(e.avg_seconds);
      var count = document.createElement('span');
      count.className = 'heat-open';
      count.textContent = String(e.open);
      badge.appendChild(count);
      if (e.overdue) {
        var late = document.createElement('span');
        late.className = 'heat-late';
        late.textContent = String(e.overdue);
        badge.appendChild(late);
      }
      var avg = document.createElement('span');
      avg.className = 'heat-avg';
      avg.textContent = readable(e.avg_seconds);
      badge.appendChild(avg);
      overlays.add(e.element_id, 'jd-heat', { position: { top: -14, right: 8 }, html: badge });
    });
    container.setAttribute('data-heat', 'ready');
  });
})();
