// A stand-in for fetch in component tests: each test sets `fake.routes` (method, url, JSON body →
// reply, or undefined for the fallback) and reads what was sent from `fake.calls`. Also puts an API
// key in sessionStorage, and cleans up after each test.
import { afterEach, beforeEach, vi } from 'vitest';
import { cleanup } from '@testing-library/react';

export type Reply = { status: number; body: unknown } | undefined;
export interface Call {
  method: string;
  url: string;
  body: any;
}
export interface Fake {
  routes: (method: string, url: string, body: any) => Reply;
  calls: Call[];
}

export function useFakeFetch(fallback: NonNullable<Reply>): Fake {
  const fake: Fake = { routes: () => undefined, calls: [] };
  beforeEach(() => {
    fake.calls = [];
    sessionStorage.setItem('claudelens.apiKey', 'k1');
    vi.stubGlobal('fetch', async (url: string, init: RequestInit = {}) => {
      const method = init.method ?? 'GET';
      const body = typeof init.body === 'string' ? JSON.parse(init.body) : undefined;
      fake.calls.push({ method, url, body });
      const r = fake.routes(method, url, body) ?? fallback;
      return new Response(JSON.stringify(r.body), { status: r.status, headers: { 'Content-Type': 'application/json', 'X-Request-Id': 'rid-1' } });
    });
  });
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
    sessionStorage.clear();
  });
  return fake;
}
