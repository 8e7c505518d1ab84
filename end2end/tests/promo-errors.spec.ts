import { test, expect, type Page } from '@playwright/test';
import { buy, customerSignIn, hydrated, staffApiToken } from './helpers';

// Every way a promo code can be refused, as a customer meets it on the tariffs page.
// The codes are set up over the REST API with a staff token minted by the CLI.

async function apply(page: Page, code: string) {
  await page.getByLabel('Promo code').fill(code);
  await page.getByRole('button', { name: 'Apply' }).click();
}

const status = (page: Page) => page.locator('#promo-code-status .field-error');

test.beforeAll(async ({ request }) => {
  const token = staffApiToken('marketing@kinobill.local');
  const headers = { Authorization: `Bearer ${token}` };
  const tariffs = (await (await request.get('/api/v1/tariffs')).json()).data as { id: string; code: string }[];
  const family = tariffs.find((t) => t.code === 'family')!.id;
  // Idempotent: Playwright runs beforeAll again in a new worker after a failure.
  const create = async (body: { code: string; [k: string]: unknown }) => {
    const res = await request.post('/api/v1/admin/promo-codes', { headers, data: body });
    if (res.status() === 409) return null;
    expect(res.status(), JSON.stringify(body)).toBe(201);
    return (await res.json()).id as string;
  };
  const off = await create({ code: 'E2E-OFF', percent: 10 });
  if (off) {
    expect((await request.patch(`/api/v1/admin/promo-codes/${off}`, { headers, data: { active: false } })).status()).toBe(200);
  }
  await create({ code: 'E2E-OLD', percent: 10, valid_until: '2020-01-01' });
  await create({ code: 'E2E-SOON', percent: 10, valid_from: '2099-01-01' });
  await create({ code: 'E2E-FAMILY', percent: 10, tariff_ids: [family] });
  await create({ code: 'E2E-ONE', percent: 10, max_redemptions: 1 });
  await create({ code: 'E2E-ONCE', percent: 5 });
});

test('refused promo codes say exactly why', async ({ page }) => {
  await page.goto('/');
  await hydrated(page);
  await apply(page, 'E2E-NOPE');
  await expect(status(page)).toHaveText('There is no promo code E2E-NOPE.');
  await apply(page, 'e2e-off');
  await expect(status(page)).toHaveText('The promo code E2E-OFF has been switched off.');
  await apply(page, 'E2E-OLD');
  await expect(status(page)).toHaveText('The promo code E2E-OLD has expired.');
  await apply(page, 'E2E-SOON');
  await expect(status(page)).toHaveText('The promo code E2E-SOON is not valid yet.');

  // Scoped to Family: accepted, but the other tariffs say it does not apply to them.
  await apply(page, 'E2E-FAMILY');
  await expect(page.locator('.promo-ok')).toContainText('E2E-FAMILY applied');
  await expect(page.locator('article[data-code="classic"] .not-applicable')).toHaveText(
    'Promo code E2E-FAMILY does not apply to this tariff.',
  );
  await expect(page.locator('article[data-code="family"] .saving')).toContainText('promo code E2E-FAMILY');
});

test('a used-up code and a code already used by this customer are refused', async ({ page }) => {
  await customerSignIn(page, 'customer04@example.com');
  await apply(page, 'E2E-ONE');
  await expect(page.locator('.promo-ok')).toContainText('E2E-ONE applied');
  await buy(page, 'classic', '4242424242424242');
  await expect(page.getByRole('heading', { name: 'Payment received' })).toBeVisible();

  await page.goto('/');
  await hydrated(page);
  await apply(page, 'E2E-ONCE');
  await expect(page.locator('.promo-ok')).toContainText('E2E-ONCE applied');
  await buy(page, 'classic', '4242424242424242');
  await expect(page.getByRole('heading', { name: 'Payment received' })).toBeVisible();

  await page.goto('/');
  await hydrated(page);
  await apply(page, 'E2E-ONE');
  await expect(status(page)).toHaveText('The promo code E2E-ONE has been used up.');
  await apply(page, 'E2E-ONCE');
  await expect(status(page)).toHaveText('You have already used the promo code E2E-ONCE.');
  await page.screenshot({ path: 'screenshots/desktop-promo-already-used.png', fullPage: true });
});

test('a signed-in customer sees their personal discount in the prices', async ({ page, request }) => {
  const token = staffApiToken('marketing@kinobill.local');
  // customer06 gets 30 %: more than any month discount, so it wins for every length.
  await customerSignIn(page, 'customer06@example.com');
  const me = await page.evaluate(async () => {
    const r = await fetch('/rpc/current_customer', { method: 'POST' });
    return r.json();
  });
  const res = await request.put(`/api/v1/admin/customers/${me.id}/discount`, {
    headers: { Authorization: `Bearer ${token}` },
    data: { percent: 30, reason: 'E2E loyal viewer' },
  });
  expect(res.status()).toBe(200);
  await page.reload();
  await hydrated(page);
  await expect(page.locator('.personal-discount-note')).toHaveText(
    'Your personal discount of 30 % is taken into account below.',
  );
  // Premium 499,00 − 30 % = 349,30.
  await expect(page.locator('article[data-code="premium"] .tariff-price .amount')).toHaveText(/349,30/);
  await expect(page.locator('article[data-code="premium"] .saving')).toContainText('your personal discount');
});
