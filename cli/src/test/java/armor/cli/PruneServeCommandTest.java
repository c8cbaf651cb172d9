package armor.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/** {@code prune-serve --no-serve}: prunes, writes the checkpoint, and prints a before/after table that makes sense. */
class PruneServeCommandTest {
    static final Path SHARED = Path.of(System.getProperty("armor.shared", "../shared"));
    static final Path STORIES = SHARED.resolve("models/stories260K-hf");
    static final Path TEXT = SHARED.resolve("data/tinystories/tinystories.txt");

    /** The values of a table row, one per column (the "(+x%)" changes after them are checked against them). */
    static double[] row(String out, String label) {
        String line = out.lines().filter(l -> l.startsWith(label)).findFirst()
                .orElseThrow(() -> new AssertionError("no row '" + label + "' in\n" + out));
        Matcher m = Pattern.compile("\\s(\\d+(?:\\.\\d+)?)(?: \\(([-+]\\d+\\.\\d)%\\))?").matcher(line.substring(label.length()));
        List<Double> values = new ArrayList<>();
        double baseRounding = 0;
        while (m.find()) {
            double v = Double.parseDouble(m.group(1));
            // the printed values are rounded: half a unit of their last digit, carried into the ratio
            int dot = m.group(1).indexOf('.');
            double rounding = 0.5 * Math.pow(10, dot < 0 ? 0 : -(m.group(1).length() - dot - 1));
            if (values.isEmpty()) {
                assertNull(m.group(2), line);
                baseRounding = rounding;
            } else {
                double base = values.get(0);
                double tolerance = 0.05 + 100 * (v / base) * (rounding / v + baseRounding / base) + 1e-9;
                assertEquals(100 * (v / base - 1), Double.parseDouble(m.group(2)), tolerance, line);
            }
            values.add(v);
        }
        return values.stream().mapToDouble(Double::doubleValue).toArray();
    }

