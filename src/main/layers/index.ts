/**
 * Every Caffe layer type Portafilter knows, one file each: importing this module registers them all.
 */
import './abs-val.js';
import './arg-max.js';
import './batch-norm.js';
import './bias.js';
import './bnll.js';
import './clip.js';
import './concat.js';
import './convolution.js';
import './crop.js';
import './deconvolution.js';
import './detection-output.js';
import './dropout.js';
import './eltwise.js';
import './elu.js';
import './exp.js';
import './flatten.js';
import './inner-product.js';
import './input.js';
import './log.js';
import './lrn.js';
import './mvn.js';
import './normalize.js';
import './permute.js';
import './pooling.js';
import './power.js';
import './prelu.js';
import './prior-box.js';
import './reduction.js';
import './relu.js';
import './reshape.js';
import './scale.js';
import './sigmoid.js';
import './silence.js';
import './slice.js';
import './softmax.js';
import './split.js';
import './swish.js';
import './tanh.js';
import './threshold.js';
import './tile.js';

export { layerDef, registerLayer, supportedLayerTypes } from './registry.js';
export { createShapeContext } from './context.js';
export type { LayerDef, LayerShapes, Shape, ShapeContext } from './types.js';
