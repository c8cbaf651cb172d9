package armor.pruner.run;

import armor.runtime.safetensors.OutputTempFolder;
import armor.pruner.sparsity.Mask24;
import armor.runtime.kernels.TensorFloats;
import armor.runtime.safetensors.SafetensorsFile;
import armor.runtime.safetensors.SafetensorsWriter;
import armor.runtime.tensor.DType;
import armor.runtime.tensor.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Per-linear results of a pruning run, kept beside the output folder ({@code .NAME.armor-work}) until the checkpoint
 * is complete, so that a rerun after a crash resumes from the linears already done. Every file is written
 * atomically (temporary file, then rename), so a crash leaves either a whole result or none. {@code job.txt}
 * records the run's arguments; a rerun with different arguments refuses to mix results.
 */
public final class WorkFolder {
    private static final String JOB = "job.txt";
    private static final String SHARDS = "shards.txt";
    private static final String STATS = "statistics.safetensors";
    private final Path dir;

    private WorkFolder(Path dir) {
        this.dir = dir;
    }

    /** The work folder of output {@code out}. */
    public static Path pathFor(Path out) {
        Path abs = out.toAbsolutePath();
        return abs.getParent().resolve("." + abs.getFileName() + ".armor-work");
    }

    /**
     * Opens (resuming) or creates the work folder of {@code out} for a run described by {@code job}. Several workers
     * may do this at once on a shared folder: each writes the same {@code job.txt} atomically, then compares.
     *
     * @throws PruneUsageException when the folder holds another job's results (nothing is written then)
     */
    public static WorkFolder open(Path out, String job) {
        Path dir = pathFor(out);
        try {
            Path jobFile = dir.resolve(JOB);
            if (Files.isDirectory(dir) && Files.exists(jobFile)) {
                String previous = Files.readString(jobFile, StandardCharsets.UTF_8);
                if (!previous.equals(job)) throw new PruneUsageException(mismatch(dir, previous, job));
            } else {
                Files.createDirectories(dir);
                writeAtomically(jobFile, job.getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": cannot prepare the work folder: " + e.getMessage(), e);
        }
        return new WorkFolder(dir);
    }

    /**
     * Checks, writing nothing, that the work folder of {@code out} (if any) belongs to the job {@code job}: called
     * before the model is even loaded, so that a worker started with other arguments stops at once.
     */
    public static void check(Path out, String job) {
        Path jobFile = pathFor(out).resolve(JOB);
        try {
            if (Files.exists(jobFile)) {
                String previous = Files.readString(jobFile, StandardCharsets.UTF_8);
                if (!previous.equals(job)) throw new PruneUsageException(mismatch(pathFor(out), previous, job));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(jobFile + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** One line naming the first argument that differs. */
    private static String mismatch(Path dir, String previous, String job) {
        List<String> was = previous.lines().toList(), now = job.lines().toList();
        String detail = "";
        for (int i = 0; i < Math.max(was.size(), now.size()); i++) {
            String a = i < was.size() ? was.get(i) : "(nothing)", b = i < now.size() ? now.get(i) : "(nothing)";
            if (!a.equals(b)) {
                detail = ": it has " + a + ", this run " + b;
                break;
            }
        }
        return dir + " holds results of a run with other arguments" + detail
                + " (rerun with the same arguments to resume, or delete the folder to start over)";
    }

    /**
     * Records that the work is split into {@code count} shards; every later shard and the assembling run check
     * against it. A first call writes it (atomically; concurrent first calls write the same bytes).
     *
     * @throws PruneUsageException when the folder is already split into another number of shards
     */
    public void claimShards(int count) {
        int existing = shards();
        if (existing != 0 && existing != count) {
            throw new PruneUsageException(dir + " is split into " + existing + " shards, expected --shard i/"
                    + existing + " (got a count of " + count + ")");
        }
        if (existing == 0) {
            try {
                writeAtomically(dir.resolve(SHARDS), (count + "\n").getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new UncheckedIOException(dir + ": cannot record the shard count: " + e.getMessage(), e);
            }
        }
    }

    /** The shard count recorded by {@link #claimShards}, or 0 when the work was never split. */
    public int shards() {
        Path f = dir.resolve(SHARDS);
        try {
            return Files.exists(f) ? Integer.parseInt(Files.readString(f, StandardCharsets.UTF_8).strip()) : 0;
        } catch (IOException | NumberFormatException e) {
            throw new IllegalStateException(f + ": cannot read the shard count (" + e.getMessage()
                    + "); expected one number", e);
        }
    }

    /** Calibration statistics (per-feature Σx² of each distinct projection input) are saved. */
    public boolean hasStatistics() {
        return Files.isRegularFile(dir.resolve(STATS));
    }

    /**
     * Saves the statistics (key → per-feature Σx² as the methods read them, float32), atomically. Workers that
     * compute them concurrently write the same bytes: the forward pass is deterministic.
     */
    public void saveStatistics(Map<String, float[]> sums) {
        List<Tensor> tensors = new ArrayList<>();
        for (var e : sums.entrySet()) tensors.add(floats(e.getKey(), e.getValue(), e.getValue().length));
        SafetensorsWriter.write(dir.resolve(STATS), tensors, Map.of("content", "per-feature sum of squares of "
                + "each distinct projection input over the calibration tokens"));
    }

    private Path chunkFile(int chunk) {
        return dir.resolve(String.format(java.util.Locale.ROOT, "statistics-chunk-%05d.safetensors", chunk));
    }

    /** A chunk of the statistics pass ({@code --stage stats --shard}) is saved. */
    public boolean hasStatisticsChunk(int chunk) {
        return Files.isRegularFile(chunkFile(chunk));
    }

    /**
     * Saves one chunk's double sums exactly (the bits of each double as an I64 tensor, safetensors having no F64
     * here), atomically.
     */
    public void saveStatisticsChunk(int chunk, Map<String, double[]> sums) {
        List<Tensor> tensors = new ArrayList<>();
        for (var e : sums.entrySet()) {
            tensors.add(new Tensor(e.getKey(), DType.I64, new long[] {e.getValue().length},
                    MemorySegment.ofArray(e.getValue())));
        }
        SafetensorsWriter.write(chunkFile(chunk), tensors, Map.of("content", "float64 bits (as I64) of the "
                + "per-feature sum of squares over the samples of chunk " + chunk));
    }

    /** The chunk saved by {@link #saveStatisticsChunk}. */
    public Map<String, double[]> loadStatisticsChunk(int chunk) {
        Path f = chunkFile(chunk);
        Map<String, double[]> sums = new java.util.TreeMap<>();
        try (Arena arena = Arena.ofConfined()) {
            SafetensorsFile file = SafetensorsFile.open(f, arena);
            for (var e : file.tensors().entrySet()) {
                sums.put(e.getKey(), e.getValue().data().toArray(ValueLayout.JAVA_DOUBLE_UNALIGNED));
            }
        } catch (RuntimeException e) {
            throw new IllegalStateException(f + ": cannot read a saved statistics chunk (" + e.getMessage()
                    + "); delete the file to recompute it", e);
        }
        return sums;
    }

    /** The statistics saved by {@link #saveStatistics}. */
    public Map<String, float[]> loadStatistics() {
        Path f = dir.resolve(STATS);
        Map<String, float[]> sums = new LinkedHashMap<>();
        try (Arena arena = Arena.ofConfined()) {
            SafetensorsFile file = SafetensorsFile.open(f, arena);
            for (var e : file.tensors().entrySet()) sums.put(e.getKey(), TensorFloats.read(e.getValue()));
        } catch (RuntimeException e) {
            throw new IllegalStateException(f + ": cannot read the saved statistics (" + e.getMessage()
                    + "); delete the file to recompute them", e);
        }
        return sums;
    }

    public Path dir() {
        return dir;
    }

    private Path fileOf(String prefix) {
        return dir.resolve(prefix + ".safetensors");
    }

    public boolean has(String prefix) {
        return Files.isRegularFile(fileOf(prefix));
    }

    public void save(LinearResult r) {
        save(r.prefix(), r);
    }

    /** Saves a result under another name than its prefix (a later stage's result of the same projection). */
    public synchronized void save(String key, LinearResult r) {
        List<Tensor> tensors = new ArrayList<>();
        tensors.add(floats("values", r.values(), r.rows(), r.cols()));
        byte[] mask = r.mask().patternBytes();
        tensors.add(new Tensor("mask", DType.U8, new long[] {r.rows(), r.cols() / 4}, MemorySegment.ofArray(mask)));
        if (r.isArmor()) {
            tensors.add(floats("a", r.a(), r.rows() / r.blockOut(), r.blockOut(), r.blockOut()));
            tensors.add(floats("b", r.b(), r.cols() / r.blockIn(), r.blockIn(), r.blockIn()));
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("prefix", r.prefix());
        meta.put("block_out", Integer.toString(r.blockOut()));
        meta.put("block_in", Integer.toString(r.blockIn()));
        meta.put("loss_before", Double.toString(r.lossBefore()));
        meta.put("loss_after", Double.toString(r.lossAfter()));
        meta.put("iterations", Integer.toString(r.iterations()));
        meta.put("seconds", Double.toString(r.seconds()));
        SafetensorsWriter.write(fileOf(key), tensors, meta);
    }

    private static Tensor floats(String name, float[] v, long... shape) {
        return new Tensor(name, DType.F32, shape, MemorySegment.ofArray(v));
    }

    public LinearResult load(String prefix) {
        return load(prefix, prefix);
    }

    /** The result saved under {@code key} ({@link #save(String, LinearResult)}), for the projection {@code prefix}. */
    public LinearResult load(String key, String prefix) {
        Path f = fileOf(key);
        try (Arena arena = Arena.ofConfined()) {
            SafetensorsFile file = SafetensorsFile.open(f, arena);
            Map<String, String> meta = file.metadata();
            Tensor values = file.tensor("values");
            int rows = values.dim(0), cols = values.dim(1);
            Tensor maskT = file.tensor("mask");
            byte[] maskBytes = maskT.data().toArray(ValueLayout.JAVA_BYTE);
            Mask24 mask = Mask24.fromPatternBytes(maskBytes, rows, cols, f.toString());
            float[] a = file.has("a") ? TensorFloats.read(file.tensor("a")) : null;
            float[] b = file.has("b") ? TensorFloats.read(file.tensor("b")) : null;
            return new LinearResult(prefix, rows, cols, TensorFloats.read(values), mask, a,
                    Integer.parseInt(meta.get("block_out")), b, Integer.parseInt(meta.get("block_in")),
                    Double.parseDouble(meta.get("loss_before")), Double.parseDouble(meta.get("loss_after")),
                    Integer.parseInt(meta.get("iterations")), Double.parseDouble(meta.get("seconds")));
        } catch (RuntimeException e) {
            throw new IllegalStateException(f + ": cannot read a saved result (" + e.getMessage()
                    + "); delete the file to recompute that linear", e);
        }
    }

    /** Removes the folder (after the checkpoint is complete). */
    public void delete() {
        OutputTempFolder.removeTree(dir, "the work folder");
    }

    private static void writeAtomically(Path target, byte[] bytes) throws IOException {
        Path tmp = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".tmp");
        try {
            Files.write(tmp, bytes);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
