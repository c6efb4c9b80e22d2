import { registerNeuron } from './common.js';

registerNeuron('ReLU');
