import AxeBuilder from '@axe-core/playwright';
import { expect, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';

export const STAFF = {
  admin: { email: 'admin@kinobill.local', password: 'kinobill-admin', name: 'Alexandra Admin' },
  marketing: { email: 'marketing@kinobill.local', password: 'kinobill-marketing', name: 'Maxim Marketing' },
  support: { email: 'support@kinobill.local', password: 'kinobill-support', name: 'Sofia Support' },
};

/** Waits until the WASM bundle has hydrated the page (the app marks <body>). */
export async function hydrated(page: Page) {
  await expect(page.locator('body[data-hydrated="true"]')).toHaveCount(1);
}

export async function signIn(page: Page, who: { email: string; password: string }) {
  await page.goto('/admin/login');
  await hydrated(page);
  await page.getByLabel('E-mail').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Money on the page uses no-break spaces; compare with plain ones. */
export function plain(text: string | null): string {
  return (text ?? '').replace(/[\u00a0\u202f]/g, ' ');
}

/** Signs in and waits until the console has loaded. */
export async function signedIn(page: Page, who: { email: string; password: string }) {
  await signIn(page, who);
  await expect(page).toHaveURL(/\/admin$/);
}

/** Signs in as a demo customer (the development setup's stand-in for the auth service). */
export async function customerSignIn(page: Page, email: string) {
  await page.goto('/sign-in');
  await hydrated(page);
  await page.getByRole('button', { name: new RegExp(email.replace('.', '\\.')) }).click();
  await expect(page).toHaveURL(/\/$/);
  await hydrated(page);
  await expect(page.getByTestId('customer-name')).toBeVisible();
}

/** A staff API token, minted with the server's own CLI against the e2e database. */
export function staffApiToken(email: string): string {
  // Resolved like playwright.config.ts does.
  const port = Number(process.env.E2E_PORT ?? 3100);
  const dbFile = process.env.E2E_DB_FILE ?? path.join(os.tmpdir(), `kinobill-e2e-${port}.db`);
  const repoRoot = path.resolve(__dirname, '..', '..');
  return execFileSync(path.join(repoRoot, 'target', 'release', 'server'), ['staff', 'token', '--email', email], {
    env: { ...process.env, DATABASE_URL: `sqlite://${dbFile}?mode=rwc`, KINOBILL__DEMO__SEED: 'false', RUST_LOG: 'error' },
    encoding: 'utf8',
  }).trim().split('\n').pop()!.trim();
}

/** From the tariff card's Buy button to the sandbox's hosted page and back. */
export async function buy(page: Page, tariffCode: string, card: string) {
  await page.locator(`article.tariff-card[data-code="${tariffCode}"]`).getByRole('link', { name: 'Buy' }).click();
  await expect(page).toHaveURL(/\/checkout\?/);
  await hydrated(page);
  await page.getByRole('button', { name: /^Pay / }).click();
  await expect(page).toHaveURL(/\/sandbox\/pay\//);
  await page.getByLabel('Card number').fill(card);
  await page.getByRole('button', { name: /^Pay / }).click();
  await expect(page).toHaveURL(/\/checkout\/return\?payment=/);
}

// One purchase and its refund through the server's provider (a personality of the
// sandbox behind a real adapter), with screenshots named after `provider`.
export async function purchaseAndRefund(page: Page, provider: string) {
  await customerSignIn(page, 'customer02@example.com');
  await page.locator('article[data-code="classic"]').getByRole('link', { name: 'Buy' }).click();
  await expect(page).toHaveURL(/\/checkout\?/);
  await hydrated(page);
  await page.getByRole('button', { name: /^Pay / }).click();

  await expect(page).toHaveURL(/\/sandbox\/pay\//);
  await expect(page.getByTestId('amount')).toContainText('299,00');
  await page.screenshot({ path: `screenshots/${provider}-payment-page.png`, fullPage: true });
  await page.getByLabel('Card number').fill('4242 4242 4242 4242');
  await page.getByRole('button', { name: /^Pay / }).click();

  await expect(page).toHaveURL(/\/checkout\/return\?payment=/);
  await expect(page.getByRole('heading', { name: 'Payment received' })).toBeVisible();
  await page.screenshot({ path: `screenshots/${provider}-payment-received.png`, fullPage: true });
  await page.goto('/account');
  await hydrated(page);
  await expect(page.getByTestId('subscription-status')).toHaveText('Active');
  const paid = page.locator('tr[data-status="succeeded"]');
  await expect(paid).toHaveCount(1);
  await paid.getByRole('button', { name: 'Refund' }).click();
  await expect(page.locator('tr[data-status="refunded"]')).toHaveCount(1);
  await expect(page.getByTestId('subscription-status')).toHaveText('Canceled');
  await page.screenshot({ path: `screenshots/${provider}-refunded.png`, fullPage: true });
}

/** axe-core on the page as it is now: no serious or critical violation. */
export async function accessible(page: Page, what: string) {
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(
    bad.map((v) => `${what}: ${v.id} (${v.impact}) ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(' | ')}`),
  ).toEqual([]);
}
