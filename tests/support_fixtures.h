// Shared set-up of the support desk tests: the users, and an organization made a CSP customer of
// the platform (a billing alias with a ready provider, as onboarding leaves it).
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "core/time.h"
#include "core/uuid.h"
#include "tests/harness.h"

namespace pc::test {

// Acme (admin, dev), Britannia (admin; no Azure account), the partner's operator and agent.
inline void AddSupportUsers(const std::string& url) {
  AddUser(url, "admin@acme.example", "org_admin", "Acme", "customer");
  AddUser(url, "dev@acme.example", "org_member", "Acme", "customer");
  AddUser(url, "admin@brit.example", "org_admin", "Britannia", "customer");
  AddUser(url, "ops@partner.example", "operator", "Partner Operations", "partner");
  AddUser(url, "agent@partner.example", "support_agent", "Partner Operations", "partner");
}

// Gives organization `org` the billing alias `alias` with a ready provider created by `creator`.
inline void MakeCspCustomer(const std::string& url, const std::string& org,
                            const std::string& alias, const std::string& creator) {
  auto db = store::Database::Open(url);
  ASSERT_TRUE(db.ok()) << db.error().message;
  std::string now = FormatTimestamp(Now());
  std::string provider = Uuid::V7().ToString();
  auto made = (*db)->InTransaction([&](store::Transaction& tx) -> Status {
    PC_ASSIGN_OR_RETURN(auto o, tx.Query("SELECT id FROM organizations WHERE name = ?", {org}));
    PC_ASSIGN_OR_RETURN(auto u, tx.Query("SELECT id FROM users WHERE email = ?", {creator}));
    if (o.empty() || u.empty()) return NotFound("organization or user missing");
    PC_RETURN_IF_ERROR(tx.Execute(
        "INSERT INTO billing_aliases (alias, organization_id, company_name, country, "
        "account_snapshot, customer_id, created_at, updated_at) VALUES (?, ?, ?, 'US', '{}', ?, "
        "?, ?)",
        {alias, o[0].Text(0), org + " Inc.", Uuid::V4().ToString(), now, now}));
    PC_RETURN_IF_ERROR(tx.Execute(
        "INSERT INTO providers (id, organization_id, created_by, name, type, mode, billing_alias, "
        "state, job_id, created_at, updated_at) VALUES (?, ?, ?, 'Azure', "
        "'azure-resource-manager', 'new-customer', ?, 'ready', ?, ?, ?)",
        {provider, o[0].Text(0), u[0].Text(0), alias, Uuid::V4().ToString(), now, now}));
    return Status::Ok();
  });
  ASSERT_TRUE(made.ok()) << made.error().message;
}

}  // namespace pc::test
