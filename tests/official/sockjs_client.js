// sockjs-client 1.6 (the official client, from npm) against a baked project's runsocket.
//
// usage: node sockjs_client.js <base url>   (NODE_PATH points at the node_modules holding sockjs-client)
//
// For each transport Node can run, it exchanges messages with the core endpoint (/sockjs, our
// framing: an event with an ack), a client-signal endpoint (/simple, Django Client Signals' wire), a plain
// SockJSConnection (/plain), and opens sessions the server closes in on_open. It prints one JSON
// object: {"version": ..., "results": [{transport, endpoint, used, ok, got, close}, ...]}.
// Node has no DOM: jsonp-polling, htmlfile and the iframe-* transports need one (sockjs-client
// enables them only when `document` exists), so they are not run here.
'use strict';

const SockJS = require('sockjs-client');

const BASE = process.argv[2];
const TRANSPORTS = ['websocket', 'xhr-streaming', 'xhr-polling', 'eventsource'];
const TIMEOUT = 15000;

// endpoint -> what to send once open, and how to recognise the answer
const EXCHANGES = {
  '/sockjs': {
    start: (sock, text) => {
      const frame = JSON.parse(text);
      if (frame.type === 'connect') {
        sock.send(JSON.stringify({type: 'event', event: 'echo', args: ['marco', {n: 1}], id: 1}));
      }
    },
    answer: (text) => {
      const frame = JSON.parse(text);
      return frame.type === 'ack' && frame.id === 1 ? frame.args : undefined;
    },
  },
  '/simple': {
    onopen: (sock) => sock.send(JSON.stringify({event: 'ping_me', data: {}})),
    answer: (text) => {
      const frame = JSON.parse(text);
      return frame.event === 'pong' ? frame.data.pong : undefined;
    },
  },
  '/plain': {
    onopen: (sock) => sock.send('polo "quoted" é'),
    answer: (text) => (text.startsWith('echo:') ? text : undefined),
  },
};
// endpoint -> the session the server closes while it opens
const CLOSING = [
  '/plain_close',
  '/plain_close?code=4001&reason=' + encodeURIComponent('"quoted" \\ é'),
  '/closing',
  '/sockjs?refuse=1',
];

function session(transport, endpoint, spec) {
  return new Promise((resolve) => {
    const result = {transport, endpoint, used: null, ok: false, got: null, close: null, messages: 0};
    const sock = new SockJS(BASE + endpoint, null, {transports: [transport], timeout: TIMEOUT});
    const timer = setTimeout(() => {
      result.got = result.got || 'timeout';
      try { sock.close(); } catch (e) { /* already closed */ }
      resolve(result);
    }, TIMEOUT);
    sock.onopen = () => {
      result.used = sock.transport;
      if (spec && spec.onopen) spec.onopen(sock);
    };
    sock.onmessage = (e) => {
      result.messages += 1;
      if (!spec) return;
      if (spec.start) spec.start(sock, e.data);
      const answer = spec.answer(e.data);
      if (answer !== undefined) {
        result.ok = true;
        result.got = answer;
        sock.close(1000, 'done');
      }
    };
    sock.onclose = (e) => {
      result.close = [e.code, e.reason];
      clearTimeout(timer);
      resolve(result);
    };
  });
}

(async () => {
  const results = [];
  for (const transport of TRANSPORTS) {
    for (const [endpoint, spec] of Object.entries(EXCHANGES)) {
      results.push(await session(transport, endpoint, spec));
    }
    for (const endpoint of CLOSING) {
      results.push(await session(transport, endpoint, null));
    }
  }
  const version = require('sockjs-client/package.json').version;
  process.stdout.write(JSON.stringify({version, results}) + '\n');
  process.exit(0);
})();
