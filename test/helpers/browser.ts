// The dashboard's browser tests: Debian's Chromium driven by playwright-core, on the real stack (a test database, a
// client, an in-process worker and the API: startServices). Screenshots go to test-output/.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createTestDatabase, startServices, testConfig, type TestDb, type TestServices } from './stack';

export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOT_DIR = path.join(__dirname, '..', '..', 'test-output');

export interface BrowserStack {
  tdb: TestDb;
  client: Client;
  api: TestServices['api'];
  browser: Browser;
  /** One page of the viewport asked for, with a 15 s default timeout. */
  page: Page;
  /** Closes the browser, then the API, worker and client, then drops the database. */
  close(): Promise<void>;
}

/** A test database, the services on it and a headless Chromium with one page; fails at once without Chromium. */
export async function startBrowserStack(o: { dbPrefix: string; viewport: { width: number; height: number } }): Promise<BrowserStack> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is missing at ${CHROMIUM}: the dashboard browser tests need Debian's chromium package (apt-get install chromium)`);
  }
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const tdb = await createTestDatabase(o.dbPrefix);
  let services: TestServices | undefined;
  let browser: Browser | undefined;
  let page: Page;
  try {
    services = await startServices(testConfig(), tdb.db);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: o.viewport });
    page.setDefaultTimeout(15_000);
  } catch (err) {
    // What did start is closed here: the test's after() has no handle on it yet.
    await browser?.close().catch(() => {});
    await services?.stop().catch(() => {});
    await tdb.close();
    throw err;
  }
  return {
    tdb, client: services.client, api: services.api, browser, page,
    close: async () => {
      await browser.close().catch(() => {});
      await services.stop();
      await tdb.close();
    },
  };
}

/** Errors the browser logs on `page` (a failed request, an exception) from now until stop(), with their URLs. */
export function collectConsoleErrors(page: Page): { stop(): string[] } {
  const errors: string[] = [];
  const onConsole = (m: { type(): string; text(): string; location(): { url: string } }) => {
    if (m.type() === 'error') errors.push(`${m.text()} ${m.location().url}`);
  };
  page.on('console', onConsole);
  return {
    stop: () => {
      page.off('console', onConsole);
      return errors;
    },
  };
}
