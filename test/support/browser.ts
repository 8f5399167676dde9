import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';

/** Debian's chromium (scripts/apt/browser.txt); GEOSTREAM_CHROMIUM overrides the path. */
export const CHROMIUM = process.env.GEOSTREAM_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Flags for headless chromium on a closed network: without the background-networking,
 * component-update and sync switches it keeps trying hosts it cannot reach.
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface HeadlessBrowser {
  context: BrowserContext;
  browser: Browser | null;
  close(): Promise<void>;
}

/** Starts chromium with a new empty profile directory, removed again on close. */
export async function launchChromium(): Promise<HeadlessBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'gs-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  return {
    context,
    browser: context.browser(),
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
