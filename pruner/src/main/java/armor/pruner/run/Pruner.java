package armor.pruner.run;

import armor.pruner.armor.ArmorOptimizer;
import armor.pruner.armor.ArmorRefit;
import armor.pruner.armor.ArmorSettings;
import armor.pruner.armor.BlockRule;
import armor.pruner.armor.Overhead;
import armor.pruner.calib.ActivationStatistics;
import armor.pruner.calib.CalibrationSet;
import armor.pruner.method.Magnitude;
import armor.pruner.method.NoWagP;
import armor.pruner.method.PrunedWeight;
import armor.pruner.method.SparseGpt;
import armor.pruner.method.Wanda;
import armor.pruner.nowag.NoWagNormalization;
import armor.pruner.nowag.ProxyLoss;
import armor.runtime.kernels.TensorFloats;
import armor.runtime.linear.ArmorLinear;
import armor.runtime.linear.BlockDiagonal;
import armor.runtime.linear.Linear;
import armor.runtime.linear.LinearLoader;
import armor.runtime.linear.Sparse24Core;
import armor.runtime.linear.Sparse24Linear;
import armor.runtime.linear.Sparse24Matrix;
import armor.runtime.model.DecoderLayer;
import armor.runtime.model.Model;
import armor.runtime.model.SequenceState;
import armor.runtime.model.Step;
import armor.runtime.safetensors.CheckpointException;
import armor.runtime.safetensors.CheckpointWeights;
import armor.runtime.sparse.SparseCheckpointWriter;
import armor.runtime.sparse.SparsityConfig;
import armor.runtime.tensor.DType;
import armor.runtime.tensor.Tensor;
import armor.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import jdk.incubator.vector.FloatVector;

/**
 * {@code armor prune}: turns a dense Hugging Face model folder into a 2:4 (or ARMOR 2:4) checkpoint.
 * <ol>
 *   <li>validate (every projection's d_in divisible by 4, the output folder new), load calibration data;</li>
 *   <li>statistics from the runtime's own forward pass: one dense pass for NoWag-P and ARMOR, or layer by layer on
 *       the outputs of the already pruned layers for Wanda and SparseGPT;</li>
 *   <li>prune every q/k/v/o/gate/up/down projection, spreading matrices over the worker threads; each result is
 *       saved to the work folder as soon as it is done (resume);</li>
 *   <li>write the checkpoint through the runtime's {@link SparseCheckpointWriter} (temporary folder, then rename)
 *       and remove the work folder.</li>
 * </ol>
 */
public final class Pruner {
    /** Projections to prune, in model order. */
    record Target(int layer, String projection, String prefix, int rows, int cols, DType dtype) {}

    /** What the run did. */
    public record Summary(List<LinearResult> results, double overhead, int resumed, double seconds, Path out) {}

    private final PruneJob job;
    private final Reporter rep;

    private Pruner(PruneJob job, Reporter rep) {
        this.job = job;
        this.rep = rep;
    }

    public static Summary run(PruneJob job, Reporter rep) throws IOException {
        return run(job, RunStage.whole(), rep);
    }

    /** Runs one stage of the job (see {@link RunStage}) over the work folder beside {@code job.out()}. */
    public static Summary run(PruneJob job, RunStage stage, Reporter rep) throws IOException {
        return new Pruner(job, rep).run(stage);
    }

    /**
     * What must match between every worker of one job, written to the work folder's {@code job.txt}: the
     * arguments that determine the results, and for data methods the vector width, because lane sums over 8 and
     * over 16 lanes round differently (AVX2 and AVX-512 machines would write different last bits).
     */
    public static String fingerprint(PruneJob job) {
        String fp = job.fingerprint();
        if (job.method().needsData()) fp += "vector-bits " + FloatVector.SPECIES_PREFERRED.vectorBitSize() + "\n";
        return fp;
    }

    private void checkArguments(RunStage stage) {
        if (job.method().needsData() && job.calib() == null) {
            throw new IllegalArgumentException("--method " + job.method().cliName() + " needs --calib FILE");
        }
        if (job.method() == PruneMethod.ARMOR && (job.block() < 4 || job.block() % 4 != 0)) {
            throw new IllegalArgumentException("--block " + job.block() + ", expected a positive multiple of 4");
        }
        if (stage.kind() != RunStage.Kind.WHOLE && job.method().sequential()) {
            throw new PruneUsageException(stage + ": " + job.method().cliName() + " calibrates layer ℓ on the pruned "
                    + "layers before it, so its projections cannot be split over machines; run it without "
                    + (stage.kind() == RunStage.Kind.STATS ? "--stage" : "--shard") + " on one machine");
        }
        if (stage.kind() == RunStage.Kind.STATS && !job.method().needsData()) {
            throw new PruneUsageException("--stage stats: " + job.method().cliName() + " uses no calibration "
                    + "statistics; run the shards directly");
        }
    }

