package armor.runtime.config;

import java.util.List;

/**
 * The decoder's shape and numerics, read from {@code config.json} (see {@link ConfigReader}).
 *
 * @param qkvBias     q/k/v projections carry biases (Qwen2, or Llama with attention_bias)
 * @param oBias       o_proj carries a bias (Llama with attention_bias)
 * @param mlpBias     gate/up/down carry biases (Llama with mlp_bias)
 * @param qkNorm      per-head RMSNorm on q and k before RoPE (Qwen3)
 * @param eosTokenIds from config.json and generation_config.json together
 * @param dtype       the stored weight dtype named by the config ("bfloat16", "float32", ...), informational
 */
public record ModelConfig(Architecture architecture, int hiddenSize, int intermediateSize, int numLayers,
                          int numHeads, int numKvHeads, int headDim, int vocabSize, int maxPositions,
                          float rmsNormEps, double ropeTheta, RopeScaling ropeScaling, boolean tieWordEmbeddings,
                          boolean qkvBias, boolean oBias, boolean mlpBias, boolean qkNorm,
                          int bosTokenId, List<Integer> eosTokenIds, String dtype) {

    public int qDim() {
        return numHeads * headDim;
    }

    public int kvDim() {
        return numKvHeads * headDim;
    }

    /** The Llama-3.2-1B shape used by the benchmark presets (bf16, tied embeddings, llama3 rope scaling). */
    public static ModelConfig llama32_1B() {
        return new ModelConfig(Architecture.LLAMA, 2048, 8192, 16, 32, 8, 64, 128256, 131072, 1e-5f, 500000.0,
                new RopeScaling("llama3", 32, 1, 4, 8192), true, false, false, false, false,
                128000, List.of(128001, 128008, 128009), "bfloat16");
    }
}
