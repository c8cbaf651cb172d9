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

    private static final java.util.Map<String, Tokenizer> LOADED = new java.util.concurrent.ConcurrentHashMap<>();

    /** The tokenizer of a shared model folder, loaded once per test run (the big ones take a second). */
    static Tokenizer tokenizer(String modelName) {
        Path dir = model(modelName);
        return LOADED.computeIfAbsent(modelName, k -> {
            try {
                return Tokenizer.load(dir);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }
}
