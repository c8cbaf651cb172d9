package armor.pruner.run;

import armor.pruner.armor.ArmorOptimizer;
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
        return new Pruner(job, rep).run();
    }

    private Summary run() throws IOException {
        long t0 = System.nanoTime();
        Path out = job.out().toAbsolutePath();
        if (Files.exists(out)) {
            throw new IllegalArgumentException(out + ": already exists, expected a new folder for the checkpoint");
        }
        if (job.method().needsData() && job.calib() == null) {
            throw new IllegalArgumentException("--method " + job.method().cliName() + " needs --calib FILE");
        }
        if (job.method() == PruneMethod.ARMOR && (job.block() < 4 || job.block() % 4 != 0)) {
            throw new IllegalArgumentException("--block " + job.block() + ", expected a positive multiple of 4");
        }
        if (job.quantize() != null && Files.isDirectory(job.model())) { // a group size that does not fit fails now, not after the pruning
            try (CheckpointWeights source = CheckpointWeights.open(job.model())) {
                job.quantize().check(source);
            }
        }
        try (Model model = Model.load(job.model())) {
            List<Target> targets = targets(model);
            double overhead = 0;
            if (job.method() == PruneMethod.ARMOR) {
                List<Overhead.Shape> shapes = new ArrayList<>();
                for (Target t : targets) shapes.add(new Overhead.Shape(t.rows(), t.cols()));
                overhead = Overhead.fraction(shapes, job.block());
                rep.info(String.format(Locale.ROOT, "ARMOR A/B overhead: %.2f %% extra parameters over the pruned "
                        + "projections (block %d)", 100 * overhead, job.block()));
                if (overhead > BlockRule.AUTO_SHARE && Overhead.fraction(shapes, 4) < overhead) {
                    rep.warn(String.format(Locale.ROOT, "A and B add %.1f %% parameters (more than 10 %%): on "
                            + "dimensions this small the blocks cover most of each matrix; a smaller --block "
                            + "(or --block auto, the default) keeps the overhead down", 100 * overhead));
                }
            }
            CalibrationSet calib = job.method().needsData() ? calibration(model) : null;
            WorkFolder work = WorkFolder.open(out, job.fingerprint());
            Map<String, LinearResult> done = new LinkedHashMap<>();
            for (Target t : targets) if (work.has(t.prefix())) done.put(t.prefix(), work.load(t.prefix()));
            int resumed = done.size();
            if (resumed > 0) {
                rep.info("resuming: " + resumed + " of " + targets.size() + " projections already done in "
                        + work.dir());
            }
            if (job.method() == PruneMethod.MAGNITUDE) {
                pruneIndependent(model, targets, done, work, null);
            } else if (job.method().sequential()) {
                pruneSequential(model, targets, done, work, calib);
            } else {
                ActivationStatistics stats = null;
                if (done.size() < targets.size()) {
                    stats = collect(model, calib, 0, model.config().numLayers(), false, "calibration (dense model)");
                }
                pruneIndependent(model, targets, done, work, stats);
            }
            List<LinearResult> results = new ArrayList<>();
            for (Target t : targets) results.add(done.get(t.prefix()));
            writeCheckpoint(targets, results, calib, out);
            work.delete();
            return new Summary(results, overhead, resumed, (System.nanoTime() - t0) / 1e9, out);
        }
    }

    private List<Target> targets(Model model) {
        List<Target> targets = new ArrayList<>();
        int layers = model.config().numLayers();
        for (int l = 0; l < layers; l++) {
            DecoderLayer layer = model.decoder().layer(l);
            for (String p : DecoderLayer.PROJECTIONS) {
                String prefix = "model.layers." + l + "." + p;
                var lin = layer.linear(p);
                if (!model.weights().has(prefix + ".weight")) {
                    throw new CheckpointException(model.weights().origin() + ": " + prefix + " has no dense weight "
                            + "(" + prefix + ".weight); is the model already pruned? expected a dense model");
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
        Tokenizer tok = model.requireTokenizer();
        CalibrationSet set;
        if (job.windows() != null) {
            int[] ab = CalibrationSet.parseWindows(job.windows());
            int bos = tok.bosTokenId().orElse(model.config().bosTokenId());
            set = CalibrationSet.windows(job.calib(), tok, bos, job.seq(), ab[0], ab[1]);
        } else {
            set = CalibrationSet.sample(job.calib(), tok, job.samples(), job.seq(), job.seed());
        }
        if (job.seq() > model.config().maxPositions()) {
            throw new IllegalArgumentException("--seq " + job.seq() + " exceeds the model's context length "
                    + model.config().maxPositions());
        }
        rep.info("calibration: " + set.description() + ", " + set.tokens() + " tokens");
        return set;
    }

    /** Runs the model over the calibration samples (one at a time) collecting statistics for layers [from, to). */
    private ActivationStatistics collect(Model model, CalibrationSet calib, int from, int to, boolean gram,
                                         String task) {
        ActivationStatistics stats = new ActivationStatistics(from, to, gram);
        List<int[]> samples = calib.samples();
        for (int i = 0; i < samples.size(); i++) {
            SequenceState seq = model.newSequence(calib.seq());
            try {
                model.forward(List.of(Step.of(seq, samples.get(i))), false, stats);
            } finally {
                seq.free();
            }
            rep.progress(task, i + 1, samples.size(), "");
        }
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
                pruneIndependent(model, mine, done, work, stats);
            }
            for (Target t : mine) install(model, t, done.get(t.prefix()));
        }
    }

    /** Replaces a projection of the in-memory model by its pruned version, as the checkpoint will store it. */
    private static void install(Model model, Target t, LinearResult r) {
        float[] bias = LinearLoader.bias(model.weights(), t.prefix(), t.rows());
        Sparse24Core core = Sparse24Core.fromMask(r.values(), r.mask().toBooleans(), t.rows(), t.cols());
        model.decoder().layer(t.layer()).setLinear(t.projection(),
                new Sparse24Linear(Sparse24Matrix.fromCore(core, t.dtype()), bias));
    }

    /** Prunes the targets not yet done, matrices spread over the worker threads, largest first. */
    private void pruneIndependent(Model model, List<Target> targets, Map<String, LinearResult> done, WorkFolder work,
                                  ActivationStatistics stats) {
        List<Target> todo = new ArrayList<>(targets.stream().filter(t -> !done.containsKey(t.prefix())).toList());
        if (todo.isEmpty()) return;
        todo.sort(Comparator.comparingLong((Target t) -> (long) t.rows() * t.cols()).reversed());
        boolean armor = job.method() == PruneMethod.ARMOR;
        long total = armor ? (long) job.iterations() * todo.size() : todo.size();
        AtomicLong progress = new AtomicLong();
        long start = System.nanoTime();
        int threads = Math.max(1, Math.min(job.threads(), todo.size()));
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread th = new Thread(r, "armor-prune");
            th.setDaemon(true);
            return th;
        });
        try {
            List<Future<LinearResult>> futures = new ArrayList<>();
            for (Target t : todo) {
                futures.add(pool.submit(() -> {
                    LinearResult r = pruneOne(model, t, stats, progress, total);
                    work.save(r);
                    synchronized (rep) {
                        rep.progressDone();
                        rep.info(line(r, t));
                    }
                    return r;
                }));
            }
            for (int i = 0; i < futures.size(); i++) {
                LinearResult r = futures.get(i).get();
                done.put(r.prefix(), r);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            if (e.getCause() instanceof Error err) throw err;
            throw new IllegalStateException(e.getCause());
        } finally {
            pool.shutdownNow();
        }
        rep.info(String.format(Locale.ROOT, "%s: %d projections in %.1f s", job.method().cliName(), todo.size(),
                (System.nanoTime() - start) / 1e9));
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

    private LinearResult pruneOne(Model model, Target t, ActivationStatistics stats, AtomicLong progress,
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
        ActivationStatistics.Input in = stats.input(t.layer(), t.projection());
        if (in == null) throw new IllegalStateException("no calibration statistics for " + t.prefix());
        float[] sumSq = in.sumOfSquares();
        float[] h = ProxyLoss.sanitize(sumSq);
        ProxyLoss loss = new ProxyLoss(NoWagNormalization.of(w, m, n), h);
        PrunedWeight nowag = NoWagP.prune(w, m, n, h);
        double before = loss.ofWeight(nowag.weight());
        PrunedWeight p;
        switch (job.method()) {
            case NOWAG_P -> p = nowag;
            case WANDA -> p = Wanda.prune(w, m, n, sumSq);
            case SPARSEGPT -> p = SparseGpt.prune(w, m, n, in.gram());
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
