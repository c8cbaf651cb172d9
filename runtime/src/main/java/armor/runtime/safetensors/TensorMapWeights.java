package armor.runtime.safetensors;

import armor.runtime.tensor.Tensor;

import java.util.Map;
import java.util.Set;

/** A {@link WeightSource} whose tensors are a map by name: one file, a folder of shards, or random weights. */
public abstract class TensorMapWeights implements WeightSource {
    /** The tensors by name, in checkpoint order. */
    protected final Map<String, Tensor> tensors;

    protected TensorMapWeights(Map<String, Tensor> tensors) {
        this.tensors = tensors;
    }

    @Override
    public final boolean has(String name) {
        return tensors.containsKey(name);
    }

    @Override
    public final Tensor tensor(String name) {
        Tensor t = tensors.get(name);
        if (t == null) throw new CheckpointException(origin() + ": missing tensor " + name);
        return t;
    }

    @Override
    public final Set<String> names() {
        return tensors.keySet();
    }
}
