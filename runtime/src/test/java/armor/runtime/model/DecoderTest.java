package armor.runtime.model;

import armor.runtime.config.ConfigReader;
import armor.runtime.config.ModelConfig;
import armor.runtime.generate.Generator;
import armor.runtime.generate.SamplingParams;
import armor.runtime.generate.StopConditions;
import armor.runtime.linear.DenseLinear;
import armor.runtime.linear.Linear;
import armor.runtime.safetensors.CheckpointException;
import armor.runtime.safetensors.CheckpointWeights;
import armor.runtime.safetensors.WeightSource;
import armor.runtime.tensor.DType;
import armor.runtime.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DecoderTest {
    static final Path SHARED = Path.of(System.getProperty("armor.shared", "../shared"));
    static final Path STORIES = SHARED.resolve("models/stories260K-hf");
    static final Path QWEN2 = SHARED.resolve("models/tiny-qwen2-random");

    static float[] row(float[] logits, int row, int vocab) {
        float[] r = new float[vocab];
        System.arraycopy(logits, row * vocab, r, 0, vocab);
        return r;
    }

    /** An observer that records copies of what it sees, and needs layers up to {@code last}. */
    private record Recorder(int last, List<String> seen, List<float[]> inputs) implements ActivationObserver {
        Recorder(int last) {
            this(last, new ArrayList<>(), new ArrayList<>());
        }

        @Override
        public void observe(int layer, String projection, float[] x, int tokens) {
            seen.add(layer + "/" + projection);
            inputs.add(x.clone());
        }

        @Override
        public int lastLayer() {
            return last;
        }
    }

    @Test
    void anObserverThatNeedsOnlyTheFirstLayersEndsThePassThereWithTheSameInputs() {
        try (Model m = Model.load(STORIES)) {
            int[] prompt = {1, 403, 407, 261, 378};
            Recorder all = new Recorder(Integer.MAX_VALUE), first = new Recorder(1);
            SequenceState s1 = m.newSequence(8), s2 = m.newSequence(8);
            try {
                assertTrue(m.forward(List.of(Step.of(s1, prompt)), false, all) != null, "logits without a stop");
                assertEquals(null, m.forward(List.of(Step.of(s2, prompt)), false, first), "no logits after a stop");
                assertEquals(0, s2.length(), "the stopped pass does not advance its sequence");
            } finally {
                s1.free();
                s2.free();
            }
            assertEquals(2 * DecoderLayer.PROJECTIONS.size(), first.seen().size(), first.seen().toString());
            assertEquals(all.seen().subList(0, first.seen().size()), first.seen());
            for (int i = 0; i < first.inputs().size(); i++) {
                assertArrayEquals(all.inputs().get(i), first.inputs().get(i), first.seen().get(i));
            }
        }
    }

    @Test
    void prefillAsOneBatchEqualsTokenByToken() {
        try (Model m = Model.load(QWEN2)) {
            int vocab = m.config().vocabSize();
            int[] prompt = {1, 17, 300, 42, 5, 99, 400, 7, 8};
            float[] batch = m.logits(prompt);
            SequenceState seq = m.newSequence(4); // also exercises KV-cache growth
            for (int t = 0; t < prompt.length; t++) {
                float[] one = m.forward(List.of(Step.of(seq, prompt[t])), false, null);
                assertArrayEquals(row(batch, t, vocab), one, 1e-4f, "position " + t);
            }
            assertEquals(prompt.length, seq.length());
        }
    }

    @Test
    void batchedDecodeOfIndependentSequencesEqualsSeparateDecode() {
        try (Model m = Model.load(STORIES)) {
            int vocab = m.config().vocabSize();
            int[] p1 = {1, 403, 407, 261, 378}, p2 = {1, 50, 60}, p3 = {1, 200, 201, 202, 203, 204, 205};
            // separately
            List<float[]> expected = new ArrayList<>();
            for (int[] p : List.of(p1, p2, p3)) {
                SequenceState s = m.newSequence(16);
                m.forward(List.of(Step.of(s, p)), false, null);
                expected.add(m.forward(List.of(Step.of(s, 77)), false, null));
                expected.add(m.forward(List.of(Step.of(s, 78)), false, null));
                s.free();
            }
            // together: one prefill pass for all three prompts, then two batched decode steps
            SequenceState a = m.newSequence(16), b = m.newSequence(16), c = m.newSequence(16);
            m.forward(List.of(Step.of(a, p1), Step.of(b, p2), Step.of(c, p3)), false, null);
            float[] step1 = m.forward(List.of(Step.of(a, 77), Step.of(b, 77), Step.of(c, 77)), false, null);
            float[] step2 = m.forward(List.of(Step.of(c, 78), Step.of(a, 78), Step.of(b, 78)), false, null);
            assertArrayEquals(expected.get(0), row(step1, 0, vocab), 1e-4f);
            assertArrayEquals(expected.get(2), row(step1, 1, vocab), 1e-4f);
            assertArrayEquals(expected.get(4), row(step1, 2, vocab), 1e-4f);
            assertArrayEquals(expected.get(5), row(step2, 0, vocab), 1e-4f);
            assertArrayEquals(expected.get(1), row(step2, 1, vocab), 1e-4f);
            assertArrayEquals(expected.get(3), row(step2, 2, vocab), 1e-4f);
            b.free();
            assertThrows(IllegalArgumentException.class, () -> m.forward(List.of(Step.of(b, 1)), false, null));
            assertThrows(IllegalArgumentException.class,
                    () -> m.forward(List.of(Step.of(a, 1), Step.of(a, 2)), false, null));
        }
    }

    @Test
    void observerSeesEveryProjectionInputAndReplacementTakesEffect() {
        try (Model m = Model.load(STORIES)) {
            ModelConfig c = m.config();
            int[] prompt = {1, 403, 407, 261, 378};
            float[] before = m.logits(prompt);
            List<String> seen = new ArrayList<>();
            float[][] downInput = new float[1][];
            SequenceState s = m.newSequence(8);
            m.forward(List.of(Step.of(s, prompt)), true, (layer, proj, x, tokens) -> {
                seen.add(layer + ":" + proj);
                int in = m.decoder().layer(layer).linear(proj).inFeatures();
                assertEquals(tokens * in, x.length);
                assertEquals(prompt.length, tokens);
                if (layer == 2 && proj.equals(DecoderLayer.DOWN)) downInput[0] = x.clone();
            });
            assertEquals(c.numLayers() * 7, seen.size());
            assertEquals("0:self_attn.q_proj", seen.get(0));
            assertEquals((c.numLayers() - 1) + ":mlp.down_proj", seen.get(seen.size() - 1));
            assertEquals(c.intermediateSize() * prompt.length, downInput[0].length);

            // a wrapper that records calls and delegates: same logits; a zeroed projection: different logits
            DecoderLayer layer = m.decoder().layer(2);
            Linear original = layer.linear(DecoderLayer.DOWN);
            int[] calls = {0};
            layer.setLinear(DecoderLayer.DOWN, new Linear() {
                public int inFeatures() { return original.inFeatures(); }
                public int outFeatures() { return original.outFeatures(); }
                public void forward(float[] x, float[] y, int tokens) { calls[0]++; original.forward(x, y, tokens); }
                public long weightBytes() { return original.weightBytes(); }
                public armor.runtime.linear.WeightFormat format() { return original.format(); }
                public float[] denseWeight() { return original.denseWeight(); }
            });
            assertArrayEquals(before, m.logits(prompt), 1e-5f); // lane sums differ between JIT tiers by ~1e-7
            assertEquals(1, calls[0]);
            Tensor zeros = new Tensor("zero", DType.F32, new long[]{original.outFeatures(), original.inFeatures()},
                    java.lang.foreign.MemorySegment.ofArray(new float[original.outFeatures() * original.inFeatures()]));
            layer.setLinear(DecoderLayer.DOWN, new DenseLinear(zeros, null));
            float[] after = m.logits(prompt);
            assertTrue(Math.abs(after[0] - before[0]) > 1e-4);
            assertThrows(IllegalArgumentException.class,
                    () -> layer.setLinear(DecoderLayer.Q, new DenseLinear(zeros, null)));
        }
    }

    /** The checkpoint's tensors with one edit applied (a tensor dropped or replaced). */
    static WeightSource edited(CheckpointWeights base, String name, UnaryOperator<Tensor> edit) {
        return new WeightSource() {
            public boolean has(String n) { return base.has(n) && (!n.equals(name) || edit.apply(base.tensor(n)) != null); }
            public Tensor tensor(String n) {
                Tensor t = n.equals(name) ? (base.has(n) ? edit.apply(base.tensor(n)) : null) : base.tensor(n);
                if (t == null) throw new CheckpointException(origin() + ": missing tensor " + n);
                return t;
            }
            public Set<String> names() { return new LinkedHashSet<>(base.names()); }
            public String origin() { return base.origin(); }
        };
    }

    @Test
    void missingOrMisshapenTensorsAreNamed() {
        ModelConfig c = ConfigReader.read(QWEN2);
        try (CheckpointWeights w = CheckpointWeights.open(QWEN2)) {
            String m = assertThrows(CheckpointException.class, () -> Model.of(c,
                    edited(w, "model.layers.1.mlp.up_proj.weight", t -> null))).getMessage();
            assertTrue(m.contains("tiny-qwen2-random") && m.contains("missing tensor model.layers.1.mlp.up_proj.weight"), m);

            m = assertThrows(CheckpointException.class, () -> Model.of(c,
                    edited(w, "model.layers.0.self_attn.k_proj.bias", t -> null))).getMessage();
            assertTrue(m.contains("missing tensor model.layers.0.self_attn.k_proj.bias"), m);

            m = assertThrows(CheckpointException.class, () -> Model.of(c, edited(w, "model.layers.2.self_attn.o_proj.weight",
                    t -> new Tensor(t.name(), t.dtype(), new long[]{64, 256}, t.data())))).getMessage();
            assertTrue(m.contains("model.layers.2.self_attn.o_proj.weight") && m.contains("[64, 256]")
                    && m.contains("expected [128, 128]"), m);

            m = assertThrows(CheckpointException.class, () -> Model.of(c, edited(w, "model.norm.weight",
                    t -> new Tensor(t.name(), DType.I16, t.shape(), t.data())))).getMessage();
            assertTrue(m.contains("model.norm.weight") && m.contains("I16") && m.contains("expected F32, F16 or BF16"), m);
        }
    }

    @Test
    void promptLongerThanContextIsRefused() {
        try (Model m = Model.load(STORIES)) {
            int[] prompt = new int[m.config().maxPositions() + 3];
            String msg = assertThrows(IllegalArgumentException.class,
                    () -> new Generator(m, null).generate(prompt, SamplingParams.GREEDY, StopConditions.maxTokens(4), (t, s) -> { })).getMessage();
            assertTrue(msg.contains("prompt of 515 tokens") && msg.contains("context length 512")
                    && msg.contains("max_position_embeddings"), msg);
            SequenceState s = m.newSequence(8);
            msg = assertThrows(IllegalArgumentException.class,
                    () -> m.forward(List.of(Step.of(s, prompt)), false, null)).getMessage();
            assertTrue(msg.contains("exceeds the context length 512"), msg);
        }
    }

    @Test
    void modelFolderErrors() {
        String m = assertThrows(CheckpointException.class, () -> Model.load(SHARED.resolve("models/nope"))).getMessage();
        assertTrue(m.contains("models/nope") && m.contains("not found"), m);
    }
}
