import { test, expect } from '@playwright/test';
import { STAFF, hydrated, signedIn } from './helpers';

test('marketing gives a customer a personal discount and removes it', async ({ page }) => {
  await signedIn(page, STAFF.marketing);
  await page.getByRole('link', { name: 'Personal discounts' }).click();
  await expect(page).toHaveURL(/\/admin\/personal-discounts$/);
  await hydrated(page);
  await expect(page.getByText('No active personal discounts')).toBeVisible();

  const form = page.locator('form[aria-labelledby="discount-title"]');
  await form.getByRole('button', { name: 'Save discount' }).click();
  await expect(page.locator('#discount-customer-error')).toHaveText("enter the customer's e-mail or id");
  await expect(page.locator('#discount-reason-error')).toHaveText('say why the customer gets this discount');

  await form.getByLabel('Customer e-mail or id').fill('nobody@example.com');
  await form.getByLabel('Percent off').fill('15');
  await form.getByLabel('Reason').fill('Compensation for an outage');
  await form.getByRole('button', { name: 'Save discount' }).click();
  await expect(page.locator('#discount-customer-error')).toHaveText('no customer with this e-mail or id');

  await form.getByLabel('Customer e-mail or id').fill('customer05@example.com');
  await form.getByRole('button', { name: 'Save discount' }).click();
  await expect(form.getByRole('status')).toHaveText('customer05@example.com now has 15 % off.');
  const row = page.locator('table.data-table tbody tr');
  await expect(row).toHaveCount(1);
  await expect(row).toContainText('Darya Popova');
  await expect(row).toContainText('Compensation for an outage');
  await page.screenshot({ path: 'screenshots/desktop-admin-discounts.png', fullPage: true });

  await row.getByRole('button', { name: /Remove the discount/ }).click();
  await expect(page.getByText('No active personal discounts')).toBeVisible();
});
