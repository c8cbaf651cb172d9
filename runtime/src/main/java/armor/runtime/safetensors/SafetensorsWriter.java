package armor.runtime.safetensors;

import armor.runtime.tensor.Tensor;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Collection;
import java.util.Map;

/**
 * Writes a {@code .safetensors} file atomically: into a temporary file beside the target, then renamed over it, so
 * a crash never leaves a half-written file under the final name. The header is padded with spaces to a multiple of 8
 * bytes (as the reference writer does) so that tensor data stays aligned.
 */
public final class SafetensorsWriter {
    private SafetensorsWriter() {}

    public static void write(Path target, Collection<Tensor> tensors, Map<String, String> metadata) {
        ObjectMapper json = new ObjectMapper();
        ObjectNode header = json.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Tensor t : tensors) {
            long bytes = t.data().byteSize();
            if (bytes != t.elementCount() * t.dtype().bytes()) {
                throw new IllegalArgumentException("tensor " + t.name() + ": " + bytes + " bytes for shape "
                        + t.shapeString() + " of " + t.dtype() + ", expected " + t.elementCount() * t.dtype().bytes());
            }
            if (header.has(t.name())) throw new IllegalArgumentException("tensor " + t.name() + " given twice");
            ObjectNode e = header.putObject(t.name());
            e.put("dtype", t.dtype().name());
            ArrayNode shape = e.putArray("shape");
            for (long d : t.shape()) shape.add(d);
            e.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] text;
        try {
            text = json.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int padded = (text.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(text);
        while (head.hasRemaining()) head.put((byte) ' ');
        head.flip();

        Path dir = target.toAbsolutePath().getParent();
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                while (head.hasRemaining()) ch.write(head);
                // Copy through a byte[] buffer: heap segments over float[]/short[] cannot be viewed as ByteBuffers.
                byte[] chunk = new byte[1 << 20];
                MemorySegment chunkSeg = MemorySegment.ofArray(chunk);
                for (Tensor t : tensors) {
                    long size = t.data().byteSize();
                    for (long pos = 0; pos < size; pos += chunk.length) {
                        int n = (int) Math.min(chunk.length, size - pos);
                        MemorySegment.copy(t.data(), pos, chunkSeg, 0, n);
                        ByteBuffer src = ByteBuffer.wrap(chunk, 0, n);
                        while (src.hasRemaining()) ch.write(src);
                    }
                }
                ch.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the original error is the one worth reporting
                }
            }
            throw new UncheckedIOException(target + ": cannot write: " + e.getMessage(), e);
        }
    }
}
