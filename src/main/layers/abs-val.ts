import { forbidInPlace, registerNeuron } from './common.js';

// absval_layer.cpp LayerSetUp: CHECK_NE(top[0], bottom[0]), unlike the other neuron layers.
registerNeuron('AbsVal', forbidInPlace);
