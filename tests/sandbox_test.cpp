// End-to-end tests of `partnercloud sandbox`: a real process on an ephemeral port, driven over
// HTTP. Replays the official examples under ../shared/fixtures and checks the Partner Center,
// CLC, Entra, ARM and Graph shapes, faults and determinism.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <random>

#include "tests/harness.h"

namespace pc::test {
namespace {

namespace json = boost::json;

const std::string kFixtures = std::string(PC_SOURCE_DIR) +
                              "/../shared/fixtures/Azure+azure-rest-api-specs/specification/";
const std::string kPartnerTenant = "11111111-1111-4111-8111-111111111111";
const std::string kClient = "22222222-2222-4222-8222-222222222222";

json::value Json(const std::string& text) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  EXPECT_FALSE(ec) << "not JSON: " << text.substr(0, 300);
  return v;
}

// Every field of `expected` is in `actual` with the same JSON kind (numbers of any kind match).
void ExpectShape(const json::value& expected, const json::value& actual, const std::string& at) {
  auto kind = [](const json::value& v) {
    if (v.is_number()) return std::string("number");
    return std::string(json::to_string(v.kind()));
  };
  if (expected.is_null()) return;  // null in an example means "may be absent or null"
  ASSERT_EQ(kind(expected), kind(actual)) << "at " << at;
  if (expected.is_object()) {
    for (const auto& kv : expected.as_object()) {
      const auto* a = actual.as_object().if_contains(kv.key());
      ASSERT_TRUE(a) << "missing " << at << "." << kv.key();
      ExpectShape(kv.value(), *a, at + "." + std::string(kv.key()));
    }
  } else if (expected.is_array() && !expected.as_array().empty()) {
    ASSERT_FALSE(actual.as_array().empty()) << "empty array at " << at;
    ExpectShape(expected.as_array()[0], actual.as_array()[0], at + "[0]");
  }
}

class SandboxTest : public ::testing::Test {
 protected:
  void SetUp() override { server_.Start({"sandbox"}); }

  std::string Url(const std::string& path) const { return server_.BaseUrl() + path; }

  HttpResponse Control(const std::string& what, const std::string& body = "{}") {
    return Http("POST", Url("/sandbox/control/" + what), body,
                {"Content-Type: application/json"});
  }

  std::string Token(const std::string& tenant = kPartnerTenant,
                    const std::string& resource = "https://api.partnercenter.microsoft.com") {
    auto res = Http("POST", Url("/login/" + tenant + "/oauth2/token"),
                    "grant_type=client_credentials&client_id=" + kClient +
                        "&client_secret=sandbox-secret&resource=" + resource,
                    {"Content-Type: application/x-www-form-urlencoded"});
    EXPECT_EQ(res.status, 200) << res.body;
    return std::string(Json(res.body).at("access_token").as_string());
  }

  std::vector<std::string> Auth(const std::string& token) {
    return {"Authorization: Bearer " + token, "Content-Type: application/json",
            "Accept: application/json"};
  }

  HttpResponse Pc(const std::string& method, const std::string& path, const std::string& body = "",
                  std::vector<std::string> extra = {}) {
    if (pc_token_.empty()) pc_token_ = Token();
    auto headers = Auth(pc_token_);
    headers.insert(headers.end(), extra.begin(), extra.end());
    return Http(method, Url("/partnercenter/v1" + path), body, headers);
  }

  HttpResponse Arm(const std::string& method, const std::string& path,
                   const std::string& body = "") {
    if (arm_token_.empty()) arm_token_ = Token(kPartnerTenant, "https://management.azure.com/");
    return Http(method, Url("/arm" + path), body, Auth(arm_token_));
  }

  std::string CreateCustomer(const std::string& domain, const std::string& country = "US") {
    auto res = Pc("POST", "/customers",
                  R"({"CompanyProfile":{"Domain":")" + domain +
                      R"("},"BillingProfile":{"Culture":"EN-US","Email":"a@b.example","Language":"en","CompanyName":"Acme Corp","DefaultAddress":{"FirstName":"Ann","LastName":"Lee","AddressLine1":"1 Main St","City":"Redmond","State":"WA","PostalCode":"98052","Country":")" +
                      country + R"("}}})");
    EXPECT_EQ(res.status, 201) << res.body;
    if (res.status != 201) return "";
    return std::string(Json(res.body).at("id").as_string());
  }

  ServerProcess server_;
  std::string pc_token_, arm_token_;
};

