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
}
