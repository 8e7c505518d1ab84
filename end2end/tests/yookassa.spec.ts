import { test, expect } from '@playwright/test';
import { customerSignIn, hydrated } from './helpers';

// This server's provider is YooKassa, whose API URL is the server's own YooKassa
// personality: the real adapter creates the payment, the customer pays on the page it
// redirects to, YooKassa's notification (read back from its API) settles it.
test('a purchase and its refund go through YooKassa', async ({ page }) => {
  await customerSignIn(page, 'customer02@example.com');
  await page.locator('article[data-code="classic"]').getByRole('link', { name: 'Buy' }).click();
  await expect(page).toHaveURL(/\/checkout\?/);
  await hydrated(page);
  await page.getByRole('button', { name: /^Pay / }).click();

  await expect(page).toHaveURL(/\/sandbox\/pay\//);
  await expect(page.getByTestId('amount')).toContainText('299,00');
  await page.screenshot({ path: 'screenshots/yookassa-payment-page.png', fullPage: true });
  await page.getByLabel('Card number').fill('4242 4242 4242 4242');
  await page.getByRole('button', { name: /^Pay / }).click();

  await expect(page).toHaveURL(/\/checkout\/return\?payment=/);
  await expect(page.getByRole('heading', { name: 'Payment received' })).toBeVisible();
  await page.screenshot({ path: 'screenshots/yookassa-payment-received.png', fullPage: true });
  await page.goto('/account');
  await hydrated(page);
  await expect(page.getByTestId('subscription-status')).toHaveText('Active');
  const paid = page.locator('tr[data-status="succeeded"]');
  await expect(paid).toHaveCount(1);
  await paid.getByRole('button', { name: 'Refund' }).click();
  await expect(page.locator('tr[data-status="refunded"]')).toHaveCount(1);
  await expect(page.getByTestId('subscription-status')).toHaveText('Canceled');
  await page.screenshot({ path: 'screenshots/yookassa-refunded.png', fullPage: true });
});
