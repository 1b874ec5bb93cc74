// Governance in the browser (issue 15): an operator edits the permitted-services catalog (a new
// version adding Microsoft.Sql/servers with its role action), previews the dry run, publishes,
// follows ACME's subscription to compliant on the compliance page and grants ACME an exception;
// the customer reads its permitted services and asks for one more through the support form.
// Called by run.mjs once ACME has a ready provider.
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

export async function governanceScenario({ steps, demoUrl, newContext, login, visit, shot, needs, acme }) {
  let version = null;
  const subscriptionId = () => acme().azure.subscriptionIds[0];

  await steps.run('governance: an operator adds Microsoft.Sql/servers, previews the dry run and publishes', async () => {
    const { ctx, page } = await newContext({ width: 1280, height: 900 });
    await login(page, 'ops@partner.example');
    await page.getByRole('link', { name: 'Governance' }).click();
    await page.getByRole('heading', { name: 'Permitted-services catalog' }).waitFor();
    const versions = page.getByRole('table', { name: 'Catalog versions' });
    await versions.getByRole('link', { name: 'Version 1', exact: true }).waitFor();
    await versions.getByText('Published').first().waitFor();
    await visit(page, '40-gov-catalog', 'desktop');

    await page.getByRole('link', { name: 'New version' }).click();
    await page.getByRole('heading', { name: 'New catalog version' }).waitFor();
    const types = page.getByLabel('Permitted resource types (one per line)');
    await types.waitFor();
    const before = await types.inputValue();
    if (!before.includes('Microsoft.Compute/virtualMachines')) throw new Error(`editor not prefilled: ${before.slice(0, 200)}`);
    if (/Microsoft\.Sql\/servers/i.test(before)) throw new Error('Microsoft.Sql/servers already permitted in version 1');
    // Saving an unchanged copy is refused in words.
    await page.getByLabel(/^Note/).fill('Customers asked for Azure SQL');
    await page.getByRole('button', { name: 'Save draft' }).click();
    await page.getByRole('alert').filter({ hasText: 'the same as the one it is based on' }).waitFor();
    await types.fill(`${before}\nMicrosoft.Sql/servers`);
    await page.getByRole('button', { name: 'Add the matching actions' }).click();
    if (!(await page.getByLabel('Role actions (one per line)').inputValue()).includes('Microsoft.Sql/servers/*')) throw new Error('action not added');
    await page.locator('.diff-added').filter({ hasText: 'Microsoft.Sql/servers' }).first().waitFor();
    await visit(page, '41-gov-new-version', 'desktop');
    await page.getByRole('button', { name: 'Save draft' }).click();
    await page.waitForURL(/\/ops\/governance\/catalog\/\d+$/);
    version = Number(page.url().split('/').pop());
    await page.getByRole('heading', { name: `Catalog version ${version}` }).waitFor();
    await page.getByText('Draft').first().waitFor();
    await page.locator('.diff-added').filter({ hasText: 'Microsoft.Sql/servers' }).first().waitFor();

    if (!(await page.getByRole('button', { name: 'Publish…' }).isDisabled())) throw new Error('Publish offered before the dry run');
    await page.getByRole('button', { name: 'Preview changes (dry run)' }).click();
    await page.getByRole('heading', { name: /^Dry run:/ }).waitFor();
    const row = page.getByRole('row').filter({ hasText: subscriptionId() });
    await row.waitFor();
    await row.getByText(/Microsoft\.Sql\/servers/).first().waitFor();
    await visit(page, '42-gov-dry-run', 'desktop');
    await page.getByRole('button', { name: 'Publish…' }).click();
    const dialog = page.getByRole('dialog', { name: `Publish version ${version}?` });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Publish', exact: true }).click();
    await page.getByText(new RegExp(`Published version ${version}: \\d+ subscriptions? converge now`)).waitFor();
    await page.getByText('Published', { exact: true }).first().waitFor();
    await ctx.close();
  }, { needs });

  await steps.run('governance: the compliance page follows ACME to compliant; detail, reconcile, exception', async () => {
    const { ctx, page } = await newContext({ width: 1280, height: 900 });
    await login(page, 'ops@partner.example');
    await page.goto(`${demoUrl}/ops/governance/compliance`);
    await page.getByRole('heading', { name: 'Compliance' }).waitFor();
    const row = page.getByRole('row').filter({ hasText: subscriptionId() });
    await waitFor(`ACME's subscription compliant at version ${version}`, async () => {
      await page.getByRole('button', { name: 'Refresh' }).click();
      await row.waitFor();
      const text = (await row.textContent()) ?? '';
      return text.includes('Compliant') && text.includes(`${version} / ${version}`);
    }, 90000, 1000);
    await visit(page, '43-gov-compliance', 'desktop');
    // The state filter narrows the list: ACME's compliant subscription is not among the drifted.
    await page.getByRole('combobox', { name: /^State/ }).selectOption('drifted');
    await page.waitForURL(/state=drifted/);
    await waitFor('the drifted list without ACME', async () => (await page.getByRole('table').count()) > 0 && (await row.count()) === 0, 15000);
    await page.getByRole('combobox', { name: /^State/ }).selectOption('compliant');
    await row.waitFor();
    await page.getByRole('combobox', { name: /^State/ }).selectOption('');
    await row.getByRole('link', { name: subscriptionId() }).click();
    await page.getByRole('heading', { name: 'Subscription compliance' }).waitFor();
    await page.getByRole('table', { name: /Resources no longer permitted/ }).waitFor();
    await page.getByRole('table', { name: 'Repairs' }).waitFor();
    await page.getByText('Microsoft.Sql/servers', { exact: true }).first().waitFor();
    await page.getByRole('button', { name: 'Reconcile now' }).click();
    await page.getByText(/Reconcile of .* queued/).waitFor();
    await visit(page, '44-gov-subscription', 'desktop');

    await page.getByRole('link', { name: 'Exceptions per alias' }).click();
    await page.getByRole('link', { name: 'ACME', exact: true }).click();
    await page.getByRole('heading', { name: 'Exception for ACME' }).waitFor();
    await page.getByLabel('Extra resource types (one per line)').fill('Microsoft.Cache/redis');
    await page.getByRole('button', { name: 'Save exception' }).click();
    await page.getByRole('alert').filter({ hasText: 'Say in the note' }).waitFor();
    await page.getByLabel(/^Note/).fill('Acme runs a Redis cache for its shop (ticket #12)');
    await page.getByRole('button', { name: 'Save exception' }).click();
    await page.getByText(/^Saved\./).waitFor();
    await page.locator('li').filter({ hasText: 'Microsoft.Cache/redis' }).getByText('exception').waitFor();
    await visit(page, '45-gov-alias-exception', 'desktop');
    await ctx.close();
  }, { needs: ['governance: an operator adds Microsoft.Sql/servers, previews the dry run and publishes'] });

  await steps.run('governance: a customer reads its permitted services and requests one more', async () => {
    const { ctx, page } = await newContext({ width: 1280, height: 900 });
    await login(page, 'admin@acme.example');
    await page.getByRole('link', { name: 'Permitted services' }).click();
    await page.getByRole('heading', { name: 'Permitted services' }).waitFor();
    await page.getByRole('heading', { name: `Catalog version ${version}` }).waitFor();
    await page.getByText('Microsoft.Sql/servers').first().waitFor();
    await page.getByRole('heading', { name: 'Also permitted for ACME' }).waitFor();
    await page.getByText('Microsoft.Cache/redis').first().waitFor();
    await page.getByRole('row').filter({ hasText: subscriptionId() }).waitFor();
    // Read only: no operator control on the customer's page, nor the operators' pages in the nav.
    if (await page.getByRole('button', { name: /Reconcile/ }).count()) throw new Error('customer offered a reconcile');
    if (await page.getByRole('link', { name: 'Governance' }).count()) throw new Error('customer sees the Governance tab');
    const api = await apiLogin(demoUrl, 'admin@acme.example');
    const denied = await api.call('POST', '/api/v1/governance/catalog/versions', { basedOn: version, resourceTypes: [], actions: [], unrestricted: true, note: 'x' });
    if (denied.status !== 403) throw new Error(`customer POST versions: ${denied.status}`);
    await visit(page, '46-permitted-services', 'desktop');

    await page.getByRole('link', { name: 'Request a service' }).click();
    await page.getByRole('heading', { name: 'New request' }).waitFor();
    if (!(await page.getByLabel(/Permit one more Azure service/).isChecked())) throw new Error('form not prefilled with permit-service');
    // Acme bills two aliases (ACME, and BRIT's stopped provider): the customer picks one.
    if ((await page.getByLabel(/^Billing alias/).inputValue()) !== 'ACME') await page.getByLabel(/^Billing alias/).selectOption('ACME');
    await page.getByRole('button', { name: 'Send request' }).click();
    await page.getByRole('alert').filter({ hasText: 'Give the Azure resource type' }).waitFor();
    await page.getByLabel(/^Azure resource type/).fill('Microsoft.Web/sites');
    await shot(page, '47-request-a-service', 'desktop');
    await page.getByRole('button', { name: 'Send request' }).click();
    await page.waitForURL(/\/support\/tickets\/[^/]+$/);
    await page.getByText('Waiting for approval').first().waitFor();
    await page.getByText(/Permit one more Azure service/).first().waitFor();
    await ctx.close();
  }, { needs: ['governance: the compliance page follows ACME to compliant; detail, reconcile, exception'] });

  return { version: () => version };
}
