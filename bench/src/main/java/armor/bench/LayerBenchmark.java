package armor.bench;

import armor.runtime.config.ModelConfig;
import armor.runtime.linear.FloatWeights;
import armor.runtime.linear.Linear;
import armor.runtime.linear.Sparse24Core;
import armor.runtime.linear.Structure;
import armor.runtime.linear.WeightFormat;
import armor.runtime.quant.Int8Quantizer;
import armor.runtime.tensor.DType;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;

/**
 * Per-projection timing of dense, 2:4 and ARMOR linears of a model's shapes, outside the model: where a token's time
 * goes, layer kind by layer kind. Each projection exists in as many copies as the model has layers (and, from the
 * command, at least {@link #STREAMING_BYTES} of dense weights), run in turn, so the weights stream from memory as in
 * the model instead of sitting in a cache. The kinds are timed round-robin within each repetition.
 */
public final class LayerBenchmark {
    /** One projection shape of a decoder layer. */
    public record Projection(String name, int rows, int cols) {}

    /** Median microseconds per call and the bytes one call reads, for one projection and kind. */
    public record Timing(String kind, double microseconds, long bytes) {
        public double gigabytesPerSecond() {
            return bytes / (microseconds * 1e3);
        }
    }

    /** The timings of one projection, in the order of the kinds asked for. */
    public record Row(Projection projection, List<Timing> timings) {}

    private LayerBenchmark() {}

    /** The seven projections of a Llama/Qwen decoder layer. */
    public static List<Projection> projections(ModelConfig c) {
        int h = c.hiddenSize(), f = c.intermediateSize();
        return List.of(new Projection("q_proj", c.qDim(), h), new Projection("k_proj", c.kvDim(), h),
                new Projection("v_proj", c.kvDim(), h), new Projection("o_proj", h, c.qDim()),
                new Projection("gate_proj", f, h), new Projection("up_proj", f, h), new Projection("down_proj", h, f));
    }

    /** Dense bytes of copies per projection that no cache of the build machine holds (it reports a 480 MiB L3). */
    public static final long STREAMING_BYTES = 1L << 30;

    /**
     * Times {@code tokens}-token forwards of each projection for each kind of {@link KindWeights#KINDS}, with weights of
     * {@code dtype}, ARMOR blocks of {@code block} (near-identity, as {@link SparsifiedWeights} makes them). Each
     * projection gets one copy per layer, and more until the dense copies reach {@code minBytes}.
     */
    public static List<Row> run(ModelConfig config, DType dtype, List<String> kinds, int block, int tokens,
                                int repetitions, long minBytes, Consumer<String> log) {
        List<WeightFormat> formats = new ArrayList<>();
        for (String kind : kinds) formats.add(WeightFormat.forKind(kind, dtype));
        boolean armor = formats.stream().anyMatch(f -> f.structure() == Structure.ARMOR);
        for (Projection p : projections(config))
            if (armor && (p.rows() % block != 0 || p.cols() % block != 0))
                throw new IllegalArgumentException(p.name() + " is " + p.rows() + " x " + p.cols()
                        + ": not a multiple of the ARMOR block size " + block);
        List<Row> rows = new ArrayList<>();
        Random rnd = new Random(7);
        for (Projection p : projections(config)) {
            try (Arena arena = Arena.ofShared()) { // shared: the pool's workers read the dense weights
                long denseBytes = (long) p.rows() * p.cols() * dtype.bytes();
                int copies = (int) Math.max(config.numLayers(), minBytes / denseBytes);
                log.accept(String.format("%s %d x %d: making %d copies of each kind...", p.name(), p.rows(), p.cols(), copies));
                // one set of values, repacked into its own memory for every copy: it is the addresses that must differ
                float[] w = new float[p.rows() * p.cols()];
                for (int i = 0; i < w.length; i++) w[i] = (float) (rnd.nextGaussian() * 0.02);
                Sparse24Core core = Sparse24Core.byMagnitude(w, p.rows(), p.cols());
                float[] a = SparsifiedWeights.nearIdentity(rnd, p.rows() / block, block);
                float[] b = SparsifiedWeights.nearIdentity(rnd, p.cols() / block, block);
                int group = Int8Quantizer.groupSize(p.cols(), 0);
                FloatWeights values = new FloatWeights(w, dt -> SparsifiedWeights.tensor(arena, p.name(), dt,
                        new long[] {p.rows(), p.cols()}, w), core, a, b, block, group);
                Linear[][] layers = new Linear[kinds.size()][copies];
                for (int c = 0; c < copies; c++)
                    for (int k = 0; k < kinds.size(); k++) layers[k][c] = formats.get(k).pack(values);
                float[] x = new float[tokens * Math.max(p.rows(), p.cols())];
                float[] y = new float[tokens * p.rows()];
                for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
                double[][] perRep = new double[kinds.size()][repetitions];
                for (int warm = 0; warm < 2; warm++)
                    for (Linear[] kindLayers : layers) for (Linear l : kindLayers) l.forward(x, y, tokens);
                for (int r = 0; r < repetitions; r++) {
                    for (int k = 0; k < kinds.size(); k++) {
                        long t0 = System.nanoTime();
                        for (Linear l : layers[k]) l.forward(x, y, tokens);
                        perRep[k][r] = (System.nanoTime() - t0) / 1e3 / copies;
                    }
                }
                List<Timing> timings = new ArrayList<>();
                for (int k = 0; k < kinds.size(); k++) {
                    double[] s = perRep[k].clone();
                    Arrays.sort(s);
                    timings.add(new Timing(kinds.get(k), s[s.length / 2], layers[k][0].weightBytes()));
                }
                rows.add(new Row(p, timings));
            }
        }
        return rows;
    }

    /** A Markdown table: µs per call and GB/s per kind for each projection, then the layer's sum and its ratio to the first kind. */
    public static String markdown(List<Row> rows, int tokens) {
        StringBuilder sb = new StringBuilder();
        List<Timing> first = rows.get(0).timings();
        sb.append("| projection (").append(tokens).append(tokens == 1 ? " token" : " tokens").append(") |");
        for (Timing t : first) sb.append(' ').append(t.kind()).append(" µs | GB/s |");
        sb.append('\n').append("|---|");
        for (int i = 0; i < first.size(); i++) sb.append("---:|---:|");
        sb.append('\n');
        double[] total = new double[first.size()];
        for (Row r : rows) {
            sb.append("| ").append(r.projection().name()).append(' ').append(r.projection().rows()).append(" × ")
                    .append(r.projection().cols()).append(" |");
            for (int k = 0; k < r.timings().size(); k++) {
                Timing t = r.timings().get(k);
                total[k] += t.microseconds();
                sb.append(String.format(java.util.Locale.ROOT, " %.1f | %.1f |", t.microseconds(), t.gigabytesPerSecond()));
            }
            sb.append('\n');
        }
        sb.append("| whole layer |");
        for (int k = 0; k < total.length; k++)
            sb.append(String.format(java.util.Locale.ROOT, " %.0f | %.2f× |", total[k], total[0] / total[k]));
        sb.append('\n');
        return sb.toString();
    }
}
