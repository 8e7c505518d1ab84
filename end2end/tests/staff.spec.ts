import { test, expect } from '@playwright/test';
import { STAFF, hydrated, plain, signIn } from './helpers';

test('a staff member signs in and sees the tariffs list', async ({ page }) => {
  await signIn(page, STAFF.marketing);
  // The console opens on the dashboard; the nav leads to the price list.
  await expect(page).toHaveURL(/\/admin$/);
  await page.getByRole('navigation', { name: 'Console sections' }).getByRole('link', { name: 'Tariffs' }).click();
  await expect(page).toHaveURL(/\/admin\/tariffs$/);
  await expect(page.getByRole('heading', { name: 'Tariffs', level: 1 })).toBeVisible();
  await expect(page.locator('.who-name')).toHaveText(STAFF.marketing.name);
  await expect(page.locator('.role-badge')).toHaveText('Marketing');
  const rows = page.locator('table.data-table tbody tr');
  await expect(rows).toHaveCount(3);
  await expect(rows.locator('td[data-label="Name"] .strong')).toHaveText(['Classic', 'Family', 'Premium']);
  expect(plain(await page.locator('tr[data-code="premium"] td.money').textContent())).toBe('499,00 ₽');
});

test('a wrong password shows the error and stays on the sign-in page', async ({ page }) => {
  await signIn(page, { email: STAFF.admin.email, password: 'definitely-wrong' });
  await expect(page.getByRole('alert')).toHaveText('Wrong e-mail or password.');
  await expect(page).toHaveURL(/\/admin\/login/);
  await page.goto('/admin/tariffs');
  await expect(page).toHaveURL(/\/admin\/login\?next=/);
});

test('the browser checks the e-mail before sending anything', async ({ page }) => {
  await page.goto('/admin/login');
  await hydrated(page);
  let posted = false;
  page.on('request', (r) => {
    if (r.method() === 'POST') posted = true;
  });
  await page.getByLabel('E-mail').fill('not-an-email');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.locator('#login-email-error')).toHaveText('enter an e-mail address like name@example.com');
  await expect(page.locator('#login-password-error')).toHaveText('enter your password');
  await expect(page.getByLabel('E-mail')).toHaveAttribute('aria-invalid', 'true');
  expect(posted).toBe(false);
});

test('search and status filters narrow the tariffs table', async ({ page }) => {
  await signIn(page, STAFF.support);
  await expect(page).toHaveURL(/\/admin$/);
  await page.goto('/admin/tariffs');
  await hydrated(page);
  await page.getByLabel('Search').fill('prem');
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(/q=prem/);
  await expect(page.locator('table.data-table tbody tr')).toHaveCount(1);
  await page.getByLabel('Search').fill('no-such-tariff');
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page.getByText('No tariffs match these filters')).toBeVisible();
  await page.getByRole('link', { name: 'Clear filters' }).click();
  await expect(page.locator('table.data-table tbody tr')).toHaveCount(3);
});

test('signing out ends the session', async ({ page }) => {
  await signIn(page, STAFF.admin);
  await expect(page).toHaveURL(/\/admin$/);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/admin\/login\?signed_out=1/);
  await expect(page.getByRole('status').filter({ hasText: 'You have signed out.' })).toBeVisible();
  await page.goto('/admin/tariffs');
  await expect(page).toHaveURL(/\/admin\/login/);
});
