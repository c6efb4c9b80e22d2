import { registerNeuron } from './common.js';

registerNeuron('Threshold');
