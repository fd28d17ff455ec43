// An RFC 8441 WebSocket client on Node's own HTTP/2 (no squall): opens WebSockets with an
// extended CONNECT on one connection, writes masked frames by hand and checks the echoes
// and the close handshake. Usage: node h2_ws_client.mjs URL PATH... (one WebSocket per
// path, all on one connection; each says "HTTP/2.0 ..." first, then echoes).
import http2 from 'node:http2';
import { randomBytes } from 'node:crypto';

const [url, ...paths] = process.argv.slice(2);
const fail = (why) => { console.log(`FAIL ${why}`); process.exit(1); };
setTimeout(() => fail('timeout'), 20000).unref();

function frame(opcode, payload) {
  const mask = randomBytes(4);
  const len = payload.length;
  const head = len < 126 ? Buffer.from([0x80 | opcode, 0x80 | len])
    : len < 65536 ? Buffer.from([0x80 | opcode, 0x80 | 126, len >> 8, len & 255])
    : (() => { const h = Buffer.alloc(10); h[0] = 0x80 | opcode; h[1] = 0x80 | 127; h.writeBigUInt64BE(BigInt(len), 2); return h; })();
  const body = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]));
  return Buffer.concat([head, mask, body]);
}

// Yields the server's frames (unmasked) from the stream's DATA.
function frames(stream) {
  let buf = Buffer.alloc(0);
  const waiting = [];
  const queue = [];
  let ended = false;
  const parse = () => {
    for (;;) {
      if (buf.length < 2) return;
      if (buf[1] & 0x80) fail('masked server frame');
      let len = buf[1] & 0x7f, off = 2;
      if (len === 126) { if (buf.length < 4) return; len = buf.readUInt16BE(2); off = 4; }
      else if (len === 127) { if (buf.length < 10) return; len = Number(buf.readBigUInt64BE(2)); off = 10; }
      if (buf.length < off + len) return;
      queue.push({ opcode: buf[0] & 0x0f, payload: buf.subarray(off, off + len) });
      buf = buf.subarray(off + len);
    }
  };
  const wake = () => { while (waiting.length && (queue.length || ended)) waiting.shift()(queue.shift() ?? null); };
  stream.on('data', (d) => { buf = Buffer.concat([buf, d]); parse(); wake(); });
  stream.on('end', () => { ended = true; wake(); });
  return () => new Promise((resolve) => { waiting.push(resolve); wake(); });
}

const session = http2.connect(url, { rejectUnauthorized: false });
session.on('error', (e) => fail(`session ${e.message}`));
await new Promise((resolve) => session.once('remoteSettings', resolve));
if (!session.remoteSettings.enableConnectProtocol) fail('no SETTINGS_ENABLE_CONNECT_PROTOCOL');

async function websocket(path) {
  const stream = session.request({
    ':method': 'CONNECT',
    ':protocol': 'websocket',
    ':path': path,
    ':scheme': url.startsWith('https') ? 'https' : 'http',
    ':authority': new URL(url).host,
    'sec-websocket-version': '13',
  });
  const status = await new Promise((resolve) => stream.on('response', (h) => resolve(h[':status'])));
  if (status !== 200) fail(`${path}: status ${status}`);
  return { stream, next: frames(stream) };
}

const sockets = await Promise.all(paths.map(websocket));
for (const [i, { stream, next }] of sockets.entries()) {
  const hello = await next();
  console.log(`${paths[i]} hello ${hello.payload.toString()}`);
  const text = `text on ${paths[i]}`;
  stream.write(frame(1, [...Buffer.from(text)]));
  const echo = await next();
  if (echo.opcode !== 1 || echo.payload.toString() !== text) fail(`${paths[i]}: bad text echo`);
  const binary = [...randomBytes(100000)];
  stream.write(frame(2, binary));
  const echoed = await next();
  if (echoed.opcode !== 2 || !echoed.payload.equals(Buffer.from(binary))) fail(`${paths[i]}: bad binary echo`);
}
// Close each in turn; the others keep echoing until their own close.
for (const [i, { stream, next }] of sockets.entries()) {
  stream.write(frame(8, [0x03, 0xe8]));
  const close = await next();
  if (close.opcode !== 8) fail(`${paths[i]}: no close frame`);
  const end = await next();
  if (end !== null) fail(`${paths[i]}: data after the close`);
  stream.end();
  console.log(`${paths[i]} closed ${close.payload.readUInt16BE(0)}`);
  for (const other of sockets.slice(i + 1)) {
    other.stream.write(frame(1, [...Buffer.from('still')]));
    const echo = await other.next();
    if (echo.payload.toString() !== 'still') fail('another WebSocket stopped');
  }
}
session.close();
console.log('done');
