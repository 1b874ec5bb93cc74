import type { ReactNode } from 'react';
import { BrowserRouter, Navigate, Route, Routes, useLocation } from 'react-router-dom';
import { Layout } from './components/Layout';
import { Loading } from './components/ui';
import { LoginPage } from './features/auth/LoginPage';
import { isOperator, SessionProvider, useSession } from './features/auth/session';
import { BillingAliasPage, BillingIndexPage } from './features/billing/BillingPage';
import { AuditPage } from './features/operations/AuditPage';
import { JobsPage } from './features/operations/JobsPage';
import { MonthClosePage } from './features/operations/MonthClosePage';
import { OrganizationsPage } from './features/operations/OrganizationsPage';
import { PricingPage } from './features/operations/PricingPage';
import { UsagePage } from './features/operations/UsagePage';
import { NewProviderPage } from './features/providers/NewProviderPage';
import { ProviderPage } from './features/providers/ProviderPage';
import { ProviderPicker } from './features/providers/ProviderPicker';
import { ProvidersPage } from './features/providers/ProvidersPage';
import { ApprovalsPage } from './features/support/ApprovalsPage';
import { NewRequestPage } from './features/support/NewRequestPage';
import { QuarantinePage } from './features/support/QuarantinePage';
import { QueuePage } from './features/support/QueuePage';
import { SupportPage } from './features/support/SupportPage';
import { TicketPage } from './features/support/TicketPage';
import { AliasesPage, AliasPage } from './features/governance/AliasPages';
import { CatalogPage } from './features/governance/CatalogPage';
import { CompliancePage, SubscriptionPage } from './features/governance/CompliancePages';
import { PermittedServicesPage } from './features/governance/PermittedServicesPage';
import { NewVersionPage, VersionPage } from './features/governance/VersionPages';
import { WebhookPage, WebhooksPage } from './features/webhooks/WebhookPages';

function RequireLogin({ children }: { children: ReactNode }) {
  const { me, loading } = useSession();
  const location = useLocation();
  if (loading) return <Loading />;
  if (!me) return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  return <>{children}</>;
}

function Home() {
  const { me } = useSession();
  return <Navigate to={isOperator(me) ? '/ops/jobs' : '/providers'} replace />;
}

function NotFound() {
  return (
    <div className="empty">
      <h1>Page not found</h1>
      <p>There is nothing at this address.</p>
    </div>
  );
}

export function App() {
  return (
    <SessionProvider>
      <BrowserRouter>
        <Routes>
          <Route path="/login" element={<LoginPage />} />
          <Route
            element={
              <RequireLogin>
                <Layout />
              </RequireLogin>
            }
          >
            <Route index element={<Home />} />
            <Route path="providers" element={<ProvidersPage />} />
            <Route path="providers/new" element={<ProviderPicker />} />
            <Route path="providers/new/azure-resource-manager" element={<NewProviderPage />} />
            <Route path="providers/:id" element={<ProviderPage />} />
            <Route path="billing" element={<BillingIndexPage />} />
            <Route path="billing/:alias" element={<BillingAliasPage />} />
            <Route path="ops/organizations" element={<OrganizationsPage />} />
            <Route path="ops/jobs" element={<JobsPage />} />
            <Route path="ops/usage" element={<UsagePage />} />
            <Route path="ops/pricing" element={<PricingPage />} />
            <Route path="ops/close" element={<MonthClosePage />} />
            <Route path="ops/audit" element={<AuditPage />} />
            <Route path="support" element={<SupportPage />} />
            <Route path="support/new" element={<NewRequestPage />} />
            <Route path="support/tickets/:id" element={<TicketPage />} />
            <Route path="support/queue" element={<QueuePage />} />
            <Route path="support/approvals" element={<ApprovalsPage />} />
            <Route path="support/quarantine" element={<QuarantinePage />} />
            <Route path="services" element={<PermittedServicesPage />} />
            <Route path="ops/governance" element={<Navigate to="/ops/governance/catalog" replace />} />
            <Route path="ops/governance/catalog" element={<CatalogPage />} />
            <Route path="ops/governance/catalog/new" element={<NewVersionPage />} />
            <Route path="ops/governance/catalog/:n" element={<VersionPage />} />
            <Route path="ops/governance/compliance" element={<CompliancePage />} />
            <Route path="ops/governance/subscriptions/:id" element={<SubscriptionPage />} />
            <Route path="ops/governance/aliases" element={<AliasesPage />} />
            <Route path="ops/governance/aliases/:alias" element={<AliasPage />} />
            <Route path="settings" element={<Navigate to="/settings/webhooks" replace />} />
            <Route path="settings/webhooks" element={<WebhooksPage />} />
            <Route path="settings/webhooks/:id" element={<WebhookPage />} />
            <Route path="*" element={<NotFound />} />
          </Route>
        </Routes>
      </BrowserRouter>
    </SessionProvider>
  );
}
