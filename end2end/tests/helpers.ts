import { expect, type Page } from '@playwright/test';

export const STAFF = {
  admin: { email: 'admin@kinobill.local', password: 'kinobill-admin', name: 'Alexandra Admin' },
  marketing: { email: 'marketing@kinobill.local', password: 'kinobill-marketing', name: 'Maxim Marketing' },
  support: { email: 'support@kinobill.local', password: 'kinobill-support', name: 'Sofia Support' },
};

/** Waits until the WASM bundle has hydrated the page (the app marks <body>). */
export async function hydrated(page: Page) {
  await expect(page.locator('body[data-hydrated="true"]')).toHaveCount(1);
}

export async function signIn(page: Page, who: { email: string; password: string }) {
  await page.goto('/admin/login');
  await hydrated(page);
  await page.getByLabel('E-mail').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Money on the page uses no-break spaces; compare with plain ones. */
export function plain(text: string | null): string {
  return (text ?? '').replace(/[\u00a0\u202f]/g, ' ');
}

/** Signs in and waits until the console has loaded. */
export async function signedIn(page: Page, who: { email: string; password: string }) {
  await signIn(page, who);
  await expect(page).toHaveURL(/\/admin\/tariffs/);
}
