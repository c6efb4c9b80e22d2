import { registerNeuron } from './common.js';

registerNeuron('Swish');