TEST_F(SandboxTest, EntraTokensAndErrors) {
  auto v2 = Http("POST", Url("/login/contoso-csp.onmicrosoft.com/oauth2/v2.0/token"),
                 "grant_type=client_credentials&client_id=" + kClient +
                     "&client_secret=sandbox-secret&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default");
  ASSERT_EQ(v2.status, 200) << v2.body;
  EXPECT_TRUE(Json(v2.body).at("expires_in").is_number());
  EXPECT_FALSE(Json(v2.body).as_object().contains("resource"));

  auto bad = Http("POST", Url("/login/" + kPartnerTenant + "/oauth2/token"),
                  "grant_type=client_credentials&client_id=" + kClient + "&client_secret=wrong");
  EXPECT_EQ(bad.status, 401);
  auto err = Json(bad.body);
  EXPECT_EQ(err.at("error"), "invalid_client");
  EXPECT_TRUE(err.at("error_codes").is_array());
  EXPECT_NE(std::string(err.at("error_description").as_string()).find("AADSTS7000215"),
            std::string::npos);
  EXPECT_EQ(bad.body.find("wrong"), std::string::npos);

  auto refresh = Http("POST", Url("/login/" + kPartnerTenant + "/oauth2/token"),
                      "grant_type=refresh_token&client_id=" + kClient +
                          "&client_secret=sandbox-secret&refresh_token=sandbox-refresh-token"
                          "&resource=https%3A%2F%2Fapi.partnercenter.microsoft.com");
  ASSERT_EQ(refresh.status, 200) << refresh.body;
  EXPECT_TRUE(Json(refresh.body).at("expires_in").is_string());
  EXPECT_TRUE(Json(refresh.body).as_object().contains("refresh_token"));

  auto unknown = Http("POST", Url("/login/nobody.onmicrosoft.com/oauth2/token"), "grant_type=x");
  EXPECT_EQ(unknown.status, 400);

  // Tokens expire with the sandbox clock; Partner Center then answers 401 + WWW-Authenticate.
  std::string token = Token();
  EXPECT_EQ(Http("GET", Url("/partnercenter/v1/customers"), "", Auth(token)).status, 200);
  ASSERT_EQ(Control("clock", R"({"advanceSeconds":3700})").status, 200);
  auto expired = Http("GET", Url("/partnercenter/v1/customers"), "", Auth(token));
  EXPECT_EQ(expired.status, 401);
  EXPECT_NE(expired.Header("www-authenticate").find("OAuth realm=urn:cpsvc:cpid:"),
            std::string::npos);
  EXPECT_TRUE(Json(expired.body).at("code").is_number());
}

TEST_F(SandboxTest, ClcLoginAccountsInvoiceAndSink) {
  auto bad = Http("POST", Url("/clc/v2/authentication/login"),
                  R"({"username":"acme.admin","password":"nope"})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(Json(bad.body).at("message"),
            "We didn't recognize the username or password you entered. Please try again.");

  auto login = Http("POST", Url("/clc/v2/authentication/login"),
                    R"({"username":"acme.admin","password":"sandbox"})");
  ASSERT_EQ(login.status, 200) << login.body;
  auto l = Json(login.body);
  EXPECT_EQ(l.at("accountAlias"), "ACME");
  EXPECT_EQ(l.at("roles").as_array()[0], "AccountAdmin");
  std::string token(l.at("bearerToken").as_string());
  EXPECT_EQ(token.substr(0, 36), "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9");

  auto billing = Json(Http("POST", Url("/clc/v2/authentication/login"),
                           R"({"username":"acme.billing","password":"sandbox"})").body);
  EXPECT_EQ(billing.at("roles"), json::array{"BillingAdmin"});

  std::vector<std::string> auth = {"Authorization: Bearer " + token};
  auto acct = Http("GET", Url("/clc/v2/accounts/ACME"), "", auth);
  ASSERT_EQ(acct.status, 200);
  EXPECT_EQ(Json(acct.body).at("businessName"), "Acme Corp");
  EXPECT_EQ(Json(acct.body).at("country"), "US");
  auto subs = Json(Http("GET", Url("/clc/v2/accounts/ACME/subAccounts"), "", auth).body);
  ASSERT_EQ(subs.as_array().size(), 2u);
  EXPECT_EQ(subs.as_array()[0].at("accountAlias"), "ACMD");
  EXPECT_EQ(subs.as_array()[0].at("parentAlias"), "ACME");
  EXPECT_EQ(Http("GET", Url("/clc/v2/accounts/RSLR"), "", auth).status, 403);
  EXPECT_EQ(Http("GET", Url("/clc/v2/accounts/ACME")).status, 401);

  auto rslr = Json(Http("POST", Url("/clc/v2/authentication/login"),
                        R"({"username":"rslr.admin","password":"sandbox"})").body);
  auto rsc1 = Json(Http("GET", Url("/clc/v2/accounts/RSC1"), "",
                        {"Authorization: Bearer " + std::string(rslr.at("bearerToken").as_string())})
                       .body);
  EXPECT_EQ(rsc1.at("accountType"), "ResellerCustomer");

  ASSERT_EQ(Control("clock", R"({"set":"2026-03-15T00:00:00Z"})").status, 200);
  std::string line =
      R"({"key":"ACME-2026-02","year":2026,"month":2,"quantity":1,"description":"Integrated Azure Services Usage","unitCost":"123.40","serviceLocation":"VA1"})";
  EXPECT_EQ(Http("POST", Url("/clc/v2/invoice/ACME/lines"), line, auth).status, 201);
  EXPECT_EQ(Http("POST", Url("/clc/v2/invoice/ACME/lines"), line, auth).status, 200);
  std::string changed = line;
  changed.replace(changed.find("123.40"), 6, "999.99");
  EXPECT_EQ(Http("POST", Url("/clc/v2/invoice/ACME/lines"), changed, auth).status, 409);

  for (std::string q : {"?pricingAccount=ACME", "?pricingAccountAlias=ACME"}) {
    auto inv = Http("GET", Url("/clc/v2/invoice/ACME/2026/2" + q), "", auth);
    ASSERT_EQ(inv.status, 200) << inv.body;
    EXPECT_NE(inv.body.find("\"totalAmount\":123.40"), std::string::npos) << inv.body;
    auto v = Json(inv.body);
    EXPECT_EQ(v.at("pricingAccountAlias"), "ACME");
    EXPECT_EQ(v.at("invoiceDate"), "2026-03-01T00:00:00Z");
    EXPECT_EQ(v.at("lineItems").as_array().size(), 1u);
  }
  EXPECT_EQ(Http("GET", Url("/clc/v2/invoice/ACME/2026/13"), "", auth).status, 400);
  auto state = Json(Http("GET", Url("/sandbox/control/state")).body);
  EXPECT_EQ(state.at("invoiceLines").as_array().size(), 1u);
}

