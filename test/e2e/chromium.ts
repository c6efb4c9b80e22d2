import { chromium, type Browser } from 'playwright-core';

import { CHROMIUM } from '../system-deps.js';

export { CHROMIUM };

/** Headless, and quiet on a machine without internet: no background fetches, no sync, no QUIC. */
export const launchChromium = (): Promise<Browser> =>
  chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
