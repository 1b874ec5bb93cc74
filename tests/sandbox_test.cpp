// End-to-end tests of `partnercloud sandbox`: a real process on an ephemeral port, driven over
// HTTP. Replays the official examples under ../shared/fixtures and checks the Partner Center,
// CLC, Entra, ARM and Graph shapes, faults and determinism.
#include <curl/curl.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <random>
#include <set>
#include <thread>

#include "tests/fixtures.h"
#include "tests/harness.h"

namespace pc::test {
namespace {

namespace json = boost::json;

const std::string kFixtures = FixturesDir() + "/Azure+azure-rest-api-specs/specification/";
const std::string kPartnerTenant = "11111111-1111-4111-8111-111111111111";
const std::string kClient = "22222222-2222-4222-8222-222222222222";

std::string Gunzip(const std::string& gz) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, 15 + 16), Z_OK);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  z.avail_in = static_cast<uInt>(gz.size());
  std::string out;
  char buf[65536];
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof buf - z.avail_out);
  }
  inflateEnd(&z);
  EXPECT_EQ(rc, Z_STREAM_END) << "not a complete gzip stream";
  return out;
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

// Like ExpectShape, but an array's documented element may be matched field by field across
// the actual elements: each field it shows is, with the same shape, on at least one of them.
// For lists whose documented first element is of a kind the sandbox lists later
// (GetProviders.json: the first provider's first type has locationMappings; ours are on
// Compute and Network types). Returns "" or what does not match.
std::string ShapeMismatchInSome(const json::value& expected, const json::value& actual,
                                const std::string& at) {
  auto kind = [](const json::value& v) {
    if (v.is_number()) return std::string("number");
    return std::string(json::to_string(v.kind()));
  };
  if (expected.is_null()) return "";
  if (kind(expected) != kind(actual)) return "at " + at + ": " + kind(actual);
  if (expected.is_object()) {
    for (const auto& kv : expected.as_object()) {
      const auto* a = actual.as_object().if_contains(kv.key());
      if (!a) return "missing " + at + "." + std::string(kv.key());
      auto why = ShapeMismatchInSome(kv.value(), *a, at + "." + std::string(kv.key()));
      if (!why.empty()) return why;
    }
  } else if (expected.is_array() && !expected.as_array().empty()) {
    if (actual.as_array().empty()) return "empty array at " + at;
    const auto& doc = expected.as_array()[0];
    if (!doc.is_object()) return ShapeMismatchInSome(doc, actual.as_array()[0], at + "[0]");
    for (const auto& kv : doc.as_object()) {
      std::string why = "no element of " + at + " has " + std::string(kv.key());
      for (const auto& element : actual.as_array()) {
        const auto* a = element.is_object() ? element.as_object().if_contains(kv.key()) : nullptr;
        if (!a) continue;
        why = ShapeMismatchInSome(kv.value(), *a, at + "[]." + std::string(kv.key()));
        if (why.empty()) break;
      }
      if (!why.empty()) return why;
    }
  }
  return "";
}

class SandboxTest : public ::testing::Test {
 protected:
  void SetUp() override { server_.Start({"sandbox"}); }

  std::string Url(const std::string& path) const { return server_.BaseUrl() + path; }

