package armor.runtime.cuda;

/**
 * State of armor's CUDA model backend. The pieces that exist (cuSPARSELt bindings, device probing, the CUDA C
 * kernels shipped as PTX and their launch table) are listed in docs/gpu.md; the decoder on the GPU is not wired
 * yet, so the probe reports the GPU path as unusable even where a GPU and cuSPARSELt are present, rather than
 * pretending to run a model it cannot.
 */
final class CudaBackend {
    static final boolean MODEL_BACKEND_READY = false;

    private CudaBackend() {}
}
