/* The live dashboard (realtime/dashboard.py explains the feed).
 *
 * Each socket process pushes its figures once a second ('realtime:stats');
 * the page keeps the latest row per process, computes each process's rates
 * from two successive counter totals (exact whatever the interval), and adds
 * the processes up once a second for the figures and the chart. When the
 * socket is down (or refused) the page polls stats.json instead, and it polls
 * it every 10 s anyway to list processes that do not push.
 *
 * The chart is drawn here on a canvas: two lines over a fixed five-minute
 * window need ~50 lines, less than any chart library's configuration.
 * Everything from the server goes into the page as text (textContent).
 */
(function () {
  'use strict';

  var config = JSON.parse(document.getElementById('dashboard-config').textContent);
  var $ = function (id) { return document.getElementById(id); };
  var KEYS = ['messages_in', 'messages_out'];
  var procs = {};   // process id -> {row, rate, seen (ms, this page's clock)}
  var points = [];  // [{t, messages_in, messages_out}], one a second
  var mode = 'connecting';
  var pollTimer = null;

  // -- figures from rows ---------------------------------------------------
  function ingest(row) {
    if (!row || typeof row.process !== 'string' || !row.totals) return;
    var known = procs[row.process];
    if (known && known.row.time >= row.time) return;  // an older report than the one we hold
    var rate = {};
    KEYS.forEach(function (k) {
      var dt = known ? row.time - known.row.time : 0;
      var dv = known ? row.totals[k] - known.row.totals[k] : -1;
      rate[k] = dt > 0 && dv >= 0 ? dv / dt : ((row.per_second || {})[k] || 0);
    });
    procs[row.process] = {row: row, rate: rate, seen: Date.now()};
  }

  function ingestAll(data) {
    if (!data || !data.processes) return;
    data.processes.forEach(ingest);
    if (data.bus) $('bus-badge').textContent = data.bus.backend;
  }

  function live() {
    var now = Date.now(), rows = [];
    Object.keys(procs).forEach(function (id) {
      if (now - procs[id].seen > 20000) delete procs[id];  // stopped reporting: gone
      else rows.push(procs[id]);
    });
    rows.sort(function (a, b) { return (a.row.started || 0) - (b.row.started || 0); });
    return rows;
  }

  // -- rendering -------------------------------------------------------------
  function text(id, value) { $(id).textContent = value; }
  function rate(x) { return x >= 100 ? String(Math.round(x)) : (Math.round(x * 10) / 10).toFixed(1); }

  function duration(seconds) {
    seconds = Math.max(0, Math.round(seconds));
    if (seconds < 60) return seconds + ' s';
    if (seconds < 3600) return Math.floor(seconds / 60) + ' min';
    if (seconds < 86400) return Math.floor(seconds / 3600) + ' h ' + Math.floor(seconds % 3600 / 60) + ' min';
    return Math.floor(seconds / 86400) + ' d ' + Math.floor(seconds % 86400 / 3600) + ' h';
  }

  function cell(tr, value, className) {
    var td = document.createElement('td');
    td.textContent = value;
    if (className) td.className = className;
    tr.appendChild(td);
    return td;
  }

  function fillTable(id, rows, empty, columns) {
    var body = $(id).tBodies[0];
    body.textContent = '';
    if (!rows.length) {
      var tr = body.insertRow();
      cell(tr, empty, 'empty').colSpan = columns;
    }
    rows.forEach(function (cells) {
      var tr = body.insertRow();
      cells.forEach(function (c) { cell(tr, c[0], c[1]); });
    });
  }

  function render() {
    var rows = live(), total = {messages_in: 0, messages_out: 0}, connections = 0, refused = 0, dropped = 0;
    var byTransport = {}, rooms = {};
    rows.forEach(function (p) {
      var r = p.row;
      KEYS.forEach(function (k) { total[k] += p.rate[k]; });
      connections += r.connections_total || 0;
      refused += r.totals.refused || 0;
      dropped += r.totals.dropped || 0;
      Object.keys(r.connections || {}).forEach(function (t) { byTransport[t] = (byTransport[t] || 0) + r.connections[t]; });
      (r.room_members || []).forEach(function (m) {
        var key = (m[0] === '/' ? '' : m[0] + ' ') + m[1];
        rooms[key] = (rooms[key] || 0) + m[2];
      });
    });
    points.push({t: Date.now(), messages_in: total.messages_in, messages_out: total.messages_out});
    while (points.length && points[0].t < Date.now() - config.windowSeconds * 1000) points.shift();

    text('f-connections', connections);
    text('f-by-transport', Object.keys(byTransport).sort().map(function (t) { return t + ' ' + byTransport[t]; }).join(' · ') || '\u00a0');
    text('f-in', rate(total.messages_in));
    text('f-out', rate(total.messages_out));
    text('f-processes', rows.length);
    var roomNames = Object.keys(rooms).sort(function (a, b) { return rooms[b] - rooms[a] || (a < b ? -1 : 1); });
    text('f-rooms', roomNames.length + (roomNames.length === 1 ? ' room' : ' rooms'));
    text('f-refused', refused);
    text('f-dropped', dropped + ' dropped');

    var now = Date.now() / 1000;
    fillTable('processes', rows.map(function (p) {
      var r = p.row, bus = r.bus || {};
      var state = bus.up === false ? 'down' : 'up';
      if (bus.lost) state += ', ' + bus.lost + ' lost';
      return [[r.host + ':' + r.pid], [(r.transports || []).join(', ') || '-'], [r.connections_total || 0], [r.rooms || 0],
        [rate(p.rate.messages_in)], [rate(p.rate.messages_out)], [r.totals.refused || 0],
        [state, bus.up === false ? 'down' : ''], [duration(now - (r.started || now))]];
    }), 'No socket process has reported.', 9);
    fillTable('rooms', roomNames.slice(0, 50).map(function (name) { return [[name], [rooms[name]]]; }),
      'No room has members.', 2);
    draw();
  }

  // -- the chart ---------------------------------------------------------------
  function draw() {
    var canvas = $('chart'), ratio = window.devicePixelRatio || 1;
    var width = canvas.clientWidth, height = canvas.clientHeight;
    if (canvas.width !== width * ratio || canvas.height !== height * ratio) {
      canvas.width = width * ratio;
      canvas.height = height * ratio;
    }
    var g = canvas.getContext('2d'), style = getComputedStyle(document.documentElement);
    var color = function (name) { return style.getPropertyValue(name).trim(); };
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, width, height);
    // The window grows from 30 s after the page opened up to windowSeconds (5 min).
    var end = Date.now(), first = points.length ? points[0].t : end;
    var span = Math.min(config.windowSeconds, Math.max(30, (end - first) / 1000)) * 1000;
    var left = 40, bottom = height - 20, top = 8, right = width - 6;
    var max = 1;
    points.forEach(function (p) { max = Math.max(max, p.messages_in, p.messages_out); });
    var step = Math.pow(10, Math.floor(Math.log10(max)));
    if (max / step > 5) step *= 2;
    max = Math.ceil(max / step) * step;
    g.font = '11px system-ui, sans-serif';
    g.fillStyle = color('--muted');
    g.strokeStyle = color('--line');
    g.lineWidth = 1;
    g.textAlign = 'right';
    for (var v = 0; v <= max; v += step) {
      var y = Math.round(bottom - (bottom - top) * v / max) + 0.5;
      g.beginPath(); g.moveTo(left, y); g.lineTo(right, y); g.stroke();
      g.fillText(String(v), left - 6, y + 4);
    }
    g.textAlign = 'center';
    for (var i = 0; i <= 4; i++) {
      var ago = span / 1000 * (4 - i) / 4;
      var label = i === 4 ? 'now' : '-' + (ago < 120 ? Math.round(ago) + ' s' : Math.round(ago / 60) + ' min');
      g.textAlign = i === 0 ? 'left' : (i === 4 ? 'right' : 'center');
      g.fillText(label, left + (right - left) * i / 4, height - 4);
    }
    [['messages_in', '--accent'], ['messages_out', '--ok']].forEach(function (line) {
      g.strokeStyle = color(line[1]);
      g.lineWidth = 2;
      g.lineJoin = 'round';
      g.beginPath();
      points.forEach(function (p, i) {
        var x = right - (right - left) * (end - p.t) / span, y = bottom - (bottom - top) * p[line[0]] / max;
        if (i) g.lineTo(x, y); else g.moveTo(x, y);
      });
      g.stroke();
    });
  }

  // -- where the rows come from ------------------------------------------------
  function setMode(next, label) {
    mode = next;
    $('status').dataset.state = next;
    $('status').textContent = label;
  }

  function showError(err) {
    var box = $('error');
    box.textContent = err ? (err.message || err.error || String(err)) : '';
    box.hidden = !err;
  }

  function poll() {
    fetch(config.statsUrl, {credentials: 'same-origin', headers: {Accept: 'application/json'}})
      .then(function (response) {
        if (!response.ok) throw new Error('stats.json answered ' + response.status + (response.status === 403 ? ': log in as a staff user' : ''));
        return response.json();
      })
      .then(function (data) { ingestAll(data); if (mode !== 'live') showError(null); })
      .catch(function (err) { if (mode !== 'live') showError(err); });
  }

  function startPolling(reason) {
    if (mode !== 'polling') setMode('polling', 'polling stats.json' + (reason ? ' (' + reason + ')' : ''));
    if (!pollTimer) { poll(); pollTimer = setInterval(poll, 2000); }
  }

  function stopPolling() {
    clearInterval(pollTimer);
    pollTimer = null;
  }

  ingestAll(JSON.parse(document.getElementById('dashboard-data').textContent));
  render();
  setInterval(render, 1000);
  window.addEventListener('resize', draw);
  setInterval(function () { if (mode === 'live') poll(); }, 10000);
  setTimeout(function () { if (mode !== 'live') startPolling('no live feed'); }, 5000);

  var conn;
  try {
    // ?transport=sockjs picks a transport, as on the examples' pages.
    conn = Realtime.connect({transport: new URLSearchParams(location.search).get('transport') || undefined});
  } catch (err) {
    startPolling('no transport');
    return;
  }
  window.dashboard = {conn: conn, procs: procs, points: points};  // for the console and the browser tests

  function watch() {
    conn.emit(config.watchEvent, {}, function (err, res) {
      if (err || !res || res.error) {
        showError(err || res);
        startPolling('refused');
        return;
      }
      stopPolling();
      showError(null);
      ingestAll(res.stats);
      setMode('live', 'live via ' + (conn.transport || 'socket'));
    });
  }
  conn.on('connect', watch);
  conn.on('reconnect', watch);
  conn.on('disconnect', function () { startPolling('socket down'); });
  conn.on(config.statsEvent, ingest);
  if (conn.connected) watch();
})();