  HttpResponse Control(const std::string& what, const std::string& body = "{}") {
    return Http("POST", Url("/sandbox/control/" + what), body, {"Content-Type: application/json"});
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
    auto res = Pc(
        "POST", "/customers",
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
  auto v2 =
      Http("POST", Url("/login/contoso-csp.onmicrosoft.com/oauth2/v2.0/token"),
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
                           R"({"username":"acme.billing","password":"sandbox"})")
                          .body);
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
                        R"({"username":"rslr.admin","password":"sandbox"})")
                       .body);
  auto rsc1 =
      Json(Http("GET", Url("/clc/v2/accounts/RSC1"), "",
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
  auto uk = Pc(
      "POST", "/customers",
      R"({"companyprofile":{"domain":"brit.onmicrosoft.com"},"billingprofile":{"companyName":"B","defaultAddress":{"firstName":"A","lastName":"B","addressLine1":"x","city":"London","country":"UK"}}})");
  EXPECT_EQ(uk.status, 400);
  EXPECT_NE(Json(uk.body).at("description").as_string().find("UK"), json::string::npos);

  auto created = Pc(
      "POST", "/customers",
      R"({"CompanyProfile":{"Domain":"acme1.onmicrosoft.com"},"BillingProfile":{"CompanyName":"Acme Corp","Email":"a@b.example","DefaultAddress":{"FirstName":"Ann","LastName":"Lee","AddressLine1":"1 Main St","City":"Redmond","State":"WA","PostalCode":"98052","Country":"US"}}})",
      {"MS-RequestId: 6a1f6c2e-0000-4000-8000-000000000001", "MS-CorrelationId: corr-1"});
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.Header("ms-correlationid"), "corr-1");
  auto c = Json(created.body);
  std::string cid(c.at("id").as_string());
  EXPECT_EQ(c.at("companyProfile").at("tenantId").as_string(), cid);
  EXPECT_EQ(c.at("userCredentials").at("userName"), "admin");
  EXPECT_EQ(c.at("attributes").at("objectType"), "Customer");
  // Same MS-RequestId: the first response again, no second customer.
  auto again =
      Pc("POST", "/customers", "{}", {"MS-RequestId: 6a1f6c2e-0000-4000-8000-000000000001"});
  EXPECT_EQ(again.status, 201);
  EXPECT_EQ(again.body, created.body);
  EXPECT_EQ(Pc("HEAD", "/domains/acme1.onmicrosoft.com").status, 200);

  auto agreement =
      R"({"primaryContact":{"firstName":"Ann","lastName":"Lee","email":"ann@acme.example","phoneNumber":"1234567890"},"templateId":"117a77b0-9360-443b-8795-c6dedc750cf9","dateAgreed":"2026-01-01T00:00:00Z","type":"MicrosoftCustomerAgreement"})";
  auto meta = Json(Pc("GET", "/agreements?agreementType=MicrosoftCustomerAgreement").body);
  EXPECT_EQ(meta.at("items").as_array()[0].at("templateId"),
            "117a77b0-9360-443b-8795-c6dedc750cf9");
  // Ordering before attestation: 403 13605.
  auto early = Pc(
      "POST", "/customers/" + cid + "/orders",
      R"({"LineItems":[{"LineItemNumber":0,"OfferId":"DZH318Z0BPS6:0001:DZH318Z0BML6","Quantity":1}]})");
  EXPECT_EQ(early.status, 403);
  EXPECT_EQ(Json(early.body).at("code"), 13605);
  EXPECT_EQ(Pc("POST", "/customers/" + cid + "/agreements", agreement).status, 201);
  auto dup = Pc("POST", "/customers/" + cid + "/agreements", agreement);
  EXPECT_EQ(dup.status, 409);
  EXPECT_EQ(Json(dup.body).at("errorName"), "PartnerConfirmedAgreementAlreadyExists");
  EXPECT_EQ(Json(dup.body).at("code"), 600061);

  auto cart = Pc(
      "POST", "/customers/" + cid + "/carts",
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
  auto ents =
      Json(Pc("GET", "/customers/" + cid + "/subscriptions/" + sid + "/azureEntitlements").body);
  ASSERT_EQ(ents.at("totalCount"), 1);
  std::string azure_sub(ents.at("items").as_array()[0].at("id").as_string());

  auto consent = Pc(
      "POST", "/customers/" + cid + "/applicationconsents",
      R"({"applicationId":")" + kClient +
          R"(","displayName":"partnercloud","applicationGrants":[{"enterpriseApplicationId":"797f4846-ba00-4fd7-ba43-dac1f8f63013","scope":"user_impersonation"}]})");
  EXPECT_EQ(consent.status, 201) << consent.body;

  auto sr = Pc(
      "POST", "/servicerequests/en-US",
      R"({"Title":"Quota","Description":"More cores","Severity":"moderate","SupportTopicId":"32444671","CustomerId":")" +
          cid + R"("})");
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
  auto alias = Arm(
      "PUT", "/providers/Microsoft.Subscription/aliases/a1?api-version=2021-10-01",
      R"({"properties":{"billingScope":"/providers/Microsoft.Billing/billingAccounts/ba/customers/)" +
          cid + R"(","displayName":"Dev","workload":"Production"}})");
  ASSERT_EQ(alias.status, 201) << alias.body;
  EXPECT_EQ(Json(alias.body).at("properties").at("provisioningState"), "Accepted");
  Arm("GET", "/providers/Microsoft.Subscription/aliases/a1?api-version=2021-10-01");
  auto polled = Arm("GET", "/providers/Microsoft.Subscription/aliases/a1?api-version=2021-10-01");
  EXPECT_EQ(Json(polled.body).at("properties").at("provisioningState"), "Succeeded");

  // Graph: a user in the customer tenant.
  std::string graph = Token(cid, "https://graph.microsoft.com");
  auto user = Http(
      "POST", Url("/graph/v1.0/users"),
      R"({"accountEnabled":true,"displayName":"Dev One","mailNickname":"dev1","userPrincipalName":"dev1@acme1.onmicrosoft.com","passwordProfile":{"password":"Temp-1234!","forceChangePasswordNextSignIn":true}})",
      Auth(graph));
  EXPECT_EQ(user.status, 201) << user.body;
  auto state = Json(Http("GET", Url("/sandbox/control/state")).body);
  for (const char* key :
       {"customers", "subscriptions", "azureSubscriptions", "roleDefinitions", "roleAssignments",
        "policyAssignments", "applicationConsents", "serviceRequests", "invoiceLines", "users"}) {
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
  auto filtered = Pc("GET",
                     "/customers?size=0&filter=%7B%22Field%22%3A%22Domain%22%2C%22Value%22%3A%"
                     "22page3%22%2C%22Operator%22%3A%22starts_with%22%7D");
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
    EXPECT_EQ(
        Control(
            "faults",
            R"({"seed":42,"rules":[{"route":"^GET /partnercenter/v1/customers$","errorRate":0.2,"throttleRate":0.3,"retryAfterSeconds":2}]})")
            .status,
        200);
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
  EXPECT_EQ(Control("faults", R"j({"rules":[{"route":"^(GET /arm|GET /sandbox)","errorRate":1}]})j")
                .status,
            200);
  EXPECT_EQ(Http("GET", Url("/sandbox/control/state")).status, 200);
  auto arm = Arm("GET", "/subscriptions/x?api-version=2022-12-01");
  EXPECT_EQ(arm.status, 500);
  EXPECT_TRUE(Json(arm.body).at("error").at("code").is_string());
  // A timeout holds the request.
  EXPECT_EQ(
      Control("faults", R"({"rules":[{"route":"^GET /clc","timeoutRate":1,"timeoutMs":400}]})")
          .status,
      200);
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(Http("GET", Url("/clc/v2/accounts/ACME")).status, 504);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(400));
}

