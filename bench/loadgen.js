#!/usr/bin/env node
// Load generator of the benchmark: raw websockets on raw TCP sockets, no libraries.
//
// Why by hand: a generator that parses frames through a library (or in Python)
// runs out of CPU before the servers do, and then the table measures the
// generator. Here each client is a `net` socket that does the HTTP upgrade and
// RFC 6455 framing itself (client frames masked), and speaks one of four
// wire protocols:
//   eio             Engine.IO v4 / Socket.IO v5 text packets (ours, bare python-socketio, Node socket.io)
//   sockjs-realtime SockJS websocket + the realtime app's JSON framing (runsocket)
//   sockjs-plain    SockJS websocket + the bench's {"op": ...} messages (bare sockjs-tornado)
//   ws-plain        a plain websocket + the bench's {"op": ...} messages (Django Channels)
// It reports its own CPU (process.cpuUsage) next to every figure, and reads
// the servers' RSS and CPU from /proc, so the table can say who was busy.
//
// Usage: node loadgen.js '<json config>'   (bench/run.py writes the config; see DEFAULTS)
// Prints one JSON object on stdout; progress on stderr.
'use strict';

const net = require('net');
const crypto = require('crypto');
const fs = require('fs');
const { performance } = require('perf_hooks');

const DEFAULTS = {
  targets: [], // [{port, proto}] clients are spread over them round-robin; the sender uses the first
  clients: 100,
  room: 'bench',
  burst: 100, // messages sent back to back
  rate: 10, // messages per second in the steady phase
  seconds: 3, // length of the steady phase
  ackSerial: 200, // one client, one echo at a time
  ackParallel: 100, // that many clients call at once...
  ackRounds: 10, // ...this many times
  connectConcurrency: 100,
  stallSeconds: 4, // a phase ends when nothing arrived for this long (the rest counts as missing)...
  drainSeconds: 6, // ...or this long after the last send (a saturated server: the rest counts as late)
  pids: [], // server processes: RSS and CPU read from /proc
  clkTck: 100,
  memoryOnly: false, // connect, measure KB per connection, hold holdSeconds (for a memory profile), stop
  holdSeconds: 0,
};

