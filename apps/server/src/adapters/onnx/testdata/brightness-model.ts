// Builds a tiny ONNX frame classifier for tests: the logit of each label is a linear function
// of the frame's mean brightness (after the ModelMeta normalisation), so its output depends on
// the frame content and tests can predict which label a video section gets.
import { floatValueInfo, onnx } from './onnx-graph.js';

export interface BrightnessLabelWeights {
  /** logit = weight × mean(normalised input) + bias */
  readonly weight: number;
  readonly bias: number;
}

/** ONNX bytes of a model `input [N,3,H,W] → logits [N, weights.length]`. */
export function brightnessModel(weights: readonly BrightnessLabelWeights[], size: { width: number; height: number }): Uint8Array {
  const labelCount = weights.length;
  const floatTensor = (name: string, dims: number[], values: number[]) =>
    onnx.TensorProto.create({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, floatData: values });
  const graph = onnx.GraphProto.create({
    name: 'brightness_classifier',
    node: [
      onnx.NodeProto.create({
        opType: 'ReduceMean',
        input: ['input'],
        output: ['mean4d'],
        attribute: [
          onnx.AttributeProto.create({ name: 'axes', type: onnx.AttributeProto.AttributeType.INTS, ints: [1, 2, 3] }),
          onnx.AttributeProto.create({ name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 1 }),
        ],
      }),
      onnx.NodeProto.create({ opType: 'Flatten', input: ['mean4d'], output: ['mean2d'], attribute: [onnx.AttributeProto.create({ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 })] }),
      onnx.NodeProto.create({ opType: 'Gemm', input: ['mean2d', 'W', 'B'], output: ['logits'] }),
    ],
    initializer: [floatTensor('W', [1, labelCount], weights.map((w) => w.weight)), floatTensor('B', [labelCount], weights.map((w) => w.bias))],
    input: [floatValueInfo('input', ['batch', 3, size.height, size.width])],
    output: [floatValueInfo('logits', ['batch', labelCount])],
  });
  const model = onnx.ModelProto.create({ irVersion: 7, producerName: 'lx-annotate-tests', opsetImport: [{ domain: '', version: 13 }], graph });
  return onnx.ModelProto.encode(model).finish();
}