TEST_F(SandboxTest, UsageLineItemsAreDeterministicAndPaged) {
  auto usage = [&]() {
    EXPECT_EQ(Control("seed", R"({"seed":9})").status, 200);
    pc_token_.clear();
    EXPECT_EQ(Control("clock", R"({"set":"2026-01-20T12:00:00Z","freeze":true})").status, 200);
    for (int i = 0; i < 60; ++i) {
      char id[64];
      std::snprintf(id, sizeof id, "00000000-0000-4000-8000-%012d", i);
      EXPECT_EQ(Control("azure-subscriptions", std::string(R"({"subscriptionId":")") + id +
                                                   R"(","tenantId":")" + kPartnerTenant + R"("})")
                    .status,
                201);
    }
    EXPECT_EQ(Control("clock", R"({"set":"2026-01-31T12:00:00Z","freeze":true})").status, 200);
    pc_token_.clear();
    std::string path =
        "/invoices/unbilled/"
        "lineitems?provider=onetime&invoicelineitemtype=usagelineitems&currencycode=usd&period="
        "current&size=2000";
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

// The asynchronous Graph export (202 + Location → operation → manifest → gzipped JSON Lines
// blobs) serves exactly the rows of the v1 line items, deterministically.
TEST_F(SandboxTest, GraphBillingExportServesTheV1RowsAsGzippedJsonLines) {
  ASSERT_EQ(Control("seed", R"({"seed":9})").status, 200);
  ASSERT_EQ(Control("clock", R"({"set":"2026-01-01T12:00:00Z"})").status, 200);
  for (int i = 0; i < 60; ++i) {
    char id[64];
    std::snprintf(id, sizeof id, "00000000-0000-4000-8000-%012d", i);
    ASSERT_EQ(Control("azure-subscriptions", std::string(R"({"subscriptionId":")") + id +
                                                 R"(","tenantId":")" + kPartnerTenant + R"("})")
                  .status,
              201);
  }
  ASSERT_EQ(Control("clock", R"({"set":"2026-01-31T12:00:00Z"})").status, 200);
  auto key = [](const json::value& row, const char* ent, const char* day, const char* meter,
                const char* qty, const char* total) {
    return json::serialize(
        json::array{row.at(ent), row.at(day), row.at(meter), row.at(qty), row.at(total)});
  };
  std::multiset<std::string> v1;
  std::string path =
      "/invoices/unbilled/"
      "lineitems?provider=onetime&invoicelineitemtype=usagelineitems&currencycode=usd&period="
      "current&size=2000";
  auto page = Json(Pc("GET", path).body);
  while (true) {
    for (const auto& item : page.at("items").as_array()) {
      v1.insert(
          key(item, "entitlementId", "usageDate", "meterId", "quantity", "billingPreTaxTotal"));
    }
    if (!page.as_object().contains("continuationToken")) break;
    page =
        Json(Pc("GET", path + "&seekOperation=Next", "",
                {"MS-ContinuationToken: " + std::string(page.at("continuationToken").as_string())})
                 .body);
  }
  ASSERT_GT(v1.size(), 5000u);

  auto graph = Auth(Token(kPartnerTenant, "https://graph.microsoft.com"));
  const std::string billing = Url("/graph/v1.0/reports/partners/billing");
  // Request → operation (running, then succeeded) → manifest; returns the manifest.
  auto run_export = [&](const std::string& kind, const std::string& body) {
    auto accepted = Http("POST", billing + "/usage/" + kind + "/export", body, graph);
    EXPECT_EQ(accepted.status, 202) << accepted.body;
    EXPECT_TRUE(accepted.body.empty());
    std::string location = accepted.Header("location");
    EXPECT_EQ(location.rfind(billing + "/operations/", 0), 0u) << location;
    auto running = Json(Http("GET", location, "", graph).body);
    EXPECT_EQ(running.at("status"), "running");
    EXPECT_EQ(running.at("@odata.type"), "#microsoft.graph.partners.billing.runningOperation");
    return Json(Http("GET", location, "", graph).body);
  };
  auto done = run_export(
      "unbilled", R"({"currencyCode":"USD","billingPeriod":"current","attributeSet":"full"})");
  ASSERT_EQ(done.at("status"), "succeeded") << json::serialize(done);
  EXPECT_EQ(done.at("@odata.type"), "#microsoft.graph.partners.billing.exportSuccessOperation");
  auto manifest_res = Http(
      "GET", std::string(done.at("resourceLocation@odata.navigationLink").as_string()), "", graph);
  ASSERT_EQ(manifest_res.status, 200) << manifest_res.body;
  auto manifest = Json(manifest_res.body);
  EXPECT_EQ(manifest.at("dataFormat"), "compressedJSON");
  EXPECT_EQ(manifest.at("schemaVersion"), "1");
  EXPECT_EQ(manifest.at("partnerTenantId").as_string(), kPartnerTenant);
  EXPECT_EQ(manifest.at("partitionType"), "Default");
  const auto& blobs = manifest.at("blobs").as_array();
  ASSERT_EQ(manifest.at("blobCount").to_number<size_t>(), blobs.size());
  ASSERT_GE(blobs.size(), 2u);
  std::string root(manifest.at("rootDirectory").as_string()),
      sas(manifest.at("sasToken").as_string());
  std::multiset<std::string> exported;
  std::string all_text;
  for (const auto& b : blobs) {
    EXPECT_EQ(b.at("partitionValue"), "default");
    auto blob = Http("GET", root + "/" + std::string(b.at("name").as_string()) + "?" + sas);
    ASSERT_EQ(blob.status, 200) << blob.body.substr(0, 300);
    std::string text = Gunzip(blob.body);
    all_text += text;
    size_t start = 0;
    while (start < text.size()) {
      size_t end = text.find('\n', start);
      auto row = Json(text.substr(start, end - start));
      exported.insert(
          key(row, "EntitlementId", "UsageDate", "MeterId", "Quantity", "BillingPreTaxTotal"));
      if (start == 0) {
        EXPECT_EQ(row.as_object().size(), 54u);  // every attribute of the full set
        for (const char* k : {"PartnerId", "CustomerId", "ResourceURI", "Unit",
                              "PCToBCExchangeRate", "PartnerEarnedCreditPercentage",
                              "CreditPercentage", "BenefitOrderID", "BenefitType"}) {
          EXPECT_TRUE(row.as_object().contains(k)) << k;
        }
        EXPECT_TRUE(row.at("BillingPreTaxTotal").is_number());
        EXPECT_TRUE(row.at("Tags").is_string());
        EXPECT_EQ(row.at("InvoiceNumber"), "");
      }
      start = end + 1;
    }
  }
  EXPECT_EQ(exported, v1);

  // A wrong signature: Azure Storage's XML error.
  std::string forged = sas.substr(0, sas.find("sig=") + 4) + "0000";
  auto denied =
      Http("GET", root + "/" + std::string(blobs[0].at("name").as_string()) + "?" + forged);
  EXPECT_EQ(denied.status, 403);
  EXPECT_EQ(denied.Header("x-ms-error-code"), "AuthenticationFailed");
  EXPECT_NE(denied.body.find("<Code>AuthenticationFailed</Code>"), std::string::npos);

  // Same seed, same request: the same rows. `basic` keeps only the attributes marked B.
  auto again = Json(
      Http("GET",
           std::string(run_export("unbilled", R"({"currencyCode":"USD","billingPeriod":"current"})")
                           .at("resourceLocation@odata.navigationLink")
                           .as_string()),
           "", graph)
          .body);
  std::string again_text;
  for (const auto& b : again.at("blobs").as_array()) {
    again_text += Gunzip(Http("GET", std::string(again.at("rootDirectory").as_string()) + "/" +
                                         std::string(b.at("name").as_string()) + "?" +
                                         std::string(again.at("sasToken").as_string()))
                             .body);
  }
  EXPECT_TRUE(again_text == all_text);
  auto basic = Json(
      Http("GET",
           std::string(
               run_export(
                   "unbilled",
                   R"({"currencyCode":"USD","billingPeriod":"current","attributeSet":"basic"})")
                   .at("resourceLocation@odata.navigationLink")
                   .as_string()),
           "", graph)
          .body);
  auto first_basic =
      Gunzip(Http("GET", std::string(basic.at("rootDirectory").as_string()) + "/" +
                             std::string(basic.at("blobs").as_array()[0].at("name").as_string()) +
                             "?" + std::string(basic.at("sasToken").as_string()))
                 .body);
  auto basic_row = Json(first_basic.substr(0, first_basic.find('\n')));
  EXPECT_TRUE(basic_row.as_object().contains("PartnerId"));
  EXPECT_TRUE(basic_row.as_object().contains("EffectiveUnitPrice"));
  EXPECT_FALSE(basic_row.as_object().contains("MeterName"));

  // No usage in December (the subscriptions are from January): the operation fails.
  auto failed = run_export("billed", R"({"invoiceId":"G100202512","attributeSet":"full"})");
  EXPECT_EQ(failed.at("status"), "failed");
  EXPECT_EQ(failed.at("error").at("code"), "5000");
  auto bad = Http("POST", billing + "/usage/unbilled/export",
                  R"({"currencyCode":"USD","billingPeriod":"yesterday"})", graph);
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(Json(bad.body).at("error").at("code"), "BadRequest");
  EXPECT_EQ(Http("POST", billing + "/usage/unbilled/export", "{}").status, 401);
  // The SAS expires with the sandbox clock.
  ASSERT_EQ(Control("clock", R"({"advanceSeconds":3700})").status, 200);
  EXPECT_EQ(
      Http("GET", root + "/" + std::string(blobs[0].at("name").as_string()) + "?" + sas).status,
      403);
}

