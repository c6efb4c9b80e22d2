// First: the zod setting must be in place before any schema module is evaluated.
import './zod-jitless.js';
import { createPinia } from 'pinia';
import { createApp } from 'vue';
import App from './App.vue';
import { createApiClient } from './api/client.js';
import { provideApi } from './api/instance.js';
import './styles.css';

provideApi(createApiClient(window));
createApp(App).use(createPinia()).mount('#app');
