/* The ping/pong page: client signals over SignalSocket (SockJS or Socket.IO).
 *
 * The round trip is measured on this page's own clock: we remember when
 * each ping (by sequence number) left, and read the clock again when its
 * pong arrives. Names from other pages are shown with textContent only.
 */
(function () {
  'use strict';

  var config = JSON.parse(document.getElementById('pingpong-config').textContent);
  var $ = function (id) { return document.getElementById(id); };
  var status = $('status'), log = $('log');
  var buttons = [$('ping'), $('ping-ten'), document.querySelector('#everyone button')];
  var seq = 0, pending = {}, samples = [], received = 0;

  var sock = new SignalSocket(config.url, {transport: config.transport});
  window.pingpong = {sock: sock, samples: samples};  // for the console and the browser tests

  function entry(className, kind, detail) {
    var li = document.createElement('li');
    li.className = className;
    var k = document.createElement('span');
    k.className = 'kind';
    k.textContent = kind;
    var d = document.createElement('span');
    d.className = 'ms';
    d.textContent = detail;
    li.appendChild(k);
    li.appendChild(d);
    log.insertBefore(li, log.firstChild);
    while (log.children.length > 50) log.removeChild(log.lastChild);
    $('received').textContent = String(++received);
  }

  function ready(on) {
    status.dataset.state = on ? 'connected' : 'reconnecting';
    status.textContent = on ? 'connected' : 'reconnecting';
    buttons.forEach(function (b) { b.disabled = !on; });
  }

  function ping() {
    seq += 1;
    pending[seq] = performance.now();
    sock.send('ping', {seq: seq});
  }

  sock.on('open', function () { ready(true); });
  sock.on('close', function () { ready(false); });
  // The server's refusals and failures: an Error with .code and the server's message.
  sock.on('error', function (err) { entry('error', err.code || 'error', err.message); });

  sock.on('pong', function (data) {
    var started = data && pending[data.seq];
    if (started === undefined) return;
    delete pending[data.seq];
    var ms = performance.now() - started;
    samples.push(ms);
    if (samples.length > 20) samples.shift();
    var avg = samples.reduce(function (a, b) { return a + b; }, 0) / samples.length;
    $('rtt').textContent = ms.toFixed(1) + ' ms';
    $('avg').textContent = avg.toFixed(1) + ' ms';
    $('pongs').textContent = String(Number($('pongs').textContent) + 1);
    entry('pong', 'pong #' + data.seq, ms.toFixed(1) + ' ms');
  });

  sock.on('pinged', function (data) {
    entry('pinged', 'ping from ' + ((data && data.name) || 'someone'), new Date().toLocaleTimeString());
  });

  $('ping').addEventListener('click', ping);
  $('ping-ten').addEventListener('click', function () { for (var i = 0; i < 10; i++) ping(); });
  $('everyone').addEventListener('submit', function (e) {
    e.preventDefault();
    sock.send('ping_everyone', {name: $('name').value.trim().slice(0, 24)});
  });
})();
