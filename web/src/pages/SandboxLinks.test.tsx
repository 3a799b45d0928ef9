import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { SandboxLinks } from './SandboxLinks';

describe('SandboxLinks', () => {
  it('links to the messaging sandbox when the local stack runs one', () => {
    render(<SandboxLinks env={{ VITE_MESSAGING_SANDBOX_URL: 'http://127.0.0.1:54340' }} />);
    expect(screen.getByRole('link', { name: 'Messaging sandbox (phones and inboxes)' }).getAttribute('href')).toBe('http://127.0.0.1:54340');
  });

  it('shows nothing without one, or with a value that is not an http(s) URL', () => {
    const { container, rerender } = render(<SandboxLinks env={{}} />);
    expect(container.innerHTML).toBe('');
    rerender(<SandboxLinks env={{ VITE_MESSAGING_SANDBOX_URL: 'javascript:alert(1)' }} />);
    expect(container.innerHTML).toBe('');
  });
});
