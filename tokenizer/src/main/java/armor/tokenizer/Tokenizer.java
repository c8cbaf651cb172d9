package armor.tokenizer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalInt;

/** A Hugging Face tokenizer: text to token ids and back, plus the model's chat template. */
public interface Tokenizer {

    /** Loads {@code tokenizer.json} and {@code tokenizer_config.json} from a Hugging Face model folder. */
    static Tokenizer load(Path modelDir) throws IOException {
        throw new UnsupportedOperationException("tokenizer loading is not implemented yet");
    }

    /** Encodes text; with {@code addSpecialTokens} the post-processor's BOS/EOS are added as Hugging Face does. */
    int[] encode(String text, boolean addSpecialTokens);

    /** Decodes ids to text; throws IllegalArgumentException for an id outside the vocabulary. */
    String decode(int[] ids, boolean skipSpecialTokens);

    /** A decoder for streaming: feed ids one at a time, get only complete UTF-8 text back. */
    StreamDecoder streamDecoder(boolean skipSpecialTokens);

    int vocabSize();

    OptionalInt bosTokenId();

    OptionalInt eosTokenId();

    /** The chat template of tokenizer_config.json, if the model has one. */
    Optional<ChatTemplate> chatTemplate();
}
