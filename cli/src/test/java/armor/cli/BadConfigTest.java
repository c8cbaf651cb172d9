package armor.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Issue 19's bad configs, each in a copy of stories260K-hf whose config.json has one field changed: {@code generate}
 * must refuse them with exit 1 and one line naming the file, the field and what was expected, instead of printing
 * empty text or garbage with exit 0.
 */
class BadConfigTest {
    static final Path STORIES = Path.of(RuntimeCommandsTest.STORIES);

    @TempDir
    Path tmp;

    /** stories260K-hf with its config.json text's {@code from} replaced by {@code to} (the weights linked, not copied). */
    Path variant(String name, String from, String to) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(name));
        try (var files = Files.list(STORIES)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                if (!f.getFileName().toString().equals("config.json")) {
                    Files.createSymbolicLink(dir.resolve(f.getFileName()), f.toAbsolutePath());
                }
            }
        }
        String config = Files.readString(STORIES.resolve("config.json"));
        assertTrue(config.contains(from), from);
        Files.writeString(dir.resolve("config.json"), config.replace(from, to));
        return dir;
    }

    String refused(Path model) {
        RuntimeCommandsTest.Run r = RuntimeCommandsTest.run("generate", "--model", model.toString(), "--prompt",
                "Once upon a time", "--temperature", "0", "--max-tokens", "8");
        assertEquals(1, r.exit(), "exit code; stdout: " + r.out() + "; stderr: " + r.err());
        String err = r.err().strip();
        assertEquals(1, err.lines().count(), "one line: " + err);
        assertTrue(err.contains(model.resolve("config.json").toString()) || err.contains(model.toString()), err);
        assertFalse(err.contains("Jackson") || err.contains("JsonReadFeature") || err.contains("enable"), err);
        return err;
    }

    @Test
    void rmsNormEpsAsAStringIsRefused() throws IOException {
        String err = refused(variant("eps-string", "\"rms_norm_eps\": 1e-05", "\"rms_norm_eps\": \"NaN\""));
        assertTrue(err.contains("rms_norm_eps") && err.contains("expected a finite number"), err);
    }

    @Test
    void negativeRmsNormEpsIsRefused() throws IOException {
        String err = refused(variant("eps-negative", "\"rms_norm_eps\": 1e-05", "\"rms_norm_eps\": -1.0"));
        assertTrue(err.contains("rms_norm_eps") && err.contains("expected a finite positive number"), err);
    }

    @Test
    void aBareNanLiteralIsRefusedInOurWords() throws IOException {
        String err = refused(variant("eps-nan", "\"rms_norm_eps\": 1e-05", "\"rms_norm_eps\": NaN"));
        assertTrue(err.contains("not valid JSON at line ") && err.contains("'NaN'"), err);
    }

    @Test
    void fewerLayersInTheConfigThanInTheCheckpointAreRefused() throws IOException {
        String err = refused(variant("layers", "\"num_hidden_layers\": 5", "\"num_hidden_layers\": 4"));
        assertTrue(err.contains("num_hidden_layers is 4") && err.contains("holds 5 decoder layers"), err);
    }

    @Test
    void aBooleanGivenAsAStringIsRefused() throws IOException {
        String err = refused(variant("tie", "\"tie_word_embeddings\": true", "\"tie_word_embeddings\": \"false\""));
        assertTrue(err.contains("tie_word_embeddings") && err.contains("expected true or false"), err);
    }
}
