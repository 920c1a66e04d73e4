// End-to-end tests of the web page: the real `claudelens serve` (started here on a free 127.0.0.1
// port, the real transcripts ingested) driven by Debian's chromium through playwright-core.
// Each flow saves screenshots under the output folder and runs axe-core (no serious or critical
// violations). No fixed sleeps: every wait is for a condition, with a deadline.
//
// Usage: node e2e/run.mjs            (from web/; `make build` first)
// Env:   CLAUDELENS_BIN (default ../build/claudelens), CLAUDELENS_WEB_DIR (../build/web),
//        CLAUDELENS_TRANSCRIPTS (../../shared/data/claude-transcripts), CHROMIUM (/usr/bin/chromium),
//        E2E_OUT (../build/test-output/web-e2e), E2E_ONLY (a flow name to run alone)
import { spawn, spawnSync } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const BIN = process.env.CLAUDELENS_BIN ?? join(repo, 'build/claudelens');
const WEB = process.env.CLAUDELENS_WEB_DIR ?? join(repo, 'build/web');
const TRANSCRIPTS = process.env.CLAUDELENS_TRANSCRIPTS ?? resolve(repo, '../shared/data/claude-transcripts');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const OUT = process.env.E2E_OUT ?? join(repo, 'build/test-output/web-e2e');
const AXE = readFileSync(join(here, '../node_modules/axe-core/axe.min.js'), 'utf8');
const KEY = 'e2e-admin-key-0123456789abcdef';
const TIMEOUT = 60_000;

rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
const scratch = mkdtempSync(join(tmpdir(), 'claudelens-e2e-'));
const servers = [];
const results = [];

function log(...a) {
  console.log('[e2e]', ...a);
}
function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
}

/// Starts `claudelens serve` on a free port with its own store; resolves to { url, proc }.
async function startServer(name, { ingest }) {
  const dir = join(scratch, name);
  mkdirSync(dir, { recursive: true });
  const common = ['--db', `sqlite:${join(dir, 'store.db')}`, '--backup-dir', join(dir, 'backups'), '--api-key', KEY];
  if (ingest) {
    const r = spawnSync(BIN, [...common, 'ingest', TRANSCRIPTS], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ingest failed (${r.status}): ${r.stderr}`);
  }
  const proc = spawn(BIN, [...common, '--listen', '127.0.0.1:0', '--log-level', 'warn', 'serve', '--web-dir', WEB], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  servers.push(proc);
  let stderr = '';
  proc.stderr.on('data', (d) => {
    stderr += d;
    writeFileSync(join(OUT, `${name}-server.log`), stderr);
  });
  const url = await new Promise((ok, fail) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`server ${name} did not start: ${stderr}`)), 30_000);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /Serving at (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        ok(m[1]);
      }
    });
    proc.on('exit', (code) => fail(new Error(`server ${name} exited (${code}): ${stderr}`)));
  });
  // The run makes a few hundred requests a minute with one key, the page's and its own together: the
  // general limit (100 a minute, API.md) is lifted through the settings (0 = no limit), so the run
  // does not spend ~40 s waiting out 429s. The limits themselves are tested by the integration tests
  // (ServerRateLimit); the hourly limits stay as they are.
  const lifted = await api(url, 'PUT', '/settings/backup', { rate_limits: { requests_per_minute: 0 } });
  check(lifted.status === 200 && lifted.json?.settings?.rate_limits?.requests_per_minute === 0, `lift the request limit of ${name}: ${lifted.status} ${lifted.text}`);
  return { url, proc, dir };
}

/// One API call as the test's own client. A 429 (an hourly limit, or the request limit before
/// startServer lifts it) is waited out as its Retry-After says, then retried.
async function api(base, method, path, body) {
  let res;
  for (let attempt = 0; ; attempt++) {
    res = await fetch(`${base}/api/v1${path}`, {
      method,
      headers: { 'X-API-Key': KEY, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (res.status !== 429 || attempt === 5) break;
    const wait = Math.min(30, Number(res.headers.get('Retry-After')) || 1);
    log(`429 on ${method} ${path}; waiting ${wait} s`);
    await res.arrayBuffer();
    await new Promise((r) => setTimeout(r, wait * 1000));
  }
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, json, headers: res.headers, text };
}

/// Polls fn until truthy; `every` ms apart (API polls use 1 s: the server allows 100 requests a
/// minute per key, and the page under test needs its share).
async function until(what, fn, ms = TIMEOUT, every = 100) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

let shot = 0;
async function screenshot(page, name) {
  const file = join(OUT, `${String(++shot).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/// axe-core on the current screen: no serious or critical violations.
async function axe(page, screen) {
  await page.addScriptTag({ content: AXE });
  const r = await page.evaluate(async () => {
    const res = await window.axe.run(document, { resultTypes: ['violations'] });
    return res.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5) }));
  });
  writeFileSync(join(OUT, `axe-${screen}.json`), JSON.stringify(r, null, 2));
  const bad = r.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  check(bad.length === 0, `axe on ${screen}: ${JSON.stringify(bad, null, 1)}`);
}

/// A new tab in its own context; its console errors and page errors go to browser.log.
async function newPage(options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  const page = await context.newPage();
  const note = (line) => writeFileSync(join(OUT, 'browser.log'), `${line}\n`, { flag: 'a' });
  page.on('console', (m) => m.type() === 'error' && note(`console: ${m.text()}`));
  page.on('pageerror', (e) => note(`pageerror: ${e.stack ?? e}`));
  page.on('close', () => context.close().catch(() => {}));
  return page;
}

