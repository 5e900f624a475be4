// Debian's Chromium driven by playwright-core (never a downloaded browser),
// headless as root with the flags below (sandbox, GPU, QUIC and background
// networking off). Playwright gives every launch a fresh
// temporary profile directory (the "fresh --user-data-dir").
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

export async function launch() {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: run scripts/tools/install chromium (apt-get install -y chromium)`);
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
}
