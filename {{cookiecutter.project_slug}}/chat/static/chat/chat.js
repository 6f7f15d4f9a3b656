/* The chat page, over Realtime.connect() (Socket.IO or SockJS: same code).
 *
 * Safety: every piece of user data goes into the page with textContent,
 * never innerHTML, so "<img src=x onerror=...>" is shown, not run.
 *
 * No message lost across a reconnect: we remember the id of the last
 * message we saw and send it when we (re)join, with the ids of our recent
 * messages (one can overtake another: each socket process delivers its own
 * first); the server answers with everything after it and whatever it
 * finds missing among the recent ones, from the database. Messages are kept sorted by id
 * and de-duplicated by id, so a message that arrives both live and in the
 * replay shows once, in its place.
 *
 * Before choosing a nickname the page reads the room ('chat:watch'): its
 * history and members, then its messages live, with the composer disabled.
 * A message the server refuses (the rate limit, say) goes back into the input
 * box, so nothing typed is lost.
 */
(function () {
  'use strict';

  var config = JSON.parse(document.getElementById('chat-config').textContent);
  var $ = function (id) { return document.getElementById(id); };
  var log = $('messages'), status = $('status'), errorBox = $('error');
  var composer = $('composer'), input = $('text'), nickForm = $('nick'), nickInput = $('nickname');

  var state = {
    lastId: null,        // highest message id seen
    sid: null,           // our connection's id at the last join (its ghost must not hold our nickname)
    seen: {},            // id -> true
    joined: false,       // joined on the current connection
    joining: false,
    reading: false,      // watching the room without a nickname on the current connection
    nickname: config.user || localStorage.getItem('chat.nickname') || '',
    outbox: new Realtime.core.Queue()  // typed while not joined: sent after the next join
  };

  var conn = Realtime.connect({transport: config.transport});
  window.chat = {conn: conn, state: state};  // for the console and the browser tests

  // -- rendering (text only) ---------------------------------------------
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function atBottom() { return log.scrollHeight - log.scrollTop - log.clientHeight < 40; }

  function addMessage(m) {
    if (!m || typeof m.id !== 'number' || state.seen[m.id]) return;
    state.seen[m.id] = true;
    if (state.lastId === null || m.id > state.lastId) state.lastId = m.id;
    var stick = atBottom();
    var li = el('li', 'msg' + (m.kind === 'system' ? ' system' : '') + (m.nickname && m.nickname === state.nickname ? ' mine' : ''));
    li.dataset.id = m.id;
    var head = el('span', 'nickname', m.kind === 'system' ? 'announcement' : m.nickname);
    if (m.verified) { var badge = el('span', 'verified', '\u2713'); badge.title = 'logged-in user'; head.appendChild(badge); }
    var when = new Date(m.at);
    if (!isNaN(when)) head.appendChild(el('span', 'time', when.toLocaleTimeString([], {hour: '2-digit', minute: '2-digit'})));
    li.appendChild(head);
    li.appendChild(el('span', 'text', m.text));
    // Keep id order: walk back past messages with a larger id.
    var before = null, node = log.lastElementChild;
    while (node && (!node.dataset.id || Number(node.dataset.id) > m.id)) {
      if (node.dataset.id) before = node;
      node = node.previousElementSibling;
    }
    log.insertBefore(li, before);
    if (stick) log.scrollTop = log.scrollHeight;
  }

  function notice(text) {
    var stick = atBottom();
    log.appendChild(el('li', 'notice', text));
    if (stick) log.scrollTop = log.scrollHeight;
  }

  function showMembers(members) {
    var list = $('members');
    list.textContent = '';
    (members || []).forEach(function (m) {
      var li = el('li', null);
      li.appendChild(el('span', 'name', m.nickname));
      li.appendChild(el('span', 'transport', m.transport || ''));
      list.appendChild(li);
    });
    $('count').textContent = String((members || []).length);
  }

  function showError(err) {
    var text = err && (err.message || err.error) || String(err);
    errorBox.textContent = text;
    errorBox.hidden = false;
    clearTimeout(showError.timer);
    showError.timer = setTimeout(function () { errorBox.hidden = true; }, 6000);
  }

  function setStatus(state_, text) {
    status.dataset.state = state_;
    status.textContent = text;
  }

  function setReady(ready) {
    input.disabled = !ready;
    composer.querySelector('button').disabled = !ready;
    input.placeholder = ready || !state.reading ? 'Message #' + config.room : 'Pick a nickname to write';
    if (ready) input.focus();
  }

  function showHistory(res) {
    if (res.skipped) notice(res.skipped + ' older messages were skipped');
    res.messages.forEach(addMessage);
    showMembers(res.members);
  }

  function recent() {
    return Object.keys(state.seen).map(Number).sort(function (a, b) { return b - a; }).slice(0, 100);
  }

  // -- joining -------------------------------------------------------------
  function askNickname() {
    nickForm.hidden = false;
    nickInput.value = state.nickname;
    nickInput.focus();
  }

  // Read-only until a nickname is chosen: the room's history, members and live messages.
  function watch() {
    if (state.reading || state.joined || !conn.connected) return;
    state.reading = true;
    setReady(false);
    conn.emit('chat:watch', {room: config.room, after: state.lastId, have: recent()}, function (err, res) {
      if (err) { state.reading = false; showError(err); return; }  // err.code says why
      showHistory(res);
    });
  }

  function join() {
    if (state.joined || state.joining || !conn.connected) return;
    if (!config.user && !state.nickname) { askNickname(); watch(); return; }
    state.joining = true;
    var payload = {room: config.room, nickname: state.nickname, after: state.lastId, have: recent(), previous: state.sid};
    conn.emit('chat:join', payload, function (err, res) {
      state.joining = false;
      if (err) {  // refused (err.code says why), no receiver, a receiver raised, or no answer in time
        showError(err);
        if (err.code === 'nickname_taken' || err.code === 'bad_nickname') askNickname();
        // The database was busy or down: ask again in a moment (1-3 s, spread so a crowd does not return at once).
        if (err.code === 'unavailable') setTimeout(join, 1000 + Math.random() * 2000);
        return;
      }
      state.joined = true;
      state.reading = false;
      state.sid = conn.id || null;
      state.nickname = res.nickname;
      if (!config.user) localStorage.setItem('chat.nickname', res.nickname);
      nickForm.hidden = true;
      showHistory(res);
      setReady(true);
      flush();
    });
  }

  nickForm.addEventListener('submit', function (e) {
    e.preventDefault();
    state.nickname = nickInput.value.trim();
    join();
  });

  // -- sending ---------------------------------------------------------------
  function send(text) {
    conn.emit('chat:message', {room: config.room, text: text}, function (err) {
      if (!err) return;
      showError(err);  // e.g. err.code 'rate_limited', err.message the server's sentence
      if (err.code !== 'ack_timeout') giveBack(text);  // refused, not sent: back into the box (a timed-out one may have been sent)
    });
  }

  function giveBack(text) {
    if (!input.value) input.value = text;
    else if (input.value.indexOf(text) !== 0) input.value = text + ' ' + input.value;
  }

  function flush() {
    if (state.joined) state.outbox.flush(send);
  }

  composer.addEventListener('submit', function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    if (text.length > config.maxLength) {  // a courtesy: the server enforces it
      showError({message: 'Messages are limited to ' + config.maxLength + ' characters.'});
      return;
    }
    input.value = '';
    if (state.joined) send(text);
    else state.outbox.push(text);
  });

  // -- the connection ----------------------------------------------------------
  function connected() {
    setStatus('connected', 'connected');
    join();
  }
  conn.on('connect', connected);
  conn.on('reconnect', connected);
  conn.on('disconnect', function () {
    state.joined = false;
    state.joining = false;
    state.reading = false;
    setStatus('reconnecting', 'reconnecting');
  });
  conn.on('error', function (err) { showError(err); });
  conn.on('chat:message', addMessage);
  conn.on('chat:error', showError);
  conn.on('chat:presence', function (p) {
    if (!p) return;
    showMembers(p.members);
    if (p.nickname && p.nickname !== state.nickname) notice(p.nickname + (p.event === 'left' ? ' left' : ' joined'));
  });
  if (conn.connected) connected();

  // -- the round trip, from the ping/pong example (when it is installed) --------
  // Its SignalSocket rides the chat's connection: one socket for both (README: one connection per page).
  if (config.pingpong && window.SignalSocket) {
    var latency = $('latency'), seq = 0, sentAt = {};
    var pings = window.chat.pings = new SignalSocket(config.pingpong, {transport: config.transport});
    var ping = function () {
      if (!pings.isOpen) return;
      sentAt[++seq] = performance.now();
      pings.send('ping', {seq: seq});
    };
    pings.on('open', ping);
    pings.on('pong', function (data) {
      var started = data && sentAt[data.seq];
      if (started === undefined) return;
      delete sentAt[data.seq];
      latency.textContent = Math.round(performance.now() - started) + ' ms';
      latency.hidden = false;
    });
    setInterval(ping, 5000);
  }
})();
