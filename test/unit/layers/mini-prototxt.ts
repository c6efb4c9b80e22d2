/**
 * A minimal protobuf text-format reader for the fixture prototxts, for these tests only (the real
 * prototxt reader is src/main/caffe's). Repeated fields and enums are told apart with caffe.proto.
 */
import protobuf from 'protobufjs';
import type { Message } from '../../../src/main/caffe/message.js';
import { messageType } from '../../../src/main/caffe/schema.js';

const TOKEN = /(?:\s|#[^\n]*)*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[{}:;,]|[^\s{}:;,#"']+)/y;

export function parsePrototxt(text: string, typeName = 'NetParameter'): Message {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(text); m; m = TOKEN.exec(text)) tokens.push(m[1]);
  let i = 0;
  const readMessage = (type: protobuf.Type, closing: boolean): Message => {
    const msg: Message = {};
    while (i < tokens.length && tokens[i] !== '}') {
      const name = tokens[i++];
      const field = type.fields[name];
      if (!field) throw new Error(`${type.name} has no field ${name}`);
      if (tokens[i] === ':') i++;
      let value: Message[keyof Message];
      if (tokens[i] === '{') {
        i++;
        value = readMessage(field.resolvedType as protobuf.Type, true);
      } else {
        const raw = tokens[i++];
        if (/^["']/.test(raw)) value = raw.slice(1, -1);
        else if (field.resolvedType instanceof protobuf.Enum) value = raw;
        else if (field.type === 'bool') value = raw === 'true';
        else value = Number(raw);
      }
      if (tokens[i] === ';' || tokens[i] === ',') i++;
      if (field.repeated) ((msg[name] ??= []) as unknown[]).push(value);
      else msg[name] = value;
    }
    if (closing) i++;
    return msg;
  };
  return readMessage(messageType(typeName), false);
}
