package armor.runtime.generate;

import armor.runtime.model.Model;
import armor.runtime.model.SequenceState;
import armor.runtime.model.Step;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The runtime's {@link Model} as the scheduler's {@link BatchDecoder}: a step over several sequences is one
 * {@code forward} over one {@link Step} per sequence, so every weight is read once for the whole batch.
 */
public final class ModelDecoder implements BatchDecoder<SequenceState> {
    /**
     * Logit floats one pass may return when every position's logits are wanted (16 MiB): a prompt whose tokens are
     * scored goes through the model in chunks of this many rows, so no prompt × vocabulary array is ever made (a
     * 32k-token prompt of a 152k vocabulary would need 20 GB, and overflow an int index past 14k rows).
     */
    public static final long DEFAULT_LOGIT_FLOATS_PER_PASS = 1L << 22;

    private final Model model;
    private final int vocab;
    private final int rowsPerPass;

    public ModelDecoder(Model model) {
        this(model, DEFAULT_LOGIT_FLOATS_PER_PASS);
    }

    /** @param logitFloatsPerPass the most logits one pass returns when every position is scored (at least one row) */
    public ModelDecoder(Model model, long logitFloatsPerPass) {
        this.model = model;
        this.vocab = model.config().vocabSize();
        this.rowsPerPass = (int) Math.clamp(logitFloatsPerPass / vocab, 1, Integer.MAX_VALUE);
    }

    /** KV-cache bytes one position of one sequence holds (keys and values, every layer, float32). */
    @Override
    public long bytesPerPosition() {
        var c = model.config();
        return 2L * Float.BYTES * c.numLayers() * c.kvDim();
    }

    @Override
    public int vocabSize() {
        return vocab;
    }

    @Override
    public int contextLength() {
        return model.config().maxPositions();
    }

    @Override
    public SequenceState newSequence() {
        return model.newSequence(64);
    }

    @Override
    public float[] prefill(SequenceState sequence, int[] tokens, PositionLogits eachPosition) {
        if (eachPosition == null) return model.forward(List.of(Step.of(sequence, tokens)), false, null);
        float[] row = null;
        for (int start = 0; start < tokens.length; start += rowsPerPass) {
            int n = Math.min(rowsPerPass, tokens.length - start);
            int[] part = n == tokens.length ? tokens : Arrays.copyOfRange(tokens, start, start + n);
            float[] logits = model.forward(List.of(Step.of(sequence, part)), true, null);
            for (int p = 0; p < n; p++) {
                row = Arrays.copyOfRange(logits, p * vocab, (p + 1) * vocab);
                eachPosition.accept(start + p, row);
            }
        }
        return row;
    }

    @Override
    public float[][] step(List<SequenceState> sequences, List<int[]> tokens) {
        List<Step> steps = new ArrayList<>(sequences.size());
        for (int i = 0; i < sequences.size(); i++) steps.add(new Step(sequences.get(i), tokens.get(i)));
        return rows(model.forward(steps, false, null), sequences.size());
    }

    private float[][] rows(float[] logits, int n) {
        float[][] out = new float[n][vocab];
        for (int i = 0; i < n; i++) System.arraycopy(logits, i * vocab, out[i], 0, vocab);
        return out;
    }

    @Override
    public void release(SequenceState sequence) {
        sequence.free();
    }
}
