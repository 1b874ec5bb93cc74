import { describe, expect, it } from 'vitest';
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter } from 'react-router-dom';
import { filterTiles, PROVIDER_TILES, ProviderPicker } from './ProviderPicker';

describe('provider picker', () => {
  it('filters tiles by every word', () => {
    expect(filterTiles(PROVIDER_TILES, 'azure manager')).toHaveLength(1);
    expect(filterTiles(PROVIDER_TILES, 'aws')).toHaveLength(0);
    expect(filterTiles(PROVIDER_TILES, '')).toHaveLength(1);
  });
  it('shows the Azure tile and hides it for another search', async () => {
    render(
      <MemoryRouter>
        <ProviderPicker />
      </MemoryRouter>,
    );
    expect(screen.getByRole('link', { name: /Azure Resource Manager/ })).toBeTruthy();
    await userEvent.type(screen.getByLabelText('Find a provider'), 'google');
    expect(screen.queryByRole('link', { name: /Azure Resource Manager/ })).toBeNull();
    expect(screen.getByText(/No provider matches/)).toBeTruthy();
  });
});
