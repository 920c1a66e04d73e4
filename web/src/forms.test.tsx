// Component tests of the forms: the create-backup form's validation messages (ours and the server's),
// the API key prompt's wrong-key message, and the selection tree's tri-state checkboxes in the DOM.
import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { MemoryRouter } from 'react-router-dom';
import { useFakeFetch } from './test-fetch';
import { ReactNode, useState } from 'react';
import { CreateBackupPage } from './pages/CreateBackup';
import { KeyPrompt } from './pages/KeyPrompt';
import { SelectionTree } from './components/SelectionTree';
import { TreeProject } from './tree';

const fake = useFakeFetch({ status: 200, body: { items: [], pagination: { total_items: 0 } } });

function wrap(ui: ReactNode) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={client}>
      <MemoryRouter>{ui}</MemoryRouter>
    </QueryClientProvider>,
  );
}

const projects = { items: [{ _id: 'p1', name: 'alpha', sessions_count: 2, messages_count: 30 }, { _id: 'p2', name: 'beta', sessions_count: 1, messages_count: 4 }], pagination: { total_items: 2 } };

describe('create-backup form', () => {
  it('lists the projects from the API and sums the estimate', async () => {
    fake.routes = (_m, url) => (url.startsWith('/api/v1/projects') ? { status: 200, body: projects } : undefined);
    wrap(<CreateBackupPage />);
    expect(await screen.findByText('alpha')).toBeTruthy();
    await screen.findByText(/3 sessions, 34 messages/);
    fireEvent.click(screen.getAllByRole('checkbox')[0]);
    await screen.findByText(/2 sessions, 30 messages/);
  });

  it('shows its own validation messages and sends nothing', async () => {
    fake.routes = (_m, url) => (url.startsWith('/api/v1/projects') ? { status: 200, body: projects } : undefined);
    wrap(<CreateBackupPage />);
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'a/' } });
    fireEvent.click(screen.getByLabelText(/^Selective/));
    fireEvent.change(screen.getByLabelText(/at least … messages/), { target: { value: '0' } });
    fireEvent.click(screen.getByRole('button', { name: 'Start backup' }));
    expect(await screen.findByText('The name needs 3 to 100 characters.')).toBeTruthy();
    expect(screen.getByText('A whole number from 1 to 10000.')).toBeTruthy();
    expect(screen.getByText('Please fix the 2 fields marked above.')).toBeTruthy();
    expect(screen.getByLabelText('Name').getAttribute('aria-invalid')).toBe('true');
    expect(fake.calls.some((c) => c.method === 'POST')).toBe(false);
  });

  it('shows the server’s validation errors with the request id', async () => {
    fake.routes = (m, url) => {
      if (url.startsWith('/api/v1/projects')) return { status: 200, body: projects };
      if (m === 'POST' && url === '/api/v1/backups')
        return { status: 400, body: { error: { code: 'VALIDATION_FAILED', message: 'filters are wrong', request_id: 'req-42' },
          validation_errors: [{ field: 'filters.min_message_count', message: 'must be at most max_message_count', code: 'range' }] } };
      return undefined;
    };
    wrap(<CreateBackupPage />);
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'good name' } });
    fireEvent.click(screen.getByRole('button', { name: 'Start backup' }));
    expect(await screen.findByText(/Some fields need fixing\. filters are wrong/)).toBeTruthy();
    expect(screen.getAllByText('must be at most max_message_count').length).toBeGreaterThan(0);
    expect(screen.getByText('req-42')).toBeTruthy();
    const post = fake.calls.find((c) => c.method === 'POST')!;
    expect(post.body).toMatchObject({ name: 'good name', type: 'full', options: { compression_level: 3 } });
  });
});

describe('API key prompt', () => {
  it('says when the key is wrong and keeps a right one', async () => {
    fake.routes = (_m, url) => (url.startsWith('/api/v1/backups') ? { status: 401, body: { error: { code: 'UNAUTHORIZED', message: 'unknown key' } } } : undefined);
    const accepted = vi.fn();
    wrap(<KeyPrompt onAccepted={accepted} themeButton={null} />);
    fireEvent.click(screen.getByRole('button', { name: 'Continue' }));
    expect(await screen.findByText(/Enter the API key/)).toBeTruthy();
    fireEvent.change(screen.getByLabelText('API key'), { target: { value: 'bad' } });
    fireEvent.click(screen.getByRole('button', { name: 'Continue' }));
    expect(await screen.findByText('This API key is wrong: the server does not know it.')).toBeTruthy();
    expect(accepted).not.toHaveBeenCalled();
    fake.routes = () => ({ status: 200, body: { items: [], pagination: {}, summary: {} } });
    fireEvent.change(screen.getByLabelText('API key'), { target: { value: 'good' } });
    fireEvent.click(screen.getByRole('button', { name: 'Continue' }));
    await waitFor(() => expect(accepted).toHaveBeenCalledWith('good'));
  });
});

describe('selection tree (DOM)', () => {
  const tree: TreeProject[] = [
    { id: 'p1', label: 'alpha', exists: false, sessions: [
      { id: 's1', label: 'fix login', messages: 3, exists: false },
      { id: 's2', label: 'docs', messages: 2, exists: true },
    ] },
  ];
  function Harness() {
    const [sel, setSel] = useState<Set<string>>(new Set());
    return <SelectionTree projects={tree} selection={sel} onChange={setSel} />;
  }
  it('shows mixed, checked and unchecked on the project checkbox', async () => {
    wrap(<Harness />);
    const project = screen.getByLabelText('Project alpha') as HTMLInputElement;
    fireEvent.click(screen.getByRole('button', { name: 'Expand alpha' }));
    fireEvent.click(screen.getByLabelText('Session fix login'));
    await waitFor(() => expect(project.indeterminate).toBe(true));
    expect(project.getAttribute('aria-checked')).toBe('mixed');
    fireEvent.click(project);
    await waitFor(() => expect(project.checked).toBe(true));
    expect(project.indeterminate).toBe(false);
    expect((screen.getByLabelText('Session docs') as HTMLInputElement).checked).toBe(true);
    fireEvent.click(project);
    await waitFor(() => expect(project.checked).toBe(false));
    expect((screen.getByLabelText('Session fix login') as HTMLInputElement).checked).toBe(false);
  });
  it('search shows matching sessions only', () => {
    wrap(<Harness />);
    fireEvent.change(screen.getByLabelText('Search projects and sessions'), { target: { value: 'login' } });
    expect(screen.getByLabelText('Session fix login')).toBeTruthy();
    expect(screen.queryByLabelText('Session docs')).toBeNull();
  });
});
