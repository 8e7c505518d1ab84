import { test } from '@playwright/test';
import { purchaseAndRefund } from './helpers';

// This server's provider is CloudPayments, whose API URL is the server's own
// CloudPayments personality: the real adapter creates an order, the customer pays on its
// link (the page asks our Check first), the signed Pay notification settles it, and the
// refund goes to the transaction.
test('a purchase and its refund go through CloudPayments', async ({ page }) => {
  await purchaseAndRefund(page, 'cloudpayments');
});
