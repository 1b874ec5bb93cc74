import { useEffect, useRef, type ReactNode } from 'react';
import { NavLink, Outlet, useLocation, useNavigate } from 'react-router-dom';
import { isOperator, useSession } from '../features/auth/session';

const customerNav = [
  { to: '/providers', label: 'Providers' },
  { to: '/billing', label: 'Billing' },
  { to: '/support', label: 'Support' },
  { to: '/services', label: 'Permitted services' },
];
// Organization admins manage their organization's settings (webhooks).
const adminNav = [{ to: '/settings/webhooks', label: 'Settings' }];
const operatorNav = [
  { to: '/support/queue', label: 'Support queue' },
  { to: '/ops/organizations', label: 'Organizations' },
  { to: '/ops/jobs', label: 'Jobs' },
  { to: '/ops/usage', label: 'Usage imports' },
  { to: '/ops/pricing', label: 'Pricing' },
  { to: '/ops/close', label: 'Month close' },
  { to: '/ops/audit', label: 'Audit log' },
  { to: '/ops/governance', label: 'Governance' },
  { to: '/billing', label: 'Billing' },
];
// Operators alone decide structured requests and replay quarantined mail.
const operatorOnlyNav = [
  { to: '/support/approvals', label: 'Approvals' },
  { to: '/support/quarantine', label: 'Quarantine' },
];

export function Layout() {
  const { me, logout } = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  const mainRef = useRef<HTMLElement>(null);
  const items = !isOperator(me)
    ? me?.role === 'org_admin'
      ? [...customerNav, ...adminNav]
      : customerNav
    : me?.role === 'operator'
      ? [...operatorNav.slice(0, 1), ...operatorOnlyNav, ...operatorNav.slice(1)]
      : operatorNav;

  // Move focus to the page on navigation so screen readers and keyboards start there.
  useEffect(() => {
    mainRef.current?.focus({ preventScroll: true });
    window.scrollTo(0, 0);
  }, [location.pathname]);

  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="topbar-inner">
          <div className="brand">
            <span className="brand-mark" aria-hidden="true" />
            <span>Partner Cloud</span>
          </div>
          <div className="who">
            <span className="who-org" title="Organization">
              {me?.organization?.name}
            </span>
            <span className="who-user">{me?.user?.email}</span>
            <button
              type="button"
              className="btn btn-ghost"
              onClick={() => {
                void logout().then(() => navigate('/login'));
              }}
            >
              Log out
            </button>
          </div>
        </div>
        <nav className="tabs" aria-label="Main">
          <ul>
            {items.map((i) => (
              <li key={i.to}>
                <NavLink to={i.to}>{i.label}</NavLink>
              </li>
            ))}
          </ul>
        </nav>
      </header>
      <main id="main" ref={mainRef} tabIndex={-1} className="content">
        <Outlet />
      </main>
    </div>
  );
}

export function PageHeader({ title, actions, children }: { title: string; actions?: ReactNode; children?: ReactNode }) {
  return (
    <div className="page-header">
      <div>
        <h1>{title}</h1>
        {children && <div className="page-sub">{children}</div>}
      </div>
      {actions && <div className="page-actions">{actions}</div>}
    </div>
  );
}