async function signIn(page, base, key = KEY) {
  await page.goto(`${base}/`);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Continue' }).click();
  // exact: the key prompt's own heading ("ClaudeLens backups") would match a substring search, and
  // signIn would return before the key was accepted and stored (a race a later page.goto loses).
  await page.getByRole('heading', { name: 'Backups', exact: true }).waitFor();
  await page.waitForFunction(() => sessionStorage.getItem('claudelens.apiKey') !== null);
}


/// A full backup made through the API, waited for until completed; resolves to its id.
async function backupViaApi(base, name, type = 'full') {
  const r = await api(base, 'POST', '/backups', { name, type });
  check(r.status === 202, `POST /backups ${name}: ${r.status} ${r.text}`);
  await until(`backup ${name} completed`, async () => {
    const j = (await api(base, 'GET', `/backups/jobs/${r.json.job_id}`)).json;
    check(j.status !== 'failed', `backup ${name} failed: ${JSON.stringify(j.error)}`);
    return j.status === 'completed';
  }, TIMEOUT, 1000);
  return r.json.backup_id;
}

/// The focused element shows the 3 px focus ring.
async function checkFocusRing(page, what) {
  const f = await page.evaluate(() => {
    const el = document.activeElement;
    const st = getComputedStyle(el);
    return { tag: el.tagName, label: el.getAttribute('aria-label') ?? el.id ?? el.textContent, outline: st.outlineStyle, width: st.outlineWidth };
  });
  check(f.outline === 'solid' && f.width === '3px', `visible focus on ${what}: ${JSON.stringify(f)}`);
}

/// The current screen at 390 px in the dark theme: no sideways scrolling, axe-clean, a screenshot;
/// then back to 1280 px.
async function phoneDark(page, name) {
  await page.setViewportSize({ width: 390, height: 844 });
  const toDark = page.getByRole('button', { name: /Switch to dark theme/ });
  if (await toDark.count()) await toDark.click();
  await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  check(overflow <= 0, `${name}: no sideways scrolling at 390 px (overflow ${overflow}px)`);
  await axe(page, `${name}-phone-dark`);
  await screenshot(page, `${name}-phone-dark`);
  await page.setViewportSize({ width: 1280, height: 900 });
}

const flows = [];
const flow = (name, fn) => flows.push({ name, fn });

// ---------------------------------------------------------------------------------------------------
let A; // the server with the transcripts
let B; // an empty server (upload target)
let browser;
let backupId;
let downloadedFile;

flow('key-prompt', async () => {
  const page = await newPage();
  await page.goto(`${A.url}/backups/new`); // a client-side route served as index.html
  await page.getByLabel('API key').fill('not-the-key');
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByText('This API key is wrong').waitFor();
  await axe(page, 'key-prompt');
  await screenshot(page, 'key-prompt-wrong-key');
  await page.getByLabel('API key').fill(KEY);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('heading', { name: 'Create a backup' }).waitFor();
  // The key lives in sessionStorage only.
  check((await page.evaluate(() => sessionStorage.getItem('claudelens.apiKey'))) === KEY, 'key in sessionStorage');
  check((await page.evaluate(() => localStorage.getItem('claudelens.apiKey'))) === null, 'key not in localStorage');
  await page.close();
});

flow('create-backup', async () => {
  const page = await newPage();
  await signIn(page, A.url);
  await axe(page, 'backups-empty');
  await page.getByRole('link', { name: 'Create backup' }).click();
  await page.getByRole('heading', { name: 'Create a backup' }).waitFor();
  // the project picker is fed by the API
  const projects = (await api(A.url, 'GET', '/projects?size=100')).json.items;
  check(projects.length > 0, 'projects ingested');
  await page.getByRole('list', { name: 'Projects' }).getByRole('checkbox').first().waitFor();
  check((await page.getByRole('list', { name: 'Projects' }).getByRole('checkbox').count()) === projects.length, 'one checkbox per project');
  // validation messages before anything is sent
  await page.getByLabel('Name', { exact: true }).fill('x!');
  await page.getByLabel(/^Selective/).check();
  await page.getByRole('button', { name: 'Start backup' }).click();
  await page.getByText('The name needs 3 to 100 characters.').waitFor();
  await page.getByText('A selective backup needs at least one filter.').waitFor();
  await axe(page, 'create-backup-invalid');
  await screenshot(page, 'create-backup-validation');
  await page.getByLabel(/^Full/).check();
  await page.getByLabel('Name', { exact: true }).fill('e2e full backup');
  await page.getByRole('region', { name: 'Estimate' }).getByText(/messages/).waitFor();
  // the live progress arrives over the WebSocket, authenticated by the apikey.<KEY> subprotocol
  const frames = [];
  page.on('websocket', (ws) => {
    if (ws.url().includes('/ws/backups/')) ws.on('framereceived', (f) => frames.push(String(f.payload)));
  });
  await page.getByRole('button', { name: 'Start backup' }).click();
  await page.locator('[data-job-status]').waitFor();
  await page.locator('[data-job-status="completed"]').waitFor({ timeout: TIMEOUT });
  await page.getByText('The backup is complete').waitFor();
  await until('a backup event over the WebSocket', () => frames.some((f) => /"type":"backup\.(progress|completed)"/.test(f)));
  log('websocket frames', frames.length, frames.at(-1)?.slice(0, 120));
  await axe(page, 'backup-progress');
  await screenshot(page, 'backup-completed');
  const list = (await api(A.url, 'GET', '/backups')).json;
  const b = list.items.find((x) => x.name === 'e2e full backup');
  check(b && b.status === 'completed', 'the backup is completed in the API');
  check(b.contents.sessions_count > 0, 'the backup holds sessions');
  backupId = b._id;
  await page.close();
});

