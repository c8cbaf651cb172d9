package armor.runtime.quant;

import armor.runtime.safetensors.WeightSource;
import armor.runtime.tensor.Tensor;

import java.util.Set;

/**
 * A checkpoint whose config.json declares GPTQ weights, seen together with that declaration: every tensor exactly as
 * stored, plus the {@link GptqConfig} that {@link GptqTensors#read} needs, since the zero-point convention (v1 or v2)
 * and the group size are in config.json, not in the tensors. Whoever opens a folder for loading wraps its weights
 * with {@link #of} ({@code Model.load}, {@code export --dense}); the dense-int4 loader finds the config here.
 */
public final class GptqWeights implements WeightSource {
    private final WeightSource raw;
    private final GptqConfig config;

    private GptqWeights(WeightSource raw, GptqConfig config) {
        this.raw = raw;
        this.config = config;
    }

    /** {@code raw} with its GPTQ config, or {@code raw} itself when {@code config} is null (no GPTQ declared). */
    public static WeightSource of(WeightSource raw, GptqConfig config) {
        return config == null ? raw : new GptqWeights(raw, config);
    }

    /** The GPTQ config {@code weights} was opened with, or null when none was declared. */
    public static GptqConfig config(WeightSource weights) {
        return weights instanceof GptqWeights g ? g.config : null;
    }

    @Override
    public boolean has(String name) {
        return raw.has(name);
    }

    @Override
    public Tensor tensor(String name) {
        return raw.tensor(name);
    }

    @Override
    public Set<String> names() {
        return raw.names();
    }

    @Override
    public String origin() {
        return raw.origin();
    }
}
