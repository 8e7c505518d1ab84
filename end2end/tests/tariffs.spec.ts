import { test, expect } from '@playwright/test';
import { STAFF, hydrated, plain, signedIn } from './helpers';

// Runs last (file order): it changes the catalogue the other specs read.

test('marketing reprices a tariff, sees old and new price, and the history records it', async ({ page }) => {
  await signedIn(page, STAFF.marketing);
  await page.goto('/admin/tariffs');
  await page.getByRole('link', { name: 'Premium' }).click();
  await expect(page).toHaveURL(/\/admin\/tariffs\/[0-9a-f-]{36}$/);
  await hydrated(page);
  await expect(page.getByText('The price has not changed since the tariff was created.')).toBeVisible();

  await page.getByLabel('Monthly price, ₽').fill('549');
  await expect(page.locator('.new-price')).toHaveText(/549,00/);
  await page.getByLabel('Solaris (1972)').uncheck();
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByRole('status')).toHaveText('Saved.');
  const history = page.locator('table.data-table tbody tr');
  await expect(history).toHaveCount(1);
  expect(plain(await history.first().locator('td[data-label="Old"]').textContent())).toBe('499,00 ₽');
  expect(plain(await history.first().locator('td[data-label="New"]').textContent())).toBe('549,00 ₽');
  await expect(history.first()).toContainText(STAFF.marketing.email);
  await page.screenshot({ path: 'screenshots/desktop-admin-tariff-edit.png', fullPage: true });

  await page.goto('/');
  const premium = page.locator('article[data-code="premium"]');
  expect(plain(await premium.locator('.tariff-price .amount').textContent())).toBe('549,00 ₽');
  await expect(premium.getByRole('button', { name: 'Show 3 films' })).toBeAttached();
});

test('an invalid price is refused next to the field', async ({ page }) => {
  await signedIn(page, STAFF.admin);
  await page.goto('/admin/tariffs');
  await page.getByRole('link', { name: 'Classic' }).click();
  await hydrated(page);
  await page.getByLabel('Monthly price, ₽').fill('12.345');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.locator('#edit-price-error')).toHaveText('use at most 2 decimal places');
});

test('archiving stops selling a tariff and restoring brings it back', async ({ page }) => {
  await signedIn(page, STAFF.admin);
  await page.goto('/admin/tariffs');
  await page.getByRole('link', { name: 'Family' }).click();
  await hydrated(page);
  await page.getByRole('button', { name: 'Archive (stop selling)' }).click();
  await expect(page.locator('h1 .badge')).toHaveText('Archived');
  await page.goto('/');
  await expect(page.locator('article.tariff-card')).toHaveCount(2);

  await page.goto('/admin/tariffs?status=archived');
  await page.getByRole('link', { name: 'Family' }).click();
  await hydrated(page);
  await page.getByRole('button', { name: 'Restore (sell again)' }).click();
  await expect(page.locator('h1 .badge')).toHaveText('On sale');
});

test('marketing creates a new tariff from the list page', async ({ page }) => {
  await signedIn(page, STAFF.marketing);
  await page.goto('/admin/tariffs');
  await hydrated(page);
  await page.getByText('New tariff').click();
  await page.getByLabel('Name').fill('Festival');
  await page.getByLabel('Code').fill('Bad Code');
  await page.getByLabel('Auth role').fill('viewer-festival');
  await page.getByLabel('Monthly price, ₽').fill('349,50');
  await page.getByRole('button', { name: 'Create tariff' }).click();
  await expect(page.locator('#tariff-code-error')).toHaveText("use 2–32 lower-case letters, digits, '-' or '_'");
  await page.getByLabel('Code').fill('festival');
  await page.getByRole('button', { name: 'Create tariff' }).click();
  await expect(page.getByRole('status')).toHaveText('Created Festival.');
  await expect(page.locator('tr[data-code="festival"] td.money')).toHaveText(/349,50/);
});
