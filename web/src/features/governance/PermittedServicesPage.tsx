import { Link } from 'react-router-dom';
import type { BillingAliasEntry, Items } from '../../api/types';
import { PageHeader } from '../../components/Layout';
import { Alert, EmptyState, Loading } from '../../components/ui';
import { useLoad } from '../../components/useLoad';
import { requestServicePath } from './governance';
import { ComplianceTable } from './CompliancePages';
import type { AliasOverride, ComplianceItem, PublishedCatalog } from './types';

/** A customer's read-only view of what its subscriptions may use, with a way to ask for more. */
export function PermittedServicesPage() {
  const catalog = useLoad<PublishedCatalog>('/api/v1/governance/catalog');
  const subs = useLoad<Items<ComplianceItem>>('/api/v1/governance/subscriptions');
  const aliases = useLoad<Items<BillingAliasEntry>>('/api/v1/billing');
  const oneAlias = aliases.data?.items.length === 1 ? aliases.data.items[0]!.billingAlias : undefined;
  const error = catalog.error ?? subs.error;
  return (
    <>
      <PageHeader
        title="Permitted services"
        actions={
          <Link className="btn btn-primary" to={requestServicePath(oneAlias)}>
            Request a service
          </Link>
        }
      >
        The Azure services your subscriptions may create. Your provider supports and bills these; ask for one more with a
        request.
      </PageHeader>
      {error && <Alert kind="error">{error.message}</Alert>}
      {(!catalog.data || !subs.data) && !error && <Loading />}
      {subs.data && subs.data.items.length > 0 && (
        <section aria-labelledby="subs-title">
          <h2 id="subs-title">Your subscriptions</h2>
          <ComplianceTable items={subs.data.items} operator={false} staffLinks={false} />
        </section>
      )}
      {aliases.data?.items.map((a) => <AliasExtras key={a.billingAlias} alias={a.billingAlias} />)}
      {catalog.data && catalog.data.unrestricted && (
        <Alert kind="info">Every Azure service is permitted (catalog version {catalog.data.version}, unrestricted).</Alert>
      )}
      {catalog.data && !catalog.data.unrestricted && catalog.data.categories.length === 0 && (
        <EmptyState title="No services listed">
          <p>The catalog lists no service yet.</p>
        </EmptyState>
      )}
      {catalog.data && !catalog.data.unrestricted && catalog.data.categories.length > 0 && (
        <>
          <h2 className="section-title">Catalog version {catalog.data.version}</h2>
          <div className="service-grid">
            {catalog.data.categories.map((c) => (
              <section key={c.name} className="card" aria-labelledby={`cat-${slug(c.name)}`}>
                <h3 id={`cat-${slug(c.name)}`} className="card-title">
                  {c.name}
                </h3>
                <ul className="service-list">
                  {c.items.map((i) => (
                    <li key={i.name}>
                      <span className="service-name">{i.name}</span>
                      <span className="mono small muted">{i.resourceTypes.join(', ')}</span>
                    </li>
                  ))}
                </ul>
              </section>
            ))}
          </div>
        </>
      )}
    </>
  );
}

/** Extra types (or unrestricted) granted to one alias, when there are any. */
function AliasExtras({ alias }: { alias: string }) {
  const o = useLoad<AliasOverride>(`/api/v1/governance/aliases/${encodeURIComponent(alias)}`);
  const d = o.data;
  if (!d || (!d.unrestricted && d.extraResourceTypes.length === 0)) return null;
  return (
    <section className="card" aria-labelledby={`extra-${slug(alias)}`}>
      <h2 id={`extra-${slug(alias)}`}>Also permitted for {alias}</h2>
      {d.unrestricted ? (
        <p>Every Azure service is permitted for {alias}.</p>
      ) : (
        <ul className="plain-list mono small">
          {d.extraResourceTypes.map((t) => (
            <li key={t}>{t}</li>
          ))}
        </ul>
      )}
    </section>
  );
}

const slug = (s: string) => s.replace(/\W+/g, '-').toLowerCase();
