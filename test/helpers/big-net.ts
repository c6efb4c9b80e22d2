/**
 * A generated net of any number of layers, as a prototxt and a matching synthetic caffemodel, for the
 * scaling tests and the many_layers benchmark. Residual blocks of three layers each: a 1×1
 * Convolution, an in-place ReLU on it, and an Eltwise sum of the block's input and the ReLU's output,
 * so the graph has in-place values, blobs read by two layers and weights on every third layer.
 */
import { Bytes, type SyntheticLayer, type SyntheticNet } from './caffemodel-writer.js';

/** Channels of every blob (N = 1, H = W = 2): small, so the net's size is its layer count. */
const CHANNELS = 4;

interface BigLayer {
  name: string;
  type: string;
  bottoms: string[];
  top: string;
  blobs: number[][];
}

/** The layers after the Input, `count` of them (blocks of Convolution, ReLU, Eltwise). */
function* bigLayers(count: number): Generator<BigLayer> {
  let input = 'data';
  for (let i = 0; i < count; i++) {
    const block = Math.floor(i / 3);
    const conv = `conv${block}`;
    switch (i % 3) {
      case 0:
        yield { name: conv, type: 'Convolution', bottoms: [input], top: conv, blobs: [[CHANNELS, CHANNELS, 1, 1], [CHANNELS]] };
        break;
      case 1:
        yield { name: `relu${block}`, type: 'ReLU', bottoms: [conv], top: conv, blobs: [] };
        break;
      default:
        yield { name: `sum${block}`, type: 'Eltwise', bottoms: [input, conv], top: `sum${block}`, blobs: [] };
        input = `sum${block}`;
    }
  }
}

/** A V2 deploy prototxt of an Input layer and `count` further layers, one layer a line. */
export function bigNetPrototxt(count: number): string {
  const lines = [
    'name: "big_net"',
    `layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: ${CHANNELS} dim: 2 dim: 2 } } }`,
  ];
  for (const l of bigLayers(count)) {
    const bottoms = l.bottoms.map((b) => `bottom: "${b}" `).join('');
    const param = l.type === 'Convolution' ? ` convolution_param { num_output: ${CHANNELS} kernel_size: 1 }` : '';
    lines.push(`layer { name: "${l.name}" type: "${l.type}" ${bottoms}top: "${l.top}"${param} }`);
  }
  return lines.join('\n') + '\n';
}

const convParam = new Bytes().bytes(106, new Bytes().uint(1, CHANNELS).packed(4, [1]).finish()).finish();

/** The caffemodel of the same net (every layer, as Caffe saves them, weights on the convolutions). */
export function bigNetCaffeModel(count: number): SyntheticNet {
  const layers: SyntheticLayer[] = [{ name: 'data', type: 'Input', blobs: [], top: 'data' }];
  for (const l of bigLayers(count)) {
    layers.push({
      name: l.name,
      type: l.type,
      bottom: l.bottoms[0],
      top: l.top,
      blobs: l.blobs.map((shape) => ({ shape })),
      params: l.type === 'Convolution' ? convParam : undefined,
    });
  }
  return { name: 'big_net', format: 'V2', layers };
}

/** The shape every blob of the net has (Caffe's N, C, H, W). */
export const BIG_NET_BLOB_SHAPE = [1, CHANNELS, 2, 2];