flow('backups-list-and-download', async () => {
  const page = await newPage({ acceptDownloads: true });
  await signIn(page, A.url);
  const row = page.locator(`tr[data-backup-id="${backupId}"]`);
  await row.waitFor();
  check((await row.getByText('Completed').count()) === 1, 'status badge completed');
  await screenshot(page, 'backups-list');
  await axe(page, 'backups-list');
  // keyboard: the first Tab reaches the skip link, and focus is visible
  await page.keyboard.press('Tab');
  const focus = await page.evaluate(() => {
    const el = document.activeElement;
    const st = getComputedStyle(el);
    return { text: el.textContent, outline: st.outlineStyle, width: st.outlineWidth };
  });
  check(focus.text === 'Skip to content' && focus.outline === 'solid' && focus.width === '3px', `visible focus on Tab: ${JSON.stringify(focus)}`);
  await page.keyboard.press('Tab');
  const second = await page.evaluate(() => [document.activeElement.textContent, getComputedStyle(document.activeElement).outlineStyle]);
  check(second[1] === 'solid', `visible focus on the second Tab stop: ${second}`);
  const [download] = await Promise.all([page.waitForEvent('download'), row.getByRole('link', { name: /Download/ }).click()]);
  downloadedFile = join(OUT, 'downloaded.claudelens');
  await download.saveAs(downloadedFile);
  const sha = createHash('sha256').update(readFileSync(downloadedFile)).digest('hex');
  const res = await fetch(`${A.url}/api/v1/backups/${backupId}/download`, { headers: { 'X-API-Key': KEY, Range: 'bytes=0-0' } });
  const header = res.headers.get('X-Checksum');
  await res.arrayBuffer();
  check(header && header === sha, `downloaded SHA-256 ${sha} equals X-Checksum ${header}`);
  check(/^backup-.*\.claudelens$/.test(download.suggestedFilename()), `file name ${download.suggestedFilename()}`);
  log('download sha256', sha, 'bytes', readFileSync(downloadedFile).length);
  // details page
  await row.getByRole('link', { name: 'e2e full backup', exact: true }).click();
  await page.getByRole('heading', { name: 'Contents' }).waitFor();
  check((await page.getByTestId('checksum').textContent()) === sha, 'details show the checksum');
  await axe(page, 'backup-details');
  await screenshot(page, 'backup-details');
  // filters and search narrow the list
  await page.goto(`${A.url}/?type=incremental`);
  await page.getByText('No backups match').waitFor();
  await page.goto(`${A.url}/?search=${encodeURIComponent('e2e full')}`);
  await row.waitFor();
  // phone width and dark theme
  await page.setViewportSize({ width: 390, height: 844 });
  await page.getByRole('button', { name: /Switch to dark theme/ }).click();
  await row.waitFor();
  await axe(page, 'backups-phone-dark');
  await screenshot(page, 'backups-phone-dark');
  await page.close();
});

