package armor.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class ConvertExportCommandTest {
    static final Path STORIES = Path.of(System.getProperty("armor.shared", "../shared")).resolve("models/stories260K-hf");

    @Test
    void convertThenExportProducesLoadableFolders(@TempDir Path tmp) throws Exception {
        Path sparse = tmp.resolve("s"), dense = tmp.resolve("d");
        assertEquals(0, Main.run("convert", "--model", STORIES.toString(), "--output", sparse.toString(), "--include", "mlp\\."));
        var cfg = new ObjectMapper().readTree(sparse.resolve("config.json").toFile());
        assertEquals("magnitude", cfg.get("sparsity_config").get("method").asText());
        assertEquals(0, Main.run("export", "--dense", "--model", sparse.toString(), "--output", dense.toString()));
        assertTrue(Files.isRegularFile(dense.resolve("model.safetensors")));
        assertFalse(new ObjectMapper().readTree(dense.resolve("config.json").toFile()).has("sparsity_config"));
        assertEquals(0, Main.run("inspect", "--model", sparse.toString(), "--no-tensors"));
    }

    @Test
    void badUsageAndBadInputExitCodes(@TempDir Path tmp) throws Exception {
        assertEquals(2, Main.run("convert", "--model", STORIES.toString(), "--output", tmp.resolve("x").toString(), "--format", "armor"));
        assertEquals(2, Main.run("convert", "--model", STORIES.toString(), "--output", tmp.resolve("x").toString(), "--include", "(("));
        assertEquals(1, Main.run("convert", "--model", tmp.resolve("missing").toString(), "--output", tmp.resolve("y").toString()));
        assertEquals(1, Main.run("export", "--dense", "--model", STORIES.toString(), "--output", tmp.resolve("z").toString())); // dense: nothing to export
    }
}
