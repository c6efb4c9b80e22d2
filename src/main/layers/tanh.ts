import { registerNeuron } from './common.js';

registerNeuron('TanH');
