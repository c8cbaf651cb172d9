package armor.pruner.recover;

import armor.runtime.safetensors.OutputTempFolder;
import armor.pruner.calib.CalibrationSet;
import armor.pruner.run.PruneUsageException;
import armor.pruner.run.Reporter;
import armor.runtime.config.ModelConfig;
import armor.runtime.eval.Perplexity;
import armor.runtime.eval.TextCorpus;
import armor.runtime.linear.Linear;
import armor.runtime.linear.Sparse24Core;
import armor.runtime.linear.SparseLinearLoader;
import armor.runtime.linear.Structure;
import armor.runtime.model.DecoderLayer;
import armor.runtime.model.Model;
import armor.runtime.safetensors.SafetensorsFile;
import armor.runtime.safetensors.SafetensorsWriter;
import armor.runtime.safetensors.WeightSource;
import armor.runtime.sparse.Conversions;
import armor.runtime.sparse.SparseCheckpointWriter;
import armor.runtime.sparse.SparsityConfig;
import armor.runtime.tensor.DType;
import armor.runtime.tensor.Tensor;
import armor.runtime.kernels.TensorFloats;
import armor.tokenizer.Tokenizer;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Recovery after pruning: the pruned model's continuous parameters (kept 2:4 values, A', B', RMSNorm weights; masks
 * fixed, embedding and head frozen) trained with Adam to match the dense teacher's next-token distributions (KL on
 * the logits, end to end) on the calibration windows and on text the teacher writes itself. The held-out windows
 * are evaluated before and after and never trained on.
 *
 * <p>Deterministic: data order, teacher text and every sum are fixed by the seed and the shapes, not the threads.
 * Resumable: the state (parameters, Adam moments, step, losses) is saved in the work folder
 * {@code .OUT.recover-work} beside the output every few steps, atomically; a rerun of the same job continues from
 * it and ends with the same bytes as an uninterrupted run.
 */
public final class Recovery {
    public record Summary(Path out, double heldOutBefore, double heldOutAfter, double heldOutTeacher,
                          List<Double> losses, int resumedAt, double seconds, double trainSeconds) {}

    private static final String STATE = "state.safetensors";

    private Recovery() {}

    public static Path workFolder(Path out) {
        Path abs = out.toAbsolutePath().normalize();
        return abs.resolveSibling("." + abs.getFileName() + ".recover-work");
    }

