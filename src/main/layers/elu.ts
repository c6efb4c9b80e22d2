import { registerNeuron } from './common.js';

registerNeuron('ELU');
