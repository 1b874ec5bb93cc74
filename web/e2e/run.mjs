// End-to-end tests of the web UI in Debian's Chromium (playwright-core, headless) against real
// partnercloud processes: a sandbox and `partnercloud demo` on free ports with a fresh data
// folder. Usage: node e2e/run.mjs --binary BUILD/partnercloud [--out BUILD/screenshots]
// Prints "N passed, N failed"; exits 1 on any failure. Bounded: the whole run stops at 9 min.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { Api, checkA11y, Proc, Steps, waitFor } from './lib.mjs';
import { supportScenario } from './support.mjs';
import { governanceScenario } from './governance.mjs';
import { costControlScenario, startReceiver } from './costcontrol.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const webDir = path.resolve(here, '..');
const arg = (name, def) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : def;
};
const binary = path.resolve(arg('--binary', path.join(webDir, '../build-asan/partnercloud')));
const shots = path.resolve(arg('--out', path.join(path.dirname(binary), 'screenshots')));
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const DEADLINE_MS = 9 * 60 * 1000;

// Whatever happens, the servers this run started end with it.
const procs = [];
function killAll() {
  for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
}
const killer = setTimeout(() => {
  console.log(`FAIL the run took longer than ${DEADLINE_MS / 1000} s\n0 passed, 1 failed`);
  killAll();
  process.exit(1);
}, DEADLINE_MS);
killer.unref();
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => {
    killAll();
    process.exit(1);
  });
}

for (const [what, p] of [
  ['partnercloud binary', binary],
  ['Chromium (Debian package chromium; scripts/setup.sh installs it)', chromiumPath],
]) {
  if (!fs.existsSync(p)) {
    console.log(`FAIL ${what} not found at ${p}\n0 passed, 1 failed`);
    process.exit(1);
  }
}
if (!fs.existsSync(path.join(webDir, 'dist/index.html'))) {
  console.log('building web/dist (npm run build)');
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: webDir, stdio: 'inherit' });
}
fs.mkdirSync(shots, { recursive: true });
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pc-web-e2e-'));
const data = path.join(dir, 'data');
const steps = new Steps();

const TERRITORIES_WITH_GB = ['--set', 'onboarding.allowed_territories=US,GB'];
let sandbox;
let demo;
let browser;

async function startDemo(name, extra = []) {
  // No made-up past (--history 0): the flow below onboards ACME itself and expects its first
  // provider to reveal the new tenant's admin login; the history has its own tests.
  const p = new Proc(name, binary, ['demo', '--data', data, '--sandbox-url', sandbox.url, '--history', '0', ...extra], dir);
  procs.push(p);
  return p.ready();
}

// ---- what every page must satisfy --------------------------------------------------------
const foreignRequests = [];
const cspViolations = [];
const eventStreams = [];
function watch(page, base) {
  const host = new URL(base).host;
  page.on('request', (r) => {
    const u = new URL(r.url());
    if ((u.protocol === 'http:' || u.protocol === 'https:') && u.host !== host) foreignRequests.push(r.url());
  });
  page.on('response', (r) => {
    if (/\/api\/v1\/providers\/[^/]+\/events$/.test(new URL(r.url()).pathname)) {
      eventStreams.push(`${r.status()} ${r.headers()['content-type'] ?? ''}`);
    }
  });
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
  });
}

async function newContext(viewport) {
  const ctx = await browser.newContext({ viewport, acceptDownloads: true, deviceScaleFactor: 1 });
  const page = await ctx.newPage();
  page.setDefaultTimeout(15000);
  watch(page, demo.url);
  return { ctx, page };
}

