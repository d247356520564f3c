// One browser and one static server per test file.
import { fileURLToPath } from 'node:url';
import { launch } from './browser.js';
import { serve } from './server.js';
import { logEvents } from './vector.js';

export const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

export async function startSession(root = ROOT, options = {}) {
  const server = await serve(root, options);
  const browser = await launch();
  return {
    server,
    browser,
    async close() {
      await browser.close();
      await server.close();
    },
  };
}

/**
 * Opens a page in a new context and fails the test on any uncaught page error.
 * Returns `{ page, errors }`; check `errors` at the end.
 */
export async function openPage(browser, url, contextOptions = {}, prepare = async () => {}) {
  const context = await browser.newContext(contextOptions);
  await prepare(context);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(error));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(new Error(message.text()));
  });
  await page.goto(url);
  return { page, errors };
}

/**
 * Opens the demo page, logging the events its recorder listens to (see `logEvents`), and waits
 * until the recorder is listening.
 */
export async function openDemo(session, query = '', contextOptions = {}) {
  const url = `${session.server.url}/www/index.html${query}`;
  const opened = await openPage(session.browser, url, contextOptions, logEvents);
  await opened.page.waitForSelector('body[data-ready="true"]');
  return opened;
}
