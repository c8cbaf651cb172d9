package armor.runtime.safetensors;

import armor.runtime.tensor.Tensor;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The weights of a Hugging Face model folder: {@code model.safetensors}, or the shards listed in
 * {@code model.safetensors.index.json} ({@code weight_map: tensor name -> shard file}). All files are memory-mapped
 * into one shared arena, released by {@link #close()}.
 */
public final class CheckpointWeights extends TensorMapWeights implements AutoCloseable {
    public static final String SINGLE = "model.safetensors";
    public static final String INDEX = "model.safetensors.index.json";

    private final Path dir;
    private final Arena arena;

    private CheckpointWeights(Path dir, Arena arena, Map<String, Tensor> tensors) {
        super(tensors);
        this.dir = dir;
        this.arena = arena;
    }

    public static CheckpointWeights open(Path dir) {
        Path index = dir.resolve(INDEX);
        Path single = dir.resolve(SINGLE);
        Arena arena = Arena.ofShared();
        try {
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            if (Files.isRegularFile(index)) {
                readSharded(index, arena, tensors);
            } else if (Files.isRegularFile(single)) {
                tensors.putAll(SafetensorsFile.open(single, arena).tensors());
            } else {
                throw new CheckpointException(dir + ": no " + SINGLE + " or " + INDEX
                        + " found, expected a Hugging Face model folder with safetensors weights");
            }
            return new CheckpointWeights(dir, arena, Collections.unmodifiableMap(tensors));
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static void readSharded(Path index, Arena arena, Map<String, Tensor> out) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(index.toFile());
        } catch (IOException e) {
            throw new CheckpointException(index + ": not valid JSON: "
                    + e.getMessage().lines().findFirst().orElse(""));
        }
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject()) {
            throw new CheckpointException(index + ": missing field weight_map (object of tensor name -> file)");
        }
        Map<String, SafetensorsFile> shards = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String file = e.getValue().asText();
            if (file.contains("/") || file.contains("\\") || file.isEmpty()) {
                throw new CheckpointException(index + ": weight_map." + e.getKey() + " = \"" + file
                        + "\", expected a file name in the same folder");
            }
            SafetensorsFile shard = shards.computeIfAbsent(file,
                    f -> SafetensorsFile.open(index.resolveSibling(f), arena));
            if (!shard.has(e.getKey())) {
                throw new CheckpointException(shard.path() + ": missing tensor " + e.getKey()
                        + " (listed in " + index.getFileName() + ")");
            }
            out.put(e.getKey(), shard.tensor(e.getKey()));
        }
    }




    @Override
    public String origin() {
        return dir.toString();
    }

    @Override
    public void close() {
        arena.close();
    }
}
