// Builds a tiny ONNX PHI-region detector for tests: each grid cell's logit is a linear function
// of the mean brightness of its pixels (channel mean, then average pooling over the cell), so a
// bright text box in a dark frame lights up exactly the cells it covers.
import { floatValueInfo, onnx } from './onnx-graph.js';

export interface PhiGridModelOptions {
  /** Model input size in pixels (multiples of `cell`). */
  readonly width: number;
  readonly height: number;
  /** Cell edge in input pixels. */
  readonly cell: number;
  /** logit = gain × (mean(normalised cell) − level) */
  readonly gain: number;
  readonly level: number;
}

/** ONNX bytes of a model `input [N,3,H,W] → logits [N,1,H/cell,W/cell]`. */
export function phiGridModel(o: PhiGridModelOptions): Uint8Array {
  const int = (name: string, i: number) => onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INT, i });
  const ints = (name: string, values: number[]) => onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: values });
  const scalar = (name: string, value: number) => onnx.TensorProto.create({ name, dims: [], dataType: onnx.TensorProto.DataType.FLOAT, floatData: [value] });
  const graph = onnx.GraphProto.create({
    name: 'phi_grid_detector',
    node: [
      onnx.NodeProto.create({ opType: 'ReduceMean', input: ['input'], output: ['gray'], attribute: [ints('axes', [1]), int('keepdims', 1)] }),
      onnx.NodeProto.create({ opType: 'AveragePool', input: ['gray'], output: ['cells'], attribute: [ints('kernel_shape', [o.cell, o.cell]), ints('strides', [o.cell, o.cell])] }),
      onnx.NodeProto.create({ opType: 'Sub', input: ['cells', 'level'], output: ['centred'] }),
      onnx.NodeProto.create({ opType: 'Mul', input: ['centred', 'gain'], output: ['logits'] }),
    ],
    initializer: [scalar('level', o.level), scalar('gain', o.gain)],
    input: [floatValueInfo('input', ['batch', 3, o.height, o.width])],
    output: [floatValueInfo('logits', ['batch', 1, o.height / o.cell, o.width / o.cell])],
  });
  const model = onnx.ModelProto.create({ irVersion: 7, producerName: 'lx-annotate-tests', opsetImport: [{ domain: '', version: 13 }], graph });
  return onnx.ModelProto.encode(model).finish();
}
