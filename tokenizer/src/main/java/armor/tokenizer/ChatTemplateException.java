package armor.tokenizer;

/** A chat template that could not be rendered: it raised ({@code raise_exception}) or is not valid Jinja. */
public final class ChatTemplateException extends IllegalArgumentException {
    public ChatTemplateException(String message) {
        super(message);
    }
}
