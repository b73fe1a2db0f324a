/**
 * The playground in a real browser: Debian's Chromium, headless, driven by
 * playwright-core, against a production-mode facade on the simulator. An analyst opens
 * the page, is asked for a key (a wrong one is refused and nothing loads), enters the
 * admin key, picks "Alarms by priority", runs it and reads the answer; then starts the
 * live alarm page, an alarm arrives at the simulator, and the page shows it. Every
 * request the browser made went to the facade's own origin.
 *
 * Screenshots go to `test-output/playground/` (git-ignored). Browser waits are
 * deadline-bound polls of the page's state (Playwright's `waitFor*`), never sleeps; the
 * facade polls live pages every 200 ms so the change arrives within one.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { PACKAGE_ROOT } from '../../src/config/package.root.js';
import { injectAlarms } from '../live/live.fixture.js';
import { startTestFacade, type TestFacade } from '../support/facade.fixture.js';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
/** Root in a container and a network that reaches nothing outside need these (see the developers' guide). */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const OUTPUT = path.join(PACKAGE_ROOT, 'test-output', 'playground');
const WAIT_MS = 20_000;

interface AlarmPageResult {
  totalCount: number;
  edges: Array<{ node: { id: string; priorityLabel: string | null; status: string | null; occurredAt: string } }>;
}

/**
 * The page's globals as these tests use them: this project's TypeScript has no DOM types.
 * Functions run in the page are serialized, so each casts `globalThis` itself. CodeMirror
 * 5 renders only the lines in view; its instance, on the editor's element, holds them all.
 */
interface PageGlobals {
  document: { querySelector(selector: string): { CodeMirror?: { getValue(): string } } | null };
  sessionStorage: { getItem(key: string): string | null };
  localStorage: object;
}

const responseText = (page: Page) =>
  page.evaluate(() => (globalThis as unknown as PageGlobals).document.querySelector('.result-window .CodeMirror')?.CodeMirror?.getValue() ?? '');
const storedKey = (page: Page) =>
  page.evaluate(() => (globalThis as unknown as PageGlobals).sessionStorage.getItem('usm-facade:api-key'));
const localStorageText = (page: Page) => page.evaluate(() => JSON.stringify({ ...(globalThis as unknown as PageGlobals).localStorage }));

/** Waits until the response pane holds JSON for which `accept` holds, and returns it. */
async function responseWhere<T>(page: Page, accept: (body: { data?: Record<string, unknown>; errors?: unknown[] }) => T | undefined): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  let last = '';
  for (;;) {
    last = await responseText(page);
    try {
      const found = accept(JSON.parse(last) as { data?: Record<string, unknown> });
      if (found !== undefined) return found;
    } catch {
      // Empty or half-written: read it again once the page has changed.
    }
    if (Date.now() > deadline) throw new Error(`the response pane never held the expected answer; last: ${last.slice(0, 500)}`);
    await page
      .waitForFunction(
        (previous) =>
          ((globalThis as unknown as PageGlobals).document.querySelector('.result-window .CodeMirror')?.CodeMirror?.getValue() ?? '') !== previous,
        last,
        { timeout: Math.max(1, deadline - Date.now()) },
      )
      .catch(() => undefined);
  }
}

