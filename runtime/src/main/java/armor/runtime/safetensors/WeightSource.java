package armor.runtime.safetensors;

import armor.runtime.tensor.Tensor;

import java.util.Set;

/** Named tensors of a checkpoint, wherever they live (memory-mapped files, or memory for random models). */
public interface WeightSource {
    boolean has(String name);

    /** The tensor; throws {@link CheckpointException} naming the tensor when it is absent. */
    Tensor tensor(String name);

    Set<String> names();

    /** Where the tensors come from, for error messages (a file or folder, or a description). */
    String origin();
}
