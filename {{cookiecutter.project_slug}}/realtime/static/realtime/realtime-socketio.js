/* Realtime over Socket.IO: the Socket.IO side of Realtime.connect() (see realtime.js).
 *
 * A thin layer over the vendored socket.io-client 4.x (window.io), which
 * already reconnects with backoff and buffers emits while disconnected; this
 * file only gives it the interface both transports share:
 *
 *   var conn = Realtime.transports.socketio({endpoint: '/', ackTimeout: 10000});
 *   conn.emit('chat', {text: 'hi'}, function (err, reply) {});   // err: null, or an Error with .code (see realtime.js)
 *   conn.on('chat', function (data, ack) {});                    // ack present if the server asked for one
 *
 * Options: endpoint ('/' or a client-signal URL such as '/simple': a
 * Socket.IO namespace), ackTimeout (ms), url (server origin, default
 * Realtime.config.socketioUrl or the page's), socketioTransports (default
 * ['polling', 'websocket']: starts on long-polling, upgrades to websocket),
 * reconnectDelay / reconnectDelayMax (ms), query (sent with the handshake).
 *
 * Pseudo-events: connect; disconnect (reason); reconnect (before connect,
 * on every connect but the first); error (an Error with .code: 'refused' with
 * the server's reason, 'connect_error', or the code of the server's 'error'
 * event, e.g. 'unknown_event' for an emit without ack). A refused or kicked connection
 * ('io server disconnect') does not reconnect.
 */
(function (root) {
  'use strict';

  var Realtime = root.Realtime = root.Realtime || {};
  Realtime.transports = Realtime.transports || {};

  function trimSlashes(s) { return String(s).replace(/^\/+|\/+$/g, ''); }

  /* The server answers a failure with {error: code, message: text}: as the only
   * value of an ack (the event was refused, had no receiver, or a receiver
   * raised) or as an 'error' event. Returns it as an Error (message: the
   * server's, .code, .data: the whole object), or null if `value` is not one. */
  function failure(value) {
    if (!value || typeof value !== 'object' || typeof value.error !== 'string') return null;
    var error = new Error(typeof value.message === 'string' && value.message ? value.message : value.error);
    error.code = value.error;
    error.data = value;
    return error;
  }

  function ackFailure(reply) { return reply.length === 1 ? failure(reply[0]) : null; }

  function timeoutError() {
    var error = new Error('ack timeout');
    error.code = 'ack_timeout';
    return error;
  }

  function SocketIOConnection(options) {
    if (!(this instanceof SocketIOConnection)) return new SocketIOConnection(options);
    if (typeof root.io !== 'function') throw new Error('realtime-socketio.js needs socket.io.min.js loaded first');
    var self = this;
    var config = Realtime.config || {};
    options = this.options = options || {};
    var base = (options.url || config.socketioUrl || '').replace(/\/+$/, '');
    var endpoint = options.endpoint || '/';
    this.ackTimeout = options.ackTimeout || 10000;
    this.transport = 'socketio';
    this.connected = false;
    this.id = null;
    this._handlers = {};
    this._everConnected = false;

    var sock = this._sock = root.io(base + endpoint, {
      path: '/' + trimSlashes(config.socketioPath || 'socket.io') + '/',
      transports: options.socketioTransports || ['polling', 'websocket'],
      reconnectionDelay: options.reconnectDelay || 500,
      reconnectionDelayMax: options.reconnectDelayMax || 10000,
      withCredentials: true,  // the Django session cookie, when the server is on another origin
      query: options.query,
      forceNew: true  // one connection per Realtime.connect(), like the SockJS side
    });

    sock.on('connect', function () {
      self.connected = true;
      self.id = sock.id;
      if (self._everConnected) self._fire('reconnect');
      self._everConnected = true;
      self._fire('connect');
    });
    sock.on('disconnect', function (reason) {
      self.connected = false;
      self._fire('disconnect', [reason]);
    });
    sock.on('connect_error', function (err) {
      // sock.active is false when the server refused (no retry), true while retrying.
      var error = err instanceof Error ? err : new Error(String(err && err.message || err));
      error.refused = !sock.active;
      error.code = error.refused ? 'refused' : 'connect_error';
      self._fire('error', [error]);
    });
    // Every server event (including 'error' and 'message'); an ack function
    // is the last argument when the server asked for one.
    sock.onAny(function (event) {
      var args = Array.prototype.slice.call(arguments, 1);
      if (event === 'error') args[0] = failure(args[0]) || args[0];
      self._fire(event, args);
    });
  }

  var proto = SocketIOConnection.prototype;

  proto.on = function (name, cb) {
    (this._handlers[name] = this._handlers[name] || []).push(cb);
    return this;
  };

  proto.off = function (name, cb) {
    var list = this._handlers[name];
    if (!list) return this;
    this._handlers[name] = cb ? list.filter(function (f) { return f !== cb; }) : [];
    return this;
  };

  proto._fire = function (name, args) {
    var list = (this._handlers[name] || []).slice();
    for (var i = 0; i < list.length; i++) {
      try { list[i].apply(this, args || []); } catch (e) { if (root.console) root.console.error(e); }
    }
  };

  proto.emit = function (event) {
    var args = Array.prototype.slice.call(arguments, 1);
    if (args.length && typeof args[args.length - 1] === 'function') {
      var cb = args.pop();
      var sock = this._sock.timeout(this.ackTimeout);
      args.push(function (err) {
        if (err) { cb(timeoutError()); return; }
        var reply = Array.prototype.slice.call(arguments, 1);
        var problem = ackFailure(reply);
        if (problem) cb(problem);
        else cb.apply(null, [null].concat(reply));
      });
      sock.emit.apply(sock, [event].concat(args));
    } else {
      this._sock.emit.apply(this._sock, [event].concat(args));
    }
    return this;
  };

  proto.send = function (message) {
    this._sock.send(message);
    return this;
  };

  proto.close = function () {
    this._sock.disconnect();
    return this;
  };

  // Realtime.transports.socketio(options), .connect(options) and `new` all work.
  function connect(options) { return new SocketIOConnection(options); }
  connect.connect = connect;
  connect.Connection = SocketIOConnection;
  Realtime.transports.socketio = connect;
})(window);
