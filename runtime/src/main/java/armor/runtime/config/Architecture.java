package armor.runtime.config;

/** The decoder families this runtime runs; they differ only in biases and q/k norms. */
public enum Architecture {
    LLAMA("LlamaForCausalLM"), QWEN2("Qwen2ForCausalLM"), QWEN3("Qwen3ForCausalLM");

    private final String hfName;

    Architecture(String hfName) {
        this.hfName = hfName;
    }

    public String hfName() {
        return hfName;
    }

    public static Architecture fromHfName(String name) {
        for (Architecture a : values()) if (a.hfName.equals(name)) return a;
        return null;
    }
}
