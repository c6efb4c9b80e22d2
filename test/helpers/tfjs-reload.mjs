// A user's app in miniature, run by test/unit/export/tfjs.test.ts in a fresh Node process from a folder
// whose node_modules holds '@tensorflow/tfjs': it reloads a Portafilter TF.js export from its files
// alone (model.json, the shards, portafilter_layers.js) and runs it.
//
//   node tfjs-reload.mjs <job.json>
//   job:    { model: <export folder>, out: <folder>, inputs: [{ id, file, shape }] }
//           each input file raw little-endian float32, already in the model's (Keras) layout
//   writes: <out>/<id>.<k>.f32 (output k, raw float32, Keras layout) and <out>/result.json
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';

const job = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const dir = job.model;

const registered = () => Object.keys(tf.serialization.SerializationMap.getMap().classNameMap);
const before = registered();
const moduleFile = join(dir, 'portafilter_layers.js');
const hasModule = existsSync(moduleFile);
const exported = hasModule ? Object.keys(await import(pathToFileURL(moduleFile).href)) : [];
const added = registered().filter((c) => !before.includes(c));

// An app on tfjs-core + tfjs-layers alone brings its own backend.
if (!tf.findBackendFactory('cpu')) await import('@tensorflow/tfjs-backend-cpu');
if (!(await tf.setBackend('cpu'))) throw new Error('no cpu backend');

const toArrayBuffer = (b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);

// The IOHandler: model.json and its shards, read from the folder as an HTTP loader would fetch them.
const handler = {
  load: async () => {
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
      const specs = manifest.flatMap((group) => group.weights);
      const shards = manifest.flatMap((group) => group.paths.map((p) => readFileSync(join(dir, p))));
      return [specs, toArrayBuffer(Buffer.concat(shards))];
    });
  },
};
const model = await tf.loadLayersModel(handler);

const results = [];
for (const input of job.inputs) {
  const bytes = readFileSync(input.file);
  const x = tf.tensor(new Float32Array(toArrayBuffer(bytes)), input.shape, 'float32');
  const y = model.predict(x);
  const ys = Array.isArray(y) ? y : [y];
  const shapes = [];
  for (const [k, t] of ys.entries()) {
    const data = await t.data();
    writeFileSync(join(job.out, `${input.id}.${k}.f32`), Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    shapes.push(t.shape);
  }
  tf.dispose([x, ...ys]);
  results.push({ id: input.id, shapes });
}

writeFileSync(
  join(job.out, 'result.json'),
  JSON.stringify({
    backend: tf.getBackend(),
    hasModule,
    exported,
    registeredByModule: added,
    inputNames: model.inputNames,
    outputNames: model.outputNames,
    metadata: model.getUserDefinedMetadata() ?? null,
    results,
  }),
);
