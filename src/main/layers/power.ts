import { registerNeuron } from './common.js';

registerNeuron('Power');
