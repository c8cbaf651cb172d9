package armor.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * prune-serve reuses a folder only when it was made from the same model, method, options, calibration, seed and
 * held-out windows: a rerun with another seed, calibration file or model must not serve the old checkpoint.
 */
class PruneServeIdentityTest {
    static final Path STORIES = PruneServeCommandTest.STORIES;
    static final Path STORIES15M = RuntimeCommandsTest.SHARED.resolve("models/stories15M-hf");
    static final Path TEXT = PruneServeCommandTest.TEXT;

    @TempDir
    Path tmp;

    List<String> args(Path model, Path calib, Path out, String... more) {
        List<String> a = new ArrayList<>(List.of("prune-serve", "--model", model.toString(), "--method", "wanda",
                "--calib", calib.toString(), "--seq", "64", "--samples", "2", "--heldout", "2", "--out", out.toString(),
                "--no-serve"));
        a.addAll(List.of(more));
        return a;
    }

    record Result(int exit, String err) {}

    static Result run(List<String> args) {
        Object[][] r = new Object[1][];
        String err = PruneServeCommandTest.captureErr(() -> r[0] = ServeCommandsTest.run(args.toArray(String[]::new)));
        return new Result((Integer) r[0][0], err);
    }

    @Test
    void aFolderIsReusedOnlyForTheSameModelCalibrationSeedAndOptions() throws Exception {
        Path out = tmp.resolve("w-2of4");
        Result first = run(args(STORIES, TEXT, out));
        assertEquals(0, first.exit(), first.err());
        assertTrue(Files.isRegularFile(out.resolve(PruneServeIdentity.FILE)));
        long written = Files.getLastModifiedTime(out.resolve("model.safetensors")).toMillis();

        Result same = run(args(STORIES, TEXT, out));
        assertEquals(0, same.exit(), same.err());
        assertTrue(same.err().contains("serving it without pruning again"), same.err());
        assertEquals(written, Files.getLastModifiedTime(out.resolve("model.safetensors")).toMillis());

        Result seed = run(args(STORIES, TEXT, out, "--seed", "1"));
        assertEquals(1, seed.exit(), seed.err());
        assertTrue(seed.err().contains("--seed 0, this run 1"), seed.err());

        Path otherText = tmp.resolve("other.txt");
        Files.writeString(otherText, Files.readString(TEXT).replace("Lily", "Anna"));
        Result calib = run(args(STORIES, otherText, out));
        assertEquals(1, calib.exit(), calib.err());
        assertTrue(calib.err().contains("--calib tinystories.txt") && calib.err().contains("this run other.txt"),
                calib.err());

        Result model = run(args(STORIES15M, TEXT, out));
        assertEquals(1, model.exit(), model.err());
        assertTrue(model.err().contains("--model: another config.json"), model.err());
        assertEquals(written, Files.getLastModifiedTime(out.resolve("model.safetensors")).toMillis(),
                "nothing was pruned over the folder");
    }

    @Test
    void aFolderPruneServeDidNotMakeIsRefusedNamingOut() throws Exception {
        Path out = Files.createDirectory(tmp.resolve("hand-made"));
        Files.copy(STORIES.resolve("config.json"), out.resolve("config.json"));
        Result r = run(args(STORIES, TEXT, out));
        assertEquals(1, r.exit(), r.err());
        assertTrue(r.err().contains("--out " + out) && r.err().contains("did not make"), r.err());
    }

    @Test
    void prunesServesOwnDefaultFolderAgainButRefusesAnOutItWasGiven() throws Exception {
        Path out = tmp.resolve("default");
        PruneServeIdentity old = PruneServeIdentity.of(STORIES, armor.pruner.run.PruneMethod.WANDA, TEXT, "0:2", 64,
                2000, 128, true, 0, null, null, "10:12");
        Files.createDirectory(out);
        old.write(out);
        PruneServeIdentity now = PruneServeIdentity.of(STORIES, armor.pruner.run.PruneMethod.WANDA, TEXT, "0:2", 64,
                2000, 128, true, 7, null, null, "10:12");
        assertEquals(List.of("--seed 0, this run 7"), old.differences(now));
        assertEquals(old, PruneServeIdentity.read(out), "read back as the same record");

        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(err, true, StandardCharsets.UTF_8);
        IllegalArgumentException given = assertThrows(IllegalArgumentException.class, () -> now.reuse(out, true, ps));
        assertTrue(given.getMessage().contains("--seed 0, this run 7"), given.getMessage());
        assertTrue(Files.isDirectory(out), "a folder the user named is never deleted");

        assertTrue(old.reuse(out, false, ps), "same identity: served as it is");
        assertFalse(now.reuse(out, false, ps), "prune-serve's own folder made differently: pruned again");
        assertFalse(Files.exists(out), "the old checkpoint is gone before pruning again");
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("was made differently (--seed 0, this run 7): pruning again"),
                err.toString(StandardCharsets.UTF_8));
    }
}