TEST_F(SandboxTest, PartnerCenterCustomerOrderFlow) {
  EXPECT_EQ(Pc("HEAD", "/domains/acme1.onmicrosoft.com").status, 404);
  auto uk = Pc("POST", "/customers",
               R"({"companyprofile":{"domain":"brit.onmicrosoft.com"},"billingprofile":{"companyName":"B","defaultAddress":{"firstName":"A","lastName":"B","addressLine1":"x","city":"London","country":"UK"}}})");
  EXPECT_EQ(uk.status, 400);
  EXPECT_NE(Json(uk.body).at("description").as_string().find("UK"), json::string::npos);

  auto created = Pc("POST", "/customers",
                    R"({"CompanyProfile":{"Domain":"acme1.onmicrosoft.com"},"BillingProfile":{"CompanyName":"Acme Corp","Email":"a@b.example","DefaultAddress":{"FirstName":"Ann","LastName":"Lee","AddressLine1":"1 Main St","City":"Redmond","State":"WA","PostalCode":"98052","Country":"US"}}})",
                    {"MS-RequestId: 6a1f6c2e-0000-4000-8000-000000000001",
                     "MS-CorrelationId: corr-1"});
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.Header("ms-correlationid"), "corr-1");
  auto c = Json(created.body);
  std::string cid(c.at("id").as_string());
  EXPECT_EQ(c.at("companyProfile").at("tenantId").as_string(), cid);
  EXPECT_EQ(c.at("userCredentials").at("userName"), "admin");
  EXPECT_EQ(c.at("attributes").at("objectType"), "Customer");
  // Same MS-RequestId: the first response again, no second customer.
  auto again = Pc("POST", "/customers", "{}", {"MS-RequestId: 6a1f6c2e-0000-4000-8000-000000000001"});
  EXPECT_EQ(again.status, 201);
  EXPECT_EQ(again.body, created.body);
  EXPECT_EQ(Pc("HEAD", "/domains/acme1.onmicrosoft.com").status, 200);

  auto agreement = R"({"primaryContact":{"firstName":"Ann","lastName":"Lee","email":"ann@acme.example","phoneNumber":"1234567890"},"templateId":"117a77b0-9360-443b-8795-c6dedc750cf9","dateAgreed":"2026-01-01T00:00:00Z","type":"MicrosoftCustomerAgreement"})";
  auto meta = Json(Pc("GET", "/agreements?agreementType=MicrosoftCustomerAgreement").body);
  EXPECT_EQ(meta.at("items").as_array()[0].at("templateId"), "117a77b0-9360-443b-8795-c6dedc750cf9");
  // Ordering before attestation: 403 13605.
  auto early = Pc("POST", "/customers/" + cid + "/orders",
                  R"({"LineItems":[{"LineItemNumber":0,"OfferId":"DZH318Z0BPS6:0001:DZH318Z0BML6","Quantity":1}]})");
  EXPECT_EQ(early.status, 403);
  EXPECT_EQ(Json(early.body).at("code"), 13605);
  EXPECT_EQ(Pc("POST", "/customers/" + cid + "/agreements", agreement).status, 201);
  auto dup = Pc("POST", "/customers/" + cid + "/agreements", agreement);
  EXPECT_EQ(dup.status, 409);
  EXPECT_EQ(Json(dup.body).at("errorName"), "PartnerConfirmedAgreementAlreadyExists");
  EXPECT_EQ(Json(dup.body).at("code"), 600061);

  auto cart = Pc("POST", "/customers/" + cid + "/carts",
                 R"({"lineItems":[{"id":0,"catalogItemId":"DZH318Z0BPS6:0001:DZH318Z0BML6","quantity":1,"billingCycle":"one_time","friendlyName":"Azure plan"}],"PartnerOnRecordAttestationAccepted":true})");
  ASSERT_EQ(cart.status, 201) << cart.body;
  std::string cart_id(Json(cart.body).at("id").as_string());
  auto checkout = Pc("POST", "/customers/" + cid + "/carts/" + cart_id + "/checkout");
  ASSERT_EQ(checkout.status, 201) << checkout.body;
  auto order = Json(checkout.body).at("orders").as_array()[0];
  std::string oid(order.at("id").as_string());
  std::string sid(order.at("lineItems").as_array()[0].at("subscriptionId").as_string());
  auto prov = Json(Pc("GET", "/customers/" + cid + "/orders/" + oid + "/provisioningstatus").body);
  EXPECT_EQ(prov.at("items").as_array()[0].at("status"), "fulfilled");
  auto sub = Json(Pc("GET", "/customers/" + cid + "/subscriptions/" + sid).body);
  EXPECT_EQ(sub.at("offerName"), "Azure plan");
  auto ents = Json(Pc("GET", "/customers/" + cid + "/subscriptions/" + sid + "/azureEntitlements").body);
  ASSERT_EQ(ents.at("totalCount"), 1);
  std::string azure_sub(ents.at("items").as_array()[0].at("id").as_string());

  auto consent = Pc("POST", "/customers/" + cid + "/applicationconsents",
                    R"({"applicationId":")" + kClient + R"(","displayName":"partnercloud","applicationGrants":[{"enterpriseApplicationId":"797f4846-ba00-4fd7-ba43-dac1f8f63013","scope":"user_impersonation"}]})");
  EXPECT_EQ(consent.status, 201) << consent.body;

  auto sr = Pc("POST", "/servicerequests/en-US",
               R"({"Title":"Quota","Description":"More cores","Severity":"moderate","SupportTopicId":"32444671","CustomerId":")" + cid + R"("})");
  ASSERT_EQ(sr.status, 201) << sr.body;
  std::string sr_id(Json(sr.body).at("id").as_string());
  auto patched = Pc("PATCH", "/servicerequests/" + sr_id, R"({"NewNote":{"Text":"any update?"}})");
  EXPECT_EQ(Json(patched.body).at("notes").as_array().size(), 1u);
  EXPECT_EQ(Json(Pc("GET", "/customers/" + cid + "/servicerequests").body).at("totalCount"), 1);
  EXPECT_EQ(Json(Pc("GET", "/invoices").body).at("attributes").at("objectType"), "Collection");

  // ARM: the Azure subscription exists; an alias creates another under the customer.
  auto got = Arm("GET", "/subscriptions/" + azure_sub + "?api-version=2022-12-01");
  EXPECT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(Json(got.body).at("tenantId").as_string(), cid);
  auto alias = Arm("PUT", "/providers/Microsoft.Subscription/aliases/a1?api-version=2021-10-01",
                   R"({"properties":{"billingScope":"/providers/Microsoft.Billing/billingAccounts/ba/customers/)" + cid + R"(","displayName":"Dev","workload":"Production"}})");
  ASSERT_EQ(alias.status, 201) << alias.body;
  EXPECT_EQ(Json(alias.body).at("properties").at("provisioningState"), "Accepted");
  Arm("GET", "/providers/Microsoft.Subscription/aliases/a1?api-version=2021-10-01");
  auto polled = Arm("GET", "/providers/Microsoft.Subscription/aliases/a1?api-version=2021-10-01");
  EXPECT_EQ(Json(polled.body).at("properties").at("provisioningState"), "Succeeded");

  // Graph: a user in the customer tenant.
  std::string graph = Token(cid, "https://graph.microsoft.com");
  auto user = Http("POST", Url("/graph/v1.0/users"),
                   R"({"accountEnabled":true,"displayName":"Dev One","mailNickname":"dev1","userPrincipalName":"dev1@acme1.onmicrosoft.com","passwordProfile":{"password":"Temp-1234!","forceChangePasswordNextSignIn":true}})",
                   Auth(graph));
  EXPECT_EQ(user.status, 201) << user.body;
  auto state = Json(Http("GET", Url("/sandbox/control/state")).body);
  for (const char* key : {"customers", "subscriptions", "azureSubscriptions", "roleDefinitions",
                          "roleAssignments", "policyAssignments", "applicationConsents",
                          "serviceRequests", "invoiceLines", "users"}) {
    EXPECT_TRUE(state.at(key).is_array()) << key;
  }
  EXPECT_EQ(state.at("azureSubscriptions").as_array().size(), 2u);
  EXPECT_EQ(state.at("users").as_array().size(), 1u);
  EXPECT_TRUE(state.at("requestCounts").is_object());
}

