package armor.runtime.safetensors;

import armor.runtime.tensor.DType;
import armor.runtime.tensor.Tensor;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One memory-mapped {@code .safetensors} file: an 8-byte little-endian header length, a JSON header
 * ({@code name -> {dtype, shape, data_offsets}}), then the tensor bytes. Every entry is validated when the file is
 * opened (dtype known, offsets inside the data, byte count = elements × dtype size), so later reads cannot run off
 * the mapping. Tensors are views of the mapping: nothing is copied.
 */
public final class SafetensorsFile extends TensorMapWeights {
    /** Headers beyond this are not plausible (the format's own reader caps them at 100 MB). */
    private static final long MAX_HEADER = 100L << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path path;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path path, Map<String, Tensor> tensors, Map<String, String> metadata) {
        super(tensors);
        this.path = path;
        this.metadata = metadata;
    }

    /** Maps {@code path} into {@code arena} (the mapping lives as long as the arena). */
    public static SafetensorsFile open(Path path, Arena arena) {
        MemorySegment file;
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw new CheckpointException(path + ": truncated safetensors file: " + size
                        + " bytes, expected at least 8 (the header length)");
            }
            file = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
        } catch (NoSuchFileException e) {
            throw new CheckpointException(path + ": file not found");
        } catch (IOException e) {
            throw new CheckpointException(path + ": cannot read: " + e.getMessage(), e);
        }
        return parse(path, file);
    }

    static SafetensorsFile parse(Path path, MemorySegment file) {
        long size = file.byteSize();
        long headerLen = file.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), 0);
        if (headerLen <= 0 || headerLen > MAX_HEADER || 8 + headerLen > size) {
            throw new CheckpointException(path + ": corrupt safetensors header length " + headerLen
                    + ", expected 1.." + Math.min(MAX_HEADER, size - 8) + " (file is " + size + " bytes)");
        }
        byte[] headerBytes = file.asSlice(8, headerLen).toArray(ValueLayout.JAVA_BYTE);
        JsonNode header;
        try {
            header = JSON.readTree(new String(headerBytes, StandardCharsets.UTF_8).trim());
        } catch (IOException e) {
            throw new CheckpointException(path + ": safetensors header is not valid JSON: "
                    + String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
        }
        if (header == null || !header.isObject()) {
            throw new CheckpointException(path + ": safetensors header is not a JSON object");
        }
        long dataStart = 8 + headerLen;
        long dataSize = size - dataStart;
        MemorySegment data = file.asSlice(dataStart, dataSize);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            JsonNode entry = e.getValue();
            if (name.equals("__metadata__")) {
                entry.fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
                continue;
            }
            tensors.put(name, parseEntry(path, name, entry, data));
        }
        return new SafetensorsFile(path, tensors, metadata);
    }

    private static Tensor parseEntry(Path path, String name, JsonNode entry, MemorySegment data) {
        String where = path + ": tensor " + name;
        if (!entry.isObject()) throw new CheckpointException(where + ": header entry is not an object");
        JsonNode dt = entry.get("dtype");
        if (dt == null || !dt.isTextual()) throw new CheckpointException(where + ": missing field dtype");
        DType dtype;
        try {
            dtype = DType.valueOf(dt.asText());
        } catch (IllegalArgumentException ex) {
            throw new CheckpointException(where + ": unsupported dtype " + dt.asText()
                    + ", expected one of F32, F16, BF16, F8_E4M3 (or an integer type)");
        }
        JsonNode sh = entry.get("shape");
        if (sh == null || !sh.isArray()) throw new CheckpointException(where + ": missing field shape");
        long[] shape = new long[sh.size()];
        long count = 1;
        for (int i = 0; i < shape.length; i++) {
            if (!sh.get(i).canConvertToLong() || sh.get(i).asLong() < 0) {
                throw new CheckpointException(where + ": shape " + sh + " has a non-integer or negative dimension");
            }
            shape[i] = sh.get(i).asLong();
            count = Math.multiplyExact(count, shape[i]);
        }
        JsonNode off = entry.get("data_offsets");
        if (off == null || !off.isArray() || off.size() != 2 || !off.get(0).canConvertToLong()
                || !off.get(1).canConvertToLong()) {
            throw new CheckpointException(where + ": data_offsets " + off + ", expected [begin, end]");
        }
        long begin = off.get(0).asLong(), end = off.get(1).asLong();
        if (begin < 0 || end < begin || end > data.byteSize()) {
            throw new CheckpointException(where + ": data_offsets [" + begin + ", " + end
                    + "] outside the data section of " + data.byteSize() + " bytes (truncated file?)");
        }
        long expected = count * dtype.bytes();
        if (end - begin != expected) {
            throw new CheckpointException(where + ": " + (end - begin) + " bytes for shape " + sh + " of "
                    + dtype + ", expected " + expected);
        }
        return new Tensor(name, dtype, shape, data.asSlice(begin, end - begin));
    }

    public Path path() {
        return path;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    public Map<String, Tensor> tensors() {
        return tensors;
    }




    @Override
    public String origin() {
        return path.toString();
    }
}
