import { test, expect } from '@playwright/test';
import * as fs from 'node:fs';
import { STAFF, hydrated, plain, signedIn } from './helpers';

test('marketing creates a promo code and a customer gets its price', async ({ page }) => {
  await signedIn(page, STAFF.marketing);
  await page.getByRole('link', { name: 'Promo codes' }).click();
  await expect(page).toHaveURL(/\/admin\/promo-codes$/);
  await hydrated(page);
  const form = page.locator('form[aria-labelledby="create-promo-title"]');
  await form.getByLabel('Code').fill('film-fest');
  await form.getByLabel('Percent off').fill('30');
  await form.getByLabel('Max uses').fill('50');
  await form.getByRole('button', { name: 'Create code' }).click();
  await expect(form.getByRole('status')).toHaveText('Created FILM-FEST.');
  const row = page.locator('tr[data-code="FILM-FEST"]');
  await expect(row).toContainText('30 %');
  await expect(row).toContainText('0 / 50');

  await page.goto('/');
  await hydrated(page);
  await page.getByLabel('Promo code').fill('film-fest');
  await page.getByRole('button', { name: 'Apply' }).click();
  // Premium 499,00 - 30 % = 349,30.
  await expect
    .poll(async () => plain(await page.locator('article[data-code="premium"] .tariff-price .amount').textContent()))
    .toBe('349,30 ₽');
});

test('an invalid percent shows an inline error and sends nothing', async ({ page }) => {
  await signedIn(page, STAFF.marketing);
  await page.goto('/admin/promo-codes');
  await hydrated(page);
  let posted = false;
  page.on('request', (r) => {
    if (r.method() === 'POST' && r.url().includes('admin_create_promo')) posted = true;
  });
  const form = page.locator('form[aria-labelledby="create-promo-title"]');
  await form.getByLabel('Code').fill('TOO-MUCH');
  await form.getByLabel('Percent off').fill('150');
  await form.getByRole('button', { name: 'Create code' }).click();
  await expect(page.locator('#promo-percent-error')).toHaveText('the percent must be above 0 and at most 100');
  await expect(form.getByLabel('Percent off')).toHaveAttribute('aria-invalid', 'true');
  expect(posted).toBe(false);
});

test('bulk-generate 100 codes and download them as CSV', async ({ page }) => {
  await signedIn(page, STAFF.admin);
  await page.goto('/admin/promo-codes');
  await hydrated(page);
  const form = page.locator('form[aria-labelledby="batch-title"]');
  await form.getByLabel('Prefix').fill('XMAS-');
  await form.getByLabel('How many').fill('100');
  await form.getByLabel('Percent off').fill('15');
  await form.getByRole('button', { name: 'Generate codes' }).click();
  await expect(form.getByRole('status')).toContainText('Generated 100 codes.');

  const download = page.waitForEvent('download');
  await form.getByRole('link', { name: 'Download CSV' }).click();
  const file = await download;
  expect(file.suggestedFilename()).toBe('promo-codes-XMAS.csv');
  const lines = fs.readFileSync(await file.path(), 'utf8').trim().split('\n');
  expect(lines[0]).toBe('code');
  expect(lines).toHaveLength(101);
  expect(lines.slice(1).every((l) => /^XMAS-[A-Z2-9]{8}$/.test(l))).toBe(true);

  await page.getByLabel('Search').fill('xmas');
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page.locator('.pager-range')).toHaveText('1–20 of 100');
  await page.screenshot({ path: 'screenshots/desktop-admin-promos.png', fullPage: true });
});

test('support sees the promo codes but no forms', async ({ page }) => {
  await signedIn(page, STAFF.support);
  await page.goto('/admin/promo-codes?q=KINO150');
  await expect(page.locator('table.data-table tbody tr')).toHaveCount(1);
  await expect(page.locator('tr[data-code="KINO150"]')).toContainText('150,00');
  await expect(page.getByRole('button', { name: 'Create code' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: /Switch off/ })).toHaveCount(0);
});