    private Summary run(RunStage stage) throws IOException {
        long t0 = System.nanoTime();
        Path out = job.out().toAbsolutePath();
        if (Files.exists(out)) {
            throw new IllegalArgumentException(out + ": already exists, expected a new folder for the checkpoint");
        }
        checkArguments(stage);
        if (job.quantize() != null && Files.isDirectory(job.model())) { // a group size that does not fit fails now, not after the pruning
            try (CheckpointWeights source = CheckpointWeights.open(job.model())) {
                job.quantize().check(source);
            }
        }
        WorkFolder.check(out, fingerprint(job));
        try (Model model = Model.load(job.model())) {
            List<Target> targets = targets(model);
            double overhead = 0;
            if (job.method() == PruneMethod.ARMOR) {
                List<Overhead.Shape> shapes = new ArrayList<>();
                for (Target t : targets) shapes.add(new Overhead.Shape(t.rows(), t.cols()));
                overhead = Overhead.fraction(shapes, job.block());
                if (stage.kind() == RunStage.Kind.WHOLE) {
                    rep.info(String.format(Locale.ROOT, "ARMOR A/B overhead: %.2f %% extra parameters over the "
                            + "pruned projections (block %d)", 100 * overhead, job.block()));
                    if (overhead > BlockRule.AUTO_SHARE && Overhead.fraction(shapes, 4) < overhead) {
                        rep.warn(String.format(Locale.ROOT, "A and B add %.1f %% parameters (more than 10 %%): on "
                                + "dimensions this small the blocks cover most of each matrix; a smaller --block "
                                + "(or --block auto, the default) keeps the overhead down", 100 * overhead));
                    }
                }
            }
            CalibrationSet calib = job.method().needsData() ? calibration(model) : null;
            Path workDir = WorkFolder.pathFor(out);
            WorkFolder work = WorkFolder.open(out, fingerprint(job));
            int shards = work.shards();
            if (stage.kind() == RunStage.Kind.SHARD) {
                work.claimShards(stage.count());
                shards = stage.count();
            }
            // a shard owns a fixed, cost-balanced subset; the whole run owns everything
            List<Target> mine = targets;
            if (stage.kind() == RunStage.Kind.SHARD) {
                int[] owner = owners(targets, shards);
                List<Target> subset = new ArrayList<>();
                for (int i = 0; i < targets.size(); i++) if (owner[i] == stage.index()) subset.add(targets.get(i));
                mine = subset;
                rep.info(stage + ": " + mine.size() + " of " + targets.size() + " projections, work folder " + workDir);
            }
            Map<String, LinearResult> done = new LinkedHashMap<>();
            if (stage.kind() != RunStage.Kind.STATS) {
                for (Target t : mine) if (work.has(t.prefix())) done.put(t.prefix(), work.load(t.prefix()));
            }
            int resumed = done.size();
            if (stage.kind() == RunStage.Kind.WHOLE && shards > 0 && done.size() < targets.size()) {
                throw new PruneUsageException(missing(targets, done, shards, workDir));
            }
            if (resumed > 0) {
                rep.info("resuming: " + resumed + " of " + mine.size() + " projections already done in "
                        + work.dir());
            }
            if (stage.kind() == RunStage.Kind.STATS) {
                boolean complete = statistics(model, calib, work, stage.count() > 0 ? stage : null) != null;
                if (!complete) {
                    rep.info(stage + ": chunks saved; the statistics are assembled when every stats shard is done");
                }
                return new Summary(List.of(), overhead, 0, (System.nanoTime() - t0) / 1e9, work.dir());
            }
            if (job.method() == PruneMethod.MAGNITUDE) {
                pruneIndependent(model, mine, done, work, null);
            } else if (job.method().sequential()) {
                pruneSequential(model, mine, done, work, calib);
            } else if (done.size() < mine.size()) {
                pruneIndependent(model, mine, done, work, inputs(statistics(model, calib, work, null)));
            }
            if (stage.kind() == RunStage.Kind.WHOLE && job.method() == PruneMethod.ARMOR && job.refit()) {
                refit(model, mine, done, work, calib);
            }
            List<LinearResult> results = new ArrayList<>();
            for (Target t : mine) results.add(done.get(t.prefix()));
            if (stage.kind() == RunStage.Kind.SHARD) {
                return new Summary(results, overhead, resumed, (System.nanoTime() - t0) / 1e9, work.dir());
            }
            writeCheckpoint(targets, results, calib, out);
            work.delete();
            return new Summary(results, overhead, resumed, (System.nanoTime() - t0) / 1e9, out);
        }
    }

