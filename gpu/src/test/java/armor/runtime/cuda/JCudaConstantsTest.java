package armor.runtime.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUfunction_attribute;
import jcuda.driver.CUstream_flags;
import org.bytedeco.cuda.global.cudart;
import org.junit.jupiter.api.Test;

/**
 * The {@code cuda.h} enum values {@link CudaContext} passes through JCuda (whose constants are written by hand)
 * against JavaCPP's, generated from NVIDIA's header ({@code org.bytedeco:cuda 13.1-9.19-1.5.13}, test scope; its
 * compile-time constants are inlined by javac, so none of its classes, which load native libraries, is loaded).
 */
class JCudaConstantsTest {
    @Test
    void driverEnumsMatchTheHeader() {
        assertEquals(cudart.CU_STREAM_NON_BLOCKING, CUstream_flags.CU_STREAM_NON_BLOCKING, "CU_STREAM_NON_BLOCKING");
        assertEquals(cudart.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                "CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES");
        assertEquals(cudart.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR,
                CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, "CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR");
        assertEquals(cudart.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR,
                CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, "CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR");
    }
}