// The application consent creates the app's service principal in the customer tenant; Graph
// finds it by appId; ARM accepts its object id as a role assignment's principal.
TEST_F(SandboxTest, ApplicationConsentCreatesAServicePrincipal) {
  std::string cid = CreateCustomer("spn.onmicrosoft.com");
  ASSERT_FALSE(cid.empty());
  auto graph = Auth(Token(cid, "https://graph.microsoft.com"));
  const std::string by_app = Url("/graph/v1.0/servicePrincipals(appId='" + kClient + "')");
  const std::string filter =
      Url("/graph/v1.0/servicePrincipals?$filter=appId%20eq%20'" + kClient + "'");
  auto before = Http("GET", by_app, "", graph);
  EXPECT_EQ(before.status, 404);
  EXPECT_EQ(Json(before.body).at("error").at("code"), "Request_ResourceNotFound");
  EXPECT_TRUE(Json(before.body).at("error").at("innerError").is_object());
  EXPECT_TRUE(Json(Http("GET", filter, "", graph).body).at("value").as_array().empty());

  std::string consent =
      R"({"applicationId":")" + kClient +
      R"(","displayName":"partnercloud","applicationGrants":[{"enterpriseApplicationId":"797f4846-ba00-4fd7-ba43-dac1f8f63013","scope":"user_impersonation"}]})";
  ASSERT_EQ(Pc("POST", "/customers/" + cid + "/applicationconsents", consent).status, 201);
  auto got = Http("GET", by_app, "", graph);
  ASSERT_EQ(got.status, 200) << got.body;
  auto sp = Json(got.body);
  std::string object_id(sp.at("id").as_string());
  EXPECT_EQ(sp.at("appId").as_string(), kClient);
  EXPECT_NE(object_id, kClient);
  EXPECT_EQ(sp.at("servicePrincipalType"), "Application");
  EXPECT_EQ(sp.at("displayName"), "partnercloud");
  EXPECT_FALSE(sp.as_object().contains("tenantId"));
  auto listed = Json(Http("GET", filter, "", graph).body);
  ASSERT_EQ(listed.at("value").as_array().size(), 1u);
  EXPECT_EQ(listed.at("value").as_array()[0].at("id").as_string(), object_id);
  // Not visible from another tenant.
  auto partner_graph = Auth(Token(kPartnerTenant, "https://graph.microsoft.com"));
  EXPECT_EQ(Http("GET", by_app, "", partner_graph).status, 404);
  auto state = Json(Http("GET", Url("/sandbox/control/state")).body);
  ASSERT_EQ(state.at("servicePrincipals").as_array().size(), 1u);
  EXPECT_EQ(state.at("servicePrincipals").as_array()[0].at("tenantId").as_string(), cid);

  // ARM: the custom role goes to the service principal's object id.
  const std::string sub = "5a1b0000-0000-4000-8000-00000000abcd";
  ASSERT_EQ(Control("azure-subscriptions",
                    R"({"subscriptionId":")" + sub + R"(","tenantId":")" + cid + R"("})")
                .status,
            201);
  auto ra = Arm(
      "PUT",
      "/subscriptions/" + sub +
          "/providers/Microsoft.Authorization/roleAssignments/"
          "0f0e0d0c-0000-4000-8000-000000000001?api-version=2022-04-01",
      R"({"properties":{"roleDefinitionId":"/subscriptions/)" + sub +
          R"(/providers/Microsoft.Authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c","principalId":")" +
          object_id + R"(","principalType":"ServicePrincipal"}})");
  ASSERT_EQ(ra.status, 201) << ra.body;
  EXPECT_EQ(Json(ra.body).at("properties").at("principalId").as_string(), object_id);

  // Deleting the consent removes it; consenting again gives the same object id.
  ASSERT_EQ(Pc("DELETE", "/customers/" + cid + "/applicationconsents/" + kClient).status, 200);
  EXPECT_EQ(Http("GET", by_app, "", graph).status, 404);
  ASSERT_EQ(Pc("POST", "/customers/" + cid + "/applicationconsents", consent).status, 201);
  EXPECT_EQ(Json(Http("GET", by_app, "", graph).body).at("id").as_string(), object_id);
}

struct MailUpload {
  std::string text;
  size_t at = 0;
};

size_t ReadMail(char* out, size_t size, size_t n, void* user) {
  auto* u = static_cast<MailUpload*>(user);
  size_t len = std::min(size * n, u->text.size() - u->at);
  std::memcpy(out, u->text.data() + u->at, len);
  u->at += len;
  return len;
}

// Sends one message with libcurl's SMTP client; returns the curl code and the last reply code.
std::pair<CURLcode, long> SendMail(uint16_t port, const std::string& from,
                                   const std::vector<std::string>& to, const std::string& text) {
  CURL* curl = curl_easy_init();
  MailUpload upload{text, 0};
  curl_slist* rcpt = nullptr;
  for (const auto& r : to) rcpt = curl_slist_append(rcpt, r.c_str());
  curl_easy_setopt(curl, CURLOPT_URL,
                   ("smtp://127.0.0.1:" + std::to_string(port) + "/partnercloud.test").c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, ReadMail);
  curl_easy_setopt(curl, CURLOPT_READDATA, &upload);
  curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 20L);
  CURLcode rc = curl_easy_perform(curl);
  long code = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
  curl_slist_free_all(rcpt);
  curl_easy_cleanup(curl);
  return {rc, code};
}

