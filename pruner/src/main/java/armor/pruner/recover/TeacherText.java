package armor.pruner.recover;

import armor.runtime.kernels.Parallel;
import armor.runtime.model.Model;
import armor.runtime.model.SequenceState;
import armor.runtime.model.Step;
import armor.pruner.run.Reporter;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Training text the dense teacher writes itself (as LLM-QAT does): sequences sampled from BOS at temperature 1, so
 * recovery needs no data set beyond the calibration windows. Sequences are decoded 64 at a time; each has its own
 * seeded generator, so the text is the same on every run and thread count. End-of-sequence ids are never sampled:
 * every sequence is a full window of story text.
 */
final class TeacherText {
    private static final int PARALLEL = 64;

    private TeacherText() {}

    static List<int[]> generate(Model teacher, int count, int length, long seed, Reporter reporter) {
        List<int[]> out = new ArrayList<>(count);
        int vocab = teacher.config().vocabSize(), bos = teacher.config().bosTokenId();
        boolean[] banned = new boolean[vocab];
        for (int e : teacher.config().eosTokenIds()) if (e >= 0 && e < vocab) banned[e] = true;
        for (int first = 0; first < count; first += PARALLEL) {
            int n = Math.min(PARALLEL, count - first);
            int[][] seqs = new int[n][length];
            SequenceState[] states = new SequenceState[n];
            SplittableRandom[] rnd = new SplittableRandom[n];
            double[][] weights = new double[n][vocab];
            for (int i = 0; i < n; i++) {
                seqs[i][0] = bos >= 0 ? bos : 0;
                states[i] = teacher.newSequence(length);
                rnd[i] = new SplittableRandom(seed * 1_000_003L + first + i);
            }
            for (int t = 1; t < length; t++) {
                List<Step> steps = new ArrayList<>(n);
                for (int i = 0; i < n; i++) steps.add(Step.of(states[i], seqs[i][t - 1]));
                float[] logits = teacher.forward(steps, false, null);
                final int at = t;
                // each sequence has its own generator and scratch, so the draws do not depend on the thread count
                Parallel.forRange(n, 1, (from, to) -> {
                    for (int i = from; i < to; i++) seqs[i][at] = sample(logits, i * vocab, vocab, banned, rnd[i], weights[i]);
                });
                reporter.progress("teacher text", (long) first * length + (long) n * t, (long) count * length,
                        "sequences " + first + "-" + (first + n));
            }
            for (int i = 0; i < n; i++) out.add(seqs[i]);
        }
        reporter.progressDone();
        return out;
    }

    /** One draw from softmax(logits) over the allowed ids; {@code weights} is scratch of at least {@code vocab}. */
    private static int sample(float[] logits, int off, int vocab, boolean[] banned, SplittableRandom rnd, double[] weights) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) if (!banned[i]) max = Math.max(max, logits[off + i]);
        // each exponential once: sampling took as long as the teacher's forward pass when it was computed twice
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            double w = banned[i] ? 0 : Math.exp(logits[off + i] - max);
            weights[i] = w;
            sum += w;
        }
        double u = rnd.nextDouble() * sum, acc = 0;
        int last = 0;
        for (int i = 0; i < vocab; i++) {
            if (banned[i]) continue;
            acc += weights[i];
            last = i;
            if (acc >= u) return i;
        }
        return last;
    }
}
