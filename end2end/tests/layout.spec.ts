import { test, expect, type Page } from '@playwright/test';
import { STAFF, accessible, customerSignIn, signIn } from './helpers';

// Every page must fit a phone (no sideways scrolling) and a 1280 px laptop. The
// screenshots land in end2end/screenshots/ for people to look at.
const viewports = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
];

async function fitsWidth(page: Page) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
}

for (const vp of viewports) {
  test(`pages fit the ${vp.name} viewport`, async ({ page }) => {
    await page.setViewportSize({ width: vp.width, height: vp.height });
    await page.goto('/');
    await expect(page.locator('article.tariff-card')).toHaveCount(3);
    await fitsWidth(page);
    await page.screenshot({ path: `screenshots/${vp.name}-landing.png`, fullPage: true });
    await accessible(page, 'landing');

    await page.goto('/admin/login');
    await fitsWidth(page);
    await page.screenshot({ path: `screenshots/${vp.name}-login.png`, fullPage: true });
    await accessible(page, 'login');

    await signIn(page, STAFF.admin);
    await expect(page).toHaveURL(/\/admin$/);
    await page.goto('/admin/tariffs');
    await expect(page.locator('table.data-table tbody tr')).toHaveCount(3);
    await fitsWidth(page);
    await page.screenshot({ path: `screenshots/${vp.name}-admin-tariffs.png`, fullPage: true });
    await accessible(page, 'admin-tariffs');
    // The other catalogue and system pages: laid out and accessible too.
    for (const section of ['promo-codes', 'month-discounts', 'personal-discounts', 'staff']) {
      await page.goto(`/admin/${section}`);
      await expect(page.locator('h1')).toBeVisible();
      await fitsWidth(page);
      await accessible(page, section);
    }
    await page.goto('/admin/tariffs');
    await page.locator('table.data-table tbody tr a').first().click();
    await expect(page.locator('form.tariff-editor')).toBeVisible();
    await fitsWidth(page);
    await accessible(page, 'tariff-edit');

    // layout.spec runs after checkout.spec: customer02 has payments, support sees them.
    await page.goto('/admin/payments');
    await expect(page.locator('table.payments-admin tbody tr').first()).toBeVisible();
    await fitsWidth(page);
    await page.screenshot({ path: `screenshots/${vp.name}-admin-payments.png`, fullPage: true });
    await accessible(page, 'admin-payments');
    await page.locator('table.payments-admin tbody tr a').first().click();
    await expect(page.locator('ol.timeline li').first()).toBeVisible();
    await fitsWidth(page);
    await page.screenshot({ path: `screenshots/${vp.name}-admin-payment.png`, fullPage: true });
    await accessible(page, 'admin-payment');
    // The customer's page: payments, ledger and what the customer was told.
    await page.locator('dl.facts a[href^="/admin/customers/"]').click();
    await expect(page.getByTestId('customer-notifications').locator('tbody tr').first()).toBeVisible();
    await fitsWidth(page);
    await page.screenshot({ path: `screenshots/${vp.name}-admin-customer.png`, fullPage: true });
    await accessible(page, 'admin-customer');

    // The admin's outbox: the purchase's events have been delivered to the log relay.
    await page.goto('/admin/outbox?status=delivered');
    await expect(page.locator('table.outbox tbody tr').first()).toBeVisible();
    await fitsWidth(page);
    await page.screenshot({ path: `screenshots/${vp.name}-admin-outbox.png`, fullPage: true });
    await accessible(page, 'admin-outbox');

    // The money invariants hold after everything the other specs bought and refunded.
    await page.getByRole('link', { name: 'Integrity' }).click();
    await expect(page).toHaveURL(/\/admin\/integrity/);
    await expect(page.getByTestId('integrity-ok')).toBeVisible();
    await fitsWidth(page);
    await page.screenshot({ path: `screenshots/${vp.name}-admin-integrity.png`, fullPage: true });
    await accessible(page, 'admin-integrity');

    await customerSignIn(page, 'customer02@example.com');
    await page.goto('/account');
    await expect(page.getByTestId('subscription-status')).toBeVisible();
    await fitsWidth(page);
    await page.screenshot({ path: `screenshots/${vp.name}-account.png`, fullPage: true });
    await accessible(page, 'account');

    await page.goto('/sign-in');
    await fitsWidth(page);
    await page.screenshot({ path: `screenshots/${vp.name}-sign-in.png`, fullPage: true });
    await accessible(page, 'sign-in');

    await page.goto('/nowhere');
    await fitsWidth(page);
    await page.screenshot({ path: `screenshots/${vp.name}-404.png`, fullPage: true });
    await accessible(page, '404');
  });
}
