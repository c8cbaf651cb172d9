package armor.cli;

import armor.runtime.quant.Int8Scheme;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** {@code --quantize}, {@code --group-size} and {@code --zero-points} of {@code prune}, {@code prune-serve} and {@code recover}. */
final class QuantizeOptions {
    @Option(names = "--quantize", description = "int8: write the output with int8 weights (2:4 values, ARMOR's "
            + "A'/B', embedding and head; see armor quantize); int4 (prune and recover): 4-bit cores, ARMOR's A'/B' int8, "
            + "by GPTQ on this command's calibration text (round to nearest without one; see armor quantize --bits 4)")
    String quantize;

    @Option(names = "--group-size", description = "with --quantize: input columns per scale (default: 128 where it "
            + "divides the row, else the whole row)")
    Integer groupSize;

    @Option(names = "--zero-points", description = "with --quantize int4: a 4-bit zero point per row and group "
            + "(asymmetric codes); default symmetric")
    boolean zeroPoints;

    /** The int8 scheme asked for, or null without --quantize or with int4; a usage error for a bad combination. */
    Int8Scheme scheme(CommandSpec spec) {
        if (quantize == null) {
            if (groupSize != null) throw new ParameterException(spec.commandLine(), "--group-size needs --quantize int8 or int4");
            if (zeroPoints) throw new ParameterException(spec.commandLine(), "--zero-points needs --quantize int4");
            return null;
        }
        if (!quantize.equals("int8") && !quantize.equals("int4"))
            throw new ParameterException(spec.commandLine(), "--quantize " + quantize + ", expected int8 or int4");
        if (quantize.equals("int4")) {
            if (groupSize != null && groupSize <= 0)
                throw new ParameterException(spec.commandLine(), "--group-size " + groupSize + ", expected a positive multiple of 16");
            return null;
        }
        if (zeroPoints) throw new ParameterException(spec.commandLine(), "--zero-points needs --quantize int4 (int8 weights are symmetric)");
        return QuantizeCommand.scheme(spec, 8, groupSize == null ? 0 : groupSize, "int8");
    }

    /** True for {@code --quantize int4} (after {@link #scheme} has checked the options). */
    boolean int4() {
        return "int4".equals(quantize);
    }

    /** Dense input columns per 4-bit scale, 0 for the default. */
    int group4() {
        return groupSize == null ? 0 : groupSize;
    }
}
