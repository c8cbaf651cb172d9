package armor.runtime.cuda;

import armor.cuda.CudaDevices;
import armor.cuda.CudaUnavailableException;
import armor.cuda.CusparseLtLibrary;
import java.util.List;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/** Finds out whether the GPU path can run here. Device selection takes one, so tests can give it any answer. */
@FunctionalInterface
public interface CudaProbe {
    CudaSupport probe();

    /**
     * This machine, looked at once per process: the NVIDIA driver ({@code libcuda.so.1}), a device of compute
     * capability 8.0 or newer (sparse tensor cores), a driver version that loads the kernels' PTX
     * ({@link PtxDriverRequirement}), cuSPARSELt 0.8.x, and armor's CUDA model backend.
     */
    static CudaProbe system() {
        return SystemProbe.INSTANCE;
    }

    /** The probe of the real machine; the result is kept, as neither driver nor devices change while we run. */
    final class SystemProbe implements CudaProbe {
        static final SystemProbe INSTANCE = new SystemProbe();
        private CudaSupport result;

        private SystemProbe() {}

        @Override
        public synchronized CudaSupport probe() {
            if (result == null) result = look();
            return result;
        }

        private static CudaSupport look() {
            return look(CudaDevices::list, CudaDevices::driverVersion, () -> CusparseLtLibrary.load().version(),
                    PtxDriverRequirement.kernels());
        }

        /**
         * The probe's steps in order, each piece of the machine given (tests give other machines): a device with
         * sparse tensor cores, a driver new enough for the kernels' PTX (else the driver would refuse them only when
         * {@link CudaContext#open} loads them), cuSPARSELt, and the backend switch. The first that fails is the
         * one-line reason.
         */
        static CudaSupport look(Supplier<List<CudaDevices.Info>> devices, IntSupplier driverVersion,
                                Supplier<CusparseLtLibrary.Version> cusparseLt,
                                PtxDriverRequirement kernels) {
            CudaDevices.Info device;
            CusparseLtLibrary.Version library;
            try {
                List<CudaDevices.Info> found = devices.get();
                device = found.stream().filter(CudaDevices.Info::hasSparseTensorCores).findFirst().orElse(null);
                if (device == null) {
                    return new CudaSupport.Unusable("no CUDA device with sparse tensor cores (compute capability 8.0, "
                            + "Ampere, or newer): found " + found);
                }
                String tooOld = kernels.refusal(driverVersion.getAsInt());
                if (tooOld != null) return new CudaSupport.Unusable(tooOld);
                library = cusparseLt.get();
            } catch (CudaUnavailableException e) {
                return new CudaSupport.Unusable(e.getMessage());
            }
            if (!CudaBackend.MODEL_BACKEND_READY) {
                return new CudaSupport.Unusable(device + " and cuSPARSELt " + library + " found, but armor's "
                        + "CUDA model backend is not complete yet (see docs/gpu.md)");
            }
            return new CudaSupport.Usable(device, library);
        }
    }
}