TEST_F(SandboxTest, SmtpMailboxReceivesLibcurlMessages) {
  auto state = Json(Http("GET", Url("/sandbox/control/state")).body);
  ASSERT_TRUE(state.at("smtpPort").is_number());
  auto port = static_cast<uint16_t>(state.at("smtpPort").to_number<int64_t>());
  ASSERT_GT(port, 0);
  EXPECT_TRUE(state.at("mailbox").as_array().empty());

  std::string text =
      "From: partnercloud <noreply@partnercloud.test>\r\n"
      "To: ops@acme.example\r\n"
      "Subject: Provider ready:\r\n Microsoft.Compute\r\n"
      "\r\n"
      "Microsoft.Compute is registered.\r\n"
      ".a line that starts with a dot\r\n"
      "Bye.\r\n";
  auto [rc, code] = SendMail(port, "<noreply@partnercloud.test>",
                             {"<ops@acme.example>", "<billing@acme.example>"}, text);
  ASSERT_EQ(rc, CURLE_OK) << curl_easy_strerror(rc);
  EXPECT_EQ(code, 250);
  state = Json(Http("GET", Url("/sandbox/control/state")).body);
  ASSERT_EQ(state.at("mailbox").as_array().size(), 1u);
  const auto& m = state.at("mailbox").as_array()[0];
  EXPECT_EQ(m.at("from"), "noreply@partnercloud.test");
  EXPECT_EQ(m.at("to"), "ops@acme.example, billing@acme.example");
  EXPECT_EQ(m.at("subject"), "Provider ready: Microsoft.Compute");
  EXPECT_EQ(m.at("body"),
            "Microsoft.Compute is registered.\n.a line that starts with a dot\nBye.\n");
  EXPECT_EQ(m.at("receivedAt").as_string().size(), 20u);  // 2026-01-31T12:00:00Z

  // Over 1 MiB: 552, and nothing is stored.
  std::string big = "Subject: big\r\n\r\n";
  while (big.size() < 1536 * 1024) big += std::string(998, 'x') + "\r\n";
  auto [big_rc, big_code] =
      SendMail(port, "<noreply@partnercloud.test>", {"<ops@acme.example>"}, big);
  EXPECT_NE(big_rc, CURLE_OK);
  EXPECT_EQ(big_code, 552);

  // The raw dialogue: sequence errors, SIZE, RSET, NOOP, QUIT.
  RawConnection raw(port);
  raw.Send(
      "MAIL FROM:<a@b.test>\r\nHELO client.test\r\nNOOP\r\nRCPT TO:<c@d.test>\r\n"
      "MAIL FROM:<a@b.test> SIZE=99999999\r\nMAIL FROM:<a@b.test>\r\nDATA\r\nRSET\r\n"
      "FROB\r\nQUIT\r\n");
  std::string dialogue = raw.ReadAll(std::chrono::milliseconds(5000));
  for (const char* reply :
       {"220 ", "503 5.5.1 Send EHLO", "250 mailbox", "250 2.0.0 Ok", "503 5.5.1 Need MAIL",
        "552 5.3.4", "250 2.1.0", "503 5.5.1 Need RCPT", "502 5.5.2", "221 2.0.0"}) {
    EXPECT_NE(dialogue.find(reply), std::string::npos) << reply << " not in:\n" << dialogue;
  }
  state = Json(Http("GET", Url("/sandbox/control/state")).body);
  EXPECT_EQ(state.at("mailbox").as_array().size(), 1u);

  // At most 16 connections at once: the next one gets 421.
  std::vector<std::unique_ptr<RawConnection>> held;
  for (int i = 0; i < 16; ++i) held.push_back(std::make_unique<RawConnection>(port));
  // Each is being served: it has its greeting and the answer to a NOOP.
  for (auto& h : held) h->Send("NOOP\r\n");
  for (auto& h : held) {
    std::string got = h->ReadUntil("\r\n250");
    ASSERT_NE(got.find("\r\n250"), std::string::npos) << got;
  }
  RawConnection extra(port);
  EXPECT_NE(extra.ReadAll(std::chrono::milliseconds(5000)).find("421"), std::string::npos);
}

TEST_F(SandboxTest, ReplaysArmFixtures) {
  auto example = [](const std::string& rel) { return Json(ReadFile(kFixtures + rel)); };
  const std::string auth =
      "authorization/resource-manager/Microsoft.Authorization/stable/2022-04-01/examples/";
  const std::string pol =
      "resources/resource-manager/Microsoft.Authorization/policy/stable/2023-04-01/examples/";
  for (const std::string& rel :
       {auth + "RoleAssignments_CreateForSubscription.json",
        auth + "RoleAssignments_ListForScope.json", auth + "RoleAssignments_Delete.json",
        auth + "RoleAssignments_Get.json", auth + "PutRoleDefinition.json",
        auth + "GetRoleDefinitionById.json", pol + "createPolicyAssignment.json",
        pol + "getPolicyAssignment.json",
        std::string("resources/resource-manager/Microsoft.Resources/subscriptions/examples/"
                    "2022-12-01/GetSubscription.json"),
        std::string("subscription/resource-manager/Microsoft.Subscription/stable/2021-10-01/"
                    "examples/createAlias.json"),
        std::string("resources/resource-manager/Microsoft.Resources/resources/stable/2021-04-01/"
                    "examples/GetProviders.json"),
        std::string("resources/resource-manager/Microsoft.Resources/resources/examples/"
                    "2025-04-01/GetProvider.json")}) {
    PC_REQUIRE_FIXTURE(kFixtures + rel);
  }
  for (const char* sub :
       {"a925f2f7-5c63-4b7b-8799-25a5f97bc3b2", "291bba3f-e0a5-47bc-a099-3bdcb2a50a05",
        "ae640e6b-ba3e-4256-9d62-2993eecfa6f2", "00000000-0000-0000-0000-000000000000"}) {
    ASSERT_EQ(Control("azure-subscriptions", std::string(R"({"subscriptionId":")") + sub +
                                                 R"(","tenantId":")" + kPartnerTenant + R"("})")
                  .status,
              201);
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
  auto dup =
      Arm("PUT",
          "/subscriptions/a925f2f7-5c63-4b7b-8799-25a5f97bc3b2/providers/Microsoft.Authorization/"
          "roleAssignments/b0f43c54-e787-4862-89b1-a653fa9cf747?api-version=2022-04-01",
          json::serialize(p.at("parameters")));
  EXPECT_EQ(dup.status, 409);
  EXPECT_EQ(Json(dup.body).at("error").at("code"), "RoleAssignmentExists");
  check(create, "GET", ra, "200", nullptr);
  auto list = example(auth + "RoleAssignments_ListForScope.json");
  check(list, "GET",
        "/subscriptions/a925f2f7-5c63-4b7b-8799-25a5f97bc3b2/providers/Microsoft.Authorization/"
        "roleAssignments?api-version=2022-04-01",
        "200", nullptr);
  check(example(auth + "RoleAssignments_Get.json"), "GET", ra, "200", nullptr);
  auto del = example(auth + "RoleAssignments_Delete.json");
  check(del, "DELETE", ra, "200", nullptr);
  EXPECT_EQ(Arm("DELETE", ra).status, 204);
  EXPECT_EQ(Arm("GET", ra).status, 404);

  // Role definitions: custom PUT then GET by id; built-in by id.
  auto put_role = example(auth + "PutRoleDefinition.json");
  json::value role_body =
      json::object{{"properties", put_role.at("responses").at("201").at("body").at("properties")}};
  check(put_role, "PUT",
        "/subscriptions/a925f2f7-5c63-4b7b-8799-25a5f97bc3b2/providers/Microsoft.Authorization/"
        "roleDefinitions/roleDefinitionId?api-version=2022-04-01",
        "201", &role_body);
  auto get_role = example(auth + "GetRoleDefinitionById.json");
  check(get_role, "GET",
        "/subscriptions/a925f2f7-5c63-4b7b-8799-25a5f97bc3b2/providers/Microsoft.Authorization/"
        "roleDefinitions/roleDefinitionId?api-version=2022-04-01",
        "200", nullptr);
  auto owner = Arm("GET",
                   "/providers/Microsoft.Authorization/roleDefinitions/"
                   "8e3af657-a8ff-443c-a75c-2fe8c4bcb635?api-version=2022-04-01");
  EXPECT_EQ(Json(owner.body).at("properties").at("roleName"), "Owner");

  // Policy assignments.
  auto create_pa = example(pol + "createPolicyAssignment.json");
  std::string pa =
      "/subscriptions/ae640e6b-ba3e-4256-9d62-2993eecfa6f2/providers/Microsoft.Authorization/"
      "policyAssignments/EnforceNaming?api-version=2023-04-01";
  check(create_pa, "PUT", pa, "201", &create_pa.at("parameters").at("parameters"));
  check(example(pol + "getPolicyAssignment.json"), "GET", pa, "200", nullptr);

  // Subscription, provider, alias.
  auto sub = example(
      "resources/resource-manager/Microsoft.Resources/subscriptions/examples/2022-12-01/"
      "GetSubscription.json");
  auto sub_res =
      Json(Arm("GET", "/subscriptions/291bba3f-e0a5-47bc-a099-3bdcb2a50a05?api-version=2022-12-01")
               .body);
  auto sub_body = sub.at("responses").at("200").at("body");
  sub_body.as_object()["tags"] = json::object{};  // the example's tag values are its own data
  ExpectShape(sub_body, sub_res, "subscription");
  auto provider = Arm("POST",
                      "/subscriptions/00000000-0000-0000-0000-000000000000/providers/"
                      "Microsoft.Compute/register?api-version=2021-04-01");
  EXPECT_EQ(Json(provider.body).at("registrationState"), "Registering");
  std::string state;
  for (int i = 0; i < 5 && state != "Registered"; ++i) {
    auto got = Arm("GET",
                   "/subscriptions/00000000-0000-0000-0000-000000000000/providers/"
                   "Microsoft.Compute?api-version=2021-04-01");
    ExpectShape(
        json::parse(
            R"({"id":"","namespace":"","registrationPolicy":"","registrationState":"","resourceTypes":[{"apiVersions":[""],"locations":[""],"resourceType":""}]})"),
        Json(got.body), "provider");
    state = std::string(Json(got.body).at("registrationState").as_string());
  }
  EXPECT_EQ(state, "Registered");
  // Resource providers: the list and one provider, each resource type with its capabilities
  // and, for the types Azure offers in Edge Zones, locationMappings.
  const std::string rp = "resources/resource-manager/Microsoft.Resources/resources/";
  auto providers = example(rp + "stable/2021-04-01/examples/GetProviders.json");
  auto listed =
      Arm("GET",
          "/subscriptions/00000000-0000-0000-0000-000000000000/providers?api-version=2021-04-01");
  ASSERT_EQ(listed.status, 200) << listed.body;
  EXPECT_EQ(ShapeMismatchInSome(providers.at("responses").at("200").at("body"), Json(listed.body),
                                "providers"),
            "");
  check(example(rp + "examples/2025-04-01/GetProvider.json"), "GET",
        "/subscriptions/00000000-0000-0000-0000-000000000000/providers/"
        "Microsoft.Compute?api-version=2025-04-01",
        "200", nullptr);
  auto alias = example(
      "subscription/resource-manager/Microsoft.Subscription/stable/2021-10-01/examples/"
      "createAlias.json");
  check(alias, "PUT",
        "/providers/Microsoft.Subscription/aliases/aliasForNewSub?api-version=2021-10-01", "201",
        &alias.at("parameters").at("body"));

  // api-version is required.
  auto missing = Arm("GET", "/subscriptions/291bba3f-e0a5-47bc-a099-3bdcb2a50a05");
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(Json(missing.body).at("error").at("code"), "MissingApiVersionParameter");
  EXPECT_FALSE(missing.Header("x-ms-ratelimit-remaining-subscription-reads").empty());
}