    public static Summary run(RecoveryJob job, Reporter reporter) throws IOException {
        long start = System.nanoTime();
        if (Files.exists(job.out())) throw new PruneUsageException("--out " + job.out() + " already exists; expected a new folder");
        requireModelFolder(job.pruned(), "--model");
        requireModelFolder(job.teacher(), "--teacher");
        if (!Files.isRegularFile(job.calib())) throw new PruneUsageException("--calib " + job.calib() + ": no such file");
        try (Model teacher = Model.load(job.teacher()); Model pruned = Model.load(job.pruned())) {
            checkPruned(pruned, job.pruned());
            checkTeacher(teacher, pruned, job);
            Tokenizer tok = pruned.requireTokenizer();
            int bos = pruned.config().bosTokenId();
            CalibrationSet calib = CalibrationSet.windows(job.calib(), tok, bos, job.seq(), job.windowFrom(), job.windowTo());
            reporter.info("recovery data: " + calib.description() + ", plus " + job.generated()
                    + " sequences of " + job.seq() + " tokens written by the teacher");
            List<int[]> data = new ArrayList<>(calib.samples());
            data.addAll(TeacherText.generate(teacher, job.generated(), job.seq(), job.seed(), reporter));

            int[] stream = null;
            double before = Double.NaN, teacherPpl = Double.NaN;
            if (job.heldOutTo() != 0) {
                stream = CalibrationSet.oneStream(tok, TextCorpus.read(job.calib()), bos);
                checkHeldOut(job, stream.length);
                before = perplexity(pruned, stream, job, reporter, "held-out perplexity (pruned)");
                teacherPpl = perplexity(teacher, stream, job, reporter, "held-out perplexity (teacher)");
                reporter.info(String.format(Locale.ROOT, "held-out perplexity before recovery: %.4f (teacher %.4f)",
                        before, teacherPpl));
            }

            StudentModel student = StudentModel.of(pruned);
            // The teacher's logits through the same float32 matrix-matrix code as the student: the runtime's prefill
            // path took twice as long per step (3.3 s against 1.8 s on stories15M, batch 4 × 256).
            StudentModel teacherNet = StudentModel.of(teacher);
            List<Parameter> params = student.parameters();
            Adam adam = new Adam(params);
            List<Double> losses = new ArrayList<>();
            Path work = workFolder(job.out());
            int resumedAt = restore(work, job, params, adam, losses);
            if (resumedAt > 0) {
                student.refresh();
                reporter.info("resuming recovery at step " + resumedAt + " of " + job.steps() + " (" + work + ")");
            }
            long trainStart = System.nanoTime();
            int every = Math.max(10, job.steps() / 20);
            String lossName = job.objective() == RecoveryJob.Objective.KL ? "KL" : "block error";
            double[] phase = new double[5]; // seconds in teacher, student forward, loss, backward, update since the last log
            for (int step = resumedAt; step < job.steps(); step++) {
                int[][] batch = batch(data, step, job);
                long t0 = System.nanoTime();
                long t1, t2, t3, t4;
                double loss;
                if (job.objective() == RecoveryJob.Objective.KL) {
                    float[] target = teacherNet.forward(batch);
                    t1 = System.nanoTime();
                    float[] logits = student.forward(batch);
                    t2 = System.nanoTime();
                    int tokens = batch.length * job.seq(), vocab = pruned.config().vocabSize();
                    float[] dLogits = new float[tokens * vocab];
                    loss = DistillationLoss.compute(target, logits, dLogits, tokens, vocab);
                    t3 = System.nanoTime();
                    student.backward(dLogits, batch.length, job.seq());
                } else {
                    // every block against the teacher's own input and output of that block; forward and backward
                    // of a block run together, so the "forward" phase is all of it
                    float[][] hidden = teacherNet.hiddenStates(batch);
                    t1 = System.nanoTime();
                    loss = 0;
                    for (int l = 0; l < student.numLayers(); l++) {
                        loss += student.reconstructBlock(l, hidden[l], hidden[l + 1], batch.length, job.seq());
                    }
                    t2 = t3 = System.nanoTime();
                }
                t4 = System.nanoTime();
                adam.update((float) learningRate(job, step));
                student.refresh();
                long t5 = System.nanoTime();
                phase[0] += (t1 - t0) / 1e9; phase[1] += (t2 - t1) / 1e9; phase[2] += (t3 - t2) / 1e9;
                phase[3] += (t4 - t3) / 1e9; phase[4] += (t5 - t4) / 1e9;
                losses.add(loss);
                double elapsed = (System.nanoTime() - trainStart) / 1e9;
                int done = step + 1 - resumedAt;
                reporter.progress("recover", step + 1, job.steps(), String.format(Locale.ROOT,
                        "%s %.4f, %.2f s/step, ETA %s", lossName, loss, elapsed / done, eta(elapsed / done * (job.steps() - step - 1))));
                if ((step + 1) % every == 0 || step + 1 == job.steps()) {
                    reporter.progressDone();
                    int n = Math.min(every, losses.size());
                    reporter.info(String.format(Locale.ROOT, "recover step %d/%d: %s %.5f (mean of the last %d: %.5f), lr %.2e; "
                                    + "s/step: teacher %.2f, forward %.2f, loss %.2f, backward %.2f, update %.2f",
                            step + 1, job.steps(), lossName, loss, n, mean(losses, n), learningRate(job, step),
                            phase[0] / n, phase[1] / n, phase[2] / n, phase[3] / n, phase[4] / n));
                    java.util.Arrays.fill(phase, 0);
                    save(work, job, params, adam, losses);
                }
            }
            reporter.progressDone();
            double trainSeconds = (System.nanoTime() - trainStart) / 1e9;

            Path floatOut = job.quantize() == null ? job.out() : work.resolve("float");
            if (job.quantize() != null) deleteTree(floatOut);
            write(student, pruned, job, floatOut, losses);
            if (job.quantize() != null) {
                Conversions.quantize(floatOut, job.out(), job.quantize(), (d, t, name) -> reporter.progress("quantize", d, t, name));
                reporter.progressDone();
            }
            LossCurveChart.write(job.out().resolve("recovery-loss.png"), losses,
                    "recovery of " + job.pruned().getFileName() + ": " + (job.objective() == RecoveryJob.Objective.KL ? "KL"
                            : "block reconstruction error") + " to " + job.teacher().getFileName() + " per step");

            double after = Double.NaN;
            if (stream != null) {
                try (Model recovered = Model.load(job.out())) {
                    after = perplexity(recovered, stream, job, reporter, "held-out perplexity (recovered)");
                }
            }
            deleteTree(work);
            return new Summary(job.out(), before, after, teacherPpl, losses, resumedAt,
                    (System.nanoTime() - start) / 1e9, trainSeconds);
        }
    }

