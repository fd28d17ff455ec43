// Browser end-to-end test of the chat demo, driven by scripts/test-e2e.sh.
//
// One node (CHAT_URL only): opens http://127.0.0.1:PORT/?room=ROOM in two headless Chromium
// pages, alice and bob. Two nodes (CHAT_URL and CHAT_URL_2, two chat_server processes
// sharing one Redis): alice opens the page on the first node, bob on the second, same room.
//
// Either way it waits for both pages to read `open`, checks that each page's #node shows the
// node it was loaded from and that #extensions shows permessage-deflate (negotiated by
// Chromium with squall's chat_server), sends lines from alice then an answer from bob and
// expects all of them, in order, in both #logs (the room echoes to everyone, sender
// included), then has both send a burst of lines at the same time and expects
// the two #logs to end up identical (one order for everyone, on every node), each sender's
// lines in the order they were sent. A third page, carol, in another room on the last node,
// must receive none of it. Saves a screenshot of bob's page (and, with two nodes, of
// alice's).
//
// Each page's #http must show EXPECT_HTTP (default HTTP/1.1): the HTTP version that carried
// its WebSocket's upgrade, as the server told the page. With EXPECT_HTTP=HTTP/2 (CHAT_URL is
// then https://, a self-signed certificate, accepted with --ignore-certificate-errors), each
// page must also have been loaded over HTTP/2 (its navigation entry's nextHopProtocol is
// "h2"): Chromium opens wss:// over HTTP/2 (RFC 8441, on by default since 2021; Chromium 148
// needs no flag) only on an HTTP/2 connection it already has whose server advertised
// SETTINGS_ENABLE_CONNECT_PROTOCOL.
//
// env: CHAT_URL (http://127.0.0.1:PORT or https://...), CHAT_URL_2 (optional second node),
// EXPECT_HTTP (HTTP/1.1 or HTTP/2), PLAYWRIGHT_CORE (path to the playwright-core package),
// SCREENSHOT (PNG path).
'use strict';

const { chromium } = require(process.env.PLAYWRIGHT_CORE || 'playwright-core');

const base = process.env.CHAT_URL;
const base2 = process.env.CHAT_URL_2 || '';
const twoNodes = base2 !== '';
const screenshot = process.env.SCREENSHOT || 'chat.png';
const expectHttp = process.env.EXPECT_HTTP || 'HTTP/1.1';
const room = 'e2e' + Date.now();

function check(condition, message) {
  if (!condition) throw new Error(message);
  console.log('ok   ' + message);
}

async function openChat(browser, name, url, chatRoom) {
  const page = await browser.newPage({ viewport: { width: 720, height: 640 } });
  page.on('console', (msg) => console.log(`[${name} console] ${msg.text()}`));
  page.on('pageerror', (err) => console.log(`[${name} error] ${err}`));
  await page.goto(`${url}/?room=${chatRoom}`);
  try {
    await page.waitForFunction(() => document.getElementById('status').textContent === 'open',
      null, { timeout: 15000 });
  } catch (err) {
    const status = await page.textContent('#status').catch(() => '?');
    throw new Error(`${name}'s page on ${url} did not read "open" (status: "${status}"): ${err}`);
  }
  try {
    await page.waitForFunction(() => document.getElementById('http').textContent !== '?',
      null, { timeout: 5000 });
  } catch (err) {
    throw new Error(`${name}'s #http was not set: ${err}`);
  }
  return page;
}

// The page's #http, and the HTTP version of its own load ("h2", "http/1.1").
async function httpVersions(name, page) {
  const http = await page.textContent('#http');
  const navigation = await page.evaluate(
    () => performance.getEntriesByType('navigation')[0].nextHopProtocol);
  return { http, navigation };
}

async function logOf(page) {
  return page.$$eval('#log > *', (els) => els.map((el) => el.textContent));
}

async function waitForLines(name, page, n) {
  try {
    await page.waitForFunction((count) => document.querySelectorAll('#log > *').length >= count,
      n, { timeout: 10000 });
  } catch (err) {
    throw new Error(`${name}'s #log did not reach ${n} lines: ${JSON.stringify(await logOf(page))}`);
  }
}

