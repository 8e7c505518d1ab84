import { test, expect } from '@playwright/test';
import { hydrated, plain } from './helpers';

const amount = async (page: import('@playwright/test').Page, code: string) =>
  plain(await page.locator(`article.tariff-card[data-code="${code}"] .tariff-price .amount`).textContent());

test('the months selector reprices every tariff in the browser, without a request', async ({ page }) => {
  await page.goto('/');
  await hydrated(page);
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));

  await page.getByLabel('Pay for').selectOption('12');
  // Premium: 499 x 12 = 5 988,00, minus 20 % for 12+ months = 4 790,40.
  await expect.poll(() => amount(page, 'premium')).toBe('4 790,40 ₽');
  await expect(page.locator('article[data-code="premium"] .per')).toHaveText(' for 12 months');
  await expect(page.locator('article[data-code="premium"] .saving')).toContainText('−20 %');
  expect(plain(await page.locator('article[data-code="premium"] .list-price').textContent())).toBe('5 988,00 ₽');

  await page.getByLabel('Pay for').selectOption('2');
  await expect.poll(() => amount(page, 'classic')).toBe('598,00 ₽');
  expect(requests).toEqual([]);
});

test('a promo code is checked by the server and applied to the totals', async ({ page }) => {
  await page.goto('/');
  await hydrated(page);
  await page.getByLabel('Promo code').fill('kino150');
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page.locator('.promo-ok')).toContainText('KINO150 applied: −150,00');
  await expect.poll(() => amount(page, 'classic')).toBe('149,00 ₽');
  await expect(page.locator('article[data-code="classic"] .saving')).toContainText('promo code KINO150');

  // With 12 months the bigger month discount wins; the promo does not stack on top.
  await page.getByLabel('Pay for').selectOption('12');
  await expect.poll(() => amount(page, 'classic')).toBe('2 870,40 ₽');
  await page.screenshot({ path: 'screenshots/desktop-landing-priced.png', fullPage: true });
});

test('a refused promo code shows the precise reason next to the field', async ({ page }) => {
  await page.goto('/');
  await hydrated(page);
  await page.getByLabel('Promo code').fill('NOPE-NOPE');
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page.locator('#promo-code-status .field-error')).toHaveText('There is no promo code NOPE-NOPE.');
  await expect(page.getByLabel('Promo code')).toHaveAttribute('aria-invalid', 'true');

  // A malformed code is refused in the browser with the domain's own message.
  await page.getByLabel('Promo code').fill('a b');
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page.locator('#promo-code-status .field-error')).toHaveText("a promo code has 3–32 letters, digits or '-'");
  expect(await amount(page, 'classic')).toBe('299,00 ₽');
});