    private static void requireModelFolder(Path dir, String option) {
        if (!Files.isRegularFile(dir.resolve("config.json"))) {
            throw new PruneUsageException(option + " " + dir + ": no config.json; expected a Hugging Face model folder");
        }
    }

    /** A 2:4 or ARMOR model in float weights; a dense or quantized (int8, int4) folder is refused. */
    static void checkPruned(Model pruned, Path dir) {
        int sparse = 0;
        for (int l = 0; l < pruned.config().numLayers(); l++) {
            for (String p : DecoderLayer.PROJECTIONS) {
                Linear lin = pruned.decoder().layer(l).linear(p);
                if (lin.format().element().scaled()) {
                    throw new PruneUsageException("--model " + dir + ": model.layers." + l + "." + p + " has " + lin.kind()
                            + " weights; expected a float 2:4 or ARMOR checkpoint (recover first, then quantize with --quantize)");
                }
                if (lin.format().structure() != Structure.DENSE) sparse++;
            }
        }
        if (sparse == 0) {
            throw new PruneUsageException("--model " + dir + ": no 2:4 or ARMOR projections (a dense model); expected "
                    + "a folder written by armor prune");
        }
    }

    static void checkTeacher(Model teacher, Model pruned, RecoveryJob job) {
        ModelConfig t = teacher.config(), s = pruned.config();
        String[][] fields = {
                {"architectures", t.architecture().hfName(), s.architecture().hfName()},
                {"hidden_size", "" + t.hiddenSize(), "" + s.hiddenSize()},
                {"intermediate_size", "" + t.intermediateSize(), "" + s.intermediateSize()},
                {"num_hidden_layers", "" + t.numLayers(), "" + s.numLayers()},
                {"num_attention_heads", "" + t.numHeads(), "" + s.numHeads()},
                {"num_key_value_heads", "" + t.numKvHeads(), "" + s.numKvHeads()},
                {"head_dim", "" + t.headDim(), "" + s.headDim()},
                {"vocab_size", "" + t.vocabSize(), "" + s.vocabSize()}};
        for (String[] f : fields) {
            if (!f[1].equals(f[2])) {
                throw new PruneUsageException("--teacher " + job.teacher() + ": " + f[0] + " is " + f[1] + ", but the pruned "
                        + "model " + job.pruned() + " has " + f[2] + "; expected the dense model it was pruned from");
            }
        }
        var tt = teacher.tokenizer();
        var st = pruned.tokenizer();
        if (tt.isPresent() && st.isPresent() && tt.get().vocabSize() != st.get().vocabSize()) {
            throw new PruneUsageException("--teacher " + job.teacher() + ": its tokenizer has " + tt.get().vocabSize()
                    + " tokens, the pruned model's " + st.get().vocabSize() + "; expected the same vocabulary");
        }
    }

    private static void checkHeldOut(RecoveryJob job, int streamTokens) {
        int available = streamTokens / job.seq();
        int to = job.heldOutTo() < 0 ? available : job.heldOutTo();
        if (job.heldOutFrom() < 0 || to > available || job.heldOutFrom() >= to) {
            throw new PruneUsageException("--held-out " + job.heldOutFrom() + ":" + to + ", expected a range within 0:" + available);
        }
        int calibTo = job.windowTo() < 0 ? available : job.windowTo();
        if (job.heldOutFrom() < calibTo && job.windowFrom() < to) {
            throw new PruneUsageException("--held-out " + job.heldOutFrom() + ":" + to + " overlaps the training windows "
                    + job.windowFrom() + ":" + calibTo + "; expected windows never trained on");
        }
    }

