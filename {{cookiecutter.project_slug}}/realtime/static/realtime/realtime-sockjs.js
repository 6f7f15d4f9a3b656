/* Realtime over SockJS: the SockJS side of Realtime.connect() (see realtime.js).
 *
 * Needs realtime-core.js, the vendored sockjs-client (window.SockJS) and
 * sockjs-multiplex.js (the channel layer).
 *
 * One SockJS connection per page carries every endpoint the page uses: the
 * core endpoint of each Realtime.connect() and each SignalSocket URL are
 * channels of one connection to <sockjsUrl>/mux (e.g. /sockjs/mux), framed
 * as sockjs' websocket-multiplex: sub,<topic> / msg,<topic>,<payload> /
 * uns,<topic> (realtime/transports/sockjs/multiplex.py documents it). The
 * connection reconnects with backoff and subscribes its channels again.
 *
 *   var conn = Realtime.transports.sockjs({ackTimeout: 10000});
 *   conn.on('connect', function () {});
 *   conn.emit('chat', {text: 'hi'}, function (err, reply) {});   // err: null, or an Error with .code (see realtime.js)
 *   conn.on('chat', function (data, ack) {});                    // ack present if the server asked for one
 *
 * Options: query (an object: request.GET on the server), ackTimeout (ms),
 * sockjsTransports (a whitelist of SockJS transport names: connections with
 * the same whitelist share one SockJS connection), reconnectDelay /
 * reconnectDelayMax (ms), url (a SockJS URL of the core endpoint to connect
 * to on its own, not multiplexed; so does multiplex: false). The core
 * endpoint only: client-signal URLs are SignalSocket's (clientsignal.js),
 * which speaks their wire over the same connection.
 *
 * Pseudo-events: connect, disconnect (reason, code), reconnect (before
 * connect, on every connect but the first), error (an Error with .code:
 * 'refused', with the server's reason and .refused = true, or the code of the
 * server's 'error' event, e.g. 'unknown_event' for an emit without ack),
 * message (plain messages). While disconnected, emits and sends are queued
 * and sent once connected again. No reconnect after a refusal (4403), a
 * disconnect by the server (4000), or close().
 *
 * The connection is a channel of sockjs-multiplex.js (Realtime.sockjs.channel),
 * which SignalSocket uses too.
 */
(function (root) {
  'use strict';

  var Realtime = root.Realtime, core = Realtime && Realtime.core;
  if (!core || !Realtime.sockjs) {
    throw new Error('realtime-sockjs.js needs realtime-core.js and sockjs-multiplex.js loaded first');
  }
  if (Realtime.transports.sockjs) return;  // loaded by two template tags on one page: keep the first
  var queryString = Realtime.sockjs.queryString;

  /* -- the core endpoint's wire: {"type": "event"|"ack"|"message"|"connect", ...} -- */
  function SockJSConnection(options) {
    if (!(this instanceof SockJSConnection)) return new SockJSConnection(options);
    var self = this, config = Realtime.config || {};
    options = this.options = options || {};
    if (options.endpoint && options.endpoint !== '/') {
      throw new Error('Realtime.connect over SockJS serves the core endpoint; for ' + options.endpoint +
        ' use new SignalSocket(' + JSON.stringify(options.endpoint) + ') (clientsignal.js)');
    }
    var coreUrl = (config.sockjsUrl || '/sockjs').replace(/\/+$/, ''), query = queryString(options.query);
    var own = options.url || coreUrl;
    this.ackTimeout = options.ackTimeout || 10000;
    this.connected = false;
    this.id = null;
    this.transport = 'sockjs';
    this._queue = new core.Queue();
    this._acks = {};
    this._nextAck = 1;
    this._everConnected = false;
    this._channel = Realtime.sockjs.channel(query ? '/?' + query : '/', {
      muxUrl: options.url || options.multiplex === false ? null : coreUrl + '/mux',
      url: query ? own + (own.indexOf('?') < 0 ? '?' : '&') + query : own,
      transports: options.sockjsTransports,
      reconnectDelay: options.reconnectDelay,
      reconnectDelayMax: options.reconnectDelayMax
    });
    this._channel.on('message', function (text) { self._onFrame(text); });
    this._channel.on('close', function (code, reason) { self._onClose(code, reason); });
  }

  var proto = core.emitter(SockJSConnection.prototype);

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
          cb(core.timeoutError());
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
    this._channel.close();
    return this;
  };

  proto._write = function (frame) {
    var text = JSON.stringify(frame);
    if (!this.connected || !this._channel.send(text)) this._queue.push(text);
  };

  proto._onFrame = function (text) {
    var frame, self = this;
    try { frame = JSON.parse(text); } catch (e) { return; }
    if (!frame || typeof frame !== 'object') return;
    if (frame.type === 'connect') {
      this.connected = true;
      this.id = frame.sid;
      this._queue.flush(function (queued) { self._channel.send(queued); });
      this._fire(this._everConnected ? 'reconnect' : 'connect');
      if (this._everConnected) this._fire('connect');
      this._everConnected = true;
    } else if (frame.type === 'ack') {
      var pending = this._acks[frame.id];
      if (pending) {
        delete this._acks[frame.id];
        clearTimeout(pending.timer);
        var reply = frame.args || [];
        var problem = core.ackFailure(reply);
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
      var error = frame.event === 'error' && core.failure(args[0]);  // as realtime-socketio.js reports it
      if (error) {
        if (error.code === 'refused') error.refused = true;
        args[0] = error;
      }
      this._fire(frame.event, args);
    }
  };

  proto._onClose = function (code, reason) {
    var was = this.connected;
    this.connected = false;
    if (was) this._fire('disconnect', [reason || 'closed', code]);
  };

  // Realtime.transports.sockjs(options), .connect(options) and `new` all work.
  function connect(options) { return new SockJSConnection(options); }
  connect.connect = connect;
  connect.Connection = SockJSConnection;
  Realtime.transports.sockjs = connect;
})(window);
