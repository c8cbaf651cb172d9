package armor.pruner.run;

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
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Per-linear results of a pruning run, kept beside the output folder ({@code .NAME.armor-work}) until the checkpoint
 * is complete, so that a rerun after a crash resumes from the linears already done. Every file is written
 * atomically (temporary file, then rename), so a crash leaves either a whole result or none. {@code job.txt}
 * records the run's arguments; a rerun with different arguments refuses to mix results.
 */
public final class WorkFolder {
    private static final String JOB = "job.txt";
    private final Path dir;

    private WorkFolder(Path dir) {
        this.dir = dir;
    }

    /** The work folder of output {@code out}. */
    public static Path pathFor(Path out) {
        Path abs = out.toAbsolutePath();
        return abs.getParent().resolve("." + abs.getFileName() + ".armor-work");
    }

    /** Opens (resuming) or creates the work folder of {@code out} for a run described by {@code job}. */
    public static WorkFolder open(Path out, String job) {
        Path dir = pathFor(out);
        try {
            if (Files.isDirectory(dir)) {
                Path jobFile = dir.resolve(JOB);
                String previous = Files.exists(jobFile) ? Files.readString(jobFile, StandardCharsets.UTF_8) : "";
                if (!previous.equals(job)) {
                    throw new IllegalArgumentException(dir + ": holds results of a run with other arguments:\n"
                            + previous.strip() + "\nexpected:\n" + job.strip()
                            + "\n(rerun with the same arguments to resume, or delete the folder to start over)");
                }
            } else {
                Files.createDirectories(dir);
                writeAtomically(dir.resolve(JOB), job.getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": cannot prepare the work folder: " + e.getMessage(), e);
        }
        return new WorkFolder(dir);
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

    public synchronized void save(LinearResult r) {
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
        SafetensorsWriter.write(fileOf(r.prefix()), tensors, meta);
    }

    private static Tensor floats(String name, float[] v, long... shape) {
        return new Tensor(name, DType.F32, shape, MemorySegment.ofArray(v));
    }

    public LinearResult load(String prefix) {
        Path f = fileOf(prefix);
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
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": cannot remove the work folder: " + e.getMessage(), e);
        }
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
