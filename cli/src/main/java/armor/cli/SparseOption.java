package armor.cli;

import armor.runtime.model.Model;
import armor.runtime.sparse.SparseMode;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

import java.io.PrintStream;
import java.nio.file.Path;

/**
 * The {@code --sparse auto|off} option of the commands that load a model: add {@code @Mixin SparseOption sparse;} and
 * load with {@link #load(Path, PrintStream)}, which says which projections run sparse.
 */
public final class SparseOption {
    @Option(names = "--sparse", defaultValue = "auto", paramLabel = "auto|off", converter = Converter.class,
            description = "auto: dense projections whose every group of 4 weights along a row has at most 2 non-zeros "
                    + "run on the 2:4 kernels (compressed-tensors dense 2:4, other tools' SparseGPT/Wanda output); "
                    + "off: run weights as stored, compressed-tensors bitmasks decompressed to dense. armor's own 2:4 "
                    + "and ARMOR layers always run sparse (default: ${DEFAULT-VALUE}).")
    SparseMode mode = SparseMode.AUTO;

    public SparseMode mode() {
        return mode;
    }

    /** Loads {@code dir} and, where anything runs sparse or the folder declares sparsity, says what on {@code err}. */
    public Model load(Path dir, PrintStream err) {
        Model m = Model.load(dir, mode);
        if (m.sparsity().worthSaying()) err.println("armor: " + dir + ": " + m.sparsity().summary());
        return m;
    }

    static final class Converter implements ITypeConverter<SparseMode> {
        @Override
        public SparseMode convert(String value) {
            try {
                return SparseMode.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException("'" + value + "' is not auto or off");
            }
        }
    }
}
