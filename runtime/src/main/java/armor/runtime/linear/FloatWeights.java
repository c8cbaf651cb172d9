package armor.runtime.linear;

import armor.runtime.tensor.DType;
import armor.runtime.tensor.Tensor;

import java.util.function.Function;

/**
 * One projection's weights as float32, in every shape a {@link WeightFormat} packs from: the dense matrix, its 2:4
 * core, ARMOR's near-identity blocks; what the layer benchmark makes once and packs into each format it times.
 *
 * @param dense       {@code out × in}, row-major
 * @param denseTensor the dense matrix as a tensor in a given float dtype (the caller chooses the memory it lives in)
 * @param core        the 2:4 core of {@code dense}
 * @param a           A' as {@code out/block} blocks of {@code block × block}
 * @param b           B' as {@code in/block} blocks
 * @param group       dense columns per int8 scale
 */
public record FloatWeights(float[] dense, Function<DType, Tensor> denseTensor, Sparse24Core core,
                           float[] a, float[] b, int block, int group) {
    public int out() {
        return core.rows();
    }

    public int in() {
        return core.cols();
    }

    Tensor denseTensor(DType dtype) {
        return denseTensor.apply(dtype);
    }
}
