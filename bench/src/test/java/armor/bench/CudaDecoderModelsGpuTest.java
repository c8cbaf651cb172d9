package armor.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import armor.cuda.CublasLibrary;
import armor.cuda.CudaDevices;
import armor.cuda.CudaUnavailableException;
import armor.cuda.CusparseLtHandle;
import armor.cuda.CusparseLtLibrary;
import armor.runtime.config.ConfigReader;
import armor.runtime.config.ModelConfig;
import armor.runtime.cuda.CudaContext;
import armor.runtime.cuda.CudaDecoder;
import armor.runtime.model.Model;
import armor.runtime.safetensors.CheckpointWeights;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Whole 2:4 and ARMOR models on the GPU against the CPU runtime on the same weights: tiny-llama3-random
 * (hidden 128, intermediate 384, k/v 32) seen as magnitude 2:4, and as ARMOR with b = 64, which gives A and B
 * different block sizes where the dimensions differ (k_proj 32×128: A 32, B 64). The CPU runtime's 2:4 and ARMOR
 * layers are tested against brute force elsewhere; here every projection, the attention and the head run on the
 * GPU in bf16, so the last-token logits must agree within 2e-2 of their scale. Needs a GPU (8.0+), cuSPARSELt and
 * cuBLAS; skipped with the reason otherwise.
 */
class CudaDecoderModelsGpuTest {
    private static final Path MODEL = Path.of(System.getProperty("armor.shared", "../shared"), "models", "tiny-llama3-random");

    private static String whyNot() {
        try {
            if (CudaDevices.list().stream().noneMatch(CudaDevices.Info::hasSparseTensorCores)) return "no GPU of compute capability 8.0+";
            CusparseLtLibrary.load();
            CublasLibrary.load();
            return null;
        } catch (CudaUnavailableException e) {
            return e.getMessage();
        }
    }

    @ParameterizedTest(name = "ARMOR block {0} (0 = plain 2:4)")
    @ValueSource(ints = {0, 64})
    void sparseModelsMatchTheCpuRuntime(int armorBlock) {
        String reason = whyNot();
        assumeTrue(reason == null, () -> "GPU test skipped: " + reason);
        ModelConfig config = ConfigReader.read(MODEL);
        int[] prompt = {1, 17, 200, 3, 99, 42, 7, 311, 5, 64};
        try (CheckpointWeights dense = CheckpointWeights.open(MODEL);
             Model cpu = Model.of(config, new SparsifiedWeights(dense, armorBlock))) {
            float[] all = cpu.logits(prompt);
            int vocab = config.vocabSize();
            float[] expected = java.util.Arrays.copyOfRange(all, all.length - vocab, all.length);
            try (SparsifiedWeights sparse = new SparsifiedWeights(dense, armorBlock); CudaContext cuda = CudaContext.open(0);
                 CusparseLtHandle handle = CusparseLtHandle.create();
                 CudaDecoder gpu = CudaDecoder.load(config, sparse, cuda, handle, 1, 64)) {
                float[] got = lastLogits(gpu, prompt);
                assertEquals(vocab, got.length);
                double scale = 1, worst = 0;
                for (float v : expected) scale = Math.max(scale, Math.abs(v));
                for (int i = 0; i < vocab; i++) worst = Math.max(worst, Math.abs(got[i] - expected[i]));
                double w = worst, s = scale;
                assertTrue(worst <= 2e-2 * scale, () -> "block " + armorBlock + ": max |Δlogit| " + w + " at scale " + s);
            }
        }
    }

    /** Logits after the last token of a prompt run from position 0 in sequence slot 0. */
    static float[] lastLogits(CudaDecoder decoder, int[] prompt) {
        int[] seq = new int[prompt.length], pos = new int[prompt.length];
        for (int i = 0; i < pos.length; i++) pos[i] = i;
        return decoder.forward(prompt, seq, pos, new int[] {prompt.length - 1});
    }
}
