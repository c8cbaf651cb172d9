package armor.pruner.recover;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import armor.pruner.run.PruneJob;
import armor.pruner.run.PruneMethod;
import armor.pruner.run.PruneUsageException;
import armor.pruner.run.Pruner;
import armor.pruner.run.Reporter;
import armor.runtime.kernels.TensorFloats;
import armor.runtime.linear.Linear;
import armor.runtime.linear.Sparse24Core;
import armor.runtime.model.DecoderLayer;
import armor.runtime.model.Model;
import armor.runtime.model.Step;
import armor.runtime.sparse.SparseCheckpointWriter;
import armor.runtime.sparse.SparsityConfig;
import armor.runtime.tensor.DType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Recovery end to end on stories260K: the student computes what the runtime computes, resume, masks, bad input. */
class RecoveryTest {
    static final Path SHARED = Path.of(System.getProperty("armor.shared", "../shared"));
    static final Path DENSE = SHARED.resolve("models/stories260K-hf");
    static final Path TEXT = SHARED.resolve("data/tinystories/tinystories.txt");

    @TempDir
    Path tmp;

    Path text() throws IOException {
        Path t = tmp.resolve("calib.txt");
        if (!Files.exists(t)) Files.writeString(t, Files.readString(TEXT).substring(0, 6000));
        return t;
    }

    Path magnitude() throws IOException {
        Path out = tmp.resolve("mag");
        if (!Files.exists(out)) {
            Pruner.run(new PruneJob(DENSE, PruneMethod.MAGNITUDE, null, 2, 64, null, 0, 4, 0, out, 2), Reporter.SILENT);
        }
        return out;
    }

    /** An ARMOR checkpoint of stories260K: magnitude cores, random A' (b = 4) and B' (b = 4 or 8) near identity. */
    Path randomArmor() {
        Path out = tmp.resolve("armor");
        SplittableRandom rnd = new SplittableRandom(11);
        try (Model dense = Model.load(DENSE); SparseCheckpointWriter w = SparseCheckpointWriter.create(DENSE, out)) {
            for (int l = 0; l < dense.config().numLayers(); l++) {
                for (String p : DecoderLayer.PROJECTIONS) {
                    String prefix = "model.layers." + l + "." + p;
                    Linear lin = dense.decoder().layer(l).linear(p);
                    int in = lin.inFeatures(), o = lin.outFeatures();
                    float[] wt = TensorFloats.read(dense.weights().tensor(prefix + ".weight"));
                    int bIn = in % 8 == 0 ? 8 : 4;
                    w.putArmor(prefix, Sparse24Core.byMagnitude(wt, o, in), GradientCheckTest.nearIdentity(o, 4, rnd), 4,
                            GradientCheckTest.nearIdentity(in, bIn, rnd), bIn, DType.F32);
                }
            }
            w.finish(new SparsityConfig(SparsityConfig.FORMAT_ARMOR, "armor", 4, null, null, null, SparsityConfig.VERSION));
        }
        return out;
    }

    /** The student's logits equal the runtime's for 2:4 (compressed-tensors folder) and ARMOR checkpoints. */
    @Test
    void studentComputesWhatTheRuntimeComputes() {
        for (Path dir : List.of(SHARED.resolve("models/stories260K-2of4-ct-dense"), randomArmor())) {
            try (Model m = Model.load(dir)) {
                int[] tokens = {1, 400, 12, 99, 7, 300, 2, 45, 46, 47};
                float[] runtime = m.forward(List.of(Step.of(m.newSequence(tokens.length), tokens)), true, null);
                float[] student = StudentModel.of(m).forward(new int[][] {tokens});
                assertEquals(runtime.length, student.length);
                double maxDiff = 0;
                for (int i = 0; i < runtime.length; i++) maxDiff = Math.max(maxDiff, Math.abs(runtime[i] - student[i]));
                assertTrue(maxDiff < 1e-3, dir + ": student logits differ from the runtime's by " + maxDiff);
            }
        }
    }

    RecoveryJob job(Path pruned, Path teacher, Path out, int steps) throws IOException {
        return new RecoveryJob(pruned, teacher, text(), 0, 4, 32, 0, 0, 2, steps, 2, 2e-3, RecoveryJob.Objective.KL, 0, out, null);
    }

    /** A run killed after its first saved state resumes and ends with the same bytes as an uninterrupted run. */
    @Test
    void killedRunResumesToTheSameBytes() throws IOException {
        Path pruned = magnitude();
        Path whole = tmp.resolve("whole"), resumed = tmp.resolve("resumed");
        Recovery.Summary s = Recovery.run(job(pruned, DENSE, whole, 24), Reporter.SILENT);
        assertTrue(s.losses().get(s.losses().size() - 1) < s.losses().get(0), "KL falls: " + s.losses());

        Reporter dying = new Reporter() {
            @Override public void info(String line) {}
            @Override public void warn(String line) {}
            @Override public void progress(String task, long done, long total, String status) {
                if (task.equals("recover") && done == 15) throw new IllegalStateException("killed");
            }
            @Override public void progressDone() {}
        };
        assertThrows(IllegalStateException.class, () -> Recovery.run(job(pruned, DENSE, resumed, 24), dying));
        assertFalse(Files.exists(resumed), "nothing under --out after a kill");
        assertTrue(Files.exists(Recovery.workFolder(resumed).resolve("state.safetensors")));
        Recovery.Summary r = Recovery.run(job(pruned, DENSE, resumed, 24), Reporter.SILENT);
        assertEquals(10, r.resumedAt());
        assertArrayEquals(Files.readAllBytes(whole.resolve("model.safetensors")),
                Files.readAllBytes(resumed.resolve("model.safetensors")));
        assertFalse(Files.exists(Recovery.workFolder(resumed)), "work folder removed after success");

        // the masks are the pruned model's: only the kept values moved
        try (Model before = Model.load(pruned); Model after = Model.load(whole)) {
            String meta = "model.layers.2.mlp.down_proj.sparse_meta";
            assertArrayEquals(before.weights().tensor(meta).data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE),
                    after.weights().tensor(meta).data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
            assertFalse(java.util.Arrays.equals(
                    TensorFloats.read(before.weights().tensor("model.layers.2.mlp.down_proj.sparse_values")),
                    TensorFloats.read(after.weights().tensor("model.layers.2.mlp.down_proj.sparse_values"))));
        }
    }

    @Test
    void badInputIsRefusedBeforeAnythingIsWritten() throws IOException {
        Path out = tmp.resolve("out");
        PruneUsageException dense = assertThrows(PruneUsageException.class,
                () -> Recovery.run(job(DENSE, DENSE, out, 2), Reporter.SILENT));
        assertTrue(dense.getMessage().contains(DENSE.toString()) && dense.getMessage().contains("dense"), dense.getMessage());
        PruneUsageException teacher = assertThrows(PruneUsageException.class,
                () -> Recovery.run(job(magnitude(), SHARED.resolve("models/tiny-llama3-random"), out, 2), Reporter.SILENT));
        assertTrue(teacher.getMessage().contains("hidden_size"), teacher.getMessage());
        PruneUsageException notAModel = assertThrows(PruneUsageException.class,
                () -> Recovery.run(job(tmp, DENSE, out, 2), Reporter.SILENT));
        assertTrue(notAModel.getMessage().contains("config.json"), notAModel.getMessage());
        assertFalse(Files.exists(out));
        assertFalse(Files.exists(Recovery.workFolder(out)));
    }
}
