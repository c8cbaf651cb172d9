package armor.cli;

import armor.runtime.quant.Int8Scheme;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** {@code --quantize} and {@code --group-size} of {@code prune}, {@code prune-serve} and {@code recover}. */
final class QuantizeOptions {
    @Option(names = "--quantize", description = "int8: write the output with int8 weights (2:4 values, ARMOR's "
            + "A'/B', embedding and head; see armor quantize)")
    String quantize;

    @Option(names = "--group-size", description = "with --quantize: input columns per scale (default: 128 where it "
            + "divides the row, else the whole row)")
    Integer groupSize;

    /** The int8 scheme asked for, or null without --quantize; a usage error for a bad combination. */
    Int8Scheme scheme(CommandSpec spec) {
        if (quantize == null) {
            if (groupSize != null) throw new ParameterException(spec.commandLine(), "--group-size needs --quantize int8");
            return null;
        }
        if (!quantize.equals("int8"))
            throw new ParameterException(spec.commandLine(), "--quantize " + quantize + ", expected int8");
        return QuantizeCommand.scheme(spec, 8, groupSize == null ? 0 : groupSize, "int8");
    }
}
