import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/react';
import { SecretOnce } from './SecretOnce';

describe('SecretOnce', () => {
  it('shows the secret once with a warning and copies it', async () => {
    const writeText = vi.fn().mockResolvedValue(undefined);
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    const onDone = vi.fn();
    render(<SecretOnce secret="whsec_abc123" url="https://h.example/x" onDone={onDone} />);
    expect((screen.getByLabelText('Secret') as HTMLInputElement).value).toBe('whsec_abc123');
    expect(screen.getByText('Shown once.')).toBeTruthy();
    expect(screen.getByText(/never shown again/)).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Copy secret' }));
    expect(writeText).toHaveBeenCalledWith('whsec_abc123');
    expect(await screen.findByText('Copied to the clipboard.')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'I have stored the secret' }));
    expect(onDone).toHaveBeenCalled();
  });

  it('says how to copy by hand when the browser refuses', async () => {
    Object.defineProperty(navigator, 'clipboard', { value: { writeText: vi.fn().mockRejectedValue(new Error('denied')) }, configurable: true });
    render(<SecretOnce secret="whsec_x" url="https://h.example/x" onDone={() => {}} />);
    fireEvent.click(screen.getByRole('button', { name: 'Copy secret' }));
    expect(await screen.findByText(/select the secret and copy it by hand/)).toBeTruthy();
  });
});
