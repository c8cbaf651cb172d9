package armor.tokenizer;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/** Paths into ../shared (models, data, fixtures); tests that need a missing file are skipped, not failed. */
final class SharedData {
    private SharedData() {}

    static Path shared() {
        return Path.of(System.getProperty("armor.shared", "../shared"));
    }

    static Path require(String relative) {
        Path p = shared().resolve(relative);
        Assumptions.assumeTrue(Files.exists(p), "shared data missing: " + p);
        return p;
    }

    static Path model(String name) {
        return require("models/" + name);
    }
}
