package armor.cli;

import armor.pruner.run.PruneMethod;
import armor.runtime.safetensors.OutputTempFolder;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * What a checkpoint made by {@code armor prune-serve} was made from: the source model (its config.json and weight
 * files), the method and every option that changes the result, the calibration text and windows, the seed and the
 * held-out windows. Written into the checkpoint folder ({@value #FILE}) once it is complete; a later run reuses the
 * folder only when its identity equals this run's, compared field by field.
 *
 * @param model       the source model's files
 * @param method      the method's command-line name
 * @param options     the options that change the result, by their command-line names ({@code --iters}, ...)
 * @param calibration the calibration text (null for methods that use none)
 * @param heldOut     the held-out windows, {@code from:to} of the calibration stream's windows
 */
public record PruneServeIdentity(ModelFiles model, String method, Map<String, String> options, FileIdentity calibration,
                                 String heldOut) {
    static final String FILE = "armor-prune-serve.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    /** Bytes hashed at each end of a weight file: its header and its last tensors, without reading gigabytes. */
    static final int WEIGHT_SAMPLE_BYTES = 1 << 20;

    /** A file by name, size and SHA-256 (of all of it, or of its ends for weight files). */
    public record FileIdentity(String name, long bytes, String sha256) {}

    /** config.json's SHA-256 and the weight files ({@code *.safetensors} and their index). */
    public record ModelFiles(String configSha256, List<FileIdentity> weights) {}

    public PruneServeIdentity {
        options = new TreeMap<>(options);
    }

    /**
     * This run's identity. Options that cannot change the result of {@code method} are left out (ARMOR's
     * iterations and block for the others; calibration, windows and seed for methods that use no data).
     */
    static PruneServeIdentity of(Path model, PruneMethod method, Path calib, String calibrationWindows, int seq,
                                 int iterations, int block, boolean refit, long seed, String quantize, Integer groupSize,
                                 String heldOut) {
        Map<String, String> options = new TreeMap<>();
        options.put("--quantize", Objects.toString(quantize, "none"));
        if (quantize != null) options.put("--group-size", Objects.toString(groupSize, "default"));
        if (method == PruneMethod.ARMOR) {
            options.put("--iters", String.valueOf(iterations));
            options.put("--block", String.valueOf(block));
            options.put("--refit", String.valueOf(refit));
        }
        FileIdentity calibration = null;
        if (method.needsData()) {
            options.put("--seed", String.valueOf(seed));
            options.put("--seq", String.valueOf(seq));
            options.put("calibration windows", calibrationWindows);
            calibration = whole(calib);
        }
        return new PruneServeIdentity(modelFiles(model), method.cliName(), options, calibration, heldOut);
    }

    /**
     * Decides what to do with an existing {@code target}: true to serve it as it is (same identity); false after
     * deleting it when it is prune-serve's own default folder made with other settings (said on {@code err}); an
     * {@link IllegalArgumentException} naming what differs when {@code --out} was given, or naming {@code --out}
     * when the folder holds something prune-serve did not make.
     */
    boolean reuse(Path target, boolean outGiven, PrintStream err) {
        if (!Files.exists(target)) return false;
        PruneServeIdentity found = read(target);
        if (found == null) {
            throw new IllegalArgumentException("--out " + target + " holds something prune-serve did not make (no "
                    + FILE + "); give another --out or delete it");
        }
        List<String> diffs = found.differences(this);
        if (diffs.isEmpty()) {
            err.println("armor: " + target + " holds a checkpoint made from the same model, calibration and options:"
                    + " serving it without pruning again");
            return true;
        }
        String what = String.join("; ", diffs);
        if (outGiven) {
            throw new IllegalArgumentException("--out " + target + " holds a checkpoint made differently (" + what
                    + "); give another --out or delete it");
        }
        err.println("armor: " + target + " was made differently (" + what + "): pruning again");
        if (!OutputTempFolder.deleteTree(target)) {
            throw new UncheckedIOException(new IOException(target + ": cannot delete the old checkpoint"));
        }
        return false;
    }

    /** What differs from {@code now}, one entry per field, in the words of the command line. */
    List<String> differences(PruneServeIdentity now) {
        List<String> d = new ArrayList<>();
        if (!model.configSha256().equals(now.model.configSha256())) d.add("--model: another config.json");
        if (!model.weights().equals(now.model.weights())) {
            d.add("--model: other weight files (" + names(model.weights()) + " before, " + names(now.model.weights())
                    + " now)");
        }
        if (!method.equals(now.method)) d.add("--method " + method + ", this run " + now.method);
        for (String k : new java.util.TreeSet<>(union(options.keySet(), now.options.keySet()))) {
            String a = options.getOrDefault(k, "(not used)"), b = now.options.getOrDefault(k, "(not used)");
            if (!a.equals(b)) d.add(k + " " + a + ", this run " + b);
        }
        if (!Objects.equals(calibration, now.calibration)) {
            d.add("--calib " + describe(calibration) + ", this run " + describe(now.calibration));
        }
        if (!heldOut.equals(now.heldOut)) d.add("held-out windows " + heldOut + ", this run " + now.heldOut);
        return d;
    }

    private static java.util.Set<String> union(java.util.Set<String> a, java.util.Set<String> b) {
        java.util.Set<String> u = new java.util.HashSet<>(a);
        u.addAll(b);
        return u;
    }

    private static String names(List<FileIdentity> files) {
        return String.join(", ", files.stream().map(f -> f.name() + " " + f.bytes() + " B").toList());
    }

    private static String describe(FileIdentity f) {
        return f == null ? "(not used)" : f.name() + " (" + f.bytes() + " B, sha256 " + f.sha256().substring(0, 12) + ")";
    }

    /** Writes the record into the complete checkpoint folder, atomically. */
    void write(Path folder) throws IOException {
        Path tmp = Files.createTempFile(folder, "." + FILE, ".tmp");
        try {
            JSON.writeValue(tmp.toFile(), this);
            Files.move(tmp, folder.resolve(FILE), StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** The record in {@code folder}, or null when there is none or it cannot be read as one. */
    static PruneServeIdentity read(Path folder) {
        Path f = folder.resolve(FILE);
        if (!Files.isRegularFile(f)) return null;
        try {
            return JSON.readValue(f.toFile(), PruneServeIdentity.class);
        } catch (IOException e) {
            return null;
        }
    }

    static ModelFiles modelFiles(Path model) {
        try (Stream<Path> list = Files.list(model)) {
            List<FileIdentity> weights = new ArrayList<>();
            for (Path p : list.sorted().toList()) {
                String n = p.getFileName().toString();
                if (n.endsWith(".safetensors") || n.endsWith(".safetensors.index.json")) weights.add(ends(p));
            }
            return new ModelFiles(whole(model.resolve("config.json")).sha256(), weights);
        } catch (IOException e) {
            throw new UncheckedIOException(model + ": cannot read the model files: " + e.getMessage(), e);
        }
    }

    static FileIdentity whole(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = sha256();
            byte[] buf = new byte[1 << 16];
            long size = 0;
            for (int r; (r = in.read(buf)) > 0; size += r) md.update(buf, 0, r);
            return new FileIdentity(file.getFileName().toString(), size, HexFormat.of().formatHex(md.digest()));
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** Size and the hash of the first and last {@link #WEIGHT_SAMPLE_BYTES}: the safetensors header is at the start. */
    static FileIdentity ends(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            MessageDigest md = sha256();
            for (long at : new long[] {0, Math.max(WEIGHT_SAMPLE_BYTES, size - WEIGHT_SAMPLE_BYTES)}) {
                ByteBuffer b = ByteBuffer.allocate((int) Math.max(0, Math.min(WEIGHT_SAMPLE_BYTES, size - at)));
                while (b.hasRemaining() && ch.read(b, at + b.position()) > 0) { }
                md.update(b.flip());
            }
            return new FileIdentity(file.getFileName().toString(), size, HexFormat.of().formatHex(md.digest()));
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
