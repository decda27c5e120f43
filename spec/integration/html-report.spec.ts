import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as assert from 'uvu/assert';
import { runCli, writeInventory } from '../helpers/cli';
import { suiteUnless } from '../helpers/not-run';
import { sshdUnavailable, startSshdFleet, type SshdFleet } from '../helpers/sshd';
import { browserUnavailable, CHROMIUM, CHROMIUM_ARGS } from '../helpers/browser';

/**
 * The HTML report of a drifted run on real sshd hosts, opened in a real headless Chromium
 * (Debian's chromium driven by playwright-core, no browser download): the drifted cells and their
 * diffs are there, the filters hide the rest, and the page fetches nothing but itself.
 */
const PLAYBOOK = join(__dirname, 'fixtures', 'report-playbook.ts');
let fleet: SshdFleet;
let html = '';
let report = '';

const test = suiteUnless(sshdUnavailable() ?? browserUnavailable());
test.before(async () => {
  fleet = await startSshdFleet(2);
});
test.after(async () => {
  await fleet?.stop();
});

test('a drifted check run on real sshd hosts writes the report', async () => {
  const inv = writeInventory(fleet.dir, {
    defaults: { user: 'root', keyFile: fleet.clientKey, knownHostsFile: fleet.knownHosts, connectTimeoutSeconds: 3 },
    hosts: Object.fromEntries(fleet.hosts.map((h, i) => [h.name, { address: '127.0.0.1', port: h.port, vars: { root: h.root, port: 8000 + i } }])),
  });
  const converge = await runCli(PLAYBOOK, ['-i', inv]);
  assert.is(converge.code, 0, converge.stdout + converge.stderr);
  writeFileSync(join(fleet.hosts[1].root, 'motd'), 'edited by hand\n');
  writeFileSync(join(fleet.hosts[1].root, 'token'), 'keel-test-secret-old-value\n');
  writeFileSync(join(fleet.hosts[0].root, 'app.conf'), 'port=1\n');
  report = join(mkdtempSync(join(tmpdir(), 'keel-html-')), 'report.html');
  const r = await runCli(PLAYBOOK, ['-i', inv, '--check', '--diff', '--html', report]);
  assert.is(r.code, 4, r.stdout + r.stderr);
  html = readFileSync(report, 'utf8');
});

test('the file is self-contained: no URL, no external resource, secrets redacted, names escaped', () => {
  assert.not.match(html, /https?:\/\//);
  assert.not.match(html, /\b(src|href)\s*=/i);
  assert.not.match(html, /@import|url\(/i);
  assert.match(html, "default-src 'none'");
  assert.not.match(html, 'keel-test-secret-', 'secret file content never appears');
  assert.not.match(html, '<script>window.__pwned', 'task names are escaped');
});

test('in Chromium: the drifted cells, their field changes and diffs; the filters; nothing fetched', async () => {
  const { chromium } = require('playwright-core') as typeof import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  try {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const requests: string[] = [];
    context.on('request', (req) => requests.push(req.url()));
    const page = await context.newPage();
    const url = pathToFileURL(report).href;
    await page.goto(url, { waitUntil: 'load' });

    // Functions run in the page (no DOM types in this project's tsconfig: `any`).
    const drifted: string[][] = await page.$$eval('td.cell[data-status="would change"]', (tds: any[]) =>
      tds.map((td) => [td.getAttribute('data-host'), td.closest('tr').querySelector('th.task').innerText]),
    );
    assert.equal(
      drifted.map(([h, t]) => `${h} ${t!.split(' ')[0]}`).sort(),
      ['host1 writeFile', 'host2 motd', 'host2 writeFile'],
      JSON.stringify(drifted),
    );
    const motdRow: string = await page.$eval('td.cell[data-host="host2"][data-status="would change"]', (td: any) => td.closest('tr').querySelector('th.task').innerText);
    assert.match(motdRow, '<script>window.__pwned=1</script> & "quotes"', 'the name is shown as text');
    assert.is(await page.evaluate('window.__pwned'), undefined, 'and never run');

    // A drifted cell opens onto its changes and its diff.
    const button = page.locator('tr.row', { hasText: 'motd' }).locator('td.cell[data-host="host2"] button');
    const detailId = await button.getAttribute('aria-controls');
    assert.ok(detailId);
    assert.not.ok(await page.locator(`#${detailId}`).isVisible(), 'closed at first');
    await button.click();
    const detail = page.locator(`#${detailId}`);
    assert.ok(await detail.isVisible(), 'open after a click');
    const detailText = await detail.innerText();
    assert.match(detailText, 'content');
    assert.match(detailText, '-edited by hand');
    assert.match(detailText, '+welcome to <b>host2</b> & "friends"');
    const secretRow = page.locator('tr.row', { hasText: '/token' }).locator('td.cell[data-host="host2"] button');
    await secretRow.click();
    const secretDetail = await page.locator(`#${await secretRow.getAttribute('aria-controls')}`).innerText();
    assert.match(secretDetail, '[secret]');
    assert.not.match(secretDetail, 'keel-test-secret');

    // The filters: host2 only, then only changes, drift and failures.
    await page.selectOption('#f-host', 'host2');
    assert.not.ok(await page.locator('th.host[data-host="host1"]').isVisible(), 'host1 column hidden');
    assert.not.ok(await page.locator('td.cell[data-host="host1"]').first().isVisible(), 'host1 cells hidden');
    assert.ok(await page.locator('th.host[data-host="host2"]').isVisible());
    await page.click('#only-drift');
    const rows: string[] = await page.$$eval('tr.row', (trs: any[]) => trs.filter((tr) => tr.offsetParent !== null).map((tr) => tr.querySelector('th.task').innerText.split(' ')[0]));
    assert.equal(rows.sort(), ['motd', 'writeFile'], 'only host2 drifted rows remain (motd, token)');
    assert.not.ok(await page.locator('tr.row', { hasText: 'app.conf' }).isVisible(), 'app.conf drifted on host1 only: hidden');
    await page.uncheck('#f-status input[value="would change"]');
    assert.is(await page.locator('tr.row:visible').count(), 0, 'no row without a selected status');
    await page.click('#show-all');
    assert.is(await page.locator('tr.row:visible').count(), 3, 'show all brings every task back');

    // The recap and metadata.
    const meta = await page.locator('table.meta').innerText();
    assert.match(meta, 'report <test> & "quotes"');
    assert.match(meta, /exit code\s+4 \(drift/);
    assert.match(await page.locator('table.recap').innerText(), /host2\s+1\s+2\s+0\s+0\s+0\s+0/);

    await page.locator('tr.row', { hasText: 'app.conf' }).locator('td.cell[data-host="host1"] button').click();
    const shot = join(tmpdir(), `keel-html-report-${process.pid}.png`);
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`screenshot: ${shot}`);

    assert.equal([...new Set(requests)], [url], 'the page fetched nothing but itself');
  } finally {
    await browser.close();
  }
});

test.run();
