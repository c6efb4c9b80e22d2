import { registerNeuron } from './common.js';

registerNeuron('BNLL');