const now = () => performance.now();
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);
const log = (...a) => process.stderr.write(`loadgen: ${a.join(' ')}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// -- /proc ------------------------------------------------------------------------------------

function serverCpuSeconds(pids, clkTck) {
  let total = 0;
  for (const pid of pids) {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    total += (Number(fields[11]) + Number(fields[12])) / clkTck; // utime, stime (fields 14, 15)
  }
  return total;
}

function serverRssKb(pids) {
  let total = 0;
  for (const pid of pids) {
    const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'latin1'));
    total += m ? Number(m[1]) : 0;
  }
  return total;
}

function pct(sorted, p) {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function summary(values) {
  const s = Float64Array.from(values).sort();
  return { n: s.length, p50: pct(s, 50), p99: pct(s, 99) };
}

// -- RFC 6455 client framing ------------------------------------------------------------------

function encodeFrame(text, opcode = 1) {
  const payload = Buffer.from(text);
  const len = payload.length;
  const ext = len < 126 ? 0 : len < 65536 ? 2 : 8;
  const out = Buffer.allocUnsafe(2 + ext + 4 + len);
  out[0] = 0x80 | opcode;
  if (ext === 0) out[1] = 0x80 | len;
  else if (ext === 2) { out[1] = 0x80 | 126; out.writeUInt16BE(len, 2); }
  else { out[1] = 0x80 | 127; out.writeBigUInt64BE(BigInt(len), 2); }
  const m = 2 + ext;
  crypto.randomFillSync(out, m, 4);
  for (let i = 0; i < len; i++) out[m + 4 + i] = payload[i] ^ out[m + (i & 3)];
  return out;
}

// -- the four wire protocols ------------------------------------------------------------------
// Each: path(), hello(client, text) during the handshake (returns true when connected),
// join/say/echo(...) give the text to send, and decode(client, text) calls
// client.onRoom(payload) / client.onAck(id) for what arrives.

const sockjsPath = (prefix) => `${prefix}/${String(Math.floor(Math.random() * 1000)).padStart(3, '0')}/${crypto.randomBytes(6).toString('hex')}/websocket`;
const sockjsSend = (obj) => JSON.stringify([JSON.stringify(obj)]);

const PROTOCOLS = {
  eio: {
    path: () => '/socket.io/?EIO=4&transport=websocket',
    hello(c, text) {
      if (text[0] === '0') c.send('40');
      else if (text.startsWith('40')) return true;
      return false;
    },
    join: (room, id) => `42${id}${JSON.stringify(['join', room])}`,
    say: (room, data) => `42${JSON.stringify(['to_room', room, data])}`,
    echo: (data, id) => `42${id}${JSON.stringify(['echo', data])}`,
    decode(c, text) {
      if (text.startsWith('42[')) {
        const [event, data] = JSON.parse(text.slice(2));
        if (event === 'room_message') c.onRoom(data);
      } else if (text.startsWith('43')) {
        c.onAck(parseInt(text.slice(2), 10));
      } else if (text === '2') {
        c.send('3');
      }
    },
  },
  'sockjs-realtime': {
    path: () => sockjsPath('/sockjs'),
    hello(c, text) {
      if (text[0] !== 'a') return false;
      return JSON.parse(text.slice(1)).some((m) => JSON.parse(m).type === 'connect');
    },
    join: (room, id) => sockjsSend({ type: 'event', event: 'join', args: [room], id }),
    say: (room, data) => sockjsSend({ type: 'event', event: 'to_room', args: [room, data] }),
    echo: (data, id) => sockjsSend({ type: 'event', event: 'echo', args: [data], id }),
    decode(c, text) {
      if (text[0] !== 'a') return;
      for (const m of JSON.parse(text.slice(1))) {
        const f = JSON.parse(m);
        if (f.type === 'event' && f.event === 'room_message') c.onRoom(f.args[0]);
        else if (f.type === 'ack') c.onAck(f.id);
      }
    },
  },
  'sockjs-plain': {
    path: () => sockjsPath('/sockjs'),
    hello: (c, text) => text === 'o',
    join: (room, id) => sockjsSend({ op: 'join', room, id }),
    say: (room, data) => sockjsSend({ op: 'say', room, data }),
    echo: (data, id) => sockjsSend({ op: 'echo', data, id }),
    decode(c, text) {
      if (text[0] !== 'a') return;
      for (const m of JSON.parse(text.slice(1))) plainMessage(c, JSON.parse(m));
    },
  },
  'ws-plain': {
    path: () => '/ws/bench/',
    hello: () => true, // connected once upgraded
    join: (room, id) => JSON.stringify({ op: 'join', room, id }),
    say: (room, data) => JSON.stringify({ op: 'say', room, data }),
    echo: (data, id) => JSON.stringify({ op: 'echo', data, id }),
    decode: (c, text) => plainMessage(c, JSON.parse(text)),
  },
};

// The hot path: most frames are room messages carrying {"p", "i", "t"}. Reading those three
// fields with one regular expression instead of JSON.parse (twice, for SockJS) halves the
// generator's CPU per delivery. Used only when the frame holds exactly as many matches as room
// messages and nothing else ("ack"); anything else takes the full decoder.
const ROOM_FIELDS = /\\?"p\\?": ?\\?"(\w)\\?", ?\\?"i\\?": ?(\d+), ?\\?"t\\?": ?([0-9.eE+-]+)/g;
const ROOM_MARKER = { eio: 'room_message', 'sockjs-realtime': 'room_message', 'sockjs-plain': 'msg', 'ws-plain': 'msg' };

function fastRoom(c, s) {
  const marker = ROOM_MARKER[c.target.proto];
  if (s.includes('ack')) return false;
  let markers = 0;
  for (let at = s.indexOf(marker); at >= 0; at = s.indexOf(marker, at + marker.length)) markers++;
  if (!markers) return false;
  const found = [];
  ROOM_FIELDS.lastIndex = 0;
  for (let m = ROOM_FIELDS.exec(s); m; m = ROOM_FIELDS.exec(s)) found.push(m);
  if (found.length !== markers) return false;
  for (const m of found) c.onRoom({ p: m[1], i: Number(m[2]), t: Number(m[3]) });
  return true;
}

function plainMessage(c, m) {
  if (m.op === 'msg') c.onRoom(m.data);
  else if (m.op === 'ack') c.onAck(m.id);
}

// -- one client -------------------------------------------------------------------------------

class Client {
  constructor(target, run) {
    this.target = target;
    this.proto = PROTOCOLS[target.proto];
    if (!this.proto) throw new Error(`unknown protocol ${target.proto}: one of ${Object.keys(PROTOCOLS)}`);
    this.run = run;
    this.buf = null;
    this.upgraded = false;
    this.connected = false;
    this.fragments = null;
    this.nextId = 1;
    this.pending = new Map(); // ack id -> resolve
    this.got = {}; // phase -> Uint8Array of message indexes seen
  }

  open() {
    return new Promise((resolve, reject) => {
      const started = now();
      this.onConnected = () => resolve(now() - started);
      this.onFail = reject;
      const key = crypto.randomBytes(16).toString('base64');
      this.expectedAccept = crypto.createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
      // Reads land in one shared buffer (no allocation per read); data() copies what it keeps.
      const onread = { buffer: READ_BUFFER, callback: (n, buf) => this.data(buf.subarray(0, n)) };
      this.sock = net.connect({ host: '127.0.0.1', port: this.target.port, onread }, () => {
        this.sock.setNoDelay(true);
        this.sock.write(
          `GET ${this.proto.path()} HTTP/1.1\r\nHost: 127.0.0.1:${this.target.port}\r\nUpgrade: websocket\r\n` +
            `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        );
      });
      this.sock.on('error', (e) => this.fail(`socket error: ${e.message}`));
      this.sock.on('close', () => { if (!this.closing) this.fail('closed by the server'); });
    });
  }

  fail(why) {
    if (this.onFail) { const f = this.onFail; this.onFail = null; f(new Error(why)); }
    else if (!this.closing) this.run.errors.push(why);
  }

  send(text) { this.sock.write(encodeFrame(text)); }

  data(chunk) {
    this.run.stamp = now(); // arrival time of everything in this chunk
    this.buf = this.buf ? Buffer.concat([this.buf, chunk]) : chunk;
    if (!this.upgraded) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) { this.buf = Buffer.from(this.buf); return; }
      const head = this.buf.toString('latin1', 0, end);
      if (!/^HTTP\/1\.1 101/.test(head) || !head.includes(this.expectedAccept)) {
        return this.fail(`upgrade refused: ${head.split('\r\n')[0]}`);
      }
      this.upgraded = true;
      this.buf = this.buf.length > end + 4 ? Buffer.from(this.buf.subarray(end + 4)) : null;
      if (this.proto.hello(this, '')) this.ready();
      if (!this.buf) return;
    }
    let b = this.buf;
    let off = 0;
    while (b.length - off >= 2) {
      const fin = b[off] & 0x80;
      const opcode = b[off] & 0x0f;
      const masked = b[off + 1] & 0x80;
      let len = b[off + 1] & 0x7f;
      let hdr = 2;
      if (len === 126) { if (b.length - off < 4) break; len = b.readUInt16BE(off + 2); hdr = 4; }
      else if (len === 127) { if (b.length - off < 10) break; len = Number(b.readBigUInt64BE(off + 2)); hdr = 10; }
      const maskAt = off + hdr;
      if (masked) hdr += 4;
      if (b.length - off < hdr + len) break;
      let payload = b.subarray(off + hdr, off + hdr + len);
      if (masked) {
        payload = Buffer.from(payload);
        for (let i = 0; i < len; i++) payload[i] ^= b[maskAt + (i & 3)];
      }
      off += hdr + len;
      if (opcode === 0x9) this.sock.write(encodeFrame(payload, 0xa));
      else if (opcode === 0x8) { this.closing = true; this.fail('close frame from the server'); }
      else if (opcode === 0x1 || opcode === 0x0) {
        if (!fin) { this.fragments = (this.fragments || []).concat([Buffer.from(payload)]); continue; }
        if (this.fragments) { payload = Buffer.concat([...this.fragments, payload]); this.fragments = null; }
        if (!(this.connected && fastRoom(this, payload.toString('latin1')))) this.text(payload.toString('utf8'));
      }
    }
    this.buf = off < b.length ? Buffer.from(b.subarray(off)) : null; // a copy: b may be READ_BUFFER
  }

  text(text) {
    if (!this.connected) {
      if (this.proto.hello(this, text)) this.ready();
      return;
    }
    try {
      this.proto.decode(this, text);
    } catch (e) {
      this.run.errors.push(`undecodable frame ${JSON.stringify(text.slice(0, 80))}: ${e.message}`);
    }
  }

  ready() {
    if (this.connected) return;
    this.connected = true;
    if (this.onConnected) { this.onConnected(); this.onConnected = null; this.onFail = null; }
  }

  call(kind, arg) {
    const id = this.nextId++;
    return new Promise((resolve) => {
      const started = now();
      this.pending.set(id, () => resolve(now() - started));
      this.send(kind === 'join' ? this.proto.join(arg, id) : this.proto.echo(arg, id));
    });
  }

  onAck(id) {
    const done = this.pending.get(id);
    if (done) { this.pending.delete(id); done(); }
    else this.run.errors.push(`unexpected ack ${id}`);
  }

  onRoom(data) {
    const run = this.run;
    const seen = this.got[data.p];
    if (!seen || data.i >= seen.length) { run.errors.push(`unexpected room message ${JSON.stringify(data)}`); return; }
    if (seen[data.i]) { run.duplicates++; return; }
    seen[data.i] = 1;
    run.delivered++;
    run.last = run.stamp;
    if (run.latencies) run.latencies.push(run.stamp - data.t);
  }

  close() { this.closing = true; this.sock.destroy(); }
}

