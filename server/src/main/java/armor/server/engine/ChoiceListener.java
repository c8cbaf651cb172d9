package armor.server.engine;

import java.util.List;

/**
 * Text-level results of the choices of one request, as the HTTP layer consumes them. Calls for one choice come in
 * order: any number of {@code onText}, then exactly one of {@code onFinish} or {@code onError}.
 */
public interface ChoiceListener {
    /**
     * More text of a choice (never part of a stop string), with the logprob entries of the tokens it completes.
     *
     * @param tokens generated tokens this text is the first to show (0 for the echoed prompt); with the rest
     *               counted at {@code onFinish}, they add up to its {@code completionTokens}
     */
    void onText(int choice, String text, List<TextLogprob> logprobs, int tokens);

    /**
     * @param finishReason OpenAI's value: "stop" or "length" (or "cancelled" when the client went away)
     * @param text         the choice's whole text, exact: the echoed prompt, then the tokenizer's full decode of the
     *                     generated ids after the prompt cut before a stop string ({@code CompletionText}); the
     *                     streamed pieces may differ from it where a byte-fallback run is not valid UTF-8
     */
    void onFinish(int choice, String finishReason, int completionTokens, String text);

    void onError(int choice, RuntimeException error);
}