TEST_F(SandboxTest, CustomerPagingFilterAndConsistencyDelay) {
  for (int i = 0; i < 5; ++i) CreateCustomer("page" + std::to_string(i) + ".onmicrosoft.com");
  auto first = Pc("GET", "/customers?size=2");
  ASSERT_EQ(first.status, 200);
  auto page = Json(first.body);
  EXPECT_EQ(page.at("items").as_array().size(), 2u);
  std::string token(page.at("continuationToken").as_string());
  auto next = page.at("links").at("next");
  EXPECT_EQ(next.at("headers").as_array()[0].at("key"), "MS-ContinuationToken");
  int seen = 2;
  while (!token.empty()) {
    auto res = Pc("GET", "/customers?seekOperation=Next", "", {"MS-ContinuationToken: " + token});
    ASSERT_EQ(res.status, 200);
    auto p = Json(res.body);
    seen += static_cast<int>(p.at("items").as_array().size());
    token = p.as_object().contains("continuationToken")
                ? std::string(p.at("continuationToken").as_string())
                : "";
  }
  EXPECT_EQ(seen, 5);
  auto filtered = Pc("GET", "/customers?size=0&filter=%7B%22Field%22%3A%22Domain%22%2C%22Value%22%3A%22page3%22%2C%22Operator%22%3A%22starts_with%22%7D");
  EXPECT_EQ(Json(filtered.body).at("totalCount"), 1) << filtered.body;

  ASSERT_EQ(Control("faults", R"({"seed":1,"consistencyDelaySeconds":30,"rules":[]})").status, 200);
  std::string hidden = CreateCustomer("late.onmicrosoft.com");
  auto missing = Pc("GET", "/customers/" + hidden);
  EXPECT_EQ(missing.status, 404);
  EXPECT_TRUE(Json(missing.body).at("description").is_string());
  ASSERT_EQ(Control("clock", R"({"advanceSeconds":31})").status, 200);
  pc_token_.clear();
  EXPECT_EQ(Pc("GET", "/customers/" + hidden).status, 200);
}

