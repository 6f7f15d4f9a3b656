/* Realtime over SockJS: the SockJS side of Realtime.connect() (see realtime.js).
 *
 * Needs the vendored sockjs-client (window.SockJS). Speaks the framing
 * documented in realtime/transports/sockjs/__init__.py: every SockJS
 * message is one JSON object, {"type": "event"|"ack"|"message"|"connect"}.
 *
 *   var conn = Realtime.transports.sockjs({endpoint: '/', ackTimeout: 10000});
 *   conn.on('connect', function () {});
 *   conn.emit('chat', {text: 'hi'}, function (err, reply) {});   // err: null, or an Error with .code (see realtime.js)
 *   conn.on('chat', function (data, ack) {});                    // ack present if the server asked for one
 *
 * Options: endpoint ('/' or a client-signal URL), url (overrides
 * Realtime.config.sockjsUrl), query (an object sent as the query string:
 * request.GET on the server), ackTimeout (ms), sockjsTransports (a
 * whitelist of SockJS transport names), reconnectDelay / reconnectDelayMax.
 *
 * Pseudo-events: connect, disconnect (reason), reconnect (before connect,
 * on every connect but the first), error (an Error with .code: 'refused',
 * with the server's reason and .refused = true, or the code of the server's
 * 'error' event, e.g. 'unknown_event' for an emit without ack),
 * message (plain messages). While
 * disconnected, emits and sends are queued and flushed on reconnect.
 * Reconnects with exponential backoff unless the server refused (4403) or
 * disconnected this socket on purpose (4000), or close() was called.
 */
(function (root) {
  'use strict';

  var Realtime = root.Realtime = root.Realtime || {};
  Realtime.transports = Realtime.transports || {};

  var NO_RECONNECT = {4000: true, 4403: true};

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

  function originOf(url) {
    var m = /^(https?:\/\/[^/]+)/.exec(url || '');
    return m ? m[1] : '';
  }

  function endpointUrl(options) {
    var config = Realtime.config || {};
    var core = config.sockjsUrl || '/sockjs';
    var endpoint = options.endpoint || '/';
    var url = options.url || (endpoint === '/' ? core : originOf(core) + endpoint);
    var query = options.query || {};
    var pairs = Object.keys(query).map(function (k) {
      return encodeURIComponent(k) + '=' + encodeURIComponent(query[k]);
    });
    return pairs.length ? url + (url.indexOf('?') < 0 ? '?' : '&') + pairs.join('&') : url;
  }

  function SockJSConnection(options) {
    if (!(this instanceof SockJSConnection)) return new SockJSConnection(options);
    if (typeof root.SockJS !== 'function') throw new Error('realtime-sockjs.js needs sockjs.min.js loaded first');
    this.options = options || {};
    this.url = endpointUrl(this.options);
    this.ackTimeout = this.options.ackTimeout || 10000;
    this.minDelay = this.options.reconnectDelay || 500;
    this.maxDelay = this.options.reconnectDelayMax || 10000;
    this.connected = false;
    this.id = null;
    this.transport = 'sockjs';
    this._handlers = {};
    this._queue = [];
    this._acks = {};
    this._nextAck = 1;
    this._attempt = 0;
    this._everConnected = false;
    this._closed = false;
    this._timer = null;
    this._open();
  }

  var proto = SockJSConnection.prototype;

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
    var frame = {type: 'event', event: event, args: args};
    if (args.length && typeof args[args.length - 1] === 'function') {
      var cb = args.pop(), id = this._nextAck++, acks = this._acks;
      frame.id = id;
      acks[id] = {
        cb: cb,
        timer: setTimeout(function () {
          if (!acks[id]) return;
          delete acks[id];
          var error = new Error('ack timeout');
          error.code = 'ack_timeout';
          cb(error);
        }, this.ackTimeout)
      };
    }
    this._write(frame);
    return this;
  };

  proto.send = function (message) {
    this._write({type: 'message', data: message});
    return this;
  };

  proto.close = function () {
    this._closed = true;
    clearTimeout(this._timer);
    if (this._sock) this._sock.close(1000, 'client close');
    return this;
  };

  proto._write = function (frame) {
    var text = JSON.stringify(frame);
    if (this.connected) this._sock.send(text);
    else this._queue.push(text);
  };

  proto._open = function () {
    var self = this;
    var sock = this._sock = new root.SockJS(this.url, null, {transports: this.options.sockjsTransports});
    sock.onmessage = function (e) { self._onFrame(e.data); };
    sock.onclose = function (e) { self._onClose(e); };
  };

  proto._onFrame = function (text) {
    var frame, self = this;
    try { frame = JSON.parse(text); } catch (e) { return; }
    if (!frame || typeof frame !== 'object') return;
    if (frame.type === 'connect') {
      this.connected = true;
      this.id = frame.sid;
      this._attempt = 0;
      var queued = this._queue;
      this._queue = [];
      for (var i = 0; i < queued.length; i++) this._sock.send(queued[i]);
      this._fire(this._everConnected ? 'reconnect' : 'connect');
      if (this._everConnected) this._fire('connect');
      this._everConnected = true;
    } else if (frame.type === 'ack') {
      var pending = this._acks[frame.id];
      if (pending) {
        delete this._acks[frame.id];
        clearTimeout(pending.timer);
        var reply = frame.args || [];
        var problem = ackFailure(reply);
        if (problem) pending.cb.call(this, problem);
        else pending.cb.apply(this, [null].concat(reply));
      }
    } else if (frame.type === 'message') {
      this._fire('message', [frame.data]);
    } else if (frame.type === 'event') {
      var args = (frame.args || []).slice();
      if (frame.id !== undefined && frame.id !== null) {
        var answered = false;
        args.push(function () {
          if (answered) return;
          answered = true;
          self._write({type: 'ack', id: frame.id, args: Array.prototype.slice.call(arguments)});
        });
      }
      var error = frame.event === 'error' && failure(args[0]);  // as realtime-socketio.js reports it
      if (error) {
        if (error.code === 'refused') error.refused = true;
        args[0] = error;
      }
      this._fire(frame.event, args);
    }
  };

  proto._onClose = function (e) {
    var was = this.connected;
    this.connected = false;
    this._sock = null;
    if (was) this._fire('disconnect', [e.reason || 'closed', e.code]);
    if (this._closed || NO_RECONNECT[e.code]) return;
    var self = this;
    var delay = Math.min(this.maxDelay, this.minDelay * Math.pow(2, this._attempt++));
    this._timer = setTimeout(function () { self._open(); }, delay * (0.5 + Math.random() / 2));
  };

  // Realtime.transports.sockjs(options), .connect(options) and `new` all work.
  function connect(options) { return new SockJSConnection(options); }
  connect.connect = connect;
  connect.Connection = SockJSConnection;
  Realtime.transports.sockjs = connect;
})(window);
