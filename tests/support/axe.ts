// Accessibility checks for the browser tests: axe-core (through @axe-core/playwright) over the page
// as it is on screen. The other browser tests find buttons by role and name, which an invisible
// button (white on white) still has; axe measures contrast, names, labels and structure, so a page
// that passes here can be seen and used. Any violation fails the test, with what and where.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { AxeBuilder } from '@axe-core/playwright';
import type { Page } from 'playwright-core';

// The project's own axe-core (the one the messaging sandbox's scan injects too), so every page is
// judged by the same rules whatever version @axe-core/playwright would bring.
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

// WCAG 2.1 A and AA, plus axe's best practices (landmarks, one main, one h1, heading order).
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];

export interface AxeScan {
  label: string;
  /** How many rules axe checked and found satisfied on the page. */
  passes: number;
}

/** Every scan this process ran, so a test file can report what it covered. */
export const scans: AxeScan[] = [];

/**
 * Fails with a readable list when axe finds any violation on `page` as it is now. `label` names the
 * page and state ("claim page, install described") in the failure and in `scans`.
 */
export async function expectNoAxeViolations(page: Page, label: string): Promise<void> {
  // Let transitions and fonts settle, so contrast is measured on the final colours.
  await page.evaluate(() => document.fonts.ready.then(() => undefined));
  const results = await new AxeBuilder({ page, axeSource: AXE_SOURCE }).withTags(TAGS).analyze();
  scans.push({ label, passes: results.passes.length });
  if (results.violations.length === 0) return;
  const report = results.violations.map((v) => {
    const where = v.nodes.slice(0, 5).map((n) => `    at ${n.target.join(' ')}: ${n.failureSummary?.replace(/\s+/g, ' ') ?? ''}`);
    return `  ${v.id} (${v.impact ?? 'n/a'}): ${v.help}\n${where.join('\n')}`;
  });
  throw new Error(`axe found ${results.violations.length} violation(s) on "${label}":\n${report.join('\n')}`);
}