    /**
     * {@code --plan}: the projections and their shapes, the cost measured in a short run on this machine, and the
     * estimated wall time on 1, 2, 4, ... shards of this machine's size. Writes nothing.
     */
    public static PrunePlan plan(PruneJob job, Reporter rep) throws IOException {
        return new Pruner(job, rep).plan();
    }

    private PrunePlan plan() throws IOException {
        checkArguments(RunStage.whole());
        try (Model model = Model.load(job.model())) {
            List<Target> targets = targets(model);
            double statsSeconds = 0;
            if (job.method().needsData()) {
                CalibrationSet calib = calibration(model);
                // the second forward pass (the first one also compiles); sequential methods run one per layer
                double one = 0;
                for (int pass = 0; pass < 2; pass++) {
                    long s0 = System.nanoTime();
                    SequenceState seq = model.newSequence(calib.seq());
                    try {
                        model.forward(List.of(Step.of(seq, calib.samples().get(0))), false, null);
                    } finally {
                        seq.free();
                    }
                    one = (System.nanoTime() - s0) / 1e9;
                }
                statsSeconds = one * calib.samples().size()
                        * (job.method().sequential() ? model.config().numLayers() : 1);
            }
            Target largest = targets.get(0);
            for (Target t : targets) if (cost(t) > cost(largest)) largest = t;
            float[] w = denseWeight(model, largest);
            float[] h = new float[largest.cols()];
            java.util.Arrays.fill(h, 1f); // the cost does not depend on the data
            double perUnit; // seconds per unit of cost(t)
            double refitSeconds = 0;
            String measured;
            if (job.method() == PruneMethod.ARMOR) {
                ArmorOptimizer opt = new ArmorOptimizer(w, largest.rows(), largest.cols(), h,
                        ArmorSettings.defaults().withBlock(job.block()).withIterations(Integer.MAX_VALUE)
                                .withSeed(job.seed()).withThreads(1));
                // warm up until the JIT has compiled the pass (the first iterations run 10× slower), then measure
                long w0 = System.nanoTime();
                for (int i = 0; i < 2 || (i < 2000 && System.nanoTime() - w0 < 2_000_000_000L); i++) opt.step();
                long s0 = System.nanoTime();
                int it = 0;
                while (it < 2000 && (it < 3 || System.nanoTime() - s0 < 2_000_000_000L)) {
                    opt.step();
                    it++;
                }
                double perIt = (System.nanoTime() - s0) / 1e9 / it;
                perUnit = perIt * job.iterations() / cost(largest);
                measured = String.format(Locale.ROOT, "ARMOR, %d iterations of %s (%d×%d): %.4f s/iteration, "
                        + "%d iterations per projection (early stopping can end sooner)", it, largest.prefix(),
                        largest.rows(), largest.cols(), perIt, job.iterations());
                if (job.refit()) refitSeconds = refitEstimate(model, targets, largest, w, opt, statsSeconds);
            } else {
                long s0 = System.nanoTime();
                switch (job.method()) {
                    case MAGNITUDE -> Magnitude.prune(w, largest.rows(), largest.cols());
                    case WANDA -> Wanda.prune(w, largest.rows(), largest.cols(), h);
                    case NOWAG_P -> NoWagP.prune(w, largest.rows(), largest.cols(), h);
                    case SPARSEGPT -> {
                        int n = largest.cols();
                        double[] gram = new double[n * n];
                        for (int i = 0; i < n; i++) gram[i * n + i] = 1;
                        SparseGpt.prune(w, largest.rows(), n, gram);
                    }
                    default -> throw new IllegalStateException("unreachable");
                }
                double sec = (System.nanoTime() - s0) / 1e9;
                perUnit = sec / cost(largest);
                measured = String.format(Locale.ROOT, "%s on %s (%d×%d): %.4f s", job.method().cliName(),
                        largest.prefix(), largest.rows(), largest.cols(), sec);
            }
            List<PrunePlan.Projection> rows = new ArrayList<>();
            double[] seconds = new double[targets.size()];
            for (int i = 0; i < targets.size(); i++) {
                Target t = targets.get(i);
                seconds[i] = perUnit * cost(t);
                rows.add(new PrunePlan.Projection(t.prefix(), t.rows(), t.cols(), seconds[i]));
            }
            int threads = Math.max(1, job.threads());
            boolean shardable = !job.method().sequential();
            List<PrunePlan.Estimate> estimates = new ArrayList<>();
            for (int n = 1; n <= (shardable ? targets.size() : 1); n *= 2) {
                int[] owner = owners(targets, n);
                double busiest = 0;
                for (int s = 0; s < n; s++) {
                    List<Double> mine = new ArrayList<>();
                    for (int i = 0; i < targets.size(); i++) if (owner[i] == s) mine.add(seconds[i]);
                    double[] a = mine.stream().mapToDouble(Double::doubleValue).toArray();
                    busiest = Math.max(busiest, ShardPartition.makespan(a, threads));
                }
                estimates.add(new PrunePlan.Estimate(n, statsSeconds + busiest + refitSeconds, busiest));
            }
            return new PrunePlan(rows, measured, statsSeconds, refitSeconds, threads, shardable, estimates);
        }
    }

