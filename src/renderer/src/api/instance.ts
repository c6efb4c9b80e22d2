/** The one API client of this page, chosen at start-up (main.ts) and used by the stores. */
import type { ApiClient } from './types.js';

let client: ApiClient | undefined;

export function provideApi(instance: ApiClient): void {
  client = instance;
}

export function api(): ApiClient {
  if (!client) throw new Error('the API client is used before main.ts provided it');
  return client;
}
