package armor.runtime.cuda;

import armor.cuda.CudaDevices;
import armor.cuda.CusparseLtLibrary;

/** Whether the GPU path can run on this machine, and if not, the one-line reason. */
public sealed interface CudaSupport {
    /** A device with sparse tensor cores, and a cuSPARSELt library of the bindings' version. */
    record Usable(CudaDevices.Info device, CusparseLtLibrary.Version cusparseLt) implements CudaSupport {}

    record Unusable(String reason) implements CudaSupport {}
}