TEST_F(SandboxTest, FaultsAreDeterministicAndThrottleHasRetryAfter) {
  auto run = [&]() {
    EXPECT_EQ(Control("reset").status, 200);
    pc_token_.clear();
    EXPECT_EQ(Control("faults", R"({"seed":42,"rules":[{"route":"^GET /partnercenter/v1/customers$","errorRate":0.2,"throttleRate":0.3,"retryAfterSeconds":2}]})").status, 200);
    std::string codes;
    for (int i = 0; i < 30; ++i) {
      auto res = Pc("GET", "/customers");
      codes += std::to_string(res.status) + " ";
      if (res.status == 429) {
        EXPECT_EQ(res.Header("retry-after"), "2");
        EXPECT_EQ(Json(res.body).at("statusCode"), 429);
      }
      if (res.status == 500) {
        EXPECT_TRUE(Json(res.body).at("code").is_number());
      }
    }
    return codes;
  };
  std::string a = run(), b = run();
  EXPECT_EQ(a, b);
  EXPECT_NE(a.find("429"), std::string::npos);
  EXPECT_NE(a.find("500"), std::string::npos);
  // Control routes are never faulted.
  EXPECT_EQ(Control("faults", R"j({"rules":[{"route":"^(GET /arm|GET /sandbox)","errorRate":1}]})j").status, 200);
  EXPECT_EQ(Http("GET", Url("/sandbox/control/state")).status, 200);
  auto arm = Arm("GET", "/subscriptions/x?api-version=2022-12-01");
  EXPECT_EQ(arm.status, 500);
  EXPECT_TRUE(Json(arm.body).at("error").at("code").is_string());
  // A timeout holds the request.
  EXPECT_EQ(Control("faults", R"({"rules":[{"route":"^GET /clc","timeoutRate":1,"timeoutMs":400}]})").status, 200);
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(Http("GET", Url("/clc/v2/accounts/ACME")).status, 504);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(400));
}

