import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router-dom';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { App } from './App';
import { retryDelay, retryRateLimited } from './api';
import './styles.css';

const client = new QueryClient({
  defaultOptions: { queries: { retry: retryRateLimited, retryDelay, refetchOnWindowFocus: false, staleTime: 2000 } },
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={client}>
      <BrowserRouter>
        <App />
      </BrowserRouter>
    </QueryClientProvider>
  </StrictMode>,
);
