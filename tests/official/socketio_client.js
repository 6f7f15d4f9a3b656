// The official socket.io-client (4.8, from npm) against a baked project's rungevent.
//
// usage: node socketio_client.js <server url> <node_modules dir>
// The server runs the generated project's protocolapp receivers ("/" and "/custom":
// "auth" on connect, "message" -> "message-back", "message-with-ack" acked with its
// arguments, "ask" -> "question" with an ack the server reports as "answered") and
// the ping/pong example's client-signal namespace "/pingpong".
// Prints one JSON object: {case: {ok, ...what was seen}}; tests/test_official_socketio.py
// asserts on it. Every case has its own deadline, so one hang cannot hide the others.

const path = require("path");
const [url, nodeModules] = process.argv.slice(2);
const { io } = require(path.join(nodeModules, "socket.io-client"));

const TIMEOUT_MS = 10000;

function connect(namespace, options) {
  return io(url + namespace, { reconnection: false, forceNew: true, timeout: TIMEOUT_MS, ...options });
}

function once(socket, event) {
  return new Promise((resolve) => socket.once(event, (...args) => resolve(args)));
}

function connected(socket) {
  return new Promise((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("connect_error", (err) => reject(new Error(`connect_error: ${err.message}`)));
  });
}

function withDeadline(name, promise) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${name}: no answer within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

// Every argument of the server's ack (emitWithAck keeps only the first).
function emitAcked(socket, event, ...args) {
  return new Promise((resolve, reject) => {
    socket.timeout(TIMEOUT_MS).emit(event, ...args, (err, ...answer) => (err ? reject(err) : resolve(answer)));
  });
}

function bytes(value) {
  // Buffers (Node) and ArrayBuffers both arrive as binary: compare their bytes.
  if (value instanceof ArrayBuffer) return Array.from(new Uint8Array(value));
  if (ArrayBuffer.isView(value)) return Array.from(value);
  return null;
}

// One client on one transport setting: handshake, the greeting emitted while
// connecting, an ack round trip.
async function transportCase(options, auth, expectUpgrade) {
  const socket = connect("/", { ...options, auth });
  const greeting = once(socket, "auth");
  const upgraded = expectUpgrade ? once(socket.io.engine, "upgrade") : null;
  await connected(socket);
  const [authSeen] = await greeting;
  if (upgraded) await upgraded;
  const ack = await emitAcked(socket, "message-with-ack", 1, "two", { three: [true] });
  const result = {
    ok: true,
    transport: socket.io.engine.transport.name,
    auth: authSeen,
    ack,
    sid: typeof socket.id === "string",
  };
  socket.disconnect();
  return result;
}

async function binaryAndAcks() {
  const socket = connect("/custom", { transports: ["websocket"] });
  const greeting = once(socket, "auth");
  await connected(socket);
  await greeting;
  // client -> server, acked by the server, with binary inside
  const [echoed, nested] = await emitAcked(socket, "message-with-ack", Buffer.from([1, 2, 3]), {
    inner: Buffer.from([4, 5]),
  });
  // a plain message with binary, answered by an event with binary
  const back = once(socket, "message-back");
  socket.emit("message", Buffer.from([6, 7]), "text");
  const [backBytes, backText] = await back;
  // server -> client, acked by the client (binary both ways)
  socket.on("question", (value, ack) => ack(value, Buffer.from([9, 9])));
  const answered = once(socket, "answered");
  socket.emit("ask", Buffer.from([8]));
  const [answerEcho, answerBytes] = await answered;
  const result = {
    ok: true,
    namespace: socket.nsp,
    ackBytes: bytes(echoed),
    ackNested: bytes(nested.inner),
    backBytes: bytes(backBytes),
    backText,
    serverAckBytes: [bytes(answerEcho), bytes(answerBytes)],
  };
  socket.disconnect();
  return result;
}

async function clientSignal() {
  const socket = connect("/pingpong", { transports: ["polling", "websocket"] });
  await connected(socket);
  const pong = once(socket, "pong");
  socket.emit("ping", { seq: 7 });
  const [data] = await pong;
  const result = { ok: true, namespace: socket.nsp, pong: data };
  socket.disconnect();
  return result;
}

async function main() {
  const cases = {
    websocket: () => transportCase({ transports: ["websocket"] }, { token: "ws" }, false),
    polling: () => transportCase({ transports: ["polling"], upgrade: false }, { token: "poll" }, false),
    upgrade: () => transportCase({ transports: ["polling", "websocket"] }, { token: "up" }, true),
    binary_and_acks: binaryAndAcks,
    client_signal: clientSignal,
  };
  const results = {};
  for (const [name, run] of Object.entries(cases)) {
    try {
      results[name] = await withDeadline(name, run());
    } catch (err) {
      results[name] = { ok: false, error: String(err && err.stack ? err.stack : err) };
    }
  }
  process.stdout.write(JSON.stringify(results) + "\n");
  process.exit(0);
}

main();
