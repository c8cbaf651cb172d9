package armor.bench;

import armor.runtime.config.ConfigReader;
import armor.runtime.config.ModelConfig;
import armor.runtime.tensor.DType;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Locale;

/**
 * Real model shapes for benchmarks on random weights: each preset is the model's published Hugging Face
 * {@code config.json} (kept as a resource), parsed by the runtime's own config reader.
 */
public final class ModelPresets {
    public static final List<String> NAMES = List.of("llama-3.2-1b", "qwen2.5-0.5b", "qwen2.5-1.5b", "llama-2-7b");

    private ModelPresets() {}

    /** The weight dtype of a random-weight model, as the benchmark commands take it: bf16, f16 or f32. */
    public static DType weightDType(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "bf16" -> DType.BF16;
            case "f16" -> DType.F16;
            case "f32" -> DType.F32;
            default -> throw new IllegalArgumentException("--dtype " + name + ", expected bf16, f16 or f32");
        };
    }

    public static ModelConfig config(String name) {
        if (!NAMES.contains(name))
            throw new IllegalArgumentException("--preset " + name + ", expected one of " + String.join(", ", NAMES));
        String resource = "presets/" + name + ".json";
        try (InputStream in = ModelPresets.class.getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException("missing resource armor/bench/" + resource);
            return ConfigReader.parse(name + " preset config.json", new ObjectMapper().readTree(in));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
