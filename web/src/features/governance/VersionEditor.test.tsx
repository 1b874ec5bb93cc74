import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/react';
import { VersionEditor } from './VersionEditor';
import type { CatalogVersionDetail } from './types';

const base: CatalogVersionDetail = {
  version: 3,
  state: 'published',
  author: 'ops@partner.example',
  createdAt: '2026-11-20T10:00:00Z',
  publishedAt: '2026-11-20T10:05:00Z',
  publishedBy: 'ops@partner.example',
  note: 'Storage',
  unrestricted: false,
  basedOn: 2,
  resourceTypes: ['Microsoft.Compute/virtualMachines'],
  actions: ['Microsoft.Compute/virtualMachines/*'],
  diff: { resourceTypes: { added: [], removed: [] }, actions: { added: [], removed: [] }, unrestricted: null },
};

describe('VersionEditor', () => {
  it('shows the diff as the operator types and saves the new version', async () => {
    const onSave = vi.fn().mockResolvedValue(undefined);
    render(<VersionEditor base={base} onSave={onSave} onCancel={() => {}} />);
    fireEvent.change(screen.getByLabelText('Permitted resource types (one per line)'), {
      target: { value: 'Microsoft.Sql/servers' },
    });
    // + and − read without colour; screen readers hear "added" and "removed".
    expect(screen.getAllByText('Microsoft.Sql/servers').length).toBeGreaterThan(0);
    expect(screen.getByText('Microsoft.Compute/virtualMachines').closest('li')?.textContent).toContain('removed');
    expect(screen.getByRole('status').textContent).toContain('Microsoft.Sql/servers/*');
    fireEvent.click(screen.getByRole('button', { name: 'Add the matching actions' }));
    expect((screen.getByLabelText('Role actions (one per line)') as HTMLTextAreaElement).value).toBe(
      'Microsoft.Compute/virtualMachines/*\nMicrosoft.Sql/servers/*',
    );
    fireEvent.click(screen.getByRole('button', { name: 'Save draft' }));
    expect(screen.getByRole('alert').textContent).toContain('Say in the note');
    expect(onSave).not.toHaveBeenCalled();
    fireEvent.change(screen.getByLabelText(/^Note/), { target: { value: 'SQL instead of VMs' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save draft' }));
    expect(onSave).toHaveBeenCalledWith({
      basedOn: 3,
      resourceTypes: ['Microsoft.Sql/servers'],
      actions: ['Microsoft.Compute/virtualMachines/*', 'Microsoft.Sql/servers/*'],
      unrestricted: false,
      note: 'SQL instead of VMs',
    });
  });

  it('shows the server’s refusal in words', async () => {
    const onSave = vi.fn().mockRejectedValue(new Error('Version 3 is superseded: base the new version on version 4.'));
    render(<VersionEditor base={base} onSave={onSave} onCancel={() => {}} />);
    fireEvent.click(screen.getByLabelText(/^Unrestricted/));
    expect(screen.getByText(/Unrestricted:/, { selector: 'strong' }).parentElement?.textContent).toContain('off → on');
    fireEvent.change(screen.getByLabelText(/^Note/), { target: { value: 'Everyone unrestricted' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save draft' }));
    expect(await screen.findByText('Version 3 is superseded: base the new version on version 4.')).toBeTruthy();
  });
});