TEST_F(SandboxTest, UsageLineItemsAreDeterministicAndPaged) {
  auto usage = [&]() {
    EXPECT_EQ(Control("seed", R"({"seed":9})").status, 200);
    pc_token_.clear();
    EXPECT_EQ(Control("clock", R"({"set":"2026-01-20T12:00:00Z"})").status, 200);
    for (int i = 0; i < 60; ++i) {
      char id[64];
      std::snprintf(id, sizeof id, "00000000-0000-4000-8000-%012d", i);
      EXPECT_EQ(Control("azure-subscriptions",
                        std::string(R"({"subscriptionId":")") + id + R"(","tenantId":")" +
                            kPartnerTenant + R"("})").status, 201);
    }
    EXPECT_EQ(Control("clock", R"({"set":"2026-01-31T12:00:00Z"})").status, 200);
    pc_token_.clear();
    std::string path = "/invoices/unbilled/lineitems?provider=onetime&invoicelineitemtype=usagelineitems&currencycode=usd&period=current&size=2000";
    std::vector<std::string> bodies;
    auto res = Pc("GET", path);
    EXPECT_EQ(res.status, 200);
    bodies.push_back(res.body);
    auto page = Json(res.body);
    EXPECT_EQ(page.at("items").as_array().size(), 2000u);
    const auto& item = page.at("items").as_array()[0];
    EXPECT_EQ(item.at("attributes").at("objectType"), "DailyRatedUsageLineItem");
    EXPECT_TRUE(item.at("billingPreTaxTotal").is_number());
    EXPECT_TRUE(item.at("tags").is_string());
    while (page.as_object().contains("continuationToken")) {
      res = Pc("GET", path + "&seekOperation=Next", "",
               {"MS-ContinuationToken: " + std::string(page.at("continuationToken").as_string())});
      EXPECT_EQ(res.status, 200);
      bodies.push_back(res.body);
      page = Json(res.body);
    }
    EXPECT_GE(bodies.size(), 2u);
    return bodies;
  };
  EXPECT_EQ(usage(), usage());
}

