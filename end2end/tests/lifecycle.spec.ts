import { test, expect, type Page } from '@playwright/test';
import { STAFF, buy, customerSignIn, hydrated, signedIn } from './helpers';

// Runs against its own server with the test clock on (project "test-clock").

const DAY = 24 * 60 * 60 * 1000;

/** The admin console's test clock: picks a step and advances; returns the new "now". */
async function advance(admin: Page, step: string, label: string): Promise<Date> {
  const before = await admin.getByTestId('test-clock-now').getAttribute('datetime');
  await admin.getByLabel('Move forward by').selectOption({ label });
  await admin.getByRole('button', { name: 'Advance' }).click();
  await expect(admin.getByTestId('test-clock-now')).not.toHaveAttribute('datetime', before ?? '');
  expect(step).toBeTruthy();
  return new Date((await admin.getByTestId('test-clock-now').getAttribute('datetime'))!);
}

/** Moves the clock forward by whole days, one console step at a time. */
async function advanceDays(admin: Page, days: number) {
  const steps: [number, string][] = [[30, '30 days'], [27, '27 days'], [7, '7 days'], [3, '3 days'], [2, '2 days'], [1, '1 day']];
  let left = days;
  for (const [n, label] of steps) {
    while (left >= n) {
      await advance(admin, `P${n}D`, label);
      left -= n;
    }
  }
}

async function periodEnd(page: Page): Promise<Date> {
  await page.goto('/account');
  await hydrated(page);
  return new Date((await page.locator('section.subscription').getAttribute('data-period-end'))!);
}

async function serverNow(admin: Page): Promise<Date> {
  return new Date((await admin.getByTestId('test-clock-now').getAttribute('datetime'))!);
}

/** Reloads the account page until `check` passes: the worker runs in the background. */
async function eventually(page: Page, check: () => Promise<void>) {
  await expect(async () => {
    await page.goto('/account');
    await hydrated(page);
    await check();
  }).toPass({ timeout: 20_000, intervals: [500, 1000, 2000] });
}

test('a saved card renews, reminds, then fails into grace and the subscription ends', async ({ page, browser }) => {
  test.setTimeout(180_000);
  await customerSignIn(page, 'customer04@example.com');
  await buy(page, 'premium', '4242 4242 4242 4242');
  await expect(page.getByRole('heading', { name: 'Payment received' })).toBeVisible();
  const end = await periodEnd(page);

  const admin = await browser.newPage();
  await signedIn(admin, STAFF.admin);
  await expect(admin.getByTestId('test-clock-now')).toBeVisible();
  await admin.screenshot({ path: 'screenshots/desktop-admin-test-clock.png' });

  // 27 days on (a 30-day month; longer months need a day or so more): the reminder.
  const untilReminder = Math.ceil((end.getTime() - 3 * DAY - (await serverNow(admin)).getTime()) / DAY);
  await advanceDays(admin, Math.max(untilReminder, 1));
  await eventually(page, async () => {
    await expect(page.locator('ul.notifications li[data-kind="subscription_ending"]')).toHaveCount(1);
  });
  await expect(page.locator('ul.notifications li[data-kind="subscription_ending"]')).toContainText('renews automatically');

  // Two more days: inside the last 24 hours, the saved card pays for the next month.
  await advanceDays(admin, 2);
  await eventually(page, async () => {
    await expect(page.locator('table.payments tr[data-status="succeeded"]')).toHaveCount(2);
  });
  await expect(page.locator('ul.notifications li[data-kind="subscription_renewed"]')).toHaveCount(1);
  await expect(page.getByTestId('subscription-status')).toHaveText('Active');
  await page.screenshot({ path: 'screenshots/desktop-account-renewed.png', fullPage: true });
  const nextEnd = await periodEnd(page);
  expect(nextEnd.getTime()).toBeGreaterThan(end.getTime() + 27 * DAY);

  // The card starts failing (the sandbox's saved-card page).
  await page.goto('/sandbox/cards');
  const card = page.locator('li.saved').first();
  await card.getByLabel('Behave like test card').fill('4000 0000 0000 0002');
  await card.getByRole('button', { name: 'Save card behaviour' }).click();
  await expect(page.locator('li.saved input').first()).toHaveValue('4000000000000002');

  // Past the period end: the renewal fails and the subscription is in grace.
  const untilEnd = Math.ceil((nextEnd.getTime() - (await serverNow(admin)).getTime()) / DAY);
  await advanceDays(admin, untilEnd);
  await eventually(page, async () => {
    await expect(page.getByTestId('subscription-status')).toHaveText('Renewal overdue (grace period)');
  });
  await expect(page.locator('ul.notifications li[data-kind="renewal_failed"]').first()).toContainText('declined');
  await page.screenshot({ path: 'screenshots/desktop-account-grace.png', fullPage: true });

  // Grace is two days: then it ends and access is gone.
  await advanceDays(admin, 2);
  await eventually(page, async () => {
    await expect(page.getByTestId('subscription-status')).toHaveText('Ended');
  });
  await expect(page.getByTestId('access-until')).toHaveText('—');
  await expect(page.locator('ul.notifications li[data-kind="subscription_ended"]')).toHaveCount(1);
  await page.screenshot({ path: 'screenshots/desktop-account-ended.png', fullPage: true });

  // The admin sees the traffic in the outbox.
  await admin.getByRole('link', { name: 'Outbox' }).click();
  await expect(admin).toHaveURL(/\/admin\/outbox/);
  await hydrated(admin);
  await admin.getByTestId('tab-delivered').click();
  await expect(admin.locator('table.outbox tbody tr[data-kind="subscription.expired"]')).toHaveCount(1);
  await admin.screenshot({ path: 'screenshots/desktop-admin-outbox.png', fullPage: true });
});
