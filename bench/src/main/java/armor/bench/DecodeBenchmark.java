package armor.bench;

import armor.runtime.generate.Sampler;
import armor.runtime.model.Model;
import armor.runtime.model.SequenceState;
import armor.runtime.model.Step;

import java.util.List;

/**
 * Batch-1 decode speed of a model: prefill a short prompt, decode {@code warmup} tokens untimed (JIT), then
 * {@code tokens} timed ones (greedy). Reports tokens/s and the bandwidth it implies, i.e. bytes of weights read
 * per token × tokens/s.
 */
public final class DecodeBenchmark {
    public record Result(String label, int tokens, double seconds, long weightBytesPerToken) {
        public double tokensPerSecond() {
            return tokens / seconds;
        }

        public double impliedGBs() {
            return weightBytesPerToken * tokensPerSecond() / 1e9;
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
            long t0 = System.nanoTime();
            for (int i = 0; i < tokens; i++) {
                next = Sampler.argmax(model.forward(List.of(Step.of(seq, next)), false, null));
            }
            long t1 = System.nanoTime();
            return new Result(label, tokens, (t1 - t0) / 1e9, model.decoder().weightBytesPerToken());
        } finally {
            seq.free();
        }
    }
}
