import { test, expect } from '@playwright/test';
import { STAFF, buy, customerSignIn, hydrated, plain, signedIn } from './helpers';

test('a customer buys a tariff with 4242…, sees it active and gets a refund inside the window', async ({ page }) => {
  await customerSignIn(page, 'customer02@example.com');
  await page.locator('article[data-code="premium"]').getByRole('link', { name: 'Buy' }).click();
  await expect(page).toHaveURL(/\/checkout\?/);
  await hydrated(page);
  expect(plain(await page.getByTestId('checkout-total').textContent())).toBe('499,00 ₽');
  await page.screenshot({ path: 'screenshots/desktop-checkout.png', fullPage: true });
  await page.getByRole('button', { name: /^Pay / }).click();

  await expect(page).toHaveURL(/\/sandbox\/pay\//);
  await expect(page.getByTestId('amount')).toContainText('499,00');
  await page.screenshot({ path: 'screenshots/desktop-sandbox-page.png', fullPage: true });
  await page.getByLabel('Card number').fill('4242 4242 4242 4242');
  await page.getByRole('button', { name: /^Pay / }).click();

  await expect(page).toHaveURL(/\/checkout\/return\?payment=/);
  await expect(page.getByRole('heading', { name: 'Payment received' })).toBeVisible();
  await page.screenshot({ path: 'screenshots/desktop-payment-received.png', fullPage: true });
  await page.getByRole('link', { name: 'Go to my subscription' }).click();
  await expect(page).toHaveURL(/\/account$/);
  await hydrated(page);
  await expect(page.getByTestId('subscription-status')).toHaveText('Active');
  const paid = page.locator('tr[data-status="succeeded"]');
  await expect(paid).toHaveCount(1);
  // The countdown runs in the browser.
  const first = await paid.locator('.countdown').textContent();
  expect(first).toMatch(/^\d\d:\d\d left$/);
  await expect.poll(async () => paid.locator('.countdown').textContent(), { timeout: 5000 }).not.toBe(first);
  await page.screenshot({ path: 'screenshots/desktop-account.png', fullPage: true });

  await paid.getByRole('button', { name: 'Refund' }).click();
  await expect(page.locator('tr[data-status="refunded"]')).toHaveCount(1);
  await expect(page.getByTestId('subscription-status')).toHaveText('Canceled');
  await expect(page.locator('table.statement tbody tr')).toHaveCount(4);
});

test('a declined card shows the reason and a way to try again', async ({ page }) => {
  await customerSignIn(page, 'customer03@example.com');
  await buy(page, 'classic', '4000 0000 0000 0002');
  await expect(page.getByRole('heading', { name: 'The payment did not go through' })).toBeVisible();
  await expect(page.locator('.failure-reason')).toHaveText('The card was declined by the bank.');
  await page.screenshot({ path: 'screenshots/desktop-payment-declined.png', fullPage: true });
  await page.getByRole('link', { name: 'Try again' }).click();
  await expect(page).toHaveURL(/\/checkout\?tariff=.*&months=1/);
});

test('support finds the payment and reads its timeline', async ({ page }) => {
  await signedIn(page, STAFF.support);
  await page.getByRole('link', { name: 'Payments' }).click();
  await expect(page).toHaveURL(/\/admin\/payments/);
  await hydrated(page);
  await page.getByLabel('Customer e-mail or id').fill('customer02@example.com');
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(page).toHaveURL(/customer=customer02/);
  const rows = page.locator('table.payments-admin tbody tr');
  await expect(rows).toHaveCount(1);
  await page.screenshot({ path: 'screenshots/desktop-admin-payments.png', fullPage: true });
  await rows.first().getByRole('link').first().click();
  await expect(page.getByTestId('payment-status')).toHaveText('refunded');
  for (const kind of ['created', 'webhook.succeeded', 'settled', 'refund_requested', 'refunded']) {
    await expect(page.locator(`ol.timeline li[data-kind="${kind}"]`)).toHaveCount(1);
  }
  // The provider's own object, loaded after the page.
  await expect(page.getByTestId('provider-object').locator('summary')).toHaveText('Raw object from sandbox');
  await page.getByTestId('provider-object').locator('summary').click();
  await expect(page.getByTestId('provider-object').locator('pre')).toContainText('"status": "succeeded"');
  await page.getByTestId('provider-object').screenshot({ path: 'screenshots/desktop-admin-provider-object.png' });
  await page.locator('ol.timeline li[data-kind="webhook.succeeded"] summary').click();
  await expect(page.locator('ol.timeline li[data-kind="webhook.succeeded"] pre')).toContainText('payment.succeeded');
  await page.screenshot({ path: 'screenshots/desktop-admin-payment.png', fullPage: true });
});

test('a customer schedules a switch to another tariff from the next period', async ({ page }) => {
  await customerSignIn(page, 'customer01@example.com');
  await buy(page, 'premium', '4242 4242 4242 4242');
  await expect(page.getByRole('heading', { name: 'Payment received' })).toBeVisible();
  await page.goto('/account');
  await hydrated(page);
  await expect(page.getByTestId('subscription-status')).toHaveText('Active');
  await page.getByLabel('From the next period').selectOption({ label: 'Classic' });
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByTestId('next-tariff')).toHaveText('Classic');
  await page.screenshot({ path: 'screenshots/desktop-account-switch.png', fullPage: true });
  // Keeping the current tariff cancels the switch.
  await page.getByLabel('From the next period').selectOption({ index: 0 });
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByTestId('next-tariff')).toHaveCount(0);
});