    /**
     * The refit's wall time on this machine: one refit of the largest projection, timed (after one to compile it
     * when that is quick), scaled by m·n² to the others and spread over the threads, plus one calibration pass a
     * layer.
     */
    private double refitEstimate(Model model, List<Target> targets, Target largest, float[] w, ArmorOptimizer opt,
                                 double passSeconds) {
        int n = largest.cols();
        double[] gram = new double[n * n];
        for (int i = 0; i < n; i++) gram[i * n + i] = 1;
        double sec = 0;
        for (int run = 0; run < 2 && (run == 0 || sec < 2); run++) {
            long s0 = System.nanoTime();
            ArmorRefit.refit(w, largest.rows(), n, opt.foldedA(), opt.blockOut(), opt.core(), opt.foldedB(),
                    opt.blockIn(), opt.mask(), gram, ArmorRefit.ROUNDS, ArmorRefit.CG_ITERATIONS);
            sec = (System.nanoTime() - s0) / 1e9;
        }
        double units = 0;
        for (Target t : targets) units += (double) t.rows() * t.cols() * t.cols();
        double perUnit = sec / ((double) largest.rows() * n * n);
        return perUnit * units / Math.max(1, job.threads()) + passSeconds * model.config().numLayers();
    }

    /** Relative cost of pruning one projection: ARMOR's iteration is 6·m·n·b multiply-adds with b per side. */
    long cost(Target t) {
        if (job.method() != PruneMethod.ARMOR) return (long) t.rows() * t.cols();
        int bo = BlockRule.blockFor(t.rows(), job.block()), bi = BlockRule.blockFor(t.cols(), job.block());
        return (long) t.rows() * t.cols() * (bo + bi);
    }

    /** The shard of every target, in target order (see {@link ShardPartition}). */
    int[] owners(List<Target> targets, int shards) {
        long[] costs = new long[targets.size()];
        for (int i = 0; i < costs.length; i++) costs[i] = cost(targets.get(i));
        return ShardPartition.assign(costs, shards);
    }

    /** One line: which projections are missing and which shard owns each. */
    private String missing(List<Target> targets, Map<String, LinearResult> done, int shards, Path workDir) {
        int[] owner = owners(targets, shards);
        Map<Integer, List<String>> byShard = new java.util.TreeMap<>();
        int count = 0;
        for (int i = 0; i < targets.size(); i++) {
            if (done.containsKey(targets.get(i).prefix())) continue;
            byShard.computeIfAbsent(owner[i], k -> new ArrayList<>()).add(targets.get(i).prefix());
            count++;
        }
        StringBuilder s = new StringBuilder("cannot assemble: " + count + " of " + targets.size()
                + " projections missing in " + workDir + ":");
        for (var e : byShard.entrySet()) {
            s.append(" shard ").append(e.getKey()).append('/').append(shards).append(" (")
                    .append(String.join(", ", e.getValue())).append(");");
        }
        s.append(" run those shards (--shard i/").append(shards).append(") first");
        return s.toString();
    }

    /** Key of a projection's input in the saved statistics (q/k/v share one, gate/up another). */
    private static String statsKey(Target t) {
        return t.layer() + "." + ActivationStatistics.inputOf(t.projection());
    }

    /** Calibration samples per chunk of the statistics pass: the unit that {@code --stage stats --shard} splits. */
    static final int STATS_CHUNK = 8;

    private static int chunks(CalibrationSet calib) {
        return (calib.samples().size() + STATS_CHUNK - 1) / STATS_CHUNK;
    }

    /**
     * The per-feature Σx² of one chunk of samples, summed in double from zero, sample by sample: the same bits in
     * any process, so chunks computed on different machines add up to what one machine computes.
     */
    private Map<String, double[]> chunkSums(Model model, CalibrationSet calib, int chunk) {
        List<int[]> all = calib.samples();
        List<int[]> mine = all.subList(chunk * STATS_CHUNK, Math.min(all.size(), (chunk + 1) * STATS_CHUNK));
        ActivationStatistics stats = collect(model, calib, 0, model.config().numLayers(), false,
                "calibration chunk " + chunk + " of " + chunks(calib) + " (dense model)", mine);
        Map<String, double[]> sums = new java.util.TreeMap<>();
        for (Target t : targets(model)) {
            ActivationStatistics.Input in = stats.input(t.layer(), t.projection());
            if (in == null) throw new IllegalStateException("no calibration statistics for " + t.prefix());
            sums.putIfAbsent(statsKey(t), in.sums());
        }
        return sums;
    }

