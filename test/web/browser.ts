import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { type Browser, type BrowserContext, type Page, chromium } from 'playwright-core';

/** Debian's Chromium (`.ci/run` installs the `chromium` package when it is missing). */
export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOTS = path.resolve(import.meta.dirname, '../../test-results/screenshots');

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
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

export interface Findings {
  csp: string[];
  axe: string[];
  pageErrors: string[];
}

let clientCounter = 0;

/**
 * One person at one browser: a context of its own with a client address of its own (through the
 * trusted proxy header), so per-IP limits count each person apart as they would in the field.
 * Every CSP violation and uncaught page error is collected.
 */
export async function personContext(
  browser: Browser,
  findings: Findings,
  width = 1280,
): Promise<BrowserContext> {
  clientCounter += 1;
  const context = await browser.newContext({
    viewport: { width, height: 900 },
    extraHTTPHeaders: { 'x-forwarded-for': `198.51.100.${(clientCounter % 250) + 1}` },
  });
  // Generous: every wait is for something the person sees, and the machine may be under heavy load.
  context.setDefaultTimeout(45_000);
  // A string, not a function: the test transform must not rewrite what runs in the page.
  await context.addInitScript(
    "document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' blocked ' + e.blockedURI + ' at ' + e.sourceFile + ':' + e.lineNumber));",
  );
  context.on('console', (message) => {
    const text = message.text();
    if (/Content Security Policy|CSP violation/i.test(text))
      findings.csp.push(`${message.page()?.url()}: ${text}`);
  });
  context.on('weberror', (error) => findings.pageErrors.push(error.error().message));
  return context;
}

/** axe-core on the page as it is now: serious and critical violations are findings. */
export async function audit(page: Page, findings: Findings): Promise<void> {
  const result = await new AxeBuilder({ page }).analyze();
  for (const violation of result.violations) {
    if (violation.impact === 'serious' || violation.impact === 'critical') {
      const finding = `${new URL(page.url()).pathname}: ${violation.id} (${violation.impact}) ${violation.nodes
        .map((n) => n.target.join(' '))
        .slice(0, 3)
        .join(', ')}`;
      if (!findings.axe.includes(finding)) findings.axe.push(finding);
    }
  }
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const width = page.viewportSize()?.width ?? 1280;
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${width}.png`), fullPage: true });
}

/** How many pixels the page is wider than the viewport (0 when nothing sticks out). */
export function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => Math.max(0, document.documentElement.scrollWidth - window.innerWidth));
}

/** The same page at phone width too: 390 px; answers how far it overflowed that width. */
export async function screenshotBoth(page: Page, name: string): Promise<number> {
  const original = page.viewportSize() ?? { width: 1280, height: 900 };
  await screenshot(page, name);
  await page.setViewportSize({ width: 390, height: 844 });
  // Two frames: the narrow layout has been laid out and painted.
  await page.evaluate(
    () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))),
  );
  await screenshot(page, name);
  const overflow = await horizontalOverflow(page);
  await page.setViewportSize(original);
  return overflow;
}
