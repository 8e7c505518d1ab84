import { test, expect } from '@playwright/test';
import { hydrated, signedIn, STAFF } from './helpers';

// Every page sends a Content Security Policy whose scripts need this response's nonce.
// The hydrated app must run under it: no violation on the customer's pages or the
// console, and the app still hydrates.
test('the pages hydrate under their Content Security Policy', async ({ page }) => {
  const violations: string[] = [];
  page.on('console', (msg) => {
    if (/Content Security Policy/i.test(msg.text())) violations.push(msg.text());
  });
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`Content Security Policy violation: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  for (const path of ['/', '/sign-in', '/admin/login']) {
    const res = await page.goto(path);
    expect(res?.headers()['content-security-policy']).toContain("'nonce-");
    await hydrated(page);
  }
  await signedIn(page, STAFF.admin);
  await hydrated(page);
  await page.goto('/admin/payments');
  await hydrated(page);
  expect(violations).toEqual([]);
});
