package armor.server.engine;

import java.util.List;

/**
 * Text-level results of the choices of one request, as the HTTP layer consumes them. Calls for one choice come in
 * order: any number of {@code onText}, then exactly one of {@code onFinish} or {@code onError}.
 */
public interface ChoiceListener {
    /** More text of a choice (never part of a stop string), with the logprob entries of the tokens it completes. */
    void onText(int choice, String text, List<TextLogprob> logprobs);

    /** @param finishReason OpenAI's value: "stop" or "length" (or "cancelled" when the client went away) */
    void onFinish(int choice, String finishReason, int completionTokens);

    void onError(int choice, RuntimeException error);
}
