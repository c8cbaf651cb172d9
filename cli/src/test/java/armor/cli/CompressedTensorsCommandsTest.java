package armor.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** compressed-tensors 2:4 folders through the commands: generate, inspect, export, --sparse, and their errors. */
class CompressedTensorsCommandsTest {
    static final Path SHARED = Path.of(System.getProperty("armor.shared", "../shared"));
    static final Path BITMASK = SHARED.resolve("models/stories260K-2of4-ct-bitmask");
    static final Path DENSE = SHARED.resolve("models/stories260K-2of4-ct-dense");

    static String greedyText() throws Exception {
        JsonNode f = new ObjectMapper().readTree(SHARED.resolve("fixtures/stories260K-2of4-ct-reference.json").toFile());
        JsonNode c = f.get("cases").get(0);
        assertEquals("Once upon a time", c.get("prompt").asText());
        return c.get("greedy_text").asText();
    }

    @Test
    void generateGivesTransformersGreedyTextAndSaysWhatRunsSparse() throws Exception {
        String expected = greedyText();
        for (Path dir : new Path[] {BITMASK, DENSE}) {
            for (String mode : new String[] {"auto", "off"}) {
                RuntimeCommandsTest.Run r = RuntimeCommandsTest.run("generate", "--model", dir.toString(), "--prompt",
                        "Once upon a time", "--temperature", "0", "--max-tokens", "24", "--ignore-eos", "--sparse", mode);
                assertEquals(0, r.exit(), r.err());
                assertEquals(expected + "\n", r.out(), dir + " --sparse " + mode);
                String format = dir == BITMASK ? "compressed-tensors sparse-24-bitmask 2:4" : "compressed-tensors dense 2:4";
                assertTrue(r.err().contains("armor: " + dir + ": " + format + (mode.equals("auto")
                        ? ": 35 of 35 projections run as 2:4\n" : " (--sparse off): 0 of 35 projections run sparse; dense: all (--sparse off)\n")), r.err());
            }
        }
    }

    @Test
    void inspectShowsTheSparsity() {
        RuntimeCommandsTest.Run r = RuntimeCommandsTest.run("inspect", "--model", BITMASK.toString(), "--no-tensors");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("sparsity      compressed-tensors sparse-24-bitmask 2:4: 35 of 35 projections run as 2:4\n"), r.out());
    }

    @Test
    void exportToCompressedTensorsAndBack(@TempDir Path tmp) throws Exception {
        Path native24 = tmp.resolve("n"), ct = tmp.resolve("ct"), dense = tmp.resolve("d");
        assertEquals(0, Main.run("convert", "--model", SHARED.resolve("models/stories260K-hf").toString(), "--output", native24.toString()));
        RuntimeCommandsTest.Run r = RuntimeCommandsTest.run("export", "--format", "compressed-tensors", "--model", native24.toString(), "--output", ct.toString());
        assertEquals(0, r.exit(), r.err());
        assertEquals("wrote " + ct + ": 35 2:4 linears as compressed-tensors sparse-24-bitmask\n", r.out());
        JsonNode q = new ObjectMapper().readTree(ct.resolve("config.json").toFile()).get("quantization_config");
        assertEquals("sparse-24-bitmask", q.get("sparsity_config").get("format").asText());
        assertEquals(0, Main.run("export", "--dense", "--model", ct.toString(), "--output", dense.toString()));
        assertFalse(new ObjectMapper().readTree(dense.resolve("config.json").toFile()).has("quantization_config"));
        // the same greedy text from all three
        String[] outs = new String[3];
        Path[] dirs = {native24, ct, dense};
        for (int i = 0; i < 3; i++) {
            RuntimeCommandsTest.Run g = RuntimeCommandsTest.run("generate", "--model", dirs[i].toString(), "--prompt",
                    "Once upon a time", "--temperature", "0", "--max-tokens", "30");
            assertEquals(0, g.exit(), g.err());
            outs[i] = g.out();
        }
        assertEquals(outs[0], outs[1]);
        assertEquals(outs[0], outs[2]);
    }

    @Test
    void usageErrorsAndRefusals(@TempDir Path tmp) throws Exception {
        RuntimeCommandsTest.Run r = RuntimeCommandsTest.run("generate", "--model", BITMASK.toString(), "--prompt", "x", "--sparse", "on");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("'on' is not auto or off"), r.err());
        assertEquals(2, RuntimeCommandsTest.run("export", "--model", BITMASK.toString(), "--output", tmp.resolve("a").toString()).exit());
        assertEquals(2, RuntimeCommandsTest.run("export", "--format", "gguf", "--model", BITMASK.toString(), "--output", tmp.resolve("a").toString()).exit());
        assertEquals(2, RuntimeCommandsTest.run("export", "--dense", "--format", "compressed-tensors", "--model", BITMASK.toString(),
                "--output", tmp.resolve("a").toString()).exit());
        // a dense model has no 2:4 linear to export
        RuntimeCommandsTest.Run d = RuntimeCommandsTest.run("export", "--format", "compressed-tensors", "--model",
                SHARED.resolve("models/stories260K-hf").toString(), "--output", tmp.resolve("b").toString());
        assertEquals(1, d.exit());
        assertEquals(1, d.err().strip().lines().count(), d.err());
        assertTrue(d.err().contains("no 2:4 linear found"), d.err());
        assertFalse(Files.exists(tmp.resolve("b")));
    }
}
