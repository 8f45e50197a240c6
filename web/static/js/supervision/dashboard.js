/* The supervision dashboard: ECharts (global `echarts`) over the figures the page embeds as JSON.
 * Every bar, slice and point carries the link to the case list behind it; clicking opens that list. */
(function () {
  'use strict';
  var dataNode = document.getElementById('jd-dashboard');
  var labelNode = document.getElementById('jd-dashboard-labels');
  if (!dataNode || typeof echarts === 'undefined') { return; }
  var figures = JSON.parse(dataNode.textContent);
  var L = JSON.parse(labelNode.textContent);
  var STATUS_COLORS = { running: '#1d5bd8', suspended: '#e8a33d', completed: '#1e7f45', cancelled: '#9aa1ab', error: '#d0312d' };
  var STATUS_ORDER = ['running', 'suspended', 'error', 'completed', 'cancelled'];
  var FONT = getComputedStyle(document.body).fontFamily;
  var charts = [];

  function chart(id, option, links) {
    var node = document.getElementById(id);
    if (!node) { return; }
    var instance = echarts.init(node, null, { renderer: 'svg' });
    option.textStyle = { fontFamily: FONT };
    option.animation = false;
    instance.setOption(option);
    instance.on('click', function (params) {
      var link = (params.data && params.data.link) || (links && links(params));
      if (link) { window.location.href = link; }
    });
    node.setAttribute('data-state', 'ready');
    charts.push(instance);
  }

  function empty(id) {
    var node = document.getElementById(id);
    if (!node) { return; }
    node.classList.add('chart-empty');
    node.textContent = L.empty;
    node.setAttribute('data-state', 'empty');
  }

  /* Durations read in days when the longest is two days or more, otherwise in hours. */
  function durationScale(items) {
    var longest = 0;
    items.forEach(function (i) { longest = Math.max(longest, i.avg_seconds || 0, i.p90_seconds || 0); });
    return longest >= 2 * 86400 ? { div: 86400, unit: L.days } : { div: 3600, unit: L.hours };
  }
  function round1(x) { return x === null || x === undefined ? null : Math.round(x * 10) / 10; }

  function horizontalBars(id, items, label, color) {
    if (!items.length) { return empty(id); }
    var shown = items.slice(0, 12).reverse();
    chart(id, {
      grid: { left: 8, right: 28, top: 8, bottom: 8, containLabel: true },
      tooltip: { trigger: 'item' },
      xAxis: { type: 'value', minInterval: 1, splitLine: { lineStyle: { color: '#eef0f3' } } },
      yAxis: { type: 'category', data: shown.map(label), axisTick: { show: false },
               axisLabel: { width: 150, overflow: 'truncate' } },
      series: [{ type: 'bar', barMaxWidth: 18, itemStyle: { color: color, borderRadius: [0, 3, 3, 0] },
                 label: { show: true, position: 'right', color: '#3b4048' },
                 data: shown.map(function (i) { return { value: i.count, link: i.link, name: label(i) }; }) }]
    });
  }

  // Cases by status: a ring with the total in the middle.
  var statuses = figures.by_status.filter(function (s) { return s.count > 0; });
  if (statuses.length) {
    chart('chart-status', {
      tooltip: { trigger: 'item', formatter: '{b}: {c} ({d}%)' },
      legend: { bottom: 0, icon: 'circle' },
      title: { text: String(figures.totals.cases), subtext: L.cases, left: 'center', top: '36%',
               textStyle: { fontSize: 26, fontWeight: 600, color: '#1f2329' }, subtextStyle: { color: '#6b7280' } },
      series: [{ type: 'pie', radius: ['48%', '72%'], center: ['50%', '45%'], avoidLabelOverlap: true,
                 label: { formatter: '{b} {c}' },
                 data: statuses.map(function (s) {
                   return { name: L.status[s.status] || s.status, value: s.count, link: s.link,
                            itemStyle: { color: STATUS_COLORS[s.status] } };
                 }) }]
    });
  } else { empty('chart-status'); }

  // Cases by unit, stacked by status.
  if (figures.by_unit.length) {
    var units = figures.by_unit.slice(0, 12).reverse();
    chart('chart-units', {
      grid: { left: 8, right: 16, top: 28, bottom: 8, containLabel: true },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      legend: { top: 0, icon: 'roundRect', itemWidth: 10, itemHeight: 10 },
      xAxis: { type: 'value', minInterval: 1, splitLine: { lineStyle: { color: '#eef0f3' } } },
      yAxis: { type: 'category', data: units.map(function (u) { return u.name; }), axisTick: { show: false },
               axisLabel: { width: 150, overflow: 'truncate' } },
      series: STATUS_ORDER.map(function (status) {
        return { name: L.status[status], type: 'bar', stack: 'units', barMaxWidth: 18,
                 itemStyle: { color: STATUS_COLORS[status] },
                 data: units.map(function (u) {
                   return { value: u.by_status[status] || 0, link: u.link + '&status=' + status };
                 }) };
      })
    });
  } else { empty('chart-units'); }

  horizontalBars('chart-overdue-units', figures.overdue_by_unit, function (i) { return i.name; }, '#d0312d');
  horizontalBars('chart-overdue-steps', figures.overdue_by_step, function (i) { return i.name; }, '#e0614f');

  function durations(id, items, label) {
    if (!items.length) { return empty(id); }
    var shown = items.slice(0, 10).reverse();
    var scale = durationScale(shown);
    chart(id, {
      grid: { left: 8, right: 40, top: 28, bottom: 8, containLabel: true },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: function (v) { return v + ' ' + scale.unit; } },
      legend: { top: 0, icon: 'roundRect', itemWidth: 10, itemHeight: 10 },
      xAxis: { type: 'value', name: scale.unit, splitLine: { lineStyle: { color: '#eef0f3' } } },
      yAxis: { type: 'category', data: shown.map(label), axisTick: { show: false },
               axisLabel: { width: 150, overflow: 'truncate' } },
      series: [
        { name: L.average, type: 'bar', barMaxWidth: 12, itemStyle: { color: '#1d5bd8' },
          data: shown.map(function (i) { return { value: round1(i.avg_seconds / scale.div), link: i.link }; }) },
        { name: L.p90, type: 'bar', barMaxWidth: 12, itemStyle: { color: '#9db7ef' },
          data: shown.map(function (i) { return { value: round1((i.p90_seconds || 0) / scale.div), link: i.link }; }) }
      ]
    });
  }
  durations('chart-step-times', figures.step_durations, function (i) { return i.name; });
  durations('chart-process-times', figures.process_durations, function (i) { return i.name; });

  // Started and completed per week.
  chart('chart-trend', {
    grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
    tooltip: { trigger: 'axis' },
    legend: { top: 0 },
    xAxis: { type: 'category', data: figures.trend.map(function (w) { return w.week.slice(5); }), boundaryGap: false },
    yAxis: { type: 'value', minInterval: 1, splitLine: { lineStyle: { color: '#eef0f3' } } },
    series: [
      { name: L.started, type: 'line', smooth: 0.3, symbolSize: 7, itemStyle: { color: '#b3261e' },
        areaStyle: { color: 'rgba(179, 38, 30, .08)' },
        data: figures.trend.map(function (w) { return { value: w.started, link: w.link }; }) },
      { name: L.completed, type: 'line', smooth: 0.3, symbolSize: 7, itemStyle: { color: '#1e7f45' },
        data: figures.trend.map(function (w) { return { value: w.completed, link: w.link }; }) }
    ]
  });

  window.addEventListener('resize', function () { charts.forEach(function (c) { c.resize(); }); });
  document.documentElement.setAttribute('data-charts', String(charts.length));
})();