async function login(page, email) {
  await page.goto(`${demo.url}/login`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('demo');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('button', { name: 'Log out' }).waitFor();
}

const shot = (page, name, size) => page.screenshot({ path: path.join(shots, `${name}-${size}.png`), fullPage: true });
const checked = new Set();
async function visit(page, name, size) {
  await page.waitForLoadState('networkidle');
  await page.getByRole('status').filter({ hasText: 'Loading' }).first().waitFor({ state: 'detached', timeout: 10000 }).catch(() => {});
  await shot(page, name, size);
  if (!checked.has(`${name}`)) {
    await checkA11y(page, name);
    checked.add(name);
  }
}

// Presses Tab until the focused element's accessible name matches; keyboard only.
async function tabTo(page, pattern, max = 80) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const name = await page.evaluate(() => {
      const e = document.activeElement;
      if (!e) return '';
      let label = e.getAttribute('aria-label');
      if (label === null && e.labels?.[0]) {
        // The label's own words, without the texts of the control inside it (a select's options).
        const copy = e.labels[0].cloneNode(true);
        copy.querySelectorAll('select, input, textarea').forEach((c) => c.remove());
        label = copy.textContent;
      }
      return (label ?? e.textContent ?? '').replace(/\s+/g, ' ').trim();
    });
    if (pattern.test(name)) return name;
  }
  throw new Error(`Tab never reached ${pattern}`);
}

function usageCsv(customerId, subscriptionId) {
  const now = new Date();
  const month = now.toISOString().slice(0, 7);
  const today = now.getUTCDate();
  let csv = 'PartnerId,CustomerId,EntitlementId,UsageDate,MeterCategory,ResourceURI,UnitPrice,Quantity,BillingPreTaxTotal,BillingCurrency,Tags,BenefitId\r\n';
  for (let d = 1; d <= today; d++) {
    const day = `${month}-${String(d).padStart(2, '0')}`;
    csv += `p,${customerId},${subscriptionId},${day}T00:00:00Z,"Virtual Machines",/r/vm${d},0.125,${24 + (d % 5)},0,USD,,\r\n`;
    csv += `p,${customerId},${subscriptionId},${day}T00:00:00Z,"Storage",/r/disk${d},0.0333,${10 + d},0,USD,,\r\n`;
  }
  return csv;
}

