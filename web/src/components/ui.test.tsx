import { describe, expect, it } from 'vitest';
import { render, screen, within } from '@testing-library/react';
import { DataTable, type TableColumn } from './ui';

const columns: TableColumn[] = [{ label: 'Alias' }, { label: 'Amount', numeric: true }, { label: 'Actions', hidden: true }];

describe('DataTable', () => {
  it('names the table and its columns, and shows one row per item', () => {
    render(
      <DataTable
        caption="Posted lines"
        columns={columns}
        items={[
          { alias: 'ACME', amount: '$12.50' },
          { alias: 'BRIT', amount: '£3.00' },
        ]}
        empty="No lines."
        row={(l) => (
          <tr key={l.alias}>
            <td>{l.alias}</td>
            <td className="num">{l.amount}</td>
            <td />
          </tr>
        )}
      />,
    );
    const table = screen.getByRole('table', { name: 'Posted lines' });
    const headers = within(table).getAllByRole('columnheader');
    expect(headers.map((h) => h.textContent)).toEqual(['Alias', 'Amount', 'Actions']);
    expect(headers[1]!.className).toBe('num');
    expect(headers[2]!.querySelector('.sr-only')?.textContent).toBe('Actions');
    const rows = within(table).getAllByRole('row');
    expect(rows).toHaveLength(3); // the header and two items
    expect(within(rows[2]!).getByText('£3.00')).toBeTruthy();
    expect(screen.queryByText('No lines.')).toBeNull();
    expect(table.querySelector('caption')!.className).toBe('');
  });

  it('says so across every column when there is nothing, with a caption for screen readers only', () => {
    render(
      <DataTable caption="Jobs" captionHidden columns={columns} items={[]} empty="No jobs in state “stopped”." row={() => null} />,
    );
    const table = screen.getByRole('table', { name: 'Jobs' });
    expect(table.querySelector('caption')!.className).toBe('sr-only');
    const cell = within(table).getByText('No jobs in state “stopped”.');
    expect(cell.tagName).toBe('TD');
    expect(cell.getAttribute('colspan')).toBe(String(columns.length));
    expect(within(table).getAllByRole('row')).toHaveLength(2);
  });
});