    private static double perplexity(Model m, int[] stream, RecoveryJob job, Reporter r, String what) {
        int to = job.heldOutTo() < 0 ? Perplexity.windowCount(stream.length, job.seq()) : job.heldOutTo();
        double ppl = Perplexity.compute(m, stream, job.seq(), job.heldOutFrom(), to,
                (done, total) -> r.progress(what, done, total, "")).perplexity();
        r.progressDone();
        return ppl;
    }

    /** The sequences of step {@code step}: the data in a new seeded order each epoch, {@code batch} at a time. */
    static int[][] batch(List<int[]> data, int step, RecoveryJob job) {
        int n = data.size();
        int[][] out = new int[job.batch()][];
        int[] perm = null;
        int epochOfPerm = -1;
        for (int i = 0; i < job.batch(); i++) {
            long pos = (long) step * job.batch() + i;
            int epoch = (int) (pos / n);
            if (epoch != epochOfPerm) {
                perm = permutation(n, new SplittableRandom(job.seed() * 7919 + epoch));
                epochOfPerm = epoch;
            }
            out[i] = data.get(perm[(int) (pos % n)]);
        }
        return out;
    }

    private static int[] permutation(int n, SplittableRandom rnd) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1), t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    /** Linear warm-up over the first 5 % of steps, then a cosine decay to a tenth. */
    static double learningRate(RecoveryJob job, int step) {
        int warm = Math.max(1, job.steps() / 20);
        if (step < warm) return job.lr() * (step + 1) / warm;
        double t = (double) (step - warm) / Math.max(1, job.steps() - warm);
        return job.lr() * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * t)));
    }

    /** Writes the trained student as a checkpoint of the pruned model's format (masks, block sizes and dtypes kept). */
    private static void write(StudentModel student, Model pruned, RecoveryJob job, Path out, List<Double> losses) {
        WeightSource src = pruned.weights();
        try (SparseCheckpointWriter w = SparseCheckpointWriter.create(job.pruned(), out)) {
            for (int l = 0; l < student.numLayers(); l++) {
                StudentLayer layer = student.layer(l);
                List<TrainableLinear> projections = layer.projections();
                for (int i = 0; i < projections.size(); i++) {
                    String prefix = "model.layers." + l + "." + DecoderLayer.PROJECTIONS.get(i);
                    switch (projections.get(i)) {
                        case ArmorTrainableLinear a -> w.putArmor(prefix, core(a.core(), a.mask(), a.outFeatures(), a.inFeatures()),
                                a.aBlocks(), a.blockOut(), a.bBlocks(), a.blockIn(), src.tensor(prefix + SparseLinearLoader.ARMOR_A).dtype());
                        case MaskedLinear m when m.mask() != null -> w.putCore(prefix, core(m.weight(), m.mask(), m.outFeatures(), m.inFeatures()),
                                src.tensor(prefix + SparseLinearLoader.VALUES).dtype());
                        case MaskedLinear m -> w.putDenseWeight(prefix, m.weight(), m.outFeatures(), m.inFeatures(),
                                src.tensor(prefix + ".weight").dtype());
                        default -> throw new IllegalStateException("unknown trainable kind " + projections.get(i));
                    }
                }
                List<Parameter> norms = new ArrayList<>(List.of(layer.inputNorm, layer.postNorm));
                if (layer.qNorm != null) norms.addAll(List.of(layer.qNorm, layer.kNorm));
                for (Parameter p : norms) w.putVector(p.name(), p.value(), src.tensor(p.name()).dtype());
            }
            Parameter fn = student.finalNorm();
            w.putVector(fn.name(), fn.value(), src.tensor(fn.name()).dtype());
            SparsityConfig sparsity = SparsityConfig.fromJson(sparsityJson(job.pruned()), job.pruned() + "/config.json");
            w.finishEditingConfig(o -> {
                ObjectNode s = sparsity.toJson();
                ObjectNode r = s.putObject("recovery");
                r.put("objective", job.objective() == RecoveryJob.Objective.KL ? "kl-logits" : "block-reconstruction");
                r.put("teacher", job.teacher().toAbsolutePath().normalize().getFileName().toString());
                r.put("calibration_windows", job.windowFrom() + ":" + (job.windowTo() < 0 ? "" : job.windowTo()));
                r.put("teacher_sequences", job.generated());
                r.put("sequence_length", job.seq());
                r.put("steps", job.steps());
                r.put("batch", job.batch());
                r.put("learning_rate", job.lr());
                r.put("seed", job.seed());
                ArrayNode curve = r.putArray("kl_every_10_steps");
                for (int i = 0; i < losses.size(); i += 10) curve.add(Math.round(losses.get(i) * 1e5) / 1e5);
                if (!losses.isEmpty()) r.put("kl_last", losses.get(losses.size() - 1));
                o.set(SparsityConfig.KEY, s);
            });
        }
    }

    private static com.fasterxml.jackson.databind.JsonNode sparsityJson(Path dir) {
        try {
            var root = new com.fasterxml.jackson.databind.ObjectMapper().readTree(dir.resolve("config.json").toFile());
            var s = root.get(SparsityConfig.KEY);
            if (s == null) throw new PruneUsageException("--model " + dir + ": config.json has no " + SparsityConfig.KEY
                    + "; expected a folder written by armor prune");
            return s;
        } catch (IOException e) {
            throw new UncheckedIOException(dir.resolve("config.json") + ": " + e.getMessage(), e);
        }
    }

    private static Sparse24Core core(float[] dense, float[] mask, int rows, int cols) {
        boolean[] keep = new boolean[mask.length];
        for (int i = 0; i < mask.length; i++) keep[i] = mask[i] != 0;
        return Sparse24Core.fromMask(dense, keep, rows, cols);
    }

    // ---- resume state ----

    private static void save(Path work, RecoveryJob job, List<Parameter> params, Adam adam, List<Double> losses) {
        try {
            Files.createDirectories(work);
            List<Tensor> tensors = new ArrayList<>();
            for (Parameter p : params) {
                tensors.add(f32(p.name(), p.value()));
                tensors.add(f32(p.name() + ".adam_m", p.m()));
                tensors.add(f32(p.name() + ".adam_v", p.v()));
            }
            StringBuilder curve = new StringBuilder();
            for (double l : losses) curve.append(curve.isEmpty() ? "" : ",").append(Double.toString(l));
            SafetensorsWriter.write(work.resolve(STATE), tensors, Map.of("job", job.fingerprint(),
                    "step", Long.toString(adam.step()), "losses", curve.toString()));
        } catch (IOException e) {
            throw new UncheckedIOException(work + ": cannot save the recovery state: " + e.getMessage(), e);
        }
    }

    private static Tensor f32(String name, float[] v) {
        return new Tensor(name, DType.F32, new long[] {v.length}, MemorySegment.ofArray(v));
    }

    /** Loads the saved state of the same job, if any; returns the step to continue from (0 for a fresh start). */
    private static int restore(Path work, RecoveryJob job, List<Parameter> params, Adam adam, List<Double> losses) {
        Path state = work.resolve(STATE);
        if (!Files.isRegularFile(state)) return 0;
        try (Arena arena = Arena.ofConfined()) {
            SafetensorsFile f = SafetensorsFile.open(state, arena);
            if (!job.fingerprint().equals(f.metadata().get("job"))) {
                throw new PruneUsageException("work folder " + work + " holds the state of another recovery job ("
                        + f.metadata().get("job") + "); delete it or rerun that job");
            }
            Map<String, Tensor> t = f.tensors();
            for (Parameter p : params) {
                TensorFloats.read(t.get(p.name()), 0, p.value(), 0, p.value().length);
                TensorFloats.read(t.get(p.name() + ".adam_m"), 0, p.m(), 0, p.m().length);
                TensorFloats.read(t.get(p.name() + ".adam_v"), 0, p.v(), 0, p.v().length);
            }
            int step = Integer.parseInt(f.metadata().get("step"));
            adam.restore(step);
            String curve = f.metadata().get("losses");
            if (!curve.isEmpty()) for (String s : curve.split(",")) losses.add(Double.parseDouble(s));
            return step;
        }
    }

    private static void deleteTree(Path dir) {
        OutputTempFolder.removeTree(dir, "the recovery work folder");
    }

    private static double mean(List<Double> xs, int last) {
        double s = 0;
        for (int i = xs.size() - last; i < xs.size(); i++) s += xs.get(i);
        return s / last;
    }

    private static String eta(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, s / 60 % 60)
                : String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    }
}
