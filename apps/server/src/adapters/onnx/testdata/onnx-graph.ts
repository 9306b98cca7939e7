// Shared by the test model builders: the protobuf value info of a float tensor input or output.
import onnxProto from 'onnx-proto';

export const { onnx } = onnxProto;

/** A float tensor's name and shape; a string dimension is symbolic (e.g. the batch). */
export function floatValueInfo(name: string, dims: readonly (number | string)[]): onnxProto.onnx.ValueInfoProto {
  return onnx.ValueInfoProto.create({
    name,
    type: onnx.TypeProto.create({
      tensorType: onnx.TypeProto.Tensor.create({
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: onnx.TensorShapeProto.create({ dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) }),
      }),
    }),
  });
}
