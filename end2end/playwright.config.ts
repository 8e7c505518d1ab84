import { defineConfig, devices } from '@playwright/test';
import * as os from 'node:os';
import * as path from 'node:path';

// The server under test is the release build, started fresh on its own SQLite file with
// demo data. scripts/e2e.sh sets these; the defaults make `npx playwright test` work alone.
const port = Number(process.env.E2E_PORT ?? 3100);
const dbFile = process.env.E2E_DB_FILE ?? path.join(os.tmpdir(), `kinobill-e2e-${port}.db`);
const repoRoot = path.resolve(__dirname, '..');
// A second server with the test clock on, for the lifecycle spec: moving its time must
// not disturb the other specs' server.
const clockPort = Number(process.env.E2E_CLOCK_PORT ?? port + 1);
const clockDbFile = process.env.E2E_CLOCK_DB_FILE ?? path.join(os.tmpdir(), `kinobill-e2e-clock-${clockPort}.db`);

// A third server whose provider is YooKassa, pointed at its own YooKassa personality:
// the real adapter end to end, with the sandbox's page and test cards.
const ykPort = Number(process.env.E2E_YK_PORT ?? port + 2);
const ykDbFile = process.env.E2E_YK_DB_FILE ?? path.join(os.tmpdir(), `kinobill-e2e-yk-${ykPort}.db`);

// A fourth, the same with CloudPayments and its personality.
const cpPort = Number(process.env.E2E_CP_PORT ?? port + 3);
const cpDbFile = process.env.E2E_CP_DB_FILE ?? path.join(os.tmpdir(), `kinobill-e2e-cp-${cpPort}.db`);

function server(p: number, db: string, env: Record<string, string>) {
  return {
    command: `rm -f "${db}" "${db}-wal" "${db}-shm" && exec "${repoRoot}/target/release/server" serve`,
    cwd: repoRoot,
    url: `http://127.0.0.1:${p}/readyz`,
    timeout: 60_000,
    reuseExistingServer: false,
    stdout: 'pipe' as const,
    stderr: 'pipe' as const,
    env: {
      DATABASE_URL: `sqlite://${db}?mode=rwc`,
      KINOBILL__SERVER__ADDR: `127.0.0.1:${p}`,
      KINOBILL__DEMO__SEED: 'true',
      // One browser runs the whole suite from one address, faster than any person.
      KINOBILL__RATE_LIMIT__PER_SECOND: '0',
      LEPTOS_SITE_ROOT: path.join(repoRoot, 'target', 'site'),
      RUST_LOG: 'warn',
      ...env,
    },
  };
}

const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export default defineConfig({
  testDir: './tests',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: [['list']],
  outputDir: './test-results',
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: chromiumArgs,
    },
  },
  projects: [
    {
      name: 'desktop',
      testIgnore: /(lifecycle|yookassa|cloudpayments)\.spec\.ts/,
      use: { ...devices['Desktop Chrome'], viewport: { width: 1280, height: 800 }, baseURL: `http://127.0.0.1:${port}` },
    },
    {
      name: 'test-clock',
      testMatch: /lifecycle\.spec\.ts/,
      use: { ...devices['Desktop Chrome'], viewport: { width: 1280, height: 800 }, baseURL: `http://127.0.0.1:${clockPort}` },
    },
    {
      name: 'yookassa',
      testMatch: /yookassa\.spec\.ts/,
      use: { ...devices['Desktop Chrome'], viewport: { width: 1280, height: 800 }, baseURL: `http://127.0.0.1:${ykPort}` },
    },
    {
      name: 'cloudpayments',
      testMatch: /cloudpayments\.spec\.ts/,
      use: { ...devices['Desktop Chrome'], viewport: { width: 1280, height: 800 }, baseURL: `http://127.0.0.1:${cpPort}` },
    },
  ],
  webServer: [
    server(port, dbFile, {}),
    server(clockPort, clockDbFile, { KINOBILL__CLOCK: 'test', KINOBILL__WORKER__INTERVAL: 'PT1S' }),
    server(ykPort, ykDbFile, {
      KINOBILL__PAYMENTS__PROVIDER: 'yookassa',
      KINOBILL__YOOKASSA__SHOP_ID: '100500',
      KINOBILL__YOOKASSA__SECRET_KEY: 'test_e2e_personality_secret',
      KINOBILL__YOOKASSA__API_URL: '/sandbox/yookassa/v3',
    }),
    server(cpPort, cpDbFile, {
      KINOBILL__PAYMENTS__PROVIDER: 'cloudpayments',
      KINOBILL__CLOUDPAYMENTS__PUBLIC_ID: 'pk_e2e_personality',
      KINOBILL__CLOUDPAYMENTS__API_SECRET: 'test_e2e_cloudpayments_secret',
      KINOBILL__CLOUDPAYMENTS__API_URL: '/sandbox/cloudpayments',
    }),
  ],
});