describe('the playground in Chromium', () => {
  let facade: TestFacade;
  let browser: Browser;
  let page: Page;
  const requested: string[] = [];
  const consoleErrors: string[] = [];
  let origin: string;

  before(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`no Chromium at ${CHROMIUM}: install Debian's package (apt-get install chromium) or set CHROMIUM_PATH`);
    }
    mkdirSync(OUTPUT, { recursive: true });
    facade = await startTestFacade({ NODE_ENV: 'production', LIVE_POLL_INTERVAL_MS: '200', CACHE_PAGE_TTL_MS: '0' });
    origin = new URL(facade.url).origin;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    context.on('request', (request) => requested.push(request.url()));
    page = await context.newPage();
    page.on('websocket', (socket) => requested.push(socket.url()));
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(error.message));
  });
  after(async () => {
    await browser?.close();
    await facade?.stop();
  });

  it('asks for a key before it loads anything, and refuses a wrong one', async () => {
    await page.goto(facade.url);
    await page.getByRole('heading', { name: 'Enter a facade API key to explore the schema' }).waitFor({ timeout: WAIT_MS });
    assert.equal(await page.locator('.graphiql-container').count(), 0, 'GraphiQL waits for a key');

    await page.getByLabel('Facade API key').fill('usmf_not-a-real-key');
    await page.getByRole('button', { name: 'Use key' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor({ timeout: WAIT_MS });
    assert.match(await alert.innerText(), /^The facade refused this key: /);
    assert.equal(await page.locator('.graphiql-container').count(), 0);
    assert.equal(await storedKey(page), null, 'a refused key is not kept');
    await page.screenshot({ path: path.join(OUTPUT, '1-key-refused.png') });
  });

  it('keeps an accepted key in session storage only, and loads the schema with it', async () => {
    await page.getByLabel('Facade API key').fill(facade.adminKey);
    await page.getByRole('button', { name: 'Use key' }).click();
    await page.locator('.graphiql-container').waitFor({ timeout: WAIT_MS });
    assert.match(await page.getByTestId('viewer').innerText(), /alarms:read/);
    assert.equal(await storedKey(page), facade.adminKey);
    const local = await localStorageText(page);
    assert.ok(!local.includes(facade.adminKey), 'the key is not in local storage');
    // The schema arrived (production: it needs schema:read, which the admin key has).
    await page.locator('.graphiql-doc-explorer-title, .graphiql-sidebar button[aria-label="Show Documentation Explorer"]').first().waitFor({ timeout: WAIT_MS });
  });

  it('runs "Alarms by priority" picked from the examples and shows its answer', async () => {
    await page.getByRole('button', { name: /^Alarms by priority/ }).click();
    await page.locator('.graphiql-execute-button').click();
    const alarms = await responseWhere(page, (body) => body.data?.['alarms'] as AlarmPageResult | undefined);
    assert.ok(alarms.edges.length > 0, 'the simulator has high alarms');
    assert.ok(alarms.edges.every((edge) => edge.node.priorityLabel === 'HIGH'), 'only HIGH, the default');

    const expected = await facade.gql<{ alarms: AlarmPageResult }>(
      '{ alarms(first: 20, filter: { priority: [HIGH] }) { totalCount edges { node { id } } } }',
    );
    assert.deepEqual(alarms.edges.map((edge) => edge.node.id), expected.body.data!.alarms.edges.map((edge) => edge.node.id));
    assert.equal(alarms.totalCount, expected.body.data!.alarms.totalCount);
    await page.screenshot({ path: path.join(OUTPUT, '2-alarms-by-priority.png') });
  });

  it('follows the live alarm page: an alarm injected at the simulator appears on it', async () => {
    await page.getByRole('button', { name: /^Live alarm page/ }).click();
    await page.locator('.graphiql-execute-button').click();
    const before = await responseWhere(page, (body) => body.data?.['alarmPage'] as AlarmPageResult | undefined);
    assert.equal(before.edges.length, 10);

    const [created] = await injectAlarms(facade.simulatorUrl, 'acme-east', [{ priority_label: 'high' }]);
    const newest = await facade.gql<{ alarms: { edges: Array<{ node: { id: string; uuid: string } }> } }>(
      '{ alarms(first: 1) { edges { node { id uuid } } } }',
    );
    const injected = newest.body.data!.alarms.edges[0]!.node;
    assert.equal(injected.uuid, created!.uuid, 'the injected alarm is the newest');

    const after = await responseWhere(page, (body) => {
      const alarmPage = body.data?.['alarmPage'] as AlarmPageResult | undefined;
      return alarmPage !== undefined && alarmPage.totalCount > before.totalCount ? alarmPage : undefined;
    });
    assert.equal(after.totalCount, before.totalCount + 1);
    assert.equal(after.edges[0]!.node.id, injected.id);
    assert.deepEqual(after.edges.slice(1).map((e) => e.node.id), before.edges.slice(0, 9).map((e) => e.node.id));
    await page.screenshot({ path: path.join(OUTPUT, '3-live-alarm-page.png') });
    await page.locator('.graphiql-execute-button').click(); // stops the subscription
  });

  it('forgets the key on request', async () => {
    await page.getByRole('button', { name: 'Forget key' }).click();
    await page.getByRole('heading', { name: 'Enter a facade API key to explore the schema' }).waitFor({ timeout: WAIT_MS });
    assert.equal(await storedKey(page), null);
  });

  it('sent every request to the facade, its WebSocket included, and broke no rule of its page', () => {
    const network = requested.filter((url) => !url.startsWith('data:'));
    const elsewhere = network.filter((url) => new URL(url).origin !== origin && new URL(url.replace(/^ws/, 'http')).origin !== origin);
    assert.deepEqual(elsewhere, []);
    assert.ok(network.some((url) => url.startsWith(origin.replace(/^http/, 'ws'))), 'the subscription went over the WebSocket');
    // The wrong key's 401 is the only console error a browser reports by itself.
    assert.deepEqual(consoleErrors.filter((text) => !/status of 401/.test(text)), []);
  });
});