// What the official SDKs rely on (conformance/ drives them over HTTPS), checked here over HTTP
// without Node: ARM's path rules, role assignment filters and principal checks, Graph paging and
// the OpenID discovery documents.
TEST_F(SandboxTest, ArmPathRulesFiltersGraphPagingAndDiscovery) {
  const std::string sub = "5a1b0000-0000-4000-8000-00000000beef";
  const std::string tenant = "7e7e0000-0000-4000-8000-00000000beef";
  ASSERT_EQ(Control("azure-subscriptions",
                    R"({"subscriptionId":")" + sub + R"(","tenantId":")" + tenant + R"("})")
                .status,
            201);
  arm_token_ = Token(tenant, "https://management.azure.com/");
  // Any case, repeated slashes; ids come back canonical.
  EXPECT_EQ(Arm("GET", "//SUBSCRIPTIONS/" + sub + "?api-version=2022-12-01").status, 200);
  auto put = Arm("PUT",
                 "/subscriptions/" + sub +
                     "/resourcegroups/rg1/providers/Microsoft.Storage//storageAccounts/"
                     "s1?api-version=2023-01-01",
                 R"({"location":"eastus"})");
  ASSERT_EQ(put.status, 201) << put.body;
  const std::string id = "/subscriptions/" + sub +
                         "/resourceGroups/rg1/providers/Microsoft.Storage/storageAccounts/s1";
  EXPECT_EQ(Json(put.body).at("id").as_string(), id);
  EXPECT_EQ(Arm("GET", id + "?api-version=2023-01-01").status, 200);
  auto missing = Arm("GET", id + "x?api-version=2023-01-01");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(Json(missing.body).at("error").at("code").as_string(), "ResourceNotFound");
  auto subs = Arm("GET", "/subscriptions?api-version=2022-12-01");
  ASSERT_EQ(subs.status, 200);
  ASSERT_EQ(Json(subs.body).at("value").as_array().size(), 1u);

  // Role assignments: an unknown principal without principalType is refused as ARM does.
  const std::string role = "/subscriptions/" + sub +
                           "/providers/Microsoft.Authorization/roleDefinitions/"
                           "acdd72a7-3385-48ef-bd42-f606fba81ae7";
  auto ra = [&](const std::string& name, const std::string& principal, const std::string& type) {
    return Arm("PUT",
               "/subscriptions/" + sub + "/providers/Microsoft.Authorization/roleAssignments/" +
                   name + "?api-version=2022-04-01",
               R"({"properties":{"roleDefinitionId":")" + role + R"(","principalId":")" +
                   principal + "\"" + type + "}}");
  };
  auto unknown =
      ra("0f0e0d0c-0000-4000-8000-000000000001", "0badbad0-0000-4000-8000-000000000001", "");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(Json(unknown.body).at("error").at("code").as_string(), "PrincipalNotFound");
  auto created = ra("0f0e0d0c-0000-4000-8000-000000000002", "0badbad0-0000-4000-8000-000000000001",
                    R"(,"principalType":"User")");
  ASSERT_EQ(created.status, 201) << created.body;
  auto props = Json(created.body).at("properties");
  EXPECT_EQ(props.at("roleDefinitionId").as_string(), role);  // as sent
  EXPECT_FALSE(props.at("createdOn").as_string().empty());
  const std::string list =
      "/subscriptions/" + sub + "/providers/Microsoft.Authorization/roleAssignments";
  auto filtered = [&](const std::string& filter) {
    return Arm("GET", list + "?api-version=2022-04-01&$filter=" + filter);
  };
  auto mine = filtered("assignedTo('0badbad0-0000-4000-8000-000000000001')");
  ASSERT_EQ(mine.status, 200);
  EXPECT_EQ(Json(mine.body).at("value").as_array().size(), 1u);
  auto other = filtered("assignedTo('0badbad0-0000-4000-8000-000000000002')");
  EXPECT_EQ(Json(other.body).at("value").as_array().size(), 0u);
  auto bad = filtered("roleName%20eq%20'Reader'");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("is not supported"), std::string::npos) << bad.body;
  auto readers = Arm("GET", "/subscriptions/" + sub +
                                "/providers/Microsoft.Authorization/roleDefinitions?api-version="
                                "2022-04-01&$filter=roleName%20eq%20'Reader'");
  ASSERT_EQ(readers.status, 200) << readers.body;
  EXPECT_EQ(Json(readers.body).at("value").as_array().size(), 1u);

  // Graph: $top and @odata.nextLink through every user of the tenant.
  auto graph = Auth(Token(tenant, "https://graph.microsoft.com"));
  for (int i = 0; i < 3; ++i) {
    std::string n = std::to_string(i);
    ASSERT_EQ(Http("POST", Url("/graph/v1.0/users"),
                   R"({"accountEnabled":true,"displayName":"U)" + n + R"(","mailNickname":"u)" + n +
                       R"(","userPrincipalName":"u)" + n +
                       R"(@beef.example","passwordProfile":{"password":"Temp-1234!"}})",
                   graph)
                  .status,
              201);
  }
  auto page = Http("GET", Url("/graph/v1.0/users?$top=2"), "", graph);
  ASSERT_EQ(page.status, 200) << page.body;
  auto first = Json(page.body);
  EXPECT_EQ(first.at("value").as_array().size(), 2u);
  std::string next(first.at("@odata.nextLink").as_string());
  ASSERT_EQ(next.rfind(server_.BaseUrl() + "/graph/v1.0/users?", 0), 0u) << next;
  auto second = Json(Http("GET", next, "", graph).body);
  EXPECT_EQ(second.at("value").as_array().size(), 1u);
  EXPECT_FALSE(second.as_object().contains("@odata.nextLink"));
  auto by_upn = Http("GET", Url("/graph/v1.0/users/u1@beef.example"), "", graph);
  ASSERT_EQ(by_upn.status, 200);
  EXPECT_EQ(Json(by_upn.body).at("displayName").as_string(), "U1");
  EXPECT_EQ(Http("DELETE", Url("/graph/v1.0/users/u1@beef.example"), "", graph).status, 204);
  EXPECT_EQ(Http("GET", Url("/graph/v1.0/users/u1@beef.example"), "", graph).status, 404);

  // OpenID discovery, under /login and at the origin's root, on the origin the client called.
  for (const std::string& path : {"/login/" + tenant + "/v2.0/.well-known/openid-configuration",
                                  "/" + tenant + "/v2.0/.well-known/openid-configuration"}) {
    auto doc = Http("GET", Url(path));
    ASSERT_EQ(doc.status, 200) << path << " " << doc.body;
    auto d = Json(doc.body);
    EXPECT_EQ(d.at("issuer").as_string(), server_.BaseUrl() + "/login/" + tenant + "/v2.0");
    EXPECT_EQ(std::string(d.at("token_endpoint").as_string()).rfind(server_.BaseUrl(), 0), 0u);
    auto keys = Http("GET", std::string(d.at("jwks_uri").as_string()));
    ASSERT_EQ(keys.status, 200);
    EXPECT_EQ(Json(keys.body).at("keys").at(0).at("kty").as_string(), "RSA");
  }
  EXPECT_EQ(Http("GET", Url("/login/nobody.example/v2.0/.well-known/openid-configuration")).status,
            400);
  // Instance discovery, as MSAL asks it about an authority it does not know.
  auto instance =
      Http("GET", Url("/login/common/discovery/instance?api-version=1.1&"
                      "authorization_endpoint=" +
                      server_.BaseUrl() + "/login/" + tenant + "/oauth2/v2.0/authorize"));
  ASSERT_EQ(instance.status, 200) << instance.body;
  EXPECT_EQ(Json(instance.body).at("tenant_discovery_endpoint").as_string(),
            server_.BaseUrl() + "/login/" + tenant + "/v2.0/.well-known/openid-configuration");
}

