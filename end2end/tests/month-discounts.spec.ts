import { test, expect } from '@playwright/test';
import { STAFF, hydrated, plain, signedIn } from './helpers';

test('marketing edits the month-discount table and customers see the new price', async ({ page }) => {
  await signedIn(page, STAFF.marketing);
  await page.getByRole('link', { name: 'Month discounts' }).click();
  await expect(page).toHaveURL(/\/admin\/month-discounts$/);
  await hydrated(page);
  await expect(page.locator('tr.md-row')).toHaveCount(3);

  // A duplicate threshold is refused next to the cell, in the browser.
  await page.getByRole('button', { name: 'Add row' }).click();
  await page.getByLabel('Months, row 4').fill('12');
  await page.getByLabel('Percent, row 4').fill('25');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.locator('tr.md-row').nth(3).locator('.field-error').first()).toHaveText('each number of months may appear only once');

  await page.getByLabel('Months, row 4').fill('24');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByRole('status')).toHaveText('Saved. New quotes use this table now.');
  await page.screenshot({ path: 'screenshots/desktop-admin-month-discounts.png', fullPage: true });

  await page.goto('/');
  await hydrated(page);
  await page.getByLabel('Pay for').selectOption('24');
  // Classic: 299 x 24 = 7 176,00, minus 25 % = 5 382,00.
  await expect
    .poll(async () => plain(await page.locator('article[data-code="classic"] .tariff-price .amount').textContent()))
    .toBe('5 382,00 ₽');
});

test('support sees the table read-only', async ({ page }) => {
  await signedIn(page, STAFF.support);
  await page.goto('/admin/month-discounts');
  await expect(page.locator('tr.md-row').first()).toBeVisible();
  await expect(page.getByRole('button', { name: 'Save changes' })).toHaveCount(0);
  await expect(page.getByLabel('Months, row 1')).toBeDisabled();
});