    /**
     * The dense model's statistics for every projection: read from the work folder when a worker saved them,
     * otherwise the calibration pass — chunk by chunk of {@value #STATS_CHUNK} samples, chunks saved by
     * {@code --stage stats --shard} reused, the chunks' double sums added in chunk order — saved for the others.
     * With {@code split} (a stats shard) only the chunks of that shard are computed and saved; the statistics are
     * assembled when the last chunk is there.
     */
    private Map<String, float[]> statistics(Model model, CalibrationSet calib, WorkFolder work, RunStage split) {
        if (work.hasStatistics()) {
            rep.info("calibration statistics: " + work.dir().resolve("statistics.safetensors"));
            return work.loadStatistics();
        }
        int chunks = chunks(calib);
        if (split != null) {
            for (int c = split.index(); c < chunks; c += split.count()) {
                if (!work.hasStatisticsChunk(c)) work.saveStatisticsChunk(c, chunkSums(model, calib, c));
            }
            for (int c = 0; c < chunks; c++) if (!work.hasStatisticsChunk(c)) return null; // others still to come
        }
        Map<String, double[]> total = null;
        for (int c = 0; c < chunks; c++) {
            Map<String, double[]> part = work.hasStatisticsChunk(c) ? work.loadStatisticsChunk(c)
                    : chunkSums(model, calib, c);
            if (total == null) {
                total = part;
                continue;
            }
            for (var e : part.entrySet()) {
                double[] into = total.get(e.getKey()), add = e.getValue();
                if (into == null || into.length != add.length) {
                    throw new IllegalStateException(work.dir() + ": statistics chunk " + c + " does not match chunk 0 "
                            + "at " + e.getKey() + "; delete the statistics-chunk files to recompute them");
                }
                for (int j = 0; j < into.length; j++) into[j] += add[j];
            }
        }
        Map<String, float[]> sums = new java.util.TreeMap<>();
        for (var e : total.entrySet()) {
            double[] d = e.getValue();
            float[] f = new float[d.length];
            for (int j = 0; j < d.length; j++) f[j] = (float) d[j];
            sums.put(e.getKey(), f);
        }
        work.saveStatistics(sums);
        return sums;
    }

    /** What a method reads about the input of a projection. */
    private interface Inputs {
        float[] sumOfSquares(Target t);

        double[] gram(Target t);
    }

    private static Inputs inputs(Map<String, float[]> sums) {
        return new Inputs() {
            @Override
            public float[] sumOfSquares(Target t) {
                float[] s = sums.get(statsKey(t));
                if (s == null || s.length != t.cols()) {
                    throw new IllegalStateException("saved statistics: none of " + t.cols() + " features for the "
                            + "input of " + t.prefix() + "; delete statistics.safetensors in the work folder");
                }
                return s;
            }

            @Override
            public double[] gram(Target t) {
                throw new IllegalStateException("no Gram matrix in the saved statistics (" + t.prefix() + ")");
            }
        };
    }

    private static Inputs inputs(ActivationStatistics stats) {
        return new Inputs() {
            private ActivationStatistics.Input in(Target t) {
                ActivationStatistics.Input in = stats.input(t.layer(), t.projection());
                if (in == null) throw new IllegalStateException("no calibration statistics for " + t.prefix());
                return in;
            }

            @Override
            public float[] sumOfSquares(Target t) {
                return in(t).sumOfSquares();
            }

            @Override
            public double[] gram(Target t) {
                return in(t).gram();
            }
        };
    }

    List<Target> targets(Model model) {
        List<Target> targets = new ArrayList<>();
        int layers = model.config().numLayers();
        for (int l = 0; l < layers; l++) {
            DecoderLayer layer = model.decoder().layer(l);
            for (String p : DecoderLayer.PROJECTIONS) {
                String prefix = "model.layers." + l + "." + p;
                var lin = layer.linear(p);
                if (!model.weights().has(prefix + ".weight")) {
                    throw new CheckpointException(model.weights().origin() + ": " + prefix + " has no dense weight "
                            + "(" + prefix + ".weight); is the model already pruned or 4-bit? expected a dense model with float weights "
                            + "(armor export --dense writes one)");
                }
                Tensor w = model.weights().tensor(prefix + ".weight");
                if (lin.inFeatures() % 4 != 0) {
                    throw new IllegalArgumentException(model.weights().origin() + ": " + prefix + ".weight is "
                            + lin.outFeatures() + "×" + lin.inFeatures() + ": d_in = " + lin.inFeatures()
                            + " is not divisible by 4, expected whole 2:4 groups of four input columns");
                }
                targets.add(new Target(l, p, prefix, lin.outFeatures(), lin.inFeatures(), w.dtype()));
            }
        }
        return targets;
    }

