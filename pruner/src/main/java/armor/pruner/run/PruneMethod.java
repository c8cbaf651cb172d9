package armor.pruner.run;

/** The pruning methods of {@code armor prune}, with what each needs from calibration. */
public enum PruneMethod {
    MAGNITUDE("magnitude", false, false, false),
    WANDA("wanda", true, true, false),
    SPARSEGPT("sparsegpt", true, true, true),
    NOWAG_P("nowag-p", true, false, false),
    ARMOR("armor", true, false, false);

    private final String cliName;
    private final boolean needsData;
    private final boolean sequential;
    private final boolean needsGram;

    PruneMethod(String cliName, boolean needsData, boolean sequential, boolean needsGram) {
        this.cliName = cliName;
        this.needsData = needsData;
        this.sequential = sequential;
        this.needsGram = needsGram;
    }

    public String cliName() {
        return cliName;
    }

    /** Calibration data is needed (every method but magnitude). */
    public boolean needsData() {
        return needsData;
    }

    /**
     * Layer ℓ is calibrated on the outputs of the already pruned layers before it (Wanda, SparseGPT); otherwise
     * one pass of the dense model gives every layer's statistics (NoWag-P, ARMOR).
     */
    public boolean sequential() {
        return sequential;
    }

    /** The full Gram matrix {@code XᵀX} is needed (SparseGPT), not only its diagonal. */
    public boolean needsGram() {
        return needsGram;
    }

    public static PruneMethod parse(String name) {
        for (PruneMethod m : values()) if (m.cliName.equalsIgnoreCase(name)) return m;
        throw new IllegalArgumentException("--method " + name + ", expected one of armor, nowag-p, wanda, sparsegpt, "
                + "magnitude");
    }
}
