import { registerNeuron } from './common.js';

registerNeuron('Dropout');
