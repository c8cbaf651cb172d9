package armor.cli;

import armor.bench.KindWeights;
import armor.bench.ModelPresets;
import armor.runtime.config.ModelConfig;
import armor.runtime.tensor.DType;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

import java.util.List;

/** Checks and lookups shared by the bench commands' options; each failure is a usage error naming the option. */
final class BenchOptions {
    static final List<String> KINDS = KindWeights.KINDS;

    /** The kinds for the options' help ({@code ${COMPLETION-CANDIDATES}}): the table's, so help never lags behind it. */
    static final class Kinds implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return KINDS.iterator();
        }
    }

    private BenchOptions() {}

    /** Every kind is one of {@link #KINDS}, and the ARMOR block size is a positive multiple of 8 (the kernels' lanes). */
    static void checkKinds(CommandSpec spec, List<String> kinds, int blockSize) {
        for (String k : kinds)
            if (!KINDS.contains(k)) throw new ParameterException(spec.commandLine(), "--kinds " + k + ", expected one of " + String.join(", ", KINDS));
        if (blockSize <= 0 || blockSize % 8 != 0)
            throw new ParameterException(spec.commandLine(), "--block-size " + blockSize + ", expected a positive multiple of 8");
    }

    /** The preset's real config.json. */
    static ModelConfig preset(CommandSpec spec, String preset) {
        try {
            return ModelPresets.config(preset);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /** The weight dtype named by --dtype. */
    static DType weightDType(CommandSpec spec, String dtype) {
        try {
            return ModelPresets.weightDType(dtype);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }
}
