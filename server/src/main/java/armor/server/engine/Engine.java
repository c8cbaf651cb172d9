package armor.server.engine;

import armor.server.api.GenerationParams;
import armor.server.api.PromptInput;

import java.time.Duration;

/** What the HTTP layer needs from the model: start choices for a prompt, stream their text, cancel, shut down. */
public interface Engine {
    /** The id served in {@code /v1/models} and expected in the {@code model} field. */
    String modelId();

    int contextLength();

    /**
     * Starts {@code params.n()} choices for one prompt, numbered from {@code firstChoice}. Throws
     * {@link armor.server.api.ApiException} when the prompt is refused (too long, bad token ids, queue full).
     */
    Generation generate(PromptInput prompt, GenerationParams params, int firstChoice, ChoiceListener listener);

    /**
     * False once generation cannot go on (its loop failed): {@code /health} then answers 503 so that a supervisor
     * restarts the process. {@code why} of the failure in {@link #failure()}.
     */
    default boolean healthy() {
        return true;
    }

    /** What made the engine unhealthy, in one line; empty while healthy. */
    default java.util.Optional<String> failure() {
        return java.util.Optional.empty();
    }

    /** Stops taking work; lets running work finish for up to {@code grace}, then cancels it. */
    void shutdown(Duration grace);
}
