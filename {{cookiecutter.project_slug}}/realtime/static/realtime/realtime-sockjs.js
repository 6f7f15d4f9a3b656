/* Realtime over SockJS: the SockJS side of Realtime.connect() (see realtime.js).
 *
 * Needs the vendored sockjs-client (window.SockJS) and realtime-core.js.
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
 * Realtime.sockjs.channel(endpoint, options) is the channel layer that
 * SignalSocket uses too: on('open' | 'message' | 'close'), send(text), close().
 */
(function (root) {
  'use strict';

  var Realtime = root.Realtime, core = Realtime && Realtime.core;
  if (!core) throw new Error('realtime-sockjs.js needs realtime-core.js loaded first');
  if (Realtime.sockjs) return;  // loaded by two template tags on one page: keep the first

  var links = {};  // multiplexed SockJS connections of this page, by URL and transport whitelist

  /* One SockJS connection: multiplexed (channels by topic) or an endpoint's own (one channel). */
  function Link(url, options, multiplexed) {
    if (typeof root.SockJS !== 'function') throw new Error('realtime-sockjs.js needs sockjs.min.js loaded first');
    this.url = url;
    this.transports = options.transports;
    this.multiplexed = multiplexed;
    this.channels = {};
    this.backoff = new core.Backoff(options.reconnectDelay, options.reconnectDelayMax);
    this.sock = null;
    this.open = false;
    this._timer = null;
  }

  Link.prototype.attach = function (channel) {
    var topic = channel.endpoint, n = 1;
    while (this.channels[topic]) topic = channel.endpoint + '#' + (++n);
    channel.topic = topic;
    this.channels[topic] = channel;
    if (this.open) this._subscribe(channel);
    else if (!this.sock && !this._timer) this._connect();
  };

  Link.prototype.detach = function (channel, tell) {
    if (this.channels[channel.topic] !== channel) return;
    delete this.channels[channel.topic];
    if (tell && this.open && this.multiplexed) this.sock.send('uns,' + channel.topic);
    if (Object.keys(this.channels).length) return;
    if (links[this.key] === this) delete links[this.key];
    clearTimeout(this._timer);
    this._timer = null;
    if (this.sock) this.sock.close(1000, 'client close');
  };

  Link.prototype.send = function (channel, text) {
    this.sock.send(this.multiplexed ? 'msg,' + channel.topic + ',' + text : text);
  };

  Link.prototype._subscribe = function (channel) {
    if (this.multiplexed) this.sock.send('sub,' + channel.topic);
    channel._opened();
  };

  Link.prototype._connect = function () {
    var self = this;
    this._timer = null;
    var sock = this.sock = new root.SockJS(this.url, null, {transports: this.transports});
    sock.onopen = function () {
      self.open = true;
      self.backoff.reset();
      self._each(function (channel) { self._subscribe(channel); });
    };
    sock.onmessage = function (e) { self._received(String(e.data)); };
    sock.onclose = function (e) {
      self.open = false;
      self.sock = null;
      self._each(function (channel) { channel._lost(e.code, e.reason); });
      if (!self.multiplexed && core.NO_RECONNECT[e.code]) self._each(function (c) { self.detach(c); });
      if (Object.keys(self.channels).length) self._timer = setTimeout(function () { self._connect(); }, self.backoff.next());
    };
  };

  Link.prototype._received = function (text) {
    if (!this.multiplexed) {
      this._each(function (channel) { channel._fire('message', [text]); });
      return;
    }
    var kind = text.slice(0, 4), rest = text.slice(4), comma = rest.indexOf(',');
    var topic = comma < 0 ? rest : rest.slice(0, comma), payload = comma < 0 ? '' : rest.slice(comma + 1);
    var channel = this.channels[topic];
    if (!channel) return;
    if (kind === 'msg,') channel._fire('message', [payload]);
    else if (kind === 'uns,') {
      var why = {};
      try { why = JSON.parse(payload) || {}; } catch (e) { /* an uns without a reason */ }
      this.detach(channel);
      channel._ended(why.code || 4000, why.reason || 'closed');
    }
  };

  Link.prototype._each = function (fn) {
    var channels = this.channels;
    Object.keys(channels).forEach(function (topic) { fn(channels[topic]); });
  };

  /* A channel to `endpoint` ('/' or a client-signal URL). options: muxUrl (the
   * multiplexed connection's URL), url (the endpoint's own SockJS URL: used
   * when multiplex is false, or when the server says the endpoint cannot be
   * multiplexed), transports, reconnectDelay, reconnectDelayMax, multiplex. */
  function Channel(endpoint, options) {
    this.endpoint = endpoint;
    this.options = options;
    this.isOpen = false;
    this.closed = false;
    this.backoff = new core.Backoff(options.reconnectDelay, options.reconnectDelayMax);
    this._join(options.multiplex === false || !options.muxUrl);
  }
  core.emitter(Channel.prototype);

  Channel.prototype._join = function (direct) {
    var options = this.options;
    if (direct) {
      this.link = new Link(options.url, options, false);
    } else {
      var key = options.muxUrl + ' ' + JSON.stringify(options.transports || null);
      this.link = links[key] = links[key] || new Link(options.muxUrl, options, true);
      this.link.key = key;
    }
    this.link.attach(this);
  };

  Channel.prototype.send = function (text) {
    if (!this.isOpen) return false;
    this.link.send(this, text);
    return true;
  };

  Channel.prototype.close = function () {
    var was = this.isOpen;
    this.closed = true;
    this.isOpen = false;
    clearTimeout(this._timer);
    this.link.detach(this, true);
    if (was) this._fire('close', [1000, 'client close']);
    return this;
  };

  /* The library transport in use ('websocket', 'xhr-polling', ...), or null. */
  Channel.prototype.transportName = function () {
    return (this.link.sock && this.link.sock.transport) || null;
  };

  Channel.prototype._opened = function () {
    this.isOpen = true;
    this.backoff.reset();
    this._fire('open');
  };

  Channel.prototype._lost = function (code, reason) {  // the connection closed; it reconnects unless told not to
    var was = this.isOpen;
    this.isOpen = false;
    if (was || core.NO_RECONNECT[code]) this._fire('close', [code, reason]);
  };

  Channel.prototype._ended = function (code, reason) {  // the server closed this channel alone
    var self = this;
    this._lost(code, reason);
    if (code === 4406 && this.options.url) this._join(true);  // a plain SockJS endpoint: its own connection
    else if (!core.NO_RECONNECT[code] && !this.closed) {
      this._timer = setTimeout(function () { if (!self.closed) self._join(false); }, this.backoff.next());
    }
  };

  function queryString(query) {
    return Object.keys(query || {}).map(function (k) {
      return encodeURIComponent(k) + '=' + encodeURIComponent(query[k]);
    }).join('&');
  }

  Realtime.sockjs = {
    channel: function (endpoint, options) { return new Channel(endpoint, options || {}); },
    queryString: queryString
  };

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
