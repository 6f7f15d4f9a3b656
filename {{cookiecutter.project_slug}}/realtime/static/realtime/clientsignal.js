/* SignalSocket: Django signals to and from the browser (Django Client Signals' API).
 *
 *   var sock = new SignalSocket('/simple');            // a CLIENTSIGNAL_CONNECTIONS url
 *   sock.on('pong', function (data) { ... });          // a broadcast (or replied) signal
 *   sock.send('ping', {ping: 'stringping'});           // queued while disconnected
 *   sock.on('open' | 'close' | 'error', function () {});
 *
 * Options: transport ('sockjs' or 'socketio'; default: the first the page
 * serves, see SignalSocket.config), transports (a whitelist passed to the
 * library: SockJS names such as ['websocket', 'xhr-polling'], or Socket.IO's
 * ['websocket', 'polling']), reconnectDelay / reconnectDelayMax (ms).
 *
 * The wire is Django Client Signals' {"event": name, "data": {...}}. Errors from the
 * server (unknown signal, refused, a listener that raised, ...) arrive as the
 * 'error' pseudo-event: an Error whose message is the server's, with .code
 * ('unknown_signal', 'bad_data', 'server_error', 'refused', 'connect_error')
 * and .data (the server's {error: code, message: text}). A refused connection (code 4403) or
 * close() does not reconnect; anything else reconnects with exponential
 * backoff and then sends what was queued.
 */
(function (root) {
  'use strict';

  function readConfig() {
    var el = root.document && root.document.getElementById('clientsignal-config');
    if (!el) return {};
    try { return JSON.parse(el.textContent); } catch (e) { return {}; }
  }

  var NO_RECONNECT = {4000: true, 4403: true};

  /* The server's {error: code, message: text} as an Error (.code, .data), or null. */
  function failure(value) {
    if (!value || typeof value !== 'object' || typeof value.error !== 'string') return null;
    var error = new Error(typeof value.message === 'string' && value.message ? value.message : value.error);
    error.code = value.error;
    error.data = value;
    return error;
  }

  function SignalSocket(url, options) {
    if (!(this instanceof SignalSocket)) return new SignalSocket(url, options);
    var config = SignalSocket.config;
    options = options || {};
    this.url = url;
    this.options = options;
    this.transport = options.transport || (config.transports || [])[0] ||
      (root.SockJS ? 'sockjs' : 'socketio');
    this.minDelay = options.reconnectDelay || 500;
    this.maxDelay = options.reconnectDelayMax || 10000;
    this.isOpen = false;
    this.opens = 0;
    this._handlers = {};
    this._queue = [];
    this._attempt = 0;
    this._closed = false;
    this._timer = null;
    if (this.transport === 'socketio') this._openSocketIO();
    else this._openSockJS();
  }

  SignalSocket.config = readConfig();

  var proto = SignalSocket.prototype;

  proto.on = function (name, cb) {
    (this._handlers[name] = this._handlers[name] || []).push(cb);
    return this;
  };

  proto.off = function (name, cb) {
    var list = this._handlers[name] || [];
    this._handlers[name] = cb ? list.filter(function (f) { return f !== cb; }) : [];
    return this;
  };

  proto._fire = function (name, args) {
    var list = (this._handlers[name] || []).slice();
    for (var i = 0; i < list.length; i++) {
      try { list[i].apply(this, args || []); } catch (e) { if (root.console) root.console.error(e); }
    }
  };

  /* Send signal `name` with `data` (an object of keyword arguments). */
  proto.send = function (name, data) {
    var frame = {event: name, data: data || {}};
    if (this.isOpen) this._write(frame);
    else this._queue.push(frame);
    return this;
  };

  proto.close = function () {
    this._closed = true;
    clearTimeout(this._timer);
    if (this._sock) this._sock.close();
    if (this._io) this._io.disconnect();
    return this;
  };

  /* The library transport in use ('websocket', 'xhr-polling', 'polling', ...). */
  proto.transportName = function () {
    if (this._sock) return this._sock.transport || null;
    if (this._io && this._io.io.engine) return this._io.io.engine.transport.name;
    return null;
  };

  proto._opened = function () {
    this.isOpen = true;
    this.opens += 1;
    this._attempt = 0;
    var queued = this._queue;
    this._queue = [];
    for (var i = 0; i < queued.length; i++) this._write(queued[i]);
    this._fire('open');
  };

  proto._received = function (name, data) {
    this._fire(name, [name === 'error' ? failure(data) || data : data]);
  };

  // -- SockJS ---------------------------------------------------------------------------
  proto._openSockJS = function () {
    var self = this;
    var base = SignalSocket.config.sockjsBase || '';
    var sock = this._sock = new root.SockJS(/^https?:/.test(this.url) ? this.url : base + this.url, null,
      {transports: this.options.transports});
    sock.onopen = function () { self._opened(); };
    sock.onmessage = function (e) {
      var msg;
      try { msg = JSON.parse(e.data); } catch (err) { return; }
      if (msg && typeof msg.event === 'string') self._received(msg.event, msg.data);
    };
    sock.onclose = function (e) {
      var was = self.isOpen;
      self.isOpen = false;
      self._sock = null;
      if (was) self._fire('close', [e.code, e.reason]);
      if (self._closed || NO_RECONNECT[e.code]) {
        if (!was) self._fire('close', [e.code, e.reason]);
        return;
      }
      var delay = Math.min(self.maxDelay, self.minDelay * Math.pow(2, self._attempt++));
      self._timer = setTimeout(function () { self._openSockJS(); }, delay * (0.5 + Math.random() / 2));
    };
  };

  proto._write = function (frame) {
    if (this._io) this._io.emit(frame.event, frame.data);
    else this._sock.send(JSON.stringify(frame));
  };

  // -- Socket.IO (the url is a namespace) -------------------------------------------------
  // A whitelist written with SockJS names still works: its polling and
  // streaming transports map to Socket.IO's 'polling'.
  function socketioTransports(list) {
    if (!list) return ['websocket', 'polling'];
    var out = [];
    list.forEach(function (name) {
      var mapped = name === 'websocket' ? 'websocket' : (name === 'webtransport' ? null : 'polling');
      if (mapped && out.indexOf(mapped) < 0) out.push(mapped);
    });
    return out.length ? out : ['websocket', 'polling'];
  }

  proto._openSocketIO = function () {
    var self = this, config = SignalSocket.config;
    if (typeof root.io !== 'function') throw new Error('SignalSocket: socket.io.min.js is not loaded');
    var socket = this._io = root.io((config.socketioBase || '') + this.url, {
      path: '/' + (config.socketioPath || 'socket.io').replace(/^\/|\/$/g, ''),
      transports: socketioTransports(this.options.transports),
      reconnectionDelay: this.minDelay,
      reconnectionDelayMax: this.maxDelay
    });
    socket.on('connect', function () { self._opened(); });
    socket.on('disconnect', function (reason) {
      self.isOpen = false;
      self._fire('close', [reason === 'io server disconnect' ? 4000 : 1006, reason]);
    });
    socket.on('connect_error', function (err) {
      var code = socket.active ? 'connect_error' : 'refused';
      self._fire('error', [failure({error: code, message: err && err.message})]);
    });
    socket.onAny(function (name, data) { self._received(name, data); });
  };

  root.SignalSocket = SignalSocket;
})(window);