TEST_F(SandboxTest, AllowedResourceTypesPolicyDeniesOnlyIndexedTypes) {
  const std::string definition = FixturesDir() +
                                 "/Azure+azure-policy/built-in-policies/policyDefinitions/General/"
                                 "AllowedResourceTypes_Deny.json";
  PC_REQUIRE_FIXTURE(definition);
  const std::string sub = "/subscriptions/a925f2f7-5c63-4b7b-8799-25a5f97bc3b2";
  ASSERT_EQ(Control("azure-subscriptions",
                    R"({"subscriptionId":"a925f2f7-5c63-4b7b-8799-25a5f97bc3b2","tenantId":")" +
                        kPartnerTenant + R"("})")
                .status,
            201);
  auto def = Json(ReadFile(definition));
  auto served = Json(Arm("GET",
                         "/providers/Microsoft.Authorization/policyDefinitions/"
                         "a08ec900-254a-4555-9bf5-e42af04b5c5c?api-version=2023-04-01")
                         .body);
  EXPECT_EQ(served.at("id"), def.at("id"));
  EXPECT_EQ(served.at("properties").at("parameters"), def.at("properties").at("parameters"));
  ASSERT_EQ(
      Arm("PUT",
          sub +
              "/providers/Microsoft.Authorization/policyAssignments/allowed?api-version=2023-04-01",
          R"({"properties":{"policyDefinitionId":"/providers/Microsoft.Authorization/policyDefinitions/a08ec900-254a-4555-9bf5-e42af04b5c5c","parameters":{"listOfResourceTypesAllowed":{"value":["Microsoft.Storage/storageAccounts"]}}}})")
          .status,
      201);
  auto ok = Arm("PUT",
                sub +
                    "/resourceGroups/rg1/providers/Microsoft.Storage/storageAccounts/"
                    "st1?api-version=2023-01-01",
                R"({"location":"eastus"})");
  EXPECT_EQ(ok.status, 201) << ok.body;
  auto denied = Arm("PUT",
                    sub +
                        "/resourceGroups/rg1/providers/Microsoft.Compute/virtualMachines/"
                        "vm1?api-version=2023-09-01",
                    R"({"location":"eastus"})");
  EXPECT_EQ(denied.status, 403);
  EXPECT_EQ(Json(denied.body).at("error").at("code"), "RequestDisallowedByPolicy");
  auto child = Arm("PUT",
                   sub +
                       "/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/vn/subnets/"
                       "s1?api-version=2023-09-01",
                   "{}");
  EXPECT_EQ(child.status, 201) << child.body;  // no tags/location: Indexed mode skips it
  EXPECT_EQ(
      Arm("DELETE",
          sub +
              "/providers/Microsoft.Authorization/policyAssignments/allowed?api-version=2023-04-01")
          .status,
      200);
  EXPECT_EQ(Arm("PUT",
                sub + "/resourceGroups/rg1/providers/Microsoft.Compute/virtualMachines/"
                      "vm1?api-version=2023-09-01",
                R"({"location":"eastus"})")
                .status,
            201);
}

// Resident memory of a process in KiB (VmRSS), or -1.
long RssKib(pid_t pid) {
  std::string status = ReadFile("/proc/" + std::to_string(pid) + "/status");
  size_t at = status.find("VmRSS:");
  if (at == std::string::npos) return -1;
  return std::stol(status.substr(at + 6));
}

