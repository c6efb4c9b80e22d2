/**
 * The deploy prototxts of Kaiming He's ResNets (github.com/KaimingHe/deep-residual-networks), written
 * out for any depth: ResNet-50 is blocks [3, 4, 6, 3], ResNet-101 [3, 4, 23, 3], ResNet-152
 * [3, 8, 36, 3]. Same layout and names as the published files (test/fixtures/prototxts/ResNet-50-
 * deploy.prototxt, which test/unit/resnet-prototxt.test.ts checks this against byte for byte); the
 * deeper nets name the blocks of a long stage a, b1, b2 … (res4b35) instead of a, b, c ….
 * Used by the benchmarks and tests that need ResNet-152 (670 layers) without shipping its file.
 */

const layer = (lines: string[]): string => `layer {\n${lines.map((l) => `\t${l}`).join('\n')}\n}\n`;

function conv(bottom: string, top: string, numOutput: number, kernel: number, pad: number, stride: number, biasTerm = false): string {
  const param = [`\tnum_output: ${numOutput}`, `\tkernel_size: ${kernel}`, `\tpad: ${pad}`, `\tstride: ${stride}`];
  if (!biasTerm) param.push('\tbias_term: false');
  return layer([`bottom: "${bottom}"`, `top: "${top}"`, `name: "${top}"`, 'type: "Convolution"', 'convolution_param {', ...param, '}']);
}

/** BatchNorm and Scale in place on `blob`, named bn<suffix> and scale<suffix>. */
const bnScale = (blob: string, suffix: string): string[] => [
  layer([`bottom: "${blob}"`, `top: "${blob}"`, `name: "bn${suffix}"`, 'type: "BatchNorm"', 'batch_norm_param {', '\tuse_global_stats: true', '}']),
  layer([`bottom: "${blob}"`, `top: "${blob}"`, `name: "scale${suffix}"`, 'type: "Scale"', 'scale_param {', '\tbias_term: true', '}']),
];

const relu = (blob: string, name: string): string => layer([`bottom: "${blob}"`, `top: "${blob}"`, `name: "${name}"`, 'type: "ReLU"']);

/**
 * The names of a stage's blocks: a, b, c, d … (ResNet-50), or, in the deeper nets' files, a, b1,
 * b2 … for a stage of more than three blocks (ResNet-101 and -152 name res4b22, res4b35).
 */
export const blockNames = (count: number, numbered: boolean): string[] =>
  !numbered || count <= 3
    ? Array.from({ length: count }, (_, i) => String.fromCharCode(97 + i))
    : ['a', ...Array.from({ length: count - 1 }, (_, i) => `b${i + 1}`)];

export function resnetPrototxt(blocks: readonly [number, number, number, number], name = `ResNet-${3 * blocks.reduce((a, b) => a + b, 0) + 2}`, numbered = blocks.some((b) => b > 6)): string {
  const out: string[] = [];
  out.push(conv('data', 'conv1', 64, 7, 3, 2, true), ...bnScale('conv1', '_conv1'), relu('conv1', 'conv1_relu'));
  out.push(layer(['bottom: "conv1"', 'top: "pool1"', 'name: "pool1"', 'type: "Pooling"', 'pooling_param {', '\tkernel_size: 3', '\tstride: 2', '\tpool: MAX', '}']));
  let input = 'pool1';
  blocks.forEach((count, s) => {
    const stage = s + 2;
    const width = 64 << s;
    blockNames(count, numbered).forEach((letter, b) => {
      const id = `${stage}${letter}`;
      const res = `res${id}`;
      // The first block of a stage projects its input; from stage 3 on it also halves the size, on branch2a (Caffe's ResNets stride the 1×1).
      const stride = b === 0 && stage > 2 ? 2 : 1;
      let shortcut = input;
      if (b === 0) {
        out.push(conv(input, `${res}_branch1`, width * 4, 1, 0, stride), ...bnScale(`${res}_branch1`, `${id}_branch1`));
        shortcut = `${res}_branch1`;
      }
      out.push(conv(input, `${res}_branch2a`, width, 1, 0, stride), ...bnScale(`${res}_branch2a`, `${id}_branch2a`), relu(`${res}_branch2a`, `${res}_branch2a_relu`));
      out.push(conv(`${res}_branch2a`, `${res}_branch2b`, width, 3, 1, 1), ...bnScale(`${res}_branch2b`, `${id}_branch2b`), relu(`${res}_branch2b`, `${res}_branch2b_relu`));
      out.push(conv(`${res}_branch2b`, `${res}_branch2c`, width * 4, 1, 0, 1), ...bnScale(`${res}_branch2c`, `${id}_branch2c`));
      out.push(layer([`bottom: "${shortcut}"`, `bottom: "${res}_branch2c"`, `top: "${res}"`, `name: "${res}"`, 'type: "Eltwise"']), relu(res, `${res}_relu`));
      input = res;
    });
  });
  out.push(layer([`bottom: "${input}"`, 'top: "pool5"', 'name: "pool5"', 'type: "Pooling"', 'pooling_param {', '\tkernel_size: 7', '\tstride: 1', '\tpool: AVE', '}']));
  out.push(layer(['bottom: "pool5"', 'top: "fc1000"', 'name: "fc1000"', 'type: "InnerProduct"', 'inner_product_param {', '\tnum_output: 1000', '}']));
  out.push(layer(['bottom: "fc1000"', 'top: "prob"', 'name: "prob"', 'type: "Softmax"']));
  const head = `name: "${name}"\ninput: "data"\ninput_dim: 1\ninput_dim: 3\ninput_dim: 224\ninput_dim: 224\n\n`;
  return head + out.join('\n') + '\n';
}

export const RESNET_50_BLOCKS = [3, 4, 6, 3] as const;
export const RESNET_152_BLOCKS = [3, 8, 36, 3] as const;
export const resnet152Prototxt = (): string => resnetPrototxt(RESNET_152_BLOCKS, 'ResNet-152');
