import { registerNeuron } from './common.js';

registerNeuron('Sigmoid');