    private CalibrationSet calibration(Model model) throws IOException {
        CalibrationSet set = CalibrationSet.forModel(model, job.calib(), job.windows(), job.samples(), job.seq(), job.seed());
        rep.info("calibration: " + set.description() + ", " + set.tokens() + " tokens");
        return set;
    }

    /** Runs the model over the calibration samples (one at a time) collecting statistics for layers [from, to). */
    private ActivationStatistics collect(Model model, CalibrationSet calib, int from, int to, boolean gram,
                                         String task) {
        return collect(model, calib, from, to, gram, task, calib.samples());
    }

    private ActivationStatistics collect(Model model, CalibrationSet calib, int from, int to, boolean gram,
                                         String task, List<int[]> samples) {
        ActivationStatistics stats = ActivationStatistics.collect(model, samples, calib.seq(), from, to, gram,
                (done, total) -> rep.progress(task, done, total, ""));
        rep.progressDone();
        return stats;
    }

    private float[] denseWeight(Model model, Target t) {
        return TensorFloats.read(model.weights().tensor(t.prefix() + ".weight"));
    }

    /** Wanda and SparseGPT: layer ℓ is calibrated on the outputs of the already pruned layers before it. */
    private void pruneSequential(Model model, List<Target> targets, Map<String, LinearResult> done, WorkFolder work,
                                 CalibrationSet calib) {
        int layers = model.config().numLayers();
        for (int l = 0; l < layers; l++) {
            final int layer = l;
            List<Target> mine = targets.stream().filter(t -> t.layer() == layer).toList();
            if (!mine.stream().allMatch(t -> done.containsKey(t.prefix()))) {
                ActivationStatistics stats = collect(model, calib, l, l + 1, job.method().needsGram(),
                        "calibration (layer " + l + " on pruned layers < " + l + ")");
                pruneIndependent(model, mine, done, work, inputs(stats));
            }
            for (Target t : mine) install(model, t, done.get(t.prefix()));
        }
    }

    /** Replaces a projection of the in-memory model by its pruned version, as the checkpoint will store it. */
    private static void install(Model model, Target t, LinearResult r) {
        float[] bias = LinearLoader.bias(model.weights(), t.prefix(), t.rows());
        Sparse24Core core = Sparse24Core.fromMask(r.values(), r.mask().toBooleans(), t.rows(), t.cols());
        Sparse24Matrix matrix = Sparse24Matrix.fromCore(core, t.dtype());
        Linear linear = !r.isArmor() ? new Sparse24Linear(matrix, bias)
                : new ArmorLinear(matrix, BlockDiagonal.fromFloats(r.a(), t.rows() / r.blockOut(), r.blockOut(), t.dtype()),
                        BlockDiagonal.fromFloats(r.b(), t.cols() / r.blockIn(), r.blockIn(), t.dtype()), bias);
        model.decoder().layer(t.layer()).setLinear(t.projection(), linear);
    }

    /** Prunes the targets not yet done, matrices spread over the worker threads, largest first. */
    private void pruneIndependent(Model model, List<Target> targets, Map<String, LinearResult> done, WorkFolder work,
                                  Inputs stats) {
        List<Target> todo = targets.stream().filter(t -> !done.containsKey(t.prefix())).toList();
        if (todo.isEmpty()) return;
        boolean armor = job.method() == PruneMethod.ARMOR;
        long total = armor ? (long) job.iterations() * todo.size() : todo.size();
        AtomicLong progress = new AtomicLong();
        long start = System.nanoTime();
        for (LinearResult r : onWorkers(todo, t -> {
            LinearResult r = pruneOne(model, t, stats, progress, total);
            work.save(r);
            synchronized (rep) {
                rep.progressDone();
                rep.info(line(r, t));
            }
            return r;
        })) {
            done.put(r.prefix(), r);
        }
        rep.info(String.format(Locale.ROOT, "%s: %d projections in %.1f s", job.method().cliName(), todo.size(),
                (System.nanoTime() - start) / 1e9));
    }

