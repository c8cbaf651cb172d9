package armor.runtime.model;

/**
 * The tokens one sequence advances by in a forward pass: a whole prompt (prefill) or a single new token (decode).
 * A forward pass takes a list of steps, one per independent sequence.
 */
public record Step(SequenceState sequence, int[] tokens) {
    public static Step of(SequenceState sequence, int... tokens) {
        return new Step(sequence, tokens);
    }
}
