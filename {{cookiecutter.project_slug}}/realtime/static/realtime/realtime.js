/* Realtime: one browser API over Socket.IO and SockJS.
 *
 *   {% load realtime %}{% realtime_client_script %}   (in the page's template)
 *
 *   var conn = Realtime.connect();                      // first transport the project serves
 *   var conn = Realtime.connect({transport: 'sockjs', ackTimeout: 10000});
 *
 *   conn.on('connect', function () {});                 // also: disconnect, reconnect, error
 *   conn.on('chat', function (data, ack) {});           // ack is passed if the server asked for one
 *   conn.emit('chat', {text: 'hi'}, function (err, reply) {
 *     // err is null and reply the receiver's return value; or err is an Error
 *     // and there is no reply: err.message is the server's, err.code one of
 *     //   'unknown_event' (no receiver), 'server_error' (a receiver raised),
 *     //   'bad_event', a receiver's own refusal code (it returned
 *     //   {error: code, message: text}), or 'ack_timeout' after ackTimeout ms;
 *     // err.data is the server's whole answer ({error, message, ...}).
 *   });
 *   conn.send('plain message');                         // the server's socket_client_message
 *   conn.off('chat', handler); conn.close();
 *   conn.connected; conn.id;                            // id is the server's socket.sid
 *
 * Every connection reconnects by itself with backoff, and queues what is
 * emitted or sent while disconnected until it is connected again. A page
 * opens one connection per transport, whatever it connects to: every
 * Realtime.connect() and SignalSocket (clientsignal.js) of the page shares
 * it (SockJS: channels of one multiplexed connection; Socket.IO: namespaces
 * of one Engine.IO connection). 'error'
 * gets an Error with .code for the server's 'error' events (e.g.
 * 'unknown_event' for an emit without ack callback) and for refusals
 * ('refused', .refused = true, the message is the reason the server gave).
 *
 * Each transport lives in its own file and registers itself in
 * Realtime.transports (realtime-socketio.js, realtime-sockjs.js), on what
 * they share in realtime-core.js (Realtime.core: emitter, queue, backoff,
 * errors); {% realtime_client_script %} loads those of the project's transports and
 * a JSON element (#realtime-config) read below into Realtime.config:
 *   {transports: ['socketio', 'sockjs'], socketioPath: '/socket.io',
 *    socketioUrl: '' (page origin) or 'http://host:port', sockjsUrl: '/sockjs'}
 */
(function (root) {
  'use strict';

  var Realtime = root.Realtime = root.Realtime || {};
  Realtime.transports = Realtime.transports || {};

  if (!Realtime.config) Realtime.config = Realtime.core.readConfig('realtime-config');

  /* Open a connection; options.transport picks the transport ('socketio' or
   * 'sockjs'), by default the first of Realtime.config.transports. */
  Realtime.connect = function (options) {
    options = options || {};
    var served = Realtime.config.transports || [];
    var name = options.transport || served[0] || Object.keys(Realtime.transports)[0];
    var transport = Realtime.transports[name];
    if (typeof transport !== 'function') {
      throw new Error('Realtime: transport ' + JSON.stringify(name) + ' is not loaded; the project serves ' +
        JSON.stringify(served) + ' (REALTIME_TRANSPORTS) and {% realtime_client_script %} loads them');
    }
    return transport(options);
  };
})(window);
