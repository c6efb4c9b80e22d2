/**
 * The API implementation behind every transport. Requests are validated here against the schemas in
 * src/shared/api.ts; errors leave as the typed errors of src/shared/errors.ts.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { methods, type CallOptions, type ConvertRequest, type Method, type Response, type Responses } from '../../shared/api.js';
import { PortafilterError } from '../../shared/errors.js';
import { readMean } from '../caffe/mean.js';
import { exportModel } from '../export/index.js';
import { loadCaffeNet, type CaffeNet } from '../net/model.js';
import { appRoot, resourcePath } from '../paths.js';
import { summarize } from './summary.js';
import type { Service } from './types.js';

export type { Service } from './types.js';

type Handlers = { [M in Method]: (request: never, options: CallOptions) => Promise<Responses[M]> };

export function createService(): Service {
  const sessions = new Map<string, CaffeNet>();

  const handlers: Handlers = {
    version: async () => ({
      version: (JSON.parse(readFileSync(join(appRoot(), 'package.json'), 'utf8')) as { version: string }).version,
      node: process.versions.node,
      platform: `${process.platform}-${process.arch}`,
    }),
    demoModel: async () => {
      const dir = resourcePath('demo', 'lenet_mnist');
      return {
        title: 'LeNet (MNIST), BVLC',
        prototxt: join(dir, 'deploy.prototxt'),
        caffemodel: join(dir, 'weights.caffemodel'),
        inputShapes: { data: [1, 1, 28, 28] },
      };
    },
    openModel: async (req: Responses['demoModel'], options) => {
      const model = await loadCaffeNet({ ...req, onProgress: (stage, fraction) => options.onProgress?.({ stage, fraction }), signal: options.signal });
      const id = randomUUID();
      sessions.set(id, model);
      return summarize(id, model);
    },
    closeModel: async (req: { id: string }) => ({ closed: sessions.delete(req.id) }),
    convertModel: async (req: ConvertRequest, options) => {
      const model = sessions.get(req.id);
      if (!model) throw new PortafilterError(`no open model with id '${req.id}' (open it first)`);
      return exportModel(model, {
        ...req,
        onProgress: (stage, fraction) => options.onProgress?.({ stage, fraction }),
        signal: options.signal,
      });
    },
    readMean: async (req: { file: string }) => {
      const mean = await readMean(req.file);
      return { file: mean.file, shape: mean.shape, channelMean: mean.channelMean };
    },
  };

  return {
    async call<M extends Method>(method: M, request: unknown, options: CallOptions = {}): Promise<Response<M>> {
      if (!Object.hasOwn(methods, method)) throw new PortafilterError(`unknown method '${String(method)}'`);
      const parsed = methods[method].safeParse(request ?? {});
      if (!parsed.success) {
        throw new PortafilterError(`invalid request for ${method}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'request'}: ${i.message}`).join('; ')}`);
      }
      const handler = handlers[method] as (r: unknown, o: CallOptions) => Promise<Response<M>>;
      return handler(parsed.data, options);
    },
    dispose() {
      sessions.clear();
    },
  };
}
