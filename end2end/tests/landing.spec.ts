import { test, expect } from '@playwright/test';
import { hydrated, plain } from './helpers';

test('the landing page lists the seeded tariffs with monthly prices', async ({ page }) => {
  await page.goto('/');
  const cards = page.locator('article.tariff-card');
  await expect(cards).toHaveCount(3);
  await expect(cards.locator('h3')).toHaveText(['Classic', 'Premium', 'Family']);
  const prices = (await cards.locator('.tariff-price .amount').allTextContents()).map(plain);
  expect(prices).toEqual(['299,00 ₽', '499,00 ₽', '1 249,50 ₽']);
});

test('after hydration a click reveals the films of a tariff without a reload', async ({ page }) => {
  await page.goto('/');
  await hydrated(page);
  const premium = page.locator('article.tariff-card[data-code="premium"]');
  const films = premium.locator('ul.film-list');
  await expect(films).toBeHidden();

  let navigations = 0;
  page.on('framenavigated', () => navigations++);
  const toggle = premium.getByRole('button', { name: 'Show 4 films' });
  await expect(toggle).toHaveAttribute('aria-expanded', 'false');
  await toggle.click();

  await expect(films).toBeVisible();
  await expect(films.locator('.film-title')).toHaveText(['The Cranes Are Flying', 'Solaris', 'Stalker', 'Leviathan']);
  await expect(premium.getByRole('button', { name: 'Hide films' })).toHaveAttribute('aria-expanded', 'true');
  expect(navigations).toBe(0);
});

test('an unknown page shows the 404 page', async ({ page }) => {
  const res = await page.goto('/this/does/not/exist');
  expect(res?.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'This page does not exist' })).toBeVisible();
});