// -- the run ----------------------------------------------------------------------------------

async function connectAll(cfg, run) {
  const clients = [];
  for (let i = 0; i < cfg.clients; i++) clients.push(new Client(cfg.targets[i % cfg.targets.length], run));
  const times = [];
  let next = 0;
  const started = now();
  async function worker() {
    while (next < clients.length) {
      const c = clients[next++];
      const opened = await c.open();
      times.push(opened + (await c.call('join', cfg.room))); // upgraded, then joined the room
    }
  }
  await Promise.all(Array.from({ length: Math.min(cfg.connectConcurrency, clients.length) }, worker));
  return { clients, wall: (now() - started) / 1000, times };
}

// Until every delivery arrived; false when nothing arrived for stallMs or drainMs passed.
async function waitDelivered(run, expected, stallMs, drainMs) {
  let seen = -1;
  let since = now();
  const deadline = now() + drainMs;
  while (run.delivered < expected) {
    await sleep(20);
    if (now() > deadline) return false;
    if (run.delivered !== seen) { seen = run.delivered; since = now(); }
    else if (now() - since > stallMs) return false;
  }
  return true;
}

async function broadcastPhase(cfg, run, sender, clients, phase, count, rate) {
  for (const c of clients) c.got[phase] = new Uint8Array(count);
  run.delivered = 0;
  run.duplicates = 0;
  run.latencies = rate ? [] : null;
  const cpu0 = serverCpuSeconds(cfg.pids, cfg.clkTck);
  const me0 = process.cpuUsage();
  const first = now();
  run.last = first;
  if (!rate) {
    const frames = [];
    for (let i = 0; i < count; i++) frames.push(encodeFrame(sender.proto.say(cfg.room, { p: phase, i, t: now() })));
    sender.sock.write(Buffer.concat(frames));
  } else {
    for (let i = 0; i < count; i++) {
      const due = first + (i * 1000) / rate;
      if (due > now()) await sleep(due - now());
      sender.send(sender.proto.say(cfg.room, { p: phase, i, t: now() }));
    }
  }
  const expected = count * clients.length;
  const complete = await waitDelivered(run, expected, cfg.stallSeconds * 1000, cfg.drainSeconds * 1000);
  const wall = (run.last - first) / 1000;
  const me = process.cpuUsage(me0);
  const cpu = serverCpuSeconds(cfg.pids, cfg.clkTck) - cpu0;
  const missing = [];
  for (let k = 0; k < clients.length && missing.length < 5; k++) {
    const lost = clients[k].got[phase].reduce((n, v) => n + (v ? 0 : 1), 0);
    if (lost) missing.push(`client ${k} (port ${clients[k].target.port}) missed ${lost}`);
  }
  const out = {
    messages: count,
    expected,
    delivered: run.delivered,
    duplicates: run.duplicates,
    missing,
    cut_by_drain_deadline: !complete && now() - run.last < cfg.stallSeconds * 1000,
    seconds: wall,
    per_s: wall > 0 ? run.delivered / wall : null,
    server_us_per_delivery: run.delivered ? (cpu / run.delivered) * 1e6 : null,
    server_busy: wall > 0 ? cpu / wall : null,
    loadgen_busy: wall > 0 ? (me.user + me.system) / 1e6 / wall : null,
  };
  if (rate) Object.assign(out, { rate, latency_ms: summary(run.latencies) });
  run.latencies = null;
  return out;
}

