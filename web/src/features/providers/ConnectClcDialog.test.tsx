import { describe, expect, it } from 'vitest';
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ConnectClcDialog } from './ConnectClcDialog';

describe('Connect a CenturyLink Cloud Account', () => {
  // jsdom does not open <dialog> (no showModal): the controls are queried with hidden: true.
  it('enables Connect only when both username and password are filled', async () => {
    render(<ConnectClcDialog open onClose={() => {}} onConnected={() => {}} />);
    const connect = screen.getByRole('button', { name: 'Connect', hidden: true }) as HTMLButtonElement;
    expect(connect.disabled).toBe(true);
    await userEvent.type(screen.getByLabelText('Username'), 'acme.admin');
    expect(connect.disabled).toBe(true);
    await userEvent.type(screen.getByLabelText('Password'), 'sandbox');
    expect(connect.disabled).toBe(false);
    await userEvent.clear(screen.getByLabelText('Username'));
    expect(connect.disabled).toBe(true);
  });
});
