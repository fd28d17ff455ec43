// Node `ws` 8 echo server, as that package's README server example (`WebSocketServer`,
// each message sent back with its own type), on Node's single event loop.
// With --deflate, permessage-deflate on at ws's defaults (zlib level and memLevel defaults,
// 15-bit windows, context takeover both ways) except the threshold: ws compresses only
// messages of 1 KiB or more by default, and the deflate cells' chat messages are 150-300
// bytes, so every message is compressed here as by the other servers.
//
//   node bench/node/echo_ws.js --port PORT [--deflate]   prints `listening on 127.0.0.1:PORT`
'use strict';
const { WebSocketServer } = require('ws');

const args = process.argv.slice(2);
const portAt = args.indexOf('--port');
const port = portAt >= 0 ? Number(args[portAt + 1]) : NaN;
const known = new Set(['--port', '--deflate']);
const unknown = args.filter((a, i) => a.startsWith('--') && !known.has(a) && args[i - 1] !== '--port');
if (!Number.isInteger(port) || unknown.length > 0) {
  console.error('usage: echo_ws.js --port PORT [--deflate]');
  process.exit(2);
}
const deflate = args.includes('--deflate');

const wss = new WebSocketServer({
  host: '127.0.0.1',
  port,
  // As squall's --max-message-size in the benchmark: 64 MiB.
  maxPayload: 64 * 1024 * 1024,
  perMessageDeflate: deflate ? { threshold: 0 } : false,
});
wss.on('listening', () => {
  console.log(`listening on 127.0.0.1:${wss.address().port}`);
});
wss.on('connection', (ws) => {
  ws.on('error', () => {});
  ws.on('message', (data, isBinary) => {
    ws.send(data, { binary: isBinary });
  });
});