async function ackPhase(run, callers, rounds) {
  const times = [];
  const me0 = process.cpuUsage();
  const t0 = now();
  for (let r = 0; r < rounds; r++) {
    const round = await Promise.all(callers.map((c) => c.call('echo', r)));
    times.push(...round);
  }
  const me = process.cpuUsage(me0);
  return { callers: callers.length, calls: times.length, latency_ms: summary(times),
    loadgen_busy: (me.user + me.system) / 1e3 / (now() - t0) };
}

async function main() {
  const cfg = { ...DEFAULTS, ...JSON.parse(process.argv[2] || '{}') };
  if (!cfg.targets.length) throw new Error('no targets: pass {"targets": [{"port": 8000, "proto": "eio"}]}');
  const run = { errors: [], delivered: 0, duplicates: 0, stamp: 0, last: 0, latencies: null };
  const result = { clients: cfg.clients, targets: cfg.targets, drain_seconds: cfg.drainSeconds };

  // The sender (not in the room) connects first and calls once, so what the
  // first connection loads lazily is not counted as the clients' memory.
  const sender = new Client(cfg.targets[0], run);
  await sender.open();
  await sender.call('echo', 'warm-up');
  await sleep(200);
  const rss0 = serverRssKb(cfg.pids);

  log(`connecting ${cfg.clients} clients`);
  const { clients, wall, times } = await connectAll(cfg, run);
  result.connect = { ...summary(times), all_seconds: wall, per_s: cfg.clients / wall };
  await sleep(300);
  result.kb_per_connection = (serverRssKb(cfg.pids) - rss0) / cfg.clients;
  if (cfg.memoryOnly) {
    log(`holding ${cfg.clients} idle connections for ${cfg.holdSeconds} s`);
    await sleep(cfg.holdSeconds * 1000);
    for (const c of [sender, ...clients]) c.close();
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }

  log('warm-up broadcast');
  result.warmup = await broadcastPhase(cfg, run, sender, clients, 'w', 2, 0);
  log('ack round trips');
  result.ack_one = await ackPhase(run, [sender], cfg.ackSerial);
  result.ack_many = await ackPhase(run, clients.slice(0, cfg.ackParallel), cfg.ackRounds);
  await sleep(200);
  log(`burst of ${cfg.burst}`);
  result.burst = await broadcastPhase(cfg, run, sender, clients, 'b', cfg.burst, 0);
  await sleep(300);
  log(`${cfg.rate}/s for ${cfg.seconds} s`);
  result.steady = await broadcastPhase(cfg, run, sender, clients, 's', Math.round(cfg.rate * cfg.seconds), cfg.rate);
  result.errors = run.errors.slice(0, 20);
  result.error_count = run.errors.length;
  for (const c of [sender, ...clients]) c.close();
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().then(
  () => process.exit(0),
  (e) => { process.stdout.write(`${JSON.stringify({ fatal: e.message })}\n`); process.exit(1); },
);
