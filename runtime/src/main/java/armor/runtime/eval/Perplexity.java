package armor.runtime.eval;

import armor.runtime.model.Model;
import armor.runtime.model.SequenceState;
import armor.runtime.model.Step;

import java.util.Arrays;
import java.util.List;

/**
 * Perplexity with the protocol of the shared data notes: the text is one token stream with a single BOS at the
 * start, cut into non-overlapping windows of {@code seq} tokens (the last partial window dropped); each window is
 * scored independently (fresh context), every token but the window's first being predicted from those before it.
 * The result is exp(mean negative log-likelihood over all scored tokens).
 */
public final class Perplexity {
    /** Progress per window, for the CLI's progress line. */
    @FunctionalInterface
    public interface Progress {
        void windowDone(int done, int total);
    }

    public record Result(double perplexity, double meanNll, long scoredTokens, int windows) {}

    /** Tokens per forward pass inside a window (bounds the logits buffer to CHUNK × vocab floats). */
    private static final int CHUNK = 256;

    private Perplexity() {}

    public static int windowCount(int streamLength, int seq) {
        return streamLength / seq;
    }

    /**
     * Scores windows {@code [fromWindow, toWindow)} of {@code stream}.
     */
    public static Result compute(Model model, int[] stream, int seq, int fromWindow, int toWindow, Progress progress) {
        int available = windowCount(stream.length, seq);
        if (seq < 2) throw new IllegalArgumentException("--seq " + seq + ", expected at least 2");
        if (seq > model.config().maxPositions()) {
            throw new IllegalArgumentException("--seq " + seq + " exceeds the context length "
                    + model.config().maxPositions() + " (max_position_embeddings in config.json)");
        }
        if (available == 0) {
            throw new IllegalArgumentException("text has " + stream.length + " tokens, fewer than one window of " + seq);
        }
        if (fromWindow < 0 || toWindow > available || fromWindow >= toWindow) {
            throw new IllegalArgumentException("windows " + fromWindow + ":" + toWindow + ", expected a range within 0:"
                    + available);
        }
        int vocab = model.config().vocabSize();
        double nll = 0;
        long scored = 0;
        for (int w = fromWindow; w < toWindow; w++) {
            int start = w * seq;
            SequenceState state = model.newSequence(seq);
            try {
                // The window goes through in chunks (one sequence, so later chunks attend to the earlier ones):
                // all-position logits of a whole window would be seq × vocab floats (1 GB for 2048 × 128k).
                for (int c = 0; c < seq; c += CHUNK) {
                    int len = Math.min(CHUNK, seq - c);
                    int[] chunk = Arrays.copyOfRange(stream, start + c, start + c + len);
                    float[] logits = model.forward(List.of(Step.of(state, chunk)), true, null);
                    for (int t = 0; t < len; t++) {
                        int pos = c + t;
                        if (pos == seq - 1) break; // the window's last token predicts nothing inside the window
                        nll += negativeLogLikelihood(logits, t * vocab, vocab, stream[start + pos + 1]);
                        scored++;
                    }
                }
            } finally {
                state.free();
            }
            if (progress != null) progress.windowDone(w - fromWindow + 1, toWindow - fromWindow);
        }
        double mean = nll / scored;
        return new Result(Math.exp(mean), mean, scored, toWindow - fromWindow);
    }

    /** {@code -log softmax(row)[target]}, computed in double. */
    static double negativeLogLikelihood(float[] logits, int offset, int vocab, int target) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) max = Math.max(max, logits[offset + i]);
        double sum = 0;
        for (int i = 0; i < vocab; i++) sum += Math.exp(logits[offset + i] - max);
        return Math.log(sum) + max - logits[offset + target];
    }
}