async function send(page, line, how) {
  await page.fill('#msg', line);
  if (how === 'click') {
    await page.click('#send');
  } else {
    await page.press('#msg', 'Enter');
  }
}

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--no-first-run', '--disable-quic',
      // The HTTPS case's self-signed certificate; no effect on http:// pages.
      '--ignore-certificate-errors'],
  });
  try {
    const bobBase = twoNodes ? base2 : base;
    const alice = await openChat(browser, 'alice', base, room);
    const bob = await openChat(browser, 'bob', bobBase, room);
    check(true, twoNodes
      ? `both pages read "open" in room ${room}: alice on ${base}, bob on ${bobBase}`
      : `both pages read "open" in room ${room}`);

    for (const [name, page, url] of [['alice', alice, base], ['bob', bob, bobBase]]) {
      const node = await page.textContent('#node');
      check(node === new URL(url).host, `${name}'s #node shows its own node: "${node}"`);
      const extensions = await page.textContent('#extensions');
      check(extensions.includes('permessage-deflate'),
        `Chromium negotiated permessage-deflate with squall (${name}): "${extensions}"`);
    }
    const carol = await openChat(browser, 'carol', bobBase, room + 'other');
    for (const [name, page] of [['alice', alice], ['bob', bob], ['carol', carol]]) {
      const { http, navigation } = await httpVersions(name, page);
      check(http === expectHttp,
        `${name}'s WebSocket went over ${expectHttp} (#http: "${http}", page loaded over "${navigation}")`);
      if (expectHttp === 'HTTP/2') {
        check(navigation === 'h2', `${name}'s page was loaded over HTTP/2 ("${navigation}")`);
      }
    }

    // Alice's lines, then bob's answer once he has read them: one order for everyone.
    const lines = ['hello from alice', 'héllo wörld ✓ — a second line'];
    for (const line of lines) {
      await send(alice, line, 'click');
    }
    await waitForLines('bob', bob, lines.length);
    await send(bob, 'and bob answers', 'enter');
    const expected = [...lines, 'and bob answers'];
    for (const [name, page] of [['bob', bob], ['alice', alice]]) {
      await waitForLines(name, page, expected.length);
      const got = await logOf(page);
      check(JSON.stringify(got) === JSON.stringify(expected),
        `${name}'s #log has one element per line, in order: ${JSON.stringify(got)}`);
    }
    check(await alice.inputValue('#msg') === '', '#msg is cleared after sending');

    // Both at once, without waiting for each other.
    const burst = { alice: [], bob: [] };
    for (let i = 1; i <= 5; i++) {
      burst.alice.push(`alice ${i}`);
      burst.bob.push(`bob ${i}`);
    }
    await Promise.all([['alice', alice], ['bob', bob]].map(async ([name, page]) => {
      for (const line of burst[name]) {
        await send(page, line, 'enter');
      }
    }));
    const total = expected.length + burst.alice.length + burst.bob.length;
    await waitForLines('alice', alice, total);
    await waitForLines('bob', bob, total);
    await new Promise((resolve) => setTimeout(resolve, 300)); // nothing more should come
    const aliceLog = await logOf(alice);
    const bobLog = await logOf(bob);
    check(JSON.stringify(aliceLog) === JSON.stringify(bobLog),
      `alice and bob see the same ${aliceLog.length} lines in the same order: `
      + JSON.stringify(aliceLog.slice(expected.length)));
    check(aliceLog.length === total, `no line is lost or duplicated (${aliceLog.length} lines)`);
    for (const name of ['alice', 'bob']) {
      const own = aliceLog.filter((line) => line.startsWith(name + ' '));
      check(JSON.stringify(own) === JSON.stringify(burst[name]),
        `${name}'s burst arrives in the order sent: ${JSON.stringify(own)}`);
    }
    const carolLog = await logOf(carol);
    check(carolLog.length === 0,
      `carol, in another room, received nothing: ${JSON.stringify(carolLog)}`);

    await bob.screenshot({ path: screenshot });
    console.log('screenshot: ' + screenshot);
    if (twoNodes) {
      const aliceShot = screenshot.replace(/(\.png)?$/, '-alice.png');
      await alice.screenshot({ path: aliceShot });
      console.log('screenshot: ' + aliceShot);
    }
  } finally {
    await browser.close();
  }
})().catch((err) => {
  console.error('FAIL ' + (err && err.stack || err));
  process.exit(1);
});
