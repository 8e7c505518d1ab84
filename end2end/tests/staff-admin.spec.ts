import { test, expect, type Page } from '@playwright/test';
import { STAFF, hydrated, signedIn, signIn } from './helpers';

async function fitsWidth(page: Page) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
}

test('an admin invites a member, who sets a password from the link and signs in', async ({ page, browser }) => {
  await signedIn(page, STAFF.admin);
  await page.getByRole('navigation', { name: 'Console sections' }).getByRole('link', { name: 'Staff' }).click();
  await expect(page).toHaveURL(/\/admin\/staff$/);
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'Staff', level: 1 })).toBeVisible();
  await expect(page.locator('table.data-table tbody tr')).toHaveCount(3);

  // The browser checks the e-mail before anything is sent.
  await page.getByLabel('E-mail', { exact: true }).fill('not-an-email');
  await page.getByRole('button', { name: 'Invite' }).click();
  await expect(page.locator('#staff-email-error')).toHaveText('enter an e-mail address like name@example.com');

  await page.getByLabel('E-mail', { exact: true }).fill('vera@kinobill.local');
  await page.getByLabel('Name', { exact: true }).fill('Vera Support');
  await page.getByLabel('Role', { exact: true }).selectOption('support');
  await page.getByRole('button', { name: 'Invite' }).click();
  const link = page.getByLabel('Password setup link');
  await expect(link).toBeVisible();
  const url = await link.inputValue();
  expect(url).toContain('/admin/setup-password?token=kbp_');
  const row = page.locator('tr', { hasText: 'vera@kinobill.local' });
  await expect(row.locator('.status-pill')).toHaveText('Invited');
  await page.screenshot({ path: 'screenshots/desktop-admin-staff.png', fullPage: true });

  // The new member, in a browser of their own.
  const context = await browser.newContext();
  const vera = await context.newPage();
  await vera.goto(url);
  await hydrated(vera);
  await expect(vera.getByRole('heading', { name: 'Set your password' })).toBeVisible();
  await vera.getByLabel('New password').fill('short');
  await vera.getByRole('button', { name: 'Set password' }).click();
  await expect(vera.locator('#setup-password-error')).toHaveText('use at least 10 characters');
  await vera.getByLabel('New password').fill('vera-strong-password');
  await vera.getByRole('button', { name: 'Set password' }).click();
  await expect(vera.getByRole('status')).toContainText('Your password is set.');
  await signIn(vera, { email: 'vera@kinobill.local', password: 'vera-strong-password' });
  await expect(vera).toHaveURL(/\/admin$/);
  await expect(vera.locator('.who-name')).toHaveText('Vera Support');
  // Support may not manage staff: the page says so and lists nobody.
  await vera.goto('/admin/staff');
  await expect(vera.getByText('You do not have access to this section.').first()).toBeVisible();
  await expect(vera.locator('table.data-table')).toHaveCount(0);

  // The admin makes Vera marketing, then deactivates her: her session ends at once.
  await page.reload();
  await hydrated(page);
  await row.getByLabel('Role of vera@kinobill.local').selectOption('marketing');
  await expect(row.getByLabel('Role of vera@kinobill.local')).toHaveValue('marketing');
  await row.getByRole('button', { name: 'Deactivate vera@kinobill.local' }).click();
  await expect(row.locator('.status-pill')).toHaveText('Deactivated');
  await vera.goto('/admin/tariffs');
  await expect(vera).toHaveURL(/\/admin\/login/);
  await context.close();
});

test('an admin creates an API token, sees it once and revokes it', async ({ page }) => {
  await signedIn(page, STAFF.admin);
  await page.goto('/admin/staff');
  await hydrated(page);
  await page.getByRole('button', { name: `API tokens of ${STAFF.support.email}` }).click();
  const panel = page.locator('section.tokens-panel');
  await expect(panel.getByRole('heading', { name: `API tokens of ${STAFF.support.email}` })).toBeVisible();
  await panel.getByRole('button', { name: 'Create token' }).click();
  const token = panel.getByLabel('New API token');
  await expect(token).toHaveValue(/^kbs_[0-9a-f]{64}$/);
  const rows = panel.locator('tbody tr');
  await expect(rows.first().locator('td[data-label="Status"]')).toHaveText('Active');
  await page.screenshot({ path: 'screenshots/desktop-admin-staff-tokens.png', fullPage: true });
  await rows.first().getByRole('button', { name: /^Revoke token/ }).click();
  await expect(rows.first().locator('td[data-label="Status"]')).toHaveText(/^Revoked /);

  await page.setViewportSize({ width: 390, height: 844 });
  await fitsWidth(page);
  await page.screenshot({ path: 'screenshots/phone-admin-staff.png', fullPage: true });
});

test('a member changes their own password; the form checks it first', async ({ page }) => {
  await signedIn(page, STAFF.marketing);
  await page.locator('.who-name').click();
  await expect(page).toHaveURL(/\/admin\/account$/);
  await hydrated(page);
  await page.getByLabel('Current password').fill(STAFF.marketing.password);
  await page.getByLabel('New password', { exact: true }).fill('marketing-new-password');
  await page.getByLabel('New password again').fill('marketing-other-password');
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page.locator('#password-repeat-error')).toHaveText('the two new passwords differ');
  await page.getByLabel('Current password').fill('not-my-password');
  await page.getByLabel('New password again').fill('marketing-new-password');
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page.locator('#password-current-error')).toHaveText('The current password is not right.');
  await page.screenshot({ path: 'screenshots/desktop-admin-account.png', fullPage: true });
  // Put it back as it was, for the other specs.
  await page.getByLabel('Current password').fill(STAFF.marketing.password);
  await page.getByLabel('New password', { exact: true }).fill(STAFF.marketing.password);
  await page.getByLabel('New password again').fill(STAFF.marketing.password);
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Your password is changed.' })).toBeVisible();
});