    /**
     * ARMOR's refit on the full layer loss ({@link ArmorRefit}), layer by layer: layer ℓ's Gram matrices come from
     * the model whose layers before ℓ are already refitted, so each projection is fitted to the inputs it will see.
     * Each refitted projection is saved in the work folder ({@value #REFIT}prefix), so a rerun after a kill resumes.
     */
    private void refit(Model model, List<Target> targets, Map<String, LinearResult> done, WorkFolder work,
                       CalibrationSet calib) {
        long start = System.nanoTime();
        int layers = model.config().numLayers();
        for (int l = 0; l < layers; l++) {
            final int layer = l;
            List<Target> mine = targets.stream().filter(t -> t.layer() == layer).toList();
            List<Target> todo = new ArrayList<>();
            for (Target t : mine) {
                if (work.has(REFIT + t.prefix())) done.put(t.prefix(), work.load(REFIT + t.prefix(), t.prefix()));
                else todo.add(t);
            }
            if (!todo.isEmpty()) {
                ActivationStatistics stats = collect(model, calib, l, l + 1, true,
                        "refit: calibration (layer " + l + " on refitted layers < " + l + ")");
                AtomicLong progress = new AtomicLong();
                for (LinearResult r : onWorkers(todo, t -> {
                    LinearResult r = refitOne(model, t, done.get(t.prefix()), stats.input(t.layer(), t.projection()).gram());
                    report(progress.incrementAndGet(), todo.size(), "refit layer " + layer + ": " + t.prefix());
                    work.save(REFIT + t.prefix(), r);
                    return r;
                })) {
                    done.put(r.prefix(), r);
                }
            }
            for (Target t : mine) install(model, t, done.get(t.prefix()));
        }
        rep.info(String.format(Locale.ROOT, "refit: %d projections in %.1f s", targets.size(),
                (System.nanoTime() - start) / 1e9));
    }

    private LinearResult refitOne(Model model, Target t, LinearResult armor, double[] gram) {
        long s0 = System.nanoTime();
        float[] w = denseWeight(model, t);
        ArmorRefit.Result f = ArmorRefit.refit(w, t.rows(), t.cols(), armor.a(), armor.blockOut(), armor.values(),
                armor.b(), armor.blockIn(), armor.mask(), gram, ArmorRefit.ROUNDS, ArmorRefit.CG_ITERATIONS);
        double seconds = (System.nanoTime() - s0) / 1e9;
        synchronized (rep) {
            rep.progressDone();
            rep.info(String.format(Locale.ROOT, "%-32s %5d×%-5d refit: layer loss %.5f → %.5f (%.2f s)", t.prefix(),
                    t.rows(), t.cols(), f.lossBefore(), f.lossAfter(), seconds));
        }
        // the proxy losses stay the block coordinate descent's (NoWag's loss, comparable across methods)
        return new LinearResult(t.prefix(), t.rows(), t.cols(), f.core(), armor.mask(), f.a(), armor.blockOut(),
                f.b(), armor.blockIn(), armor.lossBefore(), armor.lossAfter(), armor.iterations(),
                armor.seconds() + seconds);
    }

    /** A task of one projection, run on a worker. */
    private interface ProjectionTask {
        LinearResult run(Target t);
    }

