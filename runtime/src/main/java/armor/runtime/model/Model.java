package armor.runtime.model;

import armor.runtime.config.ConfigReader;
import armor.runtime.config.ModelConfig;
import armor.runtime.linear.Linear;
import armor.runtime.linear.Structure;
import armor.runtime.quant.GptqConfig;
import armor.runtime.quant.GptqWeights;
import armor.runtime.safetensors.CheckpointException;
import armor.runtime.safetensors.CheckpointWeights;
import armor.runtime.safetensors.WeightSource;
import armor.runtime.sparse.CompressedTensorsConfig;
import armor.runtime.sparse.Sparse24View;
import armor.runtime.sparse.SparseMode;
import armor.runtime.sparse.SparsityReport;
import armor.runtime.tensor.DType;
import armor.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A loaded model: config, weights (memory-mapped; released by {@link #close()}), the {@link Decoder}, and the
 * tokenizer of the folder when there is one. The entry point for the CLI, pruner, server and benchmarks.
 */
public final class Model implements AutoCloseable {
    private final Path dir;
    private final ModelConfig config;
    private final WeightSource weights;
    private final Decoder decoder;
    private final SparsityReport sparsity;
    private Tokenizer tokenizer;
    private boolean tokenizerLoaded;

    private Model(Path dir, ModelConfig config, WeightSource weights, Decoder decoder, SparsityReport sparsity) {
        this.dir = dir;
        this.config = config;
        this.weights = weights;
        this.decoder = decoder;
        this.sparsity = sparsity;
    }

    private Model(Path dir, ModelConfig config, WeightSource weights, Decoder decoder) {
        this(dir, config, weights, decoder, report(decoder, "in-memory weights", false, p -> "dense"));
    }

    /** As {@link #load(Path, SparseMode)} with {@link SparseMode#AUTO}. */
    public static Model load(Path dir) {
        return load(dir, SparseMode.AUTO);
    }

    /**
     * Loads {@code config.json}, {@code generation_config.json} and the safetensors weights of a model folder: a dense
     * or armor checkpoint, a compressed-tensors one, or a GPTQ one (docs/checkpoint-format.md). Projections stored as 2:4, and
     * under {@link SparseMode#AUTO} dense ones whose zeros follow 2:4, run on the 2:4 kernels ({@link #sparsity()}).
     */
    public static Model load(Path dir, SparseMode mode) {
        if (Files.isRegularFile(dir)) {
            throw new CheckpointException(dir + ": is a file, expected a model folder (the folder holding config.json)");
        }
        if (!Files.isDirectory(dir)) throw new CheckpointException(dir + ": model folder not found");
        ModelConfig config = ConfigReader.read(dir);
        // before the weights: a quantized compressed-tensors folder stops here with its reason, not on a dtype
        CompressedTensorsConfig ct = CompressedTensorsConfig.read(dir).orElse(null);
        GptqConfig gptq = GptqConfig.read(dir).orElse(null);
        CheckpointWeights weights = CheckpointWeights.open(dir);
        try {
            Sparse24View view = Sparse24View.of(weights, ct, mode, config.architecture().hfName());
            // GPTQ projections (P.qweight) load as dense-int4; how to read their zero points is in config.json
            Decoder decoder = Decoder.load(config, GptqWeights.of(view, gptq));
            String format = (gptq != null ? gptq.describe() : view.format()) + (mode == SparseMode.OFF ? " (--sparse off)" : "");
            return new Model(dir, config, weights, decoder, report(decoder, format, view.declared() || gptq != null, view::denseReason));
        } catch (RuntimeException e) {
            weights.close();
            throw e;
        }
    }

    /** A model over weights from elsewhere (tests, in-memory checkpoints); no tokenizer. */
    public static Model of(ModelConfig config, WeightSource weights) {
        return new Model(null, config, weights, Decoder.load(config, weights));
    }

    private static SparsityReport report(Decoder decoder, String format, boolean declared,
                                         java.util.function.Function<String, String> denseReason) {
        Map<String, String> sparse = new LinkedHashMap<>(), dense = new LinkedHashMap<>();
        for (int i = 0; i < decoder.numLayers(); i++) {
            for (String p : DecoderLayer.PROJECTIONS) {
                String prefix = "model.layers." + i + "." + p;
                Linear l = decoder.layer(i).linear(p);
                if (l.format().structure() != Structure.DENSE) {
                    sparse.put(prefix, l.kind());
                } else {
                    String why = denseReason.apply(prefix);
                    dense.put(prefix, why == null ? l.kind() : why);
                }
            }
        }
        return new SparsityReport(format, declared, sparse, dense);
    }

    /** Which projections run sparse and which dense, as loaded (see {@link SparsityReport#summary()}). */
    public SparsityReport sparsity() {
        return sparsity;
    }

    public ModelConfig config() {
        return config;
    }

    public Decoder decoder() {
        return decoder;
    }

    public WeightSource weights() {
        return weights;
    }

    /** The model folder, or empty for in-memory models. */
    public Optional<Path> dir() {
        return Optional.ofNullable(dir);
    }

    /**
     * The folder's tokenizer, loaded on first use; empty when the folder has no {@code tokenizer.json}.
     *
     * @throws CheckpointException when the tokenizer files exist but cannot be loaded
     */
    public synchronized Optional<Tokenizer> tokenizer() {
        if (!tokenizerLoaded) {
            tokenizerLoaded = true;
            if (dir != null && Files.isRegularFile(dir.resolve("tokenizer.json"))) {
                try {
                    tokenizer = Tokenizer.load(dir);
                } catch (IOException e) {
                    // the tokenizer's messages name their file already; add the folder only where one does not
                    String why = String.valueOf(e.getMessage());
                    throw new CheckpointException(why.contains(dir.toString()) ? "cannot load tokenizer: " + why
                            : dir.resolve("tokenizer.json") + ": cannot load tokenizer: " + why, e);
                }
            }
        }
        return Optional.ofNullable(tokenizer);
    }

    /** The tokenizer, or an error naming the folder when it has none. */
    public Tokenizer requireTokenizer() {
        return tokenizer().orElseThrow(() -> new CheckpointException(
                (dir == null ? "in-memory model" : dir.toString()) + ": no tokenizer.json, expected one to turn text into tokens"));
    }

    public SequenceState newSequence(int expectedTokens) {
        return decoder.newSequence(expectedTokens);
    }

    /** Logits at every position of {@code tokens} processed as one fresh sequence ({@code tokens × vocab}). */
    public float[] logits(int[] tokens) {
        SequenceState seq = newSequence(tokens.length);
        try {
            return decoder.forward(List.of(Step.of(seq, tokens)), true, null);
        } finally {
            seq.free();
        }
    }

    /** Forward pass over several sequences at once; see {@link Decoder#forward}. */
    public float[] forward(List<Step> steps, boolean allPositions, ActivationObserver observer) {
        return decoder.forward(steps, allPositions, observer);
    }

    @Override
    public void close() {
        if (weights instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