TEST_F(SandboxTest, ReplaysArmFixtures) {
  auto example = [](const std::string& rel) { return Json(ReadFile(kFixtures + rel)); };
  const std::string auth = "authorization/resource-manager/Microsoft.Authorization/stable/2022-04-01/examples/";
  const std::string pol = "resources/resource-manager/Microsoft.Authorization/policy/stable/2023-04-01/examples/";
  for (const char* sub : {"a925f2f7-5c63-4b7b-8799-25a5f97bc3b2", "291bba3f-e0a5-47bc-a099-3bdcb2a50a05",
                          "ae640e6b-ba3e-4256-9d62-2993eecfa6f2", "00000000-0000-0000-0000-000000000000"}) {
    ASSERT_EQ(Control("azure-subscriptions", std::string(R"({"subscriptionId":")") + sub +
                                                 R"(","tenantId":")" + kPartnerTenant + R"("})").status, 201);
  }
  auto check = [&](const json::value& ex, const std::string& method, const std::string& path,
                   const std::string& code, const json::value* body) {
    auto res = Arm(method, path, body ? json::serialize(*body) : "");
    EXPECT_EQ(std::to_string(res.status), code) << path << " " << res.body;
    const auto& expected = ex.at("responses").at(code);
    if (expected.as_object().contains("body") && !res.body.empty()) {
      ExpectShape(expected.at("body"), Json(res.body), path);
    }
  };
  // Role assignments: create 201, identical re-PUT 200, get, list, delete 200 then 204.
  auto create = example(auth + "RoleAssignments_CreateForSubscription.json");
  const auto& p = create.at("parameters");
  std::string ra = "/" + std::string(p.at("scope").as_string()) +
                   "/providers/Microsoft.Authorization/roleAssignments/" +
                   std::string(p.at("roleAssignmentName").as_string()) + "?api-version=2022-04-01";
  check(create, "PUT", ra, "201", &p.at("parameters"));
  check(create, "PUT", ra, "200", &p.at("parameters"));
  auto moved = p.at("parameters");
  moved.at("properties").as_object()["principalId"] = "00000000-0000-4000-8000-000000000009";
  EXPECT_EQ(Arm("PUT", ra, json::serialize(moved)).status, 400);
  auto dup = Arm("PUT", "/subscriptions/a925f2f7-5c63-4b7b-8799-25a5f97bc3b2/providers/Microsoft.Authorization/roleAssignments/b0f43c54-e787-4862-89b1-a653fa9cf747?api-version=2022-04-01",
                 json::serialize(p.at("parameters")));
  EXPECT_EQ(dup.status, 409);
  EXPECT_EQ(Json(dup.body).at("error").at("code"), "RoleAssignmentExists");
  check(create, "GET", ra, "200", nullptr);
  auto list = example(auth + "RoleAssignments_ListForScope.json");
  check(list, "GET", "/subscriptions/a925f2f7-5c63-4b7b-8799-25a5f97bc3b2/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01", "200", nullptr);
  auto del = example(auth + "RoleAssignments_Delete.json");
  check(del, "DELETE", ra, "200", nullptr);
  EXPECT_EQ(Arm("DELETE", ra).status, 204);
  auto get = example(auth + "RoleAssignments_Get.json");
  EXPECT_EQ(Arm("GET", ra).status, 404);
  (void)get;

  // Role definitions: custom PUT then GET by id; built-in by id.
  auto put_role = example(auth + "PutRoleDefinition.json");
  json::value role_body = json::object{{"properties", put_role.at("responses").at("201").at("body").at("properties")}};
  check(put_role, "PUT", "/subscriptions/a925f2f7-5c63-4b7b-8799-25a5f97bc3b2/providers/Microsoft.Authorization/roleDefinitions/roleDefinitionId?api-version=2022-04-01", "201", &role_body);
  auto get_role = example(auth + "GetRoleDefinitionById.json");
  check(get_role, "GET", "/subscriptions/a925f2f7-5c63-4b7b-8799-25a5f97bc3b2/providers/Microsoft.Authorization/roleDefinitions/roleDefinitionId?api-version=2022-04-01", "200", nullptr);
  auto owner = Arm("GET", "/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635?api-version=2022-04-01");
  EXPECT_EQ(Json(owner.body).at("properties").at("roleName"), "Owner");

  // Policy assignments.
  auto create_pa = example(pol + "createPolicyAssignment.json");
  std::string pa = "/subscriptions/ae640e6b-ba3e-4256-9d62-2993eecfa6f2/providers/Microsoft.Authorization/policyAssignments/EnforceNaming?api-version=2023-04-01";
  check(create_pa, "PUT", pa, "201", &create_pa.at("parameters").at("parameters"));
  check(example(pol + "getPolicyAssignment.json"), "GET", pa, "200", nullptr);

  // Subscription, provider, alias.
  auto sub = example("resources/resource-manager/Microsoft.Resources/subscriptions/examples/2022-12-01/GetSubscription.json");
  auto sub_res = Json(Arm("GET", "/subscriptions/291bba3f-e0a5-47bc-a099-3bdcb2a50a05?api-version=2022-12-01").body);
  auto sub_body = sub.at("responses").at("200").at("body");
  sub_body.as_object()["tags"] = json::object{};  // the example's tag values are its own data
  ExpectShape(sub_body, sub_res, "subscription");
  auto provider = Arm("POST", "/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Compute/register?api-version=2021-04-01");
  EXPECT_EQ(Json(provider.body).at("registrationState"), "Registering");
  std::string state;
  for (int i = 0; i < 5 && state != "Registered"; ++i) {
    auto got = Arm("GET", "/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Compute?api-version=2021-04-01");
    ExpectShape(json::parse(R"({"id":"","namespace":"","registrationPolicy":"","registrationState":"","resourceTypes":[{"apiVersions":[""],"locations":[""],"resourceType":""}]})"), Json(got.body), "provider");
    state = std::string(Json(got.body).at("registrationState").as_string());
  }
  EXPECT_EQ(state, "Registered");
  auto alias = example("subscription/resource-manager/Microsoft.Subscription/stable/2021-10-01/examples/createAlias.json");
  check(alias, "PUT", "/providers/Microsoft.Subscription/aliases/aliasForNewSub?api-version=2021-10-01", "201", &alias.at("parameters").at("body"));

  // api-version is required.
  auto missing = Arm("GET", "/subscriptions/291bba3f-e0a5-47bc-a099-3bdcb2a50a05");
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(Json(missing.body).at("error").at("code"), "MissingApiVersionParameter");
  EXPECT_FALSE(missing.Header("x-ms-ratelimit-remaining-subscription-reads").empty());
}

