package armor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import armor.pruner.calib.CalibrationSet;
import armor.runtime.eval.Perplexity;
import armor.runtime.model.Model;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code armor prune}, {@code armor eval compare} and {@code armor bench-armor} through the command line. */
class PruneCommandsTest {
    static final Path SHARED = Path.of(System.getProperty("armor.shared", "../shared"));
    static final Path STORIES = SHARED.resolve("models/stories260K-hf");

    static String captureOut(Runnable r) {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            r.run();
        } finally {
            System.setOut(old);
        }
        return buf.toString(StandardCharsets.UTF_8);
    }

    @Test
    void pruneThenCompareMatchesPerplexityOfEachModel(@TempDir Path tmp) throws Exception {
        Path text = tmp.resolve("t.txt");
        Files.writeString(text, Files.readString(SHARED.resolve("data/tinystories/tinystories.txt")).substring(0, 6000));
        Path out = tmp.resolve("nowag");
        String table = captureOut(() -> assertEquals(0, Main.run("prune", "--model", STORIES.toString(), "--method",
                "nowag-p", "--calib", text.toString(), "--windows", "0:2", "--seq", "64", "--out", out.toString())));
        assertTrue(table.contains("model.layers.4.mlp.down_proj"), table);
        String cmp = captureOut(() -> assertEquals(0, Main.run("eval", "compare", "--text", text.toString(), "--seq", "64",
                "--windows", "2:", STORIES.toString(), out.toString())));
        for (Path dir : new Path[] {STORIES, out}) {
            try (Model m = Model.load(dir)) {
                var tok = m.requireTokenizer();
                int[] stream = CalibrationSet.oneStream(tok, Files.readString(text), tok.bosTokenId().orElse(1));
                double ppl = Perplexity.compute(m, stream, 64, 2, stream.length / 64, null).perplexity();
                String row = cmp.lines().filter(l -> l.startsWith(dir.getFileName().toString())).findFirst().orElseThrow();
                assertTrue(row.contains(String.format(Locale.ROOT, "%.4f", ppl)), row + " vs " + ppl);
            }
        }
        assertTrue(cmp.contains("2:4 nowag-p"), cmp);
    }

    @Test
    void badUsageAndBadInputExitCodes(@TempDir Path tmp) throws Exception {
        assertEquals(2, Main.run("prune", "--model", STORIES.toString(), "--method", "best", "--out", tmp.resolve("a").toString()));
        assertEquals(2, Main.run("prune", "--model", STORIES.toString(), "--method", "wanda", "--out", tmp.resolve("b").toString()));
        assertEquals(2, Main.run("prune", "--model", STORIES.toString(), "--method", "armor", "--block", "6", "--calib",
                "x.txt", "--out", tmp.resolve("c").toString()));
        Files.createDirectories(tmp.resolve("exists"));
        assertEquals(1, Main.run("prune", "--model", STORIES.toString(), "--method", "magnitude", "--out",
                tmp.resolve("exists").toString()));
        Path empty = tmp.resolve("empty.jsonl");
        Files.writeString(empty, "");
        assertEquals(1, Main.run("prune", "--model", STORIES.toString(), "--method", "nowag-p", "--calib", empty.toString(),
                "--seq", "64", "--out", tmp.resolve("d").toString()));
        assertFalse(Files.exists(tmp.resolve("d")));
        assertEquals(2, Main.run("bench-armor", "--cols", "6"));
    }

    /** Recovery's bad usage: a dense folder as the pruned model, --recover without --windows; nothing written. */
    @Test
    void recoverRefusesDenseModelsAndMissingWindows(@TempDir Path tmp) throws Exception {
        Path text = STORIES.resolveSibling("../data/tinystories/tinystories_sample.txt").normalize();
        assertEquals(2, Main.run("recover", "--model", STORIES.toString(), "--teacher", STORIES.toString(), "--calib",
                text.toString(), "--out", tmp.resolve("r").toString()));
        assertEquals(2, Main.run("prune", "--model", STORIES.toString(), "--method", "magnitude", "--calib",
                text.toString(), "--recover", "--out", tmp.resolve("p").toString()));
        assertEquals(2, Main.run("recover", "--model", STORIES.toString(), "--teacher", STORIES.toString(), "--calib",
                text.toString(), "--recover-lr", "-1", "--out", tmp.resolve("q").toString()));
        assertFalse(Files.exists(tmp.resolve("r")));
        assertFalse(Files.exists(tmp.resolve("p")));
        assertFalse(Files.exists(tmp.resolve("q")));
    }

    @Test
    void benchArmorReportsIterationsPerSecond() {
        String out = captureOut(() -> assertEquals(0, Main.run("bench-armor", "--rows", "256", "--cols", "256", "--block",
                "64", "--warmup", "1", "--iters", "3")));
        assertTrue(out.matches("(?s)256×256 b=64 threads=2: [0-9.]+ it/s.*"), out);
    }
}
