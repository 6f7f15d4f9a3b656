// The Node socket.io 4 server (from the npm registry, installed by bench/run.py):
// the same three events as the realtime test app. join enters a room
// (acknowledged), to_room emits room_message to a room, echo acknowledges
// with its arguments.
//
//   NODE_PATH=<cache>/node_modules node bench/peers/socketio_node.js <port>
'use strict';

const http = require('http');
const { Server } = require('socket.io');

const port = Number(process.argv[2]);
const server = http.createServer((req, res) => res.end('ok'));
const io = new Server(server, { transports: ['websocket', 'polling'], cors: { origin: '*' } });

io.on('connection', (socket) => {
  socket.on('join', (room, ack) => { socket.join(room); if (ack) ack([room]); });
  socket.on('to_room', (room, payload) => io.to(room).emit('room_message', payload));
  socket.on('echo', (...args) => { const ack = args.pop(); if (typeof ack === 'function') ack(...args); });
});
server.listen(port, '127.0.0.1');