// ---- the run ------------------------------------------------------------------------------
let acmeProvider = null;
let britProviderId = null;
let receiver = null;
try {
  await steps.run('start sandbox and browser', async () => {
    sandbox = new Proc('sandbox', binary, ['sandbox'], dir);
    procs.push(sandbox);
    await sandbox.ready();
    browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  // A provider on BRIT saved while GB is allowed, whose job runs once GB is no longer
  // allowed: it stops with the territory message, for the operator to resume later.
  await steps.run('prepare a job that will stop (BRIT, territory)', async () => {
    demo = await startDemo('demo-setup', [...TERRITORIES_WITH_GB, '--set', 'jobs.workers=0']);
    const admin = await new Api(demo.url).login('admin@acme.example');
    const conn = await admin.call('POST', '/api/v1/clc/connections', { username: 'brit.admin', password: 'sandbox' });
    if (conn.status !== 201) throw new Error(`connect brit: ${conn.status} ${conn.text}`);
    const terms = (await admin.call('GET', '/api/v1/terms')).json;
    const created = await admin.call('POST', '/api/v1/providers', {
      name: 'Brit Azure', type: 'azure-resource-manager', mode: 'new-customer', connectionId: conn.json.connectionId, billingAlias: 'BRIT',
      terms: { centurylink: terms.centurylink.version, microsoft: { templateId: terms.microsoft.templateId, contact: { firstName: 'Bea', lastName: 'Brit', email: 'bea@brit.example', phoneNumber: '4255550199' } } },
    });
    if (created.status !== 202) throw new Error(`create brit: ${created.status} ${created.text}`);
    britProviderId = created.json.id;
    await demo.stop();
    demo = await startDemo('demo');
  }, { needs: ['start sandbox and browser'] });

  const base = ['start sandbox and browser', 'prepare a job that will stop (BRIT, territory)'];
  let desktop;
  await steps.run('serving: deep links, assets, headers, API 404', async () => {
    const deep = await fetch(`${demo.url}/providers/123`);
    const html = await deep.text();
    if (deep.status !== 200 || !html.includes('<div id="root">')) throw new Error(`deep link: ${deep.status}`);
    const csp = deep.headers.get('content-security-policy') ?? '';
    for (const part of ["default-src 'self'", "frame-ancestors 'none'", "script-src 'self'"]) if (!csp.includes(part)) throw new Error(`CSP lacks ${part}: ${csp}`);
    if (csp.includes('unsafe-inline')) throw new Error(`CSP allows inline: ${csp}`);
    if (deep.headers.get('x-content-type-options') !== 'nosniff') throw new Error('no nosniff');
    if (!deep.headers.get('referrer-policy')) throw new Error('no Referrer-Policy');
    if (!/no-cache/.test(deep.headers.get('cache-control') ?? '')) throw new Error('index.html is cached');
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    if (!asset) throw new Error('no script asset in index.html');
    if (/<script(?![^>]*src=)[^>]*>/.test(html)) throw new Error('inline script in index.html');
    const a = await fetch(demo.url + asset);
    if (a.status !== 200 || a.headers.get('cache-control') !== 'public, max-age=31536000, immutable') throw new Error(`asset: ${a.status} ${a.headers.get('cache-control')}`);
    if (!/javascript/.test(a.headers.get('content-type') ?? '')) throw new Error('asset content type');
    const missing = await fetch(`${demo.url}/assets/nope-123.js`);
    if (missing.status !== 404) throw new Error(`missing asset: ${missing.status}`);
    const api404 = await fetch(`${demo.url}/api/v1/no-such-thing`);
    const body = await api404.json();
    if (api404.status !== 404 || body.error?.code !== 'NotFound') throw new Error(`api 404: ${api404.status}`);
    const served = await (await fetch(`${demo.url}/api/v1/openapi.json`)).json();
    const file = JSON.parse(fs.readFileSync(path.join(webDir, '../api/openapi.json'), 'utf8'));
    if (JSON.stringify(served) !== JSON.stringify(file)) throw new Error('served OpenAPI document differs from api/openapi.json');
  }, { needs: base });

  await steps.run('login: wrong password in words, then log in', async () => {
    desktop = await newContext({ width: 1280, height: 800 });
    const { page } = desktop;
    const res = await page.goto(`${demo.url}/providers`);
    if (!res.headers()['content-security-policy']) throw new Error('page without CSP');
    await page.waitForURL(/\/login$/);
    await visit(page, '01-login', 'desktop');
    await page.getByLabel('Email').fill('admin@acme.example');
    await page.getByLabel('Password').fill('wrong password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').filter({ hasText: 'The email or password is not right' }).waitFor();
    await shot(page, '01-login-error', 'desktop');
    // Too many failures on one account: 429, and the wait said in words.
    await page.getByLabel('Email').fill('dev@acme.example');
    let locked = false;
    for (let i = 0; i < 8 && !locked; i++) {
      await page.getByLabel('Password').fill(`wrong ${i}`);
      const [res] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/api/v1/session')),
        page.getByRole('button', { name: 'Log in' }).click(),
      ]);
      locked = res.status() === 429;
    }
    if (!locked) throw new Error('no 429 after 8 wrong passwords');
    await page.getByRole('alert').filter({ hasText: /Too many failed attempts\. Try again in \d+ (second|minute)/ }).waitFor();
    await shot(page, '01-login-locked', 'desktop');
    await page.getByLabel('Email').fill('admin@acme.example');
    await page.getByLabel('Password').fill('demo');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Providers' }).waitFor();
    await page.getByText('Acme', { exact: true }).waitFor();
    await page.getByText('admin@acme.example').waitFor();
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }));
    if (stored !== '{}') throw new Error(`localStorage is not empty: ${stored}`);
    const cookieJs = await page.evaluate(() => document.cookie);
    if (cookieJs.length) throw new Error(`session cookie readable by scripts: ${cookieJs}`);
  }, { needs: base });

  await steps.run('new provider through the dialog: CLC refusals, ACME, Save', async () => {
    const { page } = desktop;
    await page.getByRole('link', { name: 'Providers' }).click();
    await visit(page, '02-providers-empty', 'desktop');
    await page.getByRole('link', { name: 'New', exact: true }).click();
    await page.getByLabel('Find a provider').fill('azure');
    await visit(page, '03-provider-picker', 'desktop');
    await page.getByRole('link', { name: /Azure Resource Manager/ }).click();
    await page.getByRole('heading', { name: 'Azure Resource Manager' }).waitFor();
    const save = page.getByRole('button', { name: 'Save' });
    if (!(await save.isDisabled())) throw new Error('Save enabled on an empty form');
    const alias = page.getByLabel('Billing Alias');
    if (!(await alias.isDisabled())) throw new Error('Billing Alias enabled before connecting');
    if (!(await alias.textContent()).includes('Please connect a CenturyLink Cloud account')) throw new Error('alias placeholder');
    if ((await page.getByLabel('Description').inputValue()) !== 'Manage Microsoft services using Azure Resource Manager') throw new Error('description not prefilled');
    await page.getByLabel('Create a new Azure customer account').check();
    await page.getByLabel(/^Name/).fill('Acme Azure');
    await visit(page, '04-new-provider-form', 'desktop');
    await page.getByRole('button', { name: 'Connect a CenturyLink Cloud Account' }).click();
    const dialog = page.getByRole('dialog', { name: 'Connect a CenturyLink Cloud Account' });
    await dialog.waitFor();
    const connect = dialog.getByRole('button', { name: 'Connect' });
    if (!(await connect.isDisabled())) throw new Error('Connect enabled while empty');
    await dialog.getByLabel('Username').fill('acme.billing');
    if (!(await connect.isDisabled())) throw new Error('Connect enabled without a password');
    const tries = [
      ['acme.billing', 'A centuryLink Cloud account administrator for your account as the ability to provide access to you'],
      ['demo.admin', 'we are not able to provide this functionality for your account'],
      ['brit.admin', 'we are not able to provide that functionality for your account'],
    ];
    for (const [user, words] of tries) {
      await dialog.getByLabel('Username').fill(user);
      await dialog.getByLabel('Password').fill('sandbox');
      await connect.click();
      await dialog.getByRole('alert').filter({ hasText: words }).waitFor();
      if (user === 'acme.billing') await shot(page, '05-connect-dialog-refused', 'desktop');
      if (!(await dialog.isVisible())) throw new Error(`dialog closed after ${user}`);
    }
    await checkA11y(page, 'connect dialog');
    await dialog.getByLabel('Username').fill('acme.admin');
    await dialog.getByLabel('Password').fill('sandbox');
    await connect.click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByText('Connected as acme.admin').waitFor();
    const options = await alias.locator('option').allTextContents();
    for (const a of ['ACME', 'ACMD', 'ACMT']) if (!options.some((o) => o.startsWith(a))) throw new Error(`alias ${a} not offered: ${options}`);
    await alias.selectOption('ACME');
    await page.getByLabel(/CenturyLink.s terms and conditions/).check();
    await page.getByLabel('I accept the Microsoft Customer Agreement').check();
    if (!(await save.isDisabled())) throw new Error('Save enabled without the contact');
    await page.getByLabel('First name').fill('Ada');
    await page.getByLabel('Last name').fill('Admin');
    await page.getByLabel('Email').fill('ada@acme.example');
    await page.getByLabel('Phone').fill('425 555 0101');
    await shot(page, '06-new-provider-complete', 'desktop');
    await save.click();
    await page.waitForURL(/\/providers\/[^/]+$/);
  }, { needs: ['login: wrong password in words, then log in'] });

  await steps.run('the five steps finish and the provider is Ready', async () => {
    const { page } = desktop;
    const stepsList = page.getByRole('list', { name: 'Automated process' });
    await stepsList.waitFor();
    if ((await stepsList.getByRole('listitem').count()) !== 5) throw new Error('not five steps');
    await shot(page, '07-provider-processing', 'desktop');
    await page.getByText('Ready', { exact: true }).first().waitFor({ timeout: 90000 });
    const labels = await stepsList.getByRole('listitem').allTextContents();
    for (const [i, words] of ['Provides Microsoft your account details', 'Creates an Azure Customer account on your behalf', 'Creates a Microsoft Azure Subscription for that Customer account', 'Associates your Azure Customer account with your CenturyLink Cloud account', 'appropriate permissions to work on your behalf'].entries()) {
      if (!labels[i]?.includes(words) || !labels[i]?.includes('Done')) throw new Error(`step ${i + 1}: ${labels[i]}`);
    }
    // The page followed the steps through server-sent events (polling is the fallback).
    if (!eventStreams.some((e) => e.startsWith('200 text/event-stream'))) throw new Error(`no event stream: ${eventStreams}`);
    const id = page.url().split('/').pop();
    const admin = await new Api(demo.url).login('admin@acme.example');
    acmeProvider = (await admin.call('GET', `/api/v1/providers/${id}`)).json;
    if (acmeProvider.state !== 'ready') throw new Error(`API says ${acmeProvider.state}`);
    await visit(page, '08-provider-ready', 'desktop');
  }, { needs: ['new provider through the dialog: CLC refusals, ACME, Save'] });

  await steps.run('admin login shown once with copy and warning', async () => {
    const { page } = desktop;
    await page.getByRole('button', { name: 'Show the administrator login' }).click();
    await page.getByText(/Shown once/).waitFor();
    await page.getByRole('button', { name: 'Copy login' }).waitFor();
    await shot(page, '09-admin-login-once', 'desktop');
    await page.reload();
    await page.getByText('Ready', { exact: true }).first().waitFor();
    if (await page.getByRole('button', { name: 'Show the administrator login' }).count()) throw new Error('login offered twice');
  }, { needs: ['the five steps finish and the provider is Ready'] });

  // The support desk (e2e/support.mjs): needs ACME's ready provider (a CSP customer).
  await supportScenario({
    steps, demoUrl: demo.url, newContext, login, visit, shot,
    needs: ['the five steps finish and the provider is Ready'],
  });

  await steps.run('existing-account provider: wrong secret refused, right one ready, delete', async () => {
    const { page } = desktop;
    // An Azure subscription the customer runs itself, in the sandbox (the partner tenant).
    const tenant = '11111111-1111-4111-8111-111111111111';
    const sub = crypto.randomUUID();
    const made = await fetch(`${sandbox.url}/sandbox/control/azure-subscriptions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ subscriptionId: sub, tenantId: tenant, displayName: 'Acme Pay-As-You-Go' }),
    });
    if (made.status !== 201) throw new Error(`sandbox subscription: ${made.status} ${await made.text()}`);
    await page.goto(`${demo.url}/providers/new/azure-resource-manager`);
    await page.getByLabel('Use an existing Azure customer account').check();
    await page.getByLabel(/^Name/).fill('Acme own Azure');
    await page.getByLabel('Subscription ID').fill(sub);
    await page.getByLabel('Tenant ID').fill(tenant);
    await page.getByLabel('Client ID').fill('22222222-2222-4222-8222-222222222222');
    await page.getByLabel('Secret').fill('not-the-secret');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('alert').filter({ hasText: /secret|client|AADSTS|refused|rejected/i }).waitFor();
    await shot(page, '10-existing-account-refused', 'desktop');
    if (!/\/new\//.test(page.url())) throw new Error('left the form on a wrong secret');
    await page.getByLabel('Secret').fill('sandbox-secret');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/\/providers\/(?!new)[^/]+$/);
    await page.getByText('Ready', { exact: true }).first().waitFor();
    await page.getByText(/not billed or supported by your provider/).waitFor();
    await shot(page, '10-existing-account-ready', 'desktop');
    await page.getByRole('button', { name: 'Delete provider' }).click();
    const dlg = page.getByRole('dialog', { name: 'Delete this provider?' });
    await dlg.getByText(/stops nothing in\s+Azure/).waitFor();
    await shot(page, '11-delete-confirmation', 'desktop');
    await dlg.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.waitForURL(/\/providers$/);
    if (await page.getByRole('link', { name: 'Acme own Azure' }).count()) throw new Error('deleted provider still listed');
  }, { needs: ['the five steps finish and the provider is Ready'] });

  let ops;
  await steps.run('operator imports usage for the new subscription (upload)', async () => {
    ops = await newContext({ width: 1280, height: 800 });
    const { page } = ops;
    await login(page, 'ops@partner.example');
    await page.getByRole('link', { name: 'Usage imports' }).click();
    const csvPath = path.join(dir, 'acme-usage.csv');
    fs.writeFileSync(csvPath, usageCsv(acmeProvider.azure.customerId, acmeProvider.azure.subscriptionIds[0]));
    await page.getByLabel('Usage file').setInputFiles(csvPath);
    await page.getByRole('button', { name: 'Upload' }).click();
    await page.getByText(/rows imported/).waitFor();
    const text = await page.getByText(/rows imported/).textContent();
    if (!/ 0 rejected/.test(text) || / 0 rows imported/.test(text)) throw new Error(text);
    await visit(page, '12-ops-usage-imports', 'desktop');
  }, { needs: ['the five steps finish and the provider is Ready'] });

  await steps.run('billing page: chart and totals equal GET /api/v1/billing/ACME, CSV, invoices', async () => {
    const { page } = desktop;
    const admin = await new Api(demo.url).login('admin@acme.example');
    const month = new Date().toISOString().slice(0, 7);
    const api = (await admin.call('GET', `/api/v1/billing/ACME?month=${month}`)).json;
    await page.getByRole('link', { name: 'Billing', exact: true }).click();
    // One alias opens at once; several are listed (Acme also has BRIT, the stopped provider).
    const acmeLink = page.getByRole('link', { name: /^ACME/ });
    await Promise.race([page.waitForURL(/\/billing\/ACME/), acmeLink.waitFor()]);
    if (!/\/billing\/ACME/.test(page.url())) {
      await shot(page, '13-billing-aliases', 'desktop');
      await acmeLink.click();
    }
    await page.waitForURL(/\/billing\/ACME/);
    const figure = async (label) => {
      const card = page.locator('.figure').filter({ has: page.getByRole('heading', { name: label }) });
      return (await card.locator('.figure-amount').textContent()).replace(/[$,]/g, '');
    };
    await page.getByRole('heading', { name: 'Month to date' }).waitFor();
    for (const [label, key] of [['Month to date', 'mtd'], ['End-of-month estimate', 'eomEstimate'], ['Forecast', 'forecast']]) {
      const shown = await figure(label);
      if (shown !== api[key]) throw new Error(`${label}: page ${shown}, API ${api[key]}`);
    }
    const bars = await page.locator('.recharts-bar-rectangle').count();
    if (bars < new Date().getUTCDate()) throw new Error(`chart has ${bars} bars`);
    const total = await page.getByRole('table', { name: 'By meter category' }).locator('tfoot td').textContent();
    if (total.replace(/[$,]/g, '') !== api.mtd) throw new Error(`table total ${total}`);
    await page.getByRole('table', { name: 'Invoice history' }).waitFor();
    await visit(page, '13-billing', 'desktop');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download CSV' }).click()]);
    const csv = fs.readFileSync(await download.path(), 'utf8');
    if (!csv.split('\n')[0].includes(',') || csv.split('\n').length < 3) throw new Error(`CSV: ${csv.slice(0, 200)}`);
    await page.getByLabel('Month').selectOption({ index: 2 });
    await page.getByRole('heading', { name: 'No usage yet' }).waitFor();
    await shot(page, '14-billing-no-usage', 'desktop');
  }, { needs: ['operator imports usage for the new subscription (upload)'] });

  await steps.run('operator pages (jobs with the stopped job, organizations, pricing, close, audit)', async () => {
    const { page } = ops;
    await page.getByRole('link', { name: 'Usage imports' }).click();
    await page.getByRole('table', { name: 'Recent imports' }).getByText('acme-usage.csv').waitFor();
    await page.getByRole('link', { name: 'Jobs' }).click();
    await page.getByLabel('State').selectOption('stopped');
    await waitFor('the BRIT job to stop', async () => {
      await page.getByLabel('State').selectOption('');
      await page.getByLabel('State').selectOption('stopped');
      return (await page.getByRole('link', { name: 'Brit Azure' }).count()) > 0;
    }, 60000, 1000);
    await page.getByText(/not able to provide that functionality/).first().waitFor();
    await visit(page, '15-ops-jobs-stopped', 'desktop');
    for (const [link, name] of [['Organizations', '16-ops-organizations'], ['Pricing', '17-ops-pricing'], ['Month close', '18-ops-month-close'], ['Audit log', '19-ops-audit']]) {
      await page.getByRole('link', { name: link, exact: true }).click();
      await page.getByRole('heading', { level: 1 }).waitFor();
      await visit(page, name, 'desktop');
    }
    await page.getByLabel('Action, user or target contains').fill('provider');
    await shot(page, '19-ops-audit-filtered', 'desktop');
  }, { needs: ['operator imports usage for the new subscription (upload)'] });

  // Governance (e2e/governance.mjs) and cost control (e2e/costcontrol.mjs), issues 15 and 16.
  await governanceScenario({
    steps, demoUrl: demo.url, newContext, login, visit, shot, acme: () => acmeProvider,
    needs: ['the five steps finish and the provider is Ready'],
  });
  receiver = await startReceiver();
  await costControlScenario({
    steps, demoUrl: demo.url, newContext, login, visit, shot, tabTo, receiver, acme: () => acmeProvider,
    needs: ['billing page: chart and totals equal GET /api/v1/billing/ACME, CSV, invoices'],
  });

  await steps.run('the provider flow with the keyboard only', async () => {
    const kb = await newContext({ width: 1280, height: 800 });
    const { page } = kb;
    await login(page, 'admin@acme.example');
    await page.goto(`${demo.url}/providers`);
    await page.getByRole('heading', { name: 'Providers' }).waitFor();
    await tabTo(page, /^New$/);
    await page.keyboard.press('Enter');
    await tabTo(page, /^Find a provider$/);
    await page.keyboard.type('resource');
    await tabTo(page, /Azure Resource Manager/);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Azure Resource Manager' }).waitFor();
    await tabTo(page, /^Name/);
    await page.keyboard.type('Acme Dev Azure');
    await tabTo(page, /^Create a new Azure customer account$/);
    await page.keyboard.press('Space');
    await tabTo(page, /^Connect a CenturyLink Cloud Account$/);
    await page.keyboard.press('Enter');
    await page.getByRole('dialog', { name: 'Connect a CenturyLink Cloud Account' }).waitFor();
    // The dialog puts the focus in its first field.
    const focused = await page.evaluate(() => document.activeElement?.labels?.[0]?.textContent);
    if (focused !== 'Username') await tabTo(page, /^Username$/);
    await page.keyboard.type('acme.admin');
    await tabTo(page, /^Password$/);
    await page.keyboard.type('sandbox');
    await page.keyboard.press('Enter');
    await page.getByText('Connected as acme.admin').waitFor();
    await tabTo(page, /^Billing Alias$/);
    for (let i = 0; i < 5 && (await page.getByLabel('Billing Alias').inputValue()) !== 'ACMD'; i++) await page.keyboard.press('ArrowDown');
    if ((await page.getByLabel('Billing Alias').inputValue()) !== 'ACMD') throw new Error('could not choose ACMD with the arrows');
    await tabTo(page, /CenturyLink.s terms and conditions/);
    await page.keyboard.press('Space');
    await tabTo(page, /^I accept the Microsoft Customer Agreement$/);
    await page.keyboard.press('Space');
    for (const [label, value] of [[/^First name$/, 'Kay'], [/^Last name$/, 'Board'], [/^Email$/, 'kay@acme.example'], [/^Phone$/, '4255550102']]) {
      await tabTo(page, label);
      await page.keyboard.type(value);
    }
    await tabTo(page, /^Save$/);
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/providers\/(?!new)[^/]+$/);
    await page.getByText('Ready', { exact: true }).first().waitFor({ timeout: 90000 });
    await kb.ctx.close();
  }, { needs: ['the five steps finish and the provider is Ready'] });

  await steps.run('every page at 390x844 (phone)', async () => {
    const phone = await newContext({ width: 390, height: 844 });
    const { page } = phone;
    await page.goto(`${demo.url}/login`);
    await visit(page, '01-login', 'phone');
    await login(page, 'admin@acme.example');
    const pages = [
      ['/providers', '02-providers'],
      ['/providers/new', '03-provider-picker'],
      ['/providers/new/azure-resource-manager', '04-new-provider-form'],
      [`/providers/${acmeProvider.id}`, '08-provider-ready'],
      ['/billing/ACME', '13-billing'],
    ];
    for (const [p, name] of pages) {
      await page.goto(demo.url + p);
      await page.getByRole('heading', { level: 1 }).first().waitFor();
      await visit(page, name, 'phone');
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      if (overflow > 1) throw new Error(`${p} is ${overflow}px wider than the phone`);
    }
    await page.getByRole('button', { name: 'Log out' }).click();
    await login(page, 'ops@partner.example');
    for (const [p, name] of [['/ops/jobs', '15-ops-jobs'], ['/ops/organizations', '16-ops-organizations'], ['/ops/usage', '12-ops-usage-imports'], ['/ops/pricing', '17-ops-pricing'], ['/ops/close', '18-ops-month-close'], ['/ops/audit', '19-ops-audit']]) {
      await page.goto(demo.url + p);
      await page.getByRole('heading', { level: 1 }).first().waitFor();
      await visit(page, name, 'phone');
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      if (overflow > 1) throw new Error(`${p} is ${overflow}px wider than the phone`);
    }
    await phone.ctx.close();
  }, { needs: ['the five steps finish and the provider is Ready'] });

  await steps.run('an operator resumes the stopped job (GB allowed again) and it becomes Ready', async () => {
    await demo.stop();
    demo = await startDemo('demo-resume', TERRITORIES_WITH_GB);
    const { ctx, page } = await newContext({ width: 1280, height: 800 });
    await login(page, 'ops@partner.example');
    await page.getByRole('link', { name: 'Jobs' }).click();
    await page.getByLabel('State').selectOption('stopped');
    await page.getByRole('button', { name: 'Resume Brit Azure' }).click();
    await page.getByText('Resumed the onboarding of Brit Azure').waitFor();
    await page.goto(`${demo.url}/providers/${britProviderId}`);
    await page.getByText('Ready', { exact: true }).first().waitFor({ timeout: 90000 });
    await shot(page, '20-resumed-provider-ready', 'desktop');
    await ctx.close();
  }, { needs: ['operator pages (jobs with the stopped job, organizations, pricing, close, audit)'] });

  await steps.run('no request left for another host; no CSP violation', async () => {
    if (foreignRequests.length) throw new Error(`requests to other hosts: ${foreignRequests.slice(0, 5).join(', ')}`);
    if (cspViolations.length) throw new Error(`CSP violations: ${cspViolations.slice(0, 3).join(' | ')}`);
  }, { needs: base });
} finally {
  await browser?.close().catch(() => {});
  await receiver?.close().catch(() => {});
  for (const p of procs.reverse()) await p.stop().catch(() => {});
}
console.log(`screenshots: ${shots}`);
const ok = steps.summary();
if (ok) fs.rmSync(dir, { recursive: true, force: true });
else console.log(`logs kept in ${dir}`);
process.exit(ok ? 0 : 1);
