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
 * ['websocket', 'polling']), reconnectDelay / reconnectDelayMax (ms),
 * multiplex (default true; false: a SockJS connection of its own).
 *
 * Every SignalSocket of a page, and every Realtime.connect(), shares one
 * connection per transport: a channel of the multiplexed SockJS connection
 * (sockjs-multiplex.js), or a namespace of the shared Socket.IO connection
 * (realtime-socketio.js). realtime-core.js gives the emitter, the queue and
 * the errors.
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

  if (root.SignalSocket) return;  // loaded twice on one page: keep the first
  var Realtime = root.Realtime || {};
  var core = Realtime.core;
  if (!core) throw new Error('clientsignal.js needs realtime-core.js loaded first ({% clientsignal_js %} loads it)');

  function SignalSocket(url, options) {
    if (!(this instanceof SignalSocket)) return new SignalSocket(url, options);
    var config = SignalSocket.config;
    options = options || {};
    this.url = url;
    this.options = options;
    this.transport = options.transport || (config.transports || [])[0] ||
      (Realtime.sockjs ? 'sockjs' : 'socketio');
    this.isOpen = false;
    this.opens = 0;
    this._queue = new core.Queue();
    if (this.transport === 'socketio') this._openSocketIO();
    else this._openSockJS();
  }

  SignalSocket.config = core.readConfig('clientsignal-config');

  var proto = core.emitter(SignalSocket.prototype);

  /* Send signal `name` with `data` (an object of keyword arguments). */
  proto.send = function (name, data) {
    var frame = {event: name, data: data || {}};
    if (this.isOpen) this._write(frame);
    else this._queue.push(frame);
    return this;
  };

  proto.close = function () {
    if (this._channel) this._channel.close();
    if (this._io) this._io.realtimeRelease();
    return this;
  };

  /* The library transport in use ('websocket', 'xhr-polling', 'polling', ...). */
  proto.transportName = function () {
    if (this._channel) return this._channel.transportName();
    if (this._io && this._io.io.engine) return this._io.io.engine.transport.name;
    return null;
  };

  proto._opened = function () {
    var self = this;
    this.isOpen = true;
    this.opens += 1;
    this._queue.flush(function (frame) { self._write(frame); });
    this._fire('open');
  };

  proto._received = function (name, data) {
    this._fire(name, [name === 'error' ? core.failure(data) || data : data]);
  };

  proto._write = function (frame) {
    if (this._io) this._io.emit(frame.event, frame.data);
    else this._channel.send(JSON.stringify(frame));
  };

  // -- SockJS: a channel of the page's multiplexed connection --------------------------------
  proto._openSockJS = function () {
    var self = this, config = SignalSocket.config;
    if (!Realtime.sockjs) throw new Error('SignalSocket: sockjs-multiplex.js is not loaded');
    var own = /^https?:/.test(this.url) ? this.url : (config.sockjsBase || '') + this.url;
    var channel = this._channel = Realtime.sockjs.channel(this.url, {
      muxUrl: config.sockjsUrl && !/^https?:/.test(this.url) ? config.sockjsUrl.replace(/\/+$/, '') + '/mux' : null,
      url: own,
      multiplex: this.options.multiplex,
      transports: this.options.transports,
      reconnectDelay: this.options.reconnectDelay,
      reconnectDelayMax: this.options.reconnectDelayMax
    });
    channel.on('open', function () { self._opened(); });
    channel.on('message', function (text) {
      var msg;
      try { msg = JSON.parse(text); } catch (err) { return; }
      if (msg && typeof msg.event === 'string') self._received(msg.event, msg.data);
    });
    channel.on('close', function (code, reason) {
      self.isOpen = false;
      self._fire('close', [code, reason]);
    });
  };

  // -- Socket.IO: a namespace of the page's shared connection ------------------------------
  // A whitelist written with SockJS names still works: its polling and
  // streaming transports map to Socket.IO's 'polling'.
  function socketioTransports(list) {
    if (!list) return undefined;  // the default every Realtime connection of the page shares
    var out = [];
    list.forEach(function (name) {
      var mapped = name === 'websocket' ? 'websocket' : (name === 'webtransport' ? null : 'polling');
      if (mapped && out.indexOf(mapped) < 0) out.push(mapped);
    });
    return out.length ? out : undefined;
  }

  proto._openSocketIO = function () {
    var self = this, config = SignalSocket.config;
    if (!Realtime.socketio) throw new Error('SignalSocket: realtime-socketio.js is not loaded');
    var socket = this._io = Realtime.socketio.socket(this.url, {
      url: config.socketioBase || '',
      path: '/' + (config.socketioPath || 'socket.io').replace(/^\/|\/$/g, '') + '/',
      transports: socketioTransports(this.options.transports),
      reconnectDelay: this.options.reconnectDelay,
      reconnectDelayMax: this.options.reconnectDelayMax
    });
    socket.on('connect', function () { self._opened(); });
    socket.on('disconnect', function (reason) {
      self.isOpen = false;
      self._fire('close', [reason === 'io server disconnect' ? 4000 : 1006, reason]);
    });
    socket.on('connect_error', function (err) {
      var code = socket.active ? 'connect_error' : 'refused';
      self._fire('error', [core.failure({error: code, message: err && err.message})]);
    });
    socket.onAny(function (name, data) { self._received(name, data); });
  };

  root.SignalSocket = SignalSocket;
})(window);
