package armor.runtime.generate;

import armor.runtime.model.Model;
import armor.runtime.model.SequenceState;
import armor.runtime.model.Step;

import java.util.ArrayList;
import java.util.List;

/**
 * The runtime's {@link Model} as the scheduler's {@link BatchDecoder}: a step over several sequences is one
 * {@code forward} over one {@link Step} per sequence, so every weight is read once for the whole batch.
 */
public final class ModelDecoder implements BatchDecoder<SequenceState> {
    private final Model model;
    private final int vocab;

    public ModelDecoder(Model model) {
        this.model = model;
        this.vocab = model.config().vocabSize();
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
        boolean all = eachPosition != null;
        float[] logits = model.forward(List.of(Step.of(sequence, tokens)), all, null);
        if (!all) return logits;
        float[] row = null;
        for (int p = 0; p < tokens.length; p++) {
            row = new float[vocab];
            System.arraycopy(logits, p * vocab, row, 0, vocab);
            eachPosition.accept(p, row);
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
