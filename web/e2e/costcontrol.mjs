// Cost control in the browser (issue 16): an organization admin sets a budget on the billing
// page (drawn on the cumulative chart), sees its alerts, downloads the month as a FOCUS 1.2 CSV,
// and subscribes a receiver of its own to signed webhooks (secret shown once, test-send, the
// delivery log). Called by run.mjs once ACME has usage on its billing page.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { Api, waitFor } from './lib.mjs';

async function apiLogin(base, email) {
  return waitFor(`${email} to log in`, async () => {
    try {
      return await new Api(base).login(email);
    } catch (e) {
      if (/: 429 /.test(String(e.message))) return null;
      throw e;
    }
  }, 60000, 1000);
}

/** A webhook receiver on 127.0.0.1 that keeps what it gets and answers 200. */
export async function startReceiver() {
  const received = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), url: req.url });
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('ok');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}/hooks/acme`, received, close: () => new Promise((r) => server.close(r)) };
}

/**
 * Standard Webhooks verification written here, apart from the server's: HMAC-SHA256 over
 * "id.timestamp.body" with the base64 key after "whsec_", compared with each "v1,<base64>".
 */
export function verifySignature(secret, headers, body) {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const id = headers['webhook-id'];
  const ts = headers['webhook-timestamp'];
  const expected = crypto.createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest('base64');
  const want = Buffer.from(expected);
  return String(headers['webhook-signature'] ?? '')
    .split(' ')
    .filter((s) => s.startsWith('v1,'))
    .some((s) => {
      const got = Buffer.from(s.slice(3));
      return got.length === want.length && crypto.timingSafeEqual(got, want);
    });
}

/** The first line of an RFC 4180 CSV, split into its fields. */
function csvHeader(text) {
  const line = text.split(/\r?\n/)[0] ?? '';
  return line.split(',').map((h) => h.replace(/^"|"$/g, ''));
}

export async function costControlScenario({ steps, demoUrl, newContext, login, visit, shot, tabTo, needs, receiver, acme }) {
  const month = new Date().toISOString().slice(0, 7);
  let endpointId = null;

  await steps.run('budgets: an admin sets a budget on the billing page; the chart draws it; alerts listed', async () => {
    const { ctx, page } = await newContext({ width: 1280, height: 900 });
    await login(page, 'admin@acme.example');
    const api = await apiLogin(demoUrl, 'admin@acme.example');
    const summary = (await api.call('GET', `/api/v1/billing/ACME?month=${month}`)).json;
    // A budget a little above the month to date: past the 80% actual threshold at once.
    const amount = `${BigInt(summary.mtd.split('.')[0]) + 1n}.00`;
    await page.goto(`${demoUrl}/billing/ACME`);
    await page.getByRole('heading', { name: 'Budgets' }).waitFor();
    await page.getByText('No budget for ACME yet.').waitFor();
    await page.getByRole('button', { name: 'New budget' }).click();
    const dialog = page.getByRole('dialog', { name: 'New budget' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Create budget' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'Give the monthly amount' }).waitFor();
    await dialog.getByLabel(`Monthly amount (${summary.currency})`).fill(amount);
    await dialog.getByLabel(/^Recipients/).fill('finance@acme.example');
    await shot(page, '50-budget-editor', 'desktop');
    await dialog.getByRole('button', { name: 'Create budget' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByText(/Created the budget/).waitFor();
    const budgets = (await api.call('GET', '/api/v1/budgets?alias=ACME')).json.items;
    if (budgets.length !== 1 || budgets[0].amount !== amount) throw new Error(`API budgets: ${JSON.stringify(budgets).slice(0, 300)}`);
    const b = budgets[0];
    const article = page.getByRole('article', { name: /ACME monthly budget/ });
    await article.waitFor();
    const money = (s) => `$${s.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}`;
    await article.getByText(money(amount), { exact: true }).first().waitFor();
    if (b.status) {
      await article.getByText(`${b.status.percentActual}%`, { exact: false }).first().waitFor();
      // The badge says what the percentage is of (not "100.06% over budget").
      await article.getByText(/% of the budget/).first().waitFor();
    }
    // The cumulative view opens with the budget drawn as a reference line, labelled.
    await page.getByRole('radio', { name: /Cumulative/ }).waitFor();
    if (!(await page.getByRole('radio', { name: /Cumulative/ }).isChecked())) throw new Error('cumulative view not chosen');
    await page.locator('.recharts-reference-line').first().waitFor({ state: 'attached' });
    await page.locator('.recharts-wrapper').getByText(money(amount), { exact: false }).first().waitFor();
    // Budgets are evaluated by every usage import: an operator imports one more row for today
    // (through the API, as a pull would), and the actual threshold (80%) alerts.
    const ops = await apiLogin(demoUrl, 'ops@partner.example');
    const today = new Date().toISOString().slice(0, 10);
    const a = acme();
    const csv =
      'PartnerId,CustomerId,EntitlementId,UsageDate,MeterCategory,ResourceURI,UnitPrice,Quantity,BillingPreTaxTotal,BillingCurrency,Tags,BenefitId\r\n' +
      `p,${a.azure.customerId},${a.azure.subscriptionIds[0]},${today}T00:00:00Z,"Networking",/r/lb-budget,0.025,4,0,USD,,\r\n`;
    const imported = await fetch(`${demoUrl}/api/v1/usage/imports?name=budget-day.csv`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${ops.token}`, 'Content-Type': 'text/csv' },
      body: csv,
    });
    if (imported.status >= 300) throw new Error(`usage import: ${imported.status} ${await imported.text()}`);
    await waitFor('the 80% actual alert in the history', async () => {
      await page.reload();
      await page.getByRole('article', { name: /ACME monthly budget/ }).waitFor();
      return (await page.getByRole('article', { name: /ACME monthly budget/ }).getByText('Actual 80%').count()) > 0;
    }, 90000, 2000);
    await visit(page, '51-billing-budget', 'desktop');
    await page.getByRole('radio', { name: 'Per day' }).check();
    await page.locator('.recharts-bar-rectangle').first().waitFor();
    await ctx.close();
  }, { needs });

  await steps.run('budgets: the admin changes the amount with the keyboard only', async () => {
    const { ctx, page } = await newContext({ width: 1280, height: 900 });
    await login(page, 'admin@acme.example');
    await page.goto(`${demoUrl}/billing/ACME`);
    await page.getByRole('article', { name: /ACME monthly budget/ }).waitFor();
    await tabTo(page, /^Edit ACME monthly budget$/);
    await page.keyboard.press('Enter');
    await page.getByRole('dialog', { name: 'Edit budget' }).waitFor();
    await tabTo(page, /^Monthly amount/);
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.type('100000.00');
    await tabTo(page, /^Save budget$/);
    await page.keyboard.press('Enter');
    await page.getByText('Saved the budget “ACME monthly budget”.').waitFor();
    await page.getByRole('article', { name: /ACME monthly budget/ }).getByText('$100,000.00', { exact: true }).first().waitFor();
    await ctx.close();
  }, { needs: ['budgets: an admin sets a budget on the billing page; the chart draws it; alerts listed'] });

  await steps.run('FOCUS 1.2 CSV downloads beside the CSV', async () => {
    const { ctx, page } = await newContext({ width: 1280, height: 900 });
    await login(page, 'admin@acme.example');
    await page.goto(`${demoUrl}/billing/ACME`);
    await page.getByRole('heading', { name: 'Month to date', exact: true }).waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'FOCUS 1.2 CSV' }).click()]);
    const text = fs.readFileSync(await download.path(), 'utf8');
    const header = csvHeader(text);
    for (const col of ['BilledCost', 'EffectiveCost', 'ListCost', 'BillingCurrency', 'ChargePeriodStart', 'ProviderName', 'InvoiceIssuerName']) {
      if (!header.includes(col)) throw new Error(`FOCUS CSV lacks ${col}: ${header.join(',')}`);
    }
    if (text.trim().split(/\r?\n/).length < 2) throw new Error('FOCUS CSV has no rows');
    await ctx.close();
  }, { needs });

  await steps.run('webhooks: an admin adds an endpoint, copies the secret shown once, tests it; the log shows the delivery', async () => {
    const { ctx, page } = await newContext({ width: 1280, height: 900 });
    await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: demoUrl });
    await login(page, 'admin@acme.example');
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('heading', { name: 'Webhooks' }).waitFor();
    await page.getByText('No endpoint yet.').waitFor();
    await visit(page, '52-webhooks-empty', 'desktop');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const form = page.getByRole('form', { name: 'New endpoint' });
    await form.getByRole('button', { name: 'Add endpoint' }).click();
    await form.getByRole('alert').filter({ hasText: 'Give the address' }).waitFor();
    await form.getByLabel('Endpoint URL').fill(receiver.url);
    await form.getByLabel('Description').fill('Acme operations bot');
    await form.getByLabel(/webhook\.test/).check();
    await form.getByLabel(/budget\.threshold_crossed/).check();
    await visit(page, '53-webhooks-new', 'desktop');
    await form.getByRole('button', { name: 'Add endpoint' }).click();
    await page.getByText('Shown once.').waitFor();
    const secret = await page.getByLabel('Secret', { exact: true }).inputValue();
    if (!/^whsec_[A-Za-z0-9+/=]+$/.test(secret)) throw new Error(`secret: ${secret}`);
    await page.getByRole('button', { name: 'Copy secret' }).click();
    await page.getByText(/Copied to the clipboard|copy it by hand/).waitFor();
    await visit(page, '54-webhooks-secret-once', 'desktop');
    await page.getByRole('button', { name: 'I have stored the secret' }).click();
    const row = page.getByRole('row').filter({ hasText: receiver.url });
    await row.waitFor();
    await page.reload();
    await row.waitFor();
    if (await page.getByText('Shown once.').count()) throw new Error('secret shown twice');
    if ((await page.content()).includes(secret)) throw new Error('secret in the page after reload');

    const before = receiver.received.length;
    await row.getByRole('button', { name: `Send test to ${receiver.url}` }).click();
    await page.getByText(/Test event queued/).waitFor();
    const got = await waitFor('the test event at the receiver', () => receiver.received.slice(before).find((r) => r.body.includes('webhook.test')), 60000, 250);
    if (!verifySignature(secret, got.headers, got.body)) throw new Error(`signature does not verify: ${JSON.stringify(got.headers)}`);

    await row.getByRole('link', { name: receiver.url }).click();
    await page.getByRole('heading', { name: 'Webhook endpoint' }).waitFor();
    endpointId = decodeURIComponent(page.url().split('/').pop());
    const log = page.getByRole('table', { name: /Delivery log/ });
    await waitFor('the delivered test in the log', async () => {
      await page.getByRole('button', { name: 'Refresh' }).click();
      return (await log.getByRole('row').filter({ hasText: 'webhook.test' }).filter({ hasText: 'Delivered' }).count()) > 0;
    }, 60000, 1000);
    await log.getByRole('row').filter({ hasText: 'webhook.test' }).getByText(/^200 in \d+ ms$/).first().waitFor();
    await visit(page, '55-webhook-deliveries', 'desktop');

    await page.getByRole('link', { name: 'Webhooks' }).first().click();
    await row.getByRole('button', { name: `Disable ${receiver.url}` }).click();
    await row.locator('.badge').filter({ hasText: 'Disabled' }).waitFor();
    await row.getByRole('button', { name: `Enable ${receiver.url}` }).click();
    await row.locator('.badge').filter({ hasText: 'Enabled' }).waitFor();
    // Another organization's admin does not see it.
    const other = await apiLogin(demoUrl, 'ops@partner.example');
    const staff = await other.call('GET', '/api/v1/webhooks');
    if (staff.status !== 200) throw new Error(`staff GET webhooks: ${staff.status}`);
    await ctx.close();
  }, { needs });

  await steps.run('budgets, webhooks, governance pages at 390x844 (phone)', async () => {
    const { ctx, page } = await newContext({ width: 390, height: 844 });
    await login(page, 'admin@acme.example');
    const pages = [
      ['/billing/ACME', '51-billing-budget'],
      ['/settings/webhooks', '52-webhooks'],
      ['/services', '46-permitted-services'],
    ];
    if (endpointId) pages.push([`/settings/webhooks/${encodeURIComponent(endpointId)}`, '55-webhook-deliveries']);
    for (const [p, name] of pages) {
      await page.goto(demoUrl + p);
      await page.getByRole('heading', { level: 1 }).first().waitFor();
      await visit(page, name, 'phone');
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      if (overflow > 1) throw new Error(`${p} is ${overflow}px wider than the phone`);
    }
    await ctx.close();
    const ops = await newContext({ width: 390, height: 844 });
    await login(ops.page, 'ops@partner.example');
    for (const [p, name] of [['/ops/governance/catalog', '40-gov-catalog'], ['/ops/governance/compliance', '43-gov-compliance'], ['/ops/governance/aliases/ACME', '45-gov-alias-exception']]) {
      await ops.page.goto(demoUrl + p);
      await ops.page.getByRole('heading', { level: 1 }).first().waitFor();
      await visit(ops.page, name, 'phone');
      const overflow = await ops.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      if (overflow > 1) throw new Error(`${p} is ${overflow}px wider than the phone`);
    }
    await ops.ctx.close();
  }, { needs });
}
