import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

// Debian's Chromium for the browser tests (playwright-core 1.64 drives Chromium 156; no browser download).
// Missing: installed with apt-get when running as root (as CI does), otherwise the test stops with the command.

export const CHROMIUM = '/usr/bin/chromium';
const INSTALL = 'apt-get update && apt-get install -y chromium fonts-noto-color-emoji';

export function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`Chromium is missing (${CHROMIUM}); the browser tests need Debian's package. Run: sudo sh -c '${INSTALL}'`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update'], { stdio: 'ignore', env, timeout: 240_000 });
  // The emoji font only makes the screenshots readable (Slack's :red_circle: and friends).
  execFileSync('apt-get', ['install', '-y', 'chromium', 'fonts-noto-color-emoji'], { stdio: 'ignore', env, timeout: 240_000 });
  if (!existsSync(CHROMIUM)) throw new Error(`apt-get install chromium did not provide ${CHROMIUM}; run: ${INSTALL}`);
}

export async function launchChromium(): Promise<Browser> {
  ensureChromium();
  // The flags keep Chromium off the network (this machine has none but loopback); Playwright gives it a fresh profile.
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
