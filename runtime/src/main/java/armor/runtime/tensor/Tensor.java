package armor.runtime.tensor;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/** A named tensor whose bytes stay where they were loaded (usually a memory-mapped file), in its stored dtype. */
public record Tensor(String name, DType dtype, long[] shape, MemorySegment data) {

    public long elementCount() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    public int dim(int i) {
        return Math.toIntExact(shape[i]);
    }

    public int rank() {
        return shape.length;
    }

    public String shapeString() {
        return Arrays.toString(shape);
    }

    /**
     * This tensor with its bytes copied into a Java array (same bytes, same dtype). Kernels stream weights faster from
     * the heap, which the launcher backs with 2 MiB pages, than from a memory-mapped file's 4 KiB page-cache pages
     * (docs/benchmarks.md: a folder decoded slower than the same shape made in memory).
     */
    public Tensor copyToHeap() {
        long bytes = data.byteSize();
        MemorySegment heap = switch (dtype.bytes()) {
            case 4 -> MemorySegment.ofArray(new float[Math.toIntExact(bytes / 4)]);
            case 2 -> MemorySegment.ofArray(new short[Math.toIntExact(bytes / 2)]);
            case 8 -> MemorySegment.ofArray(new long[Math.toIntExact(bytes / 8)]);
            default -> MemorySegment.ofArray(new byte[Math.toIntExact(bytes)]);
        };
        heap.copyFrom(data);
        return new Tensor(name, dtype, shape.clone(), heap);
    }
}
