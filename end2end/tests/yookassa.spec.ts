import { test } from '@playwright/test';
import { purchaseAndRefund } from './helpers';

// This server's provider is YooKassa, whose API URL is the server's own YooKassa
// personality: the real adapter creates the payment, the customer pays on the page it
// redirects to, YooKassa's notification (read back from its API) settles it.
test('a purchase and its refund go through YooKassa', async ({ page }) => {
  await purchaseAndRefund(page, 'yookassa');
});
