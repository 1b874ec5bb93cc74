import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { DataTable, DialogFooter, Field, type TableColumn } from './ui';

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

/** The texts a control's aria-describedby points at, in order. */
function description(el: HTMLElement): string[] {
  return (el.getAttribute('aria-describedby') ?? '')
    .split(' ')
    .filter(Boolean)
    .map((id) => document.getElementById(id)?.textContent ?? `(missing #${id})`);
}

describe('Field', () => {
  it('names its control by the label, with nothing described when there is no hint', () => {
    render(
      <Field label="Name">
        <input defaultValue="ACME monthly budget" />
      </Field>,
    );
    const input = screen.getByLabelText('Name');
    expect(input.tagName).toBe('INPUT');
    expect((input as HTMLInputElement).value).toBe('ACME monthly budget');
    expect(input.closest('label')!.className).toBe('field');
    expect(input.hasAttribute('aria-describedby')).toBe(false);
    expect(input.hasAttribute('aria-invalid')).toBe(false);
  });

  it('says “(required)” in the label and reads the hint with the control, under its own id', () => {
    render(
      <Field label="Azure resource type" required hintId="resource-type-help" hint="As Azure names it (Namespace/type).">
        <input />
      </Field>,
    );
    const input = screen.getByLabelText('Azure resource type (required)');
    expect(input.closest('label')!.querySelector('.req')!.textContent).toBe('(required)');
    expect(input.getAttribute('aria-describedby')).toBe('resource-type-help');
    expect(description(input)).toEqual(['As Azure names it (Namespace/type).']);
    const hint = document.getElementById('resource-type-help')!;
    expect(hint.className).toBe('muted small help');
    // The hint follows the label, as a sibling (the CSS rule .field + .help places it).
    expect(input.closest('label')!.nextElementSibling).toBe(hint);
  });

  it('wraps a select or a textarea the same way', () => {
    render(
      <>
        <Field label="Scope">
          <select defaultValue="sub-1">
            <option value="">All of ACME</option>
            <option value="sub-1">Subscription sub-1</option>
          </select>
        </Field>
        <Field label="Role actions (one per line)" hint="One per line.">
          <textarea rows={12} />
        </Field>
      </>,
    );
    expect((screen.getByLabelText('Scope') as HTMLSelectElement).value).toBe('sub-1');
    const textarea = screen.getByLabelText('Role actions (one per line)');
    expect(textarea.tagName).toBe('TEXTAREA');
    expect(description(textarea)).toEqual(['One per line.']); // a generated id when none is given
  });

  it('announces an error after the hint and marks the control invalid, keeping its own description', () => {
    render(
      <>
        <p id="amount-note">Your price.</p>
        <Field label="Monthly amount (EUR)" hint="In EUR." error="Give the monthly amount, such as 500.00.">
          <input aria-describedby="amount-note" />
        </Field>
        <Field label="Recipients" error="Not an email address: fin@">
          <textarea />
        </Field>
      </>,
    );
    const amount = screen.getByLabelText('Monthly amount (EUR)');
    expect(amount.getAttribute('aria-invalid')).toBe('true');
    expect(description(amount)).toEqual(['Your price.', 'In EUR.', 'Give the monthly amount, such as 500.00.']);
    const recipients = screen.getByLabelText('Recipients');
    expect(description(recipients)).toEqual(['Not an email address: fin@']);
    const ids = [...document.querySelectorAll('[id]')].map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length); // each Field's generated ids are its own
  });
});

describe('DialogFooter', () => {
  it('offers Cancel then the primary button, which submits its form', () => {
    const onCancel = vi.fn();
    const onSubmit = vi.fn((e: { preventDefault: () => void }) => e.preventDefault());
    render(
      <form onSubmit={onSubmit} aria-label="Budget">
        <DialogFooter label="Create budget" busyLabel="Saving…" onCancel={onCancel} />
      </form>,
    );
    const buttons = within(screen.getByRole('form', { name: 'Budget' })).getAllByRole('button');
    expect(buttons.map((b) => b.textContent)).toEqual(['Cancel', 'Create budget']);
    expect(buttons[0]!.parentElement!.className).toBe('dialog-actions');
    expect(buttons[1]!.className).toBe('btn btn-primary');
    expect(buttons[1]!.getAttribute('type')).toBe('submit');
    expect((buttons[1] as HTMLButtonElement).disabled).toBe(false);
    fireEvent.click(buttons[1]!);
    expect(onSubmit).toHaveBeenCalledTimes(1);
    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(onCancel).toHaveBeenCalledTimes(1);
  });

  it('says it is busy and cannot be pressed again while busy, or when disabled', () => {
    const { rerender } = render(<DialogFooter layout="form" label="Save draft" busyLabel="Saving…" busy onCancel={() => {}} />);
    expect(screen.queryByRole('button', { name: 'Save draft' })).toBeNull();
    const busy = screen.getByRole('button', { name: 'Saving…' }) as HTMLButtonElement;
    expect(busy.disabled).toBe(true);
    expect(busy.parentElement!.className).toBe('form-actions');
    expect((screen.getByRole('button', { name: 'Cancel' }) as HTMLButtonElement).disabled).toBe(false);
    rerender(<DialogFooter layout="form" label="Save draft" busyLabel="Saving…" disabled onCancel={() => {}} />);
    expect((screen.getByRole('button', { name: 'Save draft' }) as HTMLButtonElement).disabled).toBe(true);
    rerender(<DialogFooter layout="form" label="Save draft" busyLabel="Saving…" onCancel={() => {}} />);
    expect((screen.getByRole('button', { name: 'Save draft' }) as HTMLButtonElement).disabled).toBe(false);
  });

  it('calls onConfirm from a plain button, red for a destructive action', () => {
    const onConfirm = vi.fn();
    render(<DialogFooter label="Delete" danger onConfirm={onConfirm} onCancel={() => {}} />);
    const del = screen.getByRole('button', { name: 'Delete' });
    expect(del.getAttribute('type')).toBe('button');
    expect(del.className).toBe('btn btn-danger');
    fireEvent.click(del);
    expect(onConfirm).toHaveBeenCalledTimes(1);
  });

  it('links Cancel to a page when given one', () => {
    render(
      <MemoryRouter>
        <DialogFooter layout="form" label="Send request" busyLabel="Sending…" cancelTo="/support" />
      </MemoryRouter>,
    );
    const cancel = screen.getByRole('link', { name: 'Cancel' });
    expect(cancel.getAttribute('href')).toBe('/support');
    expect(cancel.className).toBe('btn btn-ghost');
    expect(screen.getByRole('button', { name: 'Send request' }).getAttribute('type')).toBe('submit');
  });
});