flow('verify-and-summary', async () => {
  const page = await newPage({ acceptDownloads: true });
  await signIn(page, A.url);
  const meta = (await api(A.url, 'GET', `/backups/${backupId}`)).json;
  // the summary's last success is the newest completed backup over all (its own query), and the
  // storage card is of settings.storage.filesystem
  const cards = page.getByRole('region', { name: 'Summary' });
  await cards.getByText('e2e full backup').waitFor();
  const settings = (await api(A.url, 'GET', '/settings/backup')).json;
  check(settings.storage.filesystem.current_usage_gb > 0, `current_usage_gb ${settings.storage.filesystem.current_usage_gb}`);
  await cards.getByText(/no quota set|% of the/).waitFor();
  // Verify: the file is downloaded and hashed in the browser, its SHA-256 compared with the record
  const row = page.locator(`tr[data-backup-id="${backupId}"]`);
  await row.getByRole('button', { name: 'Verify e2e full backup' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.locator('[data-verify="intact"]').waitFor({ timeout: TIMEOUT });
  check((await dialog.getByTestId('verify-sha').textContent()) === meta.checksum, 'verify hashed the file to the recorded checksum');
  await dialog.getByText(/The archive opens: \d+ projects/).waitFor();
  await axe(page, 'verify');
  await screenshot(page, 'verify-intact');
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
  await page.close();
});

flow('restore-dry-run', async () => {
  const page = await newPage();
  await signIn(page, A.url);
  await page.goto(`${A.url}/backups/${backupId}/restore`);
  await page.getByRole('tree', { name: 'Backup contents' }).waitFor();
  await page.getByRole('group', { name: '1. Mode' }).getByLabel(/^Merge/).check();
  await page.getByRole('button', { name: 'Dry run' }).click();
  await page.locator('[data-dry-run="completed"]').waitFor({ timeout: TIMEOUT });
  await page.locator('[data-collection="messages"]').waitFor();
  const restored = await page.locator('[data-collection="messages"] td').first().textContent();
  check(restored === '0', `a merge of what exists adds no message (got ${restored})`);
  await axe(page, 'restore-dry-run');
  await screenshot(page, 'restore-dry-run');
  await page.setViewportSize({ width: 390, height: 844 });
  await page.getByRole('group', { name: '1. Mode' }).getByLabel(/^Selective/).check();
  await page.getByRole('tree', { name: 'Backup contents' }).waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  check(overflow <= 0, `no sideways scrolling at 390 px (overflow ${overflow}px)`);
  await axe(page, 'restore-wizard-phone');
  await screenshot(page, 'restore-wizard-phone');
  await page.close();
});

flow('upload-and-selective-restore', async () => {
  const page = await newPage();
  await signIn(page, B.url);
  check((await api(B.url, 'GET', '/projects')).json.pagination.total_items === 0, 'B starts empty');
  await page.getByRole('link', { name: 'Upload a backup' }).click();
  await page.getByLabel('Backup file').setInputFiles(downloadedFile);
  await page.getByTestId('picked-file').waitFor();
  await page.getByRole('button', { name: 'Upload and check' }).click();
  await page.getByText('A valid backup').waitFor({ timeout: TIMEOUT });
  await axe(page, 'upload-validated');
  await screenshot(page, 'upload-validated');
  await page.getByRole('link', { name: 'Restore it…' }).click();
  const tree = page.getByRole('tree', { name: 'Backup contents' });
  await tree.waitFor();
  // pick exactly one project: none, then that project's checkbox
  const preview = await until('preview', async () => {
    const r = await api(B.url, 'GET', `/restore/preview/${page.url().split('/').at(-2)}?detailed=true`);
    return r.status === 200 && r.json;
  });
  const target = [...preview.contents.projects].sort((x, y) => (x.sessions?.length ?? 0) - (y.sessions?.length ?? 0)).find((p) => (p.sessions?.length ?? 0) >= 2)
    ?? preview.contents.projects[0];
  await page.getByRole('button', { name: 'Select none' }).click();
  await page.getByLabel('Search projects and sessions').fill(target.name);
  const box = page.getByLabel(`Project ${target.name}`, { exact: true });
  await box.check();
  // tri-state: unticking one session makes the project mixed
  const sessions = target.sessions ?? [];
  if (sessions.length >= 2) {
    const first = sessions[0];
    await page.getByLabel(`Session ${first.summary || first._id}`, { exact: true }).first().uncheck();
    check((await box.getAttribute('aria-checked')) === 'mixed', 'the project is mixed after unticking one session');
    await screenshot(page, 'restore-tree-mixed');
  }
  await axe(page, 'restore-wizard');
  await page.getByRole('button', { name: 'Restore…' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Restore' }).click();
  await page.locator('[data-job-status="completed"]').waitFor({ timeout: TIMEOUT });
  await page.getByTestId('restore-report').waitFor();
  await axe(page, 'restore-report');
  await screenshot(page, 'restore-report');
  const expected = sessions.length >= 2 ? sessions.length - 1 : sessions.length;
  const got = await until('restored sessions', async () => {
    const ps = (await api(B.url, 'GET', '/projects?size=100')).json.items;
    return ps.length ? ps : null;
  });
  check(got.length === 1, `one project restored (got ${got.length})`);
  check(got[0].sessions_count === expected, `${expected} sessions restored (got ${got[0].sessions_count})`);
  // the restore is in the history, and opening it shows its report again
  await page.getByRole('link', { name: 'Restores' }).click();
  await page.getByRole('cell', { name: 'selective' }).waitFor();
  await axe(page, 'restores');
  await screenshot(page, 'restores');
  await page.getByRole('link', { name: /^Open restore/ }).first().click();
  await page.getByTestId('restore-report').waitFor();
  await page.close();
});

flow('schedules', async () => {
  const page = await newPage();
  await signIn(page, A.url);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Schedules' }).click();
  await page.getByRole('heading', { name: 'Schedules', exact: true }).waitFor();
  await page.getByText('No schedules yet.').waitFor();
  // the scheduler switch flips scheduling.enabled, or the server refuses in words
  const wasOn = (await api(A.url, 'GET', '/settings/backup')).json.scheduling.enabled;
  await page.getByRole('button', { name: wasOn ? 'Turn the scheduler off' : 'Turn the scheduler on' }).click();
  await page.getByText(/The scheduler is (on|off)\.|The server refused the change/).first().waitFor();
  const schedulerOn = (await api(A.url, 'GET', '/settings/backup')).json.scheduling.enabled;
  if (schedulerOn === wasOn) await page.getByRole('alert').getByText(/this server does not support it yet/).waitFor();
  else await page.getByTestId('scheduler-state').getByText(schedulerOn ? /^On:/ : /^Off:/).waitFor();
  log('scheduler:', wasOn, '→', schedulerOn);
  await axe(page, 'schedules-empty');
  await screenshot(page, 'schedules-empty');

  // add: the cron's description and next runs come from the server as you type
  await page.getByRole('link', { name: 'Add schedule' }).click();
  await page.getByRole('heading', { name: 'Add a schedule', exact: true }).waitFor();
  await page.getByLabel('Name', { exact: true }).fill('e2e weekdays');
  const cron = page.getByLabel('Cron expression');
  await page.keyboard.press('Tab');
  await checkFocusRing(page, 'the cron field (Tab from the name)');
  await cron.fill('61 * * * *');
  await page.getByText("The server says this is not valid: minute field '61': 61 is outside 0-59").waitFor();
  await cron.fill('');
  await cron.pressSequentially('0 3 * * 1-5', { delay: 20 });
  const expected = (await api(A.url, 'GET', `/schedules/next?cron=${encodeURIComponent('0 3 * * 1-5')}`)).json;
  const preview = page.getByTestId('s-cron-preview');
  await preview.getByText(`Runs ${expected.description}`).waitFor();
  const shown = await preview.locator('time').evaluateAll((ts) => ts.map((t) => t.getAttribute('datetime')));
  check(JSON.stringify(shown) === JSON.stringify(expected.runs), `next runs ${shown} are the server's ${expected.runs}`);
  await axe(page, 'schedule-form');
  await screenshot(page, 'schedule-form');
  await phoneDark(page, 'schedule-form');
  // save as active: a server that does not run schedules yet refuses in words; then save it paused
  check(await page.getByLabel(/^Active/).isChecked(), 'a new schedule is active by default');
  await page.getByRole('button', { name: 'Add schedule' }).click();
  const saved = page.getByRole('heading', { name: 'Schedules', exact: true });
  const refused = page.getByText('The server refused to save it');
  await saved.or(refused).waitFor();
  if (await refused.isVisible()) {
    await page.getByRole('alert').getByText(/enabled/).first().waitFor();
    log('the server refused an active schedule:', await page.getByRole('alert').first().innerText());
    await screenshot(page, 'schedule-refused');
    await page.getByLabel(/^Active/).uncheck();
    await page.getByRole('button', { name: 'Add schedule' }).click();
    await saved.waitFor();
  }
  await page.getByText('Saved “e2e weekdays”.').waitFor();
  let stored = (await api(A.url, 'GET', '/settings/backup')).json.scheduling.schedules;
  check(stored.length === 1 && stored[0].name === 'e2e weekdays' && stored[0].schedule === '0 3 * * 1-5' && stored[0]._id, `stored ${JSON.stringify(stored)}`);
  const row = page.locator(`tr[data-schedule-id="${stored[0]._id}"]`);
  await row.getByText(expected.description, { exact: true }).waitFor();
  await row.getByTestId('next-runs').waitFor();
  await axe(page, 'schedules-list');
  await screenshot(page, 'schedules-list');

  // edit: another cron, its description from the server
  await row.getByRole('link', { name: 'Edit e2e weekdays' }).click();
  await page.getByRole('heading', { name: 'Edit “e2e weekdays”', exact: true }).waitFor();
  const edited = (await api(A.url, 'GET', `/schedules/next?cron=${encodeURIComponent('30 2 * * *')}`)).json;
  await page.getByLabel('Cron expression').fill('30 2 * * *');
  await page.getByTestId('s-cron-preview').getByText(`Runs ${edited.description}`).waitFor();
  await page.getByRole('button', { name: 'Save changes' }).click();
  await saved.waitFor();
  await row.getByText(edited.description, { exact: true }).waitFor();
  const listed = (await api(A.url, 'GET', `/schedules/next?cron=${encodeURIComponent('30 2 * * *')}&count=3`)).json.runs;
  const rowRuns = await row.getByTestId('next-runs').locator('time').evaluateAll((ts) => ts.map((t) => t.getAttribute('datetime')));
  check(JSON.stringify(rowRuns) === JSON.stringify(listed), `the list's next runs ${rowRuns} are the server's ${listed}`);
  stored = (await api(A.url, 'GET', '/settings/backup')).json.scheduling.schedules;
  check(stored.length === 1 && stored[0].schedule === '30 2 * * *', `edited ${JSON.stringify(stored)}`);

  // pause / resume flips `enabled`, or the server's refusal is shown in words
  const was = stored[0].enabled;
  await row.getByRole('button', { name: `${was ? 'Pause' : 'Resume'} e2e weekdays` }).click();
  await page.getByText(/is paused\.|is active again\.|The server refused the change/).first().waitFor();
  const now = (await api(A.url, 'GET', '/settings/backup')).json.scheduling.schedules[0].enabled;
  if (now === was) await page.getByRole('alert').getByText(/enabled/).first().waitFor();
  log('pause/resume: enabled', was, '→', now);
  await phoneDark(page, 'schedules-list');

  // delete, with a confirmation
  await row.getByRole('button', { name: 'Delete e2e weekdays' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete schedule' }).click();
  await page.getByText('Deleted the schedule “e2e weekdays”.').waitFor();
  check((await api(A.url, 'GET', '/settings/backup')).json.scheduling.schedules.length === 0, 'the schedule is deleted');
  await page.close();
  check((await api(A.url, 'PUT', '/settings/backup', { scheduling: { enabled: wasOn } })).status === 200, 'the scheduler as it was');
});

flow('notifications', async () => {
  const page = await newPage();
  await signIn(page, A.url);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Notifications' }).click();
  await page.getByRole('heading', { name: 'Notifications', exact: true }).waitFor();
  await page.getByLabel('Recipients (one per line)').fill('ops@example.com\nnot-an-address');
  await page.getByRole('button', { name: 'Save notifications' }).click();
  await page.getByText('Not an email address: not-an-address.').waitFor();
  await page.getByLabel('Recipients (one per line)').fill('ops@example.com');
  await page.getByLabel('Webhook URL').fill('http://127.0.0.1:9/claudelens');
  await page.getByLabel('Signing secret (HMAC-SHA256)').fill('e2e-secret-value');
  await page.getByLabel(/a backup failed/).check();
  await page.getByRole('button', { name: 'Save notifications' }).click();
  await page.getByText(/^Saved the notification settings/).waitFor();
  // write-only: the server shows "***", the field stays empty and says a secret is stored
  let n = (await api(A.url, 'GET', '/settings/backup')).json.notifications;
  check(n.webhook_secret === '***' && n.webhook_url === 'http://127.0.0.1:9/claudelens' && n.email_recipients[0] === 'ops@example.com', `stored ${JSON.stringify(n)}`);
  check((await page.getByLabel('Signing secret (HMAC-SHA256)').inputValue()) === '', 'the secret field is empty');
  await page.getByTestId('secret-state').getByText(/A secret is stored/).waitFor();
  check(!(await page.content()).includes('e2e-secret-value'), 'the secret is nowhere on the page');
  // saving again without typing a secret keeps it
  await page.getByLabel(/a restore failed/).check();
  await page.getByRole('button', { name: 'Save notifications' }).click();
  await page.getByText(/notifications\.notify_on/).waitFor();
  n = (await api(A.url, 'GET', '/settings/backup')).json.notifications;
  check(n.webhook_secret === '***' && n.notify_on.length === 2, `secret kept: ${JSON.stringify(n)}`);
  // turning sending on: saved, or the server's refusal in words
  await page.getByLabel(/^Send notifications/).check();
  await page.getByRole('button', { name: 'Save notifications' }).click();
  await page.getByText(/notifications\.enabled|The server refused to save it/).first().waitFor();
  log('notifications enabled:', (await api(A.url, 'GET', '/settings/backup')).json.notifications.enabled);
  await axe(page, 'notifications');
  await screenshot(page, 'notifications');
  await phoneDark(page, 'notifications');
  await page.close();
  // later flows run without notifications (a server that sends them would try the webhook)
  check((await api(A.url, 'PUT', '/settings/backup', { notifications: { enabled: false } })).status === 200, 'notifications off again');
});

flow('delete-backup', async () => {
  const page = await newPage();
  await signIn(page, A.url);
  const row = page.locator(`tr[data-backup-id="${backupId}"]`);
  await row.getByRole('button', { name: /Delete/ }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByText('This cannot be undone').waitFor();
  await axe(page, 'delete-confirm');
  await screenshot(page, 'delete-confirm');
  await dialog.getByRole('button', { name: 'Delete backup' }).click();
  await page.getByText(/^Deleted “e2e full backup”/).waitFor();
  await row.waitFor({ state: 'detached' });
  check((await api(A.url, 'GET', `/backups/${backupId}`)).status === 404, 'the backup is gone');
  await page.goto(`${A.url}/statistics`);
  await page.getByRole('heading', { name: 'Timeline' }).waitFor();
  await axe(page, 'statistics');
  await screenshot(page, 'statistics');
  await page.close();
});

flow('delete-with-dependents', async () => {
  // An incremental backup on a full one: deleting the full one names it (BACKUP_HAS_DEPENDENTS).
  const base = await backupViaApi(A.url, 'e2e chain base');
  const r = await api(A.url, 'POST', '/backups', { name: 'e2e chain incr', type: 'incremental', options: { parent_backup_id: base } });
  if (r.status !== 202) {
    // The server of this commit has no incremental backups; the dialog's handling of the 409 is
    // covered by the component test (src/settings.test.tsx) until it has.
    log('NOT RUN: delete-with-dependents — the server refuses incremental backups:', r.json?.validation_errors?.[0]?.message ?? r.text);
    await api(A.url, 'DELETE', `/backups/${base}`);
    return;
  }
  await until('incremental completed', async () => (await api(A.url, 'GET', `/backups/jobs/${r.json.job_id}`)).json.status === 'completed', TIMEOUT, 1000);
  const page = await newPage();
  await signIn(page, A.url);
  await page.locator(`tr[data-backup-id="${base}"]`).getByRole('button', { name: 'Delete e2e chain base' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByTestId('dependents').getByText('e2e chain incr').waitFor();
  await dialog.getByRole('button', { name: 'Delete backup' }).click();
  await dialog.getByText('The server refused: other backups depend on this one').waitFor();
  await axe(page, 'delete-dependents');
  await screenshot(page, 'delete-dependents');
  await dialog.getByRole('button', { name: 'Delete it anyway' }).click();
  await page.getByText(/^Deleted “e2e chain base”.*(Deleted with it|Left without their parent).*e2e chain incr/).waitFor();
  check((await api(A.url, 'GET', `/backups/${base}`)).status === 404, 'the base is gone');
  const incr = await api(A.url, 'GET', `/backups/${r.json.backup_id}`);
  if (incr.status === 200) await api(A.url, 'DELETE', `/backups/${r.json.backup_id}?force=true`);
  await page.close();
});

flow('retention', async () => {
  // three backups made in this flow; "keep the newest 1" deletes the two older ones
  const before = (await api(A.url, 'GET', '/backups?size=100&status=completed')).json.items.map((b) => b._id);
  const ids = [];
  for (const name of ['e2e retention 1', 'e2e retention 2', 'e2e retention 3']) ids.push(await backupViaApi(A.url, name));
  const page = await newPage();
  await signIn(page, A.url);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Retention' }).click();
  await page.getByRole('heading', { name: 'Retention', exact: true }).waitFor();
  const plan = page.getByRole('region', { name: 'What would be deleted now' });
  await plan.locator('[data-plan="keep"]').first().waitFor();
  await page.getByLabel('Keep the newest … backups').fill('1');
  await page.locator('section[data-plan-state="ready"]').waitFor();
  const q = '?max_backups=1&max_age_days=0&max_total_size_gb=0&keep_daily=0&keep_weekly=0&keep_monthly=0';
  const expected = (await api(A.url, 'GET', `/backups/retention/plan${q}`)).json;
  await until('the plan for max_backups=1', async () => (await plan.locator('[data-plan="delete"]').count()) === expected.delete.length);
  const shownDelete = await plan.locator('[data-plan="delete"]').evaluateAll((els) => els.map((e) => e.dataset.backupId).sort());
  const shownKeep = await plan.locator('[data-plan="keep"]').evaluateAll((els) => els.map((e) => e.dataset.backupId));
  check(JSON.stringify(shownDelete) === JSON.stringify(expected.delete.map((d) => d._id).sort()), `delete ${shownDelete} = server's plan`);
  check(shownKeep.length === 1 && shownKeep[0] === ids[2], `keeps only the newest (${shownKeep})`);
  check(ids.slice(0, 2).every((id) => shownDelete.includes(id)), 'the two older backups of this flow would be deleted');
  check(before.every((id) => shownDelete.includes(id)), 'earlier backups would be deleted too');
  await plan.locator(`[data-backup-id="${ids[2]}"]`).getByText('the newest completed backup').waitFor();
  await plan.locator(`[data-backup-id="${ids[2]}"]`).getByText('one of the newest 1').waitFor();
  await axe(page, 'retention');
  await screenshot(page, 'retention-plan');
  // an invalid rule is named
  await page.getByLabel('Keep backups younger than … days').fill('-2');
  await page.getByText('A whole number from 1 to 36,500, or empty for off.').waitFor();
  await page.getByLabel('Keep backups younger than … days').fill('');
  // saving the rules stores them (retention itself stays off: the server may not run it yet)
  await page.getByRole('button', { name: 'Save rules' }).click();
  await page.getByText(/^Saved the retention rules/).waitFor();
  check((await api(A.url, 'GET', '/settings/backup')).json.retention.max_backups === 1, 'max_backups stored');
  await phoneDark(page, 'retention');
  // apply, after a confirmation naming what goes
  await page.getByRole('button', { name: `Delete ${expected.delete.length} now…` }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByText('e2e retention 1').waitFor();
  await dialog.getByRole('button', { name: 'Delete them' }).click();
  await page.getByText(`Deleted ${expected.delete.length} backup${expected.delete.length === 1 ? '' : 's'}`).waitFor();
  for (const id of expected.delete.map((d) => d._id)) check((await api(A.url, 'GET', `/backups/${id}`)).status === 404, `${id} deleted`);
  check((await api(A.url, 'GET', `/backups/${ids[2]}`)).status === 200, 'the newest is kept');
  await plan.getByText('Nothing: every backup is kept.').waitFor();
  // retention on (after the apply: a server that runs it could delete on its own): saved, or the
  // server's refusal in words
  await page.getByLabel(/^Retention on/).check();
  await page.getByRole('button', { name: 'Save rules' }).click();
  await page.getByText(/retention\.enabled|The server refused to save the rules/).first().waitFor();
  const on = (await api(A.url, 'GET', '/settings/backup')).json.retention.enabled;
  if (!on) await page.getByRole('alert').getByText(/this server does not support it yet/).waitFor();
  log('retention enabled:', on);
  await page.getByLabel(/^Retention on/).uncheck();
  if (on) check((await api(A.url, 'PUT', '/settings/backup', { retention: { enabled: false } })).status === 200, 'retention off again');
  await page.close();
});

/// A loopback webhook receiver for the notification test: records each request (headers, body) and
/// answers 204 — after `hold` resolves, when one is set (so the page can be seen busy meanwhile).
async function startReceiver() {
  const seen = [];
  const r = { seen, hold: null };
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c) => { body += c; });
    req.on('end', async () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body });
      if (r.hold) await r.hold;
      res.writeHead(204).end();
    });
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  r.url = `http://127.0.0.1:${server.address().port}/e2e-hook`;
  r.close = () => new Promise((ok) => server.close(ok));
  return r;
}

/// A 127.0.0.1 port that nothing listens on (free a moment ago).
async function closedPort() {
  const s = createServer();
  await new Promise((ok) => s.listen(0, '127.0.0.1', ok));
  const port = s.address().port;
  await new Promise((ok) => s.close(ok));
  return port;
}

flow('notifications-test', async () => {
  const receiver = await startReceiver();
  try {
    const before = (await api(A.url, 'GET', '/settings/backup')).json.notifications;
    // An admin key of its own: rate limits are per key, and this flow must not use up the budget of
    // the key the other flows share (their writes are not retried).
    const made = await api(A.url, 'POST', '/keys', { name: 'e2e notifications test', role: 'admin' });
    check(made.status === 201, `POST /keys: ${made.status} ${made.text}`);
    const page = await newPage();
    await signIn(page, A.url, made.json.key);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Notifications' }).click();
    await page.getByRole('heading', { name: 'Notifications', exact: true }).waitFor();
    // Not saved: the test uses the form as it is.
    await page.getByLabel('Webhook URL').fill(receiver.url);
    await page.getByLabel('Signing secret (HMAC-SHA256)').fill('e2e-test-secret');
    let release;
    receiver.hold = new Promise((ok) => { release = ok; });
    // With the keyboard: Tab from the secret field to the button (a visible focus ring), press Enter.
    await page.getByLabel('Signing secret (HMAC-SHA256)').focus();
    for (let i = 0; i < 20 && (await page.evaluate(() => document.activeElement?.textContent)) !== 'Send test'; i++)
      await page.keyboard.press('Tab');
    check((await page.evaluate(() => document.activeElement?.textContent)) === 'Send test', 'Tab reaches Send test');
    await checkFocusRing(page, 'Send test');
    await page.keyboard.press('Enter');
    const busy = page.getByRole('button', { name: 'Sending test…' });
    await busy.waitFor();
    check(await busy.isDisabled(), 'Send test is disabled while sending');
    await until('the receiver got the test', () => receiver.seen.length === 1);
    await screenshot(page, 'notifications-test-sending');
    release();
    const results = page.getByTestId('test-results');
    await results.getByText('The test notification was delivered.').waitFor();
    await results.getByText(/Webhook: delivered — the receiver answered HTTP 204/).waitFor();
    check(await page.getByRole('button', { name: 'Send test' }).isEnabled(), 'Send test is enabled again');
    await until('the focus is back on Send test', () => page.evaluate(() => document.activeElement?.textContent === 'Send test'), 5000);
    // The receiver got one signed `test` event (the HMAC computed here, independently).
    const got = receiver.seen[0];
    check(got.method === 'POST' && got.url === '/e2e-hook', `request line ${got.method} ${got.url}`);
    check(got.headers['x-claudelens-event'] === 'test', `event header ${got.headers['x-claudelens-event']}`);
    const hmac = createHmac('sha256', 'e2e-test-secret').update(got.body).digest('hex');
    check(got.headers['x-claudelens-signature'] === `sha256=${hmac}`, `signature ${got.headers['x-claudelens-signature']} vs sha256=${hmac}`);
    const event = JSON.parse(got.body);
    check(event.type === 'test' && typeof event.timestamp === 'string', `body ${got.body}`);
    check(!(await results.textContent()).includes('e2e-test-secret'), 'the result does not show the secret');
    // Nothing was saved by the test.
    const after = (await api(A.url, 'GET', '/settings/backup')).json.notifications;
    check(after.webhook_url === before.webhook_url && after.webhook_secret === before.webhook_secret, `not stored: ${JSON.stringify(after)}`);
    await axe(page, 'notifications-test');
    await screenshot(page, 'notifications-test-delivered');
    // An unreachable receiver: the result says so, in words.
    const down = `http://127.0.0.1:${await closedPort()}/nobody`;
    await page.getByLabel('Webhook URL').fill(down);
    await page.getByRole('button', { name: 'Send test' }).click();
    await results.getByText('The test notification was not delivered.').waitFor();
    await results.getByText(new RegExp(`Webhook: not delivered — webhook ${down.replace(/[.]/g, '\\.')}`)).waitFor();
    check(receiver.seen.length === 1, 'nothing more reached the receiver');
    await axe(page, 'notifications-test-failed');
    await screenshot(page, 'notifications-test-failed');
    await phoneDark(page, 'notifications-test');
    await page.close();
  } finally {
    await receiver.close();
  }
});

// ---------------------------------------------------------------------------------------------------
let failed = 0;
try {
  A = await startServer('with-transcripts', { ingest: true });
  B = await startServer('empty', { ingest: false });
  log('servers', A.url, B.url);
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  for (const f of flows) {
    if (process.env.E2E_ONLY && process.env.E2E_ONLY !== f.name) continue;
    const t0 = Date.now();
    try {
      await f.fn();
      results.push({ flow: f.name, ok: true, ms: Date.now() - t0 });
      log('ok  ', f.name, `${Date.now() - t0} ms`);
    } catch (e) {
      failed++;
      results.push({ flow: f.name, ok: false, error: String(e?.stack ?? e) });
      log('FAIL', f.name, e?.stack ?? e);
      for (const ctx of browser.contexts()) for (const p of ctx.pages()) await p.screenshot({ path: join(OUT, `FAILED-${f.name}.png`), fullPage: true }).catch(() => {});
      // later flows depend on earlier ones
      break;
    }
  }
} catch (e) {
  failed++;
  log('FAIL setup', e?.stack ?? e);
} finally {
  await browser?.close().catch(() => {});
  for (const p of servers) p.kill('SIGTERM');
  rmSync(scratch, { recursive: true, force: true });
  writeFileSync(join(OUT, 'results.json'), JSON.stringify(results, null, 2));
}
log(failed ? `${failed} flow(s) failed; screenshots in ${OUT}` : `all ${results.length} flows passed; screenshots in ${OUT}`);
process.exit(failed ? 1 : 0);
