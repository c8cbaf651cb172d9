package armor.bench;

import armor.runtime.generate.Sampler;
import armor.runtime.model.Model;
import armor.runtime.model.SequenceState;
import armor.runtime.model.Step;

import java.util.List;

/**
 * Batch-1 decode speed of a model: prefill a short prompt, decode {@code warmup} tokens untimed (JIT), then
 * {@code tokens} timed ones (greedy), each timed on its own. Reports tokens/s (mean over the timed steps) and
 * the bandwidth it implies, i.e. bytes of weights read per token × tokens/s.
 */
public final class DecodeBenchmark {
    /**
     * @param tokenSeconds time of each timed decode step, in order
     */
    public record Result(String label, double[] tokenSeconds, long weightBytesPerToken) {
        public int tokens() {
            return tokenSeconds.length;
        }

        public double seconds() {
            double s = 0;
            for (double t : tokenSeconds) s += t;
            return s;
        }

        /** Mean rate over the whole timed run. */
        public double tokensPerSecond() {
            return tokens() / seconds();
        }

        /** Bandwidth implied by the mean rate. */
        public double impliedGBs() {
            return impliedGBs(tokensPerSecond());
        }

        public double impliedGBs(double tokensPerSecond) {
            return weightBytesPerToken * tokensPerSecond / 1e9;
        }
    }

    private DecodeBenchmark() {}

    public static Result run(String label, Model model, int promptTokens, int warmup, int tokens) {
        int vocab = model.config().vocabSize();
        int[] prompt = new int[promptTokens];
        for (int i = 0; i < promptTokens; i++) prompt[i] = (int) ((i * 7919L + 13) % vocab);
        SequenceState seq = model.newSequence(promptTokens + warmup + tokens);
        try {
            float[] logits = model.forward(List.of(Step.of(seq, prompt)), false, null);
            int next = Sampler.argmax(logits);
            for (int i = 0; i < warmup; i++) {
                next = Sampler.argmax(model.forward(List.of(Step.of(seq, next)), false, null));
            }
            double[] times = new double[tokens];
            for (int i = 0; i < tokens; i++) {
                long t0 = System.nanoTime();
                next = Sampler.argmax(model.forward(List.of(Step.of(seq, next)), false, null));
                times[i] = (System.nanoTime() - t0) / 1e9;
            }
            return new Result(label, times, model.decoder().weightBytesPerToken());
        } finally {
            seq.free();
        }
    }
}
