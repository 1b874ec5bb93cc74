// The conformance suite: Microsoft's official JavaScript SDKs, unmodified, against the sandbox's
// HTTPS origin (SANDBOX_URL), trusting its CA through NODE_EXTRA_CA_CERTS. Each ARM client gets
// only `endpoint` and `credentialScopes`; the Graph client its standard TokenCredential auth
// provider. Every check asserts the fields a program reads. Prints one line per check and
// "N passed, N failed" at the end; exits 1 when any check failed.
import assert from "node:assert/strict";
import { createPublicKey, randomUUID, verify } from "node:crypto";

import { ClientSecretCredential } from "@azure/identity";
import { AuthorizationManagementClient } from "@azure/arm-authorization";
import { PolicyClient } from "@azure/arm-policy";
import { ResourceManagementClient } from "@azure/arm-resources";
import { SubscriptionClient as ResourcesSubscriptionClient } from "@azure/arm-resources-subscriptions";
import { SubscriptionClient } from "@azure/arm-subscriptions";
import { Client } from "@microsoft/microsoft-graph-client";
import { TokenCredentialAuthenticationProvider } from "@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials/index.js";

const SANDBOX = process.env.SANDBOX_URL;
if (!SANDBOX?.startsWith("https://")) throw new Error("SANDBOX_URL must be the sandbox's https:// origin");
const CLIENT_ID = "22222222-2222-4222-8222-222222222222";
const CLIENT_SECRET = "sandbox-secret";
const ARM = "https://management.azure.com";
const READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
const OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
const ALLOWED_TYPES = "a08ec900-254a-4555-9bf5-e42af04b5c5c";

let passed = 0;
let failed = 0;
async function check(name, fn) {
  try {
    await fn();
    passed++;
    console.log(`ok   ${name}`);
  } catch (e) {
    failed++;
    const detail = e?.code || e?.statusCode ? ` [${e.statusCode ?? ""} ${e.code ?? ""}]` : "";
    console.log(`FAIL ${name}: ${(e?.message ?? String(e)).split("\n")[0]}${detail}`);
  }
}
// The error a rejected SDK call carries: HTTP status and ARM / Graph error code.
async function rejects(promise) {
  try {
    await promise;
  } catch (e) {
    return { status: e.statusCode, code: e.code, message: e.message };
  }
  throw new Error("the call succeeded; an error was expected");
}
async function all(iterator) {
  const out = [];
  for await (const item of iterator) out.push(item);
  return out;
}
function claims(jwt) {
  return JSON.parse(Buffer.from(jwt.split(".")[1], "base64url").toString("utf8"));
}

