package armor.pruner.run;

import static org.junit.jupiter.api.Assertions.assertEquals;

import armor.runtime.model.Decoder;
import armor.runtime.model.Model;
import armor.runtime.model.SequenceState;
import armor.runtime.model.Step;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pruning never reaches the one-token (decode) kernels: they sum lanes with {@code reduceLanes(ADD)}, whose order
 * depends on JIT timing, while the pruner's byte-identical output relies on {@code Lanes.sum} in the matrix-matrix
 * kernels. Counted by {@link Decoder#oneRowPasses()} around real prunes of stories260K-hf.
 */
class OneTokenKernelsTest {
    static final Path SHARED = Path.of(System.getProperty("armor.shared", "../shared"));
    static final Path MODEL = SHARED.resolve("models/stories260K-hf");
    static final Path TEXT = SHARED.resolve("data/tinystories/tinystories.txt");

    @TempDir
    Path tmp;

    @Test
    void theCounterSeesAOneTokenPass() throws IOException {
        try (Model m = Model.load(MODEL)) {
            long before = Decoder.oneRowPasses();
            SequenceState seq = m.newSequence(8);
            try {
                m.forward(List.of(Step.of(seq, new int[] {1})), false, null);
            } finally {
                seq.free();
            }
            assertEquals(before + 1, Decoder.oneRowPasses(), "a one-token forward pass is counted");
        }
    }

    @Test
    void sequentialAndDensePassPruningRunNoOneTokenPass() throws IOException {
        Path calib = tmp.resolve("calib.txt");
        Files.writeString(calib, Files.readString(TEXT).substring(0, 4000));
        // wanda: a calibration pass per layer through the pruned layers before it; armor: one dense pass
        for (PruneMethod m : List.of(PruneMethod.WANDA, PruneMethod.ARMOR)) {
            long before = Decoder.oneRowPasses();
            Path out = tmp.resolve(m.cliName());
            Pruner.run(new PruneJob(MODEL, m, calib, 2, 64, "0:2", 5, 4, 0, out, 2), Reporter.SILENT);
            assertEquals(before, Decoder.oneRowPasses(), m.cliName() + " pruning ran a forward pass on one row");
        }
    }
}
