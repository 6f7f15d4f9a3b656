/* Realtime.core: what every browser client of ours shares, written once.
 *
 * Loaded first by {% realtime_client_script %} and {% clientsignal_js %};
 * realtime-socketio.js, realtime-sockjs.js, clientsignal.js and the examples
 * build on it, and each of them only speaks its own wire:
 *
 *   core.emitter(proto)        on(name, cb) / off(name[, cb]) / _fire(name, args):
 *                              a handler that throws is logged, the others still run
 *   core.failure(value)        the server's {error: code, message: text} as an Error
 *                              (.code, .data: the whole answer), or null
 *   core.ackFailure(reply)     the same for an ack's values (a failure is the only value)
 *   core.timeoutError()        the Error of an ack that did not come (.code 'ack_timeout')
 *   core.Queue                 what is sent while disconnected: push(x), flush(send)
 *   core.Backoff(min, max)     reconnect delays: next() doubles up to max, with jitter; reset()
 *   core.readConfig(id)        a JSON config element written by a template tag ({} if none)
 *   core.NO_RECONNECT          close codes after which nobody reconnects: 4000 (the server
 *                              disconnected us), 4403 (refused), 4400/4409 (a frame or topic the
 *                              server cannot take), 4404/4406 (no such endpoint, not multiplexed)
 */
(function (root) {
  'use strict';

  var Realtime = root.Realtime = root.Realtime || {};
  Realtime.transports = Realtime.transports || {};  // filled by realtime-socketio.js, realtime-sockjs.js
  if (Realtime.core) return;  // loaded by two template tags on one page: keep the first
  var core = Realtime.core = {};

  core.NO_RECONNECT = {4000: true, 4400: true, 4403: true, 4404: true, 4406: true, 4409: true};

  core.emitter = function (proto) {
    proto.on = function (name, cb) {
      this._handlers = this._handlers || {};
      (this._handlers[name] = this._handlers[name] || []).push(cb);
      return this;
    };
    proto.off = function (name, cb) {
      var list = (this._handlers || {})[name];
      if (list) this._handlers[name] = cb ? list.filter(function (f) { return f !== cb; }) : [];
      return this;
    };
    proto._fire = function (name, args) {
      var list = ((this._handlers || {})[name] || []).slice();
      for (var i = 0; i < list.length; i++) {
        try { list[i].apply(this, args || []); } catch (e) { if (root.console) root.console.error(e); }
      }
    };
    return proto;
  };

  core.failure = function (value) {
    if (!value || typeof value !== 'object' || typeof value.error !== 'string') return null;
    var error = new Error(typeof value.message === 'string' && value.message ? value.message : value.error);
    error.code = value.error;
    error.data = value;
    return error;
  };

  core.ackFailure = function (reply) { return reply.length === 1 ? core.failure(reply[0]) : null; };

  core.timeoutError = function () {
    var error = new Error('ack timeout');
    error.code = 'ack_timeout';
    return error;
  };

  function Queue() { this.items = []; }
  Queue.prototype.push = function (item) { this.items.push(item); };
  /* Hand every queued item to send(item), oldest first; send may queue again. */
  Queue.prototype.flush = function (send) {
    var items = this.items;
    this.items = [];
    for (var i = 0; i < items.length; i++) send(items[i]);
  };
  core.Queue = Queue;

  function Backoff(min, max) {
    this.min = min || 500;
    this.max = max || 10000;
    this.attempt = 0;
  }
  /* The next delay: min, 2 min, 4 min ... up to max, each between half and all of it. */
  Backoff.prototype.next = function () {
    var delay = Math.min(this.max, this.min * Math.pow(2, this.attempt++));
    return delay * (0.5 + Math.random() / 2);
  };
  Backoff.prototype.reset = function () { this.attempt = 0; };
  core.Backoff = Backoff;

  core.readConfig = function (id) {
    var node = root.document && root.document.getElementById(id);
    if (!node) return {};
    try {
      return JSON.parse(node.textContent) || {};
    } catch (e) {
      if (root.console) root.console.error('Realtime: #' + id + ' is not JSON', e);
      return {};
    }
  };
})(window);
