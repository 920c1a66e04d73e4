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
import { createHash } from 'node:crypto';
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
  return { url, proc, dir };
}

async function api(base, method, path, body) {
  const res = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: { 'X-API-Key': KEY, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, json, headers: res.headers, text };
}

async function until(what, fn, ms = TIMEOUT) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
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

async function signIn(page, base) {
  await page.goto(`${base}/`);
  await page.getByLabel('API key').fill(KEY);
  await page.getByRole('button', { name: 'Continue' }).click();
  // exact: the key prompt's own heading ("ClaudeLens backups") would match a substring search, and
  // signIn would return before the key was accepted and stored (a race a later page.goto loses).
  await page.getByRole('heading', { name: 'Backups', exact: true }).waitFor();
  await page.waitForFunction(() => sessionStorage.getItem('claudelens.apiKey') !== null);
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
