package armor.runtime.model;

import armor.runtime.config.ConfigReader;
import armor.runtime.config.ModelConfig;
import armor.runtime.safetensors.CheckpointException;
import armor.runtime.safetensors.CheckpointWeights;
import armor.runtime.safetensors.WeightSource;
import armor.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
    private Tokenizer tokenizer;
    private boolean tokenizerLoaded;

    private Model(Path dir, ModelConfig config, WeightSource weights, Decoder decoder) {
        this.dir = dir;
        this.config = config;
        this.weights = weights;
        this.decoder = decoder;
    }

    /** Loads {@code config.json}, {@code generation_config.json} and the safetensors weights of a model folder. */
    public static Model load(Path dir) {
        if (Files.isRegularFile(dir)) {
            throw new CheckpointException(dir + ": is a file, expected a model folder (the folder holding config.json)");
        }
        if (!Files.isDirectory(dir)) throw new CheckpointException(dir + ": model folder not found");
        ModelConfig config = ConfigReader.read(dir);
        CheckpointWeights weights = CheckpointWeights.open(dir);
        try {
            return new Model(dir, config, weights, Decoder.load(config, weights));
        } catch (RuntimeException e) {
            weights.close();
            throw e;
        }
    }

    /** A model over weights from elsewhere (tests, in-memory checkpoints); no tokenizer. */
    public static Model of(ModelConfig config, WeightSource weights) {
        return new Model(null, config, weights, Decoder.load(config, weights));
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