// A customer tenant with one Azure subscription, made through the sandbox's control API.
const tenant = randomUUID();
const sub = randomUUID();
const scope = `/subscriptions/${sub}`;
{
  const res = await fetch(`${SANDBOX}/sandbox/control/azure-subscriptions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ subscriptionId: sub, tenantId: tenant, displayName: "Conformance" }),
  });
  assert.equal(res.status, 201, await res.text());
}

const credential = new ClientSecretCredential(tenant, CLIENT_ID, CLIENT_SECRET, {
  authorityHost: `${SANDBOX}/login`,
  // Instance discovery asks login.microsoftonline.com, which a test machine cannot reach; this is
  // the credential's documented option for authorities it does not know (private clouds).
  disableInstanceDiscovery: true,
});
const arm = { endpoint: `${SANDBOX}/arm`, credentialScopes: [`${ARM}/.default`] };

// --- Entra ID -------------------------------------------------------------------------------
let armToken;
await check("identity: ClientSecretCredential gets an ARM token over HTTPS", async () => {
  const t = await credential.getToken(`${ARM}/.default`);
  assert.ok(t.token.length > 100);
  assert.ok(t.expiresOnTimestamp > Date.now() + 30 * 60 * 1000);
  armToken = t.token;
  const c = claims(t.token);
  assert.equal(c.aud, ARM);
  assert.equal(c.tid, tenant);
  assert.equal(c.appid, CLIENT_ID);
  assert.equal(c.iss, `${SANDBOX}/login/${tenant}/`);
});
await check("identity: OpenID discovery v2 and v1 point at the HTTPS origin", async () => {
  const v2 = await (await fetch(`${SANDBOX}/login/${tenant}/v2.0/.well-known/openid-configuration`)).json();
  assert.equal(v2.token_endpoint, `${SANDBOX}/login/${tenant}/oauth2/v2.0/token`);
  assert.equal(v2.issuer, `${SANDBOX}/login/${tenant}/v2.0`);
  assert.ok(v2.authorization_endpoint.startsWith(`${SANDBOX}/`));
  const v1 = await (await fetch(`${SANDBOX}/login/${tenant}/.well-known/openid-configuration`)).json();
  assert.equal(v1.token_endpoint, `${SANDBOX}/login/${tenant}/oauth2/token`);
  assert.equal(v1.issuer, `${SANDBOX}/login/${tenant}/`);
  const bad = await fetch(`${SANDBOX}/login/${randomUUID()}/v2.0/.well-known/openid-configuration`);
  assert.equal(bad.status, 400);
  assert.equal((await bad.json()).error, "invalid_tenant");
});
await check("identity: the JWKS verifies the access token's signature", async () => {
  const doc = await (await fetch(`${SANDBOX}/login/${tenant}/.well-known/openid-configuration`)).json();
  const jwks = await (await fetch(doc.jwks_uri)).json();
  const [h, p, s] = armToken.split(".");
  const header = JSON.parse(Buffer.from(h, "base64url").toString("utf8"));
  assert.equal(header.alg, "RS256");
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  assert.ok(jwk, "the token's kid is in the key set");
  const key = createPublicKey({ key: { kty: jwk.kty, n: jwk.n, e: jwk.e }, format: "jwk" });
  assert.ok(verify("sha256", Buffer.from(`${h}.${p}`), key, Buffer.from(s, "base64url")));
});
await check("identity: a wrong secret is refused with invalid_client", async () => {
  const wrong = new ClientSecretCredential(tenant, CLIENT_ID, "wrong", {
    authorityHost: `${SANDBOX}/login`,
    disableInstanceDiscovery: true,
  });
  await assert.rejects(wrong.getToken(`${ARM}/.default`), /invalid_client|AADSTS7000215/);
});

// --- Microsoft.Resources: subscriptions and providers ----------------------------------------
const subscriptions = new ResourcesSubscriptionClient(credential, arm);
await check("arm-resources-subscriptions: subscriptions.list", async () => {
  const list = await all(subscriptions.subscriptions.list());
  const mine = list.find((s) => s.subscriptionId === sub);
  assert.ok(mine, `subscription ${sub} is listed`);
  assert.equal(mine.displayName, "Conformance");
  assert.equal(mine.state, "Enabled");
  assert.equal(mine.tenantId, tenant);
  assert.equal(mine.id, scope);
});
await check("arm-resources-subscriptions: subscriptions.get", async () => {
  const s = await subscriptions.subscriptions.get(sub);
  assert.equal(s.subscriptionId, sub);
  assert.equal(s.state, "Enabled");
  assert.equal(s.subscriptionPolicies?.quotaId, "CSP_2015-05-01");
  const missing = await rejects(subscriptions.subscriptions.get(randomUUID()));
  assert.equal(missing.status, 404);
  assert.equal(missing.code, "SubscriptionNotFound");
});

const resources = new ResourceManagementClient(credential, sub, arm);
await check("arm-resources: providers.list, register, get until Registered", async () => {
  const list = await all(resources.providers.list());
  const compute = list.find((p) => p.namespace === "Microsoft.Compute");
  assert.ok(compute, "Microsoft.Compute is listed");
  assert.ok(compute.resourceTypes.some((t) => t.resourceType === "virtualMachines"));
  const registered = await resources.providers.register("Microsoft.Compute");
  assert.ok(["Registering", "Registered"].includes(registered.registrationState));
  let state = registered.registrationState;
  for (let i = 0; i < 10 && state !== "Registered"; i++) {
    state = (await resources.providers.get("Microsoft.Compute")).registrationState;
  }
  assert.equal(state, "Registered");
});

// --- Microsoft Graph: users and service principals (in the customer tenant) -------------------
// The auth provider sends the token only to Graph's hosts and to customHosts (host names).
const host = new URL(SANDBOX).hostname;
const graph = Client.initWithMiddleware({
  authProvider: new TokenCredentialAuthenticationProvider(credential, {
    scopes: ["https://graph.microsoft.com/.default"],
  }),
  baseUrl: `${SANDBOX}/graph/`,
  customHosts: new Set([host]),
});
const users = [];
await check("graph: create users", async () => {
  for (let i = 1; i <= 3; i++) {
    const u = await graph.api("/users").post({
      accountEnabled: true,
      displayName: `Conformance User ${i}`,
      mailNickname: `conformance${i}`,
      userPrincipalName: `conformance${i}@${tenant.slice(0, 8)}.onmicrosoft.com`,
      passwordProfile: { forceChangePasswordNextSignIn: true, password: `Pa55-${randomUUID()}` },
    });
    assert.match(u.id, /^[0-9a-f-]{36}$/);
    assert.equal(u.displayName, `Conformance User ${i}`);
    users.push(u);
  }
});
await check("graph: get a user by id and by userPrincipalName", async () => {
  const byId = await graph.api(`/users/${users[0].id}`).get();
  assert.equal(byId.userPrincipalName, users[0].userPrincipalName);
  const byUpn = await graph.api(`/users/${users[0].userPrincipalName}`).get();
  assert.equal(byUpn.id, users[0].id);
  const missing = await rejects(graph.api(`/users/${randomUUID()}`).get());
  assert.equal(missing.status, 404);
  assert.equal(missing.code, "Request_ResourceNotFound");
});
await check("graph: list users with $filter and $select", async () => {
  const res = await graph
    .api("/users")
    .filter(`userPrincipalName eq '${users[1].userPrincipalName}'`)
    .select(["id", "displayName"])
    .get();
  assert.equal(res.value.length, 1);
  assert.deepEqual(Object.keys(res.value[0]).sort(), ["displayName", "id"]);
  assert.equal(res.value[0].id, users[1].id);
  const starts = await graph.api("/users").filter("startswith(displayName,'Conformance User')").get();
  assert.equal(starts.value.length, 3);
  const bad = await rejects(graph.api("/users").filter("nonsense(").get());
  assert.equal(bad.status, 400);
});
await check("graph: list users with $top and @odata.nextLink paging", async () => {
  let page = await graph.api("/users").top(2).get();
  assert.equal(page.value.length, 2);
  assert.ok(page["@odata.nextLink"]?.startsWith(`${SANDBOX}/graph/v1.0/users?`), page["@odata.nextLink"]);
  const ids = page.value.map((u) => u.id);
  while (page["@odata.nextLink"]) {
    page = await graph.api(page["@odata.nextLink"]).get();
    ids.push(...page.value.map((u) => u.id));
  }
  for (const u of users) assert.ok(ids.includes(u.id), `user ${u.id} is on some page`);
  assert.equal(new Set(ids).size, ids.length, "no user twice");
});
let sp;
await check("graph: create a service principal, get it by id and by appId", async () => {
  const appId = randomUUID();
  sp = await graph.api("/servicePrincipals").post({ appId });
  assert.equal(sp.appId, appId);
  const byId = await graph.api(`/servicePrincipals/${sp.id}`).get();
  assert.equal(byId.appId, appId);
  assert.equal(byId.servicePrincipalType, "Application");
  const filtered = await graph.api("/servicePrincipals").filter(`appId eq '${appId}'`).get();
  assert.equal(filtered.value.length, 1);
  assert.equal(filtered.value[0].id, sp.id);
  const missing = await rejects(graph.api(`/servicePrincipals/${randomUUID()}`).get());
  assert.equal(missing.status, 404);
  assert.equal(missing.code, "Request_ResourceNotFound");
});

// --- Microsoft.Authorization: role definitions and assignments ------------------------------
const auth = new AuthorizationManagementClient(credential, sub, arm);
await check("arm-authorization: roleDefinitions.list, with $filter=roleName eq", async () => {
  const list = await all(auth.roleDefinitions.list(scope));
  for (const name of ["Owner", "Contributor", "Reader"]) {
    assert.ok(list.some((r) => r.roleName === name), `${name} is listed`);
  }
  const readers = await all(auth.roleDefinitions.list(scope, { filter: "roleName eq 'Reader'" }));
  assert.equal(readers.length, 1);
  assert.equal(readers[0].name, READER);
  assert.equal(readers[0].id, `${scope}/providers/Microsoft.Authorization/roleDefinitions/${READER}`);
  assert.equal(readers[0].roleType, "BuiltInRole");
  assert.ok(readers[0].permissions[0].actions.includes("*/read"));
});
await check("arm-authorization: roleDefinitions.get and getById", async () => {
  const owner = await auth.roleDefinitions.get(scope, OWNER);
  assert.equal(owner.roleName, "Owner");
  const byId = await auth.roleDefinitions.getById(`/providers/Microsoft.Authorization/roleDefinitions/${READER}`);
  assert.equal(byId.roleName, "Reader");
});
const readerId = `${scope}/providers/Microsoft.Authorization/roleDefinitions/${READER}`;
const assignmentName = randomUUID();
await check("arm-authorization: roleAssignments.create", async () => {
  const ra = await auth.roleAssignments.create(scope, assignmentName, {
    roleDefinitionId: readerId,
    principalId: users[0].id,
    principalType: "User",
  });
  assert.equal(ra.name, assignmentName);
  assert.equal(ra.id, `${scope}/providers/Microsoft.Authorization/roleAssignments/${assignmentName}`);
  assert.equal(ra.roleDefinitionId, readerId, "roleDefinitionId comes back as sent");
  assert.equal(ra.principalId, users[0].id);
  assert.equal(ra.principalType, "User");
  assert.equal(ra.scope, scope);
  assert.ok(ra.createdOn instanceof Date && !isNaN(ra.createdOn), "createdOn");
  assert.ok(ra.updatedOn instanceof Date && !isNaN(ra.updatedOn), "updatedOn");
  assert.ok(ra.createdBy, "createdBy");
  // The service principal is assignable too.
  const spRa = await auth.roleAssignments.create(scope, randomUUID(), {
    roleDefinitionId: readerId,
    principalId: sp.id,
    principalType: "ServicePrincipal",
  });
  assert.equal(spRa.principalType, "ServicePrincipal");
});
await check("arm-authorization: roleAssignments.create with an unknown principal is PrincipalNotFound", async () => {
  const e = await rejects(
    auth.roleAssignments.create(scope, randomUUID(), { roleDefinitionId: readerId, principalId: randomUUID() }),
  );
  assert.equal(e.status, 400);
  assert.equal(e.code, "PrincipalNotFound");
});
await check("arm-authorization: roleAssignments.create again is RoleAssignmentExists", async () => {
  const e = await rejects(
    auth.roleAssignments.create(scope, randomUUID(), { roleDefinitionId: readerId, principalId: users[0].id }),
  );
  assert.equal(e.status, 409);
  assert.equal(e.code, "RoleAssignmentExists");
});
await check("arm-authorization: roleAssignments.get", async () => {
  const ra = await auth.roleAssignments.get(scope, assignmentName);
  assert.equal(ra.roleDefinitionId, readerId);
  assert.equal(ra.principalId, users[0].id);
  assert.ok(ra.createdOn instanceof Date && !isNaN(ra.createdOn));
});
await check("arm-authorization: roleAssignments.listForScope with assignedTo(), principalId eq, atScope()", async () => {
  const assigned = await all(auth.roleAssignments.listForScope(scope, { filter: `assignedTo('${users[0].id}')` }));
  assert.equal(assigned.length, 1);
  assert.equal(assigned[0].principalId, users[0].id);
  const byPrincipal = await all(auth.roleAssignments.listForScope(scope, { filter: `principalId eq '${sp.id}'` }));
  assert.equal(byPrincipal.length, 1);
  assert.equal(byPrincipal[0].principalId, sp.id);
  const atScope = await all(auth.roleAssignments.listForSubscription({ filter: "atScope()" }));
  assert.equal(atScope.length, 2);
  assert.ok(atScope.every((r) => r.scope === scope));
  const none = await all(auth.roleAssignments.listForScope(scope, { filter: `assignedTo('${users[2].id}')` }));
  assert.equal(none.length, 0);
});
await check("arm-authorization: an unsupported $filter is refused", async () => {
  const e = await rejects(all(auth.roleAssignments.listForScope(scope, { filter: "roleName eq 'Reader'" })));
  assert.equal(e.status, 400);
  assert.equal(e.code, "UnsupportedQuery");
});
await check("arm-authorization: roleAssignments.delete, then get is RoleAssignmentNotFound", async () => {
  const deleted = await auth.roleAssignments.delete(scope, assignmentName);
  assert.equal(deleted.name, assignmentName);
  const e = await rejects(auth.roleAssignments.get(scope, assignmentName));
  assert.equal(e.status, 404);
  assert.equal(e.code, "RoleAssignmentNotFound");
});

// --- Microsoft.Authorization: policy, and resources under it ---------------------------------
const policy = new PolicyClient(credential, sub, arm);
const allowedId = `/providers/Microsoft.Authorization/policyDefinitions/${ALLOWED_TYPES}`;
await check("arm-policy: policyDefinitions.getBuiltIn", async () => {
  const def = await policy.policyDefinitions.getBuiltIn(ALLOWED_TYPES);
  assert.equal(def.id, allowedId);
  assert.equal(def.displayName, "Allowed resource types");
  assert.equal(def.policyType, "BuiltIn");
});
await check("arm-policy: policyAssignments.create, get, list with atScope()", async () => {
  const pa = await policy.policyAssignments.create(scope, "allowed-types", {
    displayName: "Allowed resource types",
    policyDefinitionId: allowedId,
    parameters: { listOfResourceTypesAllowed: { value: ["Microsoft.Storage/storageAccounts"] } },
  });
  assert.equal(pa.id, `${scope}/providers/Microsoft.Authorization/policyAssignments/allowed-types`);
  assert.equal(pa.policyDefinitionId, allowedId);
  assert.equal(pa.scope, scope);
  assert.equal(pa.enforcementMode, "Default");
  assert.ok(pa.systemData?.createdAt instanceof Date && !isNaN(pa.systemData.createdAt), "systemData.createdAt");
  const got = await policy.policyAssignments.get(scope, "allowed-types");
  assert.deepEqual(got.parameters.listOfResourceTypesAllowed.value, ["Microsoft.Storage/storageAccounts"]);
  const listed = await all(policy.policyAssignments.list({ filter: "atScope()" }));
  assert.ok(listed.some((p) => p.name === "allowed-types"));
  const everything = await all(policy.policyAssignments.list());
  assert.ok(everything.some((p) => p.name === "allowed-types"));
});
await check("arm-resources: a disallowed resource type is RequestDisallowedByPolicy", async () => {
  const e = await rejects(
    resources.resources.beginCreateOrUpdateAndWait("rg1", "Microsoft.Compute", "", "virtualMachines", "vm1",
      "2023-09-01", { location: "eastus" }),
  );
  assert.equal(e.status, 403);
  assert.equal(e.code, "RequestDisallowedByPolicy");
});
await check("arm-resources: an allowed resource: createOrUpdate (poller), get, getById", async () => {
  const created = await resources.resources.beginCreateOrUpdateAndWait("rg1", "Microsoft.Storage", "",
    "storageAccounts", "conformance1", "2023-09-01", { location: "eastus", sku: { name: "Standard_LRS" } });
  const id = `${scope}/resourceGroups/rg1/providers/Microsoft.Storage/storageAccounts/conformance1`;
  assert.equal(created.id, id);
  assert.equal(created.type, "Microsoft.Storage/storageAccounts");
  const got = await resources.resources.get("rg1", "Microsoft.Storage", "", "storageAccounts", "conformance1",
    "2023-09-01");
  assert.equal(got.id, id);
  assert.equal(got.location, "eastus");
  const byId = await resources.resources.getById(id, "2023-09-01");
  assert.equal(byId.name, "conformance1");
  const missing = await rejects(resources.resources.getById(id + "x", "2023-09-01"));
  assert.equal(missing.status, 404);
  assert.equal(missing.code, "ResourceNotFound");
});
await check("arm-policy: policyAssignments.delete", async () => {
  const deleted = await policy.policyAssignments.delete(scope, "allowed-types");
  assert.equal(deleted.name, "allowed-types");
  const e = await rejects(policy.policyAssignments.get(scope, "allowed-types"));
  assert.equal(e.status, 404);
  assert.equal(e.code, "PolicyAssignmentNotFound");
});

// --- Microsoft.Subscription: aliases ----------------------------------------------------------
const aliases = new SubscriptionClient(credential, arm);
const aliasName = `conformance-${randomUUID().slice(0, 8)}`;
let aliasSub;
await check("arm-subscriptions: alias.beginCreateAndWait (long-running poller)", async () => {
  const a = await aliases.alias.beginCreateAndWait(aliasName, {
    properties: {
      displayName: "Conformance alias",
      workload: "Production",
      billingScope: "/billingAccounts/sandbox-billing-account/billingProfiles/p1/invoiceSections/s1",
      additionalProperties: { subscriptionTenantId: tenant },
    },
  });
  assert.equal(a.name, aliasName);
  assert.equal(a.properties.provisioningState, "Succeeded");
  assert.match(a.properties.subscriptionId, /^[0-9a-f-]{36}$/);
  aliasSub = a.properties.subscriptionId;
});
await check("arm-subscriptions: alias.get and alias.list", async () => {
  const a = await aliases.alias.get(aliasName);
  assert.equal(a.properties.subscriptionId, aliasSub);
  const list = await aliases.alias.list();
  assert.ok(list.value.some((x) => x.name === aliasName && x.properties.subscriptionId === aliasSub));
});
await check("arm-subscriptions: subscription.acceptOwnershipStatus", async () => {
  const s = await aliases.subscription.acceptOwnershipStatus(aliasSub);
  assert.equal(s.subscriptionId, aliasSub);
  assert.equal(s.acceptOwnershipState, "Completed");
  assert.equal(s.displayName, "Conformance alias");
});
await check("arm-resources-subscriptions: the alias's subscription is listed", async () => {
  const list = await all(subscriptions.subscriptions.list());
  assert.ok(list.some((s) => s.subscriptionId === aliasSub));
});

// --- Graph: delete ----------------------------------------------------------------------------
await check("graph: delete a user, then get is Request_ResourceNotFound", async () => {
  await graph.api(`/users/${users[2].id}`).delete();
  const e = await rejects(graph.api(`/users/${users[2].id}`).get());
  assert.equal(e.status, 404);
  assert.equal(e.code, "Request_ResourceNotFound");
});

console.log(`conformance: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