    static String captureErr(Runnable r) {
        PrintStream old = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            r.run();
        } finally {
            System.setErr(old);
        }
        return buf.toString(StandardCharsets.UTF_8);
    }

    @Test
    void prunesComparesAndReusesTheCheckpoint(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("s-2of4");
        String[] args = {"prune-serve", "--model", STORIES.toString(), "--method", "magnitude", "--calib", TEXT.toString(),
                "--seq", "128", "--heldout", "2", "--out", out.toString(), "--no-serve"};
        Object[] r = ServeCommandsTest.run(args);
        assertEquals(0, r[0]);
        String table = (String) r[1];
        double[] ppl = row(table, "perplexity (2 held-out windows of 128)");
        double[] bytes = row(table, "weight bytes read per token");
        assertEquals(2, ppl.length, "magnitude is the method: no separate magnitude column\n" + table);
        assertTrue(ppl[0] > 2 && ppl[0] < 20, "dense perplexity of stories260K on TinyStories: " + ppl[0]);
        assertTrue(ppl[1] > ppl[0], "2:4 magnitude pruning without calibration costs perplexity: " + table);
        // 2:4 keeps half the projection weights at 2 bytes + 4 bits per group: fewer bytes than dense.
        assertTrue(bytes[1] < bytes[0], table);
        assertTrue(table.contains("2:4"), table);
        var cfg = new ObjectMapper().readTree(out.resolve("config.json").toFile());
        assertEquals("magnitude", cfg.get("sparsity_config").get("method").asText());

        // A second run finds the checkpoint and does not prune again; the table is the same.
        long written = Files.getLastModifiedTime(out.resolve("config.json")).toMillis();
        Object[] again = ServeCommandsTest.run(args);
        assertEquals(0, again[0]);
        assertEquals(written, Files.getLastModifiedTime(out.resolve("config.json")).toMillis());
        assertArrayEquals(ppl, row((String) again[1], "perplexity (2 held-out windows of 128)"), 1e-9);

        // Asking for another method on the same folder is refused rather than serving the wrong model.
        String[] other = args.clone();
        other[4] = "wanda";
        assertEquals(1, ServeCommandsTest.run(other)[0]);
    }

    /**
     * The default --block auto on stories260K (dims 64, 32, 172): b=4, said on stderr and written to the checkpoint;
     * the table puts dense, magnitude 2:4 and ARMOR side by side.
     */
    @Test
    void armorWithTheAutomaticBlockIsComparedWithDenseAndMagnitude(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("a-2of4");
        Object[][] r = new Object[1][];
        String err = captureErr(() -> r[0] = ServeCommandsTest.run("prune-serve", "--model", STORIES.toString(),
                "--calib", TEXT.toString(), "--seq", "64", "--samples", "2", "--heldout", "2", "--iters", "20",
                "--out", out.toString(), "--no-serve"));
        assertEquals(0, r[0][0], err);
        String table = (String) r[0][1];
        assertTrue(err.contains("armor: --block auto: b=4 (dimension→block: 64→4, 32→4, 172→4); A' and B' add "
                + "10.20 % to the pruned projections' parameters (no b keeps them within 10 %; 4 is the smallest block)"), err);
        assertFalse(err.contains("warning: A and B add"), "no smaller block exists, so no advice to take one: " + err);
        var cfg = new ObjectMapper().readTree(out.resolve("config.json").toFile());
        assertEquals(4, cfg.get("sparsity_config").get("block_size").asInt());
        String header = table.lines().filter(l -> l.contains("dense") && l.contains("magnitude 2:4")).findFirst().orElseThrow();
        assertTrue(header.strip().matches("dense\\s+magnitude 2:4\\s+armor 2:4 \\(b=4\\)"), header);
        assertTrue(table.lines().anyMatch(l -> l.matches("projection kinds\\s+dense\\s+2:4\\s+armor")), table);
        double[] ppl = row(table, "perplexity (2 held-out windows of 64)");
        double[] bytes = row(table, "weight bytes read per token");
        assertEquals(3, ppl.length, table);
        assertTrue(ppl[1] > ppl[0], "magnitude 2:4 loses perplexity: " + table);
        // same 2:4 cores in both pruned models; ARMOR adds A' and B' (10.2 % of the projections' parameters)
        assertTrue(bytes[1] < bytes[0] && bytes[2] > bytes[1] && bytes[2] < bytes[0], table);
        // stories260K decodes a token in a fraction of a millisecond: no number in the speed row for dense (the
        // pruned columns, whose best round a loaded machine may push past 1 ms, may also say "too noisy to time")
        String speed = table.lines().filter(l -> l.startsWith("decode tokens/s (batch 1)")).findFirst().orElseThrow();
        assertTrue(speed.matches("decode tokens/s \\(batch 1\\)\\s+too small to time(\\s+(too small to time|too noisy to time|\\d+\\.\\d( \\([-+]\\d+\\.\\d%\\))?)){2}"), speed);
        assertTrue(err.contains("armor: dense: decode ") && err.contains("in the best round: under 1 ms a token, too small to time"), err);
    }

    @Test
    void quantizeInt8WritesAnInt8CheckpointAndTheTableSaysSo(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("s-2of4-int8");
        String[] args = {"prune-serve", "--model", STORIES.toString(), "--method", "magnitude", "--calib", TEXT.toString(),
                "--seq", "128", "--heldout", "2", "--out", out.toString(), "--no-serve", "--quantize", "int8"};
        Object[] r = ServeCommandsTest.run(args);
        assertEquals(0, r[0]);
        String table = (String) r[1];
        assertTrue(table.contains("magnitude 2:4 int8"), table);
        double[] bytes = row(table, "weight bytes read per token");
        // int8 values (0.5 B/weight) + positions (0.125) + row scales against 4-byte float32 weights
        assertTrue(bytes[1] < 0.25 * bytes[0], table);
        var cfg = new ObjectMapper().readTree(out.resolve("config.json").toFile());
        assertEquals("int-quantized", cfg.get("quantization_config").get("format").asText());
        assertEquals("magnitude", cfg.get("sparsity_config").get("method").asText());

        // the same folder without --quantize is another model: refused rather than served
        String[] plain = java.util.Arrays.copyOf(args, args.length - 2);
        assertEquals(1, ServeCommandsTest.run(plain)[0]);
    }

    /** --recover adds the recovered model as a column, better than the pruned one, and reuses it on a rerun. */
    @Test
    void recoverAddsTheRecoveredModelAsAColumn(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("m");
        String[] args = {"prune-serve", "--model", STORIES.toString(), "--method", "magnitude", "--calib", TEXT.toString(),
                "--seq", "128", "--samples", "8", "--heldout", "2", "--out", out.toString(), "--no-serve", "--recover",
                "--recover-steps", "16", "--recover-batch", "2", "--teacher-sequences", "4"};
        Object[] r = ServeCommandsTest.run(args);
        assertEquals(0, r[0]);
        String table = (String) r[1];
        assertTrue(table.contains("magnitude 2:4 + recovery"), table);
        double[] ppl = row(table, "perplexity (2 held-out windows of 128)");
        assertEquals(3, ppl.length, table);
        assertTrue(ppl[2] < ppl[1], "recovery lowers the held-out perplexity: " + table);
        double[] bytes = row(table, "weight bytes read per token");
        assertEquals(bytes[1], bytes[2], table); // still exactly 2:4
        assertTrue(Files.isRegularFile(tmp.resolve("m-recovered/recovery-loss.png")));
        String again = captureErr(() -> assertEquals(0, ServeCommandsTest.run(args)[0]));
        assertTrue(again.contains("already holds the recovered model"), again);
        assertEquals(2, ServeCommandsTest.run("prune-serve", "--model", STORIES.toString(), "--calib", TEXT.toString(),
                "--no-serve", "--out", tmp.resolve("q").toString(), "--recover", "--quantize", "int8")[0]);
    }

    @Test
    void usageErrors(@TempDir Path tmp) {
        assertEquals(2, ServeCommandsTest.run("prune-serve", "--model", STORIES.toString(), "--calib", TEXT.toString(),
                "--heldout", "0", "--no-serve")[0]);
        assertEquals(2, ServeCommandsTest.run("prune-serve", "--model", STORIES.toString(), "--calib", TEXT.toString(),
                "--method", "nonsense", "--no-serve", "--out", tmp.resolve("x").toString())[0]);
        assertEquals(1, ServeCommandsTest.run("prune-serve", "--model", STORIES.toString(), "--calib",
                tmp.resolve("missing.txt").toString(), "--no-serve", "--out", tmp.resolve("y").toString())[0]);
        assertEquals(2, ServeCommandsTest.run("prune-serve", "--model", STORIES.toString(), "--calib", TEXT.toString(),
                "--no-serve", "--out", tmp.resolve("z").toString(), "--quantize", "int8", "--group-size", "32")[0]);
        assertFalse(Files.exists(tmp.resolve("z")));
    }
}
