/* Realtime over Socket.IO: the Socket.IO side of Realtime.connect() (see realtime.js).
 *
 * A thin layer over the vendored socket.io-client 4.x (window.io), which
 * already reconnects with backoff and buffers emits while disconnected; this
 * file only gives it the interface both transports share (realtime-core.js):
 *
 *   var conn = Realtime.transports.socketio({ackTimeout: 10000});
 *   conn.emit('chat', {text: 'hi'}, function (err, reply) {});   // err: null, or an Error with .code (see realtime.js)
 *   conn.on('chat', function (data, ack) {});                    // ack present if the server asked for one
 *
 * One connection per page: every Realtime.connect() and SignalSocket of the
 * page is a namespace of one Engine.IO connection (a shared io.Manager per
 * server, path, transport list and query), as Socket.IO multiplexes them. A
 * second connection to a namespace already open gets a connection of its own
 * (Socket.IO allows one socket per namespace on a connection).
 *
 * Options: endpoint ('/'; another namespace works too, for existing code:
 * client-signal URLs are SignalSocket's), ackTimeout (ms), url (server
 * origin, default Realtime.config.socketioUrl or the page's),
 * socketioTransports (default ['polling', 'websocket']: starts on
 * long-polling, upgrades to websocket), reconnectDelay / reconnectDelayMax
 * (ms), query (sent with the handshake).
 *
 * Pseudo-events: connect; disconnect (reason); reconnect (before connect,
 * on every connect but the first); error (an Error with .code: 'refused' with
 * the server's reason, 'connect_error', or the code of the server's 'error'
 * event, e.g. 'unknown_event' for an emit without ack). A refused or kicked connection
 * ('io server disconnect') does not reconnect.
 *
 * Realtime.socketio.socket(nsp, options) is the shared-connection layer that
 * SignalSocket uses too; sock.realtimeRelease() gives the namespace back.
 */
(function (root) {
  'use strict';

  var Realtime = root.Realtime, core = Realtime && Realtime.core;
  if (!core) throw new Error('realtime-socketio.js needs realtime-core.js loaded first');
  if (Realtime.socketio) return;  // loaded by two template tags on one page: keep the first

  var managers = [];  // [{key, manager, used: {namespace: true}}]: this page's Engine.IO connections

  /* A Socket.IO socket for namespace `nsp` on this page's shared connection.
   * options: url (origin, '' for the page's), path, transports, query,
   * reconnectDelay, reconnectDelayMax. */
  function socket(nsp, options) {
    if (typeof root.io !== 'function' || !root.io.Manager) throw new Error('Realtime needs socket.io.min.js loaded first');
    var origin = (options.url || '').replace(/\/+$/, '') || root.location.protocol + '//' + root.location.host;
    var transports = options.transports || ['polling', 'websocket'];
    var key = [origin, options.path, transports.join(','), JSON.stringify(options.query || null)].join(' ');
    var entry = managers.filter(function (m) { return m.key === key && !m.used[nsp]; })[0];
    if (!entry) {
      entry = {key: key, used: {}, manager: new root.io.Manager(origin, {
        path: options.path,
        transports: transports,
        reconnectionDelay: options.reconnectDelay || 500,
        reconnectionDelayMax: options.reconnectDelayMax || 10000,
        withCredentials: true,  // the Django session cookie, when the server is on another origin
        query: options.query
      })};
      managers.push(entry);
    }
    entry.used[nsp] = true;
    var sock = entry.manager.socket(nsp);
    sock.realtimeRelease = function () {
      sock.disconnect();
      sock.off();
      sock.offAny();
      delete entry.used[nsp];
    };
    return sock;
  }

  Realtime.socketio = {socket: socket};

  function trimSlashes(s) { return String(s).replace(/^\/+|\/+$/g, ''); }

  function SocketIOConnection(options) {
    if (!(this instanceof SocketIOConnection)) return new SocketIOConnection(options);
    var self = this;
    var config = Realtime.config || {};
    options = this.options = options || {};
    this.ackTimeout = options.ackTimeout || 10000;
    this.transport = 'socketio';
    this.connected = false;
    this.id = null;
    this._everConnected = false;

    var sock = this._sock = socket(options.endpoint || '/', {
      url: options.url || config.socketioUrl,
      path: '/' + trimSlashes(config.socketioPath || 'socket.io') + '/',
      transports: options.socketioTransports,
      reconnectDelay: options.reconnectDelay,
      reconnectDelayMax: options.reconnectDelayMax,
      query: options.query
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
      if (event === 'error') args[0] = core.failure(args[0]) || args[0];
      self._fire(event, args);
    });
  }

  var proto = core.emitter(SocketIOConnection.prototype);

  proto.emit = function (event) {
    var args = Array.prototype.slice.call(arguments, 1);
    if (args.length && typeof args[args.length - 1] === 'function') {
      var cb = args.pop();
      var sock = this._sock.timeout(this.ackTimeout);
      args.push(function (err) {
        if (err) { cb(core.timeoutError()); return; }
        var reply = Array.prototype.slice.call(arguments, 1);
        var problem = core.ackFailure(reply);
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
    this._sock.realtimeRelease();
    return this;
  };

  // Realtime.transports.socketio(options), .connect(options) and `new` all work.
  function connect(options) { return new SocketIOConnection(options); }
  connect.connect = connect;
  connect.Connection = SocketIOConnection;
  Realtime.transports.socketio = connect;
})(window);
