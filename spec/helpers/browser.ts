import { existsSync } from 'node:fs';

/** Debian's chromium package, driven by playwright-core: no browser download is possible here. */
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'];

/** Why the headless browser cannot run here, or undefined when it can. */
export function browserUnavailable(): string | undefined {
  if (!existsSync(CHROMIUM)) return `needs ${CHROMIUM} (apt-get install chromium)`;
  try {
    require.resolve('playwright-core');
  } catch {
    return 'needs playwright-core (npm ci)';
  }
  return undefined;
}

/** Opens Chromium headless, gives `use` a browser, and always closes it. */
export async function withChromium<T>(use: (browser: import('playwright-core').Browser) => Promise<T>): Promise<T> {
  const { chromium } = require('playwright-core') as typeof import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  try {
    return await use(browser);
  } finally {
    await browser.close();
  }
}
