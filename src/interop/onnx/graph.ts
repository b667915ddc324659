// A small in-memory ONNX graph (nodes, initializers, typed inputs and outputs) and its encoding as an ONNX
// ModelProto with protobufjs. protobufjs is loaded on first use, so a game that never exports does not load it.
import { DataType, ONNX_PROTO } from './onnx-proto.js';

export type ElementType = keyof typeof DataType;

export interface Initializer {
  name: string;
  type: 'FLOAT' | 'DOUBLE' | 'INT64';
  dims: readonly number[];
  data: Float32Array | Float64Array | BigInt64Array;
}

export interface Node {
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  /** Integer attributes (axis, keepdims, transB, to): all this graph needs. */
  attributes?: Record<string, number>;
}

/** A graph input or output: its element type and shape, `'batch'` naming the dynamic batch dimension. */
export interface ValueInfo {
  name: string;
  type: ElementType;
  shape: readonly (number | 'batch')[];
  doc?: string;
}

export interface Graph {
  name: string;
  nodes: Node[];
  initializers: Initializer[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
}

export interface ModelInfo {
  producerVersion: string;
  doc: string;
  /** Key-value pairs stored as the model's metadata_props. */
  metadata: Record<string, string>;
}

/** IR version 8 with opset 17: read by every onnxruntime since 1.13 and by PyTorch's exporter era tooling. */
export const IR_VERSION = 8;
export const OPSET = 17;
const ATTRIBUTE_INT = 2; // AttributeProto.AttributeType.INT

/** Encodes a graph as ONNX ModelProto bytes. */
export async function encodeModel(graph: Graph, info: ModelInfo): Promise<Uint8Array> {
  const { default: protobuf } = await import('protobufjs/light.js');
  const Model = protobuf.Root.fromJSON(ONNX_PROTO as unknown as protobuf.INamespace).lookupType('onnx.ModelProto');
  const valueInfo = (v: ValueInfo) => ({
    name: v.name,
    docString: v.doc ?? '',
    type: { tensorType: { elemType: DataType[v.type], shape: { dim: v.shape.map((d) => (d === 'batch' ? { dimParam: d } : { dimValue: d })) } } },
  });
  const model = {
    irVersion: IR_VERSION,
    producerName: 'webppo',
    producerVersion: info.producerVersion,
    docString: info.doc,
    opsetImport: [{ domain: '', version: OPSET }],
    metadataProps: Object.entries(info.metadata).map(([key, value]) => ({ key, value })),
    graph: {
      name: graph.name,
      node: graph.nodes.map((n, i) => ({
        name: `${n.opType}_${i}`,
        opType: n.opType,
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attributes ?? {}).map(([name, i]) => ({ name, i, type: ATTRIBUTE_INT })),
      })),
      initializer: graph.initializers.map((t) => ({
        name: t.name,
        dataType: DataType[t.type],
        dims: t.dims,
        rawData: littleEndianBytes(t.data),
      })),
      input: graph.inputs.map(valueInfo),
      output: graph.outputs.map(valueInfo),
    },
  };
  const problem = Model.verify(model);
  if (problem) throw new Error(`exportOnnx: internal error, the model does not fit onnx.ModelProto: ${problem}`);
  return Model.encode(Model.fromObject(model)).finish();
}

/** ONNX raw_data is little-endian whatever the host. */
function littleEndianBytes(data: Float32Array | Float64Array | BigInt64Array): Uint8Array {
  const out = new Uint8Array(data.length * data.BYTES_PER_ELEMENT);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) {
    if (data instanceof Float32Array) view.setFloat32(i * 4, data[i], true);
    else if (data instanceof Float64Array) view.setFloat64(i * 8, data[i], true);
    else view.setBigInt64(i * 8, data[i], true);
  }
  return out;
}
