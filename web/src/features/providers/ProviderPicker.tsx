import { useState } from 'react';
import { Link } from 'react-router-dom';
import { PageHeader } from '../../components/Layout';

interface Tile {
  id: string;
  name: string;
  description: string;
  available: boolean;
}

export const PROVIDER_TILES: Tile[] = [
  {
    id: 'azure-resource-manager',
    name: 'Azure Resource Manager',
    description: 'Manage Microsoft services using Azure Resource Manager',
    available: true,
  },
];

/** Tiles whose name or description contains every word of the query (any case). */
export function filterTiles(tiles: Tile[], query: string): Tile[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  return tiles.filter((t) => {
    const text = `${t.name} ${t.description}`.toLowerCase();
    return words.every((w) => text.includes(w));
  });
}

export function ProviderPicker() {
  const [query, setQuery] = useState('');
  const tiles = filterTiles(PROVIDER_TILES, query);
  return (
    <>
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link to="/providers">Providers</Link> <span aria-hidden="true">/</span> New
      </nav>
      <PageHeader title="New provider">Choose the kind of provider to add.</PageHeader>
      <div className="search">
        <label className="field">
          <span>Find a provider</span>
          <input type="search" value={query} onChange={(e) => setQuery(e.target.value)} placeholder="Search by name" />
        </label>
      </div>
      {tiles.length === 0 && <p className="muted">No provider matches “{query}”.</p>}
      <ul className="tiles">
        {tiles.map((t) => (
          <li key={t.id}>
            <Link className="tile" to={`/providers/new/${t.id}`}>
              <span className="tile-logo" aria-hidden="true">
                <svg viewBox="0 0 32 32" width="36" height="36">
                  <path d="M13 4h7l-9 24H4z" fill="#0a6ed1" />
                  <path d="M19 9l9 19H14l9-4z" fill="#37a0f4" />
                </svg>
              </span>
              <span className="tile-name">{t.name}</span>
              <span className="tile-desc">{t.description}</span>
            </Link>
          </li>
        ))}
      </ul>
    </>
  );
}