    /**
     * Runs {@code task} for every target on the worker threads, largest matrices first (so the last to start are
     * the quickest), and returns the results in that order.
     */
    private List<LinearResult> onWorkers(List<Target> targets, ProjectionTask task) {
        List<Target> order = new ArrayList<>(targets);
        order.sort(Comparator.comparingLong((Target t) -> (long) t.rows() * t.cols()).reversed());
        int threads = Math.max(1, Math.min(job.threads(), order.size()));
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread th = new Thread(r, "armor-prune");
            th.setDaemon(true);
            return th;
        });
        try {
            List<Future<LinearResult>> futures = new ArrayList<>();
            for (Target t : order) {
                futures.add(pool.submit(() -> task.run(t)));
            }
            List<LinearResult> results = new ArrayList<>();
            for (Future<LinearResult> f : futures) results.add(result(f));
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    /** The result of a worker's task: its own exception rethrown as it is, an interrupt as an interrupt. */
    static <T> T result(Future<T> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            if (e.getCause() instanceof Error err) throw err;
            throw new IllegalStateException(e.getCause());
        }
    }

    private static String line(LinearResult r, Target t) {
        if (Double.isNaN(r.lossAfter())) {
            return String.format(Locale.ROOT, "%-32s %5d×%-5d done (%.2f s)", r.prefix(), t.rows(), t.cols(),
                    r.seconds());
        }
        String it = r.iterations() > 0 ? String.format(Locale.ROOT, ", %d it", r.iterations()) : "";
        return String.format(Locale.ROOT, "%-32s %5d×%-5d proxy loss %.5f → %.5f (%.2f s%s)", r.prefix(), t.rows(),
                t.cols(), r.lossBefore(), r.lossAfter(), r.seconds(), it);
    }

    /** Where a refitted projection is saved in the work folder: this, then its prefix. */
    static final String REFIT = "refit.";

    private LinearResult pruneOne(Model model, Target t, Inputs stats, AtomicLong progress,
                                  long total) {
        long s0 = System.nanoTime();
        float[] w = denseWeight(model, t);
        int m = t.rows(), n = t.cols();
        if (job.method() == PruneMethod.MAGNITUDE) {
            PrunedWeight p = Magnitude.prune(w, m, n);
            report(progress.incrementAndGet(), total, t.prefix());
            return new LinearResult(t.prefix(), m, n, p.weight(), p.mask(), null, 0, null, 0, Double.NaN, Double.NaN,
                    0, (System.nanoTime() - s0) / 1e9);
        }
        float[] sumSq = stats.sumOfSquares(t);
        float[] h = ProxyLoss.sanitize(sumSq);
        ProxyLoss loss = new ProxyLoss(NoWagNormalization.of(w, m, n), h);
        PrunedWeight nowag = NoWagP.prune(w, m, n, h);
        double before = loss.ofWeight(nowag.weight());
        PrunedWeight p;
        switch (job.method()) {
            case NOWAG_P -> p = nowag;
            case WANDA -> p = Wanda.prune(w, m, n, sumSq);
            case SPARSEGPT -> p = SparseGpt.prune(w, m, n, stats.gram(t));
            case ARMOR -> {
                return armor(t, w, h, before, progress, total, s0);
            }
            default -> throw new IllegalStateException("unreachable");
        }
        report(progress.incrementAndGet(), total, t.prefix());
        return new LinearResult(t.prefix(), m, n, p.weight(), p.mask(), null, 0, null, 0, before,
                loss.ofWeight(p.weight()), 0, (System.nanoTime() - s0) / 1e9);
    }

    private LinearResult armor(Target t, float[] w, float[] h, double nowagLoss, AtomicLong progress, long total,
                               long s0) {
        ArmorSettings settings = ArmorSettings.defaults().withBlock(job.block()).withIterations(job.iterations())
                .withSeed(job.seed()).withThreads(1);
        ArmorOptimizer opt = new ArmorOptimizer(w, t.rows(), t.cols(), h, settings);
        int iterations = opt.run((it, l) -> {
            if (Thread.currentThread().isInterrupted()) {
                throw new IllegalStateException("pruning of " + t.prefix() + " stopped: another projection failed");
            }
            long d = progress.incrementAndGet();
            if (it % 50 == 0) {
                report(d, total, String.format(Locale.ROOT, "%s it %d loss %.5f (NoWag-P %.5f)", t.prefix(), it, l,
                        nowagLoss));
            }
        });
        progress.addAndGet(job.iterations() - iterations); // early stopping: the rest of the budget is not needed
        return new LinearResult(t.prefix(), t.rows(), t.cols(), opt.core(), opt.mask(), opt.foldedA(),
                opt.blockOut(), opt.foldedB(), opt.blockIn(), opt.initialLoss(), opt.loss(), iterations,
                (System.nanoTime() - s0) / 1e9);
    }

    private void report(long done, long total, String status) {
        synchronized (rep) {
            rep.progress("prune " + job.method().cliName(), done, total, status);
        }
    }

    private void writeCheckpoint(List<Target> targets, List<LinearResult> results, CalibrationSet calib, Path out) {
        rep.info("writing " + out);
        Map<String, SparsityConfig.ProxyLoss> losses = new LinkedHashMap<>();
        try (SparseCheckpointWriter writer = SparseCheckpointWriter.create(job.model(), out,
                SparseCheckpointWriter.DEFAULT_SHARD_BYTES, job.quantize())) {
            for (int i = 0; i < targets.size(); i++) {
                Target t = targets.get(i);
                LinearResult r = results.get(i);
                Sparse24Core core = Sparse24Core.fromMask(r.values(), r.mask().toBooleans(), t.rows(), t.cols());
                if (r.isArmor()) {
                    writer.putArmor(t.prefix(), core, r.a(), r.blockOut(), r.b(), r.blockIn(), t.dtype());
                } else {
                    writer.putCore(t.prefix(), core, t.dtype());
                }
                if (!Double.isNaN(r.lossAfter())) {
                    losses.put(t.prefix(), new SparsityConfig.ProxyLoss(r.lossBefore(), r.lossAfter()));
                }
            }
            boolean armor = job.method() == PruneMethod.ARMOR;
            SparsityConfig.Calibration cal = calib == null ? null
                    : new SparsityConfig.Calibration(calib.description(), calib.samples().size(), calib.seq());
            writer.finish(new SparsityConfig(armor ? SparsityConfig.FORMAT_ARMOR : SparsityConfig.FORMAT_24,
                    job.method().cliName(), armor ? job.block() : null, cal, armor ? job.iterations() : null, losses,
                    SparsityConfig.VERSION));
        }
    }

}
