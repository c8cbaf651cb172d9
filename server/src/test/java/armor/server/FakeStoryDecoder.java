package armor.server;

import armor.runtime.generate.BatchDecoder;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Test double of the model: after a prompt it "tells" a fixed story, byte by byte, then emits EOS. The logits are a
 * closed-form function of (generated index, previous token), so tests compute the exact expected text and logprobs
 * independently. It also records how the scheduler drove it (batch sizes, live KV caches), and can be slowed down.
 */
final class FakeStoryDecoder implements BatchDecoder<FakeStoryDecoder.Seq> {
    static final String STORY = "Once upon a time, there was a tiny robot. It loved to sing. The end.";
    static final byte[] STORY_BYTES = STORY.getBytes(StandardCharsets.UTF_8);
    static final float PEAK = 6f;

    final int context;
    volatile long stepDelayMillis;
    final AtomicInteger maxBatchSeen = new AtomicInteger();
    final AtomicInteger live = new AtomicInteger();
    final AtomicInteger decodeCalls = new AtomicInteger();
    /** Most prompt tokens fed for one sequence in one step (the scheduler's prefill chunk). */
    final AtomicInteger maxPromptChunk = new AtomicInteger();
    /** Steps that advanced a running sequence by a token and fed a joining sequence's prompt chunk together. */
    final AtomicInteger interleavedSteps = new AtomicInteger();
    /** When set, the story starts over where it would end (no EOS): streams as long as max_tokens allows. */
    volatile boolean endless;
    /** When set, the next decode step fails (a model error must fail only the requests in that step). */
    volatile boolean failNextDecode;
    /** When set, the next decode step throws this (an Error, say), once. */
    volatile Throwable throwNextDecode;

    static final class Seq {
        int length;
        int promptLength;
        int last;
        boolean freed;
    }

    FakeStoryDecoder(int context) {
        this.context = context;
    }

    /** The token the story puts at generated index {@code g} (EOS after the story). */
    static int storyToken(int g) {
        if (g < 0) return 'x' + 2; // inside the prompt
        return g < STORY_BYTES.length ? (STORY_BYTES[g] & 0xff) + 2 : FakeByteTokenizer.EOS;
    }

    /** The logits after {@code length} tokens of which {@code promptLength} were prompt, the last being {@code last}. */
    static float[] logits(int length, int promptLength, int last) {
        float[] z = new float[FakeByteTokenizer.VOCAB];
        for (int v = 0; v < z.length; v++) z[v] = ((v * 31 + last * 17) % 97) / 97f; // in [0, 1)
        z[storyToken(length - promptLength)] += PEAK;
        return z;
    }

    @Override
    public int vocabSize() {
        return FakeByteTokenizer.VOCAB;
    }

    @Override
    public int contextLength() {
        return context;
    }

    @Override
    public Seq newSequence() {
        live.incrementAndGet();
        return new Seq();
    }

    @Override
    public float[] prefill(Seq s, int[] tokens, PositionLogits eachPosition) {
        if (s.freed) throw new IllegalStateException("prefill on a freed sequence");
        s.promptLength = s.length + tokens.length;
        float[] out = null;
        for (int i = 0; i < tokens.length; i++) {
            s.length++;
            s.last = tokens[i];
            // Inside the prompt the "model" predicts the prompt's own next byte is the story start: any closed form works.
            out = logits(s);
            if (eachPosition != null) eachPosition.accept(i, out);
        }
        if (s.length > context) throw new IllegalStateException("context overflow " + s.length);
        return out;
    }

    @Override
    public float[][] step(List<Seq> seqs, List<int[]> tokens) {
        decodeCalls.incrementAndGet();
        if (failNextDecode) {
            failNextDecode = false;
            throw new IllegalStateException("simulated model failure");
        }
        Throwable thrown = throwNextDecode;
        if (thrown != null) {
            throwNextDecode = null;
            if (thrown instanceof Error e) throw e;
            throw (RuntimeException) thrown;
        }
        maxBatchSeen.accumulateAndGet(seqs.size(), Math::max);
        if (stepDelayMillis > 0) {
            try {
                Thread.sleep(stepDelayMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        float[][] out = new float[seqs.size()][];
        boolean decoded = false, prefilled = false;
        for (int i = 0; i < seqs.size(); i++) {
            Seq s = seqs.get(i);
            if (s.freed) throw new IllegalStateException("step on a freed sequence");
            int[] t = tokens.get(i);
            // A sequence's first step and any step of several tokens carry (a chunk of) its prompt; later steps one
            // sampled token. (Tests keep prompt chunks after the first longer than one token.)
            if (s.length == 0 || t.length > 1) {
                maxPromptChunk.accumulateAndGet(t.length, Math::max);
                prefilled |= s.length > 0 || t.length > 1;
                out[i] = prefill(s, t, null);
            } else {
                decoded = true;
                out[i] = next(s, t);
            }
        }
        if (decoded && prefilled) interleavedSteps.incrementAndGet();
        return out;
    }

    private float[] next(Seq s, int[] tokens) {
        if (tokens.length != 1) throw new IllegalStateException("a running sequence advances by one token");
        s.length++;
        s.last = tokens[0];
        if (s.length > context) throw new IllegalStateException("context overflow " + s.length);
        return logits(s);
    }

    private float[] logits(Seq s) {
        int g = s.length - s.promptLength;
        if (endless && g >= STORY_BYTES.length) g %= STORY_BYTES.length;
        return logits(s.promptLength + g, s.promptLength, s.last);
    }

    @Override
    public void release(Seq s) {
        if (s.freed) throw new IllegalStateException("double free");
        s.freed = true;
        live.decrementAndGet();
    }
}
