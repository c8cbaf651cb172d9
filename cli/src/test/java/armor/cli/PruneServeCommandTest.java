package armor.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/** {@code prune-serve --no-serve}: prunes, writes the checkpoint, and prints a before/after table that makes sense. */
class PruneServeCommandTest {
    static final Path SHARED = Path.of(System.getProperty("armor.shared", "../shared"));
    static final Path STORIES = SHARED.resolve("models/stories260K-hf");
    static final Path TEXT = SHARED.resolve("data/tinystories/tinystories.txt");

    static double[] row(String out, String label) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(label) + ".*?\\s(\\d+(?:\\.\\d+)?)\\s+(\\d+(?:\\.\\d+)?)\\s+[-+]")
                .matcher(out);
        assertTrue(m.find(), "no row '" + label + "' in\n" + out);
        return new double[] {Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2))};
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
