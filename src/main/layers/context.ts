/**
 * The contexts a layer's rules run in: the layer message and Caffe's view of its parameters
 * (defaults filled in from caffe.proto, has_x() answered from what was set), plus what each rule
 * needs (bottom shapes for the shape rule, ...). Failures name the layer, its place in the file and
 * the field.
 */
import protobuf from 'protobufjs';
import { ShapeError, ShapeUnknownError, type ErrorLocation, type PortafilterError } from '../../shared/errors.js';
import { isMessage, sourceOf, type Message } from '../caffe/message.js';
import { messageType, withDefaults } from '../caffe/schema.js';
import type { LayerParams, Shape, ShapeContext } from './types.js';

type ErrorClass = new (reason: string, location?: ErrorLocation) => PortafilterError;

/** The parameter view of `layer`; `fail` throws `error` (a ShapeError unless told otherwise). */
export function layerParams(layer: Message, error: ErrorClass = ShapeError): LayerParams {
  const name = typeof layer.name === 'string' ? layer.name : '';
  const type = typeof layer.type === 'string' ? layer.type : '';
  const params = new Map<string, Message>();
  return {
    layer,
    name,
    type,
    param<T = Message>(field: string): T {
      let p = params.get(field);
      if (!p) {
        const resolved = messageType('LayerParameter').fields[field]?.resolvedType;
        if (!(resolved instanceof protobuf.Type)) throw new Error(`LayerParameter has no message field '${field}'`);
        const raw = layer[field];
        p = withDefaults<Message>(resolved.fullName, isMessage(raw) ? raw : {});
        params.set(field, p);
      }
      return p as T;
    },
    has(paramField: string, field: string): boolean {
      const p = layer[paramField];
      return isMessage(p) && p[field] !== undefined;
    },
    fail(reason: string, field?: string): never {
      const pos = sourceOf(layer);
      const where: ErrorLocation = { layer: name };
      if (pos?.file !== undefined) where.file = pos.file;
      if (pos?.line !== undefined) where.line = pos.line;
      if (pos?.column !== undefined) where.column = pos.column;
      if (field !== undefined) where.field = field;
      throw new error(reason, where);
    },
  };
}

export function createShapeContext(layer: Message, bottoms: Shape[], numTops: number, given: (Shape | undefined)[] = []): ShapeContext {
  // Named members rather than a spread of layerParams: a spread of its methods took V8's slow path,
  // a tenth of the shape pass's time on a net of many layers.
  const { name, type, param, has, fail } = layerParams(layer);
  return {
    layer,
    name,
    type,
    param,
    has,
    fail,
    bottoms,
    numTops,
    givenShape: (top: number): Shape | undefined => given[top],
    unknown: (reason: string, field?: string): never => layerParams(layer, ShapeUnknownError).fail(reason, field),
  };
}