TEST_F(SandboxTest, AllowedResourceTypesPolicyDeniesOnlyIndexedTypes) {
  const std::string sub = "/subscriptions/a925f2f7-5c63-4b7b-8799-25a5f97bc3b2";
  ASSERT_EQ(Control("azure-subscriptions", R"({"subscriptionId":"a925f2f7-5c63-4b7b-8799-25a5f97bc3b2","tenantId":")" + kPartnerTenant + R"("})").status, 201);
  auto def = Json(ReadFile(std::string(PC_SOURCE_DIR) + "/../shared/fixtures/Azure+azure-policy/built-in-policies/policyDefinitions/General/AllowedResourceTypes_Deny.json"));
  auto served = Json(Arm("GET", "/providers/Microsoft.Authorization/policyDefinitions/a08ec900-254a-4555-9bf5-e42af04b5c5c?api-version=2023-04-01").body);
  EXPECT_EQ(served.at("id"), def.at("id"));
  EXPECT_EQ(served.at("properties").at("parameters"), def.at("properties").at("parameters"));
  ASSERT_EQ(Arm("PUT", sub + "/providers/Microsoft.Authorization/policyAssignments/allowed?api-version=2023-04-01",
                R"({"properties":{"policyDefinitionId":"/providers/Microsoft.Authorization/policyDefinitions/a08ec900-254a-4555-9bf5-e42af04b5c5c","parameters":{"listOfResourceTypesAllowed":{"value":["Microsoft.Storage/storageAccounts"]}}}})").status, 201);
  auto ok = Arm("PUT", sub + "/resourceGroups/rg1/providers/Microsoft.Storage/storageAccounts/st1?api-version=2023-01-01", R"({"location":"eastus"})");
  EXPECT_EQ(ok.status, 201) << ok.body;
  auto denied = Arm("PUT", sub + "/resourceGroups/rg1/providers/Microsoft.Compute/virtualMachines/vm1?api-version=2023-09-01", R"({"location":"eastus"})");
  EXPECT_EQ(denied.status, 403);
  EXPECT_EQ(Json(denied.body).at("error").at("code"), "RequestDisallowedByPolicy");
  auto child = Arm("PUT", sub + "/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/vn/subnets/s1?api-version=2023-09-01", "{}");
  EXPECT_EQ(child.status, 201) << child.body;  // no tags/location: Indexed mode skips it
  EXPECT_EQ(Arm("DELETE", sub + "/providers/Microsoft.Authorization/policyAssignments/allowed?api-version=2023-04-01").status, 200);
  EXPECT_EQ(Arm("PUT", sub + "/resourceGroups/rg1/providers/Microsoft.Compute/virtualMachines/vm1?api-version=2023-09-01", R"({"location":"eastus"})").status, 201);
}

TEST_F(SandboxTest, RandomBadRequestsNeverCrashTheSandbox) {
  std::mt19937 rng(1234);
  const std::vector<std::string> paths = {
      "/login/" + kPartnerTenant + "/oauth2/token", "/partnercenter/v1/customers",
      "/partnercenter/v1/customers/x/orders", "/arm/subscriptions/x/providers",
      "/arm/providers/Microsoft.Subscription/aliases/a?api-version=1", "/clc/v2/authentication/login",
      "/clc/v2/invoice/ACME/lines", "/graph/v1.0/users", "/sandbox/control/faults",
      "/sandbox/control/clock", "/nowhere/at/all", "/partnercenter/v1/%ZZ"};
  const std::vector<std::string> bodies = {
      "", "{", "[]", "null", R"({"username":5,"password":[]})", R"({"seed":"x"})",
      R"({"rules":[{"route":"(("}]})", R"({"set":"yesterday"})", std::string(3 * 1024 * 1024, 'x'),
      R"({"CompanyProfile":7})", "grant_type=&client_id=%", std::string(100, '{')};
  const std::vector<std::string> methods = {"GET", "POST", "PUT", "PATCH", "DELETE"};
  for (int i = 0; i < 150; ++i) {
    auto res = Http(methods[rng() % methods.size()], Url(paths[rng() % paths.size()]),
                    bodies[rng() % bodies.size()], {"Content-Type: application/json"});
    EXPECT_GE(res.status, 200);
    EXPECT_LT(res.status, 500) << res.body;
  }
  EXPECT_EQ(Http("GET", Url("/sandbox/control/state")).status, 200);
}

}  // namespace
}  // namespace pc::test
