// Browser end-to-end test of the chat demo, driven by scripts/test-e2e.sh.
//
// Opens http://127.0.0.1:PORT/?room=ROOM in two headless Chromium pages, waits for both to
// read `open`, sends a line from the first, expects it in the second's #log (and the
// first's: the room echoes to everyone), checks that #extensions shows permessage-deflate
// (negotiated by Chromium with squall's chat_server), and saves a screenshot.
//
// env: CHAT_URL (http://127.0.0.1:PORT), PLAYWRIGHT_CORE (path to the playwright-core
// package), SCREENSHOT (PNG path).
'use strict';

const { chromium } = require(process.env.PLAYWRIGHT_CORE || 'playwright-core');

const base = process.env.CHAT_URL;
const screenshot = process.env.SCREENSHOT || 'chat.png';
const room = 'e2e' + Date.now();

function check(condition, message) {
  if (!condition) throw new Error(message);
  console.log('ok   ' + message);
}

async function openChat(browser, name) {
  const page = await browser.newPage({ viewport: { width: 720, height: 640 } });
  page.on('console', (msg) => console.log(`[${name} console] ${msg.text()}`));
  page.on('pageerror', (err) => console.log(`[${name} error] ${err}`));
  await page.goto(`${base}/?room=${room}`);
  await page.waitForFunction(() => document.getElementById('status').textContent === 'open',
    null, { timeout: 15000 });
  return page;
}

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--no-first-run', '--disable-quic'],
  });
  try {
    const alice = await openChat(browser, 'alice');
    const bob = await openChat(browser, 'bob');
    check(true, `both pages read "open" in room ${room}`);

    const extensions = await alice.textContent('#extensions');
    check(extensions.includes('permessage-deflate'),
      `Chromium negotiated permessage-deflate with squall: "${extensions}"`);

    const lines = ['hello from alice', 'héllo wörld ✓ — a second line'];
    for (const line of lines) {
      await alice.fill('#msg', line);
      await alice.click('#send');
    }
    await bob.fill('#msg', 'and bob answers');
    await bob.press('#msg', 'Enter');
    const expected = [...lines, 'and bob answers'];
    for (const [name, page] of [['bob', bob], ['alice', alice]]) {
      await page.waitForFunction((n) => document.querySelectorAll('#log > *').length >= n,
        expected.length, { timeout: 10000 });
      const got = await page.$$eval('#log > *', (els) => els.map((el) => el.textContent));
      check(JSON.stringify(got) === JSON.stringify(expected),
        `${name}'s #log has one element per line, in order: ${JSON.stringify(got)}`);
    }
    check(await alice.inputValue('#msg') === '', '#msg is cleared after sending');
    await bob.screenshot({ path: screenshot });
    console.log('screenshot: ' + screenshot);
  } finally {
    await browser.close();
  }
})().catch((err) => {
  console.error('FAIL ' + (err && err.stack || err));
  process.exit(1);
});
