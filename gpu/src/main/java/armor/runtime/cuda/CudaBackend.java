package armor.runtime.cuda;

/**
 * State of armor's CUDA model backend. The pieces that exist (bindings, device probing, kernels, GPU linear layers,
 * {@link CudaDecoder}) are listed in docs/gpu.md. None of it has run on a GPU yet, and generation, serving and the
 * benchmark do not drive {@link CudaDecoder}; until both are done the probe reports the GPU path as unusable even
 * where a GPU and cuSPARSELt are present, rather than claiming a backend that was never exercised.
 */
final class CudaBackend {
    static final boolean MODEL_BACKEND_READY = false;

    private CudaBackend() {}
}
