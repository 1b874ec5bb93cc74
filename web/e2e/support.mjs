// The support desk in the browser (issue 13): a customer files a request, an agent answers it
// (with an internal note the customer never sees), the customer sees the answer; a structured
// request (the detailed billing report) approved by an operator and carried out by the
// platform; the operator pages (approvals, quarantine) and the phone layout. Called by run.mjs
// once ACME has a ready provider (so its admin is a CSP customer: the request is in scope).
import { Api, waitFor } from './lib.mjs';

// An API login; a 429 (the login rate limit the wrong-password step of run.mjs tripped for this
// address) is waited out as its Retry-After says.
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

export async function supportScenario({ steps, demoUrl, newContext, login, visit, shot, needs }) {
  let ticketUrl = null;
  let ticketId = null;
  const subject = 'Virtual machine will not start after resize';

  await steps.run('support: a customer files a request from the web page', async () => {
    const { ctx, page } = await newContext({ width: 1280, height: 900 });
    await login(page, 'admin@acme.example');
    await page.getByRole('link', { name: 'Support' }).click();
    await visit(page, '30-support-my-tickets', 'desktop');
    await page.getByRole('link', { name: 'New request' }).click();
    await page.getByRole('heading', { name: 'New request' }).waitFor();
    // Sending an empty form says what is missing, in words.
    await page.getByRole('button', { name: 'Send request' }).click();
    await page.getByRole('alert').filter({ hasText: 'Give the request a subject.' }).waitFor();
    await page.getByLabel(/^Subject/).fill(subject);
    await page.getByLabel(/^Description/).fill('Our VM in the ACME subscription stopped after a resize to D4s_v5 and does not boot. Can you help?');
    await visit(page, '31-support-new-request', 'desktop');
    await page.getByRole('button', { name: 'Send request' }).click();
    await page.waitForURL(/\/support\/tickets\/[^/]+$/);
    await page.getByRole('heading', { name: subject }).waitFor();
    await page.getByRole('heading', { name: 'Conversation' }).waitFor();
    await page.getByText('does not boot').first().waitFor();
    ticketUrl = page.url();
    ticketId = decodeURIComponent(ticketUrl.split('/').pop());
    await visit(page, '32-support-ticket-customer', 'desktop');
    await ctx.close();
  }, { needs });

  await steps.run('support: an agent finds it in the queue and answers, with an internal note', async () => {
    const { ctx, page } = await newContext({ width: 1280, height: 900 });
    await login(page, 'agent@partner.example');
    await page.getByRole('link', { name: 'Support queue' }).click();
    await page.getByRole('link', { name: subject }).waitFor();
    await visit(page, '33-support-queue', 'desktop');
    // The filters narrow the list; the ticket is in scope and new.
    await page.getByLabel('Status').selectOption('new');
    await page.getByRole('link', { name: subject }).waitFor();
    await page.getByLabel('Scope').selectOption('out');
    await page.getByText('No tickets match these filters.').waitFor();
    await page.getByLabel('Scope').selectOption('in');
    await page.getByRole('link', { name: subject }).click();
    await page.getByRole('heading', { name: subject }).waitFor();
    await page.getByRole('button', { name: 'Assign to me' }).click();
    await page.getByText('Assigned to you.').waitFor();
    await page.getByLabel('Internal note (the customer does not see it)').check();
    await page.getByLabel('Internal note', { exact: true }).fill('Looks like a quota issue on D-series in the region; check before answering.');
    await page.getByRole('button', { name: 'Add note' }).click();
    await page.getByText('Note added.').waitFor();
    await page.getByLabel('Internal note (the customer does not see it)').uncheck();
    await page.getByLabel('Reply', { exact: true }).fill('Hello, the new size needs more vCPU quota in that region. We have asked for it; start the VM again in an hour.');
    await page.getByRole('button', { name: 'Send reply' }).click();
    await page.getByText('Reply sent.').waitFor();
    await page.getByText('start the VM again in an hour').first().waitFor();
    await visit(page, '34-support-ticket-agent', 'desktop');
    await ctx.close();
  }, { needs: ['support: a customer files a request from the web page'] });

  await steps.run('support: the customer sees the answer, not the note', async () => {
    const { ctx, page } = await newContext({ width: 1280, height: 900 });
    await login(page, 'admin@acme.example');
    await page.goto(ticketUrl);
    await page.getByText('start the VM again in an hour').first().waitFor();
    if (await page.getByText('quota issue on D-series').count()) throw new Error('the customer sees the internal note');
    const api = await apiLogin(demoUrl, 'admin@acme.example');
    const t = await api.call('GET', `/api/v1/support/tickets/${encodeURIComponent(ticketId)}`);
    if (t.status !== 200) throw new Error(`GET ticket: ${t.status} ${t.text}`);
    if (t.json.messages.some((m) => m.kind === 'note')) throw new Error('the API gives the customer a note');
    if (!t.json.messages.some((m) => m.kind === 'out' && m.text.includes('start the VM again'))) throw new Error('no answer in the API');
    await visit(page, '35-support-ticket-answered', 'desktop');
    // A colleague in the same organization sees it too (the organization's tickets).
    const colleague = await apiLogin(demoUrl, 'dev@acme.example');
    const list = await colleague.call('GET', '/api/v1/support/tickets');
    if (list.status !== 200 || !list.json.items.some((x) => x.id === ticketId)) throw new Error(`colleague list: ${list.status} ${list.text.slice(0, 200)}`);
    await ctx.close();
  }, { needs: ['support: an agent finds it in the queue and answers, with an internal note'] });

  await steps.run('support: a detailed billing report, approved by an operator, arrives as a CSV', async () => {
    const customer = await newContext({ width: 1280, height: 900 });
    await login(customer.page, 'admin@acme.example');
    const page = customer.page;
    await page.goto(`${demoUrl}/support/new`);
    await page.getByLabel(/Detailed billing report/).check();
    await page.getByLabel(/^Billing alias/).selectOption('ACME');
    await shot(page, '36-support-new-billing-report', 'desktop');
    await page.getByRole('button', { name: 'Send request' }).click();
    await page.waitForURL(/\/support\/tickets\/[^/]+$/);
    await page.getByText('Waiting for approval').first().waitFor();
    const reportUrl = page.url();

    const ops = await newContext({ width: 1280, height: 900 });
    await login(ops.page, 'ops@partner.example');
    await ops.page.getByRole('link', { name: 'Approvals' }).click();
    await ops.page.getByRole('link', { name: /Detailed billing report/ }).first().waitFor();
    await visit(ops.page, '37-support-approvals', 'desktop');
    await ops.page.getByRole('link', { name: /Detailed billing report/ }).first().click();
    await ops.page.getByRole('button', { name: 'Approve' }).click();
    await ops.page.getByText('Approved: the platform carries the request out now.').waitFor();
    await ops.page.getByRole('link', { name: 'Quarantine' }).click();
    await ops.page.getByRole('heading', { name: 'Quarantined mail' }).waitFor();
    await visit(ops.page, '38-support-quarantine', 'desktop');
    await ops.ctx.close();

    await waitFor('the report to be attached', async () => {
      await page.goto(reportUrl);
      await page.getByRole('heading', { name: 'Conversation' }).waitFor();
      return (await page.getByRole('link', { name: /azure-usage\.csv$/ }).count()) > 0;
    }, 60000, 1000);
    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: /azure-usage\.csv$/ }).first().click();
    const file = await download;
    if (!/^ACME-\d{4}-\d{2}-azure-usage\.csv$/.test(file.suggestedFilename())) throw new Error(`file ${file.suggestedFilename()}`);
    await visit(page, '39-support-report-done', 'desktop');
    await customer.ctx.close();
  }, { needs: ['support: the customer sees the answer, not the note'] });

  await steps.run('support: pages at 390x844 (phone)', async () => {
    const { ctx, page } = await newContext({ width: 390, height: 844 });
    await login(page, 'admin@acme.example');
    await page.goto(`${demoUrl}/support`);
    await visit(page, '30-support-my-tickets', 'phone');
    await page.goto(`${demoUrl}/support/new`);
    await visit(page, '31-support-new-request', 'phone');
    await page.goto(ticketUrl);
    await page.getByText('start the VM again in an hour').first().waitFor();
    await visit(page, '35-support-ticket-answered', 'phone');
    await ctx.close();
    const agent = await newContext({ width: 390, height: 844 });
    await login(agent.page, 'agent@partner.example');
    await agent.page.goto(`${demoUrl}/support/queue`);
    await visit(agent.page, '33-support-queue', 'phone');
    await agent.page.goto(ticketUrl);
    await agent.page.getByRole('heading', { name: subject }).waitFor();
    await visit(agent.page, '34-support-ticket-agent', 'phone');
    await agent.ctx.close();
  }, { needs: ['support: the customer sees the answer, not the note'] });
}
