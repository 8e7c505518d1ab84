import { test, expect, type Page } from '@playwright/test';
import { readFileSync } from 'fs';
import { STAFF, accessible, buy, customerSignIn, hydrated, signedIn } from './helpers';

// The console's wave-2 pages at a laptop's and a phone's width: each fits, each passes
// axe-core without serious or critical violations, each is screenshotted to be looked at.
const viewports = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
];

async function fitsWidth(page: Page) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
}

async function check(page: Page, vp: string, name: string) {
  await fitsWidth(page);
  await accessible(page, name);
  await page.screenshot({ path: `screenshots/${vp}-admin-${name}.png`, fullPage: true });
}

// A purchase of its own, so the lists have rows whatever ran before.
test.beforeAll(async ({ browser }) => {
  const page = await browser.newPage();
  await customerSignIn(page, 'customer05@example.com');
  await buy(page, 'family', '4242 4242 4242 4242');
  await page.close();
});

for (const vp of viewports) {
  test(`console pages at ${vp.name} width`, async ({ page }) => {
    await page.setViewportSize({ width: vp.width, height: vp.height });
    await signedIn(page, STAFF.admin);
    await expect(page.getByRole('heading', { name: 'Dashboard' })).toBeVisible();
    await expect(page.locator('.kpi').first()).toBeVisible();
    await check(page, vp.name, 'dashboard');

    await page.goto('/admin/customers');
    await expect(page.locator('table.data-table tbody tr').first()).toBeVisible();
    await check(page, vp.name, 'customers');

    await page.goto('/admin/subscriptions');
    await expect(page.getByRole('heading', { name: 'Subscriptions' })).toBeVisible();
    await check(page, vp.name, 'subscriptions');

    await page.goto('/admin/invoices');
    await expect(page.locator('table.data-table tbody tr').first()).toBeVisible();
    await check(page, vp.name, 'invoices');
    await page.locator('table.data-table tbody tr a[href^="/admin/invoices/"]').first().click();
    await expect(page.getByTestId('invoice-status')).toBeVisible();
    await check(page, vp.name, 'invoice');

    await page.goto('/admin/audit');
    await expect(page.locator('.audit-entry').first()).toBeVisible();
    await check(page, vp.name, 'audit');

    await page.goto('/admin/films');
    await expect(page.locator('table.data-table tbody tr').first()).toBeVisible();
    await check(page, vp.name, 'films');
  });
}

test('marketing adds a film, uploads an export and archives a film; support may only look', async ({ page }) => {
  await signedIn(page, STAFF.marketing);
  // Marketing's dashboard has no money on it.
  await expect(page.getByText('Money figures are hidden for your role.')).toBeVisible();
  await page.goto('/admin/films');
  await hydrated(page);

  // The browser's own checks name each field.
  await page.getByRole('button', { name: 'Add film' }).click();
  await expect(page.locator('#film-title-error')).toHaveText(/enter the film's title/);
  await page.locator('#film-external-id').fill('mdb-e2e-1');
  await page.locator('#film-title').fill('Burnt by the Sun');
  await page.locator('#film-year').fill('1994');
  await page.getByRole('button', { name: 'Add film' }).click();
  await expect(page.locator('.notice').first()).toContainText('Added Burnt by the Sun');
  await expect(page.locator('tr[data-external-id="mdb-e2e-1"]')).toBeVisible();

  // An export with a bad line changes nothing and names the line.
  const upload = page.locator('#film-csv');
  await upload.fill('external_id,title,year\nmdb-e2e-2,The Return,2003\nmdb-e2e-3,Bad,19x\n');
  await page.getByRole('button', { name: 'Upload' }).click();
  await expect(page.locator('form .alert')).toContainText('line 3');
  await expect(page.locator('tr[data-external-id="mdb-e2e-2"]')).toHaveCount(0);
  await upload.fill('external_id,title,year\nmdb-e2e-2,The Return,2003\nmdb-e2e-3,Brother,1997\n');
  await page.getByRole('button', { name: 'Upload' }).click();
  await expect(page.locator('form .notice').last()).toContainText('2 added, 0 updated, 0 unchanged');
  await expect(page.locator('tr[data-external-id="mdb-e2e-3"]')).toBeVisible();

  await page.getByRole('button', { name: 'Archive Brother' }).click();
  await expect(page.locator('tr[data-external-id="mdb-e2e-3"] .badge')).toHaveText('Archived');
  await page.screenshot({ path: 'screenshots/desktop-admin-films-edited.png', fullPage: true });

  // CSV export of the same search.
  await page.goto('/admin/films?q=mdb-e2e-2');
  const download = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Export CSV' }).click();
  const file = await (await download).path();
  const text = readFileSync(file, 'utf8');
  expect(text).toContain('mdb-e2e-2,The Return,2003,true');

  await page.context().clearCookies();
  await signedIn(page, STAFF.support);
  await page.goto('/admin/films');
  await expect(page.locator('tr[data-external-id="mdb-e2e-1"]')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Add film' })).toHaveCount(0);
  // The audit log is an admin's: support is told so.
  await page.goto('/admin/audit');
  await expect(page.getByText('You do not have access to this section.')).toBeVisible();
});
