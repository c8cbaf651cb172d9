package armor.runtime.safetensors;

import armor.runtime.tensor.DType;
import armor.runtime.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafetensorsTest {
    @TempDir
    Path dir;

    /** A safetensors file assembled by hand from the format description: header length, JSON, bytes. */
    static byte[] fileBytes(String headerJson, byte[] data) {
        byte[] h = headerJson.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(data);
        return b.array();
    }

    Path write(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    @Test
    void readsHandMadeFile() throws IOException {
        ByteBuffer data = ByteBuffer.allocate(16 + 4).order(ByteOrder.LITTLE_ENDIAN);
        data.putFloat(1.5f).putFloat(-2f).putFloat(3.25f).putFloat(0f); // F32 [2,2]
        data.putShort((short) 0x3F80).putShort((short) 0xC000);          // BF16 [2] = 1, -2
        Path p = write("a.safetensors", fileBytes("{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
                + "\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[16,20]}}", data.array()));
        try (Arena arena = Arena.ofConfined()) {
            SafetensorsFile f = SafetensorsFile.open(p, arena);
            assertEquals("pt", f.metadata().get("format"));
            Tensor w = f.tensor("w");
            assertEquals(DType.F32, w.dtype());
            assertArrayEquals(new long[]{2, 2}, w.shape());
            assertEquals(3.25f, w.data().get(ValueLayout.JAVA_FLOAT_UNALIGNED, 8));
            Tensor b = f.tensor("b");
            assertEquals(DType.BF16, b.dtype());
            assertEquals((short) 0xC000, b.data().get(ValueLayout.JAVA_SHORT_UNALIGNED, 2));
        }
    }

    @Test
    void writerRoundTripsAndLeavesNoTemporaryFile() {
        float[] values = {1f, -0.5f, 3e-3f, 65504f, -7f, 0.25f};
        Tensor f32 = new Tensor("layer.weight", DType.F32, new long[]{2, 3}, MemorySegment.ofArray(values));
        short[] halves = {0x3C00, (short) 0xC000};
        Tensor f16 = new Tensor("h", DType.F16, new long[]{2}, MemorySegment.ofArray(halves));
        long[] longs = {7L, -1L};
        Tensor i64 = new Tensor("ids", DType.I64, new long[]{2}, MemorySegment.ofArray(longs));
        Path p = dir.resolve("out/model.safetensors");
        SafetensorsWriter.write(p, List.of(f32, f16, i64), Map.of("format", "pt"));
        try (var files = Files.list(p.getParent())) {
            assertEquals(List.of(p), files.toList());
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
        try (Arena arena = Arena.ofConfined()) {
            SafetensorsFile f = SafetensorsFile.open(p, arena);
            assertEquals(3, f.names().size());
            float[] back = f.tensor("layer.weight").data().toArray(ValueLayout.JAVA_FLOAT_UNALIGNED);
            assertArrayEquals(values, back);
            assertArrayEquals(halves, f.tensor("h").data().toArray(ValueLayout.JAVA_SHORT_UNALIGNED));
            assertArrayEquals(longs, f.tensor("ids").data().toArray(ValueLayout.JAVA_LONG_UNALIGNED));
            assertEquals("pt", f.metadata().get("format"));
            // data starts 8-byte aligned, as the reference writer guarantees
            long headerLen = MemorySegment.ofArray(readAll(p)).get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
            assertEquals(0, headerLen % 8);
        }
    }

    static byte[] readAll(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    String error(Path p) {
        try (Arena arena = Arena.ofConfined()) {
            return assertThrows(CheckpointException.class, () -> SafetensorsFile.open(p, arena)).getMessage();
        }
    }

    @Test
    void missingFile() {
        String m = error(dir.resolve("nope.safetensors"));
        assertTrue(m.contains("nope.safetensors") && m.contains("not found"), m);
    }

    @Test
    void truncatedBeforeHeaderLength() throws IOException {
        String m = error(write("t.safetensors", new byte[]{1, 2, 3}));
        assertTrue(m.contains("t.safetensors") && m.contains("truncated") && m.contains("3 bytes"), m);
    }

    @Test
    void headerLengthBeyondFile() throws IOException {
        byte[] b = fileBytes("{}", new byte[0]);
        b[0] = (byte) 200; // claims a 200-byte header in a 10-byte file
        String m = error(write("h.safetensors", b));
        assertTrue(m.contains("h.safetensors") && m.contains("header length 200"), m);
    }

    @Test
    void headerNotJson() throws IOException {
        String m = error(write("j.safetensors", fileBytes("{\"w\": [1, 2", new byte[0])));
        assertTrue(m.contains("j.safetensors") && m.contains("not valid JSON"), m);
    }

    @Test
    void offsetsOutsideData() throws IOException {
        String m = error(write("o.safetensors",
                fileBytes("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", new byte[8])));
        assertTrue(m.contains("o.safetensors") && m.contains("tensor w") && m.contains("outside the data"), m);
    }

    @Test
    void byteCountDisagreesWithShape() throws IOException {
        String m = error(write("s.safetensors",
                fileBytes("{\"w\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[0,8]}}", new byte[8])));
        assertTrue(m.contains("tensor w") && m.contains("8 bytes") && m.contains("expected 6"), m);
    }

    @Test
    void unsupportedDtype() throws IOException {
        String m = error(write("d.safetensors",
                fileBytes("{\"w\":{\"dtype\":\"F8_E5M2\",\"shape\":[4],\"data_offsets\":[0,4]}}", new byte[4])));
        assertTrue(m.contains("tensor w") && m.contains("F8_E5M2") && m.contains("expected one of F32, F16, BF16"), m);
    }

    @Test
    void missingTensorIsNamed() throws IOException {
        Path p = write("m.safetensors", fileBytes("{}", new byte[0]));
        try (Arena arena = Arena.ofConfined()) {
            SafetensorsFile f = SafetensorsFile.open(p, arena);
            String m = assertThrows(CheckpointException.class, () -> f.tensor("lm_head.weight")).getMessage();
            assertTrue(m.contains("m.safetensors") && m.contains("missing tensor lm_head.weight"), m);
        }
    }

    @Test
    void shardedCheckpointThroughIndex() throws IOException {
        Tensor a = new Tensor("a.weight", DType.F32, new long[]{2}, MemorySegment.ofArray(new float[]{1, 2}));
        Tensor b = new Tensor("b.weight", DType.F32, new long[]{1}, MemorySegment.ofArray(new float[]{9}));
        SafetensorsWriter.write(dir.resolve("model-00001-of-00002.safetensors"), List.of(a), null);
        SafetensorsWriter.write(dir.resolve("model-00002-of-00002.safetensors"), List.of(b), null);
        Files.writeString(dir.resolve(CheckpointWeights.INDEX), "{\"metadata\":{},\"weight_map\":{"
                + "\"a.weight\":\"model-00001-of-00002.safetensors\",\"b.weight\":\"model-00002-of-00002.safetensors\"}}");
        try (CheckpointWeights w = CheckpointWeights.open(dir)) {
            assertEquals(2, w.names().size());
            assertEquals(9f, w.tensor("b.weight").data().get(ValueLayout.JAVA_FLOAT_UNALIGNED, 0));
            assertEquals(2f, w.tensor("a.weight").data().get(ValueLayout.JAVA_FLOAT_UNALIGNED, 4));
        }
        // an index naming a tensor its shard lacks
        Files.writeString(dir.resolve(CheckpointWeights.INDEX), "{\"weight_map\":{"
                + "\"c.weight\":\"model-00001-of-00002.safetensors\"}}");
        String m = assertThrows(CheckpointException.class, () -> CheckpointWeights.open(dir)).getMessage();
        assertTrue(m.contains("model-00001-of-00002.safetensors") && m.contains("missing tensor c.weight"), m);
        // an index naming a shard that is not there
        Files.writeString(dir.resolve(CheckpointWeights.INDEX), "{\"weight_map\":{\"a.weight\":\"gone.safetensors\"}}");
        m = assertThrows(CheckpointException.class, () -> CheckpointWeights.open(dir)).getMessage();
        assertTrue(m.contains("gone.safetensors") && m.contains("not found"), m);
    }

    @Test
    void folderWithoutWeights() {
        String m = assertThrows(CheckpointException.class, () -> CheckpointWeights.open(dir)).getMessage();
        assertTrue(m.contains("model.safetensors") && m.contains("no "), m);
    }
}
