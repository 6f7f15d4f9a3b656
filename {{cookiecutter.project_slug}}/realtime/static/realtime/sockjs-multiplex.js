/* The SockJS channel layer: one SockJS connection per page, every endpoint a channel of it.
 *
 * Needs the vendored sockjs-client (window.SockJS) and realtime-core.js;
 * realtime-sockjs.js (Realtime.connect() over SockJS) and clientsignal.js
 * (SignalSocket) are built on it.
 *
 *   var channel = Realtime.sockjs.channel('/pingpong', {muxUrl: '/sockjs/mux', url: '/pingpong'});
 *   channel.on('open', function () { channel.send('{"event": "ping", "data": {}}'); });
 *   channel.on('message', function (text) {});       // the endpoint's own wire, one text a message
 *   channel.on('close', function (code, reason) {});
 *   channel.close();
 *
 * Every channel with the same muxUrl and transport whitelist shares one
 * SockJS connection to muxUrl (e.g. /sockjs/mux), framed as sockjs'
 * websocket-multiplex: sub,<topic> / msg,<topic>,<payload> / uns,<topic>
 * (realtime/transports/sockjs/multiplex.py documents it; a second channel
 * to one endpoint gets the topic <endpoint>#2). The connection reconnects
 * with backoff and subscribes its channels again. A channel the server
 * closes (uns) is opened again after a backoff, unless the code says not to
 * (core.NO_RECONNECT); 4406 (a plain SockJS endpoint) moves it to its own
 * URL. Options: muxUrl, url (the endpoint's own SockJS URL, used without
 * muxUrl or with multiplex: false), transports, reconnectDelay,
 * reconnectDelayMax.
 */
(function (root) {
  'use strict';

  var Realtime = root.Realtime, core = Realtime && Realtime.core;
  if (!core) throw new Error('sockjs-multiplex.js needs realtime-core.js loaded first');
  if (Realtime.sockjs) return;  // loaded by two template tags on one page: keep the first

  var links = {};  // multiplexed SockJS connections of this page, by URL and transport whitelist

  /* One SockJS connection: multiplexed (channels by topic) or an endpoint's own (one channel). */
  function Link(url, options, multiplexed) {
    if (typeof root.SockJS !== 'function') throw new Error('sockjs-multiplex.js needs sockjs.min.js loaded first');
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
})(window);