// Malformed JSON, wrong types, huge bodies, unknown routes and random headers (replay keys,
// tokens, content types): every answer is a 4xx in the emulated service's format, the sandbox
// keeps serving, and its resident memory stays flat from one batch to the next.
TEST(SandboxHostileInputTest, BadRequestsNeverCrashAndMemoryStaysFlat) {
  // A small ASan quarantine, so that freed memory is reused as it would be without ASan.
  std::string asan = std::getenv("ASAN_OPTIONS") ? std::getenv("ASAN_OPTIONS") : "";
  ServerProcess server;
  server.Start({"sandbox"},
               {{"ASAN_OPTIONS", asan + (asan.empty() ? "" : ":") +
                                     "quarantine_size_mb=4:thread_local_quarantine_size_kb=64"}});
  auto url = [&](const std::string& path) { return server.BaseUrl() + path; };
  std::mt19937 rng(1234);
  const std::vector<std::string> paths = {
      "/login/" + kPartnerTenant + "/oauth2/token",
      "/login/" + kPartnerTenant + "/oauth2/v2.0/token",
      "/partnercenter/v1/customers",
      "/partnercenter/v1/customers/x/orders",
      "/partnercenter/v1/invoices/unbilled/lineitems?provider=x",
      "/arm/subscriptions/x/providers",
      "/arm/providers/Microsoft.Subscription/aliases/a?api-version=1",
      "/clc/v2/authentication/login",
      "/clc/v2/invoice/ACME/lines",
      "/graph/v1.0/users",
      "/graph/v1.0/servicePrincipals",
      "/graph/v1.0/reports/partners/billing/usage/unbilled/export",
      "/graph/v1.0/reports/partners/billing/operations/nope",
      "/blob/x/v1/a/b/c/d/e?sig=1",
      "/sandbox/control/faults",
      "/sandbox/control/clock",
      "/nowhere/at/all",
      "/partnercenter/v1/%ZZ"};
  const std::vector<std::string> bodies = {"",
                                           "{",
                                           "[]",
                                           "null",
                                           R"({"username":5,"password":[]})",
                                           R"({"seed":"x"})",
                                           R"({"rules":[{"route":"(("}]})",
                                           R"({"set":"yesterday"})",
                                           std::string(3 * 1024 * 1024, 'x'),
                                           R"({"CompanyProfile":7})",
                                           "grant_type=&client_id=%",
                                           std::string(100, '{'),
                                           R"({"currencyCode":5,"billingPeriod":["current"]})",
                                           "grant_type=client_credentials&client_id=" + kClient};
  const std::vector<std::string> methods = {"GET", "POST", "PUT", "PATCH", "DELETE"};
  auto random_hex = [&](size_t n) {
    std::string s;
    for (size_t i = 0; i < n; ++i) s += "0123456789abcdef"[rng() % 16];
    return s;
  };
  auto batch = [&](int n) {
    for (int i = 0; i < n; ++i) {
      std::vector<std::string> headers = {"Content-Type: application/json",
                                          "MS-RequestId: " + random_hex(32),
                                          "X-" + random_hex(8) + ": " + random_hex(rng() % 2000)};
      if (rng() % 2) headers.push_back("Authorization: Bearer " + random_hex(40));
      const std::string& method = methods[rng() % methods.size()];
      const std::string& path = paths[rng() % paths.size()];
      const std::string& body = bodies[rng() % bodies.size()];
      auto res = Http(method, url(path), body, headers);
      // Over the 1 MiB limit: 413 before the body is read, so curl may fail to send the rest.
      if (body.size() > 1024 * 1024 && res.status == -1) continue;
      EXPECT_GE(res.status, 200) << method << " " << path << " body of " << body.size()
                                 << " bytes: " << res.body;
      EXPECT_LT(res.status, 500) << res.body;
    }
    EXPECT_EQ(Http("GET", url("/sandbox/control/state")).status, 200);
  };
  // Warm-up: 16 server threads, their allocator caches, route counters. Under ASan growth
  // levels off after about 1,200 requests (then about 1 MiB over the next 450, mostly replay
  // entries below their cap); a leak of the 3 MiB bodies or of every request's state would not.
  batch(1200);
  long warm = RssKib(server.pid());
  batch(450);
  long later = RssKib(server.pid());
  ASSERT_GT(warm, 0);
  std::cout << "sandbox VmRSS after warm-up " << warm << " KiB, after 450 more " << later
            << " KiB\n";
  EXPECT_LT(later - warm, 4 * 1024) << "VmRSS grew from " << warm << " KiB to " << later << " KiB";
}

// Both usage line-item routes (unbilled and an invoice's) read `size` alike: a page of at most
// 2000 lines (0 or absent: 2000), and a 400 naming it when it is not a number.
TEST_F(SandboxTest, UsageLineItemPageSizeIsCappedAndMustBeANumber) {
  ASSERT_EQ(Control("clock", R"({"set":"2026-01-10T12:00:00Z","freeze":true})").status, 200);
  for (const char* id :
       {"00000000-0000-4000-8000-000000000900", "00000000-0000-4000-8000-000000000901"}) {
    json::object sub{{"subscriptionId", id}, {"tenantId", kPartnerTenant}};
    ASSERT_EQ(Control("azure-subscriptions", json::serialize(sub)).status, 201) << id;
  }
  ASSERT_EQ(Control("clock", R"({"set":"2026-02-10T12:00:00Z","freeze":true})").status, 200);
  pc_token_.clear();
  const std::string query = "lineitems?provider=onetime&invoicelineitemtype=usagelineitems";
  for (const std::string& path :
       {"/invoices/unbilled/" + query + "&period=previous", "/invoices/G100202601/" + query}) {
    auto bad = Pc("GET", path + "&size=ten");
    EXPECT_EQ(bad.status, 400) << path << ": " << bad.body;
    EXPECT_NE(bad.body.find("size must be a number"), std::string::npos) << bad.body;

    auto three = Pc("GET", path + "&size=3");
    ASSERT_EQ(three.status, 200) << path << ": " << three.body;
    auto page = Json(three.body);
    EXPECT_EQ(page.at("items").as_array().size(), 3u);
    ASSERT_TRUE(page.as_object().contains("continuationToken")) << three.body;
    EXPECT_NE(Str(page.at("links").at("next").at("uri")).find("size=3"), std::string::npos);

    for (const char* size : {"0", "100000"}) {
      auto capped = Pc("GET", path + "&size=" + size);
      ASSERT_EQ(capped.status, 200) << path << " size " << size << ": " << capped.body;
      auto all = Json(capped.body);
      EXPECT_GT(all.at("items").as_array().size(), 3u);
      EXPECT_NE(Str(all.at("links").at("self").at("uri")).find("size=2000"), std::string::npos)
          << size << ": " << Str(all.at("links").at("self").at("uri"));
    }
  }
}

}  // namespace
}  // namespace pc::test
