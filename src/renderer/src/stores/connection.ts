/** Which transport carries the calls, whether it is up, and which Portafilter answers. */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { Responses } from '../../../shared/api.js';
import { api } from '../api/instance.js';
import type { ConnectionState } from '../api/types.js';

export const useConnectionStore = defineStore('connection', () => {
  const state = ref<ConnectionState>('closed');
  const transport = ref<'electron' | 'web'>('web');
  const endpoint = ref('');
  const version = ref<Responses['version'] | null>(null);
  const canPickFiles = ref(false);
  const canPickSavePath = ref(false);

  async function init(): Promise<void> {
    const client = api();
    transport.value = client.transport;
    endpoint.value = client.endpoint;
    canPickFiles.value = client.pickFile !== undefined;
    canPickSavePath.value = client.pickSavePath !== undefined;
    client.onConnectionChange((s) => (state.value = s));
    // Doubles as the connection check: a refused token shows up here, before any model is opened.
    version.value = await client.call('version', {});
  }

  return { state, transport, endpoint, version, canPickFiles, canPickSavePath, init };
});
